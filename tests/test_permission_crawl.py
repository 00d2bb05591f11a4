"""Every URL of the URLconf × every role × a draft, a submitted, a replied (provisional results
announced, one disagreement sent: issue 12) and a published assessment of commune A, against ONE table of expected answers (issue 10: no leak of a draft, and what held
must keep holding).

The crawl walks django.urls.get_resolver() (the admin apart: superuser-only, checked on its own
below) and fills each URL's arguments from the objects built here. A URL without a row in
TABLE fails the test, so a new view cannot ship without saying who gets what. Views that only
take POST are crawled with an empty POST inside a savepoint rolled back afterwards (a refused
one must also have changed nothing: every row the app writes is compared); every cell refused
with 403/404 is also POSTed to, and must change nothing either. Finally, every URL refuses a
POST without its CSRF token, and in the draft state no answer to anyone outside the commune
carries the officer's unfinished explanation.

One test per state builds its objects once and collects every mismatch into one message.
WeasyPrint's layout is skipped (a PDF answer carries the printed HTML's text instead): the
crawl is about who gets an answer and what it says; the PDFs themselves are read back in
tests/reports/test_pdf.py and tests/scoring/test_draft_privacy.py.
"""

import re
import xml.etree.ElementTree as ElementTree
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from communes.models import Membership, Role, Unit
from evidence.models import Evidence
from notifications.models import Kind, Notification, Preference
from notifications.services import Message, notify
from scoring.models import (
    Adjustment,
    Assessment,
    AuditEvent,
    Period,
    Publication,
    Reply,
    ReplyRound,
    Result,
    Score,
)
from scoring.services.adjustments import add_adjustment
from scoring.services.publishing import publish_period
from scoring.services.replies import (
    announce_provisional,
    answer_reply,
    save_reply,
    send_reply,
    set_reply_due,
)
from scoring.services.self_assessment import save_self_score, submit_assessment

from .factories import make_period, make_unit, make_units, make_user
from .scoring.appraisal_data import assessment_of, attach

pytestmark = pytest.mark.django_db

STATES = ("draft", "submitted", "replied", "published")
COMMUNE_A = ("officer_a", "chair_a", "superuser")  # may read A's draft
REFUSED = ("403", "404")
LOGIN = "/accounts/login/"
# Answers that do carry the explanations: the leak check above them is not blind.
SHOWN = {
    ("scoring:history", "officer_a"): STATES,
    ("scoring:audit", "appraiser"): ("submitted", "replied", "published"),
    ("scoring:assessment", "leader"): ("submitted", "replied", "published"),
}
DRAFT_NOTE = "Giải trình còn dang dở của xã"

# Columns of TABLE, in order.
ROLES = (
    "anon",  # not signed in
    "officer_a",  # commune officer of A (the commune whose assessment is crawled)
    "officer_b",  # commune officer of B, same district
    "chair_a",  # leader of commune A itself (its chairman)
    "appraiser",  # appraiser of district D1, the appraising unit
    "leader",  # leader of D1
    "prov_leader",  # leader of province P, above D1
    "far_appraiser",  # appraiser of district D2 (same province)
    "far_leader",  # leader of another province
    "superuser",
)

