"""Blank import files to fill in (issue 14): the ◆ header row, then help rows in Vietnamese
that start with HELP_MARK, which `read_table` skips. So a template filled in below its help
rows imports as it is. CSV: UTF-8 with BOM (Excel opens it right); XLSX: one sheet, the
header bold, the help rows grey and italic."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from .cells import csv_row, protect_sheet
from .table import HELP_MARK


def _help(lines: Sequence[str]) -> list[str]:
    return [line if line.startswith(HELP_MARK) else f"{HELP_MARK} {line}" for line in lines]


def blank_csv(columns: Sequence[str], help_lines: Sequence[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for line in _help(help_lines):
        writer.writerow(csv_row([line] + [""] * (len(columns) - 1)))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def blank_xlsx(columns: Sequence[str], help_lines: Sequence[str], *, title: str = "Mẫu nhập") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in _help(help_lines):
        sheet.append([line])
        sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True, color="666666")
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = max(16, len(column) + 4)
    protect_sheet(sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


SKIPPED_NOTE = "Dòng hướng dẫn (bắt đầu bằng #) được bỏ qua khi nhập; điền dữ liệu từ dòng dưới."
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


def blank_file(
    extension: str, columns: Sequence[str], help_lines: Sequence[str], *, title: str = "Mẫu nhập"
) -> tuple[bytes, str]:
    """The template as `extension` ("csv" or "xlsx"): (body, content type)."""
    if extension == "xlsx":
        return blank_xlsx(columns, help_lines, title=title), XLSX_TYPE
    if extension == "csv":
        return blank_csv(columns, help_lines), CSV_TYPE
    raise ValueError(f"unknown template format: {extension}")


def columns_help(required: Sequence[str], optional: Sequence[str] = ()) -> list[str]:
    """The help rows every template starts with: that they are skipped, and which columns
    must be filled."""
    lines = [
        SKIPPED_NOTE,
        f"Cột bắt buộc: {', '.join(required)}."
        + (f" Cột không bắt buộc: {', '.join(optional)}." if optional else ""),
    ]
    return lines
