from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from ..permissions import can_view_period_overview, visible_periods


@login_required
def overview(request, period):
    """Progress of every commune in the period (appraisers and leaders)."""
    period = get_object_or_404(visible_periods(request.user), code=period)
    if not can_view_period_overview(request.user, period):
        raise PermissionDenied
    assessments = period.assessments.select_related("commune").order_by("commune__code")
    return render(request, "scoring/period.html", {"period": period, "assessments": assessments})
