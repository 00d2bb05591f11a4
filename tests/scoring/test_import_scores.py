"""`import_scores FILE --period P` (docs/design.md §6 ◆): whole file checked, all or nothing, audited."""

import hashlib
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from scoring.models import Assessment, AuditEvent, Period, Score
from scoring.services.score_import import import_scores
from scoring.services.setup import CriterionRow, save_criteria_set
from tabular import read_table

from ..factories import make_period, make_user
from .publish_data import add_communes

pytestmark = pytest.mark.django_db

D = Decimal
HEADER = "commune_code,criterion_code,self_score,appraised_score,note\n"
GOOD = HEADER + (
    "A,1.1,2,2,\n"
    "A,1.2,\"3,5\",3.25,Thiếu báo cáo quý IV\n"
    "A,2.1,4,4,\n"
    "B,1.1,1.5,1.5,\n"
    "B,1.2,4,4,\n"
    "B,2.1,\"3,999\",\"3,5\",Trễ hạn 2 hồ sơ\n"
)


def run(path, *args, **kwargs):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_scores", str(path), *args, stdout=out, stderr=err, **kwargs)
    return out.getvalue(), err.getvalue()


def refused(path, *args):
    err = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_scores", str(path), *args, stdout=io.StringIO(), stderr=err)
    assert error.value.returncode == 1
    return err.getvalue().splitlines()


