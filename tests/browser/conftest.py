"""What every journey in Debian's chromium shares: signing in through the login form."""

import pytest
from playwright.sync_api import expect

PASSWORD = "matkhau-2024"  # tests/factories.make_user's default


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """The same value as pytest-playwright's own fallback fixture (--base-url, else the
    base_url ini value, else None), which is declared as a method of a plugin class: pytest 9
    warns for every session-scoped fixture defined that way (PytestRemovedIn10Warning)."""
    return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None


@pytest.fixture
def log_in(live_server):
    """log_in(page, username): sign in on the live server as a person does, and wait for the
    signed-in page."""

    def log_in(page, username, password=PASSWORD):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        expect(page.locator(".usernav")).to_be_visible()

    return log_in
