"""Publishing from the browser, in Debian's chromium: the district's appraiser opens the period
table, follows "Công bố kết quả", publishes a fully appraised period with the decision and lands
on the results page; then a commune officer signs in and downloads their own report."""

import pytest
from playwright.sync_api import expect

from scoring.models import Publication
from tests.scoring.publish_data import appraise

from .steps import publish_from_the_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def test_appraiser_publishes_and_the_commune_downloads_its_report(
    page, live_server, log_in, period, appraiser, officer
):
    appraise(
        period,
        {
            "A": {"1.1": "2", "1.2": "3,5", "2.1": "3,25"},  # 8,75 → first
            "B": {"1.1": "1", "1.2": "3", "2.1": "4"},  # 8 → second
        },
    )
    log_in(page, "thamdinh")
    publish_from_the_page(page, live_server, period)
    expect(page.locator(".publication")).to_contain_text(
        "Quyết định số 766/QĐ-UBND ngày 16/03/2023"
    )
    rows = page.locator("#ranking tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Xã Đồng Tâm")
    expect(rows.first).to_contain_text("1/2")
    expect(rows.nth(1)).to_contain_text("Thị trấn Ninh Giang")
    assert Publication.objects.get().decision == "766/QĐ-UBND"

    page.context.clear_cookies()
    log_in(page, "canbo_a")
    own = page.request.get(f"{live_server.url}/periods/{period.code}/communes/A/report.pdf")
    assert own.status == 200
    assert own.headers["content-type"] == "application/pdf"
    assert own.body().startswith(b"%PDF")
    other = page.request.get(f"{live_server.url}/periods/{period.code}/communes/B/report.pdf")
    assert other.status == 404
