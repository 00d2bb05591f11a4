"""Two app servers are interchangeable (design.md §10): two real gunicorn processes on two
loopback ports share one PostgreSQL database and one storage folder. An officer logs in and
uploads evidence on the first and downloads it from the second with the same session cookie;
the appraiser logs in on the first and publishes on the second; the first then shows the
publication and serves the ranking PDF that the second stored, and the other way round.

PostgreSQL only: SQLite's test database lives in memory (or a file one process locks), so the
two processes could not share it the way a real deployment shares PostgreSQL.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from evidence.models import Evidence
from scoring.models import Assessment, Publication, Score
from tests.evidence.builders import pdf_bytes
from tests.scoring.publish_data import appraise

pytestmark = pytest.mark.django_db(transaction=True)

HOST = "127.0.0.1"
PASSWORD = "matkhau-2024"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two processes share a database only on PostgreSQL (SQLite's is in memory)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database pytest-django made, as a URL the server processes can open."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


@pytest.fixture
def servers(media_root):
    """Two gunicorn processes (one worker, two threads each), same database, storage and
    SECRET_KEY, as two machines behind a load balancer would be."""
    Path(media_root).mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media_root),
        "STORAGE_BACKEND": "filesystem",
        "SECRET_KEY": "two-servers-" + uuid.uuid4().hex,
        # DEBUG on only to serve static files without a collectstatic run (seconds saved).
        "DEBUG": "1",
        "ALLOWED_HOSTS": HOST,
        "CELERY_BROKER_URL": "",
        "LOG_LEVEL": "ERROR",
    }
    root = Path(settings.BASE_DIR)
    processes, urls = [], []
    try:
        for _ in range(2):
            port = free_port()
            command = [
                sys.executable, "-m", "gunicorn", "cchc.wsgi",
                "--bind", f"{HOST}:{port}", "--workers", "1", "--threads", "2",
                "--timeout", "60", "--log-level", "warning",
            ]
            processes.append(
                subprocess.Popen(command, cwd=root, env=env, start_new_session=True)
            )
            urls.append(f"http://{HOST}:{port}")
        for url, process in zip(urls, processes):
            wait_for(url, process)
        yield urls
    finally:
        for process in processes:
            os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_for(url: str, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn exited while starting"
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer /healthz within 30 s")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One user's cookies, sent by hand to whichever server is asked (a load balancer's
    client does not know which machine answers)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}
        self.opener = urllib.request.build_opener(NoRedirect)

    def request(self, url, data=None, headers=None):
        request = urllib.request.Request(url, data=data, headers=dict(headers or {}))
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        try:
            answer = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            answer = error  # 3xx (not followed) and 4xx/5xx are answers too
        with answer:
            body = answer.read()
            for header in answer.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return answer.status, answer.headers, body

    def get(self, url):
        return self.request(url)

    def csrf(self, url) -> str:
        status, _, body = self.get(url)
        assert status == 200, (url, status)
        return CSRF.search(body.decode()).group(1)

    def post(self, url, fields, *, referer, files=()):
        token = self.csrf(referer)
        fields = {"csrfmiddlewaretoken": token, **fields}
        headers = {"Referer": referer}
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in fields.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            for name, filename, content, content_type in files:
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: {content_type}\r\n\r\n'.encode()
                    + content
                    + b"\r\n"
                )
            data = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            data = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self.request(url, data, headers)

    def log_in(self, server, username):
        status, headers, _ = self.post(
            f"{server}/accounts/login/",
            {"username": username, "password": PASSWORD},
            referer=f"{server}/accounts/login/",
        )
        assert status == 302, f"login of {username} on {server}: {status}"
        assert settings.SESSION_COOKIE_NAME in self.cookies


def test_two_app_servers_serve_the_same_users(servers, period, officer, appraiser, media_root):
    first, second = servers
    # The servers use Django's default password hashers, not the tests' fast MD5 one.
    for user in (officer, appraiser):
        hasher = PBKDF2PasswordHasher()
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])
    assessment = Assessment.objects.get(period=period, commune__code="A")
    score = Score.objects.get(assessment=assessment, criterion__code="1.1")
    started = time.monotonic()

    # The officer logs in and uploads on the first server ...
    officer_browser = Browser()
    officer_browser.log_in(first, "canbo_a")
    session = officer_browser.cookies[settings.SESSION_COOKIE_NAME]
    content = pdf_bytes("Ke hoach CCHC 2024 hai may chu")
    criterion_page = f"{first}{assessment.get_absolute_url()}"
    status, _, body = officer_browser.post(
        f"{first}/evidence/scores/{score.pk}/add/",
        {},
        referer=criterion_page,
        files=[("files", "Kế hoạch.pdf", content, "application/pdf")],
    )
    assert status in (200, 302), body.decode()[:500]
    evidence = Evidence.objects.get(assessment=assessment)
    assert (Path(media_root) / evidence.file.name).read_bytes() == content

    # ... and downloads it from the second with the same session cookie.
    assert officer_browser.cookies[settings.SESSION_COOKIE_NAME] == session
    status, headers, body = officer_browser.get(f"{second}/evidence/{evidence.pk}/")
    assert status == 200 and body == content
    assert headers["Content-Security-Policy"] == "sandbox"
    assert "filename*=utf-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf" in headers["Content-Disposition"]
    # Not logged in on either server: no file.
    assert Browser().get(f"{second}/evidence/{evidence.pk}/")[0] == 302

    # The appraiser logs in on the first server and publishes on the second.
    appraise(
        period,
        {"A": {"1.1": "2", "1.2": "3,5", "2.1": "3,25"}, "B": {"1.1": "1", "1.2": "3", "2.1": "4"}},
    )
    appraiser_browser = Browser()
    appraiser_browser.log_in(first, "thamdinh")
    publish_page = f"{second}/periods/{period.code}/publish/"
    status, headers, body = appraiser_browser.post(
        publish_page,
        {
            "action": "publish",
            "decision": "766/QĐ-UBND",
            "decision_date": "16/03/2023",
            "confirm_decision": "766/QĐ-UBND",
        },
        referer=publish_page,
    )
    assert status == 302, body.decode()[:1000]
    assert headers["Location"].endswith(f"/periods/{period.code}/results/")
    assert Publication.objects.get(period=period).decision == "766/QĐ-UBND"

    # The first server shows the publication the second made ...
    status, _, body = appraiser_browser.get(f"{first}/periods/{period.code}/results/")
    page = body.decode()
    assert status == 200
    assert "766/QĐ-UBND" in page and "Xã Đồng Tâm" in page and "Thị trấn Ninh Giang" in page
    # ... with the success message the second one left for the next page.
    assert "Đã công bố kết quả lần 1" in page
    status, _, body = appraiser_browser.get(f"{second}/periods/{period.code}/results/")
    assert status == 200 and "Đã công bố kết quả lần 1" not in body.decode()

    # The ranking PDF rendered and stored by the first is served by the second from storage.
    status, _, from_first = appraiser_browser.get(f"{first}/periods/{period.code}/results.pdf")
    assert status == 200 and from_first.startswith(b"%PDF")
    stored = Publication.objects.get(period=period).ranking_pdf
    assert (Path(media_root) / stored.name).read_bytes() == from_first
    status, _, from_second = appraiser_browser.get(f"{second}/periods/{period.code}/results.pdf")
    assert status == 200 and from_second == from_first
    # And the appraiser, now that the commune is appraised, reads its evidence on the first.
    status, _, body = appraiser_browser.get(f"{first}/evidence/{evidence.pk}/")
    assert status == 200 and body == content

    elapsed = time.monotonic() - started
    print(f"two servers: whole journey {elapsed:.1f} s")
    assert elapsed < 60
