"""The period table (docs/design.md §7 ◆ /periods/<period>/): every commune of the period for the
appraising unit, its CSV download, the bulk lock/reopen actions and the survey import page.

Appraisers of the period's unit act; its leaders read only.
"""

import csv
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from jobs.imports import runs_as_job, start_import
from tabular import ImportFailed, RowError, read_table
from tabular.blank import SKIPPED_NOTE, blank_file
from tabular.cells import csv_row
from tabular.web import PREVIEW_ROWS, held, hold, preview, release

from .. import rules
from ..models import Assessment, Period
from ..overview import period_table
from ..permissions import (
    can_manage_period,
    can_publish,
    can_view_period_overview,
    visible_periods,
)
from ..selectors import period_stage
from ..services import WorkflowError
from ..services.appraisal import reopen_assessments, set_locked
from ..services.replies import announce_provisional
from ..services.survey_import import OPTIONAL, REQUIRED, import_survey
from ..tasks import import_survey_file
from .shared import act, optional_date

Status = Assessment.Status


def get_period(request, code, *, may=can_view_period_overview) -> Period:
    """The period if the user may see it (404 otherwise) and `may(user, period)`: read its
    table by default, or e.g. can_manage_period to act on it (403 otherwise)."""
    period = get_object_or_404(
        visible_periods(request.user).select_related("unit__parent__parent"), code=code
    )
    if not may(request.user, period):
        raise PermissionDenied
    return period


def _filters(request) -> dict[str, str]:
    status = request.GET.get("status", "")
    return {
        "status": status if status in Status.values else "",
        "district": request.GET.get("district", "").strip()[:20],
    }


@login_required
def overview(request, period):
    """Progress of every commune: status, dates, totals, returns, who works on it."""
    period = get_period(request, period)
    filters = _filters(request)
    table = period_table(period, **filters)
    query = "&".join(f"{key}={value}" for key, value in filters.items() if value)
    return render(
        request,
        "scoring/period.html",
        {
            "period": period,
            "table": table,
            "filters": filters,
            "query": query,
            "can_manage": can_manage_period(request.user, period),
            "can_publish": can_publish(request.user, period),
            "stage": period_stage(period),
            "appraised_count": dict((v, n) for v, _l, n in table.counts).get(Status.APPRAISED, 0),
            "due": rules.format_date(period.self_assessment_due),
            "appraisal_due": rules.format_date(period.appraisal_due),
            "reopen_default": rules.format_date(
                timezone.localdate() + datetime.timedelta(days=7)
            ),
        },
    )


CSV_HEADER = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Đơn vị cấp trên",
    "Trạng thái",
    "Ngày nộp",
    "Số ngày quá hạn",
    "Tổng điểm tự chấm",
    "Tổng điểm thẩm định",
    "Số tiêu chí đã thẩm định",
    "Số tiêu chí",
    "Số tiêu chí trả lại",
    "Số lần trả lại",
    "Người thẩm định",
    "Khóa",
]


def _plain(value) -> str:
    """A number for files: "." decimal, no trailing zeros, the same on SQLite and PostgreSQL."""
    return rules.format_score(value).replace(",", ".")


@login_required
def export_csv(request, period):
    """The table as filtered, for Excel (UTF-8 with BOM; "." decimals, dd/mm/yyyy dates)."""
    period = get_period(request, period)
    table = period_table(period, **_filters(request))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tien-do-{period.code}.csv"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(CSV_HEADER)
    for row in table.rows:
        a = row.assessment
        writer.writerow(
            csv_row(  # a name like "=HYPERLINK(…)" stays text; numbers stay numbers
                [
                    a.commune.code,
                    a.commune.name,
                    row.district,
                    a.get_status_display() + (" (không nộp hồ sơ)" if a.not_submitted else ""),
                    row.submitted_text,
                    row.overdue or "",
                    _plain(row.self_total),
                    _plain(row.appraised_total) if row.appraised else "",
                    row.appraised,
                    row.leaves,
                    row.returned,
                    row.rounds,
                    row.assignee,
                    "có" if a.locked else "",
                ]
            )
        )
    return response


