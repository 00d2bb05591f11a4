"""The publish page /periods/<period>/publish/ (design.md §1 step 5, §4): the appraising unit
sees whether every commune is appraised, publishes the results with the decision (số quyết
định, ngày), naming the communes left out with a reason, and reopens a published period for
correction, after which the same page publishes version N+1 with a reason.

Appraisers of the period's unit act (scoring.permissions.can_manage_period); another district
gets 404 through visible_periods, everyone else 403. The rules (who is ready, what a version
needs) stay in scoring.services.publishing; this page only shows them and reports refusals.

The ranking PDF is not rendered in the request (≈ 5 s for a 170-commune ranking): the
results page renders and stores it on its first download (reports.pdf.stored_ranking_pdf).
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ..models import Assessment
from ..permissions import can_manage_period
from ..selectors import latest_publication, publication_info
from ..services import WorkflowError
from ..services.publishing import READY, publish_period, reopen_for_correction
from .period import get_period

Status = Assessment.Status


class PublishForm(forms.Form):
    decision = forms.CharField(label="Số quyết định", max_length=100, required=False)
    decision_date = forms.DateField(
        label="Ngày quyết định",
        required=False,
        input_formats=["%d/%m/%Y"],
        error_messages={"invalid": "Ngày quyết định phải có dạng dd/mm/yyyy."},
    )
    reason = forms.CharField(label="Lý do điều chỉnh", max_length=5000, required=False)


@dataclass(frozen=True)
class Readiness:
    """How many assessments may be published, and the ones that may not (with their commune)."""

    total: int
    ready: int
    waiting: list[Assessment]


def readiness(period) -> Readiness:
    """Two queries whatever the number of communes: the count, the ones waiting."""
    total = Assessment.objects.filter(period=period).count()
    waiting = list(
        Assessment.objects.filter(period=period)
        .exclude(status__in=READY)
        .select_related("commune")
        .order_by("commune__code")
    )
    return Readiness(total=total, ready=total - len(waiting), waiting=waiting)


def _exclusions(post, waiting) -> dict[str, str]:
    """commune code → reason for the communes ticked "không xếp hạng" (only waiting ones)."""
    ticked = set(post.getlist("exclude"))
    return {
        a.commune.code: post.get(f"exclude_reason_{a.commune.code}", "")
        for a in waiting
        if a.commune.code in ticked
    }


@require_http_methods(["GET", "POST"])
@login_required
def publish(request, period):
    """GET: readiness and the form. POST action=publish|reopen calls the service; a refusal
    (WorkflowError) is shown on the page with the values typed, and nothing is saved."""
    period = get_period(request, period, may=can_manage_period)
    form = PublishForm(request.POST or None)
    error = ""
    exclusions: dict[str, str] = {}
    state = readiness(period)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if action == "reopen":
        try:
            reason = request.POST.get("reopen_reason", "")
            reopen_for_correction(period, by=request.user, reason=reason)
        except WorkflowError as refusal:
            error = str(refusal)
        else:
            messages.success(
                request,
                "Đã mở lại kỳ đánh giá để điều chỉnh. "
                "Sau khi sửa điểm, công bố lần mới tại trang này.",
            )
            return redirect("scoring:publish", period.code)
    elif action == "publish":  # publish_period refuses a published period (reopen first)
        exclusions = _exclusions(request.POST, state.waiting)
        if form.is_valid():
            data = form.cleaned_data
            try:
                publication = publish_period(
                    period,
                    by=request.user,
                    decision=data["decision"],
                    decision_date=data["decision_date"],
                    reason=data["reason"],
                    exclusions=exclusions,
                )
            except WorkflowError as refusal:
                error = str(refusal)
            else:
                number = publication.decision
                decision = f" (Quyết định số {number})" if number else ""
                messages.success(
                    request, f"Đã công bố kết quả lần {publication.version}{decision}."
                )
                return redirect("reports:results", period.code)
    elif request.method == "POST":
        error = "Chọn thao tác: công bố kết quả hoặc mở lại để điều chỉnh."
    latest = latest_publication(period)
    failed = request.method == "POST"
    return render(
        request,
        "scoring/publish.html",
        {
            "period": period,
            "form": form,
            "error": error,
            "readiness": state,
            "waiting": [
                (a, a.commune.code in exclusions, exclusions.get(a.commune.code, ""))
                for a in state.waiting
            ],
            "latest": publication_info(latest) if latest else None,
            "next_version": (latest.version + 1) if latest else 1,
            "reopen_reason": request.POST.get("reopen_reason", "") if failed else "",
        },
        status=422 if failed else 200,
    )
