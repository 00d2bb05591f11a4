"""Long report work off the request (issue 13): after a publication commits, a job renders
and stores the ranking PDF and every commune report once; reports.zip is built once by a job
and served from storage. Each flow runs twice: with a real Celery worker on Redis, and with no
broker (in-process). PDFs, ZIPs and XLSX are read back."""

import io
import threading
import time
import zipfile
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from jobs.models import STALE_MESSAGE, Job
from notifications.models import Kind, Notification
from reports import tasks
from scoring.models import FrozenError, Result

from ..reports.builders import make_published_period
from ..scoring.publish_data import appraise
from .conftest import wait_for


@pytest.fixture
def renders(monkeypatch):
    """Which thread rendered which PDF (the real renderer still runs)."""
    from reports import pdf

    seen = []
    ranking, report = pdf.ranking_pdf, pdf.commune_report_pdf

    def ranking_spy(publication):
        seen.append(("ranking", threading.current_thread() is threading.main_thread()))
        return ranking(publication)

    def report_spy(result):
        seen.append((result.commune.code, threading.current_thread() is threading.main_thread()))
        return report(result)

    monkeypatch.setattr(pdf, "ranking_pdf", ranking_spy)
    monkeypatch.setattr(pdf, "commune_report_pdf", report_spy)
    return seen


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.mark.django_db(transaction=True)
def test_publishing_from_the_page_stores_every_report_once(
    mode, renders, client, units, appraiser, officer
):
    from datetime import date

    from ..factories import make_period

    period = make_period(
        units["district"],
        opens_on=date.today() - timedelta(days=40),
        self_assessment_due=date.today() - timedelta(days=10),
    )
    appraise(period, {"A": {"1.1": "2", "1.2": "3,5", "2.1": "3,25"},
                      "B": {"1.1": "1", "1.2": "3", "2.1": "4"}})
    client.force_login(appraiser)
    response = client.post(
        reverse("reports:publish", args=[period.code]),
        {"action": "publish", "decision": "7/QĐ-UBND", "confirm_decision": "7/QĐ-UBND"},
    )
    assert response.status_code == 302
    job = wait_for(Job.objects.get(kind="reports.render_publication"))
    assert (job.state, job.done, job.total, job.error) == ("done", 3, 3, "")
    assert job.started_by == appraiser and job.unit == units["district"]
    # The notice went out as a task too (queued after the rendering: wait for it).
    notices = Notification.objects.filter(recipient=officer, kind=Kind.PUBLISHED)
    deadline = time.monotonic() + 60
    while not notices.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert notices.count() == 1
    # Rendered once each, by the worker's thread with a broker, in the request without one.
    assert sorted(code for code, _ in renders) == ["A", "B", "ranking"]
    assert {main for _, main in renders} == {mode == "in-process"}
    results = Result.objects.filter(publication__period=period).select_related("commune")
    for result in results:
        with result.report_pdf.open("rb") as stored:
            assert result.commune.name in pdf_text(stored.read())
    # A download never renders again.
    renders.clear()
    answer = client.get(reverse("reports:commune_report", args=[period.code, "A"]))
    assert answer.status_code == 200 and units["commune"].name in pdf_text(answer.content)
    answer = client.get(reverse("reports:results_pdf", args=[period.code]))
    assert answer.status_code == 200
    assert renders == []


