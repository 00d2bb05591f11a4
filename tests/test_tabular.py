import csv
import dataclasses
import datetime
import io
import re
import time
import tracemalloc
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from communes.models import Kind
from tabular import ErrorList, ImportFailed, Limits, RowError, choice_lookup, read_table

from tabular.table import count_text

from .files import run_failing, write_csv, write_xlsx

COLUMNS = ("code", "name", "max_points")


def messages(failure) -> list[str]:
    return [str(error) for error in failure.value.errors]


def test_csv_with_comma_matches_header_names_loosely(tmp_path):
    path = write_csv(
        tmp_path,
        "bang.csv",
        [[" Code ", "NAME", "Max_Points", "ghi chú"], ["1", "  Lĩnh vực 1 ", "15", "bỏ qua"]],
    )
    table = read_table(path, "bang.csv", required=COLUMNS)
    assert table.columns == COLUMNS
    assert [(row.number, row.values) for row in table.rows] == [
        (2, {"code": "1", "name": "Lĩnh vực 1", "max_points": "15"})
    ]
    assert table.filename == "bang.csv" and len(table.sha256) == 64


def test_semicolon_csv_with_bom_keeps_comma_decimals_and_spreadsheet_row_numbers(tmp_path):
    path = write_csv(
        tmp_path,
        "bang.csv",
        [
            ["code", "name", "max_points"],
            ["3", "Cải cách thủ tục hành chính", "18,5"],
            ["", "", ""],
            ["3.1", "Công khai TTHC;\nđủ, đúng", "2"],
            ["3.2", "Một cửa", "16,5"],
        ],
        delimiter=";",
        bom=True,
    )
    table = read_table(path, "bang.csv", required=COLUMNS)
    # The blank row 3 is skipped; row 4's quoted cell spans two lines but is one row.
    assert [(row.number, row["code"], row["max_points"]) for row in table.rows] == [
        (2, "3", "18,5"),
        (4, "3.1", "2"),
        (5, "3.2", "16,5"),
    ]
    assert table.rows[1]["name"] == "Công khai TTHC;\nđủ, đúng"


def test_optional_columns_are_empty_when_absent_and_short_rows_are_padded(tmp_path):
    path = tmp_path / "bang.csv"
    path.write_text("code,name,max_points,guidance\n1,Lĩnh vực\n", encoding="utf-8")
    table = read_table(path, "bang.csv", required=COLUMNS, optional=("guidance", "method"))
    assert table.columns == ("code", "name", "max_points", "guidance")
    assert table.has("guidance") and not table.has("method")
    assert table.rows[0].values == {
        "code": "1", "name": "Lĩnh vực", "max_points": "", "guidance": "", "method": ""
    }


def test_decomposed_vietnamese_is_composed(tmp_path):
    path = tmp_path / "bang.csv"
    path.write_text("code,name,max_points\n1,Xa\u0303 Đồng Tâm,1\n", encoding="utf-8")
    table = read_table(path, "bang.csv", required=COLUMNS)
    assert table.rows[0]["name"] == "Xã Đồng Tâm"


def test_xlsx_numbers_come_back_as_their_exact_decimal_text(tmp_path):
    path = write_xlsx(
        tmp_path,
        "bang.xlsx",
        [
            ["code", "name", "max_points", "opens_on"],
            [1, "Lĩnh vực 1", 15, datetime.date(2024, 3, 16)],
            ["3", "Lĩnh vực 3", 18.5, None],
            [None, None, None, None],
            ["x", "tổng", 0.1 + 0.2, None],
            ["y", "gần", 18.499999999999996, None],
            ["z", "float nguyên", 15.0, None],
            ["d", "Decimal", Decimal("1.577"), True],
        ],
    )
    table = read_table(path, "bang.xlsx", required=COLUMNS, optional=("opens_on",))
    assert [(row.number, row["code"], row["max_points"], row["opens_on"]) for row in table.rows] == [
        (2, "1", "15", "16/03/2024"),
        (3, "3", "18.5", ""),
        (5, "x", "0.3", ""),
        (6, "y", "18.5", ""),
        (7, "z", "15", ""),
        (8, "d", "1.577", "1"),
    ]


