"""Starting a job and running it (in a Celery worker, or in-process without a broker).

    job = start(render_task, title="…", key="…", by=user, unit=unit, args=(publication.pk,))

creates the Job and sends the task once the surrounding transaction commits (docs/design.md §10:
slow side effects after the commit); the task body is `run(job_id, work)`, where
`work(report)` does the work and calls `report(done, total)` as it goes. `run` marks the job
running, then done (with `work`'s result file, if any) or failed with a Vietnamese message.
A message delivered again after its worker died runs the work again (the tasks skip what is
already stored), at most MAX_ATTEMPTS times.

Work several worker processes can share is started with `parts=n`: n messages of the same
task, each running `run_part(job_id, work, parts=n)`. Each part claims what nobody else is
doing (reports.pdf: a row lock), `work` returns (done, total) counted from what is stored, and
the part that finds everything done finishes the job. Without a broker the parts run one after
another, in-process: the first does everything, the others find nothing left.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from .models import STALE_MESSAGE, Job

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
SYSTEM_ERROR = "Lỗi hệ thống khi xử lý tác vụ; quản trị viên đã được ghi nhận lỗi. Hãy thử lại sau."


class JobError(Exception):
    """A refusal the user should read (Vietnamese), shown on the job page: the message, then
    one line per detail (e.g. an import's row errors), listed under it."""

    def __init__(self, message: str, details=()):
        self.details = [str(line) for line in details]
        super().__init__("\n".join([message, *self.details]))


# Who sees a job besides its starter: `check(user, unit)` for the unit the job works for,
# given by the app that owns units and roles (communes.apps: any role on the unit or above).
# jobs imports no app of the project, so every app may start jobs (docs/design.md §9 ◆ Jobs).
_unit_staff: Callable[[object, object], bool] | None = None


def let_unit_staff_see(check: Callable[[object, object], bool]) -> None:
    global _unit_staff
    _unit_staff = check


def can_view_job(user, job: Job) -> bool:
    """The one who started the job, the staff of the unit it works for, and superusers (who
    see every job in the admin already)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or (job.started_by_id is not None and job.started_by_id == user.pk):
        return True
    return job.unit is not None and _unit_staff is not None and _unit_staff(user, job.unit)


def start(
    task, *, title: str, key: str, by=None, unit=None, next_url: str = "", back_url: str = "",
    args=(), parts: int = 1,
) -> Job:
    """A new Job for `task(job.pk, *args)`, sent once the transaction commits; with parts > 1,
    `parts` messages of `task(job.pk, *args, parts=parts)` (run_part). `next_url` is the
    result the page opens once done (a download); `back_url` the page it links back to."""
    by = by if by is not None and getattr(by, "is_authenticated", False) else None
    job = Job.objects.create(
        kind=task.name, title=title, key=key, started_by=by, unit=unit, next_url=next_url,
        back_url=back_url,
    )
    extra = {"parts": parts} if parts > 1 else {}

    def send():
        for _ in range(parts):
            task.delay(job.pk, *args, **extra)

    transaction.on_commit(send)
    return job


def in_background() -> bool:
    """Whether tasks go to Celery workers (a broker is set). Without one they run in-process
    at once, so a request gains nothing by handing its work to a job."""
    from celery import current_app

    return not current_app.conf.task_always_eager


def job_for(user, key: str, start_job: Callable[[], Job]) -> Job:
    """The job queued or running for `key` that `user` may watch, else a new one from
    `start_job()`: asking twice for the same work starts it once."""
    job = pending(key)
    if job is None or not can_view_job(user, job):
        job = start_job()
    return job


def pending(key: str) -> Job | None:
    """The job queued or running for `key` (the newest), after failing stale ones."""
    fail_stale(key)
    return (
        Job.objects.filter(key=key, state__in=[Job.State.QUEUED, Job.State.RUNNING])
        .select_related("unit")
        .first()
    )


def fail_stale(key: str | None = None) -> int:
    """Mark failed every queued or running job that reported nothing for JOB_STALE_MINUTES
    (its worker died and the message was not delivered again)."""
    cutoff = timezone.now() - timedelta(minutes=settings.JOB_STALE_MINUTES)
    jobs = Job.objects.filter(
        state__in=[Job.State.QUEUED, Job.State.RUNNING], updated_at__lt=cutoff
    )
    if key is not None:
        jobs = jobs.filter(key=key)
    return jobs.update(
        state=Job.State.FAILED, error=STALE_MESSAGE, note="", finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def refreshed(job: Job) -> Job:
    """The job as stored now, failed first if it is stale."""
    if job.is_stale():
        fail_stale(job.key)
        job.refresh_from_db()
    return job


def _report(job_id: int, *, forward_only: bool = False) -> Callable[..., None]:
    """`forward_only`: parts counting what is stored report at the same time, and the one that
    counted first may write last; the job's progress never goes back."""

    def report(done: int, total: int, note: str | None = None) -> None:
        """Progress n/N; `note` (optional) says what the job does now, or once done what came
        of it (an import's summary): the page shows it."""
        counted = Greatest(F("done"), Value(done)) if forward_only else done
        fields = {"done": counted, "total": total, "updated_at": timezone.now()}
        if note is not None:
            fields["note"] = note
        Job.objects.filter(pk=job_id).update(**fields)

    return report


def _claim(job_id: int, runs: int) -> Job | None:
    """The job marked running with one more attempt; None when it is finished or gone (a
    message delivered twice does nothing) or failed here after `runs` attempts (a message that
    keeps killing its worker is not delivered for ever)."""
    now = timezone.now()
    claimed = Job.objects.filter(
        pk=job_id, state__in=[Job.State.QUEUED, Job.State.RUNNING]
    ).update(
        state=Job.State.RUNNING,
        attempts=F("attempts") + 1,
        started_at=Coalesce("started_at", Value(now)),
        updated_at=now,
    )
    if not claimed:
        return None
    job = Job.objects.get(pk=job_id)
    if job.attempts > runs:
        _finish(job, Job.State.FAILED, error=f"Tác vụ đã thử {MAX_ATTEMPTS} lần mà không xong.")
        return None
    return job


def _guarded(job: Job, work, *args):
    """(True, what work returned), or (False, None) after failing the job with a Vietnamese
    message."""
    try:
        return True, work(*args)
    except JobError as refusal:
        _finish(job, Job.State.FAILED, error=str(refusal))
    except Exception:
        logger.exception("Tác vụ %s (%s) thất bại", job.pk, job.kind)
        _finish(job, Job.State.FAILED, error=SYSTEM_ERROR)
    return False, None


def run(job_id: int, work: Callable[[Callable[[int, int], None]], tuple[str, File] | None]) -> None:
    """Run `work` for the job: it returns None or (file name, File) to keep as the result."""
    job = _claim(job_id, MAX_ATTEMPTS)
    if job is None:
        return
    succeeded, outcome = _guarded(job, work, _report(job_id))
    if succeeded:
        _finish(job, Job.State.DONE, outcome=outcome)


def run_part(
    job_id: int, work: Callable[[Callable[[int, int], None]], tuple[int, int]], *, parts: int
) -> None:
    """Run one of the `parts` tasks sharing the job: `work(report)` does what it can claim and
    returns (done, total) as stored now. The part that sees done == total finishes the job;
    the others end leaving it running. A part delivered again after its worker died claims
    what its first run left; MAX_ATTEMPTS runs per part in all."""
    job = _claim(job_id, parts * MAX_ATTEMPTS)
    if job is None:
        return
    succeeded, counted = _guarded(job, work, _report(job_id, forward_only=True))
    if succeeded and counted[0] >= counted[1]:
        _finish(job, Job.State.DONE)


def _finish(job: Job, state: str, *, error: str = "", outcome=None) -> None:
    job.refresh_from_db()
    if job.state == Job.State.DONE:
        return  # another part finished it: what it says stands
    if outcome is not None:
        name, content = outcome
        # Written under a new name first; the job points at it only once it is whole, so a
        # reader never gets a half-written file.
        job.result.save(name, content, save=False)
    job.state = state
    job.error = error
    if state == Job.State.FAILED:
        job.note = ""  # what it was doing: it no longer is
    if state == Job.State.DONE:
        job.done = job.total = max(job.total, job.done)
    job.finished_at = timezone.now()
    job.save()
