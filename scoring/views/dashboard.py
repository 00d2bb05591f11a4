from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from cchc import health
from communes.access import has_role, roles_of
from communes.models import Role

from ..permissions import can_manage_period, can_publish, visible_assessments, visible_periods


@login_required
def home(request):
    """The user's periods: the communes they self-assess, and the periods they appraise or read."""
    user = request.user
    periods = list(visible_periods(user).order_by("-year", "code"))
    own = (
        visible_assessments(user)
        .filter(commune__memberships__user=user, commune__memberships__role=Role.COMMUNE_OFFICER)
        .distinct()
        .order_by("-period__year", "commune__name")
    )
    rows = [
        {
            "period": period,
            "oversees": has_role(user, period.unit, Role.APPRAISER)
            or has_role(user, period.unit, Role.LEADER),
            "manages": can_manage_period(user, period),
            "publishes": can_publish(user, period),
        }
        for period in periods
    ]
    return render(
        request,
        "scoring/home.html",
        {"rows": rows, "own_assessments": list(own), "roles": roles_of(user)},
    )


@never_cache
@require_GET
def healthz(request):
    """200 "ok" when the database answers (for load balancers and monitors); with ?full=1
    also the file storage and the broker (cchc.health), 503 naming what is down."""
    if request.GET.get("full") == "1":
        healthy, text = health.full_report()
        return HttpResponse(
            text, status=200 if healthy else 503, content_type="text/plain; charset=utf-8"
        )
    if health.check_database():
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


FAVICON = "img/favicon.ico"


@require_GET
def favicon(request):
    """/favicon.ico, which browsers ask for on every site whatever the page links: the app's
    own icon (static/img/favicon.ico, the file base.html links), cached for a day."""
    path = finders.find(FAVICON)
    if path is None:
        raise Http404
    response = FileResponse(open(path, "rb"), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response