def test_file_objects_and_uploaded_files_are_read_too(tmp_path):
    path = write_xlsx(tmp_path, "bang.xlsx", [["code", "name", "max_points"], ["1", "A", 2]])
    with open(path, "rb") as handle:
        assert read_table(handle, "bang.xlsx", required=COLUMNS).rows[0]["max_points"] == "2"
    upload = SimpleUploadedFile("tai-len.csv", "code;name;max_points\n1;A;2,5\n".encode("utf-8-sig"))
    upload.read()  # already read once, e.g. by a form's validation
    table = read_table(upload, upload.name, required=COLUMNS)
    assert table.rows[0]["max_points"] == "2,5"


def test_missing_required_columns_are_each_named(tmp_path):
    path = write_csv(tmp_path, "bang.csv", [["code", "ten"], ["1", "A"]])
    with pytest.raises(ImportFailed) as failure:
        read_table(path, "bang.csv", required=COLUMNS)
    assert messages(failure) == [
        "Thiếu cột bắt buộc “name” (dòng tiêu đề phải có các cột: code, name, max_points).",
        "Thiếu cột bắt buộc “max_points” (dòng tiêu đề phải có các cột: code, name, max_points).",
    ]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "Tệp “bang.csv” trống: không có dòng tiêu đề."),
        (b"\xef\xbb\xbf\r\n;;\r\n", "Tệp “bang.csv” trống: không có dòng tiêu đề."),
        (
            b"code,name,max_points\r\n,,\r\n",
            "Tệp “bang.csv” không có dòng dữ liệu nào (chỉ có dòng tiêu đề).",
        ),
    ],
)
def test_empty_files_are_refused(tmp_path, content, message):
    path = tmp_path / "bang.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFailed) as failure:
        read_table(path, "bang.csv", required=COLUMNS)
    assert messages(failure) == [message]


def test_an_empty_workbook_is_refused(tmp_path):
    path = write_xlsx(tmp_path, "trong.xlsx", [])
    with pytest.raises(ImportFailed) as failure:
        read_table(path, "trong.xlsx", required=COLUMNS)
    assert messages(failure) == ["Tệp “trong.xlsx” trống: không có dòng tiêu đề."]


@pytest.mark.parametrize("encoding", ["cp1258", "latin-1"])
def test_a_file_not_in_utf8_is_refused_with_advice(tmp_path, encoding):
    path = tmp_path / "bang.csv"
    path.write_bytes("code,name,max_points\n1,Tây Ninh,2\n".encode(encoding))
    with pytest.raises(ImportFailed) as failure:
        read_table(path, "bang.csv", required=COLUMNS)
    assert messages(failure) == [
        "Tệp “bang.csv” không được mã hóa UTF-8 (gặp ký tự lạ ở dòng 2 của tệp). "
        "Hãy mở tệp bằng Excel và lưu lại với kiểu “CSV UTF-8 (Comma delimited)”."
    ]


def test_unknown_extensions_and_broken_workbooks_are_refused(tmp_path):
    path = tmp_path / "bang.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(ImportFailed) as failure:
        read_table(path, "bang.xls", required=COLUMNS)
    assert messages(failure) == [
        "Không đọc được tệp “bang.xls”: chỉ nhận tệp CSV (.csv) hoặc Excel (.xlsx)."
    ]
    fake = tmp_path / "bang.xlsx"
    fake.write_text("code,name,max_points\n", encoding="utf-8")
    with pytest.raises(ImportFailed) as failure:
        read_table(fake, "bang.xlsx", required=COLUMNS)
    assert messages(failure) == ["Tệp “bang.xlsx” không phải là tệp Excel (.xlsx) hợp lệ."]


def test_a_repeated_column_is_refused(tmp_path):
    path = write_csv(tmp_path, "bang.csv", [["code", "name", "max_points", "Code"], ["1", "A", "1", "2"]])
    with pytest.raises(ImportFailed) as failure:
        read_table(path, "bang.csv", required=COLUMNS)
    assert messages(failure) == ["Dòng 1, cột code: Cột “code” xuất hiện hai lần."]


