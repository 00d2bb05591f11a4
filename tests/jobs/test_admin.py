"""The jobs' admin pages answer in bounded queries and are read-only."""

import pytest

from jobs.models import Job

from ..factories import make_user

pytestmark = pytest.mark.django_db

PAGES = {
    # page: (changelist, change page)
    "job": (6, 7),  # the change page names its starter and unit
}


@pytest.fixture
def job(db):
    user = make_user("thamdinh")
    return Job.objects.create(
        kind="reports_zip", title="Tệp ZIP báo cáo kỳ P2024", key="zip:P2024:1", started_by=user
    )


def test_every_page_answers_in_bounded_queries(admin_client, job, django_assert_max_num_queries):
    list_bound, change_bound = PAGES["job"]
    admin_client.get("/admin/jobs/job/")  # warm-up: Django caches content types
    with django_assert_max_num_queries(list_bound):
        page = admin_client.get("/admin/jobs/job/")
    assert page.status_code == 200 and "Tệp ZIP báo cáo kỳ P2024" in page.content.decode()
    for number in range(10):  # more jobs by more people: the list still reads them at once
        Job.objects.create(kind="k", title=f"Tác vụ {number}", key=f"k{number}",
                           started_by=make_user(f"nguoi{number}"))
    with django_assert_max_num_queries(list_bound):
        assert admin_client.get("/admin/jobs/job/").status_code == 200
    with django_assert_max_num_queries(change_bound):
        assert admin_client.get(f"/admin/jobs/job/{job.pk}/change/").status_code == 200


def test_nobody_adds_a_job_by_hand(admin_client):
    assert admin_client.get("/admin/jobs/job/add/").status_code == 403
