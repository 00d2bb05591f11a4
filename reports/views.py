"""Published results (docs/design.md §7 ◆ URLs): the ranking page and its downloads, a commune's
report, and the appraising unit's "tiêu chí dễ mất điểm".

Every view fetches through scoring/permissions.py: a period outside the user's scope, an
unpublished period, an unknown version or another commune's report → 404; a wrong role → 403.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from jobs.services import in_background, job_for
from scoring.permissions import (
    can_read_all_reports,
    can_read_lost_points,
    can_read_results,
    visible_periods,
    visible_results,
)
from scoring.selectors import published_publication

from . import archive, pdf, tasks
from .excel import ranking_xlsx
from .exports import results_csv
from .selectors import lost_points, ranking

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _requested_version(request) -> int | None:
    raw = request.GET.get("version", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise Http404("Không có lần công bố này.")
    return int(raw)


def _publication(request, code):
    """The requested publication version of a period the user may read."""
    publication = published_publication(
        visible_periods(request.user), code, _requested_version(request)
    )
    if publication is None:
        raise Http404("Chưa có kết quả công bố của kỳ đánh giá này.")
    if not can_read_results(request.user, publication.period):
        raise PermissionDenied
    return publication


def _download(content, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def _file_stem(publication) -> str:
    return f"xep-hang-{publication.period.code}-lan-{publication.version}"


@require_GET
@login_required
def results(request, period):
    """The published ranking: sortable table, counts per classification, chart, downloads."""
    publication = _publication(request, period)
    table = ranking(publication)
    period = publication.period
    reportable = set(
        visible_results(request.user, publication).values_list("commune_id", flat=True)
    )
    version_query = f"?version={publication.version}" if table.info.superseded else ""
    return render(
        request,
        "reports/results.html",
        {
            "period": period,
            "ranking": table,
            "reportable": reportable,
            "can_read_lost_points": can_read_lost_points(request.user, period),
            "can_read_all_reports": can_read_all_reports(request.user, period),
            "correcting": not period.is_published,
            "version_query": version_query,
            "versions": range(table.info.latest_version, 0, -1),
        },
    )


@require_GET
@login_required
def results_pdf(request, period):
    """The ranking PDF, rendered once per publication version (by a worker when there are
    workers) and then served from storage."""
    publication = _publication(request, period)
    if not in_background():
        # Without workers it is rendered and stored here, as the job would do it.
        stored = pdf.stored_ranking_pdf(publication)
    elif pdf.has_stored_ranking_pdf(publication):
        stored = publication.ranking_pdf
    else:
        # Not stored yet (its publication's job is still at it, or it failed): a worker
        # renders it (a national ranking takes ~40 s) while the job page shows progress, then
        # comes back here.
        job = job_for(
            request.user, tasks.ranking_key(publication),
            lambda: tasks.start_ranking(publication, by=request.user),
        )
        return redirect("jobs:job", job=job.pk)
    if stored is None:
        content = pdf.ranking_pdf(publication)
        return _download(content, f"{_file_stem(publication)}.pdf", "application/pdf")
    return FileResponse(
        stored.open("rb"),
        as_attachment=True,
        filename=f"{_file_stem(publication)}.pdf",
        content_type="application/pdf",
    )


@require_GET
@login_required
def results_xlsx(request, period):
    publication = _publication(request, period)
    return _download(ranking_xlsx(publication), f"{_file_stem(publication)}.xlsx", XLSX)


@require_GET
@login_required
def results_csv_download(request, period):
    publication = _publication(request, period)
    return _download(
        results_csv(publication), f"{_file_stem(publication)}.csv", "text/csv; charset=utf-8"
    )


@require_GET
@login_required
def commune_report(request, period, commune):
    """One commune's report (PDF): its own officers, and the appraising unit.

    _publication checked can_read_results; visible_results keeps the communes in scope."""
    publication = _publication(request, period)
    result = get_object_or_404(
        visible_results(request.user, publication).select_related("commune"), commune__code=commune
    )
    result.publication = publication
    filename = pdf.report_filename(publication, result.commune.code)
    stored = pdf.stored_commune_report(result)
    if stored is None:
        return _download(pdf.commune_report_pdf(result), filename, "application/pdf")
    with stored.open("rb") as file:  # a report is tens of kilobytes
        return _download(file.read(), filename, "application/pdf")


@require_GET
@login_required
def reports_zip(request, period):
    """Every commune report + the ranking PDF + the XLSX of a version in one ZIP, built once by
    a job: served from storage once built; until then the job's page shows its progress and
    comes back here when it is done."""
    publication = _publication(request, period)
    if not can_read_all_reports(request.user, publication.period):
        raise PermissionDenied
    built = archive.built_archive(publication)
    if built is not None:
        return FileResponse(
            built.result.open("rb"),
            as_attachment=True,
            filename=archive.archive_filename(publication),
            content_type="application/zip",
        )
    job = job_for(
        request.user, archive.archive_key(publication),
        lambda: tasks.start_archive(publication, by=request.user),
    )
    return redirect("jobs:job", job=job.pk)


@require_GET
@login_required
def lost_points_view(request, period):
    """ "Tiêu chí dễ mất điểm": criteria by the points communes lost on them."""
    period = get_object_or_404(visible_periods(request.user), code=period)
    if not can_read_lost_points(request.user, period):
        raise PermissionDenied
    items = lost_points(period)
    has_previous = any(item.previous_text for item in items)
    return render(
        request,
        "reports/lost_points.html",
        {"period": period, "items": items, "has_previous": has_previous},
    )
