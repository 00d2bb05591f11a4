"""A ward formed in 2025 sees, beside each criterion, what its predecessor scored last year
(issue 11 item 5), in Debian's chromium against the live server."""

import pytest
from playwright.sync_api import expect

from communes.models import Role
from scoring.services.publishing import publish_period
from tests.factories import make_user
from tests.scoring.merger_years import build_years

from .steps import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_ward_officer_sees_last_years_score_beside_a_criterion(page, live_server, log_in, units):
    made, p2024, p2025 = build_years(units)
    publish_period(p2024, by=make_user("lanhdao_tinh", unit=units["province"], role=Role.LEADER))
    make_user("canbo_phuong", unit=made["W1"], role=Role.COMMUNE_OFFICER)
    log_in(page, "canbo_phuong")
    page.goto(f"{live_server.url}/periods/{p2025.code}/communes/W1/")
    expect(page.locator("h1")).to_contain_text("Phường Tân Hương")
    # Xã Tân Hương (O6) scored 2/4 on 1.2 in 2024 and became Phường Tân Hương on 01/07/2025.
    expect(row(page, "1.2").locator(".crit-last-year")).to_have_text(
        "năm trước (Xã Tân Hương): 2/4"
    )
    expect(row(page, "1.1").locator(".crit-last-year")).to_have_text(
        "năm trước (Xã Tân Hương): 0/2"
    )
    expect(row(page, "1.2").locator(".crit-max")).to_have_text("Tối đa 4 điểm")
