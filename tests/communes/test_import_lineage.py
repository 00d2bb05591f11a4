"""Units with dates and their lineage, loaded by the ◆ commands import_units and
import_successions (docs/design.md §6): good files, re-imports, and bad files refused whole."""

import datetime
from pathlib import Path

import pytest

from communes.models import Succession, Unit
from scoring.models import Period

from ..factories import make_criteria_set
from ..files import database_state, run, run_failing, write_csv, write_xlsx
from .reform import (
    NEW_COMMUNES,
    OLD_COMMUNES,
    SUCCESSION_HEADER,
    SUCCESSIONS,
    REFORM,
    UNIT_HEADER,
    UNITS,
    load_reform,
)

pytestmark = pytest.mark.django_db

JULY_1 = datetime.date(2025, 7, 1)


def dates() -> dict:
    return {
        code: (active_from, active_to)
        for code, active_from, active_to in Unit.objects.values_list(
            "code", "active_from", "active_to"
        )
    }


def lineage() -> list[tuple[str, str, datetime.date]]:
    return sorted(
        Succession.objects.values_list("predecessor__code", "successor__code", "effective_date")
    )


def communes_on(day: datetime.date) -> list[str]:
    return sorted(Unit.objects.communes().active(day).values_list("code", flat=True))


def state() -> dict:
    return {**database_state(), "dates": dates(), "lineage": lineage()}


# --- import_units: dates ------------------------------------------------------------------


def test_units_with_dates_and_successions_from_csv(tmp_path):
    load_reform(tmp_path)
    assert dates()["MH-A"] == (None, JULY_1)
    assert dates()["MH-01"] == (JULY_1, None)
    assert dates()["MH"] == (None, None)
    # Active on D when active_from ≤ D < active_to: the old communes to 30/06/2025, the new
    # ones from 01/07/2025.
    assert communes_on(datetime.date(2025, 6, 30)) == OLD_COMMUNES
    assert communes_on(JULY_1) == NEW_COMMUNES
    assert lineage() == [(old, new, JULY_1) for old, new, _ in SUCCESSIONS]


def test_xlsx_date_cells_and_text_dates(tmp_path):
    path = write_xlsx(
        tmp_path,
        "don-vi.xlsx",
        [
            UNIT_HEADER,
            ["T", "Tỉnh Thử", "tinh", None, None, None],
            ["T-1", "Xã Cũ", "xa", "T", datetime.datetime(2019, 1, 15), "01/07/2025"],
            ["T-2", "Phường Mới", "phuong", "T", datetime.date(2025, 7, 1), None],
        ],
    )
    assert run("import_units", str(path)).endswith("tạo mới 3, cập nhật 0, không thay đổi 0.")
    assert dates()["T-1"] == (datetime.date(2019, 1, 15), JULY_1)
    assert dates()["T-2"] == (JULY_1, None)
    path = write_xlsx(
        tmp_path,
        "ke-thua.xlsx",
        [SUCCESSION_HEADER, ["T-1", "T-2", datetime.datetime(2025, 7, 1)]],
    )
    assert run("import_successions", str(path)) == (
        "Đã nhập 1 dòng kế thừa từ tệp ke-thua.xlsx: tạo mới 1, sửa ngày 0, không thay đổi 0."
    )
    assert lineage() == [("T-1", "T-2", JULY_1)]


def test_a_file_without_date_columns_keeps_the_dates_and_an_empty_date_opens_them(tmp_path):
    load_reform(tmp_path)
    plain = write_csv(
        tmp_path, "ten.csv", [UNIT_HEADER[:4], ["MH-A", "Xã An Lạc (cũ)", "xa", "MH-H1"]]
    )
    assert run("import_units", str(plain)).endswith("tạo mới 0, cập nhật 1, không thay đổi 0.")
    assert Unit.objects.get(code="MH-A").name == "Xã An Lạc (cũ)"
    assert dates()["MH-A"] == (None, JULY_1)
    # The same file as loaded: nothing changes.
    again = write_csv(tmp_path, "lai.csv", [UNIT_HEADER, *UNITS[1:]])
    assert run("import_units", str(again)).endswith("tạo mới 0, cập nhật 1, không thay đổi 9.")
    # With the column, an empty cell is an open date (the unit was not dissolved after all).
    reopened = write_csv(
        tmp_path, "mo.csv", [UNIT_HEADER, ["MH-B", "Xã Bình Minh", "xa", "MH-H1", "", ""]]
    )
    assert run("import_units", str(reopened)).endswith("cập nhật 1, không thay đổi 0.")
    assert dates()["MH-B"] == (None, None)
    # Only active_to in the file: active_from stays, and the two are checked together.
    only_to = write_csv(
        tmp_path,
        "den.csv",
        [
            ["code", "name", "kind", "parent_code", "active_to"],
            ["MH-01", "Xã Đông An", "xa", "MH", "01/01/2026"],
        ],
    )
    run("import_units", str(only_to))
    assert dates()["MH-01"] == (JULY_1, datetime.date(2026, 1, 1))


