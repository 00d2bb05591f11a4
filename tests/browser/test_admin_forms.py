"""The admin's forms are named for a screen reader (issue 14): a unit's page with an empty
autocomplete (its parent) and the memberships table, before and after "add a row", passes axe
with no critical or serious violation; each autocomplete box carries its field's label. The
whole admin is crawled in test_layout_crawl.py; the row a formset adds later is checked here."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.factories import make_units, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SERIOUS = ("critical", "serious")


def serious(page):
    return [
        (v["impact"], v["id"], [n["target"] for n in v["nodes"]])
        for v in Axe().run(page).response["violations"]
        if v["impact"] in SERIOUS
    ]


def test_a_units_page_and_a_row_added_to_it_are_named(page, live_server, log_in):
    units = make_units()
    make_user("quantri_thu", is_staff=True, is_superuser=True)
    log_in(page, "quantri_thu")
    page.goto(f"{live_server.url}/admin/communes/province/{units['province'].pk}/change/")
    boxes = page.locator(".select2-selection__rendered")
    assert boxes.evaluate_all("es => es.map(e => e.getAttribute('aria-label'))") == [
        "Đơn vị cấp trên",
        "Người dùng",
    ]
    assert serious(page) == []
    page.click(".add-row a")
    assert boxes.nth(2).get_attribute("aria-label") == "Người dùng"
    role = page.locator("select[name=memberships-2-1-role]")
    assert role.get_attribute("aria-label") == "Vai trò"
    assert serious(page) == []
