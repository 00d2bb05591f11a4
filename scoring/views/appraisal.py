"""The appraisal view of /periods/<period>/communes/<commune>/ (docs/design.md §4, §7) and its
actions: appraised scores (saved one criterion at a time by static/js/autosave.js, as in the
self-assessment), claim, accept the self scores, return criteria, mark appraised, reopen,
lock, bonus/deduction points (điểm thưởng, điểm trừ); the minutes PDF (biên bản thẩm định)
and the filterable audit history.

Every view fetches through visible_assessments (another district → 404) and then asks
scoring/permissions.py (a commune officer or a leader → 403 for actions).
"""

import json

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from printing import render_pdf

from .. import rules, selectors
from ..last_year import with_last_year
from ..models import Assessment, AuditAction, label_of
from ..overview import (
    AdjustmentLine,
    LeafAppraisal,
    adjustments_of,
    appraisal_totals,
    reread_for_totals,
)
from ..permissions import (
    appraisal_closed_reason,
    can_adjust,
    can_answer_reply,
    can_appraise,
    can_change_appraisal,
    can_view_appraisal_sheet,
    can_view_history,
    can_view_minutes,
)
from ..services import WorkflowError, adjustments
from ..services import appraisal as services
from ..services.self_assessment import ConflictError
from .shared import act, get_assessment, is_partial, optional_date, refusal

Status = Assessment.Status


def _appraiser_assessment(request, period, commune) -> Assessment:
    """The assessment for an appraiser of its period (404 if not visible, 403 otherwise)."""
    assessment = get_assessment(request, period, commune)
    if not can_appraise(request.user, assessment):
        raise PermissionDenied
    return assessment


def _back(assessment, code: str = "") -> str:
    return assessment.get_absolute_url() + (f"#tc-{code}" if code else "")


