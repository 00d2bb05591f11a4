"""The reply round (issue 12, docs/design.md §4) on the web: the reply deadline and the
announcement on the period page; the commune's own page once provisional results are announced
or the results published (appraised score beside self score, notes, the reply per criterion);
the appraisal team's answers.

Every view fetches through visible_* (another commune → 404), then asks
scoring/permissions.py (wrong role → 403), then calls one service.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from .. import rules, selectors
from ..models import Assessment, Reply
from ..overview import LeafAppraisal, adjustments_of, appraisal_totals
from ..permissions import (
    can_announce,
    can_answer_reply,
    can_reply,
    is_officer_of,
    reply_closed_reason,
)
from ..services import WorkflowError
from ..services import replies as services
from .period import get_period
from .shared import act, criterion_url, get_assessment, optional_date

Status = Assessment.Status


# --- the period page's actions ------------------------------------------------------------


@require_POST
@login_required
def set_reply_due(request, period):
    """Set or clear the reply deadline (dd/mm/yyyy; empty clears it)."""
    period = get_period(request, period, may=can_announce)
    raw = request.POST.get("reply_due", "").strip()

    def set_due():
        due = optional_date(raw)
        services.set_reply_due(period, due, by=request.user)
        return due

    def said(due):
        return f"Đã đặt hạn phản hồi {rules.format_date(due)}." if due else "Đã bỏ hạn phản hồi."

    return act(request, period, said, set_due, errors=(WorkflowError, rules.RuleError))


@require_POST
@login_required
def announce(request, period):
    """Announce provisional results to every appraised commune, or to the codes posted."""
    period = get_period(request, period, may=can_announce)
    codes = request.POST.getlist("commune") or None
    return act(
        request, period, "Đã thông báo kết quả thẩm định dự kiến cho {result} đơn vị.",
        services.announce_provisional, period, by=request.user, communes=codes,
    )


# --- the commune's page -------------------------------------------------------------------


def commune_result_page(request, assessment, *, published):
    """The commune's own page once it may see its appraisal: provisional results (with its
    reply per criterion) or, after publication, its published result."""
    user = request.user
    sheet = selectors.assessment_sheet(assessment)
    replies = selectors.current_replies(assessment)
    may_reply = not published and can_reply(user, assessment)
    for row in sheet.leaf_rows():
        if row.score is not None:
            row.ap = LeafAppraisal(row.score, row.state)
            row.reply = replies.get(row.score.pk)
    field_totals, overall = appraisal_totals(
        ((row.state, row.score) for row in sheet.leaf_rows()),
        [adjustment.points for adjustment in adjustments_of(assessment)],
    )
    for block in sheet.fields:
        block.ap = field_totals.get(block.criterion.pk)
    result = selectors.published_result(assessment) if published else None
    return render(
        request,
        "scoring/commune_result.html",
        {
            "assessment": assessment,
            "period": assessment.period,
            "sheet": sheet,
            "overall": overall,
            "published": published,
            "result": result,
            "officer": is_officer_of(user, assessment),
            "may_reply": may_reply,
            "reply_closed": "" if published else reply_closed_reason(assessment),
            "round": services.current_round(assessment),
            "disagreements": sum(1 for r in replies.values() if r.disagrees),
            "statuses": Status,
        },
    )


class ReplyForm(forms.Form):
    version = forms.IntegerField(min_value=0)
    opinion = forms.ChoiceField(choices=[("agree", "Đồng ý"), ("disagree", "Không đồng ý")])
    explanation = forms.CharField(required=False, max_length=10000)


@require_POST
@login_required
def save_reply(request, period, commune, score):
    """Agree or disagree with one criterion's provisional result (not sent yet)."""
    assessment = get_assessment(request, period, commune)
    if not is_officer_of(request.user, assessment):
        raise PermissionDenied
    found = assessment.scores.select_related("criterion").filter(pk=score).first()
    if found is None:
        raise Http404
    found.assessment = assessment
    back = criterion_url(assessment, found.criterion.code)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Dữ liệu gửi lên không hợp lệ; hãy tải lại trang.")
        return redirect(back)
    data = form.cleaned_data
    return act(
        request, back, f"Đã lưu ý kiến về tiêu chí {found.criterion.code}.",
        services.save_reply, found,
        disagrees=data["opinion"] == "disagree",
        explanation=data["explanation"],
        version=data["version"],
        by=request.user,
    )


@require_POST
@login_required
def send_reply(request, period, commune):
    """Send the commune's reply for this round (once)."""
    assessment = get_assessment(request, period, commune)
    if not is_officer_of(request.user, assessment):
        raise PermissionDenied
    if not request.POST.get("confirm"):
        messages.error(request, "Hãy đánh dấu xác nhận trước khi gửi ý kiến.")
        return redirect(assessment)
    return act(
        request, assessment,
        lambda round_: f"Đã gửi ý kiến về kết quả thẩm định dự kiến (lần {round_.number}).",
        services.send_reply, assessment, by=request.user,
    )


# --- the team's answers -------------------------------------------------------------------


class AnswerForm(forms.Form):
    version = forms.IntegerField(min_value=1)
    answer = forms.ChoiceField(choices=[("accept", "Chấp nhận"), ("keep", "Giữ nguyên")])
    appraised_score = forms.CharField(required=False, max_length=30)
    note = forms.CharField(required=False, max_length=10000)


@require_POST
@login_required
def answer(request, period, commune, reply):
    """Answer one disagreement: accept (new appraised score, note) or keep (reason)."""
    assessment = get_assessment(request, period, commune)
    found = get_object_or_404(
        Reply.objects.select_related("score__criterion", "round"),
        pk=reply,
        score__assessment=assessment,
    )
    if not can_answer_reply(request.user, assessment):
        raise PermissionDenied
    back = criterion_url(assessment, found.score.criterion.code)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Hãy chọn chấp nhận hoặc giữ nguyên.")
        return redirect(back)
    data = form.cleaned_data
    return act(
        request, back, f"Đã trả lời ý kiến về tiêu chí {found.score.criterion.code}.",
        services.answer_reply, found,
        accept=data["answer"] == "accept",
        value=data["appraised_score"],
        note=data["note"],
        version=data["version"],
        by=request.user,
    )
