"""A city leader reads a ranking in two blocks in Debian's chromium: a table, counts and a
chart per block; sorting one block's table leaves the other as it was."""

import pytest
from playwright.sync_api import expect

from communes.models import Role
from scoring.models import Publication
from tests.factories import make_user
from tests.files import run
from tests.reports.test_blocks import build_city

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_leader_reads_two_blocks_and_sorts_one(page, live_server, log_in):
    period = build_city()
    run("publish", period.code, decision="120/QĐ-UBND", decision_date="20/01/2026")
    assert Publication.objects.filter(period=period).exists()
    make_user("lanhdao_hp", unit=period.unit, role=Role.LEADER)
    log_in(page, "lanhdao_hp")

    page.goto(f"{live_server.url}/periods/{period.code}/results/")
    wards, communes = page.locator("#ranking"), page.locator("#ranking-2")
    for heading in ("Khối xếp hạng: Phường (4 đơn vị)", "Khối xếp hạng: Xã, đặc khu (4 đơn vị)"):
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
    expect(wards.locator("tbody tr")).to_have_count(4)
    expect(communes.locator("tbody tr").first).to_contain_text("Xã An Lão")
    expect(communes.locator("tbody tr").first).to_contain_text("1/4")
    expect(page.locator("ul.counts").nth(1)).to_contain_text("2 đơn vị hoàn thành tốt nhiệm vụ")
    expect(page.locator("svg.totals-chart")).to_have_count(2)

    # Sort the communes' table by name: the wards' table keeps its rank order.
    communes.locator("thead th").nth(1).get_by_role("button").click()
    expect(communes.locator("tbody tr").first).to_contain_text("Đặc khu Bạch Long Vĩ")
    expect(wards.locator("tbody tr").first).to_contain_text("Phường Hồng Bàng")
    expect(wards.locator("tbody tr").last).to_contain_text("Phường Kiến An")
