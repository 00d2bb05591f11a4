"""Long report work as Celery tasks (cchc/celery.py); each runs one jobs.Job.

- render_publication: after a publication commits, its ranking PDF and every commune report,
  each rendered once and stored (reports.pdf), shared by PARTS messages so that every worker
  process takes its share (each claims the next PDF nobody is rendering; the ranking is one
  of them);
- render_ranking: the ranking PDF alone (a version's ranking downloaded before its job got
  to it: bench/jobs.py times the national one);
- build_reports_zip: reports.zip of one version (reports.archive).

All only add what is missing, so a message delivered again after a worker died finishes the
work instead of repeating it.
"""

from celery import shared_task

from jobs.services import JobError, run, run_part, start
from scoring.models import Publication

from . import archive, pdf

RENDER_ERROR = "Không tạo được tệp PDF của lần công bố này; hãy thử tải lại sau."
# Messages sharing a publication's rendering: more than the worker processes of one machine
# (`--concurrency`, 2 on the reference machine), so each takes a share; the ones started after
# everything is claimed find nothing left and end at once.
PARTS = 4


def _publication(publication_id) -> Publication:
    return Publication.objects.select_related("period__unit").get(pk=publication_id)


@shared_task(name="reports.render_publication")
def render_publication(job_id: int, publication_id: int, parts: int = 1) -> None:
    """One of `parts` messages rendering the version's PDFs; progress: the PDFs stored."""

    def work(report):
        try:
            return pdf.store_pdfs(_publication(publication_id), report)
        except RuntimeError as error:
            raise JobError(RENDER_ERROR) from error

    run_part(job_id, work, parts=parts)


@shared_task(name="reports.render_ranking")
def render_ranking(job_id: int, publication_id: int) -> None:
    def work(report):
        report(0, 1)
        if not pdf.store_ranking_pdf(_publication(publication_id)):
            raise JobError(RENDER_ERROR)

    run(job_id, work)


@shared_task(name="reports.build_reports_zip")
def build_reports_zip(job_id: int, publication_id: int) -> None:
    def work(report):
        publication = _publication(publication_id)
        try:
            return archive.build_archive(publication, report)
        except RuntimeError as error:
            raise JobError(RENDER_ERROR) from error

    run(job_id, work)


def start_rendering(publication: Publication, by=None):
    """The job that renders and stores a new publication's PDFs (publish_period's
    after_commit hook: the page and the command pass it)."""
    period = publication.period
    return start(
        render_publication,
        title=f"Tạo tệp PDF kết quả kỳ {period.code} lần {publication.version}",
        key=f"reports.render:{publication.pk}",
        by=by,
        unit=period.unit,
        args=(publication.pk,),
        parts=PARTS,
    )


def ranking_key(publication: Publication) -> str:
    return f"reports.ranking:{publication.pk}"


def start_ranking(publication: Publication, by=None):
    """The job that renders and stores the version's ranking PDF alone, then opens it."""
    period = publication.period
    return start(
        render_ranking,
        title=f"Tạo tệp PDF xếp hạng kỳ {period.code} lần {publication.version}",
        key=ranking_key(publication),
        by=by,
        unit=period.unit,
        next_url=pdf.ranking_url(publication),
        args=(publication.pk,),
    )


def start_archive(publication: Publication, by=None):
    period = publication.period
    return start(
        build_reports_zip,
        title=f"Đóng gói báo cáo kỳ {period.code} lần {publication.version} (tệp ZIP)",
        key=archive.archive_key(publication),
        by=by,
        unit=period.unit,
        next_url=archive.archive_url(publication),
        args=(publication.pk,),
    )
