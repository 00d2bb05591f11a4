"""A job's page (progress bar, then its result) and the JSON the page polls.

Only the one who started the job and the staff of its unit see it; anyone else gets 404."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import Job
from .services import can_view_job, refreshed


def _job(request, job) -> Job:
    job = get_object_or_404(Job.objects.select_related("unit", "started_by"), pk=job)
    if not can_view_job(request.user, job):
        raise Http404("Không có tác vụ này.")
    return refreshed(job)


def status_document(job: Job) -> dict:
    return {
        "state": job.state,
        "state_label": job.get_state_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "error": job.error_message,
        "errors": job.error_details,
        "note": job.note_lines,
        "next_url": job.next_url if job.state == Job.State.DONE else "",
        "back_url": job.back_url if job.finished else "",
    }


@require_GET
@login_required
def job_page(request, job):
    job = _job(request, job)
    return render(request, "jobs/job.html", {"job": job, "status": status_document(job)})


@require_GET
@login_required
def job_status(request, job):
    response = JsonResponse(status_document(_job(request, job)))
    response["Cache-Control"] = "no-store"
    return response
