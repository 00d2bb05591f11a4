"""read_table: a CSV or XLSX file → a header-checked list of rows of stripped strings."""

from __future__ import annotations

import contextlib
import csv
import datetime
import hashlib
import io
import itertools
import math
import os
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import BinaryIO

from .cells import looks_like_formula

EXTENSIONS = (".csv", ".xlsx")
# A row below the header whose first cell starts with this is a help row, skipped (the blank
# templates of tabular/blank.py carry such rows).
HELP_MARK = "#"
# Excel shows (and keeps meaningful) 15 significant digits: 18.499999999999996 is "18.5".
EXCEL_DIGITS = 15
# A refused file lists at most this many problems, then how many more there are.
MAX_ERRORS = 200
# An XLSX is a zip of XML: its parts may inflate to at most this many times the size cap.
XLSX_INFLATION = 10


@dataclass(frozen=True)
class Limits:
    """What one imported file may hold (the IMPORT_MAX_* settings; README "For developers").

    The defaults fit a national file (3,321 communes × 80 criteria = 265,680 rows, about
    15 MB as CSV) with room to spare, and stop a hostile one before it costs minutes or GBs.
    """

    max_bytes: int = 30 * 1024 * 1024
    max_rows: int = 500_000
    max_columns: int = 100
    max_cell_chars: int = 10_000

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        default = cls()
        return cls(
            max_bytes=getattr(settings, "IMPORT_MAX_BYTES", default.max_bytes),
            max_rows=getattr(settings, "IMPORT_MAX_ROWS", default.max_rows),
            max_columns=getattr(settings, "IMPORT_MAX_COLUMNS", default.max_columns),
            max_cell_chars=getattr(settings, "IMPORT_MAX_CELL_CHARS", default.max_cell_chars),
        )


def count_text(n: int) -> str:
    """A count the Vietnamese way: 122491 → "122.491"."""
    return f"{n:,}".replace(",", ".")


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
    """The file was refused; nothing was saved.

    `errors` keeps the first MAX_ERRORS problems in file order (problems of the whole file,
    with no row, after them); `more` counts the others, `count` all of them. A 50 MB file
    with an error on every row is then 200 messages and a number, not 122,691 lines.
    """

    def __init__(self, errors: RowError | Iterable[RowError], *, more: int = 0):
        if isinstance(errors, ErrorList):
            errors, more = list(errors.kept), more + errors.more
        errors = [errors] if isinstance(errors, RowError) else list(errors)
        errors.sort(key=lambda e: math.inf if e.row is None else e.row)
        self.errors = errors[:MAX_ERRORS]
        self.more = more + len(errors) - len(self.errors)
        self.count = len(self.errors) + self.more
        super().__init__("\n".join(self.lines()))

    def headline(self) -> str:
        """What a page says above the lines: nothing was imported, and why."""
        return (
            f"Không nhập dòng nào: tệp có {count_text(self.count)} lỗi, hãy sửa rồi nhập lại "
            "cả tệp."
        )

    def lines(self) -> list[str]:
        """The messages to show, one a line, and "… và N lỗi khác." when some were left out."""
        lines = [str(error) for error in self.errors]
        if self.more:
            lines.append(f"… và {count_text(self.more)} lỗi khác.")
        return lines


class ErrorList:
    """Where an import collects its RowErrors: keeps the first MAX_ERRORS, counts the rest.

    Used like a list (`append`, `+=`, `len`, iteration); `len` counts every error added, so
    "did this row add an error?" (`len(errors) > before`) keeps working past the cap, while
    iteration gives only the kept ones. ImportFailed(error_list) carries the count.
    """

    def __init__(self, limit: int = MAX_ERRORS):
        self.limit = limit
        self.kept: list[RowError] = []
        self.more = 0

    def append(self, error: RowError) -> None:
        if len(self.kept) < self.limit:
            self.kept.append(error)
        else:
            self.more += 1

    def extend(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.append(error)

    def __iadd__(self, errors: Iterable[RowError]) -> ErrorList:
        self.extend(errors)
        return self

    def __len__(self) -> int:
        return len(self.kept) + self.more

    def __iter__(self) -> Iterator[RowError]:
        return iter(self.kept)


@dataclass(slots=True)
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
    limits: Limits | None = None,
) -> Table:
    """Read `source` (a path or a binary file object, an uploaded file too) as a table.

    The header is the first non-blank row; its names match `required` and `optional`
    case-insensitively. Blank rows are skipped, and so are the help rows below the header
    (first cell starting with "#", tabular/blank.py); other columns are ignored. Each row's values
    hold every required and optional column ("" when empty or absent).

    Raises ImportFailed for an unknown extension, a file that is not UTF-8 (CSV) or not a
    workbook (XLSX), a missing required column, a file without a header or data rows, and a
    file over `limits` (IMPORT_MAX_* settings: bytes, rows, columns, characters in a cell),
    refused as soon as a limit is passed: the file is read as a stream, never whole.
    """
    limits = limits or Limits.from_settings()
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
    with _opened(source) as stream:
        _check_size(stream, name, limits)
        if extension == ".csv":
            reader = _HashingReader(stream)
            cells = _csv_rows(reader, stream, name, limits)
        else:
            reader = _HashingReader(stream)
            reader.read_all()
            stream.seek(0)
            cells = _xlsx_rows(stream, name, limits)
        table = _build_table(cells, name, required, optional, limits)
        table.sha256 = reader.sha256.hexdigest()
    return table


