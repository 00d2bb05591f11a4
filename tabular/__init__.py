"""Reading the tables the ◆ commands and the admin import (design.md §6).

A table is a CSV file (UTF-8 with or without BOM, "," or ";" separated) or the first sheet of
an XLSX workbook, chosen by the file name's extension. Every value comes back as a stripped
string; the callers parse numbers and codes themselves and report problems as `RowError`s.
"""

from .table import ImportFailed, Row, RowError, Table, choice_lookup, read_table

__all__ = ["ImportFailed", "Row", "RowError", "Table", "choice_lookup", "read_table"]
