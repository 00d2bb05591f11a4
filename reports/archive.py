"""reports.zip (docs/design.md §7 ◆): every commune report, the ranking PDF and the XLSX of one
publication version in one ZIP, built once by a job (reports.tasks) and stored as that job's
result file. The ZIP is written to a temporary file first and handed to the storage whole:
the job points at it only then, so a half-written ZIP is never served."""

from __future__ import annotations

import shutil
import tempfile
import zipfile

from django.core.files import File
from django.urls import reverse

from jobs.models import Job

from . import pdf
from .excel import ranking_xlsx

KIND = "reports.zip"


def archive_key(publication) -> str:
    return f"{KIND}:{publication.pk}"


def archive_filename(publication) -> str:
    return f"bao-cao-{publication.period.code}-lan-{publication.version}.zip"


def archive_url(publication) -> str:
    url = reverse("reports:reports_zip", args=[publication.period.code])
    return f"{url}?version={publication.version}"


def built_archive(publication) -> Job | None:
    """The job that built this version's ZIP, if one did (its result is the ZIP)."""
    return (
        Job.objects.filter(key=archive_key(publication), state=Job.State.DONE)
        .exclude(result="")
        .order_by("finished_at")
        .first()
    )


def build_archive(publication, report) -> tuple[str, File]:
    """Store whatever PDF is missing, then write the ZIP; (name, File) for the job's result."""
    results = pdf.store_publication_pdfs(publication, report, extra_steps=1)
    total = len(results) + 2
    handle = tempfile.TemporaryFile(suffix=".zip")
    with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
        for result in results:
            with result.report_pdf.open("rb") as source, archive.open(
                pdf.report_filename(publication, result.commune.code), "w"
            ) as target:
                shutil.copyfileobj(source, target, 1024 * 1024)
        with publication.ranking_pdf.open("rb") as source, archive.open(
            pdf.ranking_filename(publication), "w"
        ) as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        stem = pdf.ranking_filename(publication).removesuffix(".pdf")
        archive.writestr(f"{stem}.xlsx", ranking_xlsx(publication))
    report(total, total)
    handle.seek(0)
    return archive_filename(publication), File(handle, name=archive_filename(publication))