def write(tmp_path, text, name="diem.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    return path


def scores_of(period):
    return {
        (code, leaf): (self, appraised, note)
        for code, leaf, self, appraised, note in Score.objects.filter(
            assessment__period=period
        ).values_list(
            "assessment__commune__code", "criterion__code", "self_score", "appraised_score",
            "appraisal_note",
        )
    }


def test_a_good_file_fills_both_scores_and_marks_the_communes_appraised(period, tmp_path, appraiser):
    path = write(tmp_path, GOOD)
    out, err = run(path, "--period", "P2024", "--user", "thamdinh")
    assert err == ""
    assert "Đã nhập 6 điểm của 2 đơn vị" in out and "2 hồ sơ chuyển sang “Đã thẩm định”" in out
    assert scores_of(period) == {
        ("A", "1.1"): (D(2), D(2), ""),
        ("A", "1.2"): (D("3.5"), D("3.25"), "Thiếu báo cáo quý IV"),
        ("A", "2.1"): (D(4), D(4), ""),
        ("B", "1.1"): (D("1.5"), D("1.5"), ""),
        ("B", "1.2"): (D(4), D(4), ""),
        ("B", "2.1"): (D("3.999"), D("3.5"), "Trễ hạn 2 hồ sơ"),
    }
    assert set(period.assessments.values_list("status", flat=True)) == {Assessment.Status.APPRAISED}
    assert all(period.assessments.values_list("appraised_at", flat=True))
    event = AuditEvent.objects.get(action="scores_file_imported")
    assert event.user == appraiser and event.period == period
    assert event.detail["filename"] == "diem.csv"
    assert event.detail["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert event.detail["rows"] == 6
    assert AuditEvent.objects.filter(action="appraised", new_value="appraised").count() == 2
    assert Score.objects.filter(assessment__period=period, version=2, updated_by=appraiser).count() == 6


def test_an_xlsx_file_with_real_numbers(period, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["commune_code", "criterion_code", "self_score", "appraised_score"])
    for code in ("A", "B"):
        sheet.append([code, "1.1", 2, 1.5])
        sheet.append([code, "1.2", 3.775, 3.775])
        sheet.append([code, "2.1", 4, 4])
    path = tmp_path / "diem.xlsx"
    book.save(path)
    run(path, "--period", "P2024")
    assert scores_of(period)[("A", "1.2")] == (D("3.775"), D("3.775"), "")
    assert scores_of(period)[("B", "1.1")] == (D(2), D("1.5"), "")
    assert AuditEvent.objects.get(action="scores_file_imported").user is None


def test_semicolons_comma_decimals_and_a_bom(period, tmp_path):
    text = "\ufeffcommune_code;criterion_code;self_score;appraised_score\n" + "".join(
        f"{c};{leaf};1,25;1,125\n" for c in ("A", "B") for leaf in ("1.1", "1.2", "2.1")
    )
    run(write(tmp_path, text), "--period", "P2024")
    assert set(scores_of(period).values()) == {(D("1.25"), D("1.125"), "")}


def test_every_error_is_printed_with_its_row_and_column_and_nothing_is_written(period, tmp_path):
    text = HEADER + (
        "A,1.1,2,2,\n"  # 2 fine
        "Z,1.1,1,1,\n"  # 3 unknown commune
        "A,9.9,1,1,\n"  # 4 unknown criterion
        "A,1,1,1,\n"  # 5 not a leaf
        "A,1.2,abc,1,\n"  # 6 not a number
        "A,2.1,4,\"4,5\",\n"  # 7 above the maximum
        "B,1.1,-1,0,\n"  # 8 negative
        "A,1.1,2,2,\n"  # 9 repeats row 2
        "B,1.2,,1,\n"  # 10 empty
        ",2.1,1,1,\n"  # 11 no commune
        "B,2.1,\"1.234,5\",1,\n"  # 12 thousands separator
    )
    errors = refused(write(tmp_path, text), "--period", "P2024")
    assert errors == [
        "Dòng 3, cột commune_code: không có đơn vị mã “Z” trong kỳ đánh giá P2024.",
        "Dòng 4, cột criterion_code: không có tiêu chí mã “9.9” trong bộ tiêu chí CS-P2024.",
        "Dòng 5, cột criterion_code: tiêu chí 1 có tiêu chí con; chỉ nhập điểm cho tiêu chí cuối.",
        "Dòng 6, cột self_score: “abc” không phải là số.",
        "Dòng 7, cột appraised_score: Tiêu chí 2.1: điểm 4,5 vượt quá điểm tối đa 4.",
        "Dòng 8, cột self_score: Tiêu chí 1.1: điểm -1 không được âm.",
        "Dòng 9, cột criterion_code: trùng với dòng 2 (cùng đơn vị và tiêu chí).",
        "Dòng 10, cột self_score: chưa có điểm.",
        "Dòng 11, cột commune_code: chưa có mã đơn vị.",
        "Dòng 12, cột self_score: “1.234,5” không phải là số hợp lệ (chỉ dùng một dấu thập phân).",
    ]
    assert all(value == (None, None, "") for value in scores_of(period).values())
    assert set(period.assessments.values_list("status", flat=True)) == {Assessment.Status.DRAFT}
    assert not AuditEvent.objects.exclude(action="period_created").exists()


def test_a_commune_must_get_every_applicable_leaf(period, tmp_path):
    text = HEADER + "A,1.1,2,2,\nA,1.2,3,3,\nB,1.1,1,1,\n"
    errors = refused(write(tmp_path, text), "--period", "P2024")
    assert errors == [
        "Dòng 2, cột commune_code: Xã Đồng Tâm còn thiếu điểm thẩm định các tiêu chí 2.1; "
        "tệp phải có đủ các tiêu chí của đơn vị.",
        "Dòng 4, cột commune_code: Thị trấn Ninh Giang còn thiếu điểm thẩm định các tiêu chí "
        "1.2, 2.1; tệp phải có đủ các tiêu chí của đơn vị.",
    ]


def test_leaves_already_appraised_need_not_be_in_the_file(period, tmp_path):
    Score.objects.filter(assessment__commune__code="A", criterion__code="2.1").update(
        self_score=D(3), appraised_score=D(3)
    )
    run(write(tmp_path, HEADER + "A,1.1,2,2,\nA,1.2,3,3,\n"), "--period", "P2024")
    statuses = dict(period.assessments.values_list("commune__code", "status"))
    assert statuses == {"A": "appraised", "B": "draft"}


def test_a_criterion_not_applying_to_the_commune_is_refused(units, tmp_path):
    rows = [
        CriterionRow("1", None, "Chỉ đạo", D(6)),
        CriterionRow("1.1", "1", "Kế hoạch", D(2)),
        CriterionRow("1.2", "1", "Chỉ riêng xã", D(4), applies_to=["xa"]),
        CriterionRow("2", None, "TTHC", D(4)),
        CriterionRow("2.1", "2", "Công khai", D(4)),
    ]
    period = make_period(units["district"], criteria_set=save_criteria_set("CS-K", "Bộ K", rows, total=D(10)))
    text = HEADER + "A,1.1,2,2,\nA,1.2,3,3,\nA,2.1,4,4,\nB,1.1,2,2,\nB,1.2,3,3,\nB,2.1,4,4,\n"
    errors = refused(write(tmp_path, text), "--period", period.code)
    assert errors == ["Dòng 6, cột criterion_code: tiêu chí 1.2 không áp dụng cho Thị trấn Ninh Giang."]
    run(write(tmp_path, text.replace("B,1.2,3,3,\n", "")), "--period", period.code)
    assert dict(period.assessments.values_list("commune__code", "status")) == {
        "A": "appraised", "B": "appraised"
    }


def test_locked_and_published_assessments_are_refused(period, tmp_path):
    Assessment.objects.filter(commune__code="B").update(locked=True)
    errors = refused(write(tmp_path, GOOD), "--period", "P2024")
    assert errors == [f"Dòng {n}, cột commune_code: hồ sơ của Thị trấn Ninh Giang đang bị khóa." for n in (5, 6, 7)]
    Period.objects.filter(pk=period.pk).update(status=Period.Status.PUBLISHED)
    errors = refused(write(tmp_path, GOOD), "--period", "P2024")
    assert errors == [
        "Kỳ đánh giá P2024 đã công bố kết quả; cần mở lại kỳ để điều chỉnh trước khi nhập điểm."
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "KHONG-CO"), "Không có kỳ đánh giá mã “KHONG-CO”."),
        (("--period", "P2024", "--user", "ai-do"), "Không có người dùng “ai-do”."),
    ],
)
def test_unknown_period_or_user(period, tmp_path, args, message):
    assert refused(write(tmp_path, GOOD), *args) == [message]


