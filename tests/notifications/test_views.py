"""The bell, the list (own notifications only, mark read), the e-mail preference page."""

import pytest
from django.urls import reverse

from notifications.models import Kind, Notification, Preference
from notifications.services import Message, notify, to_each

from ..factories import make_user

pytestmark = pytest.mark.django_db

LIST = "/notifications/"


@pytest.fixture
def user(db):
    return make_user("canbo", email="canbo@example.vn")


@pytest.fixture
def other(db):
    return make_user("khac", email="khac@example.vn")


def give(user, count, *, link="/", kind=Kind.RETURNED):
    return notify(
        [Message(user.pk, kind, f"Thông báo số {i}", link) for i in range(count)], email=False
    )


def bell(response) -> str:
    page = response.content.decode()
    start = page.index('class="bell"')
    return page[start:page.index("</a>", start)]


def test_the_bell_shows_the_unread_count_of_the_signed_in_user_only(client, user, other):
    give(user, 3)
    give(other, 5)
    read = give(user, 1)
    Notification.objects.filter(pk__in=read).update(read_at="2026-01-01T00:00:00Z")
    client.force_login(user)
    response = client.get(reverse("notifications:settings"))
    assert '<span class="bell-count">3</span>' in bell(response)
    assert "Thông báo: 3 chưa đọc" in bell(response)
    client.force_login(other)
    assert '<span class="bell-count">5</span>' in bell(client.get(LIST))


def test_no_count_without_unread(client, user):
    client.force_login(user)
    shown = bell(client.get(LIST))
    assert "bell-count" not in shown and "không có thông báo mới" in shown


def test_the_bell_costs_one_count_query_on_a_page(client, user, django_assert_num_queries):
    give(user, 2)
    client.force_login(user)
    client.get(reverse("notifications:settings"))
    # session, user, the preference; then the bell's count
    with django_assert_num_queries(4) as captured:
        client.get(reverse("notifications:settings"))
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "notifications_notification" in counts[0]


@pytest.mark.parametrize("count", [3, 45])
def test_the_list_is_a_fixed_number_of_queries(client, user, count, django_assert_num_queries):
    give(user, count)
    client.force_login(user)
    client.get(LIST)
    # session, user, the paginator's count, the page's rows, the bell's count
    with django_assert_num_queries(5):
        response = client.get(LIST)
    assert response.content.decode().count('<li class="notice') == min(count, 30)


def test_the_list_shows_only_the_users_own(client, user, other):
    give(user, 1)
    notify([Message(other.pk, Kind.PUBLISHED, "Riêng của người khác")], email=False)
    client.force_login(user)
    page = client.get(LIST).content.decode()
    assert "Thông báo số 0" in page and "Riêng của người khác" not in page


def test_another_users_notification_is_a_404_and_stays_unread(client, user, other):
    (theirs,) = give(other, 1)
    client.force_login(user)
    assert client.post(reverse("notifications:read", args=[theirs]), {"open": "1"}).status_code == 404
    assert Notification.objects.get(pk=theirs).read_at is None


def test_opening_marks_read_and_follows_the_link(client, user):
    (mine,) = give(user, 1, link="/periods/P/communes/A/")
    client.force_login(user)
    response = client.post(reverse("notifications:read", args=[mine]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/periods/P/communes/A/"
    assert Notification.objects.get(pk=mine).read_at is not None


def test_an_outside_link_is_never_followed(client, user):
    (mine,) = give(user, 1, link="https://evil.example/")
    client.force_login(user)
    response = client.post(reverse("notifications:read", args=[mine]), {"open": "1"})
    assert response["Location"] == LIST


def test_mark_all_read(client, user, other):
    give(user, 4)
    give(other, 2)
    client.force_login(user)
    response = client.post(reverse("notifications:read_all"), follow=True)
    assert "Đã đánh dấu 4 thông báo là đã đọc." in response.content.decode()
    assert Notification.objects.unread().filter(recipient=user).count() == 0
    assert Notification.objects.unread().filter(recipient=other).count() == 2
    assert "bell-count" not in bell(response)


def test_turning_email_off_and_on(client, user, django_capture_on_commit_callbacks):
    from django.core import mail

    client.force_login(user)
    page = client.get(reverse("notifications:settings")).content.decode()
    assert "canbo@example.vn" in page and 'checked' in page
    client.post(reverse("notifications:settings"), {})  # the box unticked
    assert Preference.objects.get(user=user).email_enabled is False
    with django_capture_on_commit_callbacks(execute=True):
        notify(to_each([user.pk], kind=Kind.PUBLISHED, text="x"))
    assert not mail.outbox and Notification.objects.filter(recipient=user).count() == 1
    client.post(reverse("notifications:settings"), {"email_enabled": "on"})
    assert Preference.objects.get(user=user).email_enabled is True


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
