"""The publish page /periods/<period>/publish/ (docs/design.md §1 step 5, §4; issues 6 and 12): the
appraising unit sees the period's stage and whether every commune is ready, the ranking
exactly as it will be printed, names the communes left out with a reason, and publishes with
the decision (số quyết định, ngày) after typing the decision number again to confirm; a
published period is reopened for correction here, after which the same page publishes
version N+1 with a reason.

The preview is publishing itself, rolled back (scoring.services.publishing.preview_publication):
the same rules refuse it, the same computation ranks, and the same template as the ranking PDF
(reports/_ranking_tables.html) prints it. Appraisers and leaders of the period's unit act
(scoring.permissions.can_publish); another district gets 404 through visible_periods, everyone
else 403. The rules stay in the publish service; this page only shows them and reports
refusals.

Once the publication commits, a job (reports.tasks.start_rendering) renders and stores the
ranking PDF and every commune report: in a Celery worker when CELERY_BROKER_URL is set, else
in-process before the redirect.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from scoring.models import Assessment
from scoring.permissions import can_publish
from scoring.selectors import latest_publication, period_stage, publication_info
from scoring.services import WorkflowError
from scoring.services.publishing import (
    READY,
    preview_publication,
    publish_period,
    reopen_for_correction,
)
from scoring.views.period import get_period

from .selectors import ranking
from .tasks import start_rendering

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
    confirm_decision = forms.CharField(max_length=100, required=False)

    def confirmation_error(self) -> str:
        """Publishing from the page needs the decision number, typed again identically."""
        decision = (self.cleaned_data.get("decision") or "").strip()
        typed = (self.cleaned_data.get("confirm_decision") or "").strip()
        if not decision:
            return "Nhập số quyết định công bố kết quả."
        if typed != decision:
            return (
                f"Để xác nhận công bố, hãy gõ lại đúng số quyết định “{decision}” vào ô xác nhận."
            )
        return ""


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


def _preview(period, user, data, exclusions):
    """(the ranking as publishing would print it, "") or (None, why publishing refuses)."""
    try:
        return (
            preview_publication(
                period,
                _read_ranking,
                by=user,
                decision=data.get("decision") or "",
                decision_date=data.get("decision_date"),
                reason=data.get("reason") or "",
                exclusions=exclusions,
            ),
            "",
        )
    except WorkflowError as refusal:
        return None, str(refusal)


def _read_ranking(publication):
    table = ranking(publication)
    for row in table.rows:  # read now: the rows are rolled back after this
        row.commune  # noqa: B018
    return table


@require_http_methods(["GET", "POST"])
@login_required
def publish(request, period):
    """GET: stage, readiness, the preview and the form. POST action=preview shows the preview
    with the values typed; action=publish checks the typed decision number and calls the
    service; action=reopen reopens for correction. A refusal (WorkflowError) is shown on the
    page with the values typed, and nothing is saved."""
    period = get_period(request, period, may=can_publish)
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
            return redirect("reports:publish", period.code)
    elif action == "publish":  # publish_period refuses a published period (reopen first)
        exclusions = _exclusions(request.POST, state.waiting)
        if form.is_valid():
            error = form.confirmation_error()
        if form.is_valid() and not error:
            data = form.cleaned_data
            try:
                publication = publish_period(
                    period,
                    by=request.user,
                    decision=data["decision"],
                    decision_date=data["decision_date"],
                    reason=data["reason"],
                    exclusions=exclusions,
                    after_commit=lambda p: start_rendering(p, by=request.user),
                )
            except WorkflowError as refusal:
                error = str(refusal)
            else:
                messages.success(
                    request,
                    f"Đã công bố kết quả lần {publication.version} "
                    f"(Quyết định số {publication.decision}).",
                )
                return redirect("reports:results", period.code)
    elif action == "preview":
        exclusions = _exclusions(request.POST, state.waiting)
    elif request.method == "POST":
        error = "Chọn thao tác: xem trước, công bố kết quả hoặc mở lại để điều chỉnh."
    preview, refused = None, ""
    if not period.is_published:
        data = form.cleaned_data if form.is_bound and form.is_valid() else {}
        preview, refused = _preview(period, request.user, data, exclusions)
    latest = latest_publication(period)
    failed = request.method == "POST" and action != "preview"
    return render(
        request,
        "scoring/publish.html",
        {
            "period": period,
            "stage": period_stage(period),
            "form": form,
            "error": error,
            "readiness": state,
            "waiting": [
                (a, a.commune.code in exclusions, exclusions.get(a.commune.code, ""))
                for a in state.waiting
            ],
            "preview": preview,
            "refused": refused,
            "latest": publication_info(latest) if latest else None,
            "next_version": (latest.version + 1) if latest else 1,
            "reopen_reason": request.POST.get("reopen_reason", "") if failed else "",
        },
        status=422 if failed else 200,
    )
