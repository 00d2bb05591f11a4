"""Small builders for the appraisal tests: a submitted assessment with self scores and evidence."""

from decimal import Decimal

from django.core.files.base import ContentFile
from django.utils import timezone

from evidence.models import Evidence
from scoring.models import Assessment, Score

D = Decimal


def assessment_of(period, commune) -> Assessment:
    return Assessment.objects.select_related("period__unit", "commune").get(
        period=period, commune=commune
    )


def fill(assessment, scores: dict[str, str], *, notes: dict[str, str] | None = None) -> None:
    """Give the assessment these self scores (code → "1,5") as its commune would."""
    notes = notes or {}
    for score in assessment.scores.select_related("criterion"):
        code = score.criterion.code
        if code in scores:
            score.self_score = D(scores[code].replace(",", "."))
            score.self_note = notes.get(code, f"Giải trình tiêu chí {code}")
            score.save()


def attach(assessment, code: str, name: str = "ke-hoach.pdf", *, by=None) -> Evidence:
    """A real PDF-ish file on disk, linked to the criterion `code`."""
    evidence = Evidence(
        assessment=assessment,
        original_name=name,
        size=20,
        content_type="application/pdf",
        uploaded_by=by,
    )
    evidence.file.save(name, ContentFile(b"%PDF-1.4\n%%EOF\n"), save=False)
    evidence.save()
    evidence.scores.add(Score.objects.get(assessment=assessment, criterion__code=code))
    return evidence


def submitted(period, commune, scores=None) -> Assessment:
    """The commune's assessment filled in (flat tree: 1.1 of 2, 1.2 of 4, 2.1 of 4) and submitted."""
    assessment = assessment_of(period, commune)
    fill(assessment, scores or {"1.1": "2", "1.2": "3,5", "2.1": "4"})
    Assessment.objects.filter(pk=assessment.pk).update(
        status=Assessment.Status.SUBMITTED, submitted_at=timezone.now()
    )
    return assessment_of(period, commune)


def score_of(assessment, code: str) -> Score:
    return Score.objects.select_related("criterion").get(assessment=assessment, criterion__code=code)


def resubmit(assessment) -> Assessment:
    Assessment.objects.filter(pk=assessment.pk).update(
        status=Assessment.Status.SUBMITTED, submitted_at=timezone.now()
    )
    return Assessment.objects.select_related("period__unit", "commune").get(pk=assessment.pk)
