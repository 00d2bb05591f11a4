"""Load: N commune officers saving scores at once against gunicorn, then every write checked.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/load.py
    … bench/load.py --clients 1 10 50 --seconds 30 --workers 5 --threads 1

A benchmark, not a test; loopback only, bounded in time (--seconds per run) and in count
(--max-requests per client). It builds a throwaway database (bench_load_<name> on PostgreSQL,
never the real one): one district with as many communes as the largest N, each with its own
officer, and a 90-criterion period open for self-assessment. It collects static files into a
temporary folder and starts gunicorn as in production (DEBUG=0, SECRET_KEY, ALLOWED_HOSTS=
127.0.0.1; plain HTTP, so secure cookies and the HTTPS redirect are turned off). Then, for each
N, N threads each log in through /accounts/login/ (CSRF token from the form) with their own
cookie jar and save scores of their own commune the way static/js/autosave.js does (POST to
…/scores/<id>/ with X-Autosave, X-CSRFToken and the version the last answer carried) over one
keep-alive connection each (http.client: the client shares the server's cores, so it stays light;
the server's whole work per save is still measured).

Afterwards every accepted save (200) is checked in the database: the last value each client
was told was saved must be the stored one with the stored version, and each accepted save
must have its own audit event. Printed per N: requests, throughput, p50/p95/p99, errors
(anything but 200, or no answer) and lost writes.

Goals (issue 10): 0 errors and 0 lost writes; ≥ 80 saves/s on the 2-core machine; p95 ≤ 400 ms
at N = 10.
"""

from __future__ import annotations

import argparse
import http.client
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

from _setup import ROOT, throwaway_database

PASSWORD = "matkhau-bench-2024"
HOST = "127.0.0.1"


def build(communes: int):
    """A district with `communes` xã, one officer each (one password hash shared: hashing it
    per user would cost a second each), and a 90-leaf period open for self-assessment."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from communes.models import Membership, Role, Unit
    from tests.evidence.builders import make_wide_period
    from tests.factories import make_unit

    province = make_unit("P", "Tỉnh Thử Tải", "tinh")
    district = make_unit("D1", "Huyện Thử Tải", "huyen", province)
    for n in range(communes):
        make_unit(f"X{n:03d}", f"Xã Thử {n}", "xa", district)
    period = make_wide_period(district, code="LOAD", fields=10, leaves=9)
    hashed = make_password(PASSWORD)
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"canbo_{n:03d}", password=hashed, is_active=True) for n in range(communes)
    )
    units = {u.code: u for u in Unit.objects.filter(parent=district)}
    Membership.objects.bulk_create(
        Membership(user=user, unit=units[f"X{n:03d}"], role=Role.COMMUNE_OFFICER)
        for n, user in enumerate(users)
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return period


def scores_of(period, commune_code: str) -> list[tuple[int, Decimal, int]]:
    """(score id, max points, version) of the commune's self-assessed criteria."""
    from scoring.models import Method, Score

    return list(
        Score.objects.filter(
            assessment__period=period,
            assessment__commune__code=commune_code,
            criterion__method=Method.SELF_ASSESSED,
        )
        .order_by("criterion__position")
        .values_list("pk", "criterion__max_points", "version")
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def start_gunicorn(database_url: str, port: int, args, static_root: str) -> subprocess.Popen:
    """gunicorn on the throwaway database, as the README's production line starts it."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench-load-" + os.urandom(16).hex(),
        "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": static_root,
        # Plain HTTP on loopback: no proxy in front to add TLS.
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )
    command = [
        python, "-m", "gunicorn", "cchc.wsgi",
        "--bind", f"{HOST}:{port}",
        "--workers", str(args.workers),
        "--threads", str(args.threads),
        "--timeout", "60",
        "--log-level", "warning",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.2)
    stop(server)
    raise SystemExit("gunicorn did not start within 30 s")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


class Officer:
    """One browser: its own cookie jar, logged in, saving its commune's criteria in turn."""

    VERSION = re.compile(r'name="version" value="(\d+)" id="ver-(\d+)"')

    def __init__(self, base: str, username: str, url_of, scores, tag: str):
        self.base, self.username, self.url_of, self.tag = base, username, url_of, tag
        self.scores = [(pk, maximum) for pk, maximum, _ in scores]
        self.versions = {pk: version for pk, _, version in scores}
        self.urls = {pk: url_of(pk) for pk, _, _ in scores}
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.accepted: dict[int, list[tuple[Decimal, int]]] = {}  # pk -> [(value, version)]

    def csrf(self) -> str:
        return next(c.value for c in self.jar if c.name == "csrftoken")

    def login(self) -> None:
        page = self.opener.open(f"{self.base}/accounts/login/", timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": token}
        ).encode()
        login = f"{self.base}/accounts/login/"
        request = urllib.request.Request(login, data, headers={"Referer": login})
        self.opener.open(request, timeout=30).read()
        if not any(c.name == "sessionid" for c in self.jar):
            raise SystemExit(f"{self.username}: login failed")
        self.token = self.csrf()
        self.cookies = "; ".join(f"{c.name}={c.value}" for c in self.jar)
        host, port = urllib.parse.urlsplit(self.base).netloc.split(":")
        self.connection = http.client.HTTPConnection(host, int(port), timeout=60)

    def save(self, number: int) -> None:
        pk, maximum = self.scores[number % len(self.scores)]
        # The explanation differs in every save (run tag, number): each one is a real write.
        # A value that differs from the last one saved on this criterion (3 decimals, ≤ max).
        value = (Decimal(number % 997 + 1) / 1000).min(maximum)
        data = urllib.parse.urlencode(
            {"version": self.versions[pk], "self_score": str(value).replace(".", ","),
             "self_note": f"Giải trình {self.tag}-{number}"}
        ).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Autosave": "1", "X-Requested-With": "XMLHttpRequest",
            "X-CSRFToken": self.token, "Referer": self.base + "/", "Cookie": self.cookies,
        }
        start = time.perf_counter()
        try:
            # One keep-alive connection per browser (reopened when the server closes it), as a
            # browser does: the client's own CPU, on the same 2 cores, stays small.
            self.connection.request("POST", self.urls[pk], data, headers)
            with self.connection.getresponse() as response:
                body = response.read().decode()
                status = response.status
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            self.latencies.append(time.perf_counter() - start)
            self.errors.append(f"{type(error).__name__}: {error}")
            return
        self.latencies.append(time.perf_counter() - start)
        if status != 200:
            self.errors.append(f"HTTP {status}")
            return
        match = self.VERSION.search(body)
        if match is None or int(match.group(2)) != pk:
            self.errors.append("200 without the new version")
            return
        self.versions[pk] = int(match.group(1))
        self.accepted.setdefault(pk, []).append((value, self.versions[pk]))

    def run(self, until: float, max_requests: int) -> None:
        number = 0
        while time.monotonic() < until and number < max_requests:
            self.save(number)
            number += 1


