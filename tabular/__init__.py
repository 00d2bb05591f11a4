"""Reading the tables the ◆ commands and the admin import (docs/design.md §6).

A table is a CSV file (UTF-8 with or without BOM, "," or ";" separated) or the first sheet of
an XLSX workbook, chosen by the file name's extension. Every value comes back as a stripped
string; the callers parse numbers and codes themselves and report problems as `RowError`s,
collected in an `ErrorList` (the first 200 kept, the rest counted). A file is read as a stream
within `Limits` (the IMPORT_MAX_* settings). `cells` holds the one rule that keeps text a
spreadsheet would run as a formula as text in the files the app writes.
"""

from .table import (
    MAX_ERRORS,
    ErrorList,
    ImportFailed,
    Limits,
    Row,
    RowError,
    Table,
    choice_lookup,
    read_table,
)

__all__ = [
    "MAX_ERRORS",
    "ErrorList",
    "ImportFailed",
    "Limits",
    "Row",
    "RowError",
    "Table",
    "choice_lookup",
    "read_table",
]
