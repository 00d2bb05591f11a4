"""The e-mail side of notifications, behind one function (`send_emails`) that takes ids, so
it can run as a background task unchanged (docs/design.md §9, jobs).

Django's e-mail: SMTP with the EMAIL_* settings from the environment, or the console backend
when EMAIL_HOST is not set (cchc/settings.py). Links are absolute, on SITE_URL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from itertools import groupby

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Notification

logger = logging.getLogger(__name__)

SUBJECT_PREFIX = "[Chỉ số CCHC] "


def absolute(path: str) -> str:
    """The link as a reader's mail program needs it: SITE_URL + path."""
    if not path or path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL.rstrip("/") + "/" + path.lstrip("/")


def send_emails(notification_ids: Iterable[int]) -> int:
    """Send one e-mail per recipient for these notifications not e-mailed yet; returns how
    many e-mails were sent.

    Skipped: recipients without an address, inactive, or who turned e-mail off. Two queries
    whatever the count (the notifications with their recipients, one UPDATE of those sent),
    one SMTP connection. A message the server refuses is logged and left unsent (emailed_at
    stays empty); the others still go. A server that is down or refuses the login sends
    nothing and raises nothing: the notifications are in the app all the same.
    """
    ids = list(notification_ids)
    if not ids:
        return 0
    rows = list(
        Notification.objects.filter(pk__in=ids, emailed_at__isnull=True)
        .filter(recipient__is_active=True)
        .exclude(recipient__email="")
        .exclude(recipient__notification_preference__email_enabled=False)
        .select_related("recipient")
        .order_by("recipient_id", "created_at", "id")
    )
    if not rows:
        return 0
    sent_ids, sent = [], 0
    connection = get_connection()
    try:
        connection.open()
    except Exception:  # noqa: BLE001 - the server is down or refuses the login: all wait
        logger.exception("Không kết nối được máy chủ thư; %d thư chưa gửi", len(rows))
        return 0
    try:
        for _, group in groupby(rows, key=lambda row: row.recipient_id):
            notices = list(group)
            try:
                connection.send_messages([_message(notices)])
            except Exception:  # noqa: BLE001 - one refused address must not stop the others
                logger.exception("Không gửi được thư thông báo tới %s", notices[0].recipient.email)
                continue
            sent_ids += [notice.pk for notice in notices]
            sent += 1
    finally:
        connection.close()
    if sent_ids:
        Notification.objects.filter(pk__in=sent_ids).update(emailed_at=timezone.now())
    return sent


def send_unsent(*, days: int | None = None, settle_minutes: int = 10) -> int:
    """Send again the e-mails of notifications stored in the last `days` days
    (EMAIL_RESEND_DAYS) that are still not e-mailed: their server was down or refused them.
    The daily run calls it (scoring.notices.send_reminders). Notifications younger than
    `settle_minutes` are left to the send that follows their own commit, so none goes twice.
    Returns how many e-mails were sent."""
    days = settings.EMAIL_RESEND_DAYS if days is None else days
    if days <= 0:
        return 0
    now = timezone.now()
    ids = Notification.objects.filter(
        emailed_at__isnull=True,
        created_at__gte=now - timedelta(days=days),
        created_at__lt=now - timedelta(minutes=settle_minutes),
    ).values_list("pk", flat=True)
    return send_emails(list(ids))


def _message(notices: list[Notification]) -> EmailMessage:
    user = notices[0].recipient
    if len(notices) == 1:
        subject = SUBJECT_PREFIX + notices[0].get_kind_display()
    else:
        subject = SUBJECT_PREFIX + f"{len(notices)} thông báo mới"
    body = render_to_string(
        "notifications/email.txt",
        {
            "name": user.get_full_name() or user.get_username(),
            "notices": [(notice, absolute(notice.link)) for notice in notices],
            "list_url": absolute(reverse("notifications:list")),
            "settings_url": absolute(reverse("notifications:settings")),
        },
    )
    return EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
