"""The published results as PDF (printing.render_pdf): the ranking (A4 landscape) and a
commune's report (A4 portrait).

Laying out a 170-row ranking takes seconds, so each publication version's ranking is
rendered once and kept in `Publication.ranking_pdf`, and each commune's report in
`Result.report_pdf`: by the job started after the publication commits (reports.tasks: several
worker processes share it, each claiming the next PDF nobody renders, `store_next_pdf`), or on
the first download when that job has not got there yet (`stored_ranking_pdf`,
`stored_commune_report`). Files go through the storage API only.
"""

from __future__ import annotations

import contextlib
import logging

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse

from printing import render_pdf
from scoring.models import FrozenError, Publication, Result

from .selectors import commune_report, ranking

logger = logging.getLogger(__name__)


def ranking_filename(publication) -> str:
    return f"xep-hang-{publication.period.code}-lan-{publication.version}.pdf"


def ranking_url(publication) -> str:
    """The ranking PDF's download (◆ results.pdf) of this version."""
    url = reverse("reports:results_pdf", args=[publication.period.code])
    return f"{url}?version={publication.version}"


def report_filename(publication, commune_code: str) -> str:
    """A commune's report as downloaded and inside reports.zip: with the commune's code."""
    return f"bao-cao-{publication.period.code}-{commune_code}-lan-{publication.version}.pdf"


def ranking_pdf(publication) -> bytes:
    """The ranking of one publication version (A4 landscape), as PDF bytes."""
    return render_pdf("reports/ranking_print.html", {"ranking": ranking(publication)})


def commune_report_pdf(result) -> bytes:
    """One commune's report (A4 portrait) from its published Result, as PDF bytes."""
    return render_pdf("reports/commune_report_print.html", {"report": commune_report(result)})


def has_stored_ranking_pdf(publication) -> bool:
    file = publication.ranking_pdf
    return bool(file.name) and file.storage.exists(file.name)


def store_ranking_pdf(publication: Publication) -> bool:
    """Render the publication's ranking PDF and store it on the publication, once.

    The publish command runs it after the commit (docs/design.md §10: slow side effects after the
    commit). Returns False, after logging, when rendering or storing fails: the publication
    itself stands, and the PDF is rendered on demand instead.
    """
    try:
        with _claiming():
            # Locked while rendering: a worker or request at it meanwhile is waited for, and
            # then finds it stored.
            publication = _locked(Publication.objects.select_related("period"), wait=True).get(
                pk=publication.pk
            )
            if publication.ranking_pdf:
                return True
            data = ranking_pdf(publication)
            name = f"{publication.period.code}-lan-{publication.version}-xep-hang.pdf"
            publication.ranking_pdf.save(name, ContentFile(data), save=False)
            publication.save(update_fields=["ranking_pdf"])
    except Exception:
        logger.exception("Không tạo được tệp PDF xếp hạng của lần công bố %s", publication.pk)
        return False
    return True


def stored_ranking_pdf(publication):
    """The publication's stored ranking PDF (a FieldFile), rendered and stored first when the
    publish step did not; None when it cannot be stored (the caller then renders it on the
    fly)."""
    if not has_stored_ranking_pdf(publication) and not publication.ranking_pdf.name:
        store_ranking_pdf(publication)
        stored = Publication.objects.values_list("ranking_pdf", flat=True).get(pk=publication.pk)
        publication.ranking_pdf.name = stored
    return publication.ranking_pdf if has_stored_ranking_pdf(publication) else None


def has_stored_report(result) -> bool:
    file = result.report_pdf
    return bool(file.name) and file.storage.exists(file.name)


def store_commune_report(result: Result) -> None:
    """Render the commune's report and store it on its result, once. Pass a Result with
    `publication__period` and `commune` loaded. Raises when rendering or storing fails."""
    if result.report_pdf.name:
        return
    with _claiming():
        # Locked while rendering (store_ranking_pdf): stored meanwhile → theirs is kept.
        stored = _locked(Result.objects.filter(pk=result.pk), wait=True).values_list(
            "report_pdf", flat=True
        ).get()
        if stored:
            result.report_pdf.name = stored
            return
        _render_report(result)


def _render_report(result: Result) -> None:
    data = commune_report_pdf(result)
    publication = result.publication
    name = f"{publication.period.code}-lan-{publication.version}-{result.commune.code}.pdf"
    result.report_pdf.save(name, ContentFile(data), save=False)
    try:
        result.save(update_fields=["report_pdf"])
    except FrozenError:  # stored meanwhile by another worker: keep theirs
        result.report_pdf.storage.delete(result.report_pdf.name)
        result.report_pdf.name = Result.objects.values_list("report_pdf", flat=True).get(
            pk=result.pk
        )


