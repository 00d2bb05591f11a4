"""Publishing through scoring.services.publishing, then reading every file back."""

import csv
import datetime
import io
import subprocess
from decimal import Decimal as D

from openpyxl import load_workbook

from scoring.models import Adjustment, Assessment, Publication, Score
from reports.pdf import store_ranking_pdf
from scoring.services.publishing import publish_period, reopen_for_correction
from tests.factories import make_period

# Appraised scores on the flat tree: 1.1 (max 2), 1.2 (max 4), 2.1 (max 4) = 10 points.
SCORES = {
    "A": {"1.1": "2", "1.2": "3.5", "2.1": "3.275"},
    "B": {"1.1": "1", "1.2": "4", "2.1": "4"},
}
DECISION = {"decision": "766/QĐ-UBND", "decision_date": datetime.date(2023, 3, 16)}


def appraised_period(units):
    period = make_period(units["district"], code="NG-2023", year=2023)
    scores = Score.objects.filter(assessment__period=period).select_related(
        "assessment__commune", "criterion"
    )
    for score in scores:
        value = D(SCORES[score.assessment.commune.code][score.criterion.code])
        score.self_score = min(value + 1, score.criterion.max_points)
        score.appraised_score = value
        score.save()
    period.assessments.update(status=Assessment.Status.APPRAISED)
    return period


def pdf_text(content: bytes) -> str:
    command = ["pdftotext", "-layout", "-", "-"]
    return subprocess.run(command, input=content, capture_output=True, check=True).stdout.decode()


def download(client, url) -> bytes:
    response = client.get(url)
    assert response.status_code == 200, url
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(client, url):
    return list(csv.DictReader(io.StringIO(download(client, url).decode("utf-8"))))


def test_published_period_reads_back_as_html_pdf_xlsx_csv_and_report(
    client, units, appraiser, leader, officer, django_capture_on_commit_callbacks
):
    period = appraised_period(units)
    base = f"/periods/{period.code}"
    with django_capture_on_commit_callbacks(execute=True):
        publish_period(period, by=appraiser, after_commit=store_ranking_pdf, **DECISION)
    stored = Publication.objects.get(period=period).ranking_pdf
    assert stored.name, "the ranking PDF is stored after the commit"

    client.force_login(leader)
    page = download(client, f"{base}/results/").decode()
    assert "Xã Đồng Tâm" in page and "8,78" in page and "Lần công bố 1" in page

    content = download(client, f"{base}/results.pdf")
    with stored.open("rb") as handle:
        assert content == handle.read()  # served from storage, not rendered again
    text = pdf_text(content)
    assert "Quyết định số 766/QĐ-UBND ngày 16/03/2023" in text
    row = next(line for line in text.splitlines() if "Thị trấn Ninh Giang" in line)
    assert row.split()[0] == "1/2" and " 9 " in row

    rows = csv_rows(client, f"{base}/results.csv")
    assert [(r["commune_code"], r["total"], r["rank"]) for r in rows] == [
        ("B", "9", "1"),
        ("A", "8.775", "2"),
    ]
    assert rows[1]["1_score"] == "5.5" and rows[1]["2_score"] == "3.275"

    workbook = load_workbook(io.BytesIO(download(client, f"{base}/results.xlsx")))
    data = list(workbook["Dữ liệu"].iter_rows(min_row=2, values_only=True))
    assert data[1][:6] == ("A", "Xã Đồng Tâm", 8.775, 87.75, 2, 2)

    client.force_login(officer)
    report = pdf_text(download(client, f"{base}/communes/A/report.pdf"))
    flat = " ".join(report.split())
    assert "8,78/10" in flat and "(chỉ số 87,75%)" in flat and "xếp thứ 2/2" in flat
    assert "xếp hạng 2/2 hạng" in flat
    assert "Trang 1/" in report