def test_row_errors_read_as_sentences_and_sort_by_row():
    assert str(RowError(5, "max_points", "“abc” không phải là số.")) == (
        "Dòng 5, cột max_points: “abc” không phải là số."
    )
    assert str(RowError(5, None, "Thiếu dữ liệu.")) == "Dòng 5: Thiếu dữ liệu."
    assert str(RowError(None, "code", "Sai.")) == "Cột code: Sai."
    assert str(RowError(None, None, "Tệp trống.")) == "Tệp trống."
    failure = ImportFailed([RowError(None, None, "Tổng sai."), RowError(9, "a", "b"), RowError(3, "c", "d")])
    assert [error.row for error in failure.errors] == [3, 9, None]
    assert str(failure).splitlines()[0] == "Dòng 3, cột c: d"


def test_choice_lookup_accepts_slugs_and_labels_in_any_case():
    kinds = choice_lookup(Kind.choices)
    assert kinds["xa"] == kinds["xã"] == kinds["XÃ".lower()] == "xa"
    assert kinds["thị trấn"] == "thi_tran"
    assert kinds["thành phố trực thuộc trung ương"] == "thanh_pho_tw"


# --- bounded reading (issue 10: a file must not take down a worker) ------------------------


def small(**caps) -> Limits:
    return dataclasses.replace(Limits(), **caps)


def test_a_file_over_the_byte_cap_is_refused_before_it_is_read(tmp_path):
    path = write_csv(tmp_path, "bang.csv", [COLUMNS, ["1", "A" * 3000, "2"]])
    with pytest.raises(ImportFailed) as failure:
        read_table(path, "bang.csv", required=COLUMNS, limits=small(max_bytes=2048))
    assert messages(failure) == [
        "Tệp “bang.csv” quá lớn (3.028 byte): chỉ nhận tệp đến 2.048 byte. "
        "Hãy chia thành nhiều tệp nhỏ hơn."
    ]


@pytest.mark.parametrize("writer", [write_csv, write_xlsx])
def test_rows_columns_and_cells_over_the_caps_are_refused_by_name(tmp_path, writer):
    ext = "csv" if writer is write_csv else "xlsx"
    rows = [COLUMNS, *([str(i), "A", "1"] for i in range(5))]
    path = writer(tmp_path, f"bang.{ext}", rows)
    assert len(read_table(path, path.name, required=COLUMNS, limits=small(max_rows=5)).rows) == 5
    with pytest.raises(ImportFailed) as failure:
        read_table(path, path.name, required=COLUMNS, limits=small(max_rows=4))
    assert messages(failure) == [
        f"Tệp “bang.{ext}” có quá nhiều dòng: chỉ nhận đến 4 dòng dữ liệu sau dòng tiêu đề "
        "(gặp dữ liệu ở dòng 6). Hãy chia thành nhiều tệp nhỏ hơn."
    ]
    wide = writer(tmp_path, f"rong.{ext}", [COLUMNS, ["1", "A", "1", "", "", "x"]])
    with pytest.raises(ImportFailed) as failure:
        read_table(wide, wide.name, required=COLUMNS, limits=small(max_columns=5))
    assert messages(failure) == ["Dòng 2: có dữ liệu ở cột thứ 6; tệp chỉ được có đến 5 cột."]
    long = writer(tmp_path, f"dai.{ext}", [COLUMNS, ["1", "Ă" * 10_001, "1"]])
    with pytest.raises(ImportFailed) as failure:
        read_table(long, long.name, required=COLUMNS)
    assert messages(failure) == [
        "Dòng 2, cột name: ô quá dài (10.001 ký tự): mỗi ô chỉ được có đến 10.000 ký tự."
    ]


def dimension_bomb(folder, rows, *, last_cell=False) -> bytes:
    """An XLSX of `rows` whose sheet declares A1:XFD1048576 (and, with `last_cell`, really
    has a value in XFD1048576): about 5 KB."""
    path = write_xlsx(folder, "nguon.xlsx", rows)
    out = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
                if last_cell:
                    data = data.replace(
                        b"</sheetData>",
                        b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'
                        b"</row></sheetData>",
                    )
            bomb.writestr(item, data)
    return out.getvalue()


