"""Bad input is a 400 (or the form's own message), never a 500 (issue 10, row 8).

`?district=%00` reached PostgreSQL ("A string literal cannot contain NUL"), and a score or an
adjustment of `1e400` broke `rules.parse_decimal` with decimal.InvalidOperation: both 500s.
"""

import pytest
from django.urls import reverse

from cchc.middleware import MAX_FIELD_CHARS
from scoring.models import Adjustment, Score
from scoring.services import appraisal as appraisal_services

from .scoring.appraisal_data import assessment_of, score_of, submitted

pytestmark = pytest.mark.django_db

HUGE = ["1e400", "1E+400", "-1e400", "NaN", "nan", "Infinity", "-Infinity", "inf", "9" * 20]


def commune_url(assessment, name="assessment", *args):
    return reverse(f"scoring:{name}", args=[assessment.period.code, assessment.commune.code, *args])


def get_urls(assessment) -> list[str]:
    """The GET pages that read query parameters, and some that do not."""
    code = assessment.period.code
    return [
        reverse("scoring:home"),
        reverse("scoring:period", args=[code]),
        reverse("scoring:period_csv", args=[code]),
        reverse("scoring:survey", args=[code]),
        commune_url(assessment),
        commune_url(assessment, "history"),
        commune_url(assessment, "audit"),
        reverse("reports:results", args=[code]),
        reverse("reports:results_csv", args=[code]),
        reverse("reports:lost_points", args=[code]),
        "/admin/communes/unit/",
    ]


QUERIES = [
    {"district": "\x00"},
    {"status": "submitted\x00", "district": "D1"},
    {"action": "\x00", "criterion": "1.1\x00", "user": "\x00"},
    {"version": "\x00"},
    {"page": "\x00"},
    {"q": "\x00"},
    {"district\x00": "D1"},
    {"district": "D" * (MAX_FIELD_CHARS + 1)},
]


@pytest.fixture
def assessment(period, units):
    return submitted(period, units["commune"])


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: ",".join(q)[:20])
def test_nul_and_overlong_query_values_are_a_400_with_a_vietnamese_message_everywhere(
    client, assessment, appraiser, admin_user, query
):
    for user in (appraiser, admin_user):
        client.force_login(user)
        for url in get_urls(assessment):
            response = client.get(url, query)
            assert response.status_code == 400, (url, query, response.status_code)
            text = response.content.decode()
            assert text.startswith("Yêu cầu không hợp lệ. Tham số “")
            assert "chứa ký tự NUL" in text or "quá dài" in text


def test_ordinary_queries_still_answer_200(client, assessment, appraiser):
    client.force_login(appraiser)
    for query in ({"district": "D1"}, {"status": "submitted"}, {"district": "không có"}):
        assert client.get(reverse("scoring:period", args=[assessment.period.code]), query).status_code == 200
    assert client.get(commune_url(assessment, "history"), {"action": "x" * 500, "user": "abc"}).status_code == 200


def test_a_nul_in_a_form_value_is_a_400_and_changes_nothing(client, assessment, appraiser):
    client.force_login(appraiser)
    response = client.post(
        reverse("scoring:period_bulk", args=[assessment.period.code]),
        {"ids": [assessment.pk], "action": "lock", "reason": "Hết hạn\x00"},
    )
    assert response.status_code == 400
    assert "Tham số “reason” chứa ký tự NUL" in response.content.decode()
    assert not assessment_of(assessment.period, assessment.commune).locked


@pytest.mark.parametrize("value", HUGE)
def test_an_appraised_score_of_1e400_nan_or_infinity_is_refused_by_name(client, assessment, appraiser, value):
    client.force_login(appraiser)
    score = score_of(assessment, "1.2")
    response = client.post(
        commune_url(assessment, "appraise_score", score.pk),
        {"version": score.version, "appraised_score": value, "appraisal_note": "x"},
        HTTP_X_AUTOSAVE="1",
    )
    assert response.status_code == 422
    assert "không phải là số" in response.content.decode() or "quá lớn" in response.content.decode()
    assert Score.objects.get(pk=score.pk).appraised_score is None


@pytest.mark.parametrize("value", HUGE)
def test_a_self_score_of_1e400_nan_or_infinity_is_refused_by_name(client, period, units, officer, value):
    draft = assessment_of(period, units["commune"])
    score = score_of(draft, "1.2")
    client.force_login(officer)
    response = client.post(
        commune_url(draft, "save_score", score.pk),
        {"self_score": value, "self_note": "", "version": score.version},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code < 500
    page = response.content.decode()
    assert "không phải là số" in page or "quá lớn" in page
    assert Score.objects.get(pk=score.pk).self_score == score.self_score


@pytest.mark.parametrize("value", HUGE)
def test_an_adjustment_of_1e400_nan_or_infinity_is_refused_by_name(client, assessment, appraiser, value):
    appraisal_services.start_review(assessment, by=appraiser)
    appraisal_services.accept_self_scores(assessment, by=appraiser)
    client.force_login(appraiser)
    response = client.post(
        commune_url(assessment, "add_adjustment"), {"points": value, "reason": "Thử"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "không phải là số" in page or "quá lớn" in page
    assert not Adjustment.objects.exists()
