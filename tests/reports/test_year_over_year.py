"""Year over year across the 2025 mergers (issue 11 item 4), through publish_period and the
real outputs: the results page, the ranking and commune PDFs (read back) and the XLSX (read
back). The data and the hand computation are in tests/scoring/merger_years.py."""

import datetime
import io
import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from communes.models import Role, Succession
from reports.excel import RANKING_SHEET, ranking_xlsx
from reports.pdf import commune_report_pdf, ranking_pdf
from reports.selectors import commune_report, ranking
from scoring.models import Publication, Result, Score
from scoring.services.publishing import publish_period, reopen_for_correction

from ..factories import make_unit, make_user
from ..scoring.merger_years import SCORES_2025, build_years, scores_of
from ..scoring.publish_data import appraise, appraise_all

pytestmark = pytest.mark.django_db

D = Decimal
M3_FROM = "hình thành từ: Xã Kiến Quốc 75 – 4/10; Xã Ninh Hải 70 – 5/10; Xã Văn Hội 65 – 6/10"
M2_FROM = "hình thành từ: Xã Hồng Đức 60 – 7/10; Xã Quang Hưng 55 – 8/10"
# code: (rank change, points change, compared with) computed by hand from merger_years.
CHANGES = {
    "A": ("giảm 4 bậc", "-2 điểm", ""),  # 1st (9) → 5th (7)
    "B": ("giữ nguyên thứ hạng", "+0,5 điểm", ""),  # 2nd (8,5) → 2nd (9)
    "C": ("giữ nguyên thứ hạng", "0 điểm", ""),  # 3rd (8) → 3rd (8)
    "W1": ("tăng 5 bậc", "+2,5 điểm", "so với Xã Tân Hương năm trước"),  # O6: 9th (5) → 4th
    "T2": ("tăng 3 bậc", "+0,5 điểm", "so với Xã Nghĩa An năm trước"),  # O7: 10th (4,5) → 7th
    "M3": ("", "", ""),
    "M2": ("", "", ""),
    "Z": ("", "", ""),
}


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def pdf_text(content: bytes) -> str:
    out = subprocess.run(["pdftotext", "-", "-"], input=content, capture_output=True, check=True)
    return squash(out.stdout.decode("utf-8"))


@pytest.fixture
def years(units):
    made, p2024, p2025 = build_years(units)
    leader = make_user("lanhdao_tinh", unit=units["province"], role=Role.LEADER)
    publish_period(p2024, by=leader)
    appraise(p2025, scores_of(SCORES_2025))
    publication = publish_period(p2025, by=leader)
    return {"units": made, "p2024": p2024, "p2025": p2025, "leader": leader,
            "publication": publication}


def result_of(publication, code) -> Result:
    result = Result.objects.select_related("commune").get(
        publication=publication, commune__code=code
    )
    result.publication = Publication.objects.select_related("period__unit").get(pk=publication.pk)
    return result


def test_the_snapshot_keeps_each_comparison(years):
    rows = {
        r.commune.code: (r.rank, r.rank_of, r.previous_total, r.previous_rank,
                         [u.code for u in r.predecessors()])
        for r in years["publication"].results.select_related("commune")
    }
    assert rows == {
        "M3": (1, 8, None, None, ["O1", "O2", "O3"]),  # 3:1, by name
        "B": (2, 8, D("8.5"), 2, []),
        "C": (3, 8, D(8), 3, []),
        "W1": (4, 8, D(5), 9, ["O6"]),  # 1:1
        "A": (5, 8, D(9), 1, []),
        "M2": (6, 8, None, None, ["O4", "O5"]),  # 2:1
        "T2": (7, 8, D("4.5"), 10, ["O7"]),  # O7 → T1 → T2
        "Z": (8, 8, None, None, []),  # new: nothing to compare, never "new at zero"
    }


def test_the_ranking_says_how_each_unit_compares(years):
    table = ranking(years["publication"])
    found = {
        row.commune.code: (row.rank_change, row.points_change, row.compared_with)
        for row in table.rows
    }
    assert found == CHANGES
    by_code = {row.commune.code: row for row in table.rows}
    assert by_code["M3"].formed_from == M3_FROM
    assert by_code["M2"].formed_from == M2_FROM
    assert by_code["W1"].change_summary == (
        "tăng 5 bậc, +2,5 điểm (so với Xã Tân Hương năm trước)"
    )
    assert by_code["Z"].change_summary == "" and not by_code["Z"].has_previous


def test_the_results_page_shows_the_comparisons(client, years, django_assert_max_num_queries):
    client.force_login(years["leader"])
    url = reverse("reports:results", args=[years["p2025"].code])
    # session, user, memberships, the publication with its period and units, fields,
    # results with communes, communes with a report: the comparisons add no query
    with django_assert_max_num_queries(12):
        response = client.get(url)
    page = squash(response.content.decode())
    assert "So với năm trước" in page
    assert M3_FROM in page and M2_FROM in page
    for code, (rank_change, points_change, compared) in CHANGES.items():
        for text in (rank_change, points_change, compared):
            assert text in page, (code, text)
    # Z's row: its change cell is empty.
    z_row = re.search(r"Đặc khu Mới</td>.*?</tr>", page).group(0)
    assert "bậc" not in z_row and "điểm" not in z_row.replace("Tổng điểm", "")


