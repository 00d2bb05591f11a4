from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from scoring.permissions import visible_assessments

from .models import Evidence


@login_required
def download(request, pk):
    """Serve an evidence file after the permission check, under its original name."""
    evidence = get_object_or_404(
        Evidence.objects.filter(assessment__in=visible_assessments(request.user)), pk=pk
    )
    if not evidence.file:
        raise Http404
    return FileResponse(
        evidence.file.open("rb"), as_attachment=False, filename=evidence.original_name
    )
