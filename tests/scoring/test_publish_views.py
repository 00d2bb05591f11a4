"""The publish page /periods/<period>/publish/ (issue 6): readiness, publish with the decision,
exclusions with reasons, reopen for correction and version 2 with a reason."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from communes.models import Role
from scoring.models import Assessment, AuditEvent, Period, Publication

from ..factories import make_period, make_user
from .publish_data import add_communes, appraise, appraise_all, results_of

pytestmark = pytest.mark.django_db

D = Decimal
SCORES = {
    "A": {"1.1": "2", "1.2": "3,5", "2.1": "3,25"},  # 8,75
    "B": {"1.1": "1", "1.2": "3", "2.1": "4"},  # 8
}


def url(period):
    return reverse("reports:publish", args=[period.code])


def publish(client, period, **data):
    """Publish from the page, typing the decision number again to confirm (issue 12)."""
    data.setdefault("confirm_decision", data.get("decision", ""))
    return client.post(url(period), {"action": "publish", **data})


@pytest.fixture
def period(units):
    """The self-assessment deadline passed: a commune not handed in may be left out."""
    today = datetime.date.today()
    return make_period(
        units["district"],
        opens_on=today - datetime.timedelta(days=40),
        self_assessment_due=today - datetime.timedelta(days=10),
    )


@pytest.fixture
def appraised(period):
    appraise(period, SCORES)
    return period


@pytest.fixture
def as_appraiser(client, appraiser):
    client.force_login(appraiser)
    return client


# --- who may open it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "who, status",
    [("appraiser", 200), ("leader", 200), ("officer", 403), ("other_officer", 403),
     ("far_appraiser", 404)],
)
def test_only_the_appraising_unit_opens_the_page(client, request, period, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(period)).status_code == status
    # The appraiser's POST reaches the service, which refuses (nothing appraised yet): 422.
    refused = 422 if status == 200 else status
    assert client.post(url(period), {"action": "publish"}).status_code == refused
    assert not Publication.objects.exists()


def test_an_officer_of_another_district_gets_404(client, units, period):
    client.force_login(make_user("canbo_c", unit=units["far_commune"], role=Role.COMMUNE_OFFICER))
    assert client.get(url(period)).status_code == 404


def test_anonymous_is_sent_to_login(client, period):
    response = client.get(url(period))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_period_table_and_dashboard_link_the_page_for_the_appraising_unit(
    client, period, appraiser, leader, officer
):
    link = f'href="{url(period)}"'
    for user in (appraiser, leader):
        client.force_login(user)
        assert link in client.get(period.get_absolute_url()).content.decode()
        assert link in client.get("/").content.decode()
    client.force_login(officer)
    assert link not in client.get("/").content.decode()


# --- readiness and refusals ---------------------------------------------------------------


def test_page_lists_the_communes_not_appraised_with_status_and_link(as_appraiser, period):
    appraise(period, {"A": SCORES["A"]})
    page = as_appraiser.get(url(period)).content.decode()
    assert "<strong>1/2</strong> hồ sơ đã thẩm định" in page
    assert "<strong>1</strong> hồ sơ chưa hoàn thành thẩm định" in page
    assert 'id="waiting-B"' in page and 'id="waiting-A"' not in page
    assert "Thị trấn Ninh Giang" in page and "Đang tự đánh giá" in page
    assert f'href="{reverse("scoring:assessment", args=[period.code, "B"])}"' in page
    assert "Công bố kết quả lần 1" in page


def test_publish_is_refused_while_a_commune_is_not_appraised(as_appraiser, period):
    appraise(period, {"A": SCORES["A"]})
    response = publish(as_appraiser, period, decision="766/QĐ-UBND", decision_date="16/03/2023")
    assert response.status_code == 422
    page = response.content.decode()
    assert "1 đơn vị chưa hoàn thành thẩm định: Thị trấn Ninh Giang (Đang tự đánh giá)" in page
    assert 'value="766/QĐ-UBND"' in page and 'value="16/03/2023"' in page  # kept for a retry
    assert not Publication.objects.exists()
    period.refresh_from_db()
    assert period.status != Period.Status.PUBLISHED
    assert Assessment.objects.get(commune__code="A").status == Assessment.Status.APPRAISED


def test_a_commune_left_out_with_a_reason_is_not_ranked(as_appraiser, period):
    appraise(period, {"A": SCORES["A"]})
    response = publish(
        as_appraiser, period, decision="12/QĐ-UBND", exclude=["B"],
        exclude_reason_B="Sáp nhập trong năm, không đủ dữ liệu",
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:results", args=[period.code])
    publication = Publication.objects.get()
    assert publication.exclusions == {"B": "Sáp nhập trong năm, không đủ dữ liệu"}
    assert set(results_of(publication)) == {"A"}
    statuses = dict(Assessment.objects.values_list("commune__code", "status"))
    assert statuses == {"A": Assessment.Status.PUBLISHED, "B": Assessment.Status.DRAFT}


def test_a_commune_ticked_without_a_reason_refuses_and_saves_nothing(as_appraiser, period):
    appraise(period, {"A": SCORES["A"]})
    response = publish(as_appraiser, period, decision="1/QĐ", exclude=["B"], exclude_reason_B="  ")
    assert response.status_code == 422
    assert "Cần nêu lý do không xếp hạng cho từng đơn vị: B." in response.content.decode()
    assert 'value="B" checked' in response.content.decode()
    assert not Publication.objects.exists()


def test_a_date_not_in_dd_mm_yyyy_is_refused(as_appraiser, appraised):
    response = publish(as_appraiser, appraised, decision="766/QĐ-UBND", decision_date="2023-13-45")
    assert response.status_code == 422
    assert "Ngày quyết định phải có dạng dd/mm/yyyy." in response.content.decode()
    assert not Publication.objects.exists()


# --- publishing ---------------------------------------------------------------------------


def test_publish_freezes_the_results_and_lands_on_the_results_page(
    as_appraiser, appraised, appraiser
):
    response = publish(as_appraiser, appraised, decision="766/QĐ-UBND", decision_date="16/03/2023")
    assert response.status_code == 302
    publication = Publication.objects.get()
    assert (publication.version, publication.decision, publication.decision_date) == (
        1, "766/QĐ-UBND", datetime.date(2023, 3, 16)
    )
    assert publication.published_by == appraiser
    assert {code: row[:4] for code, row in results_of(publication).items()} == {
        "A": (D("8.75"), D("87.5"), 1, 2),
        "B": (D(8), D(80), 2, 2),
    }
    assert AuditEvent.objects.filter(action="period_published", user=appraiser).count() == 1
    # The PDF is not rendered inside the request; the first download renders and stores it.
    assert not publication.ranking_pdf
    page = as_appraiser.get(response["Location"]).content.decode()
    assert "Đã công bố kết quả lần 1 (Quyết định số 766/QĐ-UBND)." in page
    assert "Quyết định số 766/QĐ-UBND ngày 16/03/2023" in page
    pdf = as_appraiser.get(reverse("reports:results_pdf", args=[appraised.code]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    publication.refresh_from_db()
    assert publication.ranking_pdf.name.endswith(".pdf")


def test_a_published_period_offers_reopening_not_a_second_publish(as_appraiser, appraised):
    publish(as_appraiser, appraised, decision="766/QĐ-UBND")
    page = as_appraiser.get(url(appraised)).content.decode()
    assert "Mở lại để điều chỉnh" in page and 'id="publish-form"' not in page
    response = publish(as_appraiser, appraised, decision="2/QĐ", reason="thử")
    assert response.status_code == 422
    assert "Mở lại để điều chỉnh trước khi công bố lần mới." in response.content.decode()
    assert Publication.objects.count() == 1


def test_version_two_needs_a_reason_and_leaves_version_one_intact(as_appraiser, appraised):
    publish(as_appraiser, appraised, decision="766/QĐ-UBND", decision_date="16/03/2023")
    first = Publication.objects.get()
    frozen = results_of(first)

    response = as_appraiser.post(url(appraised), {"action": "reopen", "reopen_reason": " "})
    assert response.status_code == 422
    assert "Vui lòng nêu lý do mở lại" in response.content.decode()
    response = as_appraiser.post(
        url(appraised), {"action": "reopen", "reopen_reason": "Sai điểm tiêu chí 2.1 của xã B"}
    )
    assert response.status_code == 302 and response["Location"] == url(appraised)
    appraised.refresh_from_db()
    assert appraised.status == Period.Status.APPRAISAL
    page = as_appraiser.get(url(appraised)).content.decode()
    assert "Công bố kết quả lần 2" in page and "bắt buộc khi công bố lần 2" in page
    assert "<strong>2/2</strong> hồ sơ đã thẩm định" in page

    appraise(appraised, {"B": {"1.1": "2", "1.2": "4", "2.1": "4"}})  # the correction: 10
    response = publish(as_appraiser, appraised, decision="800/QĐ-UBND")
    assert response.status_code == 422
    assert "công bố lần 2 cần nêu lý do điều chỉnh" in response.content.decode()
    assert Publication.objects.count() == 1

    response = publish(
        as_appraiser, appraised, decision="800/QĐ-UBND", decision_date="20/04/2023",
        reason="Điều chỉnh điểm tiêu chí 2.1 của thị trấn Ninh Giang",
    )
    assert response.status_code == 302
    second = Publication.objects.get(version=2)
    assert second.reason == "Điều chỉnh điểm tiêu chí 2.1 của thị trấn Ninh Giang"
    assert results_of(second)["B"][:3] == (D(10), D(100), 1)
    first.refresh_from_db()
    assert (first.decision, first.decision_date) == ("766/QĐ-UBND", datetime.date(2023, 3, 16))
    assert results_of(first) == frozen


def test_an_unknown_action_is_refused(as_appraiser, appraised):
    response = as_appraiser.post(url(appraised), {"action": "delete"})
    assert response.status_code == 422
    assert "Chọn thao tác" in response.content.decode()


# --- query count --------------------------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 40])
def test_page_query_count_does_not_grow_with_communes(
    as_appraiser, units, extra, django_assert_num_queries
):
    """session, user, memberships, the period, counts per status, the waiting assessments
    with their communes; the preview refused (savepoint, the period locked, the provisional
    assessments to settle, the assessments locked, the drafts still open, rollback); the
    latest publication, the stage (2), the bell's unread count (parents of the unit come with
    the period)."""
    add_communes(units["district"], extra)
    today = datetime.date.today()
    period = make_period(
        units["district"], opens_on=today - datetime.timedelta(days=40),
        self_assessment_due=today - datetime.timedelta(days=10),
    )
    appraise(period, {"A": SCORES["A"]})
    with django_assert_num_queries(16):
        response = as_appraiser.get(url(period))
    assert response.status_code == 200
    assert f"<strong>1/{2 + extra}</strong>" in response.content.decode()


def test_page_query_count_of_a_published_period(as_appraiser, appraised, django_assert_num_queries):
    appraise_all(appraised)
    publish(as_appraiser, appraised, decision="1/QĐ")
    # as above without a preview, and the stage reads no reply (published), the bell
    with django_assert_num_queries(10):
        assert as_appraiser.get(url(appraised)).status_code == 200


@pytest.mark.parametrize("extra", [0, 40])
def test_the_preview_query_count_does_not_grow_with_communes(
    as_appraiser, units, extra, django_assert_max_num_queries
):
    """The page with a preview: the page's own reads, publishing's transaction rolled back,
    the ranking's fields and results."""
    add_communes(units["district"], extra)
    period = make_period(units["district"])
    appraise_all(period)
    with django_assert_max_num_queries(35):
        response = as_appraiser.get(url(period))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="grid ranking-grid"' in page and "Xã Đồng Tâm" in page
    assert not Publication.objects.exists()
