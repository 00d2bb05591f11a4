"""Which units a period covers: `create_period --as-of` (docs/design.md §6), over a province whose
districts were dissolved on 01/07/2025 and whose communes were merged into new units."""

import pytest

from communes.models import Unit
from scoring.models import AuditEvent, CriteriaSet, Period

from ..communes.reform import NEW_COMMUNES, OLD_COMMUNES, load_reform
from ..factories import make_criteria_set
from ..files import database_state, run, run_failing

pytestmark = pytest.mark.django_db


@pytest.fixture
def reform(tmp_path):
    load_reform(tmp_path)
    make_criteria_set("CS", tree="flat")


def communes_of(code: str) -> list[str]:
    return sorted(
        Period.objects.get(code=code).assessments.values_list("commune__code", flat=True)
    )


def test_a_2024_and_a_2025_period_over_the_same_province_created_the_same_day(reform):
    # Both opened today (after the reform): 2024 covers the old communes through their
    # dissolved districts, 2025 the new units directly under the province.
    run("create_period", code="MH-2024", year=2024, criteria="CS", unit="MH")
    run("create_period", code="MH-2025", year=2025, criteria="CS", unit="MH", previous="MH-2024")
    assert communes_of("MH-2024") == OLD_COMMUNES
    assert communes_of("MH-2025") == NEW_COMMUNES
    event = AuditEvent.objects.get(period__code="MH-2024", action="period_created")
    assert event.detail["as_of"] == "2024-12-31"


def test_the_as_of_day_follows_the_rule_active_from_le_day_lt_active_to(reform):
    run("create_period", "--code", "V", "--year", "2025", "--criteria", "CS", "--unit", "MH",
        "--as-of", "30/06/2025")
    run("create_period", "--code", "W", "--year", "2025", "--criteria", "CS", "--unit", "MH",
        "--as-of", "01/07/2025")
    assert communes_of("V") == OLD_COMMUNES
    assert communes_of("W") == NEW_COMMUNES


def test_the_opening_day_no_longer_chooses_the_communes(reform):
    # A 2024 period opened after the reform (the old rule took the communes active on
    # --opens-on, i.e. the new ones) and a 2025 period opened before it.
    run("create_period", "--code", "MH-2024", "--year", "2024", "--criteria", "CS",
        "--unit", "MH", "--opens-on", "15/01/2026")
    run("create_period", "--code", "MH-2025", "--year", "2025", "--criteria", "CS",
        "--unit", "MH", "--opens-on", "01/06/2025")
    assert communes_of("MH-2024") == OLD_COMMUNES
    assert communes_of("MH-2025") == NEW_COMMUNES


def test_a_dissolved_district_keeps_its_2024_period_and_has_none_for_2025(reform):
    run("create_period", code="DH-2024", year=2024, criteria="CS", unit="MH-H1")
    assert communes_of("DH-2024") == ["MH-A", "MH-B", "MH-C"]
    before = database_state()
    assert run_failing("create_period", code="DH-2025", year=2025, criteria="CS", unit="MH-H1") == [
        "Huyện Đông Hòa không có đơn vị cấp xã nào hoạt động vào ngày 31/12/2025."
    ]
    assert database_state() == before


def test_a_bad_as_of_date_is_refused(reform):
    before = database_state()
    assert run_failing(
        "create_period", "--code", "X", "--year", "2025", "--criteria", "CS", "--unit", "MH",
        "--as-of", "31/06/2025",
    ) == ["--as-of: “31/06/2025” không phải là ngày hợp lệ (dạng dd/mm/yyyy)."]
    assert database_state() == before


def test_the_admin_add_page_takes_the_same_day(admin_client, reform):
    form = {
        "code": "MH-2024",
        "year": "2024",
        "name": "",
        "criteria_set": CriteriaSet.objects.get(code="CS").pk,
        "unit": Unit.objects.get(code="MH").pk,
        "opens_on": "15/01/2026",
        "self_assessment_due": "",
        "appraisal_due": "",
        "as_of": "",
        "bands_text": "",
        "previous": "",
    }
    response = admin_client.post("/admin/scoring/period/add/", form)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert communes_of("MH-2024") == OLD_COMMUNES
    response = admin_client.post(
        "/admin/scoring/period/add/",
        {**form, "code": "MH-2025B", "year": "2025", "as_of": "30/06/2025"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert communes_of("MH-2025B") == OLD_COMMUNES
    # A district with no commune on that day: refused on the form, naming the day.
    response = admin_client.post(
        "/admin/scoring/period/add/",
        {
            **form,
            "code": "DH-2026",
            "year": "2026",
            "unit": Unit.objects.get(code="MH-H1").pk,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["unit"] == [
        "Huyện Đông Hòa không có đơn vị cấp xã nào hoạt động vào ngày 31/12/2026."
    ]
    assert not Period.objects.filter(code="DH-2026").exists()
