"""notify: the one way anything in the app tells users something (in the app and by e-mail).

Callers (scoring/notices.py) decide who is told what and pass plain `Message`s; `notify`
stores them in bulk and sends the e-mails after the commit. A message with a `key` reaches
its recipient at most once, even when two processes deliver it at the same moment: the
database's unique (recipient, key) constraint decides, and only the rows actually inserted
are e-mailed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .mail import send_emails
from .models import Notification

# Rows per INSERT: far below SQLite's 32,766 parameters (7 a row).
BATCH = 1000
COLUMNS = ("recipient_id", "kind", "text", "link", "key", "created_at")


@dataclass(frozen=True)
class Message:
    """One notification for one user: `kind` a notifications.models.Kind, `text` Vietnamese,
    `link` a path of this site ("/periods/…/"), `key` the deduplication key (None: none)."""

    recipient_id: int
    kind: str
    text: str
    link: str = ""
    key: str | None = None


def to_each(recipient_ids: Iterable[int], *, kind: str, text: str, link: str = "",
            key: str | None = None) -> list[Message]:
    """The same message for each of these users (each once)."""
    return [Message(pk, kind, text, link, key) for pk in dict.fromkeys(recipient_ids)]


def notify(messages: Iterable[Message], *, email: bool = True) -> list[int]:
    """Store the messages as unread notifications, one INSERT per 1,000, and return the ids
    of those stored now.

    A message whose (recipient, key) was delivered before, or appears twice here, is dropped.
    After the commit, each recipient of a stored message gets one e-mail listing theirs
    (`mail.send_emails`), unless `email` is False, they turned e-mail off, or have no address.
    """
    unique, seen = [], set()
    for message in messages:
        marker = (message.recipient_id, message.key) if message.key else None
        if marker is not None and marker in seen:
            continue
        seen.add(marker)
        unique.append(message)
    if not unique:
        return []
    now = timezone.now()
    ids = []
    with transaction.atomic():
        for start in range(0, len(unique), BATCH):
            ids += _insert(unique[start:start + BATCH], now)
        if email and ids:
            transaction.on_commit(lambda: send_emails(ids), robust=True)
    return ids


def _insert(messages: list[Message], now) -> list[int]:
    """INSERT … ON CONFLICT (recipient, key) DO NOTHING RETURNING id: the ids of the rows this
    statement stored (PostgreSQL and SQLite ≥ 3.35 both say which ones, which Django's
    bulk_create(ignore_conflicts=True) does not)."""
    fields = [Notification._meta.get_field(name.removesuffix("_id")) for name in COLUMNS]
    quote = connection.ops.quote_name
    values = []
    for message in messages:
        row = (message.recipient_id, message.kind, message.text, message.link,
               message.key or None, now)
        values += [field.get_db_prep_save(value, connection) for field, value in zip(fields, row)]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * len(COLUMNS)) + ")"] * len(messages))
    sql = (
        f"INSERT INTO {quote(Notification._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in fields)}) VALUES {placeholders} "
        f"ON CONFLICT ({quote('recipient_id')}, {quote('key')}) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return [row[0] for row in cursor.fetchall()]


def mark_read(user, pk: int | None = None) -> int:
    """Mark the user's unread notification `pk` (or all of them) read; returns how many."""
    unread = Notification.objects.unread().filter(recipient=user)
    if pk is not None:
        unread = unread.filter(pk=pk)
    return unread.update(read_at=timezone.now())
