"""Every audit action, field and status has its Vietnamese label in one place (AuditAction,
AuditField, the status choices), and the history pages and the admin print those labels,
never the codes (issue 14, item 3)."""

import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from scoring.audit import record_event
from scoring.models import AuditAction, AuditEvent, AuditField
from scoring.services.appraisal import lock_assessment, unlock_assessment
from scoring.services.self_assessment import save_self_score, submit_assessment

from .appraisal_data import assessment_of

ROOT = Path(__file__).resolve().parents[2]
APPS = ("scoring", "evidence", "reports", "communes")
# argparse's own actions, not audit actions.
ARGPARSE = {"store_true", "store_false", "append", "store", "count"}


def literals(pattern: str) -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found |= set(re.findall(pattern, path.read_text(encoding="utf-8")))
    return found


def test_every_action_and_field_the_code_writes_has_a_label():
    """Scans the source: bulk writes (bulk_create, the raw SQL of status events) bypass
    record_event's check, so the literals themselves are held to the choices."""
    actions = literals(r'action="([a-z_]+)"') | literals(r'action=\(?\s*"([a-z_]+)"')
    actions |= {"locked", "unlocked"}  # action="locked" if locked else "unlocked"
    actions |= literals(r'_event\(\s*\w+,\s*\w+,\s*"([a-z_]+)"')
    actions |= literals(r'_record\(request, obj, "([a-z_]+)"')
    actions -= ARGPARSE
    assert {"score_changed", "evidence_added", "procedure_figures_typed", "published"} <= actions
    assert actions - set(AuditAction.values) == set()
    fields = literals(r'field_name="([a-z_]+)"')
    assert {"status", "evidence", "points"} <= fields
    assert fields - set(AuditField.values) == set()


def test_labels_are_vietnamese_and_distinct():
    for choices in (AuditAction, AuditField):
        labels = [str(label) for label in choices.labels]
        assert len(set(labels)) == len(labels)
        assert not [label for label in labels if re.search(r"[a-z]+_[a-z]+", label)]


@pytest.mark.django_db
def test_record_event_refuses_an_action_without_a_label(appraiser, period):
    before = AuditEvent.objects.count()
    with pytest.raises(ValueError, match="AuditAction"):
        record_event(by=appraiser, period=period, action="frobnicated")
    with pytest.raises(ValueError, match="AuditField"):
        record_event(by=appraiser, period=period, action="period_changed", field_name="frob")
    assert AuditEvent.objects.count() == before


def handed_in(period, commune, officer):
    """The commune's assessment filled in and submitted through the services (so audited)."""
    assessment = assessment_of(period, commune)
    for score in assessment.scores.select_related("criterion"):
        score.assessment = assessment
        save_self_score(
            score, version=score.version, self_score=score.criterion.max_points,
            self_note="Có kế hoạch", by=officer,
        )
    submit_assessment(assessment, by=officer)
    return assessment_of(period, commune)


@pytest.mark.django_db
def test_values_print_as_labels(appraiser, officer, period, units):
    assessment = handed_in(period, units["commune"], officer)
    lock_assessment(assessment, reason="Kiểm tra", by=appraiser)
    status = AuditEvent.objects.get(assessment=assessment, action="submitted")
    assert (status.old_text, status.new_text) == ("Đang tự đánh giá", "Đã nộp")
    locked = AuditEvent.objects.get(action="locked")
    assert (locked.action_label, locked.field_label, locked.new_text) == (
        "Khóa hồ sơ", "Khóa hồ sơ", "khóa"
    )
    period_event = record_event(
        by=appraiser, period=period, action="period_published", field_name="status",
        old="appraisal", new="published",
    )
    assert (period_event.old_text, period_event.new_text) == ("Đang thẩm định", "Đã công bố")


@pytest.mark.django_db
def test_history_pages_and_admin_print_labels_not_codes(appraiser, officer, period, units):
    assessment = handed_in(period, units["commune"], officer)
    lock_assessment(assessment, reason="Kiểm tra", by=appraiser)
    unlock_assessment(assessment, reason="Xong", by=appraiser)
    args = [period.code, units["commune"].code]
    team = Client()
    team.force_login(appraiser)
    audit = team.get(reverse("scoring:audit", args=args)).content.decode()
    for label in ("Khóa hồ sơ", "Mở khóa hồ sơ", "Nộp hồ sơ", "Đã nộp", "Sửa: điểm tự chấm"):
        assert label in audit, label
    commune = Client()
    commune.force_login(officer)
    history = commune.get(reverse("scoring:history", args=args)).content.decode()
    assert "Khóa hồ sơ" in history and "Nộp hồ sơ" in history
    admin = Client()
    admin.force_login(get_user_model().objects.create_superuser("qt", "qt@example.vn", "x"))
    listing = admin.get(reverse("admin:scoring_auditevent_changelist")).content.decode()
    assert "Mở khóa hồ sơ" in listing and "Đang tự đánh giá" in listing
    for page in (audit, history, listing):
        for code in (">unlocked<", ">submitted<", ">self_score<", ">True<", ">draft<"):
            assert code not in page, code
    event = AuditEvent.objects.filter(assessment=assessment).first()
    change = admin.get(reverse("admin:scoring_auditevent_change", args=[event.pk]))
    assert "Lịch sử thay đổi" in change.content.decode()
    assert "Bản ghi nhớ" not in change.content.decode()