def stored_commune_report(result):
    """The commune's stored report (a FieldFile), rendered and stored first when the job has
    not got to it yet; None when it cannot be stored (the caller renders it on the fly)."""
    if not result.report_pdf.name:
        try:
            store_commune_report(result)
        except Exception:
            logger.exception("Không lưu được báo cáo PDF của kết quả %s", result.pk)
    return result.report_pdf if has_stored_report(result) else None


def publication_results(publication) -> list[Result]:
    """The publication's results in ranking order, each with its publication and commune."""
    results = list(
        publication.results.select_related("commune").order_by(*RANKING_ORDER)
    )
    for result in results:
        result.publication = publication
    return results


RANKING_ORDER = ("block", "rank", "commune__code")


def _claiming():
    """The transaction a claim (a row lock) lives in while its PDF renders, on PostgreSQL.
    SQLite has no row locks, and a read transaction held there for the seconds of a render
    would keep every writer waiting: nothing (it runs the parts one after another)."""
    if connection.features.has_select_for_update:
        return transaction.atomic()
    return contextlib.nullcontext()


def _locked(queryset, wait: bool):
    """`queryset` locked row by row for this transaction (PostgreSQL's FOR NO KEY UPDATE: rows
    referencing it may still be inserted): without `wait`, rows another transaction holds are
    skipped; with it, waited for and read again once free. SQLite has no row locks: it runs
    the parts one after another (no broker) and needs none."""
    return queryset.select_for_update(skip_locked=not wait, no_key=True, of=("self",))


def store_next_pdf(publication, *, wait: bool = False) -> bool:
    """Claim one PDF of the version that is neither stored nor being rendered by another
    worker (the ranking first, then the reports in ranking order), render and store it.

    The claim is a row lock held while rendering, in the transaction that stores the file's
    name: two workers never render the same PDF, and a worker that dies mid-way lets go of its
    row with its connection. With `wait`, a PDF another worker is rendering is waited for
    instead of skipped (then found stored). False when nothing is left to claim. Raises
    RuntimeError when the ranking cannot be stored."""
    with _claiming():
        unstored = Publication.objects.filter(pk=publication.pk, ranking_pdf="")
        if _locked(unstored, wait).values_list("pk", flat=True):
            if not store_ranking_pdf(publication):
                raise RuntimeError("ranking PDF not stored")
            return True
    with _claiming():
        result = (
            _locked(publication.results.filter(report_pdf=""), wait)
            .select_related("commune")
            .order_by(*RANKING_ORDER)
            .first()
        )
        if result is None:
            return False
        result.publication = publication
        store_commune_report(result)
        return True


def stored_count(publication) -> tuple[int, int]:
    """(PDFs of the version stored, all of them): its reports and its ranking."""
    counts = publication.results.aggregate(
        total=Count("pk"), stored=Count("pk", filter=~Q(report_pdf=""))
    )
    ranking_stored = Publication.objects.filter(pk=publication.pk).exclude(ranking_pdf="").exists()
    return counts["stored"] + ranking_stored, counts["total"] + 1


def store_pdfs(publication, report=lambda done, total: None, *, wait: bool = False, extra_steps=0):
    """Render and store, one by one, every PDF of the version nobody else is rendering,
    calling report(stored, total) after each (counted from what is stored, so several workers
    sharing the version report the same progress); with `wait`, then wait for the ones others
    are rendering. Returns (stored, total) once nothing is left to claim."""
    done, total = stored_count(publication)
    report(done, total + extra_steps)
    while store_next_pdf(publication) or (wait and store_next_pdf(publication, wait=True)):
        done, total = stored_count(publication)
        report(done, total + extra_steps)
    return stored_count(publication)


def store_publication_pdfs(publication, report=lambda done, total: None, extra_steps=0) -> list:
    """Every PDF of the version stored (rendered here unless another worker is at it: then
    waited for), calling report(done, total) as it goes; returns the results with their
    stored reports. Raises RuntimeError when the ranking cannot be stored."""
    store_pdfs(publication, report, wait=True, extra_steps=extra_steps)
    publication.ranking_pdf.name = Publication.objects.values_list("ranking_pdf", flat=True).get(
        pk=publication.pk
    )
    return publication_results(publication)
