"""A commune's draft stays private to the commune (issue 10, finding 6).

Before the fix the appraising unit's appraiser and leader got 200 with the officer's unfinished
explanations and self scores from …/audit/, …/history/ and …/minutes.pdf, although the detail
page said "chưa nộp" and evidence downloads answered 403. Every case below sends a request a
person could send and reads what came back; the last test shows the same requests do carry the
content once the commune submits (so the absence above is the check, not an empty page).
"""

import csv
import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from scoring.models import Assessment, Score
from scoring.services.self_assessment import save_self_score, submit_assessment

from .appraisal_data import assessment_of, attach, score_of

pytestmark = pytest.mark.django_db

DRAFT_NOTE = "Bản nháp chưa xong: còn thiếu quyết định kiện toàn"
PAGES = ("audit", "history")


def _url(assessment, name, *args):
    return reverse(f"scoring:{name}", args=[assessment.period.code, assessment.commune.code, *args])


@pytest.fixture
def draft(period, units, officer):
    """Commune A's draft with explanations saved through the service (so audited), as the
    officer leaves it half done: 1.1 and 1.2 scored, 2.1 not yet."""
    assessment = assessment_of(period, units["commune"])
    for code, value in (("1.1", "2"), ("1.2", "3.5")):
        score = score_of(assessment, code)
        save_self_score(
            score, version=score.version, self_score=value, self_note=f"{DRAFT_NOTE} {code}",
            by=officer,
        )
    return assessment_of(period, units["commune"])


def _shows_draft(response) -> bool:
    """Whether the answer carries the officer's draft explanation (pages, PDFs, fragments)."""
    if response.status_code != 200:
        return DRAFT_NOTE in response.content.decode(errors="replace")
    if response["Content-Type"] == "application/pdf":
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
        return "Bản nháp" in text or "3,5" in text
    return DRAFT_NOTE in response.content.decode()


@pytest.mark.parametrize("who", ["appraiser", "leader"])
def test_the_appraising_unit_reads_no_draft_history_or_minutes(client, request, draft, who):
    client.force_login(request.getfixturevalue(who))
    for name in PAGES:
        response = client.get(_url(draft, name))
        assert not _shows_draft(response), name
        assert response.status_code == 200, name
        assert [t.name for t in response.templates][0] == "scoring/not_submitted.html", name
        assert "chưa nộp hồ sơ tự đánh giá" in response.content.decode()
    minutes = client.get(_url(draft, "minutes"))
    assert minutes.status_code == 403
    assert not _shows_draft(minutes)


def test_the_commune_still_reads_its_own_draft_history(client, officer, draft):
    client.force_login(officer)
    response = client.get(_url(draft, "history"))
    assert response.status_code == 200 and DRAFT_NOTE in response.content.decode()


def test_an_autosave_of_an_appraised_score_on_a_draft_answers_no_self_totals(
    client, appraiser, draft
):
    """The fragments of an appraised-score save carry the self totals: refused whole first."""
    score = score_of(draft, "1.2")
    client.force_login(appraiser)
    response = client.post(
        _url(draft, "appraise_score", score.pk),
        {"version": score.version, "appraised_score": "x"},
        HTTP_X_AUTOSAVE="1",
    )
    assert response.status_code == 403
    assert "Tự chấm" not in response.content.decode()
    assert "5,5" not in response.content.decode()  # 2 + 3,5: the draft's self total
    assert Score.objects.get(pk=score.pk).appraised_score is None


def test_the_period_table_and_its_csv_show_no_draft_self_total(client, appraiser, draft):
    client.force_login(appraiser)
    page = client.get(reverse("scoring:period", args=[draft.period.code]))
    row = next(r for r in page.context["table"].rows if r.assessment.pk == draft.pk)
    assert row.self_text == "" and row.difference == ""
    download = client.get(reverse("scoring:period_csv", args=[draft.period.code]))
    lines = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    line = next(r for r in lines if r["Mã đơn vị"] == draft.commune.code)
    assert line["Tổng điểm tự chấm"] == ""


def test_once_submitted_the_same_requests_carry_the_commune_work(
    client, appraiser, leader, officer, draft
):
    score = score_of(draft, "2.1")
    save_self_score(score, version=score.version, self_score="4", self_note="Đủ", by=officer)
    for code in ("1.1", "1.2", "2.1"):
        attach(draft, code)
    submit_assessment(draft, by=officer)
    assert Assessment.objects.get(pk=draft.pk).status == Assessment.Status.SUBMITTED
    for who in (appraiser, leader):
        client.force_login(who)
        for name in (*PAGES, "minutes"):
            response = client.get(_url(draft, name))
            assert response.status_code == 200 and _shows_draft(response), (who, name)
    client.force_login(appraiser)
    page = client.get(reverse("scoring:period", args=[draft.period.code]))
    row = next(r for r in page.context["table"].rows if r.assessment.pk == draft.pk)
    assert row.self_text == "9,5"
