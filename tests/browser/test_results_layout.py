"""The ranking fits the screen (issue 14 item 1): at 1280 px every column of a period with the
reference criteria set shows without a sideways scroll, no cell narrower than its content, rank
and name sticky; at 360 px one card per commune (rank, name, total, classification) whose fields
open with a tap on "Điểm N lĩnh vực" (a <details>, no script). Screenshots of both widths are
saved to test-artifacts/layout/ (gitignored) to be looked at."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.reports.builders import make_published_period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "layout"
# Cells whose content is wider than the cell (clipped or spilling into the next column).
SQUEEZED = """table => [...table.querySelectorAll('th, td')]
    .filter(cell => cell.offsetParent !== null && cell.scrollWidth > cell.clientWidth + 1)
    .map(cell => cell.textContent.trim() + ' ' + cell.scrollWidth + '>' + cell.clientWidth)"""


def test_the_ranking_fits_1280_px_and_is_one_card_per_commune_at_360(
    page, live_server, log_in, units, leader
):
    period = make_published_period(units).period
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log_in(page, "lanhdao")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/periods/{period.code}/results/")
    table = page.locator("#ranking")
    fields = table.locator("thead th.field")
    assert fields.count() >= 8
    wrap = page.locator(".ranking-wrap").first
    assert wrap.evaluate("e => e.scrollWidth <= e.clientWidth"), wrap.evaluate(
        "e => [e.scrollWidth, e.clientWidth]"
    )
    assert table.evaluate(SQUEEZED) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    for selector in ("td.rank", "td.name"):
        cell = table.locator(f"tbody tr >> nth=0 >> {selector}")
        assert cell.evaluate("e => getComputedStyle(e).position") == "sticky"
    # A field cell: the score over its rank, never on one squeezed line.
    first = table.locator("tbody tr").first.locator("td.field").first
    score_box, rank_box = first.evaluate(
        "e => [e.firstChild.parentNode.getBoundingClientRect().top,"
        " e.querySelector('small').getBoundingClientRect().top]"
    )
    assert rank_box > score_box
    # Weak fields say so in text as well as in red.
    weak = table.locator("td.weak")
    if weak.count():
        expect(weak.first).to_contain_text("▼")
    # No row of the 1280-px table is taller than three lines (was 106 px, issue 14).
    heights = table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.offsetHeight)")
    assert max(heights) <= 80, heights
    page.screenshot(path=str(ARTIFACTS / "results-1280.png"), full_page=True)

    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card = table.locator("tbody tr").first
    expect(card.locator("td.name")).to_be_visible()
    expect(card.locator("td.total")).to_be_visible()
    expect(card.locator("td.band-cell")).to_be_visible()
    expect(card.locator("td.field").first).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "results-360.png"), full_page=False)
    card.locator("summary").click()
    expect(card.locator("td.field").first).to_be_visible()
    expect(card.locator("td.field").first).to_contain_text("/20")
    expect(table.locator("tbody tr").nth(1).locator("td.field").first).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    card.screenshot(path=str(ARTIFACTS / "results-360-card-open.png"))
