"""communes/lineage.py: which earlier units a unit continues, in one query."""

import datetime

import pytest

from communes.lineage import Lineage, earlier_units, lineage_of
from communes.models import Succession, Unit

from ..factories import make_unit
from ..scoring.merger_years import build_units

# --- the walk, without a database ---------------------------------------------------------


def test_a_unit_assessed_itself_continues_itself_only():
    lineage = Lineage({1: (2, 3)})
    assert lineage.earlier(1, {1, 2, 3}) == [1]


def test_several_predecessors_each_once_in_order():
    lineage = Lineage({10: (1, 2, 3)})
    assert lineage.earlier(10, {1, 2, 3}) == [1, 2, 3]


def test_a_chain_is_followed_until_an_assessed_unit():
    # 1 → 5 → 9 (two steps between the periods): 9 continues 1.
    lineage = Lineage({9: (5,), 5: (1,)})
    assert lineage.earlier(9, {1}) == [1]
    assert lineage.earlier(9, {5, 1}) == [5]  # the nearest assessed unit stops the walk


def test_a_unit_without_assessed_predecessors_continues_nothing():
    assert Lineage({9: (5,)}).earlier(9, {1}) == []
    assert Lineage().earlier(9, {1}) == []


def test_a_diamond_counts_its_root_once_and_a_cycle_ends():
    # 1 split into 2 and 3, both merged again into 4.
    assert Lineage({4: (2, 3), 2: (1,), 3: (1,)}).earlier(4, {1}) == [1]
    assert Lineage({1: (2,), 2: (1,)}).earlier(1, {7}) == []


def test_units_lists_everyone_met():
    assert Lineage({9: (5,), 5: (1, 2)}).units([9, 42]) == {1, 2, 5, 9, 42}


# --- from the database ---------------------------------------------------------------------


@pytest.mark.django_db
def test_lineage_of_reads_chains_and_mergers_in_one_query(units, django_assert_num_queries):
    made = build_units(units)
    wanted = [made[code].pk for code in ("M3", "M2", "W1", "T2", "Z")] + [units["commune"].pk]
    with django_assert_num_queries(1):
        lineage = lineage_of(wanted)
    ids = {code: unit.pk for code, unit in made.items()}
    assessed = {ids[code] for code in ("O1", "O2", "O3", "O4", "O5", "O6", "O7")}
    assessed.add(units["commune"].pk)
    names = dict(Unit.objects.values_list("pk", "code"))

    def earlier(code):
        return sorted(names[pk] for pk in lineage.earlier(ids[code], assessed))

    assert earlier("M3") == ["O1", "O2", "O3"]  # 3:1
    assert earlier("M2") == ["O4", "O5"]  # 2:1
    assert earlier("W1") == ["O6"]  # 1:1
    assert earlier("T2") == ["O7"]  # O7 → T1 → T2
    assert earlier("Z") == []  # new
    assert lineage.earlier(units["commune"].pk, assessed) == [units["commune"].pk]  # both years


@pytest.mark.django_db
def test_many_units_take_one_query_and_none_when_all_were_assessed(
    units, django_assert_num_queries
):
    day = datetime.date(2025, 7, 1)
    olds = [make_unit(f"Q{i:03d}", f"Xã Cũ {i}", "xa", units["district"]) for i in range(60)]
    news = [make_unit(f"N{i:03d}", f"Xã Mới {i}", "xa", units["province"]) for i in range(20)]
    Succession.objects.bulk_create(
        Succession(predecessor=old, successor=news[i // 3], effective_date=day)
        for i, old in enumerate(olds)
    )
    assessed = {old.pk for old in olds}
    with django_assert_num_queries(1):
        found = earlier_units([new.pk for new in news], assessed)
    assert all(len(found[new.pk]) == 3 for new in news)
    with django_assert_num_queries(0):
        assert earlier_units([olds[0].pk], assessed) == {olds[0].pk: [olds[0].pk]}
