"""The assessment page (docs/design.md §7 ◆ /periods/<period>/communes/<commune>/).

Commune officers fill in the self-assessment here; leaders read it; appraisers are handed to
the appraisal page (scoring/views/appraisal.py). Saves answer small HTML fragments for
static/js/autosave.js (requests carrying "X-Autosave: 1" or htmx's "HX-Request"); without
JavaScript the same forms post normally and are redirected back to the criterion.
"""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from .. import rules, selectors
from ..last_year import with_last_year
from ..forms import SelfScoreForm
from ..models import Assessment
from ..permissions import (
    can_appraise,
    can_edit_score,
    can_view_provisional,
    can_submit,
    can_view_appraisal_notes,
    can_view_self_assessment,
    can_withdraw,
    is_of_commune,
    is_officer_of,
    self_assessment_closed_reason,
    visible_assessment,
)
from ..services import WorkflowError
from ..services.self_assessment import (
    SELF_FIELDS,
    ConflictError,
    IncompleteError,
    save_self_score,
    submit_assessment,
    withdraw_assessment,
)

from .appraisal import appraisal_page
from .replies import commune_result_page
from .shared import act, criterion_url, get_assessment, is_partial, refusal

HISTORY_PAGE = 100  # events per page of an assessment's history


@login_required
def detail(request, period, commune):
    """The assessment: self-assessment for the commune, appraisal for the appraisers."""
    assessment = get_assessment(request, period, commune)
    if can_appraise(request.user, assessment):
        return appraisal_page(request, assessment)
    return self_assessment_page(request, assessment)


def _deadline(assessment):
    return selectors.deadline_of(assessment, timezone.localdate())


def self_assessment_page(request, assessment):
    """The criteria tree with this commune's scores and evidence; editable where allowed."""
    refused = refusal(request, assessment)
    if refused:
        return refused
    user = request.user
    if is_of_commune(user, assessment) and assessment.period.is_published:
        return commune_result_page(request, assessment, published=True)
    if can_view_provisional(user, assessment):
        return commune_result_page(request, assessment, published=False)
    officer = is_officer_of(user, assessment)
    sheet = with_last_year(
        selectors.assessment_sheet(
            assessment, can_edit=lambda score: can_edit_score(user, assessment, score)
        )
    )
    closed = self_assessment_closed_reason(assessment) if officer else ""
    editing = any(row.editable for row in sheet.leaf_rows())
    return render(
        request,
        "scoring/assessment.html",
        {
            "assessment": assessment,
            "period": assessment.period,
            "sheet": sheet,
            "progress": sheet.progress,
            "field_blocks": sheet.fields,
            "deadline": _deadline(assessment),
            "officer": officer,
            "closed_reason": closed,
            "can_submit": officer and can_submit(user, assessment),
            "can_withdraw": officer and can_withdraw(user, assessment),
            "editing": editing,
            "read_only": not editing,
            "statuses": Assessment.Status,
        },
    )


def score_fragments(request, assessment, scores, score, *, status=200, error="", **extra):
    """Fragments answering a change to one criterion: its state, its field's and the overall
    totals, and a message for the row (an error, or a conflict showing both values)."""
    states = [s.state for s in scores]
    fields = selectors.fields_of(scores)
    return _fragments(
        request, assessment, states, fields, score, status=status, error=error, **extra
    )


def _fragments(request, assessment, states, fields, score, *, status=200, error="", **extra):
    """score_fragments from leaf states and fields (selectors.save_sheet gives them)."""
    progress = selectors.progress_of(states)
    # Only the criterion's own field: the other fields' totals did not change.
    field_id = score.criterion.field_id
    blocks = selectors.field_blocks_of([f for f in fields if f.pk == field_id], progress)
    return render(
        request,
        "scoring/_score_response.html",
        {
            "assessment": assessment,
            "period": assessment.period,
            "score": score,
            "state": score.state,
            "progress": progress,
            "block": blocks[0] if blocks else None,
            "deadline": _deadline(assessment),
            "error": error,
            "oob": True,
            **extra,
        },
        status=status,
    )