def test_bad_dates_are_refused_whole_with_their_rows(tmp_path, units):
    path = write_csv(
        tmp_path,
        "ngay-sai.csv",
        [
            UNIT_HEADER,
            ["N1", "Xã Một", "xa", "D1", "31/02/2025", ""],  # no such day
            ["N2", "Xã Hai", "xa", "D1", "", "2025-07-01"],  # not dd/mm/yyyy
            ["N3", "Xã Ba", "xa", "D1", "01/07/2025", "01/07/2025"],  # ends the day it begins
            ["N4", "Xã Bốn", "xa", "D1", "01/07/2025", "30/06/2025"],  # ends before it begins
            ["N5", "Xã Năm", "xa", "D1", "01/07/2025", ""],  # fine, but the file is refused
        ],
    )
    before = state()
    assert run_failing("import_units", str(path)) == [
        "Dòng 2, cột active_from: “31/02/2025” không phải là ngày hợp lệ (dạng dd/mm/yyyy, "
        "ví dụ 01/07/2025).",
        "Dòng 3, cột active_to: “2025-07-01” không phải là ngày hợp lệ (dạng dd/mm/yyyy, "
        "ví dụ 01/07/2025).",
        "Dòng 4, cột active_to: Ngày hết hiệu lực 01/07/2025 phải sau ngày hiệu lực 01/07/2025.",
        "Dòng 5, cột active_to: Ngày hết hiệu lực 30/06/2025 phải sau ngày hiệu lực 01/07/2025.",
    ]
    assert state() == before


def test_a_stored_start_checked_against_a_new_end(tmp_path, units):
    Unit.objects.filter(code="A").update(active_from=JULY_1)
    path = write_csv(
        tmp_path,
        "den.csv",
        [
            ["code", "name", "kind", "parent_code", "active_to"],
            ["A", "Xã Đồng Tâm", "xa", "D1", "01/01/2025"],
        ],
    )
    before = state()
    assert run_failing("import_units", str(path)) == [
        "Dòng 2, cột active_to: Ngày hết hiệu lực 01/01/2025 phải sau ngày hiệu lực 01/07/2025."
    ]
    assert state() == before


# --- import_successions -------------------------------------------------------------------


def test_reimporting_the_same_lineage_changes_nothing_and_a_new_date_corrects_it(tmp_path):
    load_reform(tmp_path)
    path = write_csv(tmp_path, "ke-thua.csv", [SUCCESSION_HEADER, *SUCCESSIONS])
    before = state()
    assert run("import_successions", str(path)) == (
        "Đã nhập 5 dòng kế thừa từ tệp ke-thua.csv: tạo mới 0, sửa ngày 0, không thay đổi 5."
    )
    assert state() == before
    # A corrected date for one pair (semicolons, BOM: as Excel saves it), one pair added.
    Unit.objects.filter(code="MH-02").update(active_from=None)
    corrected = write_csv(
        tmp_path,
        "sua.csv",
        [SUCCESSION_HEADER, ["MH-C", "MH-02", "15/06/2025"], ["MH-B", "MH-02", "01/07/2025"]],
        delimiter=";",
        bom=True,
    )
    assert run("import_successions", str(corrected)).endswith(
        "tạo mới 1, sửa ngày 1, không thay đổi 0."
    )
    assert ("MH-C", "MH-02", datetime.date(2025, 6, 15)) in lineage()
    assert ("MH-B", "MH-02", JULY_1) in lineage() and len(lineage()) == 6