def choice_lookup(choices: Iterable[tuple[str, object]]) -> dict[str, str]:
    """Map each choice's value and label, lower-cased, to the value ("Xã", "xa" → "xa")."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[str(label).lower()] = value
        lookup[str(value).lower()] = value
    return lookup


@contextlib.contextmanager
def _opened(source):
    """A binary, seekable stream at its start: a path is opened (and closed after)."""
    if isinstance(source, (str, PathLike)):
        with open(source, "rb") as stream:
            yield stream
        return
    if hasattr(source, "seek"):
        source.seek(0)
    yield source


def _check_size(stream, name: str, limits: Limits) -> None:
    """Refuse a file over IMPORT_MAX_BYTES before reading any of it."""
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size > limits.max_bytes:
        raise ImportFailed(
            RowError(
                None,
                None,
                f"Tệp “{name}” quá lớn ({_megabytes(size)}): chỉ nhận tệp đến "
                f"{_megabytes(limits.max_bytes)}. Hãy chia thành nhiều tệp nhỏ hơn.",
            )
        )


def _megabytes(size: int) -> str:
    """A file size for people: "52,4 MB", "30 MB"; under 1 MB in bytes ("3.044 byte")."""
    if size < 1024 * 1024:
        return f"{count_text(size)} byte"
    return f"{size / 1024 / 1024:.1f} MB".replace(".", ",").replace(",0 MB", " MB")


class _HashingReader(io.RawIOBase):
    """Reads a binary stream (bytes, or text from a text-mode handle) and hashes what it reads,
    so that the SHA-256 of the audit log needs no second copy of the file."""

    def __init__(self, stream):
        self.stream = stream
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.sha256.update(data)
        buffer[: len(data)] = data
        return len(data)

    def read_all(self) -> None:
        while self.read(1024 * 1024):
            pass


# --- CSV ------------------------------------------------------------------------------------


def _csv_rows(
    reader: _HashingReader, stream, name: str, limits: Limits
) -> Iterator[tuple[int, list[str]]]:
    """The records of a CSV file, decoded and parsed a buffer at a time."""
    text = io.TextIOWrapper(io.BufferedReader(reader), encoding="utf-8-sig", newline="")
    try:
        head = []
        for line in text:
            head.append(line)
            if line.strip() or len(head) > limits.max_rows:
                break
        records = csv.reader(itertools.chain(head, text), delimiter=_delimiter(head[-1] if head else ""))
        # Spreadsheet row numbers count records, not lines (a quoted cell may span lines).
        yield from enumerate(records, start=1)
    except UnicodeDecodeError:
        line = _first_bad_line(stream)
        raise ImportFailed(
            RowError(
                None,
                None,
                f"Tệp “{name}” không được mã hóa UTF-8 (gặp ký tự lạ ở dòng {line} của tệp). "
                "Hãy mở tệp bằng Excel và lưu lại với kiểu “CSV UTF-8 (Comma delimited)”.",
            )
        ) from None
    except csv.Error as error:
        number = records.line_num or None
        if "field larger than field limit" in str(error):
            raise ImportFailed(_long_cell(number, None, None, limits)) from None
        raise ImportFailed(
            RowError(number, None, f"Tệp CSV “{name}” sai định dạng ({error}).")
        ) from None


def _first_bad_line(stream) -> int:
    """The line of a CSV file where UTF-8 decoding fails (read again, a line at a time)."""
    stream.seek(0)
    for number, line in enumerate(stream, start=1):
        if isinstance(line, str):
            return number
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return number


def _delimiter(header: str) -> str:
    """";" when the header line has more semicolons than commas outside quotes."""
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


def _xlsx_rows(stream, name: str, limits: Limits) -> Iterator[tuple[int, list[str]]]:
    """The rows of the first sheet that hold cells, as a stream, up to the row and column caps.

    The sheet's declared `<dimension>` and row gaps are ignored: a 1.6 KB file declaring
    A1:XFD1048576 made openpyxl's `iter_rows` hand out 1,048,576 rows of 16,384 cells (a worker
    spun for minutes); `reset_dimensions()` alone still pads every gap up to a last row
    numbered 1,048,576. So the sheet's XML is read with openpyxl's own row parser (the one
    `iter_rows` uses, dates and shared strings included), which yields only the rows present.
    """
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet._reader import WorkSheetParser

    _check_inflated_size(stream, name, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise _not_a_workbook(name) from None
    try:
        sheet = workbook.worksheets[0]
        with sheet._get_source() as source:
            parser = WorkSheetParser(
                source,
                sheet._shared_strings,
                data_only=True,
                epoch=workbook.epoch,
                date_formats=workbook._date_formats,
                timedelta_formats=workbook._timedelta_formats,
            )
            for number, cells in parser.parse():
                yield number, _xlsx_values(number, cells, name, limits)
    except (zipfile.BadZipFile, KeyError, ValueError, SyntaxError, TypeError):
        raise _not_a_workbook(name) from None
    finally:
        workbook.close()


def _xlsx_values(number: int, cells: list[dict], name: str, limits: Limits) -> list[str]:
    """One parsed row as texts in column order; refused if a value lies past a cap."""
    filled = [cell for cell in cells if cell["value"] is not None]
    if not filled:
        return []
    _check_row_number(number, name, limits)
    last = max(cell["column"] for cell in filled)
    if last > limits.max_columns:
        raise ImportFailed(_too_wide(number, last, limits))
    values = [""] * last
    for cell in filled:
        values[cell["column"] - 1] = _cell_text(cell["value"])
    return values


def _check_inflated_size(stream, name: str, limits: Limits) -> None:
    """Refuse a workbook whose parts inflate past XLSX_INFLATION × IMPORT_MAX_BYTES, from the
    sizes its zip directory declares (zipfile never inflates an entry past its declared size)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            inflated = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_workbook(name) from None
    finally:
        stream.seek(0)
    if inflated > XLSX_INFLATION * limits.max_bytes:
        raise ImportFailed(
            RowError(
                None,
                None,
                f"Tệp “{name}” giải nén ra {_megabytes(inflated)} dữ liệu, quá mức cho phép "
                f"({_megabytes(XLSX_INFLATION * limits.max_bytes)}). Hãy chia thành nhiều tệp.",
            )
        )


