"""The scoring app's Celery tasks (cchc/celery.py finds them here): the workflow's notices
(scoring.notices.send_notice, defined beside the events it runs), the daily reminders for
`celery beat`, and the survey page's import of a large file (a job)."""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.urls import reverse

from jobs.imports import run_import
from tabular.web import Imported

from . import notices
from .models import Period
from .notices import send_notice  # noqa: F401 (registered with the worker from here)
from .services.replies import settle_overdue_rounds
from .services.survey_import import OPTIONAL, REQUIRED, import_survey


@shared_task(name="scoring.send_reminders")
def send_reminders() -> int:
    """What `manage.py send_reminders` does for today, for `celery beat` (CELERY_BEAT_SCHEDULE):
    close the silent reply rounds past their deadline, then send the reminders due (never twice).
    Returns how many notifications it stored."""
    settle_overdue_rounds(None)
    return len(notices.send_reminders(None).ids)


@shared_task(name="scoring.import_survey_file")
def import_survey_file(
    job_id: int, stored: str, filename: str, period_id: int, as_percent: bool, user_id: int
) -> None:
    """The survey page's import of a file over IMPORT_JOB_KB (jobs/imports.py): the same
    import_survey on the stored file, the page's summary or row errors on the job page."""
    period = Period.objects.select_related("unit").get(pk=period_id)
    by = get_user_model().objects.filter(pk=user_id).first()

    def do_import(table, on_checked):
        result = import_survey(
            table, period=period, as_percent=as_percent, by=by, on_checked=on_checked
        )
        return Imported(result.summary(), url=reverse("scoring:survey", args=[period.code]))

    run_import(job_id, stored, filename, required=REQUIRED, optional=OPTIONAL, do_import=do_import)