def _user_name(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else ""


# --- the page -----------------------------------------------------------------------------


def _latest_items(rounds) -> dict[str, object]:
    """The latest round's item per criterion code (what the row shows as old → new)."""
    if not rounds:
        return {}
    return {item.code: item for item in rounds[-1].items}


def appraisal_page(request, assessment):
    """Per leaf: the commune's score, explanation and evidence beside the appraised score and
    note; field and overall totals, self vs appraised (the overall with the bonus/deduction
    points, as published); return rounds; the bonus/deduction points; the commune's TTHC
    figures for the period (context for the TTHC criteria); the actions."""
    refused = refusal(request, assessment, can_view_appraisal_sheet)
    if refused:
        return refused
    user = request.user
    sheet = with_last_year(selectors.assessment_sheet(assessment))
    rounds = services.review_rounds(assessment)
    latest = _latest_items(rounds)
    for row in sheet.leaf_rows():
        if row.score is not None:
            row.ap = LeafAppraisal(row.score, row.state, latest.get(row.criterion.code))
    adjusted = adjustments_of(assessment)
    field_totals, overall = appraisal_totals(
        ((row.state, row.score) for row in sheet.leaf_rows()),
        [adjustment.points for adjustment in adjusted],
    )
    for block in sheet.fields:
        block.ap = field_totals.get(block.criterion.pk)
    fields = [block.criterion for block in sheet.fields]
    editable = can_change_appraisal(user, assessment)
    return render(
        request,
        "scoring/appraisal.html",
        {
            "assessment": assessment,
            "period": assessment.period,
            "sheet": sheet,
            "overall": overall,
            "field_rows": _field_rows(fields, field_totals),
            "rounds": rounds,
            "editable": editable,
            "closed_reason": appraisal_closed_reason(assessment),
            "can_return": editable,
            "adjustments": [AdjustmentLine(adjustment) for adjustment in adjusted],
            "can_adjust": can_adjust(user, assessment),
            "procedure": selectors.procedure_figures(assessment),
            "disagreements": selectors.sent_disagreements(assessment),
            "can_answer": can_answer_reply(user, assessment),
            "is_assignee": assessment.assignee_id == user.pk,
            "assignee": _user_name(assessment.assignee),
            "submitted_on": rules.format_date(
                timezone.localtime(assessment.submitted_at).date() if assessment.submitted_at else None
            ),
            "statuses": Status,
        },
    )


def _field_rows(fields, field_totals):
    """(field criterion, FieldTotals) for the totals table; imported-only fields included."""
    return [(field, field_totals[field.pk]) for field in fields if field.pk in field_totals]


# --- saving one appraised score -----------------------------------------------------------


class AppraisalForm(forms.Form):
    """One criterion's appraised score and note, posted on its own with the score's version."""

    version = forms.IntegerField(min_value=1)
    appraised_score = forms.CharField(required=False, max_length=30)
    appraisal_note = forms.CharField(required=False, max_length=10000)
    confirm_not_applicable = forms.BooleanField(required=False)


def _score_answer(request, assessment, score, *, status=200, error="", conflict=None, mine=None):
    """Fragments for autosave.js: the row's state and message, its field's and the overall
    totals, the new version (after a save)."""
    adjusted = reread_for_totals(assessment)  # a first save claims it
    # The scores as plain values after the save (selectors.save_sheet: one query, no models).
    sheet = selectors.save_sheet(assessment, score.pk)
    current = sheet.score
    if current is None:
        raise Http404
    current.state = sheet.states[current.pk]
    field_totals, overall = appraisal_totals(
        ((sheet.states[pk], row) for pk, row in sheet.rows.items()), adjusted
    )
    field = current.criterion.field_id or current.criterion.pk
    context = {
        "assessment": assessment,
        "period": assessment.period,
        "score": current,
        "ap": LeafAppraisal(current, current.state),
        "field_id": field,
        "field_total": field_totals.get(field),
        "overall": overall,
        "field_rows": _field_rows(sheet.fields, field_totals),
        "saved": status == 200,
        "error": error,
        "conflict": conflict,
        "oob": True,
    }
    if conflict is not None:
        stored = conflict.current
        context["mine"] = mine
        context["theirs_score"] = rules.format_score(stored.appraised_score)
        context["conflict_by"] = _user_name(stored.updated_by)
        context["keep_mine"] = json.dumps(
            {
                "version": stored.version,
                "appraised_score": mine.get("appraised_score", ""),
                "appraisal_note": mine.get("appraisal_note", ""),
            }
        )
        context["take_theirs"] = json.dumps(
            {
                "version": stored.version,
                "appraised_score": rules.format_score(stored.appraised_score),
                "appraisal_note": stored.appraisal_note,
            }
        )
    return render(request, "scoring/_appraisal_response.html", context, status=status)


@require_POST
@login_required
def save_appraisal(request, period, commune, score):
    """Save one criterion's appraised score and note (no reload; version checked; audited).

    Its fragments carry the self totals: a draft is refused before anything is read."""
    assessment = _appraiser_assessment(request, period, commune)
    if not can_view_appraisal_sheet(request.user, assessment):
        raise PermissionDenied
    found = assessment.scores.select_related("criterion").filter(pk=score).first()
    if found is None:
        raise Http404
    partial = is_partial(request)
    form = AppraisalForm(request.POST)
    code = found.criterion.code

    def refused(message, status):
        if not partial:
            messages.error(request, message)
            return redirect(_back(assessment, code))
        return _score_answer(request, assessment, found, status=status, error=message)

    if not form.is_valid():
        return refused("Dữ liệu gửi lên không hợp lệ; hãy tải lại trang.", 400)
    data = form.cleaned_data
    try:
        services.appraise_score(
            found,
            value=data["appraised_score"],
            note=data["appraisal_note"],
            version=data["version"],
            by=request.user,
            confirm_not_applicable=data["confirm_not_applicable"],
        )
    except ConflictError as conflict:
        if not partial:
            messages.error(request, str(conflict))
            return redirect(_back(assessment, code))
        return _score_answer(
            request, assessment, found, status=409, conflict=conflict, mine=request.POST
        )
    except WorkflowError as error:
        closed = appraisal_closed_reason(assessment)
        return refused(str(error), 403 if closed else 422)
    if not partial:
        messages.success(request, f"Đã lưu điểm thẩm định tiêu chí {code}.")
        return redirect(_back(assessment, code))
    return _score_answer(request, assessment, found)


# --- workflow actions ---------------------------------------------------------------------


def _act(request, assessment, success: str, service, *args, **kwargs):
    """Run `service(*args, **kwargs)` as the user; say what happened or why not (shared.act);
    back to the page."""
    return act(request, _back(assessment), success, service, *args, by=request.user, **kwargs)


@require_POST
@login_required
def claim(request, period, commune):
    assessment = _appraiser_assessment(request, period, commune)
    success = "Bạn đang thẩm định hồ sơ này."
    return _act(request, assessment, success, services.start_review, assessment)


@require_POST
@login_required
def open_not_submitted(request, period, commune):
    """After the deadline, open a commune that did not submit to appraise it ("không nộp hồ
    sơ"); the appraisers of the period's unit only (another unit's: 404, anyone else: 403)."""
    assessment = _appraiser_assessment(request, period, commune)
    success = (
        f"Đã mở hồ sơ của {assessment.commune.name} để thẩm định (không nộp hồ sơ): tiêu chí "
        "không được chấm tính 0 điểm khi hoàn thành thẩm định."
    )
    return _act(
        request, assessment, success, services.open_not_submitted, assessment,
        reason=request.POST.get("reason", ""),
    )


@require_POST
@login_required
def accept_self(request, period, commune):
    assessment = _appraiser_assessment(request, period, commune)
    success = "Đã lấy điểm tự chấm làm điểm thẩm định cho {result} tiêu chí chưa thẩm định."
    return _act(request, assessment, success, services.accept_self_scores, assessment)


@require_POST
@login_required
def return_criteria(request, period, commune):
    """Return the assessment with a request for each selected criterion."""
    assessment = _appraiser_assessment(request, period, commune)
    requests = {}
    for pk in request.POST.getlist("return"):
        if pk.isdigit():
            requests[int(pk)] = request.POST.get(f"request-{pk}", "")
    success = (
        f"Đã trả lại {len(requests)} tiêu chí để {assessment.commune.name} bổ sung "
        "(lần {result})."
    )
    return _act(request, assessment, success, services.return_criteria, assessment, requests)


@require_POST
@login_required
def mark_appraised(request, period, commune):
    assessment = _appraiser_assessment(request, period, commune)
    success = "Đã hoàn thành thẩm định hồ sơ."
    return _act(request, assessment, success, services.mark_appraised, assessment)


@require_POST
@login_required
def reopen(request, period, commune):
    assessment = _appraiser_assessment(request, period, commune)
    reason = request.POST.get("reason", "")

    def reopen_until(**kwargs):  # a date that does not read refuses before anything is saved
        until = optional_date(request.POST.get("until", ""))
        return services.reopen_assessment(assessment, reason=reason, until=until, **kwargs)

    return act(
        request, _back(assessment), "Đã mở lại hồ sơ.", reopen_until, by=request.user,
        errors=(WorkflowError, rules.RuleError),
    )


@require_POST
@login_required
def lock(request, period, commune):
    assessment = _appraiser_assessment(request, period, commune)
    locking = request.POST.get("action") != "unlock"
    success = "Đã khóa hồ sơ." if locking else "Đã mở khóa hồ sơ."
    reason = request.POST.get("reason", "")
    return _act(
        request, assessment, success, services.set_locked, [assessment], locking, reason=reason
    )


# --- bonus and deduction points (điểm thưởng, điểm trừ) ----------------------------------


@require_POST
@login_required
def add_adjustment(request, period, commune):
    assessment = _appraiser_assessment(request, period, commune)
    return _act(
        request, assessment, "Đã ghi điểm thưởng, điểm trừ.", adjustments.add_adjustment,
        assessment, request.POST.get("points", ""), request.POST.get("reason", ""),
    )


@require_POST
@login_required
def delete_adjustment(request, period, commune, adjustment):
    assessment = _appraiser_assessment(request, period, commune)
    found = get_object_or_404(assessment.adjustments, pk=adjustment)
    return _act(
        request, assessment, "Đã xóa khoản điểm thưởng, điểm trừ.",
        adjustments.delete_adjustment, found, reason=request.POST.get("reason", ""),
    )


# --- the minutes (biên bản thẩm định) -----------------------------------------------------


@login_required
def minutes(request, period, commune):
    """The appraisal minutes as PDF: per criterion self score, appraised score and reason;
    totals; the team and the date; the national heading."""
    assessment = get_assessment(request, period, commune)
    if not can_view_minutes(request.user, assessment):
        raise PermissionDenied
    context = minutes_context(assessment)
    pdf = render_pdf("scoring/minutes.html", context)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"bien-ban-tham-dinh-{assessment.period.code}-{assessment.commune.code}.pdf"
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


def minutes_context(assessment) -> dict:
    """What the minutes print: rows in tree order with formatted scores, totals, the team."""
    sheet = selectors.assessment_sheet(assessment)
    adjusted = adjustments_of(assessment)
    field_totals, overall = appraisal_totals(
        ((row.state, row.score) for row in sheet.leaf_rows()),
        [adjustment.points for adjustment in adjusted],
    )
    lines = []
    for block in sheet.fields:
        totals = field_totals.get(block.criterion.pk)
        for row in block.rows:
            if row.is_leaf:
                if row.score is None:
                    continue
                ap = LeafAppraisal(row.score, row.state)
                lines.append(
                    {
                        "kind": "leaf",
                        "criterion": row.criterion,
                        "max": row.max_text,
                        "self": "KAD" if row.state.claimed_na else ap.self_text,
                        "appraised": ap.appraised_text,
                        "reason": row.score.appraisal_note,
                        "source": ap.source,
                        "differs": ap.differs,
                    }
                )
            else:
                is_field = row.criterion.parent_id is None
                lines.append(
                    {
                        "kind": "field" if is_field else "group",
                        "criterion": row.criterion,
                        "max": row.max_text,
                        "self": totals.self_text if is_field and totals else "",
                        "appraised": totals.appraised_text if is_field and totals else "",
                    }
                )
    team_ids = (
        assessment.audit_events.filter(
            action__in=[
                "appraised_score", "review_started", "returned", "appraised", "reply_answered"
            ]
        )
        .exclude(user=None)
        .values_list("user_id", flat=True)
        .distinct()
    )
    team = [
        _user_name(user)
        for user in get_user_model().objects.filter(pk__in=list(team_ids)).order_by(
            "last_name", "first_name", "username"
        )
    ]
    when = assessment.appraised_at or timezone.now()
    return {
        "assessment": assessment,
        "period": assessment.period,
        "lines": lines,
        "overall": overall,
        "adjustments": [AdjustmentLine(adjustment) for adjustment in adjusted],
        "team": team,
        "date": rules.format_date(timezone.localtime(when).date()),
        "place_date": selectors.document_place_date(
            assessment.period.unit, timezone.localtime(when).date()
        ),
        "final": assessment.status in (Status.APPRAISED, Status.PUBLISHED),
        "replies": selectors.sent_disagreements(assessment),
        "reply_rounds": assessment.reply_round,
    }


# --- audit history ------------------------------------------------------------------------

@login_required
def history(request, period, commune):
    """Every audit event of the assessment, newest first, filterable by action, criterion and
    user (the appraising unit only)."""
    assessment = get_assessment(request, period, commune)
    refused = refusal(request, assessment, can_view_history)
    if refused:
        return refused
    events = selectors.events_for_commune(assessment, everything=True)
    action = request.GET.get("action", "")
    criterion = request.GET.get("criterion", "")
    user = request.GET.get("user", "")
    if action:
        events = events.filter(action=action)
    if criterion:
        events = events.filter(criterion__code=criterion)
    if user.isdigit():
        events = events.filter(user_id=int(user))
    page = Paginator(events, 100).get_page(request.GET.get("page"))
    everything = assessment.audit_events
    actions = sorted(set(everything.values_list("action", flat=True)))
    users = get_user_model().objects.filter(
        pk__in=everything.exclude(user=None).values("user_id")
    ).order_by("username")
    criteria = assessment.period.criteria_set.criteria.filter(
        pk__in=everything.exclude(criterion=None).values("criterion_id")
    ).order_by("position")
    query = "&".join(
        f"{key}={value}" for key, value in (("action", action), ("criterion", criterion), ("user", user)) if value
    )
    return render(
        request,
        "scoring/history.html",
        {
            "assessment": assessment,
            "period": assessment.period,
            "page": page,
            "lines": [selectors.EventLine(event) for event in page.object_list],
            "actions": [(value, label_of(AuditAction, value)) for value in actions],
            "users": [(u.pk, _user_name(u)) for u in users],
            "criteria": criteria,
            "filters": {"action": action, "criterion": criterion, "user": user},
            "query": query,
        },
    )
