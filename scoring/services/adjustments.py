"""Bonus and deduction points (điểm thưởng, điểm trừ; docs/design.md §3 `Adjustment`): points outside
the criteria tree that publishing adds to a commune's total (services/publishing.py).

The appraisers of the period's unit enter them on the appraisal page; superusers may also use
the Django admin, which calls these same functions. Each one is a transition: the acting user
by keyword, one transaction, the assessment and its period locked (a concurrent publish waits,
and then is not missing a point entered before it), audited inside it. Refusals raise
WorkflowError with a Vietnamese message.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from .. import rules
from ..audit import record_event
from ..models import Adjustment, Assessment
from ..permissions import can_appraise
from . import WorkflowError, ensure_editable, locked_assessment


def check_adjustment(assessment: Assessment, points, reason: str, *, by) -> tuple[Decimal, str]:
    """The points parsed ("1,5", "1.5", "-2"; 3 decimals, half-up) and the reason stripped.

    Refuses (WorkflowError) what check_allowed refuses, an empty reason, points that are not a
    number, zero, or larger in size than the criteria set's total (a bonus or deduction never
    outweighs the whole set).
    """
    check_allowed(assessment, by=by)
    reason = _reason(reason, "Vui lòng nêu lý do cộng hoặc trừ điểm.")
    if isinstance(points, str):
        points = points.strip().replace("\u2212", "-")  # the minus sign of the labels
        if not points:
            raise WorkflowError("Vui lòng nhập số điểm cộng (+) hoặc trừ (−).")
    try:
        value = rules.parse_decimal(points)
    except rules.RuleError as error:
        raise WorkflowError(str(error)) from None
    if not value:
        raise WorkflowError("Điểm thưởng, điểm trừ phải khác 0.")
    limit = assessment.period.criteria_set.total_points
    if abs(value) > limit:
        raise WorkflowError(
            f"Điểm thưởng, điểm trừ không được vượt quá {rules.format_score(limit)} điểm "
            "(tổng điểm của bộ tiêu chí)."
        )
    return value, reason


def check_allowed(assessment: Assessment, *, by) -> None:
    """Refuse (WorkflowError) a user who does not appraise the period (permissions.can_adjust)
    and an assessment whose results are published."""
    if not can_appraise(by, assessment):
        raise WorkflowError(
            f"Chỉ tổ thẩm định của {assessment.period.unit.name} mới nhập, xóa được điểm "
            "thưởng, điểm trừ."
        )
    ensure_editable(assessment)


def _reason(reason: str, missing: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError(missing)
    return reason


@transaction.atomic
def add_adjustment(assessment: Assessment, points, reason: str, *, by) -> Adjustment:
    """Add bonus (+) or deduction (−) points with a reason to the assessment; returns the new
    Adjustment. Refuses what check_adjustment refuses. Audited as `adjustment_added`."""
    assessment = locked_assessment(assessment)
    value, reason = check_adjustment(assessment, points, reason, by=by)
    adjustment = Adjustment.objects.create(
        assessment=assessment, points=value, reason=reason, created_by=_user(by)
    )
    record_event(
        assessment, by=by, action="adjustment_added", field_name="points", new=value,
        reason=reason,
    )
    return adjustment


@transaction.atomic
def change_adjustment(adjustment: Adjustment, points, reason: str, *, by) -> Adjustment:
    """Change the points or the reason of an adjustment (the Django admin's change page);
    returns it as stored now. Refuses what check_adjustment refuses. Audited as
    `adjustment_changed`, old → new points, the new reason (and the old one in the detail)."""
    assessment = locked_assessment(adjustment.assessment)
    stored = _stored(adjustment, assessment)
    value, reason = check_adjustment(assessment, points, reason, by=by)
    old_points, old_reason = stored.points, stored.reason
    stored.points, stored.reason = value, reason
    stored.save(update_fields=["points", "reason"])
    record_event(
        assessment, by=by, action="adjustment_changed", field_name="points", old=old_points,
        new=value, reason=reason,
        detail={"old_reason": old_reason} if old_reason != reason else None,
    )
    return stored


@transaction.atomic
def delete_adjustment(adjustment: Adjustment, *, reason: str, by) -> None:
    """Delete an adjustment, saying why. Refuses a user who does not appraise the period, a
    published assessment and an empty reason. Audited as `adjustment_deleted` with the points
    it took away (old), the reason for deleting, and the reason it was given for."""
    assessment = locked_assessment(adjustment.assessment)
    stored = _stored(adjustment, assessment)
    check_allowed(assessment, by=by)
    reason = _reason(reason, "Vui lòng nêu lý do xóa khoản điểm thưởng, điểm trừ này.")
    record_event(
        assessment, by=by, action="adjustment_deleted", field_name="points", old=stored.points,
        reason=reason, detail={"adjustment_reason": stored.reason},
    )
    stored.delete()


def _stored(adjustment: Adjustment, assessment: Assessment) -> Adjustment:
    """The adjustment as stored now (another appraiser may have deleted it meanwhile)."""
    stored = Adjustment.objects.filter(pk=adjustment.pk, assessment_id=assessment.pk).first()
    if stored is None:
        raise WorkflowError("Khoản điểm thưởng, điểm trừ này đã bị xóa; hãy tải lại trang.")
    return stored


def _user(by):
    return by if by is not None and by.is_authenticated else None
