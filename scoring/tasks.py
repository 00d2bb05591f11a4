"""The scoring app's Celery tasks (cchc/celery.py finds them here): the workflow's notices
(scoring.notices.send_notice, defined beside the events it runs) and the daily reminders for
`celery beat`."""

from celery import shared_task

from . import notices
from .notices import send_notice  # noqa: F401 (registered with the worker from here)
from .services.replies import settle_overdue_rounds


@shared_task(name="scoring.send_reminders")
def send_reminders() -> int:
    """What `manage.py send_reminders` does for today, for `celery beat` (CELERY_BEAT_SCHEDULE):
    close the silent reply rounds past their deadline, then send the reminders due (never twice).
    Returns how many notifications it stored."""
    settle_overdue_rounds(None)
    return len(notices.send_reminders(None).ids)
