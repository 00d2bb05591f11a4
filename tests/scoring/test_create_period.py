import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from scoring.models import AuditEvent, Period, Score

from ..factories import make_criteria_set, make_unit
from ..files import database_state, run, run_failing

pytestmark = pytest.mark.django_db


@pytest.fixture
def criteria_set(units):
    return make_criteria_set("CS", tree="flat")


def communes_of(period: Period) -> list[str]:
    return sorted(period.assessments.values_list("commune__code", flat=True))


def test_every_active_commune_under_the_unit_gets_a_draft_assessment(units, criteria_set):
    make_unit("OLD", "Xã Cũ (đã sáp nhập)", "xa", units["district"], active_to=datetime.date(2020, 1, 1))
    summary = run("create_period", code="NG-2024", year=2024, criteria="CS", unit="D1")
    period = Period.objects.get(code="NG-2024")
    today = timezone.localdate()
    assert communes_of(period) == ["A", "B"]  # not the dissolved one, nor C under D2
    assert set(period.assessments.values_list("status", flat=True)) == {"draft"}
    # Three leaves in the flat tree: one empty score each.
    assert Score.objects.filter(assessment__period=period).count() == 6
    assert (period.opens_on, period.self_assessment_due, period.appraisal_due) == (
        today,
        today + datetime.timedelta(days=30),
        today + datetime.timedelta(days=60),
    )
    assert period.band_list()[0] == ("Hoàn thành xuất sắc nhiệm vụ", Decimal(90))
    assert period.name == "Chỉ số CCHC năm 2024 của UBND các xã, thị trấn huyện Ninh Giang"
    assert summary == (
        "Đã tạo kỳ đánh giá NG-2024 (Chỉ số CCHC năm 2024 của UBND các xã, thị trấn huyện "
        "Ninh Giang): 2 hồ sơ; "
        f"tự đánh giá từ {today:%d/%m/%Y} đến "
        f"{today + datetime.timedelta(days=30):%d/%m/%Y}, thẩm định đến "
        f"{today + datetime.timedelta(days=60):%d/%m/%Y}."
    )
    event = AuditEvent.objects.get(period=period)
    assert (event.action, event.detail) == (
        "period_created",
        {"communes": 2, "criteria_set": "CS", "as_of": "2024-12-31"},
    )


def test_a_province_period_with_dates_bands_and_previous(units, criteria_set):
    run("create_period", code="P-2023", year=2023, criteria="CS", unit="P")
    run(
        "create_period",
        "--code", "P-2024",
        "--year", "2024",
        "--criteria", "CS",
        "--unit", "P",
        "--previous", "P-2023",
        "--name", "Chỉ số CCHC năm 2024 các xã, phường tỉnh Hải Dương",
        "--bands", "Hoàn thành nhiệm vụ:65;Hoàn thành tốt nhiệm vụ:80",
        "--opens-on", "01/12/2024",
        "--self-assessment-due", "31/12/2024",
        "--appraisal-due", "28/02/2025",
    )
    period = Period.objects.get(code="P-2024")
    assert communes_of(period) == ["A", "B", "C"]
    assert period.previous.code == "P-2023"
    assert (period.opens_on, period.self_assessment_due, period.appraisal_due) == (
        datetime.date(2024, 12, 1), datetime.date(2024, 12, 31), datetime.date(2025, 2, 28)
    )
    assert period.bands == [["Hoàn thành tốt nhiệm vụ", "80.00"], ["Hoàn thành nhiệm vụ", "65.00"]]
    assert period.band_list() == [
        ("Hoàn thành tốt nhiệm vụ", Decimal(80)),
        ("Hoàn thành nhiệm vụ", Decimal(65)),
    ]


def test_the_appraisal_default_follows_the_self_assessment_due_date(units, criteria_set):
    run(
        "create_period", code="K", year=2024, criteria="CS", unit="D1",
        opens_on="01/01/2025", self_assessment_due="15/01/2025",
    )
    period = Period.objects.get(code="K")
    assert period.appraisal_due == datetime.date(2025, 2, 14)


def test_unknown_codes_and_bad_values_are_all_reported(units, criteria_set):
    before = database_state()
    assert run_failing(
        "create_period",
        code="K",
        year=2024,
        criteria="KHONG-CO",
        unit="D9",
        previous="K-2023",
        bands="Tốt:80;Khá:65;Tốt:70",
        opens_on="31/02/2024",
    ) == [
        "Không có bộ tiêu chí mã “KHONG-CO”.",
        "Không có đơn vị mã “D9”.",
        "Không có kỳ đánh giá mã “K-2023”.",
        "--opens-on: “31/02/2024” không phải là ngày hợp lệ (dạng dd/mm/yyyy).",
        "--bands: Mức xếp loại “Tốt” bị lặp lại.",
    ]
    assert database_state() == before


@pytest.mark.parametrize(
    "options, message",
    [
        ({"criteria": "KHONG-CO"}, "Không có bộ tiêu chí mã “KHONG-CO”."),
        ({"unit": "A"}, "Đơn vị thẩm định phải là cấp huyện hoặc cấp tỉnh, không phải Xã Đồng Tâm."),
        (
            {"bands": "Tốt:80;Khá:80"},
            "--bands: Hai mức xếp loại có cùng điểm tối thiểu 80; các mức phải khác nhau.",
        ),
        ({"bands": "Tốt 80"}, "--bands: Mức xếp loại “Tốt 80” phải có dạng TÊN:ĐIỂM_TỐI_THIỂU."),
        (
            {"opens_on": "01/12/2024", "self_assessment_due": "31/12/2024", "appraisal_due": "01/12/2024"},
            "Hạn thẩm định phải sau hạn tự đánh giá.",
        ),
        ({"code": "P2024"}, "Mã kỳ đánh giá P2024 đã tồn tại."),
    ],
)
def test_refused_periods_leave_the_database_unchanged(units, criteria_set, period, options, message):
    before = database_state()
    arguments = {"code": "K", "year": 2024, "criteria": "CS", "unit": "D1", **options}
    assert run_failing("create_period", **arguments) == [message]
    assert database_state() == before


def test_a_unit_without_active_communes_is_refused(units, criteria_set):
    empty = make_unit("D3", "Huyện Trống", "huyen", units["province"])
    make_unit("GONE", "Xã Đã Giải Thể", "xa", empty, active_to=datetime.date(2020, 1, 1))
    before = database_state()
    assert run_failing("create_period", code="K", year=2024, criteria="CS", unit="D3") == [
        "Huyện Trống không có đơn vị cấp xã nào hoạt động vào ngày 31/12/2024."
    ]
    assert database_state() == before