@pytest.mark.parametrize("last_cell", [False, True])
def test_a_workbook_declaring_a_whole_sheet_is_read_in_well_under_two_seconds(tmp_path, last_cell):
    # Before: openpyxl trusted <dimension>, padding every row to 16,384 columns and the sheet
    # to 1,048,576 rows; a worker spun for minutes, the command for ~35 min.
    data = dimension_bomb(tmp_path, [COLUMNS, ["1", "Lĩnh vực", 2]], last_cell=last_cell)
    path = tmp_path / "bom.xlsx"
    path.write_bytes(data)
    started = time.perf_counter()
    if last_cell:  # the cell really there lies past both caps: refused at that row
        with pytest.raises(ImportFailed) as failure:
            read_table(path, "bom.xlsx", required=COLUMNS)
        assert messages(failure) == [
            "Tệp “bom.xlsx” có quá nhiều dòng: chỉ nhận đến 500.000 dòng dữ liệu sau dòng "
            "tiêu đề (gặp dữ liệu ở dòng 1.048.576). Hãy chia thành nhiều tệp nhỏ hơn."
        ]
    else:
        table = read_table(path, "bom.xlsx", required=COLUMNS)
        assert [row.values for row in table.rows] == [
            {"code": "1", "name": "Lĩnh vực", "max_points": "2"}
        ]
    assert time.perf_counter() - started < 2


def test_a_workbook_inflating_past_the_cap_is_refused_from_its_zip_directory(tmp_path):
    path = write_xlsx(tmp_path, "bang.xlsx", [COLUMNS, ["1", "A" * 5000, "2"]])
    with pytest.raises(ImportFailed) as failure:
        read_table(path, "bang.xlsx", required=COLUMNS, limits=small(max_bytes=1000))
    assert "quá" in messages(failure)[0]


def test_a_refused_file_lists_200_errors_and_counts_the_rest():
    errors = ErrorList()
    for row in range(2, 122_693):
        errors.append(RowError(row, "value", "sai."))
    assert len(errors) == 122_691 and len(list(errors)) == 200
    failure = ImportFailed(errors)
    assert failure.count == 122_691 and len(failure.errors) == 200
    assert failure.lines()[0] == "Dòng 2, cột value: sai."
    assert failure.lines()[-1] == "… và 122.491 lỗi khác."
    assert len(failure.lines()) == 201


def test_a_csv_prefix_written_for_formula_like_text_is_read_back_as_the_text(tmp_path):
    path = write_csv(tmp_path, "bang.csv", [COLUMNS, ["1", "'=HYPERLINK(1)", "2"], ["2", "'Tên", "1"]])
    table = read_table(path, "bang.csv", required=COLUMNS)
    assert [row["name"] for row in table.rows] == ["=HYPERLINK(1)", "'Tên"]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=12), min_size=1, max_size=6),
        max_size=8,
    ),
    st.sampled_from([",", ";"]),
)
def test_any_csv_gives_rows_or_a_vietnamese_refusal_never_a_crash(rows, delimiter):
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows([list(COLUMNS), *rows])
    data = buffer.getvalue().encode("utf-8")
    try:
        table = read_table(io.BytesIO(data), "bang.csv", required=COLUMNS, limits=small(max_rows=5, max_columns=5))
    except ImportFailed as failure:
        assert failure.lines() and all(line.strip() for line in failure.lines())
    else:
        assert 1 <= len(table.rows) <= 5
        assert all(set(row.values) == set(COLUMNS) for row in table.rows)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_give_a_table_or_a_refusal_never_a_crash(data):
    for name in ("bang.csv", "bang.xlsx"):
        try:
            read_table(io.BytesIO(data), name, required=COLUMNS)
        except ImportFailed as failure:
            assert failure.lines()


# --- the caps where files come in: the survey page and the commands ------------------------

SURVEY = ("commune_code", "criterion_code", "value")


