"""The notifications' admin pages answer in bounded queries, read-only for notifications."""

import pytest

from notifications.models import Kind, Preference
from notifications.services import Message, notify

from ..factories import make_user

pytestmark = pytest.mark.django_db

PAGES = {
    # page: (changelist, change page)
    "notification": (6, 5),
    "preference": (6, 6),  # + the raw-id widget names the user
}


@pytest.fixture
def objects(db):
    user = make_user("canbo", email="canbo@example.vn")
    [notification_id] = notify(
        [Message(user.pk, Kind.RETURNED, "Hồ sơ bị trả lại", "/")], email=False
    )
    preference = Preference.objects.create(user=user, email_enabled=False)
    return {"notification": notification_id, "preference": preference.pk}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_answers_in_bounded_queries(
    admin_client, objects, name, django_assert_max_num_queries
):
    list_bound, change_bound = PAGES[name]
    base = f"/admin/notifications/{name}/"
    change = f"{base}{objects[name]}/change/"
    admin_client.get(base)  # warm-up: Django caches content types
    with django_assert_max_num_queries(list_bound):
        page = admin_client.get(base)
    assert page.status_code == 200 and "canbo" in page.content.decode()
    with django_assert_max_num_queries(change_bound):
        assert admin_client.get(change).status_code == 200


def test_nobody_adds_a_notification_by_hand(admin_client, objects):
    assert admin_client.get("/admin/notifications/notification/add/").status_code == 403
