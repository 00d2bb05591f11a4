"""Roles and scope across the 1/7/2025 reform (communes/access.py, scoring/permissions.py):
a province's appraisers and leaders reach every unit under it, directly or through a dissolved
district; a ward officer only the ward; a district's accounts keep reading their district-era
periods after the district was dissolved."""

import pytest

from communes.access import has_role, units_in_scope
from communes.models import Role, Unit
from scoring.models import Period
from scoring.permissions import (
    can_appraise,
    can_read_results,
    can_view_period_overview,
    visible_assessments,
    visible_periods,
)
from scoring.services.publishing import publish_period

from ..factories import make_criteria_set, make_user
from ..files import run
from ..scoring.publish_data import appraise_all
from .reform import NEW_COMMUNES, OLD_COMMUNES, UNITS, load_reform

pytestmark = pytest.mark.django_db


@pytest.fixture
def reform(tmp_path):
    """The province with a district-era 2024 period of MH-H1 (published), a 2024 province
    period over the old communes and a 2025 one over the new units."""
    load_reform(tmp_path)
    make_criteria_set("CS", tree="flat")
    run("create_period", code="DH-2024", year=2024, criteria="CS", unit="MH-H1")
    run("create_period", code="MH-2024", year=2024, criteria="CS", unit="MH")
    run("create_period", code="MH-2025", year=2025, criteria="CS", unit="MH")
    units = {unit.code: unit for unit in Unit.objects.select_related("parent__parent")}
    people = {
        "province_appraiser": make_user("sonv", unit=units["MH"], role=Role.APPRAISER),
        "province_leader": make_user("lanhdao_tinh", unit=units["MH"], role=Role.LEADER),
        "ward_officer": make_user("phuong", unit=units["MH-03"], role=Role.COMMUNE_OFFICER),
        "district_appraiser": make_user("phongnv", unit=units["MH-H1"], role=Role.APPRAISER),
        "district_leader": make_user("lanhdao_huyen", unit=units["MH-H1"], role=Role.LEADER),
        "old_officer": make_user("xa_cu", unit=units["MH-A"], role=Role.COMMUNE_OFFICER),
    }
    district_period = Period.objects.get(code="DH-2024")
    appraise_all(district_period)
    publish_period(district_period, by=people["district_appraiser"])
    return units, people


def periods_of(user) -> list[str]:
    return sorted(visible_periods(user).values_list("code", flat=True))


def assessed(user, period_code) -> list[str]:
    return sorted(
        visible_assessments(user)
        .filter(period__code=period_code)
        .values_list("commune__code", flat=True)
    )


@pytest.mark.parametrize("who", ["province_appraiser", "province_leader"])
def test_the_province_reaches_every_unit_directly_and_through_old_districts(reform, who):
    units, people = reform
    user = people[who]
    role = Role.APPRAISER if who == "province_appraiser" else Role.LEADER
    assert sorted(units_in_scope(user).values_list("code", flat=True)) == sorted(
        row[0] for row in UNITS
    )
    for code in [*OLD_COMMUNES, *NEW_COMMUNES, "MH-H1", "MH-H2"]:
        assert has_role(user, units[code], role), code
    assert periods_of(user) == ["DH-2024", "MH-2024", "MH-2025"]
    assert assessed(user, "MH-2024") == OLD_COMMUNES
    assert assessed(user, "MH-2025") == NEW_COMMUNES
    for code in ("MH-2024", "MH-2025"):
        assert can_view_period_overview(user, Period.objects.get(code=code))
    assessment = visible_assessments(user).get(period__code="MH-2024", commune__code="MH-D")
    assert can_appraise(user, assessment) == (who == "province_appraiser")


def test_a_ward_officer_sees_only_the_ward(reform, client):
    units, people = reform
    officer = people["ward_officer"]
    assert list(units_in_scope(officer)) == [units["MH-03"]]
    assert not has_role(officer, units["MH-01"], Role.COMMUNE_OFFICER)
    assert not has_role(officer, units["MH-E"], Role.COMMUNE_OFFICER)  # a predecessor
    assert periods_of(officer) == ["MH-2025"]
    assert assessed(officer, "MH-2025") == ["MH-03"]
    client.force_login(officer)
    assert client.get("/periods/MH-2025/communes/MH-03/").status_code == 200
    assert client.get("/periods/MH-2025/communes/MH-01/").status_code == 404
    assert client.get("/periods/MH-2024/communes/MH-E/").status_code == 404
    assert client.get("/periods/MH-2025/").status_code == 403


def test_a_dissolved_districts_accounts_keep_their_district_era_period(reform, client):
    units, people = reform
    period = Period.objects.get(code="DH-2024")
    for who in ("district_appraiser", "district_leader"):
        user = people[who]
        assert periods_of(user) == ["DH-2024", "MH-2024"]  # never the 2025 one
        assert assessed(user, "DH-2024") == ["MH-A", "MH-B", "MH-C"]
        assert assessed(user, "MH-2025") == []
        assert can_view_period_overview(user, period)
        assert can_read_results(user, period)
        client.force_login(user)
        assert client.get("/periods/DH-2024/").status_code == 200
        assert client.get("/periods/DH-2024/results/").status_code == 200
        assert client.get("/periods/DH-2024/communes/MH-A/").status_code == 200
        assert client.get("/periods/MH-2025/").status_code == 404
    # The old commune's officer still reads the results its commune was ranked in.
    officer = people["old_officer"]
    assert can_read_results(officer, period)
    client.force_login(officer)
    assert client.get("/periods/DH-2024/results/").status_code == 200
    assert client.get("/periods/DH-2024/communes/MH-A/").status_code == 200
    assert client.get("/periods/DH-2024/communes/MH-B/").status_code == 404
    # The province reads the district's published results too (it is in the province's tree).
    client.force_login(people["province_leader"])
    assert client.get("/periods/DH-2024/results/").status_code == 200