def _not_a_workbook(name: str) -> ImportFailed:
    return ImportFailed(
        RowError(None, None, f"Tệp “{name}” không phải là tệp Excel (.xlsx) hợp lệ.")
    )


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
    text = unicodedata.normalize("NFC", text.replace("\ufeff", "")).strip()
    # The app writes formula-like text as "'=…" into CSV (tabular.cells): read it back as "=…".
    if text.startswith("'") and looks_like_formula(text[1:]):
        return text[1:]
    return text


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
    limits: Limits,
) -> Table:
    wanted = list(dict.fromkeys([*required, *optional]))
    header_number = None
    header: list[str] = []
    position: dict[str, int] = {}
    absent: dict[str, str] = {}
    rows: list[Row] = []
    for number, raw in cells:
        if not any(cell.strip() for cell in raw):
            continue
        _check_row(number, raw, header, name, limits)
        if header_number is None:
            header_number, header = number, [_clean(cell) for cell in raw]
            position = _header_positions(header, wanted, number)
            absent = {column: "" for column in wanted if column not in position}
            continue
        if raw[0].strip().startswith(HELP_MARK):
            continue  # a help row of a blank template (tabular/blank.py)
        # Only the wanted cells are kept (and cleaned): a file's other columns cost nothing.
        width = len(raw)
        values = {column: _clean(raw[i]) if i < width else "" for column, i in position.items()}
        rows.append(Row(number, {**absent, **values}))
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


def _check_row(number: int, values: list[str], header: list[str], name: str, limits: Limits):
    """Refuse the file at the first row past IMPORT_MAX_ROWS, a cell past IMPORT_MAX_COLUMNS,
    or a cell longer than IMPORT_MAX_CELL_CHARS."""
    _check_row_number(number, name, limits)
    if len(values) > limits.max_columns:
        last = max(i for i, value in enumerate(values) if value.strip())
        if last >= limits.max_columns:
            raise ImportFailed(_too_wide(number, last + 1, limits))
    if max(map(len, values)) > limits.max_cell_chars:
        for i, value in enumerate(values):
            if len(value.strip()) > limits.max_cell_chars:
                column = header[i] if i < len(header) else None
                raise ImportFailed(_long_cell(number, column, len(value.strip()), limits))


def _check_row_number(number: int, name: str, limits: Limits) -> None:
    if number > limits.max_rows + 1:
        raise ImportFailed(
            RowError(
                None,
                None,
                f"Tệp “{name}” có quá nhiều dòng: chỉ nhận đến "
                f"{count_text(limits.max_rows)} dòng dữ liệu sau dòng tiêu đề (gặp dữ liệu ở "
                f"dòng {count_text(number)}). Hãy chia thành nhiều tệp nhỏ hơn.",
            )
        )


def _too_wide(number: int, column: int, limits: Limits) -> RowError:
    return RowError(
        number,
        None,
        f"có dữ liệu ở cột thứ {count_text(column)}; tệp chỉ được có đến "
        f"{limits.max_columns} cột.",
    )


def _long_cell(number: int | None, column: str | None, length: int | None, limits: Limits):
    size = f" ({count_text(length)} ký tự)" if length else ""
    return RowError(
        number,
        column or None,
        f"ô quá dài{size}: mỗi ô chỉ được có đến {count_text(limits.max_cell_chars)} ký tự.",
    )


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