def test_a_correction_is_a_new_version_and_the_old_one_stays_readable(
    client, units, appraiser, leader, django_capture_on_commit_callbacks
):
    period = appraised_period(units)
    base = f"/periods/{period.code}"
    with django_capture_on_commit_callbacks(execute=True):
        publish_period(period, by=appraiser, **DECISION)
    reopen_for_correction(period, by=appraiser, reason="Sai điểm tiêu chí 2.1 của xã Đồng Tâm")
    client.force_login(leader)
    during = download(client, f"{base}/results/").decode()  # version 1 stays readable
    assert "Lần công bố 1" in during and "đang được mở lại để điều chỉnh" in during
    score = Score.objects.get(
        assessment__period=period, assessment__commune__code="A", criterion__code="2.1"
    )
    score.appraised_score = D("4")
    score.save()
    with django_capture_on_commit_callbacks(execute=True):
        publish_period(period, by=appraiser, decision="801/QĐ-UBND", reason="Sửa tiêu chí 2.1")

    latest = download(client, f"{base}/results/").decode()
    assert "Lần công bố 2" in latest and "Đã có bản điều chỉnh mới hơn" not in latest
    old = download(client, f"{base}/results/?version=1").decode()
    assert "Lần công bố 1" in old and "Đã có bản điều chỉnh mới hơn" in old

    def total_of_a(query):
        rows = csv_rows(client, f"{base}/results.csv{query}")
        return next(row["total"] for row in rows if row["commune_code"] == "A")

    assert total_of_a("?version=1") == "8.775" and total_of_a("") == "9.5"
    old_pdf = pdf_text(download(client, f"{base}/results.pdf?version=1"))
    assert "Lần công bố 1" in old_pdf and "766/QĐ-UBND" in old_pdf
    new_pdf = pdf_text(download(client, f"{base}/results.pdf"))
    assert "Lần công bố 2" in new_pdf and "801/QĐ-UBND" in new_pdf


def test_bonus_and_deduction_points_are_shown_wherever_the_total_is(
    client, units, leader, officer, appraiser, django_capture_on_commit_callbacks
):
    period = appraised_period(units)
    base = f"/periods/{period.code}"
    a = Assessment.objects.get(period=period, commune__code="A")
    Adjustment.objects.create(assessment=a, points=D("0.5"), reason="Sáng kiến cải cách")
    b = Assessment.objects.get(period=period, commune__code="B")
    Adjustment.objects.create(assessment=b, points=D("-1"), reason="Chậm báo cáo")
    with django_capture_on_commit_callbacks(execute=True):
        publish_period(period, by=appraiser, **DECISION)  # A 8,775 + 0,5; B 9 − 1

    client.force_login(leader)
    page = download(client, f"{base}/results/").decode()
    assert "Thưởng/trừ" in page and "+0,5" in page and "9,28" in page

    ranking = pdf_text(download(client, f"{base}/results.pdf"))
    first = next(line for line in ranking.splitlines() if "Xã Đồng Tâm" in line)
    assert first.split()[0] == "1/2" and "+0,5" in first and "9,28" in first
    second = next(line for line in ranking.splitlines() if "Thị trấn Ninh Giang" in line)
    assert second.split()[0] == "2/2" and "-1" in second

    rows = csv_rows(client, f"{base}/results.csv")  # ◆ columns unchanged; totals include them
    assert [(r["commune_code"], r["total"], r["rank"]) for r in rows] == [
        ("A", "9.275", "1"),
        ("B", "8", "2"),
    ]

    sheet = load_workbook(io.BytesIO(download(client, f"{base}/results.xlsx")))["Xếp hạng"]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(row for row in rows if row and row[0] == "Xếp thứ")
    column = header.index("Điểm thưởng (+), điểm trừ (−)")
    assert header[column + 1] == "Tổng điểm"
    a_row = next(row for row in rows if row and row[1] == "A")
    assert (a_row[column], a_row[column + 1]) == (0.5, 9.275)

    client.force_login(officer)
    report = " ".join(pdf_text(download(client, f"{base}/communes/A/report.pdf")).split())
    assert "Điểm thưởng: Sáng kiến cải cách +0,5" in report and "9,28/10" in report
