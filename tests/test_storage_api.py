"""Files only through Django's storage API (docs/design.md §10): the evidence and stored-PDF flows
run against InMemoryStorage, which has no `.path` and writes nothing to disk, so any code path
that built a path under MEDIA_ROOT or opened a file by path would fail here. The same flows
run on S3 (django-storages) by setting; STORAGE_BACKEND is read by cchc.settings."""

import importlib.util
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import InMemoryStorage, Storage, storages
from django.urls import reverse

from cchc import settings as project_settings
from evidence.models import Evidence
from reports.pdf import store_ranking_pdf
from scoring.models import Assessment, Publication, Score
from scoring.services.publishing import publish_period
from tests.evidence.builders import image_bytes, pdf_bytes, upload
from tests.reports.test_publish_integration import DECISION, appraised_period, pdf_text

pytestmark = pytest.mark.django_db

PARTIAL = {"HTTP_X_AUTOSAVE": "1"}


class NoPathStorage(Storage):
    """Django's in-memory storage behind the bare Storage API, with no `.path` (like S3):
    InMemoryStorage itself resolves made-up local paths, so it is wrapped, not subclassed."""

    def __init__(self):
        self.inner = InMemoryStorage(location="/nonexistent-cchc-media")

    def _open(self, name, mode="rb"):
        return self.inner._open(name, mode)

    def _save(self, name, content):
        return self.inner._save(name, content)

    def delete(self, name):
        self.inner.delete(name)

    def exists(self, name):
        return self.inner.exists(name)

    def listdir(self, path):
        return self.inner.listdir(path)

    def size(self, name):
        return self.inner.size(name)

    def url(self, name):
        raise NotImplementedError("Evidence is never served by URL.")


@pytest.fixture
def memory_storage(settings, media_root):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "tests.test_storage_api.NoPathStorage"},
    }
    storage = storages["default"]
    assert isinstance(storage, NoPathStorage)
    with pytest.raises(NotImplementedError):
        storage.path("x")  # what a path-building code path would hit
    yield storage
    assert not Path(media_root).exists() or not any(Path(media_root).rglob("*")), (
        "nothing may reach MEDIA_ROOT while the default storage is not the filesystem"
    )


def test_evidence_upload_download_and_removal_through_the_storage_api(
    client, officer, appraiser, period, units, memory_storage, django_capture_on_commit_callbacks
):
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    score = Score.objects.get(assessment=assessment, criterion__code="1.1")
    content, picture = pdf_bytes("Ke hoach 2024"), image_bytes("PNG")
    client.force_login(officer)
    response = client.post(
        reverse("evidence:add", args=[score.pk]),
        {"files": [upload("Kế hoạch 2024.pdf", content), upload("Ảnh.png", picture)]},
        **PARTIAL,
    )
    assert response.status_code == 200, response.content.decode()[:500]
    pdf_item = Evidence.objects.get(original_name="Kế hoạch 2024.pdf")
    assert memory_storage.exists(pdf_item.file.name)
    with memory_storage.open(pdf_item.file.name, "rb") as handle:
        assert handle.read() == content

    response = client.get(reverse("evidence:download", args=[pdf_item.pk]))
    assert response.status_code == 200 and response.streaming
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "K%E1%BA%BF%20ho%E1%BA%A1ch%202024.pdf" in response["Content-Disposition"]
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert "Ke hoach 2024" in pdf_text(content)

    # The same permission checks: the appraiser before the commune submits gets 403.
    client.force_login(appraiser)
    assert client.get(reverse("evidence:download", args=[pdf_item.pk])).status_code == 403

    client.force_login(officer)
    name = pdf_item.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("evidence:remove", args=[pdf_item.pk, score.pk]), **PARTIAL
        )
    assert response.status_code == 200
    assert not memory_storage.exists(name), "the file leaves the storage with its last use"


def test_stored_ranking_pdf_is_written_and_served_through_the_storage_api(
    client, units, appraiser, leader, memory_storage, django_capture_on_commit_callbacks
):
    period = appraised_period(units)
    with django_capture_on_commit_callbacks(execute=True):
        publish_period(period, by=appraiser, after_commit=store_ranking_pdf, **DECISION)
    stored = Publication.objects.get(period=period).ranking_pdf
    assert stored.name and memory_storage.exists(stored.name)
    with memory_storage.open(stored.name, "rb") as handle:
        kept = handle.read()

    client.force_login(leader)
    response = client.get(f"/periods/{period.code}/results.pdf")
    assert response.status_code == 200 and response.streaming
    served = b"".join(response.streaming_content)
    assert served == kept, "served from the storage, not rendered again"
    assert response["Content-Disposition"] == (
        f'attachment; filename="xep-hang-{period.code}-lan-1.pdf"'
    )
    assert "Quyết định số 766/QĐ-UBND" in pdf_text(served)