@pytest.mark.django_db(transaction=True)
def test_reports_zip_is_built_once_by_a_job_and_served_whole(mode, client, units, appraiser):
    # 20 communes with the worker; 4 in-process (the same code path, a quarter of the renders).
    count = 20 if mode == "worker" else 4
    publication = make_published_period(units, count=count)
    period = publication.period
    client.force_login(appraiser)
    url = reverse("reports:reports_zip", args=[period.code])
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/jobs/")
    job = Job.objects.get(key=f"reports.zip:{publication.pk}")
    assert response["Location"] == reverse("jobs:job", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f'data-job-status="{reverse("jobs:status", args=[job.pk])}"' in page.content.decode()
    job = wait_for(job)
    assert (job.state, job.done, job.total) == ("done", count + 2, count + 2), job.error
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["percent"] == 100 and status["next_url"] == f"{url}?version=1"

    started = time.perf_counter()
    download = client.get(status["next_url"])
    first_byte = next(iter(download.streaming_content))
    elapsed = time.perf_counter() - started
    assert download.status_code == 200 and download["Content-Type"] == "application/zip"
    assert "bao-cao-NG-2022-lan-1.zip" in download["Content-Disposition"]
    assert elapsed < 1.0, f"first byte after {elapsed:.3f} s"
    data = first_byte + b"".join(download.streaming_content)
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = sorted(archive.namelist())
    codes = sorted(publication.results.values_list("commune__code", flat=True))
    assert names == sorted(
        [f"bao-cao-NG-2022-{code}-lan-1.pdf" for code in codes]
        + ["xep-hang-NG-2022-lan-1.pdf", "xep-hang-NG-2022-lan-1.xlsx"]
    )
    assert len(codes) == count
    assert "Đồng Tâm" in pdf_text(archive.read("bao-cao-NG-2022-A-lan-1.pdf"))
    assert "XẾP HẠNG" in pdf_text(archive.read("xep-hang-NG-2022-lan-1.pdf")).upper()
    sheet = openpyxl.load_workbook(io.BytesIO(archive.read("xep-hang-NG-2022-lan-1.xlsx"))).active
    cells = [c for row in sheet.iter_rows(values_only=True) for c in row]
    assert "Xã Đồng Tâm" in cells or any("Đồng Tâm" in str(c) for c in cells)

    # Built once: asking again serves the stored ZIP, no new job, nothing rendered.
    again = client.get(url)
    assert again.status_code == 200
    assert Job.objects.filter(key=job.key).count() == 1


def test_reports_zip_follows_the_results_permissions(
    client, publication, officer, leader, far_appraiser, django_capture_on_commit_callbacks
):
    url = reverse("reports:reports_zip", args=[publication.period.code])
    client.force_login(officer)  # reads the results, but the ZIP holds every commune's report
    assert client.get(url).status_code == 403
    client.force_login(far_appraiser)
    assert client.get(url).status_code == 404
    assert client.get(url + "?version=9").status_code == 404
    assert not Job.objects.exists()
    client.force_login(leader)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.get(url)
    job = Job.objects.get()
    assert response.status_code == 302 and job.state == "queued" and job.started_by == leader
    # The job's page: its starter and the staff of its unit; nobody else learns it exists.
    for user, code in ((leader, 200), (officer, 404), (far_appraiser, 404)):
        client.force_login(user)
        assert client.get(reverse("jobs:job", args=[job.pk])).status_code == code
        assert client.get(reverse("jobs:status", args=[job.pk])).status_code == code


def test_a_job_that_fails_says_why_in_vietnamese(
    client, publication, appraiser, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(publication):
        raise OSError("font missing")

    monkeypatch.setattr("reports.pdf.ranking_pdf", broken)
    client.force_login(appraiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("reports:reports_zip", args=[publication.period.code]))
    job = Job.objects.get()
    assert job.state == "failed" and job.error == tasks.RENDER_ERROR and not job.result
    page = client.get(response["Location"])
    assert tasks.RENDER_ERROR in page.content.decode() and "Thất bại" in page.content.decode()
    assert client.get(reverse("jobs:status", args=[job.pk])).json()["next_url"] == ""


def test_a_job_whose_worker_died_is_marked_failed_not_running_forever(
    client, publication, appraiser, settings, django_assert_max_num_queries
):
    job = Job.objects.create(
        kind="reports.build_reports_zip", title="Đóng gói", key=f"reports.zip:{publication.pk}",
        started_by=appraiser, unit=publication.period.unit, state=Job.State.RUNNING,
        done=5, total=22,
    )
    client.force_login(appraiser)
    status = reverse("jobs:status", args=[job.pk])
    assert client.get(status).json()["state"] == "running"  # still within the allowed time
    Job.objects.filter(pk=job.pk).update(
        updated_at=timezone.now() - timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    )
    with django_assert_max_num_queries(8):
        document = client.get(status).json()
    assert document["state"] == "failed" and document["error"] == STALE_MESSAGE
    # reports.zip starts a new job instead of waiting on the dead one.
    response = client.get(reverse("reports:reports_zip", args=[publication.period.code]))
    assert response.status_code == 302
    assert Job.objects.filter(key=job.key).count() == 2


def test_a_message_delivered_twice_runs_the_job_once(publication, monkeypatch):
    job = tasks.start_archive(publication)  # in a test transaction: nothing sent yet
    calls = []
    monkeypatch.setattr("reports.archive.build_archive", lambda p, report: calls.append(p) or None)
    tasks.build_reports_zip(job.pk, publication.pk)
    tasks.build_reports_zip(job.pk, publication.pk)  # redelivered after the job finished
    job.refresh_from_db()
    assert job.state == "done" and job.attempts == 1 and len(calls) == 1


def test_a_stored_report_is_never_replaced(publication):
    from reports.pdf import publication_results, store_commune_report

    result = publication_results(publication)[0]
    store_commune_report(result)
    name = result.report_pdf.name
    assert name.startswith("reports/NG-2022-lan-1-")
    store_commune_report(result)  # stored: nothing rendered, nothing changed
    assert Result.objects.get(pk=result.pk).report_pdf.name == name
    with pytest.raises(FrozenError):
        result.save(update_fields=["report_pdf"])
    with pytest.raises(FrozenError):
        result.save(update_fields=["total"])


def test_healthz_full_with_a_live_broker(broker, db, client):
    """cchc/health.py pings the broker the workers use (tests/test_storage_api.py has the rest)."""
    response = client.get("/healthz?full=1")
    assert response.status_code == 200
    assert "Hàng đợi công việc: ok" in response.content.decode()


def test_the_results_page_links_the_zip_for_the_appraising_unit_only(
    client, publication, leader, officer, django_assert_max_num_queries
):
    url = reverse("reports:results", args=[publication.period.code])
    link = reverse("reports:reports_zip", args=[publication.period.code])
    client.force_login(leader)
    client.get(url)
    with django_assert_max_num_queries(12):
        page = client.get(url).content.decode()
    assert f'href="{link}"' in page and "Tất cả báo cáo (ZIP)" in page
    client.force_login(officer)
    assert link not in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_ranking_pdf_not_stored_yet_is_rendered_by_a_job_not_in_the_request(
    mode, client, units, appraiser, renders
):
    """With workers, results.pdf never renders in the request (a national ranking takes
    ~40 s): it opens the job page of one ranking job, which comes back to the download once
    the worker has stored it. Without workers the request renders it, as the job would."""
    publication = make_published_period(units, count=3)
    url = reverse("reports:results_pdf", args=[publication.period.code])
    client.force_login(appraiser)
    response = client.get(url)
    if mode == "in-process":
        assert response.status_code == 200 and renders == [("ranking", True)]
        assert not Job.objects.exists()
        return
    assert response.status_code == 302
    job = Job.objects.get(key=f"reports.ranking:{publication.pk}")
    assert response["Location"] == reverse("jobs:job", args=[job.pk])
    # Asked again while it runs: the same job, not a second one.
    assert client.get(url)["Location"] == response["Location"]
    job = wait_for(job)
    assert job.state == "done", job.error
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["next_url"] == f"{url}?version=1"
    download = client.get(status["next_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert "XẾP HẠNG" in pdf_text(b"".join(download.streaming_content)).upper()
    assert renders == [("ranking", False)]  # once, by the worker's thread
    assert Job.objects.filter(key=job.key).count() == 1
