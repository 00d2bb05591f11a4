"""What the assessment page and the appraisal page share: finding the assessment through the
user's scope, telling background saves from page loads, and the answer given instead of a
commune's work that is not handed in. Its own module so that neither page imports the other
(the assessment page hands appraisers over to the appraisal page).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from ..models import Assessment
from ..permissions import (
    awaits_submission,
    can_appraise,
    can_view_self_assessment,
    not_submitted_closed_reason,
    visible_assessment,
)


def is_partial(request) -> bool:
    """A background request from autosave.js (or htmx) that wants fragments, not a page."""
    return request.headers.get("X-Autosave") == "1" or bool(getattr(request, "htmx", False))


def get_assessment(request, period, commune) -> Assessment:
    """The assessment, if the user may see its commune (otherwise 404).

    The appraising unit's ancestors come along: role checks on it then need no query.
    """
    assessment = visible_assessment(
        request.user, period, commune, "period__unit__parent__parent", "period__criteria_set"
    )
    if assessment is None:
        raise Http404
    return assessment


def criterion_url(assessment, code: str) -> str:
    return f"{assessment.get_absolute_url()}#tc-{code}"


def not_submitted_page(request, assessment):
    """What the appraising unit sees before the commune submits: no draft scores; for its
    appraisers, once the deadline has passed, the button that opens the commune to appraise
    it as not submitted (or why not yet)."""
    appraiser = can_appraise(request.user, assessment)
    return render(
        request,
        "scoring/not_submitted.html",
        {
            "assessment": assessment,
            "period": assessment.period,
            "appraiser": appraiser,
            "not_yet": not_submitted_closed_reason(assessment) if appraiser else "",
        },
    )


def refusal(request, assessment, may=can_view_self_assessment):
    """None when `may(user, assessment)`; otherwise the answer instead of the commune's work:
    the "chưa nộp" page for the appraising unit before the commune hands in, 403 for anyone
    else (scoring.permissions.awaits_submission)."""
    if may(request.user, assessment):
        return None
    if awaits_submission(request.user, assessment):
        return not_submitted_page(request, assessment)
    raise PermissionDenied