def test_missing_columns_and_other_files_are_refused(period, tmp_path):
    errors = refused(write(tmp_path, "commune_code,criterion_code,self_score\nA,1.1,2\n"), "--period", "P2024")
    assert errors[0].startswith("Thiếu cột bắt buộc “appraised_score”")
    errors = refused(write(tmp_path, GOOD, name="diem.txt"), "--period", "P2024")
    assert "chỉ nhận tệp CSV (.csv) hoặc Excel (.xlsx)" in errors[0]


def test_a_second_import_audits_every_changed_score(period, tmp_path, appraiser):
    run(write(tmp_path, GOOD), "--period", "P2024")
    again = GOOD.replace("B,2.1,\"3,999\",\"3,5\"", "B,2.1,\"3,999\",\"3,75\"").replace(
        "A,1.1,2,2,", "A,1.1,1,1,Sửa lại"
    )
    out, _ = run(write(tmp_path, again, name="sua.csv"), "--period", "P2024", "--user", "thamdinh")
    assert "0 hồ sơ chuyển sang" in out and "2 điểm đã có được thay bằng giá trị mới" in out
    changes = sorted(
        AuditEvent.objects.filter(action="score_imported").values_list(
            "assessment__commune__code", "criterion__code", "field_name", "old_value", "new_value", "user"
        )
    )
    assert changes == [
        ("A", "1.1", "appraised_score", "2", "1", appraiser.pk),
        ("A", "1.1", "self_score", "2", "1", appraiser.pk),
        ("B", "2.1", "appraised_score", "3,5", "3,75", appraiser.pk),
    ]
    assert scores_of(period)[("A", "1.1")] == (D(1), D(1), "Sửa lại")
    versions = dict(
        Score.objects.filter(assessment__commune__code="A").values_list("criterion__code", "version")
    )
    assert versions == {"1.1": 3, "1.2": 2, "2.1": 2}  # unchanged rows are not rewritten


def test_without_a_note_column_notes_are_kept(period, tmp_path):
    run(write(tmp_path, GOOD), "--period", "P2024")
    text = "commune_code,criterion_code,self_score,appraised_score\n" + "".join(
        f"{c},{leaf},1,1\n" for c in ("A", "B") for leaf in ("1.1", "1.2", "2.1")
    )
    run(write(tmp_path, text), "--period", "P2024")
    assert scores_of(period)[("A", "1.2")] == (D(1), D(1), "Thiếu báo cáo quý IV")


def test_a_missing_score_row_is_created_and_na_confirmation_is_replaced(period, tmp_path):
    Score.objects.filter(assessment__commune__code="A", criterion__code="1.2").delete()
    Score.objects.filter(assessment__commune__code="B", criterion__code="2.1").update(
        not_applicable=True, not_applicable_confirmed=True
    )
    run(write(tmp_path, GOOD), "--period", "P2024")
    created = Score.objects.get(assessment__commune__code="A", criterion__code="1.2")
    assert (created.self_score, created.appraised_score, created.version) == (D("3.5"), D("3.25"), 1)
    replaced = Score.objects.get(assessment__commune__code="B", criterion__code="2.1")
    assert replaced.appraised_score == D("3.5") and not replaced.not_applicable_confirmed


@pytest.mark.parametrize("communes", [2, 40])
def test_import_query_count_does_not_grow_with_rows(units, tmp_path, communes, django_assert_max_num_queries):
    add_communes(units["district"], communes)
    period = make_period(units["district"])
    codes = list(period.assessments.values_list("commune__code", flat=True))
    path = write(tmp_path, HEADER + "".join(f"{c},{leaf},1,1,\n" for c in codes for leaf in ("1.1", "1.2", "2.1")))
    table = read_table(path, path.name, required=("commune_code", "criterion_code", "self_score",
                                                  "appraised_score"), optional=("note",))
    by = make_user("nhap")
    # savepoint; the file's assessments' ids, their period shared (PostgreSQL only), the
    # assessments locked; criteria; drop, create, fill the staging table (one COPY or one
    # executemany), changed scores, upsert, drop; assessments; appraised events; the file's
    # event; release.
    with django_assert_max_num_queries(15):
        result = import_scores(table, period=period, by=by)
    assert result.scores == 3 * (communes + 2)
    assert Score.objects.filter(assessment__period=period, appraised_score=1).count() == 3 * (communes + 2)
