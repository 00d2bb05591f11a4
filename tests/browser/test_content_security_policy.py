"""The site's Content-Security-Policy in Debian's chromium: the main pages and the admin run
under it without a single violation, and what used to be inline script still works (autosave,
"select all", confirmations, sorting, the admin's own widgets)."""

import re

import pytest
from playwright.sync_api import expect

from communes.models import Role
from scoring.models import Assessment
from tests.factories import make_user
from tests.reports.builders import make_published_period

from .steps import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Runs before any page script (through the DevTools protocol, which the policy does not cover)
# and keeps every violation the browser reports on the page.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    """The page, with every CSP violation, console error and uncaught error collected in
    `page.problems` (checked with `assert_clean`)."""
    page.problems = []
    page.add_init_script(RECORD_VIOLATIONS)
    def on_console(message):
        # The browser's own request for /favicon.ico (the site has none) is no page's doing.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            page.problems.append(f"console: {message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: page.problems.append(f"pageerror: {error}"))
    page.on("dialog", lambda dialog: dialog.accept())
    return page


def assert_clean(page, where):
    """No violation on the page now shown, nor any console error since the last check."""
    violations = page.evaluate("window.__cspViolations || []")
    problems, page.problems[:] = list(page.problems), []
    assert (violations, problems) == ([], []), where


def visit(page, url, where):
    page.goto(url)
    page.wait_for_load_state("load")
    assert_clean(page, where)


def sign_out(page):
    page.context.clear_cookies()


def test_main_pages_and_admin_run_under_the_policy_without_a_violation(
    watched, live_server, log_in, units, period, officer, appraiser
):
    page, base = watched, live_server.url
    response = page.goto(f"{base}/accounts/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert_clean(page, "login")

    # The officer: dashboard, then the assessment page, where autosave must still save.
    log_in(page, "canbo_a")
    assert_clean(page, "dashboard")
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    visit(page, f"{base}{assessment.get_absolute_url()}", "assessment")
    form = row(page, "1.1").locator("form.score-form")
    form.locator("input[name=self_score]").fill("1,5")
    form.locator("input[name=self_score]").press("Tab")
    expect(form).to_have_attribute("data-state", "saved")
    assert_clean(page, "assessment after an autosave")
    sign_out(page)

    # The appraiser: the period table's "select all" (was an inline script), the results page.
    log_in(page, "thamdinh")
    visit(page, f"{base}/periods/{period.code}/", "period table")
    page.locator("#select-all").check()
    boxes = page.locator("#bulk-form input[name=ids]")
    assert boxes.count() > 0
    assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
    assert_clean(page, "period table after select all")
    published = make_published_period(units, count=4, previous=False).period
    visit(page, f"{base}/periods/{published.code}/results/", "results")
    page.locator("#ranking thead th").nth(1).get_by_role("button").click()
    expect(page.locator("#ranking thead th").nth(1)).to_have_attribute("aria-sort", "ascending")
    assert_clean(page, "results after sorting")
    sign_out(page)

    # The admin: index, the criteria tree, a form with date widgets, import/export, lockouts.
    make_user("quantri", is_staff=True, is_superuser=True)
    log_in(page, "quantri")
    criteria_set = period.criteria_set
    for where, path in [
        ("admin index", "/admin/"),
        ("criteria tree", f"/admin/scoring/criteriaset/{criteria_set.pk}/change/"),
        ("period list", "/admin/scoring/period/"),
        ("units import", "/admin/communes/unit/import/"),
        ("units export", "/admin/communes/unit/export/"),
        ("access attempts", "/admin/axes/accessattempt/"),
        ("access failures", "/admin/axes/accessfailurelog/"),
        ("users", "/admin/auth/user/"),
    ]:
        visit(page, f"{base}{path}", where)
    # The criteria tree keeps its indentation from the stylesheet.
    visit(page, f"{base}/admin/scoring/criteriaset/{criteria_set.pk}/change/", "criteria tree")
    nested = page.locator(".criteria-tree tr.depth-1 td.indent").first
    assert nested.evaluate("cell => getComputedStyle(cell).paddingLeft") == "24px"
    # A change form's date widget (admin JavaScript) opens its calendar.
    visit(page, f"{base}/admin/scoring/period/{period.pk}/change/", "period change form")
    page.locator(".datetimeshortcuts a[id^=calendarlink]").first.click()
    expect(page.locator(".calendarbox").first).to_be_visible()
    assert_clean(page, "period change form after the calendar")


def test_a_confirmation_asked_by_data_confirm_still_stops_the_form(
    page, live_server, log_in, units, period, officer
):
    """A "Hủy" answer to the question keeps the page; "OK" sends the form (forms.js)."""
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    assessment.status = Assessment.Status.SUBMITTED
    assessment.save(update_fields=["status"])
    log_in(page, "canbo_a")
    page.goto(f"{live_server.url}{assessment.get_absolute_url()}")
    withdraw = page.get_by_role("button", name="Rút lại hồ sơ")

    page.once("dialog", lambda dialog: dialog.dismiss())
    withdraw.click()
    expect(withdraw).to_be_visible()
    assessment.refresh_from_db()
    assert assessment.status == Assessment.Status.SUBMITTED

    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    withdraw.click()
    expect(page.locator(".messages")).to_be_visible()
    assert questions == ["Rút lại hồ sơ đã nộp để sửa? Sau khi sửa cần nộp lại."]
    assessment.refresh_from_db()
    assert assessment.status != Assessment.Status.SUBMITTED
    assert re.search(r"/communes/", page.url)
