"""E-mail through a real SMTP server on loopback (aiosmtpd) with the SMTP settings, and the
settings read from the environment (docs/design.md §9)."""

import datetime
import email
import email.policy
import json
import os
import socket
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from django.core.management import call_command

from communes.models import Role
from notifications.models import Kind, Notification

from ..factories import make_period, make_user

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """aiosmtpd handler keeping every message it accepts, parsed."""

    def __init__(self):
        self.messages = []
        self.logins = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, parsed))
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login, auth_data.password) == (b"cchc", b"mat-khau-thu")
        self.logins.append((mechanism, ok))
        return AuthResult(success=ok)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), authenticator=inbox.authenticate,
        auth_require_tls=False,  # loopback in a test; production sets EMAIL_USE_TLS
    )
    controller.start()
    yield controller, inbox
    controller.stop()


def test_send_reminders_through_a_real_smtp_server(
    smtp_server, settings, units, django_capture_on_commit_callbacks
):
    controller, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "cchc", "mat-khau-thu"
    settings.EMAIL_USE_TLS = False
    settings.DEFAULT_FROM_EMAIL = "Chỉ số CCHC <cchc@snv.example.vn>"
    settings.SITE_URL = "https://cchc.example.vn"
    officer = make_user("canbo_a", unit=units["commune"], role=Role.COMMUNE_OFFICER,
                        email="canbo.a@example.vn", first_name="Nguyễn Văn An")
    due = datetime.date(2026, 3, 31)
    make_period(units["district"], opens_on=datetime.date(2026, 3, 1), self_assessment_due=due)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("send_reminders", "--date", "24/03/2026", stdout=StringIO())
    assert len(inbox.messages) == 1  # twice on one date: sent once
    assert [ok for _, ok in inbox.logins] == [True]  # the second run opened no connection
    sender, recipients, message = inbox.messages[0]
    assert sender == "cchc@snv.example.vn" and recipients == ["canbo.a@example.vn"]
    # Django folds the encoded subject onto a continuation line: the parsed value keeps the
    # folding space.
    assert message["Subject"].strip() == "[Chỉ số CCHC] Sắp hết hạn tự đánh giá"
    body = message.get_content()
    assert body.startswith("Kính gửi Nguyễn Văn An,")
    assert "hồ sơ của Xã Đồng Tâm chưa nộp" in body
    assert "Xem tại: https://cchc.example.vn/periods/P2024/communes/A/" in body
    assert Notification.objects.get(recipient=officer).emailed_at is not None


def test_a_server_that_refuses_the_login_leaves_the_notification_to_resend(
    smtp_server, settings, units, django_capture_on_commit_callbacks
):
    controller, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "cchc", "sai"
    settings.EMAIL_TIMEOUT = 3
    make_user("canbo_a", unit=units["commune"], role=Role.COMMUNE_OFFICER, email="a@example.vn")
    make_period(units["district"], opens_on=datetime.date(2026, 3, 1),
                self_assessment_due=datetime.date(2026, 3, 31))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", "30/03/2026", stdout=StringIO())
    assert inbox.messages == []
    notice = Notification.objects.get()  # stored in the app all the same
    assert notice.emailed_at is None

    # The next day's run, once the server takes the login, sends it; a third run sends nothing.
    Notification.objects.update(created_at=notice.created_at - datetime.timedelta(hours=20))
    settings.EMAIL_HOST_PASSWORD = "mat-khau-thu"
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", "31/03/2026", stdout=out)
    assert "Đã gửi lại 1 thư thông báo trước đó chưa gửi được." in out.getvalue()
    # 31/03 is the deadline itself: no new reminder, only the one resent.
    [(_, recipients, message)] = inbox.messages
    assert recipients == ["a@example.vn"] and notice.text in message.get_content()
    assert Notification.objects.get(pk=notice.pk).emailed_at is not None
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", "--date", "31/03/2026", stdout=StringIO())
    assert len(inbox.messages) == 1


def test_unsent_mail_older_than_the_resend_window_is_left(smtp_server, settings, units):
    from notifications.mail import send_unsent

    controller, inbox = smtp_server
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "cchc", "mat-khau-thu"
    settings.EMAIL_RESEND_DAYS = 3
    user = make_user("canbo_a", unit=units["commune"], role=Role.COMMUNE_OFFICER, email="a@example.vn")
    now = datetime.datetime.now(datetime.timezone.utc)
    ages = {"cu": datetime.timedelta(days=4), "moi-luu": datetime.timedelta(minutes=1),
            "can-gui": datetime.timedelta(days=1)}
    for key, age in ages.items():
        notice = Notification.objects.create(
            recipient=user, kind=Kind.PERIOD_OPENED, text=f"Thông báo {key}", key=key
        )
        Notification.objects.filter(pk=notice.pk).update(created_at=now - age)
    assert send_unsent() == 1
    assert len(inbox.messages) == 1 and "Thông báo can-gui" in inbox.messages[0][2].get_content()
    assert set(Notification.objects.filter(emailed_at__isnull=True).values_list("key", flat=True)) == {
        "cu", "moi-luu"}


PRINT_SETTINGS = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, "
    "s.EMAIL_HOST_PASSWORD, s.EMAIL_USE_TLS, s.DEFAULT_FROM_EMAIL, s.SITE_URL]))"
)


def settings_with(**env) -> list:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    clean.pop("DEFAULT_FROM_EMAIL", None), clean.pop("SITE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, capture_output=True, text=True,
        env={**clean, "DJANGO_SETTINGS_MODULE": "cchc.settings", **env},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_smtp_settings_come_from_the_environment(db):
    assert settings_with(
        EMAIL_HOST="smtp.example.vn", EMAIL_PORT="587", EMAIL_HOST_USER="cchc",
        EMAIL_HOST_PASSWORD="bi-mat", EMAIL_USE_TLS="1",
        DEFAULT_FROM_EMAIL="CCHC <cchc@example.vn>", SITE_URL="https://cchc.example.vn/",
    ) == [
        "django.core.mail.backends.smtp.EmailBackend", "smtp.example.vn", 587, "cchc", "bi-mat",
        True, "CCHC <cchc@example.vn>", "https://cchc.example.vn",
    ]


def test_without_email_host_the_console_prints_the_mail(db):
    backend, host, *_ = settings_with()
    assert backend == "django.core.mail.backends.console.EmailBackend" and host == ""
