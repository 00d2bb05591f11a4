"""Login throttling (django-axes) and the site-wide Content-Security-Policy (django-csp).

Issue "Trust", finding 4: 50 wrong passwords for one account in 15 s were all answered, and the
right password then logged in. Now a username is locked from one address after
AXES_FAILURE_LIMIT (5) failures for AXES_COOLOFF_MINUTES (15), with a Vietnamese page; an admin
unlocks it. Every page carries one policy that runs no inline script or style, and no template
has any.
"""

import datetime
import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.conf import settings
from django.core.management import call_command
from django.http import HttpResponse
from django.test import RequestFactory

from communes.login_lockout import client_ip
from csp.middleware import CSPMiddleware

from .factories import make_user

PASSWORD = "matkhau-2024"  # tests/factories.make_user's default
LOGIN = "/accounts/login/"
FORM = "application/x-www-form-urlencoded"

POLICY = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}


def post_form(client, url, data, **extra):
    """POST as a browser sends a form without files (urlencoded, not the test client's
    multipart, which evidence.middleware keeps for logged-in uploads)."""
    return client.post(url, urlencode(data, doseq=True), content_type=FORM, **extra)


def log_in(client, username, password, **extra):
    return post_form(client, LOGIN, {"username": username, "password": password}, **extra)


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def policy_of(response) -> dict[str, set[str]]:
    header = response["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    return {name: set(sources) for name, *sources in directives}


# --- login throttling ------------------------------------------------------------------------


@pytest.fixture
def victim(db):
    return make_user("canbo_khoa")


def lock_out(client, username, tries=50):
    """Send `tries` wrong passwords as fast as the client goes; return the statuses."""
    return [log_in(client, username, f"sai-{i}").status_code for i in range(tries)]


def test_fifty_wrong_passwords_lock_the_account_and_the_right_one_is_refused(client, victim):
    statuses = lock_out(client, "canbo_khoa")

    assert statuses[:4] == [200] * 4  # the login form again, "wrong password"
    assert set(statuses[4:]) == {429}  # the fifth failure locks
    response = log_in(client, "canbo_khoa", PASSWORD)
    assert response.status_code == 429
    assert not is_logged_in(client)
    page = response.content.decode()
    assert "Tạm khóa đăng nhập" in page
    assert "đã nhập sai mật khẩu\n    5 lần liên tiếp" in page
    assert "trong\n    15 phút" in page
    assert re.search(r"đăng nhập lại sau <strong>\d\d:\d\d ngày \d\d/\d\d/\d{4}</strong>", page)
    assert "liên hệ người quản trị hệ thống của cơ quan nội vụ" in page
    assert AccessFailureLog.objects.filter(username="canbo_khoa").count() == 51


def test_the_lock_holds_for_one_username_from_one_address_only(client, victim):
    make_user("canbo_khac")
    lock_out(client, "canbo_khoa", tries=5)

    assert log_in(client, "canbo_khoa", PASSWORD).status_code == 429
    other_address = log_in(client, "canbo_khoa", PASSWORD, REMOTE_ADDR="203.0.113.7")
    assert other_address.status_code == 302 and is_logged_in(client)
    client.logout()
    assert log_in(client, "canbo_khac", PASSWORD).status_code == 302  # same address, other name


def test_the_right_password_logs_in_again_once_the_cool_off_has_passed(client, victim):
    lock_out(client, "canbo_khoa", tries=5)
    attempt = AccessAttempt.objects.get(username="canbo_khoa")
    # 14 minutes later: still locked.
    attempt.attempt_time -= datetime.timedelta(minutes=14)
    attempt.save(update_fields=["attempt_time"])
    assert log_in(client, "canbo_khoa", PASSWORD).status_code == 429

    # That try started the 15 minutes again; once they have passed, the right password works.
    AccessAttempt.objects.filter(username="canbo_khoa").update(
        attempt_time=datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=16)
    )
    response = log_in(client, "canbo_khoa", PASSWORD)
    assert response.status_code == 302 and is_logged_in(client)


def test_a_few_typos_between_good_logins_never_add_up_to_a_lock(client, victim):
    for _ in range(3):
        lock_out(client, "canbo_khoa", tries=4)
        assert log_in(client, "canbo_khoa", PASSWORD).status_code == 302
        client.logout()


def test_an_admin_unlocks_from_the_admin_list(client, admin_client, victim):
    lock_out(client, "canbo_khoa", tries=5)
    attempt = AccessAttempt.objects.get(username="canbo_khoa")

    listing = admin_client.get("/admin/axes/accessattempt/?locked_out=yes")
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "canbo_khoa" in page and "Đang bị khóa" in page
    assert "Mở khóa ngay" in page
    answer = post_form(
        admin_client,
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": [attempt.pk], "post": "yes"},
    )
    assert answer.status_code == 302
    assert log_in(client, "canbo_khoa", PASSWORD).status_code == 302 and is_logged_in(client)


def test_the_axes_reset_command_unlocks(client, victim):
    lock_out(client, "canbo_khoa", tries=5)
    call_command("axes_reset_username", "canbo_khoa")
    assert log_in(client, "canbo_khoa", PASSWORD).status_code == 302


