"""The ranking as an Excel workbook (plain openpyxl; docs/design.md §6 and §8).

The workbook opens on sheet "Xếp hạng", the table for people: Vietnamese headers, the
version, decision and data date above it, frozen header row, totals shown with 2 decimals, and
the count per classification below; with ranking blocks, one table per block under its label
and the counts per block. The second sheet, "Dữ liệu", holds exactly the ◆ CSV columns, header
on row 1, numbers as real numbers (for tools: read it by name).
"""

from __future__ import annotations

import io

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from scoring import rules
from tabular.cells import protect_sheet

from .exports import csv_header, data_rows
from .selectors import ranking

DATA_SHEET = "Dữ liệu"
RANKING_SHEET = "Xếp hạng"

BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")
WEAK_FONT = Font(color="B3261E", bold=True)
THIN = Side(style="thin", color="9AA6B2")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
TWO_DECIMALS = "0.00"
SCORE_FORMAT = "0.###"


def ranking_xlsx(publication) -> bytes:
    """The publication's ranking as XLSX bytes: the formatted sheet first (the one Excel
    opens on), the data sheet second."""
    table = ranking(publication)
    workbook = Workbook()
    people = workbook.active
    people.title = RANKING_SHEET
    _ranking_sheet(people, table)
    _data_sheet(workbook.create_sheet(DATA_SHEET), table)
    for sheet in workbook.worksheets:
        protect_sheet(sheet)  # a unit named "=HYPERLINK(…)" stays text
    period = table.period
    workbook.properties.title = f"Xếp hạng Chỉ số CCHC – {period.name}"
    workbook.properties.subject = table.info.line
    workbook.properties.creator = "Chỉ số CCHC cấp xã"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _data_sheet(sheet, table) -> None:
    sheet.append(csv_header([f.code for f in table.fields], blocks=table.has_blocks))
    for values in data_rows(table):
        sheet.append(values)
    sheet.freeze_panes = "A2"


def _ranking_sheet(sheet, table) -> None:
    period = table.period
    info = table.info
    sheet.append([f"BẢNG XẾP HẠNG CHỈ SỐ CẢI CÁCH HÀNH CHÍNH – {period.name}"])
    sheet["A1"].font = TITLE
    sheet.append([f"Đơn vị thẩm định: {period.wording.appraising_office}"])
    sheet.append([info.line])
    notes = f"Ngày xuất: {rules.format_date(timezone.localdate())}"
    if info.reason:
        notes += f" · Lý do điều chỉnh: {info.reason}"
    if info.superseded:
        notes += f" · Đã có bản điều chỉnh mới hơn (lần {info.latest_version})"
    sheet.append([notes])
    sheet.append([])

    header = ["Xếp thứ", "Mã đơn vị", "Đơn vị"]
    for f in table.fields:
        maximum = rules.format_score(f.max_points)
        header += [f"LV{f.code} (tối đa {maximum})", f"LV{f.code} xếp hạng"]
    if table.has_adjustments:
        header += ["Điểm thưởng (+), điểm trừ (−)"]
    header += ["Tổng điểm", "Điểm tối đa", "Chỉ số (%)", "Xếp loại"]
    if table.has_previous:
        header += ["Tổng điểm năm trước", "Xếp thứ năm trước", "Thay đổi"]
    header_row = None
    for block in table.blocks:
        if block.label:
            sheet.append([f"Khối xếp hạng: {block.label} ({len(block.rows)} đơn vị)"])
            sheet[sheet.max_row][0].font = BOLD
        sheet.append(header)
        header_row = header_row or sheet.max_row
        for cell in sheet[sheet.max_row]:
            cell.font = BOLD
            cell.fill = HEADER_FILL
            cell.alignment = WRAP
            cell.border = BOX
        _ranking_rows(sheet, table, block.rows)
        if table.has_blocks:
            sheet.append([])

    if not table.has_blocks:
        sheet.append([])
    blocks = [block.label for block in table.blocks] if table.has_blocks else []
    sheet.append(["Xếp loại", "", *blocks, "Cộng" if blocks else "Số đơn vị"])
    sheet[sheet.max_row][0].font = BOLD
    for label, per_block, count in table.count_table:
        sheet.append([label, "", *(per_block if blocks else []), count])
    for code, reason in table.excluded:
        sheet.append([f"Không xếp hạng: {code}", "", reason])
    sheet.append([])
    sheet.append(["Lĩnh vực"])
    sheet[sheet.max_row][0].font = BOLD
    for f in table.fields:
        maximum = rules.format_score(f.max_points)
        sheet.append([f"LV{f.code}", "", f"{f.name} (tối đa {maximum} điểm)"])

    # Freeze the heading rows and the rank/code/name columns.
    sheet.freeze_panes = f"D{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    widths = [8, 12, 28] + [10, 9] * len(table.fields) + [10] * table.has_adjustments
    widths += [10, 10, 10, 28, 12, 10, 26]
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width


def _ranking_rows(sheet, table, rows) -> None:
    """One block's rows of the "Xếp hạng" sheet, under its header row."""
    for row in rows:
        result = row.result
        values = [result.rank, row.commune.code, row.commune.name]
        for cell in row.cells:
            if cell is None:
                values += ["", ""]
            else:
                values += [cell.score if cell.applicable else cell.score_text, cell.rank_text]
        if table.has_adjustments:
            values += [result.adjustment]
        values += [result.total, result.applicable_max, result.index, result.classification]
        if table.has_previous:
            values += [result.previous_total, result.previous_rank, row.change_summary]
        sheet.append(values)
        excel_row = sheet[sheet.max_row]
        for cell in excel_row:
            cell.border = BOX
        for i, cell in enumerate(row.cells):
            score = excel_row[3 + 2 * i]
            score.number_format = SCORE_FORMAT
            if cell is not None and cell.weak:
                score.font = WEAK_FONT
        after = 3 + 2 * len(row.cells)
        if table.has_adjustments:
            excel_row[after].number_format = SCORE_FORMAT
            after += 1
        excel_row[after].number_format = TWO_DECIMALS  # total
        excel_row[after + 1].number_format = SCORE_FORMAT  # applicable max
        excel_row[after + 2].number_format = TWO_DECIMALS  # index
        if table.has_previous:
            excel_row[after + 4].number_format = TWO_DECIMALS
