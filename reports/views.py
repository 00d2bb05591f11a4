from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, render

from scoring.permissions import can_read_results, visible_periods


@login_required
def results(request, period):
    period = get_object_or_404(visible_periods(request.user), code=period)
    if not can_read_results(request.user, period):
        raise PermissionDenied
    return render(request, "reports/results.html", {"period": period})
