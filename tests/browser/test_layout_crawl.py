"""Every page each role reaches from its dashboard, in Debian's chromium at 1280 and 360 px
(issue 14 items 2, 8 and 9): no page wider than the screen, and axe-core (shipped inside the
axe-playwright-python package, no CDN) finds no critical or serious violation; each page's
weight is measured on the same load.

The demo (load_demo) is the world: the accounts the README hands out, a published period in
blocks, an open one in self-assessment. From "/" each role follows same-origin links breadth
first; a link is visited once per URL name (the 24 assessment pages of a period share one
template), downloads and logout are skipped. The administrator also walks the Django admin
from its index (tests/admin_pages.py says which pages: each model's list, one change form per
model, the import, export and clone pages). One browser context per role, one page reused for
both widths.

Every mismatch is collected into one message. The record goes to test-artifacts/layout/
(gitignored, beside the results page's screenshots; not test-results/, which pytest-playwright
empties at every run): crawl.json, and crawl.md / crawl.csv, one row per role, width and page
with its scrollWidth, its weight (the HTML, CSS and JavaScript the browser received for it,
gzipped as a server would send them; a file the browser took from its cache counts with the
size it came with) and axe's violations by impact, for the issue's closing note.
"""

import csv
import gzip
import json
import time
from collections import Counter, deque
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.admin import site
from django.core.management import call_command

from scoring.services.demo import ADMIN_USERNAME, DEMO_PASSWORD
from tests.admin_pages import admin_page_read, is_admin, page_kind, url_name

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
    "reports_zip",  # starts a job that builds every report (tests/jobs)
    "survey_template_csv",
    "survey_template_xlsx",
}
MAX_PAGES = {"app": 40, "admin": 80}  # per role, a bound on the crawl
SERIOUS = ("critical", "serious")
IMPACTS = ("critical", "serious", "moderate", "minor")
WEIGHED = ("document", "stylesheet", "script")
# An admin list's rows repeat one template row: axe reads the first five (a list of 100
# communes took it 4 s a page). The admin's side menu (every model, the same on every page) is
# read on the first page that has it.
ADMIN_ROWS = ["#result_list tbody tr:nth-child(n+6)"]
ADMIN_MENU = ["#nav-sidebar"]


def links(page, origin):
    hrefs = page.eval_on_selector_all(
        "a[href]:not([download])", "elements => elements.map(e => e.href)"
    )
    for href in hrefs:
        href = urldefrag(href).url
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" == origin:
            yield href


def followed(name):
    if name is None:
        return False
    if is_admin(name):
        return admin_page_read(name)
    return name.split(":")[-1] not in SKIPPED


def axe_context(page, area, checked):
    """What axe reads of the page (None: all of it)."""
    if area != "admin":
        return None
    exclude = [ADMIN_ROWS]
    if page.locator(ADMIN_MENU[0]).count():
        if "menu" in checked:
            exclude.append(ADMIN_MENU)
        checked["menu"] = True
    return {"exclude": exclude}


# The parts of an admin list that change its markup: search box, filters, actions, import and
# export buttons, rows (the rest is one template, Django's).
LIST_PARTS = """() => ['#searchbar', '#changelist-filter', '#changelist-form .actions',
    '.importlink', '.exportlink', '#result_list tbody tr', '.help']
    .filter(selector => document.querySelector(selector)).join()"""


# What a change form's findings come from: the kinds of its controls (a text box, a select, an
# autocomplete, a date box...), its read-only values and its inline tables.
FORM_PARTS = """() => [...new Set([...document.querySelectorAll(
        '#content-main input, #content-main select, #content-main textarea, '
        + '#content-main .readonly, #content-main .inline-group, #content-main .select2')]
    .map(e => e.tagName + (e.type ? ':' + e.type : '') + '.' + (e.className || '')))]
    .sort().join()"""


def axe_kind(name, page):
    """What axe is run once for: a URL name; every model's import (export) page, one template
    and one form for all; the admin lists of the same parts (LIST_PARTS), the change forms of
    the same kinds of fields (FORM_PARTS)."""
    if not is_admin(name):
        return name
    kind = name.rsplit("_", 1)[-1]
    if kind in ("import", "export"):
        return f"admin:*_{kind}"
    if kind == "changelist":
        return f"admin:*_changelist {page.evaluate(LIST_PARTS)}"
    if kind == "change":
        return f"admin:*_change {page.evaluate(FORM_PARTS)}"
    return name


OVERFLOWING = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(-4)
    .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (typeof e.className === 'string' && e.className.trim()
           ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
        + ' ' + Math.round(e.getBoundingClientRect().right))"""
ASSETS = """elements => elements.map(e => e.href || e.src)"""


class Weights:
    """The gzipped size of every stylesheet and script the browser receives, by URL, for the
    weight of the pages that use them (a static file taken from the browser's cache sends no
    response: it counts with the size it came with)."""

    def __init__(self, page):
        self.gzipped = {}
        page.on("response", self.received)

    def received(self, response):
        kind = response.request.resource_type
        if kind in WEIGHED[1:] and response.url not in self.gzipped and response.status == 200:
            self.gzipped[response.url] = len(gzip.compress(response.body(), 6))

    def of(self, page, document: bytes) -> int:
        assets = page.eval_on_selector_all("link[rel=stylesheet][href], script[src]", ASSETS)
        for url in assets:
            if url not in self.gzipped:  # not seen by the listener: fetch it once
                self.gzipped[url] = len(gzip.compress(page.request.get(url).body(), 6))
        return len(gzip.compress(document, 6)) + sum(self.gzipped[url] for url in set(assets))


def crawl(page, origin, axe, checked):
    """{path: {"name", "width" {1280: px, 360: px}, "gzip", "axe": [violations]}} of every page
    reached. axe runs once per URL name (axe_kind) and set of stylesheets over the whole crawl
    (`checked`): the same template for another role adds seconds, not findings, while the
    appraisers' view of an assessment (appraisal.css) is checked apart from the commune's,
    and a page's full state (over 20 KB: its criteria, its rows) apart from its empty one
    ("chưa nộp"); a page not checked again names the one that was ("axe_of")."""
    seen_names, queued, pages = set(), {f"{origin}/"}, {}
    counts = Counter()
    weights = Weights(page)
    todo = deque([f"{origin}/"])
    while todo:
        url = todo.popleft()
        parts = urlsplit(url)
        name = url_name(parts.path)
        area = "admin" if is_admin(name) else "app"
        if counts[area] >= MAX_PAGES[area]:
            continue
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        try:
            response = page.goto(url)
        except Exception:  # a download starting: not a page
            continue
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        counts[area] += 1
        loaded = time.monotonic()
        document = response.body()
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        record = {"name": name, "status": response.status, "width": {}}
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            record["width"][width] = page.evaluate("document.documentElement.scrollWidth")
            if record["width"][width] > width:
                record.setdefault("overflowing", {})[width] = page.evaluate(OVERFLOWING)
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        record["gzip"] = weights.of(page, document)
        sheets = page.eval_on_selector_all(
            "link[rel=stylesheet]", "links => links.map(l => l.getAttribute('href')).sort().join()"
        )
        measured = time.monotonic()
        key = (axe_kind(name, page), sheets, len(document) > 20_000)
        if key in checked:
            record["axe"] = None
            record["axe_of"], record["axe_counts"] = checked[key]
        else:
            record["axe"] = [
                {
                    "id": v["id"],
                    "impact": v["impact"],
                    "help": v["help"],
                    "targets": [n["target"] for n in v["nodes"][:3]],
                }
                for v in axe.run(page, axe_context(page, area, checked)).response["violations"]
            ]
            record["axe_counts"] = dict(Counter(v["impact"] for v in record["axe"]))
            checked[key] = (path, record["axe_counts"])
        # Milliseconds spent measuring the page and running axe on it, for the crawl's budget.
        finished = time.monotonic()
        record["ms"] = [round(1000 * (measured - loaded)), round(1000 * (finished - measured))]
        pages[path] = record
        for link in links(page, origin):
            name = url_name(urlsplit(link).path)
            if link in queued or not followed(name) or page_kind(name) in seen_names:
                continue
            seen_names.add(page_kind(name))
            queued.add(link)
            todo.append(link)
    return pages


def rows(report):
    """(role, width, path, scrollWidth, gzip bytes, {impact: count}, checked as) of every page
    at every width; the axe counts are those of the page checked for it (`checked as`)."""
    for role, pages in report.items():
        for path, record in pages.items():
            counts = Counter(record["axe_counts"])
            for width in WIDTHS:
                yield (
                    role, width, path, record["width"][width], record["gzip"], counts,
                    record.get("axe_of"),
                )


def write_artifacts(report, seconds):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "crawl.json").write_text(
        json.dumps({**report, "seconds": seconds}, indent=1, ensure_ascii=False)
    )
    table = list(rows(report))
    with open(ARTIFACTS / "crawl.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["role", "width", "url", "scroll_width", "gzip_bytes", *IMPACTS, "axe_as"])
        for role, width, path, scroll, weight, axe, axe_of in table:
            writer.writerow(
                [role, width, path, scroll, weight, *(axe[i] for i in IMPACTS), axe_of or ""]
            )
    heaviest = max(table, key=lambda row: row[4])
    lines = [
        "# Layout crawl (tests/browser/test_layout_crawl.py)",
        "",
        f"{len(table) // len(WIDTHS)} page loads, {seconds} s. "
        f"Heaviest: {heaviest[2]} ({heaviest[0]}), {heaviest[4] / 1024:.1f} KB gzip.",
        "",
    ]
    for width in WIDTHS:
        widths = [row[3] for row in table if row[1] == width]
        lines.append(f"- at {width} px: scrollWidth {min(widths)}–{max(widths)} px")
    totals = Counter()
    for row in table:
        if row[1] == WIDTHS[0] and row[6] is None:
            totals.update(row[5])
    found = ", ".join(f"{impact} {totals[impact]}" for impact in IMPACTS)
    lines.append(f"- axe (each page checked once): {found}")
    lines += [
        "",
        "| role | width | URL | scrollWidth | KB gzip (HTML+CSS+JS) "
        "| axe critical/serious/moderate/minor |",
        "| --- | ---: | --- | ---: | ---: | --- |",
    ]
    for role, width, path, scroll, weight, axe, axe_of in table:
        found = "/".join(str(axe[i]) for i in IMPACTS) + (f" (as {axe_of})" if axe_of else "")
        lines.append(f"| {role} | {width} | {path} | {scroll} | {weight / 1024:.1f} | {found} |")
    (ARTIFACTS / "crawl.md").write_text("\n".join(lines) + "\n")


@pytest.fixture
def demo(transactional_db):
    call_command("load_demo", "--if-empty", stdout=open("/dev/null", "w"))


def test_every_page_of_every_role_fits_the_screen_and_passes_axe(browser, live_server, demo):
    axe = Axe()
    report, problems, checked = {}, [], {}
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
    write_artifacts(report, round(time.monotonic() - started, 1))
    # The administrator's crawl reached the whole admin: its index, every model's list, a
    # change form of every model that has a row, every import page.
    names = {record["name"] for record in report["admin"].values()}
    wanted = {"admin:index"}
    for model, model_admin in site._registry.items():
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        wanted.add(f"{prefix}_changelist")
        if model._default_manager.exists():
            wanted.add(f"{prefix}_change")
        if hasattr(model_admin, "import_view"):
            wanted.add(f"{prefix}_import")
    assert wanted <= names, sorted(wanted - names)
    assert not problems, "\n".join(problems)
