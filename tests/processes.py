"""Real server and worker processes on the test database (PostgreSQL only: SQLite's test
database lives in memory, or in a file one process locks, so other processes could not share
it the way a real deployment shares PostgreSQL).

- `app_servers(env, count)`: gunicorn processes on loopback ports (tests/test_two_servers.py);
- `Browser`: one user's cookies, sent to whichever server is asked;
- `celery_worker(env, queue, ...)`: `celery -A cchc worker` consuming one queue, in its own
  process group so that a test can SIGKILL it whole (tests/jobs/test_worker_lost.py).
"""

from __future__ import annotations

import contextlib
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

from django.conf import settings
from django.db import connection

HOST = "127.0.0.1"
PASSWORD = "matkhau-2024"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database pytest-django made, as a URL another process can open."""
    db = connection.settings_dict
    user = urllib.parse.quote(db["USER"] or "")
    password = f":{urllib.parse.quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


def process_env(media_root, **extra: str) -> dict[str, str]:
    """What a server or worker of the test's installation is started with: the test database
    and storage folder, anything in `extra` on top."""
    Path(media_root).mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "DATABASE_URL": database_url(),
        "MEDIA_ROOT": str(media_root),
        "STORAGE_BACKEND": "filesystem",
        "LOG_LEVEL": "ERROR",
        **extra,
    }


def stop(process: subprocess.Popen, *, kill: bool = False, timeout: float = 30) -> None:
    """SIGTERM (or SIGKILL) to the process's whole group; SIGKILL if it outlives `timeout`."""
    if process.poll() is None or kill:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_health(url: str, process: subprocess.Popen) -> None:
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


@contextlib.contextmanager
def app_servers(env: dict[str, str], count: int = 2):
    """`count` gunicorn processes (one worker, two threads each) sharing `env`, as machines
    behind a load balancer would; yields their base URLs."""
    processes, urls = [], []
    try:
        for _ in range(count):
            port = free_port()
            command = [
                sys.executable, "-m", "gunicorn", "cchc.wsgi",
                "--bind", f"{HOST}:{port}", "--workers", "1", "--threads", "2",
                "--timeout", "60", "--log-level", "warning",
            ]
            processes.append(
                subprocess.Popen(
                    command, cwd=settings.BASE_DIR, env=env, start_new_session=True
                )
            )
            urls.append(f"http://{HOST}:{port}")
        for url, process in zip(urls, processes):
            wait_for_health(url, process)
        yield urls
    finally:
        for process in processes:
            stop(process, timeout=20)


class Worker:
    """A running `celery -A cchc worker`; its log is kept in a file."""

    def __init__(self, env: dict[str, str], queue: str, log: Path, concurrency: int):
        self.log = log
        command = [
            sys.executable, "-m", "celery", "-A", "cchc", "worker", "-Q", queue,
            "--concurrency", str(concurrency), "-l", "INFO", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "-n", f"{log.stem}@%h",
        ]
        with open(log, "ab") as output:
            self.process = subprocess.Popen(
                command, cwd=settings.BASE_DIR, env=env, stdout=output, stderr=output,
                start_new_session=True,
            )

    def wait_ready(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"celery worker exited:\n{self.log.read_text()[-3000:]}")
            if " ready." in self.log.read_text():
                return
            time.sleep(0.2)
        raise AssertionError(f"celery worker not ready after {seconds} s:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once: a machine that dies."""
        stop(self.process, kill=True)

    def stop(self) -> None:
        stop(self.process)


@contextlib.contextmanager
def celery_worker(env: dict[str, str], queue: str, log: Path, *, concurrency: int = 1):
    """A `celery -A cchc worker` on `queue` (prefork pool of `concurrency` processes), ready
    to take tasks; stopped (or killed, if the test did not) on the way out."""
    worker = Worker(env, queue, log, concurrency)
    try:
        worker.wait_ready()
        yield worker
    finally:
        worker.stop()


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
