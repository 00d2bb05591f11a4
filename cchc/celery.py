"""The Celery app (design.md §9 ◆ CELERY_BROKER_URL).

Settings come from Django's settings under the CELERY_ prefix. Tasks live in the apps
(`tasks.py`, `shared_task`) and keep their outcome in the database (jobs.Job), never in the
broker. Without CELERY_BROKER_URL every task runs in-process, at once (task_always_eager), so
the embedded default needs no broker:

    celery -A cchc worker -l info          # the long work: reports, ZIPs, e-mail
    celery -A cchc beat -l info            # the daily reminders
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cchc.settings")

app = Celery("cchc")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
