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
