"""The jobs app's housekeeping as a Celery task, for celery beat (CELERY_BEAT_SCHEDULE)."""

from celery import shared_task

from .imports import sweep_files


@shared_task(name="jobs.sweep_import_files")
def sweep_import_files() -> int:
    """Delete the files left by import jobs that ended without reaching their own clean-up."""
    return sweep_files()
