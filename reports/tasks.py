"""Long report work as Celery tasks (cchc/celery.py); each runs one jobs.Job.

- render_publication: after a publication commits, its ranking PDF and every commune report,
  each rendered once and stored (reports.pdf);
- build_reports_zip: reports.zip of one version (reports.archive).

Both only add what is missing, so a message delivered again after a worker died finishes the
work instead of repeating it.
"""

from celery import shared_task

from jobs.services import JobError, run, start
from scoring.models import Publication

from . import archive, pdf

RENDER_ERROR = "Không tạo được tệp PDF của lần công bố này; hãy thử tải lại sau."


def _publication(publication_id) -> Publication:
    return Publication.objects.select_related("period__unit").get(pk=publication_id)


@shared_task(name="reports.render_publication")
def render_publication(job_id: int, publication_id: int) -> None:
    def work(report):
        try:
            pdf.store_publication_pdfs(_publication(publication_id), report)
        except RuntimeError as error:
            raise JobError(RENDER_ERROR) from error

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
