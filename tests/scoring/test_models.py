import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from scoring.audit import record_event
from scoring.models import (
    AppendOnlyError,
    AuditEvent,
    Criterion,
    FieldScore,
    Score,
    decode_field_scores,
    encode_field_scores,
)

pytestmark = pytest.mark.django_db


def test_period_bands_are_checked(period):
    period.bands = [["Tốt", "80"], ["Khá", "80"]]
    with pytest.raises(ValidationError, match="cùng điểm tối thiểu"):
        period.full_clean()
    period.bands = [["Hoàn thành nhiệm vụ", "65"], ["Hoàn thành tốt nhiệm vụ", "80"]]
    period.full_clean()
    assert period.band_list() == [("Hoàn thành tốt nhiệm vụ", Decimal(80)), ("Hoàn thành nhiệm vụ", Decimal(65))]


def test_period_without_bands_uses_the_defaults(period):
    period.bands = []
    assert [label for label, _ in period.band_list()][:2] == [
        "Hoàn thành xuất sắc nhiệm vụ",
        "Hoàn thành tốt nhiệm vụ",
    ]


def test_deadlines_must_follow_each_other(period):
    period.self_assessment_due = period.opens_on.replace(year=period.opens_on.year - 1)
    with pytest.raises(ValidationError, match="Hạn tự đánh giá phải sau ngày bắt đầu"):
        period.full_clean()


def test_a_criterion_parent_must_be_in_the_same_set(period):
    from tests.factories import make_criteria_set

    other = make_criteria_set("OTHER")
    stranger = Criterion(
        criteria_set=other, parent=period.criteria_set.criteria.get(code="1"), code="9",
        name="Lạc bộ", max_points=Decimal(1),
    )
    with pytest.raises(ValidationError, match="cùng bộ tiêu chí"):
        stranger.full_clean()


def test_score_must_lie_within_its_maximum(period):
    score = Score.objects.select_related("criterion").filter(criterion__code="1.1").first()
    score.self_score = Decimal("2.5")
    with pytest.raises(ValidationError, match="vượt quá điểm tối đa 2"):
        score.full_clean()
    score.self_score = Decimal("-1")
    with pytest.raises(ValidationError, match="không được âm"):
        score.full_clean()


def test_field_and_depth_are_set_for_every_criterion(period):
    criteria = {c.code: c for c in period.criteria_set.criteria.select_related("field")}
    assert criteria["1.2"].field.code == "1" and criteria["1.2"].depth == 1
    assert criteria["2"].field_id == criteria["2"].pk and criteria["2"].depth == 0


def test_audit_log_is_append_only(period, appraiser):
    event = record_event(by=appraiser, action="period_changed", period=period, old=Decimal("1.50"), new=Decimal("2"))
    assert (event.old_value, event.new_value) == ("1,5", "2")
    event.reason = "sửa lén"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).reason == ""


def test_field_results_keep_exact_decimals_and_any_field_code():
    scores = {
        "1": FieldScore(Decimal("12.500"), Decimal("15.000"), 3, 12),
        "10": FieldScore(Decimal("0"), Decimal("9.750"), 12, 12),
        'Lĩnh vực "A"\\': FieldScore(Decimal("1.577"), Decimal("2"), 1, 1),
    }
    text = encode_field_scores(scores)
    document = json.loads(text)
    assert document["1"] == {"score": "12.500", "max": "15.000", "rank": 3, "rank_of": 12}
    assert decode_field_scores(document) == scores
    assert list(decode_field_scores(document)) == list(scores)  # the order given