@require_POST
@login_required
def bulk(request, period):
    """Lock, unlock or reopen the selected communes, with a reason (all or none; audited)."""
    period = get_period(request, period, may=can_manage_period)
    back = reverse("scoring:period", args=[period.code])
    if request.POST.get("query"):
        back += "?" + request.POST["query"]
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()]
    assessments = list(
        Assessment.objects.filter(period=period, pk__in=ids).select_related("commune")
    )
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    if not assessments:
        messages.error(request, "Chưa chọn đơn vị nào.")
        return redirect(back)
    by = request.user
    actions = {
        "lock": (
            "Đã khóa {result} hồ sơ.", lambda: set_locked(assessments, True, reason=reason, by=by)
        ),
        "unlock": (
            "Đã mở khóa {result} hồ sơ.",
            lambda: set_locked(assessments, False, reason=reason, by=by),
        ),
        "announce": (
            "Đã thông báo kết quả thẩm định dự kiến cho {result} đơn vị.",
            lambda: announce_provisional(
                period, by=by, communes=[a.commune.code for a in assessments]
            ),
        ),
        "reopen": (
            "Đã mở lại {result} hồ sơ.",
            lambda: reopen_assessments(
                assessments, reason=reason, by=by,
                until=optional_date(request.POST.get("until", "")),
            ),
        ),
    }
    if action not in actions:
        messages.error(request, "Chọn thao tác: khóa, mở khóa hoặc mở lại.")
        return redirect(back)
    success, run = actions[action]
    return act(request, back, success, run, errors=(WorkflowError, rules.RuleError))


@require_http_methods(["GET", "POST"])
@login_required
def survey(request, period):
    """Import survey, SIPAS and computed criteria from a file (the ◆ import_survey command):
    its first rows previewed on request (the file held in the session until imported), a file
    over IMPORT_JOB_KB imported by a job (its progress page ends with the summary or errors)."""
    period = get_period(request, period, may=can_manage_period)
    errors, preview_ = [], None
    held_key = f"survey-file-{period.code}"  # the previewed file, kept until imported
    as_percent = bool(request.POST.get("as_percent"))
    if request.method == "POST":
        action = request.POST.get("action", "import")
        upload = request.FILES.get("file")
        try:
            if action == "import_previewed":
                upload = held(request.session, held_key)
            if upload is None:
                raise ImportFailed(RowError(None, None, "Chưa chọn tệp."))
            if action == "preview":
                preview_ = preview(upload, required=REQUIRED, optional=OPTIONAL)
                hold(request.session, held_key, upload)
            elif runs_as_job(upload):
                job = start_import(
                    import_survey_file,
                    upload,
                    title=f"Nhập số liệu khảo sát kỳ {period.code} từ tệp “{upload.name}”",
                    by=request.user,
                    unit=period.unit,
                    back_url=reverse("scoring:survey", args=[period.code]),
                    args=(period.pk, as_percent, request.user.pk),
                )
                release(request.session, held_key)
                return redirect("jobs:job", job.pk)
            else:
                table = read_table(upload, upload.name, required=REQUIRED, optional=OPTIONAL)
                result = import_survey(table, period=period, as_percent=as_percent, by=request.user)
                release(request.session, held_key)
                messages.success(request, result.summary())
                return redirect("scoring:survey", period.code)
        except ImportFailed as failure:
            errors = failure.lines()  # the first 200, then how many more
    imported = _imported_criteria(period)
    return render(
        request,
        "scoring/appraisal_survey.html",
        {
            "period": period,
            "errors": errors,
            "preview": preview_,
            "as_percent": as_percent,
            "preview_rows": PREVIEW_ROWS,
            "imported": imported,
            "columns": REQUIRED + OPTIONAL,
        },
        status=422 if errors else 200,
    )


def _imported_criteria(period):
    return [
        (criterion, rules.format_score(criterion.max_points))
        for criterion in period.criteria_set.criteria.leaves().exclude(method="self_assessed")
    ]


def _survey_help(period) -> list[str]:
    """The template's help rows (skipped by the importer): what each column holds."""
    imported = ", ".join(f"{c.code} (tối đa {max_text} điểm)" for c, max_text in _imported_criteria(period))
    return [
        SKIPPED_NOTE,
        "commune_code: mã đơn vị cấp xã; criterion_code: mã tiêu chí; value: điểm "
        "(hoặc tỷ lệ % khi chọn “Cột value là tỷ lệ %”), dấu thập phân “,” hoặc “.”; "
        "sample_size: cỡ mẫu (không bắt buộc).",
        f"Tiêu chí nhập từ tệp của kỳ {period.code}: {imported or '(không có)'}.",
    ]


@login_required
def survey_template(request, period, extension):
    """The survey import's blank template (CSV or XLSX): the ◆ columns and help rows."""
    period = get_period(request, period, may=can_manage_period)
    columns, help_lines = REQUIRED + OPTIONAL, _survey_help(period)
    body, kind = blank_file(extension, columns, help_lines, title="Khảo sát")
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="mau-khao-sat-{period.code}.{extension}"'
    return response


def survey_template_csv(request, period):
    return survey_template(request, period, "csv")


def survey_template_xlsx(request, period):
    return survey_template(request, period, "xlsx")
