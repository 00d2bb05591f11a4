"""The ◆ CSV and the XLSX, read back with csv and openpyxl."""

import csv
import io
from decimal import Decimal as D

from openpyxl import load_workbook

from reports.excel import DATA_SHEET, RANKING_SHEET, ranking_xlsx
from reports.exports import results_csv
from scoring.selectors import publication_for

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
    assert workbook.sheetnames == [DATA_SHEET, RANKING_SHEET]
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
