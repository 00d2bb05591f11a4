"""/periods/<period>/: every commune of the period for the appraising unit in one table, in a
fixed number of queries; filters, counts, CSV and the bulk actions."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Role
from scoring.models import Assessment, AuditEvent, Score
from scoring.overview import overdue_days
from scoring.services import appraisal as services
from tests.factories import make_period, make_unit, make_units, make_user

from .appraisal_data import score_of, submitted

pytestmark = pytest.mark.django_db
D = Decimal
Status = Assessment.Status


def district_with(n: int):
    """Province P, districts D1 (n communes) and D2 (one commune); a period over the province."""
    units = make_units()
    for i in range(n - 2):
        make_unit(f"A{i:03}", f"Xã Thứ {i}", "xa", units["district"])
    period = make_period(units["province"], code=f"P{n}")
    # Some progress of every kind, so the sums and joins have work to do.
    for leaf in period.criteria_set.criteria.leaves():
        Score.objects.filter(assessment__period=period, criterion=leaf).update(self_score=leaf.max_points)
    Assessment.objects.filter(period=period, commune__code__startswith="A0").update(
        status=Status.SUBMITTED, submitted_at=timezone.now()
    )
    appraiser = make_user(f"td{n}", unit=units["province"], role=Role.APPRAISER, first_name="Tổ thẩm định")
    return units, period, appraiser


@pytest.mark.parametrize("n", [5, 40])
def test_the_table_costs_the_same_few_queries_whatever_the_number_of_communes(
    client, django_assert_num_queries, n
):
    units, period, appraiser = district_with(n)
    client.force_login(appraiser)
    # session, user, memberships, the period (with its unit tree), rounds per assessment,
    # score sums per assessment, bonus/deduction points, the assessments, counts per status,
    # the districts, the period's stage (counts of its assessments, unanswered disagreements),
    # the bell's unread count
    with django_assert_num_queries(13):
        response = client.get(period.get_absolute_url())
    assert response.status_code == 200
    assert response.content.decode().count('name="ids"') == n + 1  # D1's n communes + C in D2


def test_rows_show_status_dates_totals_returns_and_assignee(client, period, units, appraiser):
    assessment = submitted(period, units["commune"])
    score = score_of(assessment, "1.2")
    services.appraise_score(score, value="2,75", note="Thiếu báo cáo", version=score.version, by=appraiser)
    c11 = score_of(assessment, "1.1").criterion
    services.return_criteria(assessment, {c11.pk: "Bổ sung kế hoạch"}, by=appraiser)
    client.force_login(appraiser)
    page = client.get(period.get_absolute_url()).content.decode()
    row = page[page.index('id="row-A"'):page.index("</tr>", page.index('id="row-A"'))]
    assert "Trả lại để bổ sung" in row and timezone.localdate().strftime("%d/%m/%Y") in row
    assert ">9,5<" in row  # self total 2 + 3,5 + 4
    assert ">2,75<" in row  # appraised so far (1.1 cleared by the return)
    assert "1/3" in row and "Trần Thị Bình" in row
    assert 'class="chip status-returned">Trả lại để bổ sung <b>1</b>' in page


def test_filters_by_status_and_district(client, appraiser, units):
    other = make_unit("E", "Xã Ở Huyện Khác", "xa", units["other_district"])
    period = make_period(units["province"], code="PT")
    Assessment.objects.filter(period=period, commune=other).update(status=Status.SUBMITTED)
    province_appraiser = make_user("tinh", unit=units["province"], role=Role.APPRAISER)
    client.force_login(province_appraiser)
    page = client.get(period.get_absolute_url(), {"status": "submitted"}).content.decode()
    assert "Xã Ở Huyện Khác" in page and "Xã Đồng Tâm" not in page
    page = client.get(period.get_absolute_url(), {"district": "D1"}).content.decode()
    assert "Xã Đồng Tâm" in page and "Xã Ở Huyện Khác" not in page and "Xã Cẩm Hưng" not in page


def test_csv_download_follows_the_filters(client, period, units, appraiser):
    submitted(period, units["commune"])
    client.force_login(appraiser)
    response = client.get(reverse("scoring:period_csv", args=[period.code]), {"status": "submitted"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "Trạng thái"]
    assert [row[0] for row in rows[1:]] == ["A"]
    assert rows[1][3] == "Đã nộp" and rows[1][6] == "9.5"


def test_bulk_lock_and_reopen_are_audited_with_the_reason(client, period, units, appraiser):
    draft_a = Assessment.objects.get(period=period, commune=units["commune"])
    draft_b = Assessment.objects.get(period=period, commune=units["other_commune"])
    client.force_login(appraiser)
    bulk = reverse("scoring:period_bulk", args=[period.code])
    response = client.post(bulk, {"ids": [draft_a.pk, draft_b.pk], "action": "lock", "reason": ""}, follow=True)
    assert "Vui lòng nêu lý do." in response.content.decode()
    response = client.post(
        bulk, {"ids": [draft_a.pk, draft_b.pk], "action": "lock", "reason": "Hết hạn nộp"}, follow=True
    )
    assert "Đã khóa 2 hồ sơ." in response.content.decode()
    assert AuditEvent.objects.filter(action="locked", reason="Hết hạn nộp").count() == 2
    until = (timezone.localdate() + datetime.timedelta(days=5)).strftime("%d/%m/%Y")
    response = client.post(
        bulk, {"ids": [draft_a.pk], "action": "reopen", "reason": "Gia hạn cho xã", "until": until}, follow=True
    )
    assert "Đã mở lại 1 hồ sơ." in response.content.decode()
    reopened = Assessment.objects.get(pk=draft_a.pk)
    assert not reopened.locked and reopened.reopened_until.strftime("%d/%m/%Y") == until


def test_bulk_ignores_assessments_of_other_periods(client, period, units, appraiser):
    other_period = make_period(units["district"], code="P-KHAC")
    stranger = Assessment.objects.filter(period=other_period).first()
    client.force_login(appraiser)
    client.post(reverse("scoring:period_bulk", args=[period.code]), {"ids": [stranger.pk], "action": "lock", "reason": "x"})
    assert not Assessment.objects.get(pk=stranger.pk).locked


def test_survey_page_imports_or_lists_every_error(client, period, appraiser):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from scoring.models import Criterion, Method

    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(method=Method.SURVEY)
    client.force_login(appraiser)
    target = reverse("scoring:survey", args=[period.code])
    bad = SimpleUploadedFile("xhh.csv", "commune_code,criterion_code,value\nA,2.1,120\nZZ,2.1,1\n".encode())
    response = client.post(target, {"file": bad, "as_percent": "1"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "Dòng 2, cột value: Tỷ lệ 120% phải nằm trong khoảng 0–100." in page
    assert "Dòng 3, cột commune_code: không có đơn vị mã “ZZ”" in page
    good = SimpleUploadedFile("xhh.csv", "commune_code,criterion_code,value,sample_size\nA,2.1,87.5,300\n".encode())
    response = client.post(target, {"file": good, "as_percent": "1"}, follow=True)
    assert "Đã nhập 1 điểm của 1 tiêu chí cho 1 đơn vị" in response.content.decode()
    assert Score.objects.get(assessment__commune__code="A", criterion__code="2.1").appraised_score == D("3.5")


def test_overdue_days():
    due = datetime.date(2024, 12, 31)
    assert overdue_days(due, datetime.date(2025, 1, 10)) == 10
    assert overdue_days(due, datetime.date(2025, 1, 10), submitted_on=datetime.date(2025, 1, 2)) == 2
    assert overdue_days(due, datetime.date(2024, 12, 1)) == 0
    assert overdue_days(due, datetime.date(2025, 1, 10), reopened_until=datetime.date(2025, 1, 7)) == 3
