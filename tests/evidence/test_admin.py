"""Evidence in the admin: read-only file facts, bounded queries, and the download link going
through the permission-checked /evidence/<id>/ view, never a media URL."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from evidence.models import Evidence
from evidence.services import add_evidence_files
from scoring.models import Score
from tests.evidence.builders import pdf_bytes
from tests.factories import make_period, make_unit, make_user

pytestmark = pytest.mark.django_db


def upload_evidence(score, by, name="ke-hoach.pdf", text="Ke hoach CCHC"):
    uploads = [SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")]
    items, _ = add_evidence_files(score, uploads, by=by)
    return items[0]


@pytest.fixture
def evidence(period, officer):
    score = Score.objects.select_related("assessment__period", "criterion").get(
        assessment__period=period, assessment__commune__code="A", criterion__code="1.1"
    )
    item = upload_evidence(score, officer)
    item.scores.add(Score.objects.get(assessment=score.assessment, criterion__code="1.2"))
    return item


# Pinned after one warm-up request. Changelist: session, user (2), counts (2), one page of
# rows joined with commune, period and uploader (1), the periods and content types of the
# filters (2). Change page: session, user, the evidence with its joins, the criteria it proves.
LIST_BOUND, CHANGE_BOUND = 7, 4


def test_list_and_page_answer_in_bounded_queries(
    admin_client, evidence, period, officer, admin_user, django_assert_max_num_queries
):
    change = f"/admin/evidence/evidence/{evidence.pk}/change/"
    admin_client.get("/admin/evidence/evidence/"), admin_client.get(change)  # warm-up
    with django_assert_max_num_queries(LIST_BOUND) as few:
        assert admin_client.get("/admin/evidence/evidence/").status_code == 200
    with django_assert_max_num_queries(CHANGE_BOUND) as few_change:
        assert admin_client.get(change).status_code == 200
    # 20 more communes with a period of their own, and a file for every one of their scores.
    for i in range(20):
        make_unit(f"X{i:03}", f"Xã Thử {i}", "xa", period.unit)
    big = make_period(period.unit, code="P2025", year=2025)
    uploader = make_user("canbo_nhieu")
    for number, score in enumerate(
        Score.objects.filter(assessment__period=big).select_related("assessment__period")
    ):
        upload_evidence(score, uploader, name=f"tep-{number}.pdf", text=f"Tep {number}")
    for other in Score.objects.filter(assessment=evidence.assessment).exclude(evidence=evidence):
        evidence.scores.add(other)
    with django_assert_max_num_queries(LIST_BOUND) as many:
        assert admin_client.get("/admin/evidence/evidence/").status_code == 200
    assert len(many) == len(few)
    with django_assert_max_num_queries(CHANGE_BOUND) as many_change:
        assert admin_client.get(change).status_code == 200
    assert len(many_change) == len(few_change)


def test_page_shows_file_facts_and_links_to_the_checked_download(admin_client, evidence):
    page = admin_client.get(f"/admin/evidence/evidence/{evidence.pk}/change/").content.decode()
    assert "ke-hoach.pdf" in page and evidence.sha256 in page and "application/pdf" in page
    assert "1.1, 1.2" in page  # the criteria it proves
    assert f'href="/evidence/{evidence.pk}/"' in page
    assert evidence.file.name not in page and "/media/" not in page
    assert 'name="_save"' not in page  # view only
    page = admin_client.get("/admin/evidence/evidence/").content.decode()
    assert f'href="/evidence/{evidence.pk}/"' in page and evidence.file.name not in page
    # The link serves the file to the superuser through the permission check.
    response = admin_client.get(f"/evidence/{evidence.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")


def test_nobody_adds_changes_or_deletes_evidence_here(admin_client, evidence):
    assert admin_client.get("/admin/evidence/evidence/add/").status_code == 403
    url = f"/admin/evidence/evidence/{evidence.pk}/"
    assert admin_client.post(f"{url}change/", {"original_name": "khac.pdf"}).status_code == 403
    assert admin_client.post(f"{url}delete/", {"post": "yes"}).status_code == 403
    evidence.refresh_from_db()
    assert evidence.original_name == "ke-hoach.pdf"


def test_non_staff_and_staff_without_permission(client, evidence, officer):
    client.force_login(officer)
    response = client.get("/admin/evidence/evidence/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(make_user("nhanvien", is_staff=True))
    assert client.get("/admin/evidence/evidence/").status_code == 403
    assert client.get(f"/admin/evidence/evidence/{evidence.pk}/change/").status_code == 403


def test_search_by_file_name_and_filter_by_period(admin_client, evidence, period):
    page = admin_client.get("/admin/evidence/evidence/?q=ke-hoach").content.decode()
    assert "ke-hoach.pdf" in page
    page = admin_client.get("/admin/evidence/evidence/?q=khong-co").content.decode()
    assert "ke-hoach.pdf" not in page
    page = admin_client.get(
        f"/admin/evidence/evidence/?assessment__period__id__exact={period.pk}"
    ).content.decode()
    assert "ke-hoach.pdf" in page and Evidence.objects.count() == 1
