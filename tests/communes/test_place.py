"""The place and date line of the app's documents (issue 14, item 7): the appraising unit's
proper name from the data and the date as Nghị định 30/2020/NĐ-CP writes it."""

import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from communes.models import Kind, Role, Unit
from communes.wording import place
from scoring import rules
from tests.factories import make_period, make_unit, make_user
from tests.scoring.appraisal_data import submitted


def test_place_is_the_units_proper_name():
    def unit(name, kind):
        return Unit(code="X", name=name, kind=kind)

    assert place(unit("Thành phố Hải Phòng", Kind.THANH_PHO_TW)) == "Hải Phòng"
    assert place(unit("Huyện Ninh Giang", Kind.HUYEN)) == "Ninh Giang"
    assert place(unit("Tỉnh  Hải Dương", Kind.TINH)) == "Hải Dương"
    assert place(unit("Thị xã Kinh Môn", Kind.THI_XA)) == "Kinh Môn"
    assert place(unit("Hà Nội", Kind.THANH_PHO_TW)) == "Hà Nội"


@pytest.mark.django_db
def test_a_province_periods_minutes_are_dated_hai_phong(client, tmp_path):
    city = make_unit("HP", "Thành phố Hải Phòng", Kind.THANH_PHO_TW)
    ward = make_unit("HP-01", "Phường Hồng Bàng", Kind.PHUONG, city)
    period = make_period(city, code="HP-2026", year=2026)
    assessment = submitted(period, ward)
    client.force_login(make_user("thamdinh_hp", unit=city, role=Role.APPRAISER))
    response = client.get(reverse("scoring:minutes", args=[period.code, ward.code]))
    assert response.status_code == 200
    path = tmp_path / "bien-ban.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    expected = rules.format_place_date("Hải Phòng", timezone.localdate())
    assert expected in flat and expected.startswith("Hải Phòng, ngày ")
    assert "SỞ NỘI VỤ THÀNH PHỐ HẢI PHÒNG" in text and "TỔ THẨM ĐỊNH" in text
    assert assessment.commune.name in flat
