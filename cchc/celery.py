"""The Celery app (docs/design.md §9 ◆ CELERY_BROKER_URL).

Settings come from Django's settings under the CELERY_ prefix. Tasks live in the apps
(`tasks.py`, `shared_task`) and keep their outcome in the database (jobs.Job), never in the
broker. Without CELERY_BROKER_URL every task runs in-process, at once (task_always_eager), so
the embedded default needs no broker:

    celery -A cchc worker -l info          # the long work: reports, ZIPs, e-mail
    celery -A cchc beat -l info            # the daily reminders

`--concurrency N` worker processes share a publication's rendering (reports.tasks.PARTS
messages, each claiming the next PDF nobody renders), so N processes take about 1/N of the
time on N cores.

A worker that dies mid-way (cchc/settings.py, tests/jobs/test_worker_lost.py): tasks are
acknowledged late (`acks_late`), one message reserved per process (prefetch multiplier 1);
a pool process killed mid-task sends its message back at once (`reject_on_worker_lost`);
a whole worker killed leaves its messages unacknowledged in Redis, delivered again to a live
worker after `CELERY_VISIBILITY_TIMEOUT` seconds. The job is taken up where it stopped (what is
stored is skipped, a half-written ZIP is never pointed at), at most jobs.services.MAX_ATTEMPTS
runs; with no worker left it is marked failed with a Vietnamese message after
`JOB_STALE_MINUTES` of silence, never left "running".
"""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc.settings")

app = Celery("cchc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def load_pdf_engine(**kwargs) -> None:
    """Each pool process loads WeasyPrint (about 0,6 s of CPU: Pango, fontconfig) as it
    starts, not in the middle of the first PDF it renders."""
    import weasyprint  # noqa: F401
