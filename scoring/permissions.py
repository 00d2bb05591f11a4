"""Who may see and do what to periods and assessments: the one place every view asks.

"May this user do X to this object" (can_*) stands beside "which objects may they see"
(visible_*), so a list never shows what a detail page refuses. Built on communes/access.py;
evidence and reports reuse visible_assessments instead of computing scope again.
Views fetch through visible_* (another commune → 404), then check can_* (wrong role → 403).
"""

from django.db.models import Q, QuerySet

from communes.access import has_role, units_in_scope
from communes.models import Role

from .models import Assessment, Period


def visible_periods(user) -> QuerySet[Period]:
    """Periods run by a unit in the user's scope, or assessing a commune in it."""
    scope = units_in_scope(user)
    return (
        Period.objects.filter(Q(unit__in=scope) | Q(assessments__commune__in=scope))
        .distinct()
        .select_related("unit", "criteria_set")
    )


def visible_assessments(user) -> QuerySet[Assessment]:
    """Assessments of communes in the user's scope (any role)."""
    return Assessment.objects.filter(commune__in=units_in_scope(user)).select_related(
        "period__unit", "period__criteria_set", "commune__parent__parent"
    )


def is_officer_of(user, assessment) -> bool:
    return has_role(user, assessment.commune, Role.COMMUNE_OFFICER)


def can_appraise(user, assessment) -> bool:
    """Appraisers of the period's appraising unit (or a unit above it)."""
    return has_role(user, assessment.period.unit, Role.APPRAISER)


def can_manage_period(user, period) -> bool:
    """Run the period: import survey results, lock/reopen communes, publish."""
    return has_role(user, period.unit, Role.APPRAISER)


def can_read_results(user, period) -> bool:
    """Published results are readable by every signed-in user of the appraising unit's tree."""
    if not period.is_published:
        return False
    if has_role(user, period.unit, Role.APPRAISER) or has_role(user, period.unit, Role.LEADER):
        return True
    return units_in_scope(user).filter(pk=period.unit_id).exists() or (
        visible_assessments(user).filter(period=period).exists()
    )


def can_view_period_overview(user, period) -> bool:
    """The progress table of every commune: appraisers and leaders of the appraising unit."""
    return has_role(user, period.unit, Role.APPRAISER) or has_role(user, period.unit, Role.LEADER)
