import time

import pytest

from communes.models import Unit

from ..files import database_state, run, run_failing, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

HEADER = ["code", "name", "kind", "parent_code"]


def tree() -> dict:
    return {
        code: (name, kind, level, parent)
        for code, name, kind, level, parent in Unit.objects.values_list(
            "code", "name", "kind", "level", "parent__code"
        )
    }


def test_csv_with_parents_later_in_the_file(tmp_path):
    path = write_csv(
        tmp_path,
        "don-vi.csv",
        [
            HEADER,
            ["HD-NG-01", "Thị trấn Ninh Giang", "thi_tran", "HD-NG"],
            ["HD-NG-02", "Xã Đồng Tâm", "xa", "HD-NG"],
            ["HD-NG", "Huyện Ninh Giang", "huyen", "HD"],
            ["HD", "Tỉnh Hải Dương", "tinh", ""],
        ],
    )
    assert run("import_units", str(path)) == (
        "Đã nhập 4 đơn vị từ tệp don-vi.csv: tạo mới 4, cập nhật 0, không thay đổi 0."
    )
    assert tree() == {
        "HD": ("Tỉnh Hải Dương", "tinh", "province", None),
        "HD-NG": ("Huyện Ninh Giang", "huyen", "district", "HD"),
        "HD-NG-01": ("Thị trấn Ninh Giang", "thi_tran", "commune", "HD-NG"),
        "HD-NG-02": ("Xã Đồng Tâm", "xa", "commune", "HD-NG"),
    }


def test_semicolon_csv_with_bom_and_vietnamese_kind_labels(tmp_path):
    path = write_csv(
        tmp_path,
        "don-vi.csv",
        [
            ["Code", "Name", "Kind", "Parent_Code"],
            ["HP", "Thành phố Hải Phòng", "Thành phố trực thuộc Trung ương", ""],
            ["HP-TT", "Phường Tân Tiến; khu mới", "PHƯỜNG", "HP"],
            ["HP-AL", "Huyện An Lão", "huyện", "HP"],
            ["HP-AL-01", "Thị trấn An Lão", "Thị trấn", "HP-AL"],
            ["HP-BLV", "Đặc khu Bạch Long Vĩ", "đặc khu", "HP"],
        ],
        delimiter=";",
        bom=True,
    )
    run("import_units", str(path))
    assert tree() == {
        "HP": ("Thành phố Hải Phòng", "thanh_pho_tw", "province", None),
        "HP-TT": ("Phường Tân Tiến; khu mới", "phuong", "commune", "HP"),
        "HP-AL": ("Huyện An Lão", "huyen", "district", "HP"),
        "HP-AL-01": ("Thị trấn An Lão", "thi_tran", "commune", "HP-AL"),
        "HP-BLV": ("Đặc khu Bạch Long Vĩ", "dac_khu", "commune", "HP"),
    }


def test_xlsx_with_numeric_official_codes_under_existing_units(tmp_path, units):
    path = write_xlsx(
        tmp_path,
        "don-vi.xlsx",
        [HEADER, [10837, "Xã Hồng Phúc", "Xã", "D1"], [10840, "Xã Hưng Long", "xa", "D1"]],
    )
    assert run("import_units", str(path)) == (
        "Đã nhập 2 đơn vị từ tệp don-vi.xlsx: tạo mới 2, cập nhật 0, không thay đổi 0."
    )
    assert Unit.objects.get(code="10837").parent == units["district"]
    assert set(units["district"].children.values_list("code", flat=True)) == {"A", "B", "10837", "10840"}


