"""The permission module: every role against its own unit, a sibling and the parent unit."""

import pytest

from communes.access import has_role, units_in_scope
from communes.models import Role

pytestmark = pytest.mark.django_db


def test_commune_officer_acts_on_own_commune_only(units, officer):
    assert has_role(officer, units["commune"], Role.COMMUNE_OFFICER)
    assert not has_role(officer, units["other_commune"], Role.COMMUNE_OFFICER)
    assert not has_role(officer, units["district"], Role.COMMUNE_OFFICER)
    assert not has_role(officer, units["commune"], Role.APPRAISER)
    assert set(units_in_scope(officer)) == {units["commune"]}


def test_appraiser_covers_the_district_and_its_communes(units, appraiser):
    assert has_role(appraiser, units["district"], Role.APPRAISER)
    assert has_role(appraiser, units["commune"], Role.APPRAISER)
    assert has_role(appraiser, units["other_commune"], Role.APPRAISER)
    assert not has_role(appraiser, units["other_district"], Role.APPRAISER)
    assert not has_role(appraiser, units["far_commune"], Role.APPRAISER)
    assert not has_role(appraiser, units["province"], Role.APPRAISER)
    assert set(units_in_scope(appraiser)) == {
        units["district"], units["commune"], units["other_commune"]
    }


def test_leader_reads_but_does_not_appraise(units, leader):
    assert has_role(leader, units["commune"], Role.LEADER)
    assert not has_role(leader, units["commune"], Role.APPRAISER)
    assert not has_role(leader, units["far_commune"], Role.LEADER)
    assert units["far_commune"] not in units_in_scope(leader)


def test_province_membership_reaches_every_commune(units):
    from tests.factories import make_user

    boss = make_user("giamdoc", unit=units["province"], role=Role.LEADER)
    assert set(units_in_scope(boss)) == set(units.values())
    assert has_role(boss, units["far_commune"], Role.LEADER)


def test_superuser_has_every_role(units, admin_user):
    assert has_role(admin_user, units["commune"], Role.APPRAISER)
    assert units_in_scope(admin_user).count() == len(units)


def test_anonymous_has_nothing(units):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not has_role(anonymous, units["commune"], Role.LEADER)
    assert not units_in_scope(anonymous).exists()


def test_in_scope_is_units_in_scope_for_one_loaded_unit(units, django_assert_num_queries):
    """The saves check scope on the row they read (in_scope); every page lists through
    units_in_scope: one rule, for every kind of user and unit, a commune directly under its
    province included (after 1/7/2025), and no query once the memberships are read."""
    from django.contrib.auth.models import AnonymousUser

    from communes.access import in_scope, memberships
    from communes.models import Unit
    from tests.factories import make_unit, make_user

    make_unit("X", "Xã Mới", "xa", units["province"])
    users = [AnonymousUser(), make_user("su", is_superuser=True)] + [
        make_user(f"u_{code}_{role}", unit=unit, role=role)
        for code, unit in units.items()
        for role in (Role.COMMUNE_OFFICER, Role.APPRAISER, Role.LEADER)
    ]
    every = list(Unit.objects.select_related("parent__parent"))
    assert len(every) == 7
    for user in users:
        expected = set(units_in_scope(user))
        memberships(user)
        with django_assert_num_queries(0):
            found = {unit for unit in every if in_scope(user, unit)}
        assert found == expected, user