# What each role gets, per state: one code for every state, "draft/submitted/replied/published", or
# a word from STAGED. GET rows are fetched; POST rows (views refusing GET with 405) get an
# empty POST, rolled back. 302 for anon is the login page.
STAGED = {
    "hidden": "ns/200/200/200",  # "ns": the "chưa nộp" page (200, nothing of the draft) until handed in
    "h403": "403/200/200/200",  # 403 until handed in (files)
    "h302": "403/302/302/302",  # 403 until handed in, then sent back to the assessment
    "pub": "404/404/404/200",  # nothing before publication
    # The team's answer to a disagreement: only once the commune replied (none before: 404).
    "rA": "404/404/302/403",  # the appraisers of D1
    "r403": "404/404/403/403",  # anyone else who sees A
}
# fmt: off
TABLE = {
    #                            anon offA offB  chairA appr   lead   prov   farA farL super
    "login":                "GET  200  200  200  200    200    200    200    200  200  200",
    "logout":               "POST 302  302  302  302    302    302    302    302  302  302",
    "password_change":      "GET  302  200  200  200    200    200    200    200  200  200",
    "password_change_done": "GET  302  200  200  200    200    200    200    200  200  200",
    "healthz":              "GET  200  200  200  200    200    200    200    200  200  200",
    "favicon":              "GET  200  200  200  200    200    200    200    200  200  200",
    "scoring:home":         "GET  302  200  200  200    200    200    200    200  200  200",
    # The period table and its tools: the appraising unit (appraisers act, leaders read).
    "scoring:period":       "GET  302  403  403  403    200    200    200    404  404  200",
    "scoring:period_csv":   "GET  302  403  403  403    200    200    200    404  404  200",
    "scoring:period_bulk":  "POST 302  403  403  403    302    403    403    404  404  302",
    "scoring:survey":       "GET  302  403  403  403    200    403    403    404  404  200",
    "scoring:survey_template_csv":  "GET 302 403 403 403 200 403 403 404 404 200",
    "scoring:survey_template_xlsx": "GET 302 403 403 403 200 403 403 404 404 200",
    # Publishing: the appraising unit's appraisers and leaders (who sign the decision).
    "reports:publish":      "GET  302  403  403  403    200    200    200    404  404  200",
    # The reply round: the deadline and the announcement by D1's appraisers; the reply by
    # A's officers (refused, sent back with a message, when not in the round); the answer.
    "scoring:reply_due":    "POST 302  403  403  403    302    403    403    404  404  302",
    "scoring:announce":     "POST 302  403  403  403    302    403    403    404  404  302",
    "scoring:save_reply":   "POST 302  302  404  403    403    403    403    404  404  302",
    "scoring:send_reply":   "POST 302  302  404  403    403    403    403    404  404  302",
    "scoring:answer_reply": "POST 302  r403 404  r403   rA     r403   r403   404  404  rA",
    # Commune A's assessment: the commune always, the appraising unit once handed in.
    "scoring:assessment":   "GET  302  200  404  200    hidden hidden hidden 404  404  200",
    "scoring:history":      "GET  302  200  404  200    hidden hidden hidden 404  404  200",
    "scoring:audit":        "GET  302  403  404  403    hidden hidden hidden 404  404  200",
    "scoring:minutes":      "GET  302  403  404  403    h403   h403   h403   404  404  200",
    "scoring:submit":       "GET  302  200  404  302    h302   h302   h302   404  404  200",
    "scoring:save_score":   "POST 302  302  404  403    403    403    403    404  404  302",
    "scoring:withdraw":     "POST 302  302  404  403    403    403    403    404  404  302",
    # Appraisal actions: the appraisers of D1 only; an appraised score once handed in.
    "scoring:appraise_score": "POST 302 403 404  403    h302   403    403    404  404  302",
    "scoring:claim":        "POST 302  403  404  403    302    403    403    404  404  302",
    # Before the self-assessment deadline a no-show cannot be opened: refused, back to the page.
    "scoring:open_not_submitted": "POST 302 403 404 403 302    403    403    404  404  302",
    "scoring:accept_self":  "POST 302  403  404  403    302    403    403    404  404  302",
    "scoring:return_criteria": "POST 302 403 404 403    302    403    403    404  404  302",
    "scoring:mark_appraised": "POST 302 403 404  403    302    403    403    404  404  302",
    "scoring:reopen":       "POST 302  403  404  403    302    403    403    404  404  302",
    "scoring:lock":         "POST 302  403  404  403    302    403    403    404  404  302",
    "scoring:add_adjustment": "POST 302 403 404  403    302    403    403    404  404  302",
    "scoring:delete_adjustment": "POST 302 403 404 403  302    403    403    404  404  302",
    # Commune A's evidence: its officers change it; downloads follow the assessment page.
    "evidence:download":    "GET  302  200  404  200    h403   h403   h403   404  404  200",
    "evidence:add":         "POST 302  302  404  403    403    403    403    404  404  302",
    "evidence:reference":   "GET  302  200  404  403    403    403    403    404  404  200",
    "evidence:link":        "GET  302  200  404  403    403    403    403    404  404  200",
    "evidence:remove":      "POST 302  302  404  403    403    403    403    404  404  302",
    # Published results: the ranking for the tree of the appraising unit; a commune's report
    # for its own people and the appraising unit; lost points for the appraising unit.
    "reports:results":      "GET  302  pub  pub  pub    pub    pub    pub    404  404  pub",
    "reports:results_pdf":  "GET  302  pub  pub  pub    pub    pub    pub    404  404  pub",
    "reports:results_xlsx": "GET  302  pub  pub  pub    pub    pub    pub    404  404  pub",
    "reports:results_csv":  "GET  302  pub  pub  pub    pub    pub    pub    404  404  pub",
    "reports:commune_report": "GET 302 pub  404  pub    pub    pub    pub    404  404  pub",
    "reports:lost_points":  "GET  302  403  403  403    200    200    200    404  404  200",
    # Notifications: everyone their own list and settings; one notification of officer A's is
    # a 404 to every other user, the superuser included.
    "notifications:list":   "GET  302  200  200  200    200    200    200    200  200  200",
    "notifications:settings": "GET 302 200  200  200    200    200    200    200  200  200",
    "notifications:read":   "POST 302  302  404  404    404    404    404    404  404  404",
    "notifications:read_all": "POST 302 302 302  302    302    302    302    302  302  302",
}
# fmt: on