def note_events(assessment_ids) -> dict[tuple[int, int], int]:
    """Audit events of changed explanations per (assessment, criterion)."""
    from django.db.models import Count

    from scoring.models import AuditEvent

    return {
        (assessment, criterion): count
        for assessment, criterion, count in AuditEvent.objects.filter(
            assessment_id__in=assessment_ids, action="score_changed", field_name="self_note"
        )
        .values("assessment_id", "criterion_id")
        .annotate(count=Count("id"))
        .values_list("assessment_id", "criterion_id", "count")
    }


def lost_writes(officers, before: dict) -> int:
    """Accepted saves whose value is not stored, or that left no audit event of their own."""
    from scoring.models import Score

    lost = 0
    for officer in officers:
        if not officer.accepted:
            continue
        rows = Score.objects.filter(pk__in=officer.accepted).values_list(
            "pk", "self_score", "version", "assessment_id", "criterion_id"
        )
        after = note_events({row[3] for row in rows})
        for pk, value, version, assessment, criterion in rows:
            saves = officer.accepted[pk]
            if (value, version) != saves[-1]:
                lost += 1
            # Every save wrote a new explanation: one audit event each.
            key = (assessment, criterion)
            lost += max(0, len(saves) - (after.get(key, 0) - before.get(key, 0)))
    return lost


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    if int(stat.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except OSError:
                pass
    return found


def cpu_use(server: subprocess.Popen) -> dict[str, float]:
    """CPU seconds so far of the three sides of a run: gunicorn (master and workers), the
    PostgreSQL backends serving the bench database (but this process's own), and this
    process (the client threads). The machine may be busy with other work: CPU per save is
    what compares between runs, not saves per second."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        backends = [pid for (pid,) in cursor.fetchall()]
    times = os.times()
    return {
        "gunicorn": sum(cpu_seconds(pid) for pid in [server.pid, *children(server.pid)]),
        "PostgreSQL": sum(cpu_seconds(pid) for pid in backends),
        "client": times.user + times.system,
        "_backends": dict((pid, cpu_seconds(pid)) for pid in backends),
    }


def cpu_spent(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds between two cpu_use readings; backends that ended in between count up to
    their last reading, those that started count in full."""
    spent = {name: after[name] - before[name] for name in ("gunicorn", "client")}
    spent["PostgreSQL"] = sum(
        seconds - before["_backends"].get(pid, 0.0) for pid, seconds in after["_backends"].items()
    )
    return spent


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def run(n: int, base: str, period, args, server) -> None:
    from django.urls import reverse

    from scoring.models import Assessment

    codes = [f"X{i:03d}" for i in range(n)]
    officers = []
    for i, code in enumerate(codes):
        def url_of(pk, code=code):
            return reverse("scoring:save_score", args=[period.code, code, pk])

        officer = Officer(base, f"canbo_{i:03d}", url_of, scores_of(period, code), f"N{n}")
        officer.login()
        officers.append(officer)
    before = note_events(
        Assessment.objects.filter(period=period, commune__code__in=codes).values("pk")
    )
    gate = threading.Barrier(n + 1)
    until = [0.0]

    def client(officer):
        gate.wait()
        officer.run(until[0], args.max_requests)

    threads = [threading.Thread(target=client, args=(o,), daemon=True) for o in officers]
    for thread in threads:
        thread.start()
    cpu_before = cpu_use(server)
    until[0] = time.monotonic() + args.seconds
    started = time.perf_counter()
    gate.wait()
    for thread in threads:
        thread.join(timeout=args.seconds + 120)
    elapsed = time.perf_counter() - started
    cpu = cpu_spent(cpu_before, cpu_use(server))
    latencies = [t for o in officers for t in o.latencies]
    errors = [e for o in officers for e in o.errors]
    accepted = sum(len(saves) for o in officers for saves in o.accepted.values())
    lost = lost_writes(officers, before)
    ms = [t * 1000 for t in latencies]
    print(
        f"N = {n:>3}: {len(latencies)} requests in {elapsed:.1f} s, "
        f"{accepted / elapsed:.1f} saves/s accepted; "
        f"p50 {percentile(ms, 0.50):.0f} ms, p95 {percentile(ms, 0.95):.0f} ms, "
        f"p99 {percentile(ms, 0.99):.0f} ms; errors {len(errors)}"
        + (f" ({', '.join(sorted(set(errors))[:3])})" if errors else "")
        + f"; lost writes {lost}",
        flush=True,
    )
    if latencies:
        per_request = {name: seconds * 1000 / len(latencies) for name, seconds in cpu.items()}
        print(
            f"        CPU per request: {sum(per_request.values()):.1f} ms = "
            + ", ".join(f"{name} {ms:.1f}" for name, ms in per_request.items()),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=5000, help="per client and run")
    # The README's production line: 2 × cores + 1 sync workers. On the 2-core machine, N = 10
    # (saves/s, p95): 5 × 1 sync 68, 183 ms; 3 × 1 sync 57, 219 ms; 5 × 2 gthread 65, 277 ms;
    # 3 × 4 gthread 40, 375 ms (a save is CPU work under the GIL: threads add no parallelism).
    workers = int(os.environ.get("WEB_CONCURRENCY", 2 * len(os.sched_getaffinity(0)) + 1))
    parser.add_argument("--workers", type=int, default=workers)
    parser.add_argument("--threads", type=int, default=1, help="more than 1: gthread workers")
    args = parser.parse_args()

    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit("bench/load.py needs DATABASE_URL=postgres://… (gunicorn and the "
                         "bench share the database)")
    with throwaway_database("load", test_environment=False):
        period = build(max(args.clients))
        settings = connection.settings_dict
        database_url = (
            f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        )
        with tempfile.TemporaryDirectory() as static_root:
            port = free_port()
            server = start_gunicorn(database_url, port, args, static_root)
            try:
                print(
                    f"gunicorn: {args.workers} workers × {args.threads} threads; "
                    f"{args.seconds:.0f} s per run",
                    flush=True,
                )
                for n in args.clients:
                    run(n, f"http://{HOST}:{port}", period, args, server)
            finally:
                stop(server)
                connection.close()


if __name__ == "__main__":
    main()