def test_reimporting_updates_names_kinds_and_parents_in_place(tmp_path, units):
    before = {code: pk for code, pk in Unit.objects.values_list("code", "pk")}
    path = write_csv(
        tmp_path,
        "sua.csv",
        [
            HEADER,
            ["A", "Xã Đồng Tâm (mới)", "xa", "D1"],
            ["B", "Phường Ninh Giang", "phuong", "D2"],
            ["C", "Xã Cẩm Hưng", "xa", "D2"],
            ["N", "Xã Mới", "xa", "D2"],
        ],
    )
    assert run("import_units", str(path)) == (
        "Đã nhập 4 đơn vị từ tệp sua.csv: tạo mới 1, cập nhật 2, không thay đổi 1."
    )
    after = tree()
    assert after["A"] == ("Xã Đồng Tâm (mới)", "xa", "commune", "D1")
    assert after["B"] == ("Phường Ninh Giang", "phuong", "commune", "D2")
    assert {code: pk for code, pk in Unit.objects.values_list("code", "pk") if code in before} == before
    assert Unit.objects.count() == len(before) + 1


def test_ten_thousand_units_import(tmp_path):
    rows = [HEADER, ["T", "Tỉnh Thử", "tinh", ""]]
    rows += [[f"H{d}", f"Huyện {d}", "huyen", "T"] for d in range(99)]
    rows += [[f"X{i}", f"Xã {i}", "xa", f"H{i % 99}"] for i in range(10_000 - 100)]
    path = write_csv(tmp_path, "muoi-nghin.csv", rows)
    started = time.perf_counter()
    summary = run("import_units", str(path))
    print(f"\nimport_units: 10.000 đơn vị trong {time.perf_counter() - started:.2f} giây")
    assert summary == (
        "Đã nhập 10000 đơn vị từ tệp muoi-nghin.csv: tạo mới 10000, cập nhật 0, không thay đổi 0."
    )
    assert Unit.objects.communes().count() == 9900
    assert Unit.objects.get(code="X9899").parent.code == "H98"


def test_one_bad_row_after_9999_good_ones_saves_nothing(tmp_path, units):
    rows = [HEADER] + [[f"X{i}", f"Xã {i}", "xa", "D1"] for i in range(9999)]
    rows.append(["X-BAD", "Xã Lỗi", "xa", "KHONG-CO"])
    path = write_csv(tmp_path, "muoi-nghin.csv", rows)
    before = database_state()
    assert run_failing("import_units", str(path)) == [
        "Dòng 10001, cột parent_code: Không có đơn vị cấp trên mã “KHONG-CO” "
        "(trong tệp hoặc trong cơ sở dữ liệu)."
    ]
    assert database_state() == before


def test_every_error_of_a_bad_file_is_reported_and_nothing_saved(tmp_path, units):
    path = write_csv(
        tmp_path,
        "loi.csv",
        [
            HEADER,
            ["N1", "Xã Một", "xa", "ZZ"],  # unknown parent
            ["N1", "Xã Một (lặp)", "xa", "D1"],  # duplicate code
            ["N3", "Xã Ba", "làng", "D1"],  # unknown kind
            ["N4", "Xã Bốn", "xa", "A"],  # a commune under a commune
            ["N5", "Xã Năm", "xa", ""],  # a commune without parent
            ["N6", "Huyện Sáu", "huyen", "D2"],  # a district under a district
            ["", "", "", ""],
            ["", "Không mã", "", "P"],
            ["N7", "Xã Bảy", "xa", "N7"],
        ],
    )
    before = database_state()
    assert run_failing("import_units", str(path)) == [
        "Dòng 2, cột parent_code: Không có đơn vị cấp trên mã “ZZ” (trong tệp hoặc trong cơ sở dữ liệu).",
        "Dòng 3, cột code: Mã “N1” bị trùng với dòng 2.",
        "Dòng 4, cột kind: “làng” không phải là loại đơn vị hợp lệ (dùng tinh, thanh_pho_tw, huyen, "
        "quan, thi_xa, thanh_pho, xa, phuong, thi_tran, dac_khu hoặc tên như “Xã”, “Phường”, "
        "“Thị trấn”, “Huyện”).",
        "Dòng 5, cột parent_code: Xã không thể trực thuộc Xã Đồng Tâm (mã A, cấp xã).",
        "Dòng 6, cột parent_code: Đơn vị cấp xã phải có đơn vị cấp trên.",
        "Dòng 7, cột parent_code: Huyện không thể trực thuộc Huyện Cẩm Giàng (mã D2, cấp huyện).",
        "Dòng 9, cột code: Chưa có mã đơn vị.",
        "Dòng 9, cột kind: Chưa có loại đơn vị.",
        "Dòng 10, cột parent_code: Đơn vị không thể là cấp trên của chính nó.",
    ]
    assert database_state() == before


