"""Imports started from web pages, as jobs (issue 13): a file over IMPORT_JOB_KB is kept in
the file storage (default_storage, under imports/) and imported by a task, which reads it with
the same tabular.read_table, runs the same service (the whole file checked, then written in
one transaction, or nothing) and reports its progress: checking N rows, then writing them.
A refused file fails the job with the refusal's lines (the first 200, then how many more) on
the job page; an imported one ends with the summary the page would have shown. The stored file
is deleted once the job has finished, either way.

    job = start_import(task, upload, title=…, by=user, unit=unit, back_url=…, args=(…))
    # the task:  run_import(job_id, stored, filename, required=…, optional=…, do_import=…)

where `do_import(table, on_checked)` calls the service (passing `on_checked`, called once the
file passed its checks) and returns a tabular.web.Imported. Smaller files are imported in the
request, as before (`runs_as_job`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from tabular import ImportFailed, Table, read_table
from tabular.table import count_text
from tabular.web import Imported

from .models import Job
from .services import JobError, fail_stale, run, start

FOLDER = "imports"


def sweep_files(days: int = 2) -> int:
    """Delete the stored files of the import jobs that ended in the last `days` days and still
    have one: a job marked failed as stale (its worker died for good) never reached the end
    that deletes it. Daily through celery beat (jobs.sweep_import_files). Returns how many."""
    fail_stale()
    ended = Job.objects.filter(
        key__startswith="import:",
        state__in=[Job.State.DONE, Job.State.FAILED],
        finished_at__gte=timezone.now() - timedelta(days=days),
    ).values_list("key", flat=True)
    removed = 0
    for key in ended:
        stored = key.removeprefix("import:")
        if default_storage.exists(stored):
            default_storage.delete(stored)
            removed += 1
    return removed


def runs_as_job(upload) -> bool:
    """Is the upload big enough to be imported by a job rather than in the request?"""
    return upload.size > settings.IMPORT_JOB_MIN_BYTES


def start_import(task, upload, *, title: str, by, unit=None, back_url: str, args=()) -> Job:
    """Store the upload and start `task(job_id, stored name, file name, *args)`."""
    extension = Path(upload.name).suffix.lower()[:10]
    stored = default_storage.save(f"{FOLDER}/{uuid.uuid4().hex}{extension}", upload)
    return start(
        task,
        title=title,
        key=f"import:{stored}"[:200],
        by=by,
        unit=unit,
        back_url=back_url,
        args=(stored, upload.name, *args),
    )


def run_import(
    job_id: int,
    stored: str,
    filename: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
    do_import: Callable[[Table, Callable[[], None]], Imported],
) -> None:
    def work(report):
        try:
            with default_storage.open(stored, "rb") as source:
                table = read_table(source, filename, required=required, optional=optional)
            rows = count_text(len(table.rows))
            report(0, len(table.rows), f"Đang kiểm tra cả tệp “{table.filename}” ({rows} dòng)…")

            def on_checked():
                report(
                    len(table.rows),
                    len(table.rows),
                    f"Đã kiểm tra {rows} dòng, không có lỗi; đang ghi vào cơ sở dữ liệu…",
                )

            imported = do_import(table, on_checked)
        except ImportFailed as failed:
            raise JobError(failed.headline(), failed.lines()) from None
        report(len(table.rows), len(table.rows), "\n".join([imported.message, *imported.warnings]))
        if imported.url:
            Job.objects.filter(pk=job_id).update(back_url=imported.url)

    try:
        run(job_id, work)
    finally:
        # The job has finished (or was finished already: a message delivered twice).
        default_storage.delete(stored)