def test_a_missing_stored_pdf_is_rendered_once_and_stored(
    client, units, appraiser, leader, memory_storage
):
    period = appraised_period(units)
    publish_period(period, by=appraiser, **DECISION)  # no after-commit rendering
    client.force_login(leader)
    first = b"".join(client.get(f"/periods/{period.code}/results.pdf").streaming_content)
    stored = Publication.objects.get(period=period).ranking_pdf
    assert memory_storage.exists(stored.name)
    second = b"".join(client.get(f"/periods/{period.code}/results.pdf").streaming_content)
    assert first == second and first.startswith(b"%PDF")


def test_an_import_job_keeps_its_file_through_the_storage_api(
    admin_client, units, memory_storage, settings, django_capture_on_commit_callbacks
):
    """A web import over IMPORT_JOB_KB: the upload is stored, the task reads it back from the
    storage (no path), and it leaves the storage once the job finished."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from communes.models import Unit
    from jobs.models import Job

    settings.IMPORT_JOB_MIN_BYTES = 10
    body = "code,name,kind,parent_code\nE,Xã Mới,xa,D1\nF,Xã Sau,xa,D1\n".encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/communes/unit/import/", {"file": SimpleUploadedFile("moi.csv", body)}
        )
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:job", args=[job.pk])
    assert job.state == "done", job.error
    assert set(Unit.objects.filter(code__in="EF").values_list("parent__code", flat=True)) == {"D1"}
    assert memory_storage.listdir("imports") == ([], [])


def test_healthz_full_probes_the_storage_and_leaves_nothing(client, memory_storage):
    response = client.get("/healthz?full=1")
    assert response.status_code == 200
    assert "Kho tệp: ok" in response.content.decode()
    assert memory_storage.listdir("healthz") == ([], [])


# --- STORAGE_BACKEND ------------------------------------------------------------------------


def test_filesystem_is_the_default(monkeypatch):
    monkeypatch.delenv("STORAGE_BACKEND", raising=False)
    assert project_settings.env_file_storage() == {
        "BACKEND": "django.core.files.storage.FileSystemStorage"
    }


def test_s3_is_configured_from_the_environment(monkeypatch):
    pytest.importorskip("boto3", reason="boto3 is installed only where S3 is chosen")
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.setenv("AWS_STORAGE_BUCKET_NAME", "cchc-tinh")
    monkeypatch.setenv("AWS_S3_ENDPOINT_URL", "http://127.0.0.1:9000")
    config = project_settings.env_file_storage()
    assert config["BACKEND"] == "storages.backends.s3.S3Storage"
    assert config["OPTIONS"]["bucket_name"] == "cchc-tinh"
    assert config["OPTIONS"]["endpoint_url"] == "http://127.0.0.1:9000"
    assert config["OPTIONS"]["default_acl"] is None


def test_s3_without_boto3_or_bucket_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "s3")
    monkeypatch.delenv("AWS_STORAGE_BUCKET_NAME", raising=False)
    with pytest.raises(ImproperlyConfigured, match="boto3|AWS_STORAGE_BUCKET_NAME"):
        project_settings.env_file_storage()
    monkeypatch.setenv("STORAGE_BACKEND", "ftp")
    with pytest.raises(ImproperlyConfigured, match="filesystem' or 's3'"):
        project_settings.env_file_storage()


def test_s3_storage_class_is_installed():
    """The pinned django-storages provides the module the s3 setting names."""
    assert importlib.util.find_spec("storages.backends.s3") is not None


def test_every_storage_variable_is_documented_in_the_readme():
    import inspect
    import re

    source = inspect.getsource(project_settings.env_file_storage)
    names = set(re.findall(r'"((?:STORAGE|AWS)_[A-Z0-9_]+)"', source))
    assert {"STORAGE_BACKEND", "AWS_STORAGE_BUCKET_NAME", "AWS_S3_ENDPOINT_URL"} <= names
    readme = (Path(project_settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    assert sorted(name for name in names if f"`{name}" not in readme) == []