def test_a_cycle_through_the_database_is_refused(tmp_path, units):
    # D1 and D2 exist (under P); the file puts D2 under a new X that it puts under D2.
    path = write_csv(
        tmp_path,
        "vong.csv",
        [HEADER, ["X", "Huyện X", "huyen", "D2"], ["D2", "Huyện Cẩm Giàng", "huyen", "X"]],
    )
    before = database_state()
    assert run_failing("import_units", str(path)) == [
        "Dòng 2, cột parent_code: Vòng lặp đơn vị cấp trên: X → D2 → X.",
        "Dòng 3, cột parent_code: Vòng lặp đơn vị cấp trên: D2 → X → D2.",
    ]
    assert database_state() == before


def test_a_kind_change_that_strands_existing_children_is_refused(tmp_path, units):
    path = write_csv(tmp_path, "doi.csv", [HEADER, ["D2", "Xã Cẩm Giàng", "xa", "P"]])
    before = database_state()
    assert run_failing("import_units", str(path)) == [
        "Dòng 2, cột kind: Xã Cẩm Hưng (C) đang trực thuộc đơn vị này; không thể đổi thành Xã."
    ]
    assert database_state() == before


def test_missing_column_empty_file_and_wrong_encoding(tmp_path, units):
    before = database_state()
    missing = write_csv(tmp_path, "thieu.csv", [["code", "name", "kind"], ["X", "Xã X", "xa"]])
    assert run_failing("import_units", str(missing)) == [
        "Thiếu cột bắt buộc “parent_code” (dòng tiêu đề phải có các cột: code, name, kind, parent_code)."
    ]
    empty = tmp_path / "trong.csv"
    empty.write_bytes(b"")
    assert run_failing("import_units", str(empty)) == ["Tệp “trong.csv” trống: không có dòng tiêu đề."]
    legacy = write_csv(
        tmp_path, "cu.csv", [HEADER, ["X", "Tân Tây", "xa", "D1"]], encoding="cp1258"
    )
    assert run_failing("import_units", str(legacy)) == [
        "Tệp “cu.csv” không được mã hóa UTF-8 (gặp ký tự lạ ở dòng 2 của tệp). "
        "Hãy mở tệp bằng Excel và lưu lại với kiểu “CSV UTF-8 (Comma delimited)”."
    ]
    assert run_failing("import_units", str(tmp_path / "khong-co.csv")) == [
        f"Không tìm thấy tệp “{tmp_path / 'khong-co.csv'}”."
    ]
    assert database_state() == before


def test_the_service_takes_a_table_read_from_an_upload(units):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from communes.services import UNIT_COLUMNS, import_units
    from tabular import ImportFailed, read_table

    upload = SimpleUploadedFile(
        "don-vi.csv", "code;name;kind;parent_code\nN;Xã Mới;Xã;D1\n".encode("utf-8-sig")
    )
    table = read_table(upload, upload.name, required=UNIT_COLUMNS)
    assert import_units(table) == {"created": 1, "updated": 0, "unchanged": 0}
    assert Unit.objects.get(code="N").parent == units["district"]
    # A table read with fewer columns than the service needs is refused, not half-read.
    short = read_table(upload, upload.name, required=("code", "name"))
    with pytest.raises(ImportFailed) as failure:
        import_units(short)
    assert [str(error) for error in failure.value.errors] == [
        "Thiếu cột bắt buộc “kind” (dòng tiêu đề phải có các cột: code, name, kind, parent_code).",
        "Thiếu cột bắt buộc “parent_code” (dòng tiêu đề phải có các cột: code, name, kind, parent_code).",
    ]