def test_the_ranking_pdf_shows_the_comparisons(years):
    text = pdf_text(ranking_pdf(years["publication"]))
    for piece in ("giảm 4 bậc", "tăng 5 bậc", "so với Xã Tân Hương năm trước",
                  "so với Xã Nghĩa An năm trước", "Xã Kiến Quốc 75 – 4/10", "Xã Văn Hội 65 – 6/10",
                  "Xã Quang Hưng 55 – 8/10"):
        assert piece in text, piece


def test_commune_reports_say_whom_they_compare_with(years, django_assert_num_queries):
    publication = years["publication"]
    merged = pdf_text(commune_report_pdf(result_of(publication, "M3")))
    assert f"Đơn vị {M3_FROM} (chỉ số – xếp thứ năm trước); không so sánh thứ hạng" in merged
    assert "bậc" not in merged

    result = result_of(publication, "W1")
    with django_assert_num_queries(2):  # fields, O6's result in the version compared with
        report = commune_report(result)
    assert [line.change_text for line in report.lines] == [
        # field 1: O6 2 (9th of 10 distinct last year) → 4,5, 3rd of 7 distinct
        # (6, 5, 4,5, 4, 3, 2, 1,5)
        "+2,5 điểm; hạng 9/10 → 3/7",
        "0 điểm; hạng 1/1 → 2/3",  # field 2: 3 → 3, 2nd of 3 distinct (3,5, 3, 1)
    ]
    ward = pdf_text(commune_report_pdf(result))
    assert ("So với Xã Tân Hương năm trước: tăng 5 bậc, +2,5 điểm (năm trước Xã Tân Hương "
            "đạt 5 điểm, xếp thứ 9)") in ward
    assert "+2,5 điểm; hạng 9/10 → 3/7" in ward

    own = pdf_text(commune_report_pdf(result_of(publication, "A")))
    assert "So với năm trước: giảm 4 bậc, -2 điểm (năm trước 9 điểm, xếp thứ 1)" in own
    new = pdf_text(commune_report_pdf(result_of(publication, "Z")))
    assert "năm trước" not in new


def test_the_xlsx_keeps_the_comparisons(years):
    workbook = load_workbook(io.BytesIO(ranking_xlsx(years["publication"])))
    sheet = workbook[RANKING_SHEET]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in rows if row and row[0] == "Xếp thứ")
    previous, rank, change = (header.index(name) for name in
                              ("Tổng điểm năm trước", "Xếp thứ năm trước", "Thay đổi"))
    by_code = {row[1]: row for row in rows if row and isinstance(row[0], int)}
    assert [by_code["W1"][i] for i in (previous, rank, change)] == [
        5, 9, "tăng 5 bậc, +2,5 điểm (so với Xã Tân Hương năm trước)"]
    assert [by_code["M3"][i] for i in (previous, rank, change)] == [None, None, M3_FROM]
    assert [by_code["A"][i] for i in (previous, rank, change)] == [9, 1, "giảm 4 bậc, -2 điểm"]
    assert [by_code["Z"][i] for i in (previous, rank, change)] == [None, None, None]


def test_a_version_keeps_the_year_it_compared_with(years):
    """A correction of 2024 published after 2025 never changes what 2025's version prints."""
    p2024, leader = years["p2024"], years["leader"]
    reopen_for_correction(p2024, by=leader, reason="Điều chỉnh điểm Xã Tân Hương")
    Score.objects.filter(assessment__period=p2024, assessment__commune__code="O6",
                         criterion__code="1.1").update(appraised_score=D(2))
    publish_period(p2024, by=leader, reason="Điều chỉnh điểm Xã Tân Hương")
    result = result_of(years["publication"], "W1")
    report = commune_report(result)
    assert report.points_change == "+2,5 điểm"
    assert report.lines[0].change_text == "+2,5 điểm; hạng 9/10 → 3/7"


@pytest.mark.parametrize("extra", [0, 40])
def test_publishing_with_last_year_takes_fixed_queries(units, extra, django_assert_max_num_queries):
    """40 more merged communes (each formed from two old ones) cost no query more."""
    day = datetime.date(2025, 7, 1)
    for i in range(extra):
        new = make_unit(f"E{i:02d}", f"Xã Ghép {i:02d}", "xa", units["province"], active_from=day)
        for j in (0, 1):
            old = make_unit(f"E{i:02d}{j}", f"Xã Cũ {i:02d}{j}", "xa", units["district"],
                            active_to=day)
            Succession.objects.create(predecessor=old, successor=new, effective_date=day)
    _made, p2024, p2025 = build_years(units)
    assert p2025.assessments.count() == 8 + extra
    leader = make_user("lanhdao_tinh", unit=units["province"], role=Role.LEADER)
    appraise_all(p2024)
    publish_period(p2024, by=leader)
    appraise_all(p2025)
    # publish's 16 (tests/scoring/test_publish.py) + last year's publication, its results,
    # the lineage (one recursive query), its "tiêu chí dễ mất điểm"
    with django_assert_max_num_queries(20):
        publication = publish_period(p2025, by=leader)
    merged = publication.results.filter(commune__code__startswith="E")
    assert all(len(result.previous_units) == 2 for result in merged)
