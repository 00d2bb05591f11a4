"""The place and date line of the app's documents (issue 14, item 7): the appraising unit's
proper name from the data and the date as Nghị định 30/2020/NĐ-CP writes it."""

import datetime
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


def test_place_and_date_in_the_administrative_format():
    """A day below 10 and the months 1 and 2 take a leading zero."""
    assert rules.format_place_date("Hải Phòng", datetime.date(2026, 12, 1)) == (
        "Hải Phòng, ngày 01 tháng 12 năm 2026"
    )
    assert rules.format_place_date("Ninh Giang", datetime.date(2023, 3, 16)) == (
        "Ninh Giang, ngày 16 tháng 3 năm 2023"
    )
    assert rules.format_place_date("Ninh Giang", datetime.date(2024, 2, 5)) == (
        "Ninh Giang, ngày 05 tháng 02 năm 2024"
    )
    assert rules.format_place_date("", datetime.date(2024, 1, 9)) == "Ngày 09 tháng 01 năm 2024"


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
