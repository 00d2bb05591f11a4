import pytest

from scoring.models import Criterion
from scoring.services.setup import refresh_tree

from ..factories import make_criteria_set

pytestmark = pytest.mark.django_db


def places(criteria_set) -> dict[str, tuple[int, str]]:
    criteria = criteria_set.criteria.select_related("field")
    return {c.code: (c.depth, c.field.code) for c in criteria}


def test_a_built_tree_has_depths_and_fields():
    criteria_set = make_criteria_set("BUILT", tree="deep")
    assert places(criteria_set) == {
        "1": (0, "1"),
        "1.1": (1, "1"),
        "1.1.1": (2, "1"),
        "1.1.2": (2, "1"),
        "1.2": (1, "1"),
        "2": (0, "2"),
        "2.1": (1, "2"),
    }


def test_refresh_tree_follows_a_subtree_moved_to_another_field():
    criteria_set = make_criteria_set("MOVED", tree="deep")
    Criterion.objects.filter(criteria_set=criteria_set, code="1.1").update(
        parent=criteria_set.criteria.get(code="2.1")
    )
    refresh_tree(criteria_set.pk)
    assert places(criteria_set) == {
        "1": (0, "1"),
        "1.1": (2, "2"),
        "1.1.1": (3, "2"),
        "1.1.2": (3, "2"),
        "1.2": (1, "1"),
        "2": (0, "2"),
        "2.1": (1, "2"),
    }


def test_refresh_tree_stops_where_a_cycle_closes():
    # The admin form does not refuse a child as parent; the set's page then lists the cycle.
    criteria_set = make_criteria_set("CYCLE", tree="deep")
    Criterion.objects.filter(criteria_set=criteria_set, code="1").update(
        parent=criteria_set.criteria.get(code="1.1")
    )
    refresh_tree(criteria_set.pk)
    assert places(criteria_set)["1"] == (1, "1.1")
    assert places(criteria_set)["1.1"] == (1, "1")
    assert places(criteria_set)["2.1"] == (1, "2")
