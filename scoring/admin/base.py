"""What every scoring admin page shares: Vietnamese numbers in and out, what a published
period froze (issue 6: its criteria set and criteria, the period and its assessments' scores),
and the commune and period columns of an assessment's rows (evidence's admin uses them too)."""

import json
from decimal import Decimal

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from communes.admin import LockableAdminMixin, ModelAdmin

from .. import rules
from ..models import Assessment, Period



class DecimalInput(forms.CharField):
    """A number typed "11,84" or "11.84" (rules.parse_decimal), shown "11,84"."""

    def __init__(self, *, places: Decimal = rules.SCORE_PLACES, **kwargs):
        kwargs.pop("max_length", None)
        super().__init__(**kwargs)
        self.places = places

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return rules.format_exact(value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return rules.parse_decimal(value, places=self.places)
        except rules.RuleError as error:
            raise ValidationError(str(error)) from None


class ScoringAdmin(LockableAdminMixin, ModelAdmin):
    """Vietnamese numbers in and out: decimals typed with "," or ".", and on view-only pages
    shown by rules.format_score (fields listed in `decimal_fields` → `<name>_display`)."""

    decimal_fields: tuple[str, ...] = ()

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, models.DecimalField):
            return DecimalInput(
                label=db_field.verbose_name.capitalize(),
                required=not db_field.blank,
                help_text=db_field.help_text,
                places=Decimal(1).scaleb(-db_field.decimal_places),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and not self.has_change_permission(request, obj):
            return [f"{name}_display" if name in self.decimal_fields else name for name in fields]
        return fields


def _published_set_periods(request) -> dict[int, list[str]]:
    """{criteria set id: codes of the published periods using it}, read once per request."""
    cached = getattr(request, "_cchc_published_sets", None)
    if cached is None:
        cached = {}
        rows = Period.objects.filter(status=Period.Status.PUBLISHED).values_list(
            "criteria_set_id", "code"
        )
        for set_id, code in rows.order_by("code"):
            cached.setdefault(set_id, []).append(code)
        request._cchc_published_sets = cached
    return cached


def set_locked_reason(request, set_id) -> str:
    periods = _published_set_periods(request).get(set_id)
    if not periods:
        return ""
    return _(
        "bộ tiêu chí đã được dùng cho kỳ đánh giá đã công bố (%(periods)s). Để sửa cho năm sau, "
        "hãy sao chép bộ tiêu chí rồi sửa bản sao."
    ) % {"periods": ", ".join(periods)}


def assessment_locked_reason(assessment) -> str:
    if assessment.status == Assessment.Status.PUBLISHED:
        return _published_reason(assessment.period)
    return period_locked_reason(assessment.period)


def period_locked_reason(period) -> str:
    """Why rows of a published period (its TTHC figures, its assessments' parts) are frozen."""
    return _published_reason(period) if period.is_published else ""


def _published_reason(period) -> str:
    return _(
        "kết quả của kỳ đánh giá %(period)s đã công bố; muốn điều chỉnh, hãy công bố lại "
        "(lần công bố mới, có lý do)."
    ) % {"period": period.code}


class AssessmentColumns:
    """The commune and period columns of rows that belong to an assessment (`obj.assessment`)."""

    @admin.display(description=_("đơn vị"), ordering="assessment__commune__name")
    def commune(self, obj):
        return obj.assessment.commune

    @admin.display(description=_("kỳ đánh giá"), ordering="assessment__period__code")
    def period(self, obj):
        return obj.assessment.period.code


class AssessmentPartAdmin(AssessmentColumns, ScoringAdmin):
    """Rows of an assessment (scores, adjustments): view-only once it is published."""

    def locked_reason(self, request, obj) -> str:
        return assessment_locked_reason(obj.assessment)


def json_block(value) -> str:
    """JSON as people read it: Vietnamese letters kept, one key per line."""
    return (
        format_html("<pre><code>{}</code></pre>", json.dumps(value, ensure_ascii=False, indent=2))
        if value
        else "—"
    )