def test_the_admin_login_is_throttled_too(client, admin_user):
    url = "/admin/login/?next=/admin/"
    for i in range(5):
        post_form(client, url, {"username": "admin", "password": f"sai-{i}"})
    response = post_form(client, url, {"username": "admin", "password": "password"})
    assert response.status_code == 429
    assert "Tạm khóa đăng nhập" in response.content.decode()


@pytest.mark.parametrize(
    ("url", "heading"),
    [
        ("/admin/", "Khóa đăng nhập"),
        ("/admin/axes/accessattempt/", "lượt đăng nhập sai"),
        ("/admin/axes/accessfailurelog/", "nhật ký đăng nhập sai"),
        ("/admin/axes/accesslog/", "nhật ký đăng nhập"),
    ],
)
def test_the_lockout_admin_pages_work_in_vietnamese(client, admin_client, victim, url, heading):
    lock_out(client, "canbo_khoa", tries=6)
    log_in(client, "admin", "sai")
    page = admin_client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert heading in text.lower() or heading in text
    for english in ("Access attempts", "Access failures", "Access logs", "Attempt Time", "Status"):
        assert english not in text


def test_a_lockout_row_opens_in_the_admin(client, admin_client, victim):
    lock_out(client, "canbo_khoa", tries=5)
    attempt = AccessAttempt.objects.get(username="canbo_khoa")
    failure = AccessFailureLog.objects.filter(username="canbo_khoa").first()
    for url in (
        f"/admin/axes/accessattempt/{attempt.pk}/change/",
        f"/admin/axes/accessfailurelog/{failure.pk}/change/",
    ):
        page = admin_client.get(url)
        assert page.status_code == 200
        text = page.content.decode()
        assert "canbo_khoa" in text and "Địa chỉ IP" in text and "IP Address" not in text
    assert admin_client.get("/admin/axes/accessattempt/add/").status_code == 403


def test_behind_a_proxy_the_client_is_counted_not_the_proxy(settings):
    factory = RequestFactory()
    forwarded = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "10.9.9.9, 198.51.100.4"}

    settings.TRUSTED_PROXY_COUNT = 0  # no proxy: the header is anybody's to send
    assert client_ip(factory.get("/", **forwarded)) == "127.0.0.1"
    settings.TRUSTED_PROXY_COUNT = 1  # nginx appended the address it was reached from
    assert client_ip(factory.get("/", **forwarded)) == "198.51.100.4"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(factory.get("/", **forwarded)) == "10.9.9.9"
    garbled = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "unknown"}
    assert client_ip(factory.get("/", **garbled)) == "127.0.0.1"


# --- Content-Security-Policy -----------------------------------------------------------------


@pytest.mark.parametrize("who", [None, "officer", "admin"])
def test_every_page_carries_the_policy(client, officer, admin_user, who):
    if who == "officer":
        client.force_login(officer)
    elif who == "admin":
        client.force_login(admin_user)
    url = {None: LOGIN, "officer": "/", "admin": "/admin/scoring/criteriaset/"}[who]
    response = client.get(url)
    assert response.status_code == 200
    assert policy_of(response) == POLICY


def test_the_lockout_page_carries_the_policy(client, victim):
    lock_out(client, "canbo_khoa", tries=5)
    assert policy_of(log_in(client, "canbo_khoa", PASSWORD)) == POLICY


def test_a_view_that_sets_its_own_policy_keeps_it():
    """Evidence downloads send `Content-Security-Policy: sandbox`; the middleware leaves a
    header a view has set alone (no decorator needed)."""

    def download(request):
        response = HttpResponse(b"%PDF-1.4")
        response["Content-Security-Policy"] = "sandbox"
        return response

    response = CSPMiddleware(download)(RequestFactory().get("/evidence/1/"))
    assert response["Content-Security-Policy"] == "sandbox"


def template_files():
    base = Path(settings.BASE_DIR)
    folders = [base / "templates", *(base / app / "templates" for app in ("communes", "scoring", "evidence", "reports", "printing"))]
    return sorted(path for folder in folders if folder.is_dir() for path in folder.rglob("*.html"))


SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)
HANDLER = re.compile(r"<[a-z][^>]*?\son[a-z]+\s*=", re.S | re.I)
STYLE = re.compile(r"<style\b|\sstyle\s*=", re.I)


def is_printed_only(path: Path, text: str) -> bool:
    """Templates rendered to PDF by WeasyPrint never reach a browser, so no policy applies."""
    return path.name == "print.html" or '{% extends "print.html" %}' in text


def test_no_template_runs_inline_script_or_style():
    found = []
    files = template_files()
    assert len(files) > 30
    for path in files:
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(settings.BASE_DIR)
        for attrs, body in SCRIPT.findall(text):
            if body.strip() or "src=" not in attrs:
                found.append(f"{name}: inline <script>")
        if HANDLER.search(text) or "javascript:" in text:
            found.append(f"{name}: event handler attribute")
        if not is_printed_only(path, text) and STYLE.search(text):
            found.append(f"{name}: inline style")
    assert found == []