def test_every_error_of_a_bad_lineage_file_is_reported_and_nothing_saved(tmp_path):
    load_reform(tmp_path)
    path = write_csv(
        tmp_path,
        "ke-thua-sai.csv",
        [
            SUCCESSION_HEADER,
            ["MH-X", "MH-01", "01/07/2025"],  # unknown predecessor
            ["MH-A", "MH-99", "01/07/2025"],  # unknown successor
            ["", "MH-01", ""],  # no predecessor, no date
            ["MH-B", "MH-02", "1/7/25"],  # bad date
            ["MH-A", "MH-A", "01/07/2025"],  # a unit succeeding itself
            ["MH-B", "MH-01", "30/06/2025"],  # the new commune does not exist yet
            ["MH-C", "MH-02", "01/07/2025"],  # fine
            ["MH-C", "MH-02", "01/07/2025"],  # the same pair twice
            ["MH-H1", "MH-01", "01/07/2025"],  # a district succeeded by a commune
            ["MH-01", "MH-03", "01/07/2025"],  # MH-01 began that day
        ],
    )
    before = state()
    assert run_failing("import_successions", str(path)) == [
        "Dòng 2, cột predecessor_code: Không có đơn vị mã “MH-X” (hãy nhập đơn vị trước).",
        "Dòng 3, cột successor_code: Không có đơn vị mã “MH-99” (hãy nhập đơn vị trước).",
        "Dòng 4, cột predecessor_code: Chưa có mã đơn vị cũ.",
        "Dòng 4, cột effective_date: Chưa có ngày hiệu lực.",
        "Dòng 5, cột effective_date: “1/7/25” không phải là ngày hợp lệ (dạng dd/mm/yyyy, "
        "ví dụ 01/07/2025).",
        "Dòng 6, cột successor_code: Đơn vị mới phải khác đơn vị cũ.",
        "Dòng 7, cột effective_date: Xã Đông An (mã MH-01) không hoạt động vào ngày 30/06/2025 "
        "(hoạt động từ ngày 01/07/2025).",
        "Dòng 9, cột successor_code: Cặp MH-C → MH-02 bị trùng với dòng 8.",
        "Dòng 10, cột successor_code: Xã Đông An (mã MH-01) thuộc cấp xã, còn Huyện Đông Hòa "
        "(mã MH-H1) thuộc cấp huyện: đơn vị cũ và đơn vị mới phải cùng cấp.",
        "Dòng 11, cột effective_date: Xã Đông An (mã MH-01) bắt đầu hoạt động từ ngày "
        "01/07/2025, không thể được kế thừa vào ngày 01/07/2025.",
    ]
    assert state() == before


def test_a_successor_dissolved_before_the_date_is_refused(tmp_path):
    load_reform(tmp_path)
    path = write_csv(tmp_path, "muon.csv", [SUCCESSION_HEADER, ["MH-A", "MH-B", "01/07/2025"]])
    before = state()
    assert run_failing("import_successions", str(path)) == [
        "Dòng 2, cột effective_date: Xã Bình Minh (mã MH-B) không hoạt động vào ngày 01/07/2025 "
        "(thôi hoạt động từ ngày 01/07/2025)."
    ]
    assert state() == before


def test_a_cycle_in_the_file_is_refused(tmp_path, units):
    path = write_csv(
        tmp_path,
        "vong.csv",
        [
            SUCCESSION_HEADER,
            ["A", "B", "01/07/2025"],
            ["B", "A", "01/07/2025"],
            ["C", "A", "01/07/2025"],  # no cycle through C: only the two rows above
        ],
    )
    before = state()
    assert run_failing("import_successions", str(path)) == [
        "Dòng 2, cột successor_code: Vòng lặp kế thừa: A → B → A.",
        "Dòng 3, cột successor_code: Vòng lặp kế thừa: B → A → B.",
    ]
    assert state() == before


def test_a_cycle_closed_with_the_lineage_already_recorded_is_refused(tmp_path, units):
    first = write_csv(tmp_path, "dau.csv", [SUCCESSION_HEADER, ["A", "B", "01/07/2025"]])
    run("import_successions", str(first))
    path = write_csv(
        tmp_path,
        "vong.csv",
        [SUCCESSION_HEADER, ["B", "C", "01/08/2025"], ["C", "A", "01/09/2025"]],
    )
    before = state()
    assert run_failing("import_successions", str(path)) == [
        "Dòng 2, cột successor_code: Vòng lặp kế thừa: B → C → A → B.",
        "Dòng 3, cột successor_code: Vòng lặp kế thừa: C → A → B → C.",
    ]
    assert state() == before
    # Each row alone is fine: the chain A → B → C is lineage, not a cycle.
    chain = write_csv(tmp_path, "chuoi.csv", [SUCCESSION_HEADER, ["B", "C", "01/08/2025"]])
    assert run("import_successions", str(chain)).endswith(
        "tạo mới 1, sửa ngày 0, không thay đổi 0."
    )


def test_missing_columns_are_refused(tmp_path, units):
    path = write_csv(tmp_path, "thieu.csv", [["predecessor_code", "successor_code"], ["A", "B"]])
    assert run_failing("import_successions", str(path)) == [
        "Thiếu cột bắt buộc “effective_date” (dòng tiêu đề phải có các cột: predecessor_code, "
        "successor_code, effective_date)."
    ]
    assert not Succession.objects.exists()


