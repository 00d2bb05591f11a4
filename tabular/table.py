"""read_table: a CSV or XLSX file → a header-checked list of rows of stripped strings."""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import math
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import BinaryIO

EXTENSIONS = (".csv", ".xlsx")
# Excel shows (and keeps meaningful) 15 significant digits: 18.499999999999996 is "18.5".
EXCEL_DIGITS = 15


@dataclass(frozen=True)
class RowError:
    """One problem in a file, at a spreadsheet row (header = 1) and column when known."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"Dòng {self.row}")
        if self.column:
            where.append(f"cột {self.column}" if where else f"Cột {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportFailed(Exception):
    """The file was refused; `errors` lists every problem found, nothing was saved."""

    def __init__(self, errors: RowError | Iterable[RowError]):
        errors = [errors] if isinstance(errors, RowError) else list(errors)
        # Rows in file order; problems of the whole file (no row) after them.
        self.errors = sorted(errors, key=lambda e: math.inf if e.row is None else e.row)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass
class Row:
    number: int  # the spreadsheet row number (header = 1)
    values: dict[str, str]

    def __getitem__(self, column: str) -> str:
        return self.values[column]

    def error(self, column: str | None, message: str) -> RowError:
        return RowError(self.number, column, message)


@dataclass
class Table:
    filename: str
    # The expected columns (required and optional) found in the header, in the caller's order.
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    sha256: str = ""

    def has(self, column: str) -> bool:
        return column in self.columns

    def require(self, columns: Sequence[str]) -> None:
        """Refuse a table read without one of `columns` (for callers given a Table)."""
        missing = [column for column in columns if column not in self.columns]
        if missing:
            raise ImportFailed(_missing_columns(missing, columns))


def read_table(
    source: str | PathLike | BinaryIO,
    filename: str,
    *,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> Table:
    """Read `source` (a path or a binary file object, an uploaded file too) as a table.

    The header is the first non-blank row; its names match `required` and `optional`
    case-insensitively. Blank rows are skipped; other columns are ignored. Each row's values
    hold every required and optional column ("" when empty or absent).

    Raises ImportFailed for an unknown extension, a file that is not UTF-8 (CSV) or not a
    workbook (XLSX), a missing required column, and a file without a header or data rows.
    """
    name = Path(filename).name
    extension = Path(filename).suffix.lower()
    if extension not in EXTENSIONS:
        raise ImportFailed(
            RowError(
                None,
                None,
                f"Không đọc được tệp “{name}”: chỉ nhận tệp CSV (.csv) hoặc Excel (.xlsx).",
            )
        )
    data = _read_bytes(source)
    cells = _csv_rows(data, name) if extension == ".csv" else _xlsx_rows(data, name)
    table = _build_table(cells, name, required, optional)
    table.sha256 = hashlib.sha256(data).hexdigest()
    return table


def choice_lookup(choices: Iterable[tuple[str, object]]) -> dict[str, str]:
    """Map each choice's value and label, lower-cased, to the value ("Xã", "xa" → "xa")."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[str(label).lower()] = value
        lookup[str(value).lower()] = value
    return lookup


def _read_bytes(source) -> bytes:
    if isinstance(source, (str, PathLike)):
        return Path(source).read_bytes()
    if hasattr(source, "seek"):
        source.seek(0)
    data = source.read()
    return data.encode("utf-8") if isinstance(data, str) else data


# --- CSV ------------------------------------------------------------------------------------


def _csv_rows(data: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportFailed(
            RowError(
                None,
                None,
                f"Tệp “{name}” không được mã hóa UTF-8 (gặp ký tự lạ ở dòng {line} của tệp). "
                "Hãy mở tệp bằng Excel và lưu lại với kiểu “CSV UTF-8 (Comma delimited)”.",
            )
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        # Spreadsheet row numbers count records, not lines (a quoted cell may span lines).
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise ImportFailed(
            RowError(
                reader.line_num or None,
                None,
                f"Tệp CSV “{name}” sai định dạng ({error}).",
            )
        ) from None


def _delimiter(text: str) -> str:
    """";" when the first non-blank line has more semicolons than commas outside quotes."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    commas = semicolons = 0
    quoted = False
    for char in header:
        if char == '"':
            quoted = not quoted
        elif not quoted:
            commas += char == ","
            semicolons += char == ";"
    return ";" if semicolons > commas else ","


# --- XLSX -----------------------------------------------------------------------------------


def _xlsx_rows(data: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ImportFailed(
            RowError(None, None, f"Tệp “{name}” không phải là tệp Excel (.xlsx) hợp lệ.")
        ) from None
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()


def _cell_text(value) -> str:
    """A cell as text: numbers as their exact decimal ("18.5", "15"), dates as dd/mm/yyyy."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return _decimal_text(Decimal(format(value, f".{EXCEL_DIGITS}g")))
    if isinstance(value, Decimal):
        return _decimal_text(value)
    if isinstance(value, datetime.datetime):
        if value.time() == datetime.time(0, 0):
            return value.strftime("%d/%m/%Y")
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    return str(value)


def _decimal_text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in {"", "-0"} else text


# --- header and rows ------------------------------------------------------------------------


def _clean(text: str) -> str:
    # NFC so that a decomposed "Xã" (from some Mac or web sources) equals the composed one.
    return unicodedata.normalize("NFC", text.replace("\ufeff", "")).strip()


def _missing_columns(missing: Sequence[str], required: Sequence[str]) -> list[RowError]:
    expected = ", ".join(required)
    return [
        RowError(
            None,
            None,
            f"Thiếu cột bắt buộc “{column}” (dòng tiêu đề phải có các cột: {expected}).",
        )
        for column in missing
    ]


def _build_table(
    cells: Iterable[tuple[int, list[str]]],
    name: str,
    required: Sequence[str],
    optional: Sequence[str],
) -> Table:
    wanted = list(dict.fromkeys([*required, *optional]))
    header_number = None
    header: list[str] = []
    position: dict[str, int] = {}
    absent: dict[str, str] = {}
    rows: list[Row] = []
    for number, raw in cells:
        values = [_clean(str(value)) for value in raw]
        if not any(values):
            continue
        if header_number is None:
            header_number, header = number, values
            position = _header_positions(values, wanted, number)
            absent = {column: "" for column in wanted if column not in position}
            continue
        values += [""] * (len(header) - len(values))
        rows.append(
            Row(number, {**absent, **{column: values[i] for column, i in position.items()}})
        )
    if header_number is None:
        raise ImportFailed(RowError(None, None, f"Tệp “{name}” trống: không có dòng tiêu đề."))
    errors = _missing_columns([c for c in required if c not in position], required)
    if not rows:
        errors.append(
            RowError(None, None, f"Tệp “{name}” không có dòng dữ liệu nào (chỉ có dòng tiêu đề).")
        )
    if errors:
        raise ImportFailed(errors)
    return Table(name, tuple(column for column in wanted if column in position), rows)


def _header_positions(header: list[str], wanted: list[str], number: int) -> dict[str, int]:
    lookup = {column.lower(): column for column in wanted}
    position: dict[str, int] = {}
    repeated = []
    for index, title in enumerate(header):
        column = lookup.get(title.lower())
        if column is None:
            continue
        if column in position:
            repeated.append(RowError(number, column, f"Cột “{column}” xuất hiện hai lần."))
        position.setdefault(column, index)
    if repeated:
        raise ImportFailed(repeated)
    return position
