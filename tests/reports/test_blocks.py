"""Ranking blocks end to end (issue 11 item 3): a city of four wards and four communes and
special zones, ranked in two blocks, created, scored, published and exported through the ◆
commands; every rank below is computed by hand.

The flat tree: field 1 = 1.1 (2) + 1.2 (4), field 2 = 2.1 (4); 10 points, index = 10 × total.

    unit  1.1 1.2 2.1 | LV1 LV2 total | block rank | LV1 rank | LV2 rank | classification
    W1    2   4   3   | 6   3   9     | 1/4        | 1/3      | 2/3      | xuất sắc
    W2    2   3   4   | 5   4   9     | 1/4        | 2/3      | 1/3      | xuất sắc
    W3    1,5 3,5 3   | 5   3   8     | 3/4        | 2/3      | 2/3      | tốt
    W4    1   3   2,5 | 4   2,5 6,5   | 4/4        | 3/3      | 3/3      | chưa hoàn thành
    X1    2   4   4   | 6   4   10    | 1/4        | 1/3      | 1/4      | xuất sắc
    X2    1   2   2   | 3   2   5     | 4/4        | 3/3      | 4/4      | chưa hoàn thành
    X3    2   3   3   | 5   3   8     | 3/4        | 2/3      | 3/4      | tốt
    Z1    2   3   3,5 | 5   3,5 8,5   | 2/4        | 2/3      | 2/4      | tốt

Ranked together (no blocks) W1, W2 and X1 would be 2/8, 2/8 and 1/8.
"""

import csv
import io
from decimal import Decimal

import pytest

from communes.models import Role
from scoring.models import Period, Publication

from ..factories import make_criteria_set, make_unit, make_user
from ..files import run
from ..scoring.publish_data import appraise

pytestmark = pytest.mark.django_db

D = Decimal
BLOCKS = "Phường:phuong;Xã, đặc khu:xa,dac_khu"
SCORES = {
    "W1": ("2", "4", "3"), "W2": ("2", "3", "4"), "W3": ("1,5", "3,5", "3"),
    "W4": ("1", "3", "2,5"), "X1": ("2", "4", "4"), "X2": ("1", "2", "2"),
    "X3": ("2", "3", "3"), "Z1": ("2", "3", "3,5"),
}
NAMES = {
    "W1": "Phường Hồng Bàng", "W2": "Phường Lê Chân", "W3": "Phường Ngô Quyền",
    "W4": "Phường Kiến An", "X1": "Xã An Lão", "X2": "Xã Tiên Lãng", "X3": "Xã Vĩnh Bảo",
    "Z1": "Đặc khu Bạch Long Vĩ",
}
# code → (block, rank, rank_of, (LV1 r, N), (LV2 r, N), classification)
EXPECTED = {
    "W1": ("Phường", 1, 4, (1, 3), (2, 3), "Hoàn thành xuất sắc nhiệm vụ"),
    "W2": ("Phường", 1, 4, (2, 3), (1, 3), "Hoàn thành xuất sắc nhiệm vụ"),
    "W3": ("Phường", 3, 4, (2, 3), (2, 3), "Hoàn thành tốt nhiệm vụ"),
    "W4": ("Phường", 4, 4, (3, 3), (3, 3), "Chưa hoàn thành nhiệm vụ"),
    "X1": ("Xã, đặc khu", 1, 4, (1, 3), (1, 4), "Hoàn thành xuất sắc nhiệm vụ"),
    "Z1": ("Xã, đặc khu", 2, 4, (2, 3), (2, 4), "Hoàn thành tốt nhiệm vụ"),
    "X3": ("Xã, đặc khu", 3, 4, (2, 3), (3, 4), "Hoàn thành tốt nhiệm vụ"),
    "X2": ("Xã, đặc khu", 4, 4, (3, 3), (4, 4), "Chưa hoàn thành nhiệm vụ"),
}


def build_city(*, blocks: str | None = BLOCKS, code: str = "HP-2025") -> Period:
    """City HP with its eight units, a period over them (in two blocks unless blocks=None),
    every score appraised as in SCORES."""
    city = make_unit("HP", "Thành phố Hải Phòng", "thanh_pho_tw")
    for unit, name in NAMES.items():
        kind = {"W": "phuong", "X": "xa", "Z": "dac_khu"}[unit[0]]
        make_unit(unit, name, kind, city)
    make_criteria_set("CS-HP", tree="flat")
    options = {"blocks": blocks} if blocks is not None else {}
    run("create_period", code=code, year=2025, criteria="CS-HP", unit="HP",
        name="Chỉ số CCHC năm 2025 các xã, phường, đặc khu thành phố Hải Phòng", **options)
    period = Period.objects.get(code=code)
    appraise(
        period,
        {unit: dict(zip(("1.1", "1.2", "2.1"), values)) for unit, values in SCORES.items()},
    )
    return period


@pytest.fixture
def city():
    period = build_city()
    run("publish", period.code, decision="120/QĐ-UBND", decision_date="20/01/2026")
    return Publication.objects.get(period=period)


@pytest.fixture
def city_leader(city):
    return make_user("lanhdao_hp", unit=city.period.unit, role=Role.LEADER)


def test_publishing_ranks_within_each_block(city):
    results = {r.commune.code: r for r in city.results.select_related("commune")}
    got = {
        code: (
            r.block, r.rank, r.rank_of,
            (r.field_scores()["1"].rank, r.field_scores()["1"].rank_of),
            (r.field_scores()["2"].rank, r.field_scores()["2"].rank_of),
            r.classification,
        )
        for code, r in results.items()
    }
    assert got == EXPECTED
    assert results["W4"].total == D("6.5") and results["W4"].index == D(65)
    assert city.blocks == ["Phường", "Xã, đặc khu"]


def test_without_blocks_every_unit_is_ranked_in_one_table():
    period = build_city(blocks=None)
    run("publish", period.code)
    publication = Publication.objects.get(period=period)
    ranks = {
        r.commune.code: (r.block, r.rank, r.rank_of)
        for r in publication.results.select_related("commune")
    }
    assert ranks["X1"] == ("", 1, 8)
    assert ranks["W1"] == ranks["W2"] == ("", 2, 8)
    assert ranks["X2"] == ("", 8, 8)
    assert publication.blocks == []


def test_a_kind_added_after_the_blocks_were_set_is_refused_at_publishing():
    period = build_city()
    # The period's blocks are edited to leave the special zone out (the form would refuse it).
    Period.objects.filter(pk=period.pk).update(
        blocks=[{"label": "Phường", "kinds": ["phuong"]}, {"label": "Xã", "kinds": ["xa"]}]
    )
    from ..files import run_failing

    lines = run_failing("publish", period.code)
    assert lines == [
        "Chưa công bố được kỳ HP-2025: Đặc khu Bạch Long Vĩ (loại “Đặc khu”, dac_khu) không "
        "thuộc khối xếp hạng nào; thêm “dac_khu” vào một khối. Hãy sửa khối xếp hạng của kỳ "
        "đánh giá."
    ]
    assert not Publication.objects.filter(period=period).exists()
