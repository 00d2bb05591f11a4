import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from communes.models import Commune, District, Province, Succession, Unit

from ..factories import make_unit

pytestmark = pytest.mark.django_db


def test_level_follows_kind_and_proxies_filter_by_level(units):
    assert units["commune"].level == "commune"
    assert units["district"].level == "district"
    assert set(Province.objects.all()) == {units["province"]}
    assert set(District.objects.values_list("code", flat=True)) == {"D1", "D2"}
    assert set(Commune.objects.values_list("code", flat=True)) == {"A", "B", "C"}


def test_a_commune_needs_a_parent_of_a_higher_level(units):
    orphan = Unit(code="X", name="Xã Mồ Côi", kind="xa")
    with pytest.raises(ValidationError, match="phải có đơn vị cấp trên"):
        orphan.full_clean()
    under_commune = Unit(code="Y", name="Xã Lạ", kind="xa", parent=units["commune"])
    with pytest.raises(ValidationError, match="không thể trực thuộc"):
        under_commune.full_clean()
    # After 1/7/2025 a commune sits directly under its province.
    Unit(code="Z", name="Phường Mới", kind="phuong", parent=units["province"]).full_clean()


def test_active_on_a_date_follows_the_mergers(units):
    old = make_unit("OLD", "Xã Cũ", "xa", units["district"], active_to=datetime.date(2025, 7, 1))
    new = make_unit("NEW", "Xã Mới", "xa", units["district"], active_from=datetime.date(2025, 7, 1))
    Succession.objects.create(predecessor=old, successor=new, effective_date=datetime.date(2025, 7, 1))
    before = set(Unit.objects.active(datetime.date(2025, 6, 30)).communes())
    after = set(Unit.objects.active(datetime.date(2025, 7, 1)).communes())
    assert old in before and new not in before
    assert new in after and old not in after
    assert list(new.predecessions.values_list("predecessor__code", flat=True)) == ["OLD"]


def test_a_unit_cannot_succeed_itself(units):
    with pytest.raises(IntegrityError), transaction.atomic():
        Succession.objects.create(
            predecessor=units["commune"], successor=units["commune"], effective_date=datetime.date(2025, 7, 1)
        )


def test_under_reaches_two_levels_down(units):
    codes = set(Unit.objects.under([units["province"].pk]).values_list("code", flat=True))
    assert codes == {"P", "D1", "D2", "A", "B", "C"}
