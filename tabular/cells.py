"""Writing text into the CSV and XLSX files the app hands out, so that no cell runs as a formula.

A spreadsheet treats a cell starting with "=", "+", "-" or "@" (and, after a tab or carriage
return, the same) as a formula: a unit named `=HYPERLINK("http://…","Bấm vào đây")` would become a
live link in the results workbook, `+1+cmd|…` a command in an old Excel. The one rule,
`looks_like_formula`, is applied by every writer:

- CSV: such text gets a leading apostrophe (`'=HYPERLINK(…)`), which spreadsheets show as text;
- XLSX: such text is written as a string cell (never a formula) with the "quote prefix" style,
  so that editing the cell in Excel keeps it text.

Numbers stay numbers: only text is escaped, and text that is a plain number ("-2,5") is not a
formula either.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?")


def looks_like_formula(value) -> bool:
    """Whether a spreadsheet would read `value` as a formula: text starting with "=", "+",
    "-", "@", a tab or a carriage return that is not simply a (negative) number."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(value)
    )


def csv_cell(value):
    """`value` for a CSV cell: formula-like text prefixed with "'", anything else unchanged."""
    return "'" + value if looks_like_formula(value) else value


def csv_row(values) -> list:
    """Every cell of a CSV row through `csv_cell`."""
    return [csv_cell(value) for value in values]


def protect_sheet(sheet) -> None:
    """Turn every formula-like text cell of an openpyxl sheet back into a string cell.

    openpyxl stores any str starting with "=" as a formula; a cell's value stays the text.
    Call it after the rows are written (also for sheets built by tablib).
    """
    for row in sheet.iter_rows():
        for cell in row:
            if looks_like_formula(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
