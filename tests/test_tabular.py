import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from communes.models import Kind
from tabular import ImportFailed, RowError, choice_lookup, read_table

from .files import write_csv, write_xlsx

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