def readme_example(name: str) -> str:
    """The example file `name` printed in the README (its first code block after the name)."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(f"Ví dụ `{name}`") :]
    return after.split("```\n", 2)[1]


def test_the_readme_examples_load_and_open_both_years(tmp_path):
    for name in ("don-vi.csv", "ke-thua.csv"):
        (tmp_path / name).write_text(readme_example(name), encoding="utf-8")
    run("import_units", str(tmp_path / "don-vi.csv"))
    assert run("import_successions", str(tmp_path / "ke-thua.csv")).endswith(
        "tạo mới 3, sửa ngày 0, không thay đổi 0."
    )
    make_criteria_set("BTC", tree="flat")
    run("create_period", code="MH-2024", year=2024, criteria="BTC", unit="T01")
    run("create_period", code="MH-2025", year=2025, criteria="BTC", unit="T01", previous="MH-2024")
    assert sorted(
        Period.objects.get(code="MH-2024").assessments.values_list("commune__code", flat=True)
    ) == ["X001", "X002", "X003"]
    assert sorted(
        Period.objects.get(code="MH-2025").assessments.values_list("commune__code", flat=True)
    ) == ["X101", "X102"]


def test_new_dates_that_break_the_stored_lineage_are_refused(tmp_path):
    load_reform(tmp_path)
    path = write_csv(
        tmp_path,
        "ngay-moi.csv",
        [
            UNIT_HEADER,
            ["MH-01", "Xã Đông An", "xa", "MH", "01/08/2025", ""],  # formed after its date
            ["MH-02", "Xã Đông Hòa", "xa", "MH", "01/01/2025", "01/07/2025"],  # gone by then
            ["MH-D", "Phường Tây Sơn", "phuong", "MH-H2", "01/07/2025", "01/01/2026"],
            ["MH-E", "Phường Tây Hồ", "phuong", "MH-H2", "01/01/2020", "01/07/2025"],  # fine
        ],
    )
    before = state()
    fix = "sửa quan hệ kế thừa trước (import_successions hoặc trang Quản trị)."
    assert run_failing("import_units", str(path)) == [
        "Dòng 2, cột active_from: Xã Đông An (mã MH-01) kế thừa Xã An Lạc (mã MH-A) từ ngày "
        f"01/07/2025 nhưng với ngày mới thì không hoạt động vào ngày đó; {fix}",
        "Dòng 2, cột active_from: Xã Đông An (mã MH-01) kế thừa Xã Bình Minh (mã MH-B) từ ngày "
        f"01/07/2025 nhưng với ngày mới thì không hoạt động vào ngày đó; {fix}",
        "Dòng 3, cột active_to: Xã Đông Hòa (mã MH-02) kế thừa Thị trấn Đông Hòa (mã MH-C) từ "
        f"ngày 01/07/2025 nhưng với ngày mới thì không hoạt động vào ngày đó; {fix}",
        "Dòng 4, cột active_from: Phường Tây Sơn (mã MH-D) được Phường Tây Hòa (mã MH-03) kế "
        f"thừa từ ngày 01/07/2025: ngày bắt đầu hoạt động phải trước ngày đó; {fix}",
    ]
    assert state() == before


def test_a_new_kind_that_puts_a_stored_succession_across_levels_is_refused(tmp_path):
    """Thị trấn Đông Hòa (MH-C) became Xã Đông Hòa: calling MH-02 a thị xã (district level)
    would leave a commune succeeded by a district."""
    load_reform(tmp_path)
    path = write_csv(
        tmp_path, "loai-moi.csv",
        [UNIT_HEADER, ["MH-02", "Thị xã Đông Hòa", "thi_xa", "MH", REFORM, ""]],
    )
    before = state()
    assert run_failing("import_units", str(path)) == [
        "Dòng 2, cột kind: Thị xã Đông Hòa (mã MH-02) kế thừa Thị trấn Đông Hòa (mã MH-C) từ ngày "
        "01/07/2025; với loại đơn vị mới thì hai đơn vị không còn cùng cấp (cấp huyện và cấp "
        "xã); sửa quan hệ kế thừa trước (import_successions hoặc trang Quản trị).",
    ]
    assert state() == before
    # The same kind change is fine for a unit of the same level (xã → phường).
    path = write_csv(
        tmp_path, "phuong.csv",
        [UNIT_HEADER, ["MH-02", "Phường Đông Hòa", "phuong", "MH", REFORM, ""]],
    )
    run("import_units", str(path))
    assert Unit.objects.get(code="MH-02").kind == "phuong"
