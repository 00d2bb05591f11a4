"""A published version is frozen whole (issue 10 row 10): its commune report and "tiêu chí dễ
mất điểm" print what was published, whatever is corrected after a reopening.

Before, the report's "criteria where points were lost" read the live Score rows: publishing
version 1, reopening and changing a score changed version 1's report.
"""

from decimal import Decimal

import pytest
from django.db import connection

from reports.selectors import commune_report, lost_points
from scoring.models import Assessment, Criterion, Period, Result, Score
from scoring.services.appraisal import appraise_score, mark_appraised, reopen_assessment
from scoring.services.publishing import publish_period, reopen_for_correction

from ..scoring.publish_data import appraise
from .test_pdf import pdf_text

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def period(units):
    """A and B of district D1 on the flat tree (1.1 max 2, 1.2 max 4, 2.1 max 4), appraised;
    A lost 1 on 1.1 and 2,5 on 2.1 (with the appraiser's note on 2.1)."""
    from tests.factories import make_period

    period = make_period(units["district"])
    appraise(period, {"A": {"1.1": "1", "1.2": "4", "2.1": "1,5"},
                      "B": {"1.1": "2", "1.2": "4", "2.1": "4"}})
    Score.objects.filter(assessment__commune__code="A", criterion__code="2.1").update(
        self_score=D(3), appraisal_note="Thiếu biên bản xin lỗi"
    )
    return period


def report_of(period, version, code="A"):
    result = Result.objects.select_related("commune", "publication__period").get(
        publication__period=period, publication__version=version, commune__code=code
    )
    return commune_report(result)


def printed(report):
    return (
        [(i.code, i.name, i.max_text, i.self_text, i.appraised_text, i.lost_text, i.note)
         for i in report.lost],
        report.lost_total_text,
        report.lost_more,
    )


def correct_a(period, leader, appraiser):
    """Reopen for correction; 2.1 of A appraised 4 with another note; 2.1 renamed."""
    reopen_for_correction(period, by=leader, reason="Xã A bổ sung tài liệu tiêu chí 2.1")
    assessment = Assessment.objects.select_related("commune", "period").get(commune__code="A")
    reopen_assessment(assessment, reason="Điều chỉnh sau công bố", by=appraiser)
    score = Score.objects.get(assessment=assessment, criterion__code="2.1")
    appraise_score(score, value="4", note="Đã bổ sung", version=score.version, by=appraiser)
    mark_appraised(assessment, by=appraiser)
    Criterion.objects.filter(code="2.1").update(name="Tên đã sửa sau công bố")


def test_version_1_report_keeps_its_lost_criteria_after_a_correction(
    period, leader, appraiser
):
    publish_period(period, by=leader)
    before = printed(report_of(period, 1))
    assert before == (
        [("2.1", "Công khai TTHC", "4", "3", "1,5", "2,5", "Thiếu biên bản xin lỗi"),
         ("1.1", "Kế hoạch CCHC", "2", "1", "1", "1", "")],
        "3,5",
        0,
    )
    correct_a(period, leader, appraiser)
    assert printed(report_of(period, 1)) == before  # reopened, corrected, not republished
    publish_period(period, by=leader, reason="Điều chỉnh điểm tiêu chí 2.1 của xã A")
    assert printed(report_of(period, 1)) == before
    assert printed(report_of(period, 2)) == ([("1.1", "Kế hoạch CCHC", "2", "1", "1", "1", "")],
                                             "1", 0)


def test_version_1_pdf_downloaded_after_the_correction_prints_what_was_published(
    client, period, leader, appraiser
):
    publish_period(period, by=leader)
    correct_a(period, leader, appraiser)
    publish_period(period, by=leader, reason="Điều chỉnh điểm tiêu chí 2.1 của xã A")
    client.force_login(leader)
    url = f"/periods/{period.code}/communes/A/report.pdf"
    old = " ".join(pdf_text(client.get(url + "?version=1").content).split())
    new = " ".join(pdf_text(client.get(url).content).split())
    assert "Thiếu biên bản xin lỗi" in old and "Tổng số điểm bị mất: 3,5 điểm" in old
    assert "Thiếu biên bản xin lỗi" not in new and "Tổng số điểm bị mất: 1 điểm" in new


def test_lost_points_page_reads_the_published_version_and_the_scores_while_correcting(
    period, leader, appraiser, django_assert_num_queries
):
    publish_period(period, by=leader)
    period.refresh_from_db()
    with django_assert_num_queries(1):  # the publication's snapshot; no score is read
        published = {item.code: (item.lost_sum, item.losing) for item in lost_points(period)}
    assert published == {"2.1": (D("2.5"), 1), "1.1": (D(1), 1), "1.2": (D(0), 0)}
    correct_a(period, leader, appraiser)
    period.refresh_from_db()
    assert period.status == Period.Status.APPRAISAL
    correcting = {item.code: (item.lost_sum, item.losing) for item in lost_points(period)}
    assert correcting["2.1"] == (D(0), 0)  # the working figures while correcting
    publish_period(period, by=leader, reason="Điều chỉnh điểm tiêu chí 2.1 của xã A")
    period.refresh_from_db()
    assert {item.code: item.lost_sum for item in lost_points(period)}["2.1"] == D(0)
    assert {item.name for item in lost_points(period)} >= {"Tên đã sửa sau công bố"}


def test_a_version_published_before_the_snapshot_kept_them_reads_the_scores(
    period, leader
):
    """Rows published before migration 0009 have no lost criteria (null): their report and
    the page read the scores as before, rather than a made-up snapshot."""
    publish_period(period, by=leader)
    kept = printed(report_of(period, 1))
    with connection.cursor() as cursor:  # as migration 0009 leaves an older row
        cursor.execute("UPDATE scoring_result SET lost_criteria = NULL")
        cursor.execute("UPDATE scoring_publication SET lost_points = NULL")
    assert Result.objects.filter(lost_criteria__isnull=True).count() == 2
    assert printed(report_of(period, 1)) == kept
    period.refresh_from_db()
    assert {item.code: item.lost_sum for item in lost_points(period)}["2.1"] == D("2.5")
