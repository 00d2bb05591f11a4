"""Imports started from web pages as jobs (issue 13): a file over IMPORT_JOB_KB, on an admin
import page or the survey page, is stored, imported by a task (a Celery worker on Redis, or
in-process without a broker), and followed on the job page: progress, then the page's summary
or the row errors, with nothing written. Only the starter and the staff of the job's unit see
the job; the stored file is gone once it finished."""

import re
from decimal import Decimal as D

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from communes.models import Unit
from jobs import services
from jobs.models import Job
from scoring.models import CriteriaSet, Criterion, Method, Score

from ..factories import make_period
from .conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def as_job(settings):
    """Every file over 100 bytes is imported by a job."""
    settings.IMPORT_JOB_MIN_BYTES = 100


@pytest.fixture
def reports(monkeypatch):
    """Every progress report of the jobs: (done, total, note)."""
    seen = []
    original = services._report

    def spy(job_id):
        report = original(job_id)

        def recording(done, total, note=None):
            seen.append((done, total, note))
            report(done, total, note)

        return recording

    monkeypatch.setattr(services, "_report", spy)
    return seen


def units_file(rows: int, kind: str = "xa") -> SimpleUploadedFile:
    lines = ["code,name,kind,parent_code"]
    lines += [f"N{i:03},Xã Nhập {i},{kind},D1" for i in range(rows)]
    return SimpleUploadedFile("don-vi-moi.csv", ("\n".join(lines) + "\n").encode())


def started_job(response) -> Job:
    assert response.status_code == 302, response.content.decode()[:2000]
    found = re.fullmatch(r"/jobs/(\d+)/", response["Location"])
    assert found, response["Location"]
    return Job.objects.get(pk=found[1])


def stored_imports() -> list[str]:
    return default_storage.listdir("imports")[1] if default_storage.exists("imports") else []


def test_a_big_units_file_is_imported_by_a_job(mode, as_job, reports, client, units, admin_user):
    client.force_login(admin_user)
    response = client.post("/admin/communes/unit/import/", {"file": units_file(30)})
    job = wait_for(started_job(response))
    assert (job.state, job.done, job.total, job.error) == ("done", 30, 30, "")
    assert job.kind == "communes.import_admin_file" and job.started_by == admin_user
    assert Unit.objects.filter(code__startswith="N", parent__code="D1").count() == 30
    # Progress: the whole file checked, then written, then the page's own summary.
    summary = "Đã nhập tệp đơn vị hành chính: thêm mới 30, cập nhật 0, không đổi 0."
    assert reports == [
        (0, 30, "Đang kiểm tra cả tệp “don-vi-moi.csv” (30 dòng)…"),
        (30, 30, "Đã kiểm tra 30 dòng, không có lỗi; đang ghi vào cơ sở dữ liệu…"),
        (30, 30, summary),
    ]
    page = client.get(response["Location"]).content.decode()
    assert summary in page and "Đã xong" in page
    assert 'href="/admin/communes/unit/import/"' in page  # back to the import page
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["state"] == "done" and status["percent"] == 100
    assert status["note"] == [summary] and status["errors"] == [] and status["error"] == ""
    assert stored_imports() == []  # the uploaded file is gone


def test_a_bad_file_fails_the_job_with_every_row_error_and_writes_nothing(
    mode, as_job, client, units, admin_user
):
    client.force_login(admin_user)
    response = client.post("/admin/communes/unit/import/", {"file": units_file(250, kind="làng")})
    job = wait_for(started_job(response))
    assert job.state == "failed"
    assert job.error_message == "Không nhập dòng nào: tệp có 250 lỗi, hãy sửa rồi nhập lại cả tệp."
    # Capped as the reader caps them: the first 200, then how many more.
    assert len(job.error_details) == 201 and job.error_details[-1] == "… và 50 lỗi khác."
    assert job.error_details[0].startswith("Dòng 2, cột kind:")
    assert not Unit.objects.filter(code__startswith="N").exists()
    page = client.get(response["Location"]).content.decode()
    assert page.count("<li>Dòng ") == 200 and "<li>… và 50 lỗi khác.</li>" in page
    assert "Dòng 201, cột kind" in page and "Dòng 202," not in page and "Thất bại" in page
    status = client.get(reverse("jobs:status", args=[job.pk])).json()
    assert status["state"] == "failed" and len(status["errors"]) == 201
    assert status["back_url"] == "/admin/communes/unit/import/"
    assert stored_imports() == []


def test_a_small_file_is_still_imported_in_the_request(client, units, admin_user, settings):
    settings.IMPORT_JOB_MIN_BYTES = 100_000
    client.force_login(admin_user)
    response = client.post("/admin/communes/unit/import/", {"file": units_file(3)})
    assert response.status_code == 302 and response["Location"] == "/admin/communes/unit/"
    assert not Job.objects.exists() and Unit.objects.filter(code__startswith="N").count() == 3


