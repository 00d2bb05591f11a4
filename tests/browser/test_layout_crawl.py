"""Every page each role reaches from its dashboard, in Debian's chromium at 1280 and 360 px
(issue 14 items 2 and 8): no page wider than the screen, and axe-core (shipped inside the
axe-playwright-python package, no CDN) finds no critical or serious violation.

The demo (load_demo) is the world: the accounts the README hands out, a published period in
blocks, an open one in self-assessment. From "/" each role follows same-origin links breadth
first; a link is visited once per URL name (the 24 assessment pages of a period share one
template), downloads, the admin and logout are skipped. One browser context per role, one page
reused for both widths. Every mismatch is collected into one message; the widths and axe counts
are written to test-artifacts/layout/crawl.json for the record (gitignored; not test-results/,
which pytest-playwright empties at every run).
"""

import json
import time
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from django.urls import Resolver404, resolve

from scoring.services.demo import ADMIN_USERNAME, DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "layout"
WIDTHS = (1280, 360)
# Each role of the demo: the commune officer of today's city (a draft) and of the 2022 district
# (a published result), the appraisers and leader, the administrator.
ACCOUNTS = {
    "officer": "phuong.haiduong",
    "officer_2022": "xa.dongtam",
    "appraiser": "hp.thamdinh",
    "appraiser_2022": "thamdinh",
    "leader": "hp.lanhdao",
    "admin": ADMIN_USERNAME,
}
# Files, not pages, and the way out.
SKIPPED = {
    "logout",
    "results_pdf",
    "results_xlsx",
    "results_csv",
    "period_csv",
    "minutes",
    "download",
    "commune_report",
    "survey_template_csv",
    "survey_template_xlsx",
}
MAX_PAGES = 40  # per role, a bound on the crawl
SERIOUS = ("critical", "serious")


def url_name(path):
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def links(page, origin):
    hrefs = page.eval_on_selector_all(
        "a[href]:not([download])", "elements => elements.map(e => e.href)"
    )
    for href in hrefs:
        href = urldefrag(href).url
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" == origin:
            yield href


OVERFLOWING = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-4)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className.trim()
           ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
        + ' ' + Math.round(e.getBoundingClientRect().right))"""


def crawl(page, origin, axe, checked):
    """{path: {"name", "width" {360: px, 1280: px}, "axe": [violations]}} of every page reached.
    axe runs once per URL name and set of stylesheets over the whole crawl (`checked`): the same
    template for another role adds seconds, not findings, while the appraisers' view of an
    assessment (appraisal.css) is checked apart from the commune's, and a page's full state
    (over 20 KB: its criteria, its rows) apart from its empty one ("chưa nộp")."""
    seen_names, queued, pages = set(), {f"{origin}/"}, {}
    todo = deque([f"{origin}/"])
    while todo and len(pages) < MAX_PAGES:
        url = todo.popleft()
        path = urlsplit(url).path
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        try:
            response = page.goto(url)
        except Exception:  # a download starting: not a page
            continue
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        record = {"name": url_name(path), "status": response.status, "width": {}}
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            record["width"][width] = page.evaluate("document.documentElement.scrollWidth")
            if record["width"][width] > width:
                record.setdefault("overflowing", {})[width] = page.evaluate(OVERFLOWING)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        sheets = page.eval_on_selector_all(
            "link[rel=stylesheet]", "links => links.map(l => l.getAttribute('href')).sort().join()"
        )
        record["bytes"] = len(page.content().encode())
        key = (record["name"], sheets, record["bytes"] > 20_000)
        record["axe"] = []
        if key in checked:
            record["axe"] = None
        else:
            checked.add(key)
            record["axe"] = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "targets": [n["target"] for n in v["nodes"][:3]],
            }
                for v in axe.run(page).response["violations"]
            ]
        pages[path + (f"?{urlsplit(url).query}" if urlsplit(url).query else "")] = record
        for link in links(page, origin):
            name = url_name(urlsplit(link).path)
            if (
                link in queued
                or name is None
                or name.split(":")[-1] in SKIPPED
                or name.startswith("admin:")
                or name in seen_names
            ):
                continue
            seen_names.add(name)
            queued.add(link)
            todo.append(link)
    return pages


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", "--if-empty", stdout=open("/dev/null", "w"))


def test_every_page_of_every_role_fits_the_screen_and_passes_axe(browser, live_server, demo):
    axe = Axe()
    report, problems, checked = {}, [], set()
    started = time.monotonic()
    for role, username in ACCOUNTS.items():
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector(".usernav")
        pages = crawl(page, live_server.url, axe, checked)
        context.close()
        report[role] = pages
        assert len(pages) >= 3, (role, list(pages))
        for path, record in pages.items():
            for width, scroll in record["width"].items():
                if scroll > width:
                    problems.append(
                        f"{role} {path}: {scroll} px wide at {width} px "
                        f"({record['overflowing'][width]})"
                    )
            for violation in record["axe"] or ():
                if violation["impact"] in SERIOUS:
                    problems.append(
                        f"{role} {path}: axe {violation['impact']} {violation['id']} "
                        f"({violation['help']}) at {violation['targets']}"
                    )
    report["seconds"] = round(time.monotonic() - started, 1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "crawl.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    assert not problems, "\n".join(problems)
