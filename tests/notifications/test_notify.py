"""notify: bulk in-app notifications, one e-mail per recipient after the commit, never twice."""

import threading

import pytest
from django.core import mail
from django.db import connection

from notifications.mail import send_emails
from notifications.models import Kind, Notification, Preference
from notifications.services import Message, mark_read, notify, to_each

from ..factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(db):
    return [
        make_user(f"nguoi{i}", email=f"nguoi{i}@example.vn", first_name=f"Người {i}")
        for i in range(3)
    ]


def deliver(messages, capture):
    with capture(execute=True):
        return notify(messages)


def test_each_recipient_gets_one_notification_and_one_email_with_an_absolute_link(
    people, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://cchc.example.vn"
    ids = deliver(
        to_each([p.pk for p in people], kind=Kind.RETURNED, text="Hồ sơ được trả lại.",
                link="/periods/P/communes/A/"),
        django_capture_on_commit_callbacks,
    )
    assert len(ids) == 3
    assert sorted(Notification.objects.values_list("recipient__username", flat=True)) == [
        "nguoi0", "nguoi1", "nguoi2"
    ]
    assert sorted(m.to[0] for m in mail.outbox) == [p.email for p in people]
    message = mail.outbox[0]
    assert message.subject == "[Chỉ số CCHC] Hồ sơ được trả lại để bổ sung"
    assert "Kính gửi Người" in message.body and "Hồ sơ được trả lại." in message.body
    assert "https://cchc.example.vn/periods/P/communes/A/" in message.body
    assert "https://cchc.example.vn/notifications/settings/" in message.body
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 0


def test_a_key_is_delivered_once_per_recipient(people, django_capture_on_commit_callbacks):
    first = to_each([people[0].pk], kind=Kind.SELF_ASSESSMENT_DUE, text="Còn 7 ngày", key="k:7")
    assert len(deliver(first, django_capture_on_commit_callbacks)) == 1
    again = to_each([p.pk for p in people], kind=Kind.SELF_ASSESSMENT_DUE, text="Còn 7 ngày",
                    key="k:7")
    # Twice in one call, and once already delivered: only the two others are new.
    assert len(deliver(again + again, django_capture_on_commit_callbacks)) == 2
    assert Notification.objects.filter(key="k:7").count() == 3
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    # Without a key, nothing is deduplicated.
    plain = [Message(people[0].pk, Kind.PUBLISHED, "Đã công bố")] * 2
    assert len(deliver(plain, django_capture_on_commit_callbacks)) == 2


def test_several_notifications_for_one_user_make_one_email(people, django_capture_on_commit_callbacks):
    user = people[0]
    deliver(
        [Message(user.pk, Kind.SELF_ASSESSMENT_DUE, "Xã A chưa nộp", "/a/", "a"),
         Message(user.pk, Kind.APPRAISAL_DUE, "Còn 2 hồ sơ", "/b/", "b")],
        django_capture_on_commit_callbacks,
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "[Chỉ số CCHC] 2 thông báo mới"
    assert "1. Sắp hết hạn tự đánh giá: Xã A chưa nộp" in mail.outbox[0].body
    assert "2. Sắp hết hạn thẩm định: Còn 2 hồ sơ" in mail.outbox[0].body


def test_email_turned_off_or_missing_gets_only_the_in_app_notification(
    people, django_capture_on_commit_callbacks
):
    Preference.objects.create(user=people[0], email_enabled=False)
    people[1].email = ""
    people[1].save()
    deliver(to_each([p.pk for p in people], kind=Kind.PUBLISHED, text="Đã công bố"),
            django_capture_on_commit_callbacks)
    assert Notification.objects.count() == 3
    assert [m.to for m in mail.outbox] == [[people[2].email]]
    assert list(Notification.objects.filter(emailed_at__isnull=False).values_list(
        "recipient", flat=True)) == [people[2].pk]


def test_nothing_is_sent_when_the_transaction_rolls_back(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(to_each([people[0].pk], kind=Kind.PUBLISHED, text="x"))
    assert len(callbacks) == 1 and not mail.outbox  # the e-mail waits for the commit


def test_sending_twice_sends_once(people, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        ids = notify(to_each([p.pk for p in people], kind=Kind.PUBLISHED, text="x"))
    assert send_emails(ids) == 3
    assert send_emails(ids) == 0
    assert len(mail.outbox) == 3


def test_a_refused_address_does_not_stop_the_others(people, monkeypatch, django_capture_on_commit_callbacks):
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def refuse_first(self, messages):
        if messages[0].to == [people[0].email]:
            raise OSError("550 mailbox unavailable")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse_first)
    with django_capture_on_commit_callbacks(execute=False):
        ids = notify(to_each([p.pk for p in people], kind=Kind.PUBLISHED, text="x"))
    assert send_emails(ids) == 2
    assert Notification.objects.get(recipient=people[0]).emailed_at is None


def test_bulk_notify_is_a_fixed_number_of_queries(django_assert_num_queries, django_capture_on_commit_callbacks):
    users = [make_user(f"u{i}", email=f"u{i}@example.vn") for i in range(250)]
    messages = to_each([u.pk for u in users], kind=Kind.PUBLISHED, text="x", key="pub:1")
    # savepoint, INSERT … RETURNING, release; then after the commit: the notifications with
    # their recipients, UPDATE emailed_at
    with django_assert_num_queries(5), django_capture_on_commit_callbacks(execute=True):
        assert len(notify(messages)) == 250
    assert len(mail.outbox) == 250


def test_mark_read_touches_only_the_users_own(people):
    notify(to_each([p.pk for p in people], kind=Kind.PUBLISHED, text="x"), email=False)
    mine = Notification.objects.get(recipient=people[0])
    assert mark_read(people[1], mine.pk) == 0
    assert mark_read(people[0], mine.pk) == 1
    assert mark_read(people[0]) == 0
    assert Notification.objects.unread().count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_deliveries_racing_store_and_send_once():
    """Two processes delivering the same keyed reminders at once (two send_reminders runs):
    the unique constraint lets exactly one insert each row, and only its e-mails go out."""
    if connection.vendor != "postgresql":
        pytest.skip("Races need PostgreSQL: SQLite lets one writer in at a time.")
    users = [make_user(f"dua{i}", email=f"dua{i}@example.vn") for i in range(30)]
    messages = to_each([u.pk for u in users], kind=Kind.SELF_ASSESSMENT_DUE, text="x", key="r:1")
    gate, stored, errors = threading.Barrier(2), [], []

    def run():
        try:
            gate.wait()
            stored.append(notify(messages))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    for _ in range(20):
        Notification.objects.all().delete()
        mail.outbox.clear()
        stored.clear()
        threads = [threading.Thread(target=run) for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert not errors
        assert sum(len(ids) for ids in stored) == 30
        assert Notification.objects.count() == 30
        assert len(mail.outbox) == 30