@pytest.fixture
def survey_period(period):
    from scoring.models import Criterion, Method

    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(method=Method.SURVEY)
    return period


def test_the_dimension_bomb_is_imported_at_once_on_the_survey_page(client, survey_period, appraiser, tmp_path):
    data = dimension_bomb(tmp_path, [SURVEY, ("A", "2.1", 3)])
    assert len(data) < 6000
    client.force_login(appraiser)
    started = time.perf_counter()
    response = client.post(
        reverse("scoring:survey", args=[survey_period.code]),
        {"file": SimpleUploadedFile("xhh.xlsx", data)},
        follow=True,
    )
    assert time.perf_counter() - started < 2
    assert "Đã nhập 1 điểm của 1 tiêu chí cho 1 đơn vị" in response.content.decode()


def test_the_dimension_bomb_with_a_last_cell_is_refused_at_once_by_the_command(survey_period, tmp_path):
    path = tmp_path / "xhh.xlsx"
    path.write_bytes(dimension_bomb(tmp_path, [SURVEY, ("A", "2.1", 3)], last_cell=True))
    started = time.perf_counter()
    errors = run_failing("import_survey", str(path), "--period", survey_period.code)
    assert time.perf_counter() - started < 2
    assert errors == [
        "Tệp “xhh.xlsx” có quá nhiều dòng: chỉ nhận đến 500.000 dòng dữ liệu sau dòng "
        "tiêu đề (gặp dữ liệu ở dòng 1.048.576). Hãy chia thành nhiều tệp nhỏ hơn."
    ]


def fifty_megabytes_of_bad_rows(folder) -> tuple[Path, int]:
    """A 50 MB survey CSV of one bad row repeated: an unknown commune and a value that is no
    number, padded by a 4 KB comment column the import ignores. Every row after the first
    has three errors (the third: it repeats row 2), the first two."""
    row = ("Z,2.1,abc," + "Ghi chú rất dài. " * 220 + "\n").encode()
    count = 50 * 2**20 // len(row)
    path = folder / "xhh.csv"
    path.write_bytes(b"commune_code,criterion_code,value,ghi_chu\n" + row * count)
    return path, count


def test_a_50_mb_file_is_refused_by_its_size_before_it_is_read(survey_period, tmp_path):
    path, _ = fifty_megabytes_of_bad_rows(tmp_path)
    tracemalloc.start()
    try:
        errors = run_failing("import_survey", str(path), "--period", survey_period.code)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert errors == [
        "Tệp “xhh.csv” quá lớn (50 MB): chỉ nhận tệp đến 30 MB. Hãy chia thành nhiều tệp nhỏ hơn."
    ]
    assert peak < 2 * 2**20


def test_a_50_mb_file_of_bad_rows_under_a_raised_cap_prints_200_errors_and_the_count(
    survey_period, tmp_path, settings, capsys
):
    # Before: 122,691 error lines printed and 497 MB of memory for such a file.
    settings.IMPORT_MAX_BYTES = 64 * 2**20
    path, count = fifty_megabytes_of_bad_rows(tmp_path)
    err = io.StringIO()
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(CommandError) as failure:
            call_command("import_survey", str(path), "--period", survey_period.code, stderr=err)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - started
    lines = err.getvalue().splitlines()
    assert len(lines) == 201
    assert lines[:3] == [
        "Dòng 2, cột commune_code: không có đơn vị mã “Z” trong kỳ đánh giá P2024.",
        "Dòng 2, cột value: “abc” không phải là số.",
        "Dòng 3, cột commune_code: không có đơn vị mã “Z” trong kỳ đánh giá P2024.",
    ]
    errors = 3 * count - 1
    assert lines[-1] == f"… và {count_text(errors - 200)} lỗi khác."
    assert str(failure.value) == f"Có {count_text(errors)} lỗi; không có dữ liệu nào được ghi."
    with capsys.disabled():
        print(f"\n50 MB CSV, {count} bad rows: {seconds:.1f} s, peak {peak / 2**20:.1f} MB (tracemalloc)")
    assert peak < 20 * 2**20
