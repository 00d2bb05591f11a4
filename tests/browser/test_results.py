"""A district leader reads the published ranking in Debian's chromium: logs in, opens the
results page, sees the classification counts and the chart, sorts the table by a column."""

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.reports.builders import make_published_period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def column_values(page, index):
    cells = page.locator("#ranking tbody tr").locator(f"td:nth-child({index})")
    return [cells.nth(i).get_attribute("data-sort") for i in range(cells.count())]


def test_leader_sorts_the_ranking_and_sees_counts_and_chart(
    page, live_server, log_in, units, leader
):
    period = make_published_period(units).period
    log_in(page, "lanhdao")

    page.goto(f"{live_server.url}/periods/{period.code}/results/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kết quả Chỉ số CCHC")
    expect(page.locator(".counts")).to_contain_text("14 đơn vị hoàn thành tốt nhiệm vụ")
    expect(page.locator(".counts")).to_contain_text("3 đơn vị hoàn thành xuất sắc nhiệm vụ")
    chart = page.locator("svg.totals-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("rect")).to_have_count(20)
    decision = "Quyết định số 766/QĐ-UBND ngày 16/03/2023"
    expect(page.locator(".publication")).to_contain_text(decision)

    rows = page.locator("#ranking tbody tr")
    expect(rows.first).to_contain_text("1/20")

    # Field 8 (the 9th column): ascending, then descending, compared as numbers.
    header = page.locator("#ranking thead th").nth(9)
    expect(header).to_contain_text("LV8")
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "ascending")
    ascending = [Decimal(value) for value in column_values(page, 10)]
    assert ascending == sorted(ascending)
    header.get_by_role("button").click()
    expect(header).to_have_attribute("aria-sort", "descending")
    descending = [Decimal(value) for value in column_values(page, 10)]
    assert descending == sorted(descending, reverse=True)

    # The commune name column sorts alphabetically in Vietnamese order.
    page.locator("#ranking thead th").nth(1).get_by_role("button").click()
    expect(rows.first).to_contain_text("Thị trấn Ninh Giang")
    total_header = page.locator("#ranking thead th", has_text="Tổng điểm")
    total_header.get_by_role("button").click()
    expect(rows.first).to_contain_text("74,82")  # lowest total first
    total_header.get_by_role("button").click()
    expect(rows.first).to_contain_text("93,12")
