"""Time and queries of `send_reminders` for a province of 170 communes (issue 12, Speed: a
constant number of queries, under 2 s on PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cchc .venv/bin/python bench/reminders.py

Builds its data in a throwaway test database (never the real one): 170 communes with two
officers each, ten appraisers; on the measured date the period opens, self-assessment is due
in 7 days and appraisal in 3, a third of the communes have submitted and are shared among the
appraisers. Each run stores every notification and sends every e-mail (the notifications are
deleted between runs); then a second run on the same date, which must store and send nothing.
E-mail goes to Django's in-memory outbox, or with --smtp to a real SMTP server on loopback
(aiosmtpd). Options: --communes N, --runs N, --smtp.
"""

import argparse
import datetime
import os
import statistics
import time

from _setup import throwaway_database

DAY = datetime.date(2026, 3, 2)


def build(communes: int):
    from django.db import connection

    from communes.models import Role
    from scoring.models import Assessment, Period
    from tests.factories import make_criteria_set, make_unit, make_user

    province = make_unit("RP", "Tỉnh Thử Nghiệm", "tinh")
    units = [make_unit(f"RX{i:04}", f"Xã Số {i}", "xa", province) for i in range(communes)]
    for unit in units:
        for k in (1, 2):
            make_user(f"cb{k}_{unit.code}", unit=unit, role=Role.COMMUNE_OFFICER,
                      email=f"cb{k}.{unit.code}@example.vn", first_name=f"Cán bộ {k}")
    appraisers = [
        make_user(f"td{i}", unit=province, role=Role.APPRAISER, email=f"td{i}@example.vn")
        for i in range(10)
    ]
    from scoring.services.setup import create_period

    period = create_period(
        code="REMIND", year=2026, criteria_set=make_criteria_set("RC", "flat"), unit=province,
        opens_on=DAY, self_assessment_due=DAY + datetime.timedelta(days=7),
        appraisal_due=DAY + datetime.timedelta(days=30),
    )
    Period.objects.filter(pk=period.pk).update(appraisal_due=DAY + datetime.timedelta(days=3))
    ids = list(Assessment.objects.filter(period=period).order_by("pk").values_list("pk", flat=True))
    for n, pk in enumerate(ids[: communes // 3]):
        Assessment.objects.filter(pk=pk).update(
            status=Assessment.Status.UNDER_REVIEW if n % 2 else Assessment.Status.SUBMITTED,
            assignee=appraisers[n % 10] if n % 2 else None,
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def run_once():
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from scoring import notices

    mail.outbox = []
    with CaptureQueriesContext(connection) as queries:
        start, cpu = time.perf_counter(), time.process_time()
        run = notices.send_reminders(DAY)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return elapsed, cpu, len(queries), run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=170)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smtp", action="store_true", help="a real SMTP server on loopback")
    args = parser.parse_args()
    # Templates rendered as in production (the test environment instruments every render).
    with throwaway_database("reminders", test_environment=False):
        from django.conf import settings
        from django.db import connection

        from notifications.models import Notification

        # Users are set-up, not what is measured: a fast hasher (PBKDF2 costs ~0.2 s per user).
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        controller = None
        if args.smtp:
            import socket

            from aiosmtpd.controller import Controller
            from aiosmtpd.handlers import Sink

            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            controller = Controller(Sink(), hostname="127.0.0.1", port=port)
            controller.start()
            settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
            settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        try:
            build(args.communes)
            # A running process has its URLconf and templates loaded already.
            from django.template.loader import get_template
            from django.urls import reverse

            reverse("scoring:home"), get_template("notifications/email.txt")
            timings, cpus = [], []
            for _ in range(args.runs):
                Notification.objects.all().delete()
                elapsed, cpu, queries, run = run_once()
                timings.append(elapsed)
                cpus.append(cpu)
            stored = len(run.ids)
            sent = Notification.objects.filter(emailed_at__isnull=False).count()
            again, _, again_queries, run_again = run_once()
        finally:
            if controller is not None:
                controller.stop()
        print(
            f"send_reminders, {args.communes} communes on {connection.vendor} "
            f"({'SMTP on loopback' if args.smtp else 'in-memory outbox'}): "
            f"{stored} notifications ({', '.join(f'{k} {v}' for k, v in sorted(run.counts.items()))}), "
            f"{sent} notifications e-mailed"
        )
        print(
            f"  first run on the date: median {statistics.median(timings) * 1000:.0f} ms, "
            f"max {max(timings) * 1000:.0f} ms over {args.runs} runs (this process's CPU: median "
            f"{statistics.median(cpus) * 1000:.0f} ms), {queries} queries"
        )
        print(f"  load average when done: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        print(
            f"  second run on the same date: {again * 1000:.0f} ms, {again_queries} queries, "
            f"{len(run_again.ids)} new"
        )
        assert len(run_again.ids) == 0


if __name__ == "__main__":
    main()
