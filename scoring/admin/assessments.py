"""Assessments (the appraiser in charge), scores (edits audited, with a reason) and
adjustments; all view-only once their period is published."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from communes.admin import ReadOnlyInline, column, format_date, format_datetime

from .. import rules
from ..audit import record_event
from ..models import Adjustment, Assessment, Score
from ..services import WorkflowError, adjustments, locked_assessment
from .base import AssessmentPartAdmin, ScoringAdmin, assessment_locked_reason


class ScoreInline(ReadOnlyInline):
    """The assessment's scores, read-only here; each links to its own page."""

    model = Score
    show_change_link = True
    fields = (
        "criterion_code",
        "criterion_name",
        "self_display",
        "appraised_display",
        "not_applicable",
        "revision_request",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        # The row titles print str(score): the assessment's commune and period, joined here.
        return (
            super()
            .get_queryset(request)
            .select_related("criterion", "assessment__commune", "assessment__period")
            .order_by("criterion__position")
        )

    @admin.display(description=_("mã"))
    def criterion_code(self, obj):
        return obj.criterion.code

    @admin.display(description=_("tiêu chí"))
    def criterion_name(self, obj):
        return obj.criterion.name

    self_display = column(rules.format_score, "self_score", _("điểm tự chấm"))
    appraised_display = column(rules.format_score, "appraised_score", _("điểm thẩm định"))


@admin.register(Assessment)
class AssessmentAdmin(ScoringAdmin):
    list_display = (
        "commune",
        "period",
        "status",
        "version",
        "submitted_at_display",
        "appraised_at_display",
        "assignee",
        "locked",
    )
    list_select_related = ("period", "commune", "assignee")
    list_filter = ("period", "status", "locked")
    search_fields = ("commune__code", "commune__name", "period__code")
    search_help_text = _("Tìm theo mã, tên xã hoặc mã kỳ đánh giá.")
    autocomplete_fields = ("assignee",)
    fields = (
        "period",
        "commune",
        "status",
        "version",
        "submitted_at_display",
        "appraised_at_display",
        "reopened_until_display",
        "locked",
        "assignee",
        "updated_at_display",
    )
    # The workflow (submit, appraise, reopen, lock) goes through the app and its audited
    # services; here only the appraiser in charge is assigned.
    readonly_fields = tuple(name for name in fields if name != "assignee")
    inlines = (ScoreInline,)
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("period", "commune", "assignee")

    def has_add_permission(self, request):
        return False  # create_period opens one per commune

    def has_delete_permission(self, request, obj=None):
        return False  # scores, evidence and the audit trail hang on it

    def locked_reason(self, request, obj) -> str:
        return assessment_locked_reason(obj)

    submitted_at_display = column(format_datetime, "submitted_at", _("ngày nộp"))
    appraised_at_display = column(format_datetime, "appraised_at", _("ngày thẩm định xong"))
    updated_at_display = column(format_datetime, "updated_at", _("cập nhật lúc"))
    reopened_until_display = column(format_date, "reopened_until", _("mở lại đến ngày"))

    def object_tools(self, request, obj):
        return [(obj.get_absolute_url(), _("Mở hồ sơ trên trang chấm điểm"))]

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if "assignee" not in form.changed_data:
            return
        # Locked in the order of every write, the old assignee and the version read under the
        # lock: a workflow step or another assignment meanwhile is waited for, never lost.
        stored = locked_assessment(obj.pk)
        old = stored.assignee
        Assessment.objects.filter(pk=obj.pk).update(
            assignee=obj.assignee, version=F("version") + 1, updated_at=timezone.now()
        )
        obj.version = stored.version + 1
        record_event(
            stored,
            by=request.user,
            action="assignee_changed",
            field_name="assignee",
            old=old.get_username() if old else "",
            new=obj.assignee.get_username() if obj.assignee else "",
        )


class ScoreForm(forms.ModelForm):
    audit_reason = forms.CharField(
        label=_("Lý do sửa"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Bắt buộc: được ghi vào nhật ký thay đổi cùng giá trị cũ và mới."),
    )
    # The version the page showed: an officer or appraiser saving in between is never
    # silently overwritten (docs/design.md §4).
    seen_version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Score
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version

    # Set by clean(): the assessment and the score as stored, both locked.
    stored_assessment = stored = None

    def clean(self):
        """Check the version the page showed against the stored score, under the locks of every
        write: the period (shared), then the assessment, then the score (Django's admin runs
        the POST in one transaction, so they hold until the save). A publication, a workflow
        step, an import or another save of this score waits, or is waited for."""
        cleaned = super().clean()
        seen = cleaned.get("seen_version")
        assessment = locked_assessment(self.instance.assessment_id)
        published = assessment_locked_reason(assessment)
        if published:
            raise ValidationError(_("Không lưu được: %(reason)s") % {"reason": published})
        stored = Score.objects.select_for_update(of=("self",)).get(pk=self.instance.pk)
        if seen is not None and stored.version != seen:
            raise ValidationError(
                _(
                    "Điểm này vừa được cập nhật sau khi trang được mở; không lưu gì. Hãy tải lại "
                    "trang để xem giá trị mới rồi sửa lại."
                )
            )
        self.stored_assessment, self.stored = assessment, stored
        return cleaned


@admin.register(Score)
class ScoreAdmin(AssessmentPartAdmin):
    form = ScoreForm
    list_display = (
        "commune",
        "period",
        "criterion_code",
        "self_display",
        "appraised_display",
        "not_applicable",
        "returned",
        "updated_at_display",
    )
    list_select_related = ("assessment__commune", "assessment__period", "criterion")
    list_filter = (
        "assessment__period",
        "assessment__status",
        "not_applicable",
        "criterion__method",
    )
    search_fields = (
        "assessment__commune__code",
        "assessment__commune__name",
        "criterion__code",
        "criterion__name",
    )
    search_help_text = _("Tìm theo mã, tên xã hoặc mã, tên tiêu chí.")
    edit_fields = (
        "self_score",
        "self_note",
        "appraised_score",
        "appraisal_note",
        "revision_request",
        "not_applicable",
        "not_applicable_reason",
        "not_applicable_confirmed",
        "raw_value",
        "sample_size",
        "source",
    )
    fields = (
        "assessment",
        "criterion",
        *edit_fields,
        "version",
        "updated_at_display",
        "updated_by",
        "audit_reason",
        "seen_version",
    )
    readonly_fields = ("assessment", "criterion", "version", "updated_at_display", "updated_by")
    decimal_fields = ("self_score", "appraised_score", "raw_value")
    list_per_page = 100

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("assessment__commune", "assessment__period", "criterion", "updated_by")
        )

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return [name for name in fields if name not in ("audit_reason", "seen_version")]
        return fields

    def has_add_permission(self, request):
        return False  # create_period makes one per (assessment, leaf)

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("tiêu chí"), ordering="criterion__position")
    def criterion_code(self, obj):
        return obj.criterion.code

    self_display = column(rules.format_score, "self_score", _("điểm tự chấm"))
    appraised_display = column(rules.format_score, "appraised_score", _("điểm thẩm định"))

    self_score_display, appraised_score_display = self_display, appraised_display

    raw_value_display = column(rules.format_score, "raw_value", _("số liệu gốc"))

    @admin.display(description=_("bị trả lại"), boolean=True)
    def returned(self, obj):
        return bool(obj.revision_request)

    updated_at_display = column(format_datetime, "updated_at", _("cập nhật lúc"))

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        """Save with a new version (a page or import holding the old one gets a conflict) and
        one audit event per changed field, its old value read from the locked row."""
        stored = form.stored
        obj.assessment = form.stored_assessment  # its state as locked, not as the page read it
        obj.version = stored.version + 1
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)
        for name in form.changed_data:
            old, new = getattr(stored, name, None), form.cleaned_data.get(name)
            if name in ("audit_reason", "seen_version") or old == new:
                continue
            record_event(
                obj.assessment,
                by=request.user,
                action="score_changed_in_admin",
                criterion=obj.criterion,
                field_name=name,
                old=old,
                new=new,
                reason=form.cleaned_data["audit_reason"],
            )