def _expectations() -> tuple[dict[str, str], dict[tuple[str, str, str], str]]:
    """TABLE read into {url name: method} and {(url name, role, state): code}."""
    methods, expected = {}, {}
    for name, row in TABLE.items():
        method, *cells = row.split()
        assert method in ("GET", "POST") and len(cells) == len(ROLES), name
        methods[name] = method
        for role, cell in zip(ROLES, cells):
            codes = STAGED.get(cell, cell).split("/")
            codes = codes * len(STATES) if len(codes) == 1 else codes
            assert len(codes) == len(STATES), (name, role)
            for state, code in zip(STATES, codes):
                expected[name, role, state] = code
    return methods, expected


METHODS, EXPECTED = _expectations()


# --- the URLconf ----------------------------------------------------------------------------


def url_patterns(resolver=None, prefix="", namespace=""):
    """(name, route) of every URL pattern, namespaces included, the admin and static left out."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(("admin/", "static/", "media/")):
            continue
        if isinstance(entry, URLResolver):
            inner = ":".join(filter(None, [namespace, entry.namespace or ""]))
            yield from url_patterns(entry, route, inner)
        elif isinstance(entry, URLPattern):
            yield ":".join(filter(None, [namespace, entry.name or route])), route


def arguments_of(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


# --- the objects ----------------------------------------------------------------------------


def build(state: str):
    """Units, the cast, a period of district D1 with commune A's assessment in `state`.

    A's officer fills every criterion through the service (so the history has the
    explanations), attaches evidence; the appraiser adds a bonus point. Submitted: handed in
    through the service. Replied: appraised, provisional results announced, one disagreement
    sent. Published: the same round answered, then published through publish_period.
    """
    units = make_units()
    other_province = make_unit("Q", "Tỉnh Hưng Yên", "tinh")
    period = make_period(units["district"])
    users = {
        "officer_a": make_user("canbo_a", unit=units["commune"], role=Role.COMMUNE_OFFICER),
        "officer_b": make_user("canbo_b", unit=units["other_commune"], role=Role.COMMUNE_OFFICER),
        "chair_a": make_user("chutich_a", unit=units["commune"], role=Role.LEADER),
        "appraiser": make_user("thamdinh", unit=units["district"], role=Role.APPRAISER),
        "leader": make_user("lanhdao", unit=units["district"], role=Role.LEADER),
        "prov_leader": make_user("lanhdao_tinh", unit=units["province"], role=Role.LEADER),
        "far_appraiser": make_user(
            "thamdinh_d2", unit=units["other_district"], role=Role.APPRAISER
        ),
        "far_leader": make_user("lanhdao_q", unit=other_province, role=Role.LEADER),
        "superuser": get_user_model().objects.create_superuser("quantri", "qt@example.vn", "x"),
    }
    officer = users["officer_a"]
    assessment = assessment_of(period, units["commune"])
    scores = list(assessment.scores.select_related("criterion").order_by("criterion__position"))
    evidence = None
    for score in scores:
        score.assessment = assessment
        save_self_score(
            score, version=score.version, self_score=score.criterion.max_points,
            self_note=f"{DRAFT_NOTE} {score.criterion.code}", by=officer,
        )
        evidence = attach(assessment, score.criterion.code, by=officer)
    adjustment = add_adjustment(assessment, "1", "Sáng kiến cải cách", by=users["appraiser"])
    if state != "draft":
        submit_assessment(assessment, by=officer)
    reply = None
    if state in ("replied", "published"):
        Score.objects.filter(assessment__period=period).update(appraised_score=Decimal("1"))
        Assessment.objects.filter(period=period).update(status=Assessment.Status.APPRAISED)
        set_reply_due(period, period.self_assessment_due, by=users["appraiser"])
        announce_provisional(period, by=users["appraiser"], communes=["A"])
        first = Score.objects.select_related("criterion", "assessment__period").get(
            pk=scores[0].pk
        )
        reply = save_reply(first, disagrees=True, explanation="Đủ tài liệu", by=officer)
        send_reply(assessment_of(period, units["commune"]), by=officer)
    if state == "published":
        answer_reply(reply, accept=False, note="Giữ nguyên", version=1, by=users["appraiser"])
        publish_period(period, by=users["appraiser"], decision="12/QĐ-UBND")
    assert assessment_of(period, units["commune"]).status == {
        "draft": Assessment.Status.DRAFT,
        "submitted": Assessment.Status.SUBMITTED,
        "replied": Assessment.Status.REPLIED,
        "published": Assessment.Status.PUBLISHED,
    }[state]
    notice = notify(
        [Message(officer.pk, Kind.RETURNED, "Hồ sơ được trả lại", assessment.get_absolute_url())],
        email=False,
    )[0]
    values = {
        "notification": notice,
        "period": period.code,
        "commune": units["commune"].code,
        "score": scores[0].pk,
        "pk": evidence.pk,
        "adjustment": adjustment.pk,
        "reply": reply.pk if reply is not None else 0,
    }
    return users, values


def fingerprint() -> tuple:
    """Every row a request could change, to prove a refused POST changed nothing."""
    return (
        list(Assessment.objects.order_by("pk").values()),
        list(Score.objects.order_by("pk").values()),
        list(Evidence.objects.order_by("pk").values()),
        list(Evidence.scores.through.objects.order_by("pk").values()),
        list(Adjustment.objects.order_by("pk").values()),
        list(ReplyRound.objects.order_by("pk").values()),
        list(Reply.objects.order_by("pk").values()),
        list(Period.objects.order_by("pk").values()),
        Publication.objects.count(),
        Result.objects.count(),
        AuditEvent.objects.count(),
        list(get_user_model().objects.order_by("pk").values("pk", "password", "is_active")),
        list(Membership.objects.order_by("pk").values()),
        Unit.objects.count(),
        list(Notification.objects.order_by("pk").values()),
        list(Preference.objects.order_by("pk").values()),
    )


# --- the crawl ------------------------------------------------------------------------------


def client_for(users, role) -> Client:
    client = Client()
    if role != "anon":
        client.force_login(users[role])
    return client


def outcome(response) -> str:
    """The response as a TABLE code ("ns" for the "chưa nộp" page)."""
    if response.status_code == 200 and "scoring/not_submitted.html" in [
        t.name for t in response.templates
    ]:
        return "ns"
    return str(response.status_code)


def leaks_draft(response) -> bool:
    """Does the answer (page, fragment, CSV, or a PDF's printed text) carry the draft?"""
    if response.get("Content-Type", "").startswith("application/vnd"):
        return False  # the ranking XLSX: published results only
    body = b"".join(response) if response.streaming else response.content
    return DRAFT_NOTE in body.decode(errors="replace")


@pytest.fixture
def quick_pdfs(monkeypatch):
    """PDF answers without WeasyPrint's layout (seconds per render): the document's text,
    serialized from the parsed HTML, stands in for the PDF's bytes."""
    from weasyprint import HTML

    def write_pdf(self, *args, **kwargs):
        return b"%PDF-1.4\n" + ElementTree.tostring(self.etree_element, encoding="utf-8")

    monkeypatch.setattr(HTML, "write_pdf", write_pdf)


def crawl(state: str) -> list[str]:
    """Request every URL as every role; return every difference from TABLE, in words."""
    users, values = build(state)
    failures, urls = urls_to_crawl(values)
    before = fingerprint()
    for role in ROLES:
        client = client_for(users, role)
        for name, url in urls.items():
            want = EXPECTED[name, role, state]
            where = f"{name} as {role} ({state})"
            if METHODS[name] == "POST":
                response, problems = post_only(client, url, want, before)
                if name == "logout" and role != "anon":
                    client.force_login(users[role])  # signed out by it
            else:
                response, problems = page(client, url, want, before)
            got = outcome(response)
            if got != want:
                problems.append(f"{got}, expected {want}")
            if role == "anon" and got == "302" and not response["Location"].startswith(LOGIN):
                problems.append(f"redirected to {response['Location']}, not to the login")
            if state == "draft" and role not in COMMUNE_A and leaks_draft(response):
                problems.append("shows the draft's explanations")
            if (name, role) in SHOWN and state in SHOWN[name, role] and not leaks_draft(response):
                problems.append("lacks the explanations (the leak check would see nothing)")
            failures += [f"{where}: {problem}" for problem in problems]
    return failures


def urls_to_crawl(values) -> tuple[list[str], dict[str, str]]:
    """Every URL of the URLconf with its arguments filled in, and what does not match TABLE."""
    routes = dict(url_patterns())
    failures = [f"{name}: no row in TABLE (say who gets what)" for name in routes.keys() - TABLE]
    failures += [f"{name}: in TABLE but not in the URLconf" for name in TABLE.keys() - routes]
    urls = {}
    for name, route in routes.items():
        missing = [arg for arg in arguments_of(route) if arg not in values]
        if missing:
            failures.append(f"{name}: no fixture value for {missing}")
        elif name in TABLE:
            urls[name] = reverse(name, kwargs={arg: values[arg] for arg in arguments_of(route)})
    return failures, urls


def post_only(client, url, want, before):
    """A view that takes only POST: the empty POST is the crawl's answer; refused, it changed
    nothing; a GET is 405 for everyone."""
    response, changed = post_and_roll_back(client, url, check=want in REFUSED, before=before)
    problems = [f"POST answered {response.status_code} but changed rows"] if changed else []
    if (code := client.get(url).status_code) != 405:
        problems.append(f"GET answered {code}, not 405")
    return response, problems


def page(client, url, want, before):
    """A GET; where it is refused, the same URL refuses a POST too and it changes nothing."""
    response = client.get(url)
    problems = []
    if want in REFUSED:
        posted, changed = post_and_roll_back(client, url, check=True, before=before)
        if posted.status_code not in (403, 404, 405) or changed:
            problems.append(f"POST answered {posted.status_code}, changed rows: {changed}")
    return response, problems


def post_and_roll_back(client, url, *, check: bool, before):
    """An empty POST whose writes are undone afterwards; (response, whether it changed rows
    when `check`: a 405 is refused before any view code runs, so it is not compared)."""
    with transaction.atomic():
        response = client.post(url, {})
        changed = check and response.status_code != 405 and fingerprint() != before
        transaction.set_rollback(True)
    return response, changed


@pytest.mark.parametrize("state", STATES)
def test_every_url_answers_every_role_as_the_table_says(state, quick_pdfs):
    failures = crawl(state)
    assert not failures, f"{len(failures)} differences:\n" + "\n".join(failures)


def test_every_post_needs_its_csrf_token():
    """Each URL refuses a POST without the token (403) before its view runs, even for a
    superuser allowed everything; nothing changes."""
    users, values = build("submitted")
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["superuser"])
    before = fingerprint()
    refused = {}
    for name, route in url_patterns():
        url = reverse(name, kwargs={arg: values[arg] for arg in arguments_of(route)})
        refused[name] = client.post(url, {}).status_code
    assert {name: code for name, code in refused.items() if code != 403} == {}
    assert fingerprint() == before


def test_the_admin_redirects_everyone_but_staff_to_its_login():
    users, _ = build("draft")
    for role in ROLES:
        client = client_for(users, role)
        response = client.get("/admin/")
        if role == "superuser":
            assert response.status_code == 200
        else:
            assert response.status_code == 302, role
            assert response["Location"].startswith("/admin/login/"), role
