"""Forms of the self-assessment: one criterion's self score, explanation, "không áp dụng"."""

from django import forms
from django.core.exceptions import ValidationError

from . import rules
from .models import NaPolicy


class SelfScoreForm(forms.Form):
    """One criterion of the self-assessment, posted on its own (autosave) with its version."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    self_score = forms.CharField(required=False, max_length=30)
    self_note = forms.CharField(required=False, max_length=10000, widget=forms.Textarea)
    not_applicable = forms.BooleanField(required=False)
    not_applicable_reason = forms.CharField(required=False, max_length=5000)

    def __init__(self, *args, criterion, **kwargs):
        self.criterion = criterion
        super().__init__(*args, **kwargs)

    def clean_self_score(self):
        """Accept "1,5" and "1.5"; refuse what is not a number or lies outside [0, max]."""
        raw = self.cleaned_data["self_score"].strip()
        if not raw:
            return None
        code = self.criterion.code
        try:
            value = rules.parse_decimal(raw)
            return rules.check_score(value, self.criterion.max_points, criterion=code)
        except rules.RuleError as error:
            message = str(error)
            if not message.startswith("Tiêu chí"):
                message = f"Tiêu chí {code}: {message}"
            raise ValidationError(message) from None

    def clean_self_note(self):
        return self.cleaned_data["self_note"].strip()

    def clean_not_applicable_reason(self):
        return self.cleaned_data["not_applicable_reason"].strip()

    def clean_not_applicable(self):
        claimed = self.cleaned_data["not_applicable"]
        if claimed and self.criterion.na_policy == NaPolicy.NONE:
            raise ValidationError(
                f"Tiêu chí {self.criterion.code} không được khai báo “không áp dụng”."
            )
        return claimed

    def error_text(self) -> str:
        """Every error as one Vietnamese sentence list (for the row's message)."""
        return " ".join(message for messages in self.errors.values() for message in messages)