@require_POST
@login_required
def save_score(request, period, commune, score):
    """Save one criterion (self score, explanation, "không áp dụng") on its own."""
    # The assessment with what the checks read, its scope checked on the row, then its
    # scores as plain values (the score saved as a model): joining the assessment's chain to
    # each of ~90 score rows, or building them as models, cost most of a save's time
    # (bench/load.py).
    # The period's unit for its wording ("do Phòng Nội vụ nhập").
    assessment = visible_assessment(request.user, period, commune, "period__unit")
    if assessment is None:
        raise Http404
    sheet = selectors.save_sheet(assessment, score)
    score = sheet.score
    if score is None:
        raise Http404
    if not is_officer_of(request.user, assessment):
        raise PermissionDenied
    partial = is_partial(request)
    form = SelfScoreForm(request.POST, criterion=score.criterion)
    if not form.is_valid():
        return _refused(request, assessment, sheet, score, form.error_text(), 422, partial)
    values = {name: form.cleaned_data[name] for name in SELF_FIELDS}
    try:
        save_self_score(score, version=form.cleaned_data["version"], by=request.user, **values)
    except ConflictError as conflict:
        if not partial:
            messages.error(request, str(conflict))
            return redirect(criterion_url(assessment, score.criterion.code))
        context = _conflict_context(request, conflict, form)
        return _sheet_fragments(request, assessment, sheet, score, status=409, **context)
    except WorkflowError as error:
        return _refused(request, assessment, sheet, score, str(error), 403, partial)
    sheet.set_state(score)
    if not partial:
        messages.success(request, f"Đã lưu tiêu chí {score.criterion.code}.")
        return redirect(criterion_url(assessment, score.criterion.code))
    return _sheet_fragments(request, assessment, sheet, score, saved=True)


def _sheet_fragments(request, assessment, sheet, score, **kwargs):
    score.state = sheet.states[score.pk]
    return _fragments(request, assessment, sheet.states.values(), sheet.fields, score, **kwargs)


def _conflict_context(request, conflict, form) -> dict:
    """Both values side by side, and what the two buttons put in the form."""
    current = conflict.current
    stored = {
        "version": current.version,
        "self_score": rules.format_score(current.self_score),
        "self_note": current.self_note,
        "not_applicable": current.not_applicable,
        "not_applicable_reason": current.not_applicable_reason,
    }
    who = ""
    if current.updated_by is not None:
        who = current.updated_by.get_full_name() or current.updated_by.username
    return {
        "conflict": conflict,
        "mine": form.cleaned_data,
        "mine_score": request.POST.get("self_score", "").strip(),
        "theirs_score": stored["self_score"],
        "conflict_by": who,
        "conflict_at": timezone.localtime(current.updated_at).strftime("%H:%M %d/%m/%Y"),
        "keep_mine": json.dumps({"version": current.version}),
        "take_theirs": json.dumps(stored, ensure_ascii=False),
    }


def _refused(request, assessment, sheet, score, error, status, partial):
    if not partial:
        messages.error(request, error)
        return redirect(criterion_url(assessment, score.criterion.code))
    return _sheet_fragments(request, assessment, sheet, score, status=status, error=error)


@require_http_methods(["GET", "POST"])
@login_required
def submit(request, period, commune):
    """The completeness check, then submitting (nộp) after confirmation."""
    assessment = get_assessment(request, period, commune)
    user = request.user
    if not is_officer_of(user, assessment):
        if can_view_self_assessment(user, assessment):
            return redirect(assessment)
        raise PermissionDenied
    if request.method == "POST":
        if not request.POST.get("confirm"):
            messages.error(request, "Hãy đánh dấu xác nhận trước khi nộp hồ sơ.")
            return redirect("scoring:submit", period, commune)
        try:
            submit_assessment(assessment, by=user)
        except IncompleteError as error:
            messages.error(request, str(error))
            return redirect("scoring:submit", period, commune)
        except WorkflowError as error:
            messages.error(request, str(error))
            return redirect(assessment)
        messages.success(
            request,
            "Đã nộp hồ sơ tự đánh giá. Hồ sơ chuyển sang chỉ xem; có thể rút lại cho đến khi "
            "tổ thẩm định bắt đầu thẩm định.",
        )
        return redirect(assessment)
    scores = selectors.score_states(assessment)
    progress = selectors.progress_of(score.state for score in scores)
    return render(
        request,
        "scoring/assessment_submit.html",
        {
            "assessment": assessment,
            "period": assessment.period,
            "progress": progress,
            "closed_reason": self_assessment_closed_reason(assessment),
            "can_submit": can_submit(user, assessment),
            "deadline": _deadline(assessment),
            "returned": assessment.status == Assessment.Status.RETURNED,
        },
    )


@require_POST
@login_required
def withdraw(request, period, commune):
    """Withdraw (rút lại) the submission until the appraisal team opens it."""
    assessment = get_assessment(request, period, commune)
    if not is_officer_of(request.user, assessment):
        raise PermissionDenied
    success = "Đã rút lại hồ sơ; có thể sửa và nộp lại."
    return act(request, assessment, success, withdraw_assessment, assessment, by=request.user)


@login_required
def history(request, period, commune):
    """The assessment's changes (audit events) the viewer may read."""
    assessment = get_assessment(request, period, commune)
    refused = refusal(request, assessment)
    if refused:
        return refused
    user = request.user
    everything = can_view_appraisal_notes(user, assessment)
    events = selectors.events_for_commune(assessment, everything=everything)
    page = Paginator(events, HISTORY_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "scoring/assessment_history.html",
        {
            "assessment": assessment,
            "period": assessment.period,
            "page": page,
            "events": [selectors.EventLine(event) for event in page],
        },
    )
