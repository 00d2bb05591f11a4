"""The workflow's notifications as a Celery task (cchc/celery.py): the in-app notice and its
e-mail are sent by a worker when CELERY_BROKER_URL is set, in-process otherwise."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="scoring.send_notice")
def send_notice(event_name: str, *args) -> None:
    """Run the notices event `event_name(*args)` (scoring/notices.py: it takes ids); a failure
    is logged, never raised into anything else."""
    from . import notices

    try:
        getattr(notices, event_name)(*args)
    except Exception:
        logger.exception("Không gửi được thông báo %s%s", event_name, args)


@shared_task(name="scoring.send_reminders")
def send_reminders() -> int:
    """What `manage.py send_reminders` does for today, for `celery beat` (CELERY_BEAT_SCHEDULE):
    close the silent reply rounds past their deadline, then send the reminders due (never twice).
    Returns how many notifications it stored."""
    from . import notices
    from .services.replies import settle_overdue_rounds

    settle_overdue_rounds(None)
    return len(notices.send_reminders(None).ids)
