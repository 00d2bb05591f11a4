"""What the assessment page and the appraisal page share: finding the assessment through the
user's scope, telling background saves from page loads, the answer given instead of a
commune's work that is not handed in, and running a workflow action from a button (act).
Its own module so that neither page imports the other (the assessment page hands appraisers
over to the appraisal page).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from .. import rules
from ..models import Assessment
from ..permissions import (
    awaits_submission,
    can_appraise,
    can_view_self_assessment,
    not_submitted_closed_reason,
    visible_assessment,
)
from ..services import WorkflowError


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


def optional_date(text: str):
    """A date typed dd/mm/yyyy (rules.parse_date: RuleError if it does not read), None when
    the box was left empty."""
    return rules.parse_date(text) if text.strip() else None


def act(request, back, success, service, *args, errors=(WorkflowError,), **kwargs):
    """A button's action: run `service(*args, **kwargs)`, then say what happened and go back
    to `back` (a URL or a model, as redirect() takes it).

    `success` is the message, "{result}" in it replaced by what the service returned, or a
    function of that result returning the message. A refusal (`errors`, WorkflowError by
    default: the service saved nothing) is flashed as an error instead."""
    try:
        result = service(*args, **kwargs)
    except errors as error:
        messages.error(request, str(error))
    else:
        text = success(result) if callable(success) else success.replace("{result}", str(result))
        messages.success(request, text)
    return redirect(back)
