"""◆ import_survey FILE --period P [--as-percent]: survey, SIPAS and computed criteria become
appraised scores; a bad file is refused whole with row-level Vietnamese messages."""

import hashlib
import io
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from scoring.models import AuditEvent, Criterion, Method, Score
from scoring.services.survey_import import source_text

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def survey_period(period):
    """The flat tree with 2.1 (max 4) measured by SIPAS."""
    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(method=Method.SIPAS)
    return period


def write(tmp_path, name, text, *, bom=False):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def run(path, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_survey", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def imported():
    return {
        s.assessment.commune.code: s
        for s in Score.objects.filter(criterion__code="2.1").select_related("assessment__commune", "criterion")
    }


def test_a_good_file_sets_appraised_scores_with_raw_figures(survey_period, tmp_path):
    path = write(tmp_path, "sipas-2024.csv", "commune_code;criterion_code;value;sample_size\nA;2.1;3,71;300\nB;2.1;2.5;\n", bom=True)
    out, _ = run(path, "--period", survey_period.code)
    assert "Đã nhập 2 điểm của 1 tiêu chí cho 2 đơn vị" in out
    scores = imported()
    assert (scores["A"].appraised_score, scores["A"].sample_size, scores["A"].raw_value) == (D("3.71"), 300, D("3.71"))
    assert scores["B"].sample_size is None and scores["A"].source == "sipas-2024.csv"
    assert scores["A"].self_score is None  # communes never type these
    assert source_text(scores["A"]) == "nguồn: Khảo sát SIPAS, tệp “sipas-2024.csv”, n = 300, số liệu gốc 3,71"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    summary = AuditEvent.objects.get(action="survey_file_imported")
    assert summary.detail["sha256"] == digest and summary.detail["filename"] == "sipas-2024.csv"
    per_score = AuditEvent.objects.filter(action="survey_imported").order_by("assessment__commune__code")
    assert [(e.criterion.code, e.old_value, e.new_value) for e in per_score] == [("2.1", "", "3,71"), ("2.1", "", "2,5")]
    assert per_score[0].detail["sha256"] == digest


def test_as_percent_turns_a_percentage_into_points_half_up(survey_period, tmp_path):
    # 4 × 12,3125 / 100 = 0,4925 → 0,493 (half-up, not half-even); 4 × 92,5 / 100 = 3,7.
    path = write(tmp_path, "xhh.csv", "commune_code,criterion_code,value,sample_size\nA,2.1,\"12,3125\",120\nB,2.1,92.5,80\n")
    run(path, "--period", survey_period.code, "--as-percent")
    scores = imported()
    assert scores["A"].appraised_score == D("0.493") and scores["A"].raw_value == D("12.3125")
    assert scores["B"].appraised_score == D("3.700")


def test_xlsx_is_read_too(survey_period, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["commune_code", "criterion_code", "value", "sample_size"])
    sheet.append(["A", "2.1", 88.75, 250])
    path = tmp_path / "sipas.xlsx"
    workbook.save(path)
    run(path, "--period", survey_period.code, "--as-percent")
    assert imported()["A"].appraised_score == D("3.550")


def test_a_bad_file_is_refused_whole_with_row_messages(survey_period, tmp_path):
    path = write(
        tmp_path,
        "loi.csv",
        "commune_code,criterion_code,value\nA,2.1,3\nZZ,2.1,2\nB,2.1,4.5\nA,1.1,1\nB,9.9,1\nA,2.1,2\n",
    )
    with pytest.raises(CommandError) as caught:
        run(path, "--period", survey_period.code)
    assert caught.value.returncode == 1
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_survey", str(path), "--period", survey_period.code, stderr=err, stdout=io.StringIO())
    lines = err.getvalue().splitlines()
    assert lines == [
        "Dòng 3, cột commune_code: không có đơn vị mã “ZZ” trong kỳ đánh giá P2024.",
        "Dòng 4, cột value: Tiêu chí 2.1: điểm 4,5 vượt quá điểm tối đa 4.",
        "Dòng 5, cột criterion_code: tiêu chí 1.1 do xã tự chấm, không nhập từ tệp khảo sát.",
        "Dòng 6, cột criterion_code: không có tiêu chí mã “9.9” trong bộ tiêu chí CS-P2024.",
        "Dòng 7, cột criterion_code: trùng với dòng 2 (cùng đơn vị và tiêu chí).",
    ]
    assert all(score.appraised_score is None for score in imported().values())  # row 2 was fine, not written
    assert not AuditEvent.objects.filter(action__startswith="survey").exists()


def test_a_percentage_over_100_is_refused(survey_period, tmp_path):
    path = write(tmp_path, "pt.csv", "commune_code,criterion_code,value\nA,2.1,101\n")
    with pytest.raises(CommandError):
        call_command("import_survey", str(path), "--period", survey_period.code, "--as-percent",
                     stdout=io.StringIO(), stderr=(err := io.StringIO()))
    assert err.getvalue().strip() == "Dòng 2, cột value: Tỷ lệ 101% phải nằm trong khoảng 0–100."


def test_an_unknown_period_and_a_missing_column_are_reported(survey_period, tmp_path):
    path = write(tmp_path, "a.csv", "commune_code,criterion_code,value\nA,2.1,1\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_survey", str(path), "--period", "KHONG-CO", stdout=io.StringIO(), stderr=err)
    assert "Không có kỳ đánh giá mã “KHONG-CO”" in err.getvalue()
    path = write(tmp_path, "b.csv", "commune_code,criterion_code\nA,2.1\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_survey", str(path), "--period", survey_period.code, stdout=io.StringIO(), stderr=err)
    assert "Thiếu cột bắt buộc “value”" in err.getvalue()


def test_an_appraised_assessment_must_be_reopened_first(survey_period, units, tmp_path):
    from scoring.models import Assessment

    Assessment.objects.filter(commune=units["commune"]).update(status=Assessment.Status.APPRAISED)
    path = write(tmp_path, "a.csv", "commune_code,criterion_code,value\nA,2.1,1\n")
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_survey", str(path), "--period", survey_period.code, stdout=io.StringIO(), stderr=err)
    assert "hồ sơ của Xã Đồng Tâm “Đã thẩm định”; mở lại trước khi nhập điểm." in err.getvalue()