class AdjustmentForm(forms.ModelForm):
    """Checked by services/adjustments.py, the one path for adjustments (the appraisal page
    uses it too): refusals show on the form; the save re-checks under the assessment's lock."""

    user = None  # the acting user, set by AdjustmentAdmin.get_form

    class Meta:
        model = Adjustment
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        assessment = cleaned.get("assessment") or getattr(self.instance, "assessment", None)
        if assessment is None or self.errors:
            return cleaned
        try:
            cleaned["points"], cleaned["reason"] = adjustments.check_adjustment(
                assessment, cleaned.get("points"), cleaned.get("reason", ""), by=self.user
            )
        except WorkflowError as error:
            verb = _("Không sửa được") if self.instance.pk else _("Không thêm được")
            raise ValidationError("%s: %s" % (verb, error)) from None
        return cleaned


@admin.register(Adjustment)
class AdjustmentAdmin(AssessmentPartAdmin):
    form = AdjustmentForm
    list_display = (
        "commune",
        "period",
        "points_display",
        "reason",
        "created_by",
        "created_at_display",
    )
    list_select_related = ("assessment__commune", "assessment__period", "created_by")
    list_filter = ("assessment__period",)
    search_fields = ("assessment__commune__code", "assessment__commune__name", "reason")
    search_help_text = _("Tìm theo mã, tên xã hoặc lý do.")
    autocomplete_fields = ("assessment",)
    fields = ("assessment", "points", "reason", "created_by", "created_at_display")
    readonly_fields = ("created_by", "created_at_display")
    decimal_fields = ("points",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("assessment__commune", "assessment__period", "created_by")
        )

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "assessment") if obj is not None else self.readonly_fields

    points_display = column(rules.format_signed, "points", _("điểm cộng (+) / trừ (−)"))
    created_at_display = column(format_datetime, "created_at", _("ngày tạo"))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user  # a class made for this request
        return form

    # Saving and deleting go through services/adjustments.py (checked, locked, audited).

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            adjustments.change_adjustment(obj, data["points"], data["reason"], by=request.user)
            return
        added = adjustments.add_adjustment(
            data["assessment"], data["points"], data["reason"], by=request.user
        )
        obj.pk, obj.created_by, obj.created_at = added.pk, added.created_by, added.created_at

    def delete_view(self, request, object_id, extra_context=None):
        # The confirmation page asks why (admin/scoring/adjustment/delete_confirmation.html).
        if request.method == "POST" and not request.POST.get("delete_reason", "").strip():
            messages.error(request, _("Vui lòng nêu lý do xóa khoản điểm thưởng, điểm trừ này."))
            return redirect(request.path)
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request, obj):
        adjustments.delete_adjustment(
            obj, reason=request.POST.get("delete_reason", ""), by=request.user
        )

    def get_actions(self, request):
        # Bulk delete would skip the audit event of each adjustment.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions
