"""Vietnamese only (issue 14, item 3): every page reachable for each role shows no ASCII
snake_case word (a code such as `survey_imported`, `appraised_score`) and no English UI word in
its visible text. Text inside <code> is exempt: the ◆ file columns and command names are shown
there, each with a Vietnamese gloss.

The URLs, roles, states and objects are those of tests/test_permission_crawl.py (one table):
every GET URL of the URLconf is fetched as every role, and every answer that is a page (HTML, or
a PDF's printed text) is read. The demo data (load_demo) is crawled the same way for its own
accounts, and its administrator's admin pages (tests/admin_pages.py) are read too.
"""

import re
from html.parser import HTMLParser

import pytest
from django.contrib.admin import site
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Q
from django.test import Client
from django.urls import reverse

from scoring.models import Adjustment, Assessment, Score
from scoring.services.appraisal import lock_assessment, unlock_assessment
from evidence.models import Evidence

from .admin_pages import admin_pages
from .test_permission_crawl import (  # noqa: F401 - quick_pdfs is a fixture
    EXPECTED,
    METHODS,
    ROLES,
    STATES,
    arguments_of,
    build,
    client_for,
    quick_pdfs,
    url_patterns,
    urls_to_crawl,
)

pytestmark = pytest.mark.django_db

SNAKE_CASE = re.compile(r"(?<![\w/.@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w/.@-])")
# Words of an English interface, as whole words (case-insensitive). None of them is a
# Vietnamese word written without diacritics.
ENGLISH = (
    "actions", "add", "appraised", "back", "cancel", "choose file", "close", "commune",
    "confirm", "dashboard", "delete", "details", "download", "draft", "edit", "error", "export",
    "false", "filter", "help", "history", "home", "import", "loading", "log in", "log out",
    "login", "logout", "next", "no file chosen", "none", "null", "password", "period",
    "previous", "published", "rank", "remove", "required", "returned", "save", "score",
    "search", "select", "settings", "show", "status", "submit", "submitted", "total", "true",
    "unknown", "update", "upload", "username", "view", "welcome", "yes",
)
ENGLISH_WORD = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b", re.I)
# Attributes read aloud or shown as text.
SHOWN_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label", "data-confirm")
# What is not interface text: code, and what a user typed into a text box (like an input's value).
SKIPPED = {"script", "style", "code", "template", "textarea"}
# django-axes stores "<unknown>" for a request without a user agent or path (data, not our
# text). (The admin's yes/no icons read "Có"/"Không": cchc/admin_site.py.)
ADMIN_UNTRANSLATABLE = re.compile(r"&lt;unknown&gt;")


class VisibleText(HTMLParser):
    """The text a reader sees or hears, <code> (and script, style) left out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        tag = tag.split(":")[-1]
        if tag in SKIPPED:
            self.skipping.append(tag)
        if self.skipping:
            return
        for name, value in attrs:
            if name in SHOWN_ATTRIBUTES and value:
                self.parts.append(value)
            if tag == "input" and name == "value" and value and ("type", "submit") in attrs:
                self.parts.append(value)

    def handle_endtag(self, tag):
        tag = tag.split(":")[-1]
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    parser.close()
    return " ".join(" ".join(parser.parts).split())


def problems_in(text: str) -> list[str]:
    found = [f"snake_case “{m.group(0)}”" for m in SNAKE_CASE.finditer(text)]
    found += [f"English “{m.group(0)}”" for m in ENGLISH_WORD.finditer(text)]
    return found


def page_text(response) -> str | None:
    """The visible text of an HTML page or of a PDF's printed HTML (quick_pdfs); None for
    files (CSV, XLSX: their ◆ columns are a contract)."""
    kind = response.get("Content-Type", "")
    if not (kind.startswith("text/html") or kind.startswith("application/pdf")):
        return None
    body = b"".join(response) if response.streaming else response.content
    return visible_text(body.decode("utf-8", errors="replace"))


def test_the_extractor_sees_text_and_leaves_code_out():
    html = (
        '<p title="Lưu">Cột <code>commune_code</code> (mã đơn vị)</p><script>var a_b=1</script>'
        '<button aria-label="Submit form">Lưu</button>'
    )
    text = visible_text(html)
    assert "commune_code" not in text and "a_b" not in text
    assert problems_in(text) == ["English “Submit”"]
    assert problems_in("appraised_score → Đã nộp") == ["snake_case “appraised_score”"]
    assert problems_in("ke-hoach_2024.pdf, /periods/p_1/, a@b_c.vn") == []


def named(users) -> None:
    """Everyone gets a full name: pages print names, not usernames (data, not the UI)."""
    for role, user in users.items():
        get_user_model().objects.filter(pk=user.pk).update(first_name=f"Cán bộ {ROLES.index(role)}")


def crawl_pages(clients: dict[str, Client], urls: dict[str, str]):
    """(role, url name, status, problems) of every GET URL for every client."""
    for role, client in clients.items():
        for name, url in urls.items():
            if METHODS.get(name, "GET") != "GET":
                continue
            response = client.get(url)
            text = page_text(response) if response.status_code == 200 else None
            yield role, name, response.status_code, problems_in(text) if text else [], text


@pytest.mark.parametrize("state", STATES)
def test_every_page_for_every_role_speaks_vietnamese_only(state, quick_pdfs):  # noqa: F811
    users, values = build(state)
    named(users)
    assessment = Assessment.objects.get(period__code=values["period"], commune__code="A")
    appraiser = users["appraiser"]
    if state != "published":
        # More audit actions on the history pages; a lock and an unlock leave the state as is.
        lock_assessment(assessment, reason="Kiểm tra hồ sơ", by=appraiser)
        unlock_assessment(assessment, reason="Đã kiểm tra", by=appraiser)
    failures, urls = urls_to_crawl(values)
    assert not failures, failures
    clients = {role: client_for(users, role) for role in ROLES}
    answered, texts = set(), {}
    for role, name, status, problems, text in crawl_pages(clients, urls):
        if status == 200:
            answered.add((name, role))
            texts[name, role] = text
        failures += [f"{name} as {role} ({state}): {problem}" for problem in problems]
    # Not blind: every page the table opens to a role was read.
    opened = {
        (name, role)
        for (name, role, cell_state), code in EXPECTED.items()
        if cell_state == state and code in ("200", "ns") and METHODS[name] == "GET"
    }
    assert opened - answered == set()
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(sorted(set(failures)))
    # The history pages were read with their events: the labels, not the codes, were checked.
    history = texts["scoring:history", "officer_a"]
    assert "Sửa: điểm tự chấm" in history
    assert ("Nộp hồ sơ" in history) == (state != "draft")
    if state == "published":
        assert "Công bố kết quả" in texts["scoring:audit", "appraiser"]
    else:
        assert "Mở khóa hồ sơ" in texts["scoring:history", "officer_a"]


@pytest.fixture
def demo(db):
    call_command("load_demo")


def test_the_demo_speaks_vietnamese_only_to_each_of_its_accounts(demo, quick_pdfs):  # noqa: F811
    """load_demo's accounts (commune and ward officers, appraisers, leaders of the district and
    the province, the administrator) on every page of every demo period, for xã Đồng Tâm and
    phường Hải Dương (the two communes with officer accounts)."""
    users = get_user_model().objects.filter(
        Q(memberships__isnull=False) | Q(is_superuser=True), is_active=True
    ).distinct()
    clients = {}
    for user in users:
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    assert {"xa.dongtam", "thamdinh", "lanhdao", "quantri"} <= set(clients)
    failures, read = [], 0
    assessments = Assessment.objects.filter(
        commune__memberships__role="commune_officer"
    ).select_related("period", "commune").distinct()
    for assessment in assessments:
        values = {
            "period": assessment.period.code,
            "commune": assessment.commune.code,
            "score": Score.objects.filter(assessment=assessment).values_list("pk", flat=True)[0],
        }
        evidence = Evidence.objects.filter(assessment=assessment).first()
        adjustment = Adjustment.objects.filter(assessment=assessment).first()
        if evidence:
            values["pk"] = evidence.pk
        if adjustment:
            values["adjustment"] = adjustment.pk
        urls = {
            name: reverse(name, kwargs={arg: values[arg] for arg in arguments_of(route)})
            for name, route in url_patterns()
            if all(arg in values for arg in arguments_of(route))
        }
        for username, name, status, problems, _text in crawl_pages(clients, urls):
            read += status == 200
            where = f"{name} as {username} ({assessment.period.code}, {assessment.commune.code})"
            failures += [f"{where}: {problem}" for problem in problems]
    assert read > 100
    # The admin, as the demo's administrator: its index, every model's list, a change form per
    # model with a row, the import, export and clone pages (tests/admin_pages.py), in Django's
    # Vietnamese and ours.
    admin_read = set()
    for path, name, response in admin_pages(clients["quantri"]):
        assert response.status_code == 200, (path, response.status_code)
        admin_read.add(name)
        text = visible_text(ADMIN_UNTRANSLATABLE.sub("", response.content.decode()))
        failures += [f"{path} as quantri: {problem}" for problem in problems_in(text)]
    lists = {f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist" for m in site._registry}
    assert lists <= admin_read, lists - admin_read
    assert {"admin:index", "admin:communes_unit_import", "admin:scoring_period_change"} <= (
        admin_read
    )
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(sorted(set(failures)))
