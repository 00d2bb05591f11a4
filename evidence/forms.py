"""Forms for adding evidence to a criterion: files, a document reference, or items already
uploaded for the same assessment."""

import datetime

from django import forms
from django.utils import timezone

from .models import Evidence


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


class EvidenceFilesForm(forms.Form):
    files = MultipleFileField(
        label="Tệp tài liệu kiểm chứng",
        error_messages={"required": "Chưa chọn tệp nào.", "empty": "Tệp rỗng (0 byte)."},
    )


class EvidenceReferenceForm(forms.Form):
    """A document cited by number instead of a file (số/ký hiệu, ngày, cơ quan ban hành)."""

    doc_number = forms.CharField(
        label="Số, ký hiệu văn bản",
        max_length=100,
        error_messages={"required": "Hãy nhập số, ký hiệu văn bản (ví dụ 12/KH-UBND)."},
    )
    doc_date = forms.DateField(
        label="Ngày ban hành (dd/mm/yyyy)",
        input_formats=["%d/%m/%Y", "%Y-%m-%d"],
        error_messages={
            "required": "Hãy nhập ngày ban hành.",
            "invalid": "Ngày ban hành phải có dạng dd/mm/yyyy, ví dụ 05/01/2024.",
        },
    )
    doc_issuer = forms.CharField(label="Cơ quan ban hành", max_length=200, required=False)
    description = forms.CharField(label="Trích yếu", max_length=500, required=False)

    def clean_doc_date(self):
        value = self.cleaned_data["doc_date"]
        if value > timezone.localdate():
            raise forms.ValidationError("Ngày ban hành không được sau ngày hôm nay.")
        if value < datetime.date(1945, 9, 2):
            raise forms.ValidationError("Ngày ban hành không hợp lệ.")
        return value


class LinkEvidenceForm(forms.Form):
    """Pick items already uploaded for this assessment to prove one more criterion."""

    evidence = forms.ModelMultipleChoiceField(
        queryset=Evidence.objects.none(),
        error_messages={
            "required": "Hãy chọn ít nhất một tài liệu.",
            "invalid_choice": "Tài liệu đã chọn không thuộc hồ sơ này.",
            "invalid_pk_value": "Tài liệu đã chọn không hợp lệ.",
        },
    )

    def __init__(self, *args, assessment, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].queryset = Evidence.objects.filter(assessment=assessment)


def error_text(form) -> str:
    return " ".join(message for messages in form.errors.values() for message in messages)
