"""Evidence: permission-checked download, and adding, reusing and removing evidence of a
criterion (answers are fragments for static/js/autosave.js, or a redirect without it)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from scoring import selectors
from scoring.models import Score
from scoring.permissions import (
    can_edit_score,
    can_view_self_assessment,
    is_officer_of,
    visible_assessments,
)
from scoring.services import WorkflowError
from scoring.views.assessment import criterion_url, is_partial, score_fragments

from . import services
from .forms import EvidenceFilesForm, EvidenceReferenceForm, LinkEvidenceForm, error_text
from .middleware import refusal
from .models import Evidence

# Shown in the browser (PDF, pictures: content checked by evidence.content); anything else is
# downloaded.
INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png"}


@login_required
def download(request, pk):
    """Serve an evidence file after the permission check, under its original name.

    Another commune's evidence: 404 (as its assessment). Appraisers before the commune
    submits: 403 (scoring.permissions.can_view_self_assessment).
    """
    evidence = get_object_or_404(
        Evidence.objects.filter(assessment__in=visible_assessments(request.user)).select_related(
            "assessment__period__unit", "assessment__commune__parent__parent"
        ),
        pk=pk,
    )
    if not can_view_self_assessment(request.user, evidence.assessment):
        raise PermissionDenied
    if not evidence.file:
        raise Http404
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=evidence.content_type not in INLINE_TYPES,
        filename=evidence.original_name,
        content_type=evidence.content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    # Whatever slipped past the upload checks runs as nothing: no sniffing into HTML, and a
    # sandboxed document (no scripts, no same-origin access to the app) if it were opened.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    return response


def _score_for_officer(request, score_pk) -> Score:
    """The score, if the user sees its commune (else 404) and is its officer (else 403)."""
    score = get_object_or_404(
        Score.objects.select_related(
            "criterion",
            "assessment__period__unit",
            "assessment__period__criteria_set",
            "assessment__commune__parent__parent",
        ).filter(assessment__in=visible_assessments(request.user)),
        pk=score_pk,
    )
    if not is_officer_of(request.user, score.assessment):
        raise PermissionDenied
    return score


def _apply(request, score, change, *, notes=lambda outcome: ()):
    """Run one evidence change (`change()`, a service call) and answer as _answer does: with
    the notes it gives, 422 with the files' problems, or 403 with the workflow's refusal."""
    try:
        outcome = change()
    except services.EvidenceError as error:
        return _answer(request, score, status=422, errors=error.messages)
    except WorkflowError as error:
        return _answer(request, score, status=403, errors=[str(error)])
    return _answer(request, score, notes=notes(outcome))


def _answer(request, score, *, status=200, errors=(), notes=()):
    """Fragments for the criterion's evidence block, state and totals; or a redirect."""
    assessment = score.assessment
    if not is_partial(request):
        for message in errors:
            messages.error(request, message)
        for message in notes:
            messages.info(request, message)
        if not errors and status == 200:
            code = score.criterion.code
            messages.success(request, f"Đã cập nhật tài liệu kiểm chứng của tiêu chí {code}.")
        return redirect(criterion_url(assessment, score.criterion.code))
    scores = selectors.score_states(assessment)
    current = next(s for s in scores if s.pk == score.pk)
    row = selectors.Row(
        current.criterion,
        score=current,
        state=current.state,
        evidence=selectors.evidence_items_of(current),
        editable=can_edit_score(request.user, assessment, current),
    )
    return score_fragments(
        request,
        assessment,
        scores,
        current,
        status=status,
        evidence_row=row,
        evidence_error=list(errors),
        evidence_notes=list(notes),
        **services.upload_limits(),
    )


@require_POST
@login_required
def add(request, score):
    """Upload one or several files as evidence of a criterion."""
    score = _score_for_officer(request, score)
    form = EvidenceFilesForm(request.POST, request.FILES)
    too_large = refusal(request)
    if too_large:
        return _answer(request, score, status=413, errors=[too_large])
    if not form.is_valid():
        return _answer(request, score, status=422, errors=[error_text(form)])
    return _apply(
        request, score,
        lambda: services.add_evidence_files(score, form.cleaned_data["files"], by=request.user),
        notes=lambda outcome: outcome[1],
    )


@require_http_methods(["GET", "POST"])
@login_required
def reference(request, score):
    """Cite a document (số/ký hiệu, ngày, cơ quan ban hành) as evidence, without a file."""
    score = _score_for_officer(request, score)
    if request.method == "GET":
        context = {"score": score, "criterion": score.criterion, "assessment": score.assessment}
        partial = is_partial(request)
        template = "evidence/_reference_form.html" if partial else "evidence/reference.html"
        return render(request, template, context)
    form = EvidenceReferenceForm(request.POST)
    if not form.is_valid():
        return _answer(request, score, status=422, errors=[error_text(form)])
    return _apply(
        request, score,
        lambda: services.add_evidence_reference(score, by=request.user, **form.cleaned_data),
    )


@require_http_methods(["GET", "POST"])
@login_required
def link(request, score):
    """Reuse evidence already uploaded for this assessment for one more criterion."""
    score = _score_for_officer(request, score)
    assessment = score.assessment
    if request.method == "POST":
        form = LinkEvidenceForm(request.POST, assessment=assessment)
        if not form.is_valid():
            return _answer(request, score, status=422, errors=[error_text(form)])
        return _apply(
            request, score,
            lambda: services.link_evidence(form.cleaned_data["evidence"], score, by=request.user),
        )
    linked = set(score.evidence.values_list("pk", flat=True))
    choices = [
        item
        for item in selectors.assessment_evidence(assessment)
        if item.pk not in linked
    ]
    context = {
        "score": score,
        "criterion": score.criterion,
        "assessment": assessment,
        "period": assessment.period,
        "choices": choices,
    }
    template = "evidence/_picker.html" if is_partial(request) else "evidence/link.html"
    return render(request, template, context)


@require_POST
@login_required
def remove(request, pk, score):
    """Take an evidence item off a criterion (deleted once it proves no criterion); audited."""
    score = _score_for_officer(request, score)
    evidence = get_object_or_404(Evidence, pk=pk, assessment=score.assessment)
    return _apply(request, score, lambda: services.remove_evidence(evidence, score, by=request.user))