def test_the_criteria_page_passes_its_fields_to_the_job(mode, as_job, client, admin_user):
    client.force_login(admin_user)
    body = (
        "code,parent_code,name,max_points,method\n"
        "I,,Lĩnh vực I,60,self_assessed\nI.1,I,Tiêu chí một,60,self_assessed\n"
        "II,,Lĩnh vực II,40,self_assessed\nII.1,II,Tiêu chí hai,40,survey\n"
    ).encode()
    response = client.post(
        "/admin/scoring/criterion/import/",
        {"file": SimpleUploadedFile("bo.csv", body), "code": "BTC-2025", "name": "Bộ 2025",
         "total": "100", "legal_basis": "", "previous": ""},
    )
    job = wait_for(started_job(response))
    assert job.state == "done", job.error
    criteria_set = CriteriaSet.objects.get(code="BTC-2025")
    assert criteria_set.name == "Bộ 2025"
    assert Criterion.objects.get(criteria_set=criteria_set, code="II.1").method == Method.SURVEY
    assert job.note == "Đã nhập bộ tiêu chí BTC-2025 (4 tiêu chí)."
    # Back to where the page itself goes after an import: the new set.
    assert job.back_url == f"/admin/scoring/criteriaset/{criteria_set.pk}/change/"


def test_an_admin_import_job_is_seen_by_its_starter_and_superusers_only(
    as_job, client, units, admin_user, appraiser
):
    client.force_login(admin_user)
    job = started_job(client.post("/admin/communes/unit/import/", {"file": units_file(30)}))
    other = type(admin_user).objects.create_user("quantri2", is_staff=True)
    for user in (appraiser, other):
        client.force_login(user)
        assert client.get(reverse("jobs:job", args=[job.pk])).status_code == 404
        assert client.get(reverse("jobs:status", args=[job.pk])).status_code == 404
    # Another administrator of the whole installation follows it (the admin lists every job).
    client.force_login(type(admin_user).objects.create_superuser("quantri3"))
    assert client.get(reverse("jobs:job", args=[job.pk])).status_code == 200
    assert client.get(reverse("jobs:status", args=[job.pk])).json()["state"] == "done"


@pytest.fixture
def survey_period(units):
    period = make_period(units["district"])
    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(method=Method.SIPAS)
    return period


def test_the_survey_page_imports_a_big_file_by_a_job_seen_by_the_units_staff(
    mode, as_job, client, survey_period, appraiser, leader, far_appraiser, other_officer
):
    client.force_login(appraiser)
    target = reverse("scoring:survey", args=[survey_period.code])
    body = "commune_code,criterion_code,value,sample_size\n" + "A,2.1,\"87,5\",300\nB,2.1,50,120\n"
    body += "# " + "một dòng hướng dẫn dài để tệp lớn hơn ngưỡng " * 3 + "\n"
    response = client.post(
        target, {"file": SimpleUploadedFile("xhh.csv", body.encode()), "as_percent": "1"}
    )
    job = wait_for(started_job(response))
    assert job.state == "done", job.error
    assert job.unit == survey_period.unit and job.kind == "scoring.import_survey_file"
    assert job.note.startswith("Đã nhập 2 điểm của 1 tiêu chí cho 2 đơn vị từ tệp “xhh.csv”")
    assert Score.objects.get(assessment__commune__code="A", criterion__code="2.1").appraised_score == D("3.5")
    # The district's staff see it; another district's appraiser and a commune officer do not.
    client.force_login(leader)
    page = client.get(response["Location"])
    assert page.status_code == 200 and "Đã nhập 2 điểm" in page.content.decode()
    assert f'href="{target}"' in page.content.decode()
    for user in (far_appraiser, other_officer):
        client.force_login(user)
        assert client.get(response["Location"]).status_code == 404
    assert stored_imports() == []


def test_a_bad_survey_file_fails_its_job_and_writes_nothing(mode, as_job, client, survey_period, appraiser):
    client.force_login(appraiser)
    body = "commune_code,criterion_code,value\n" + "A,2.1,9\n" + "ZZ,2.1,1\n" * 10 + "B,9.9,1\n"
    response = client.post(
        reverse("scoring:survey", args=[survey_period.code]),
        {"file": SimpleUploadedFile("sai.csv", body.encode())},
    )
    job = wait_for(started_job(response))
    assert job.state == "failed"
    assert job.error_message.startswith("Không nhập dòng nào: tệp có ")
    assert any(line.startswith("Dòng 2, cột value") for line in job.error_details)
    assert any(line.startswith("Dòng 13, cột criterion_code") for line in job.error_details)
    assert not Score.objects.filter(appraised_score__isnull=False, criterion__code="2.1").exists()
    assert stored_imports() == []


def test_the_daily_sweep_deletes_files_left_by_import_jobs_that_ended_elsewhere(db, settings):
    """A worker that died for good leaves its stored file: once the job is failed as stale,
    celery beat's jobs.sweep_import_files deletes it; a running job's file is kept."""
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from jobs.models import Job
    from jobs.tasks import sweep_import_files

    left = default_storage.save("imports/bo-lai.csv", ContentFile(b"code\n"))
    running = default_storage.save("imports/dang-chay.csv", ContentFile(b"code\n"))
    quiet = timezone.now() - timedelta(minutes=settings.JOB_STALE_MINUTES + 1)
    dead = Job.objects.create(kind="communes.import_admin_file", title="Nhập", key=f"import:{left}",
                              state=Job.State.RUNNING)
    Job.objects.filter(pk=dead.pk).update(updated_at=quiet)
    Job.objects.create(kind="communes.import_admin_file", title="Nhập", key=f"import:{running}",
                       state=Job.State.RUNNING)
    assert sweep_import_files.delay().get() == 1
    assert not default_storage.exists(left) and default_storage.exists(running)
    assert Job.objects.get(pk=dead.pk).state == Job.State.FAILED
    from cchc.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["import-files"]
    assert entry["task"] == sweep_import_files.name and sweep_import_files.name in app.tasks
