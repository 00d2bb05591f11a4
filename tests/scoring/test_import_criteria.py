import csv
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from scoring.models import CriteriaSet, Criterion

from ..files import database_state, run, run_failing, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

REFERENCE = Path(settings.BASE_DIR) / "fixtures" / "reference-commune-2022.csv"
HEADER = ["code", "parent_code", "name", "max_points", "method", "evidence_required", "guidance"]
D = Decimal


def reference_rows() -> list[list[str]]:
    with open(REFERENCE, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def tree_of(code: str) -> list[tuple]:
    return list(
        Criterion.objects.filter(criteria_set__code=code)
        .order_by("position")
        .values_list(
            "code", "parent__code", "field__code", "depth", "max_points", "method",
            "evidence_required", "guidance", "applies_to", "na_policy",
        )
    )


def import_set(path, code="CS", **options) -> str:
    return run("import_criteria", str(path), code=code, name=f"Bộ tiêu chí {code}", **options)


def failing_set(path, code="CS", **options) -> list[str]:
    return run_failing("import_criteria", str(path), code=code, name=f"Bộ tiêu chí {code}", **options)


def small_tree(tmp_path, rows, name="bo.csv", header=HEADER[:5]):
    return write_csv(tmp_path, name, [header, *rows])


def test_the_reference_set_loads_to_100_points_in_10_fields_and_48_leaves():
    summary = run(
        "import_criteria",
        str(REFERENCE),
        code="HD-XA-2022",
        name="Bộ chỉ số CCHC cấp xã tỉnh Hải Dương",
        legal_basis="Quyết định số 3395/QĐ-UBND ngày 15/12/2022 của UBND tỉnh Hải Dương",
    )
    assert summary == "Đã nạp bộ tiêu chí HD-XA-2022: 10 lĩnh vực, 48 tiêu chí chấm điểm, tổng 100 điểm."
    criteria_set = CriteriaSet.objects.get(code="HD-XA-2022")
    assert criteria_set.total_points == 100
    assert criteria_set.legal_basis.startswith("Quyết định số 3395/QĐ-UBND")
    fields = criteria_set.criteria.fields().order_by("position")
    assert [f.code for f in fields] == [str(i) for i in range(1, 11)]
    assert [f.max_points for f in fields] == [D(m) for m in "15 5 18.5 6 11 7 11.5 2 14 10".split()]
    leaves = criteria_set.criteria.leaves()
    assert leaves.count() == 48
    assert sum(leaf.max_points for leaf in leaves) == 100
    assert all(f.field_id == f.pk and f.depth == 0 for f in fields)
    deep = criteria_set.criteria.get(code="1.1.1")
    assert (deep.field.code, deep.depth, deep.parent.code) == ("1", 2, "1.1")
    assert deep.evidence_required and deep.guidance.startswith("Ban hành đúng hạn: 1 điểm")
    computed = criteria_set.criteria.get(code="3.3")
    assert (computed.field.code, computed.depth, computed.method, computed.evidence_required) == (
        "3", 1, "computed", False
    )
    assert criteria_set.criteria.get(code="10.1").method == "sipas"
    assert criteria_set.criteria.filter(method="survey").count() == 7


def test_semicolon_csv_with_bom_and_comma_decimals_gives_the_same_tree(tmp_path):
    rows = reference_rows()
    for row in rows[1:]:
        row[3] = row[3].replace(".", ",")  # "18,5", "1,5"
    path = write_csv(tmp_path, "bo-tieu-chi.csv", rows, delimiter=";", bom=True)
    assert "18,5" in path.read_text(encoding="utf-8-sig")
    import_set(REFERENCE, code="GOC")
    import_set(path, code="CHAM-PHAY")
    assert tree_of("CHAM-PHAY") == tree_of("GOC")


def test_xlsx_with_numeric_cells_gives_the_same_tree(tmp_path):
    rows = reference_rows()
    converted = [rows[0]] + [
        [code, parent, name, float(maximum) if "." in maximum else int(maximum), method, int(evidence), guidance]
        for code, parent, name, maximum, method, evidence, guidance in rows[1:]
    ]
    path = write_xlsx(tmp_path, "bo-tieu-chi.xlsx", converted)
    import_set(REFERENCE, code="GOC")
    assert import_set(path, code="EXCEL") == (
        "Đã nạp bộ tiêu chí EXCEL: 10 lĩnh vực, 48 tiêu chí chấm điểm, tổng 100 điểm."
    )
    assert tree_of("EXCEL") == tree_of("GOC")


def test_optional_columns_and_vietnamese_labels(tmp_path):
    path = write_csv(
        tmp_path,
        "bo.csv",
        [
            HEADER + ["applies_to", "na_policy"],
            ["1", "", "Chỉ đạo, điều hành", "6", "", "", "", "", ""],
            ["1.1", "1", "Kế hoạch", "2", "Tự đánh giá", "Có", "Đúng hạn: 2 điểm", "xa|phuong", "exclude"],
            ["1.2", "1", "Hồ sơ TTHC", "4", "COMPUTED", "x", "", "Xã, Thị trấn", "full"],
            ["2", "", "Sự hài lòng", "4", "sipas", "", "", "", ""],
            ["2.1", "2", "SIPAS", "4", "sipas", "không", "", "", ""],
        ],
    )
    assert import_set(path, total="10") == (
        "Đã nạp bộ tiêu chí CS: 2 lĩnh vực, 3 tiêu chí chấm điểm, tổng 10 điểm."
    )
    assert CriteriaSet.objects.get(code="CS").total_points == 10
    assert [row[:2] + row[4:] for row in tree_of("CS")] == [
        ("1", None, D(6), "self_assessed", False, "", [], ""),
        ("1.1", "1", D(2), "self_assessed", True, "Đúng hạn: 2 điểm", ["xa", "phuong"], "exclude"),
        ("1.2", "1", D(4), "computed", True, "", ["xa", "thi_tran"], "full"),
        ("2", None, D(4), "sipas", False, "", [], ""),
        ("2.1", "2", D(4), "sipas", False, "", [], ""),
    ]


def test_reimporting_replaces_the_set_until_a_period_uses_it(tmp_path, units):
    first = small_tree(tmp_path, [["1", "", "A", "100", "self_assessed"]], "mot.csv")
    second = small_tree(
        tmp_path,
        [
            ["1", "", "A", "60", "self_assessed"],
            ["1.1", "1", "A1", "60", "self_assessed"],
            ["2", "", "B", "40", "survey"],
        ],
        "hai.csv",
    )
    import_set(first, code="BO")
    pk = CriteriaSet.objects.get(code="BO").pk
    import_set(second, code="BO")
    assert CriteriaSet.objects.get(code="BO").pk == pk
    assert [row[:2] for row in tree_of("BO")] == [("1", None), ("1.1", "1"), ("2", None)]
    run("create_period", code="KY-1", year=2024, criteria="BO", unit="D1")
    before = database_state()
    assert failing_set(first, code="BO") == [
        "Bộ tiêu chí BO đã được dùng cho kỳ đánh giá KY-1; không thể thay thế. "
        "Hãy tạo bộ tiêu chí mới (mã khác) hoặc sao chép bộ này."
    ]
    assert database_state() == before


def test_fields_must_add_up_to_100_unless_told(tmp_path):
    path = small_tree(tmp_path, [["1", "", "A", "6", ""], ["2", "", "B", "3,5", ""]])
    before = database_state()
    assert failing_set(path) == ["Tổng điểm tối đa các lĩnh vực là 9,5, khác 100."]
    assert failing_set(path, total="10") == ["Tổng điểm tối đa các lĩnh vực là 9,5, khác 10."]
    assert database_state() == before
    import_set(path, total="9,5")
    assert CriteriaSet.objects.get(code="CS").total_points == D("9.5")


def test_children_not_adding_up_name_the_parent_row(tmp_path):
    path = small_tree(
        tmp_path,
        [
            ["1", "", "A", "60", ""],
            ["1.1", "1", "A1", "20", ""],
            ["1.2", "1", "A2", "30,5", ""],
            ["2", "", "B", "40", ""],
        ],
    )
    before = database_state()
    assert failing_set(path) == [
        "Dòng 2, cột max_points: Tiêu chí 1: tổng điểm tối đa các tiêu chí con là 50,5, "
        "khác điểm tối đa 60."
    ]
    assert database_state() == before


def test_every_bad_row_is_reported_with_its_column(tmp_path):
    path = write_csv(
        tmp_path,
        "loi.csv",
        [
            HEADER + ["applies_to", "na_policy"],
            ["1", "", "Lĩnh vực", "abc", "self_assessed", "", "", "", ""],
            ["1.1", "1", "Âm", "-2", "self_assessed", "", "", "", ""],
            ["1.2", "1", "Phương pháp lạ", "1", "tự chấm", "", "", "", ""],
            ["1.2", "1", "Trùng mã", "1", "self_assessed", "", "", "", ""],
            ["1.3", "1", "Kiểm chứng lạ", "1", "", "maybe", "", "", ""],
            ["1.4", "1", "Loại lạ", "1", "", "", "", "xa|làng", "bỏ qua"],
            ["1.5", "1", "", "", "", "", "", "", ""],
            ["1.6", "1.9", "Cha lạ", "1", "", "", "", "", ""],
        ],
    )
    before = database_state()
    assert failing_set(path) == [
        "Dòng 2, cột max_points: “abc” không phải là số.",
        "Dòng 3, cột max_points: Điểm tối đa “-2” không được âm.",
        "Dòng 4, cột method: “tự chấm” không phải là phương pháp chấm hợp lệ "
        "(dùng self_assessed, survey, sipas, computed).",
        "Dòng 5, cột code: Mã “1.2” bị trùng với dòng 4.",
        "Dòng 6, cột evidence_required: “maybe” không hợp lệ (dùng 1/0, có/không, true/false "
        "hoặc x; để trống là không cần).",
        "Dòng 7, cột applies_to: “làng” không phải là loại đơn vị hợp lệ.",
        "Dòng 7, cột na_policy: “bỏ qua” không hợp lệ (dùng exclude, full hoặc để trống).",
        "Dòng 8, cột name: Chưa có tên tiêu chí.",
        "Dòng 8, cột max_points: Chưa có điểm tối đa.",
        # Parents are still checked; sums are not, as some maxima did not parse.
        "Dòng 9, cột parent_code: Tiêu chí 1.6: không có tiêu chí cha “1.9”.",
    ]
    assert database_state() == before


def test_unknown_parent_alone(tmp_path):
    path = small_tree(
        tmp_path,
        [["1", "", "A", "100", ""], ["1.1", "1", "A1", "50", ""], ["1.2", "1.9", "A2", "50", ""]],
    )
    assert failing_set(path) == [
        "Dòng 2, cột max_points: Tiêu chí 1: tổng điểm tối đa các tiêu chí con là 50, "
        "khác điểm tối đa 100.",
        "Dòng 4, cột parent_code: Tiêu chí 1.2: không có tiêu chí cha “1.9”.",
    ]
    assert not CriteriaSet.objects.exists()


def test_a_cycle_in_the_tree_is_refused(tmp_path):
    path = small_tree(
        tmp_path,
        [["1", "", "A", "100", ""], ["1.1", "1.2", "A1", "5", ""], ["1.2", "1.1", "A2", "5", ""]],
    )
    assert failing_set(path) == [
        "Dòng 3, cột parent_code: Tiêu chí 1.1: cây tiêu chí có vòng lặp qua “1.1”.",
        "Dòng 4, cột parent_code: Tiêu chí 1.2: cây tiêu chí có vòng lặp qua “1.2”.",
    ]
    assert not CriteriaSet.objects.exists() and not Criterion.objects.exists()


def test_missing_column_empty_file_and_wrong_encoding(tmp_path):
    missing = write_csv(tmp_path, "thieu.csv", [HEADER[:3] + HEADER[4:], ["1", "", "A", "self_assessed", "", ""]])
    assert failing_set(missing) == [
        "Thiếu cột bắt buộc “max_points” (dòng tiêu đề phải có các cột: code, parent_code, name, "
        "max_points, method)."
    ]
    header_only = write_csv(tmp_path, "trong.csv", [HEADER])
    assert failing_set(header_only) == [
        "Tệp “trong.csv” không có dòng dữ liệu nào (chỉ có dòng tiêu đề)."
    ]
    legacy = tmp_path / "cu.csv"
    legacy.write_bytes(REFERENCE.read_text(encoding="utf-8").encode("latin-1", errors="replace"))
    assert failing_set(legacy) == [
        "Tệp “cu.csv” không được mã hóa UTF-8 (gặp ký tự lạ ở dòng 2 của tệp). "
        "Hãy mở tệp bằng Excel và lưu lại với kiểu “CSV UTF-8 (Comma delimited)”."
    ]
    assert failing_set(REFERENCE, total="trăm") == ["--total: “trăm” không phải là số."]
    assert not CriteriaSet.objects.exists()
