"""A publication's rendering shared by several worker processes (issue 13): the job is sent as
reports.tasks.PARTS messages, each claiming the next PDF nobody renders (a PostgreSQL row lock
held while rendering, SKIP LOCKED), so two processes render about half each, no PDF twice; the
job's progress is the count of stored PDFs, and it is done once all are stored. Without a
broker the parts run one after another in the request. Threads stand for the worker processes
here (tests/jobs/test_worker_lost.py runs real ones); PDFs are read back."""

import threading
import time

import pytest
from django.db import connection, transaction

from jobs.models import Job
from reports import pdf, tasks
from scoring.models import Result

from ..reports.builders import make_published_period
from .test_reports_jobs import pdf_text


def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has no row locks: without a broker the parts run one after another")


@pytest.fixture
def renders(monkeypatch):
    """Which thread rendered which PDF, and the job's progress as each render began (the real
    renderer still runs)."""
    seen = []
    ranking, report = pdf.ranking_pdf, pdf.commune_report_pdf

    def ranking_spy(publication):
        seen.append(("ranking", threading.current_thread().name))
        return ranking(publication)

    def report_spy(result):
        seen.append((result.commune.code, threading.current_thread().name))
        return report(result)

    monkeypatch.setattr(pdf, "ranking_pdf", ranking_spy)
    monkeypatch.setattr(pdf, "commune_report_pdf", report_spy)
    return seen


def render_job(publication) -> Job:
    return Job.objects.create(
        kind=tasks.render_publication.name, title="Tạo PDF", key=f"reports.render:{publication.pk}"
    )


def assert_all_stored_once(publication, renders):
    codes = sorted(publication.results.values_list("commune__code", flat=True))
    assert sorted(code for code, _ in renders) == sorted(["ranking", *codes])
    results = Result.objects.filter(publication=publication).select_related("commune")
    for result in results:
        with result.report_pdf.open("rb") as stored:
            assert result.commune.name in pdf_text(stored.read())
    publication.refresh_from_db()
    with publication.ranking_pdf.open("rb") as stored:
        assert "XẾP HẠNG" in pdf_text(stored.read()).upper()


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_the_rendering_and_render_each_pdf_once(units, renders):
    postgresql_only()
    publication = make_published_period(units, count=8, previous=False)
    job = render_job(publication)
    progress = []
    watching = threading.Event()

    def watch():  # what the job page polls, while the parts run
        while not watching.is_set():
            progress.append(Job.objects.values_list("state", "done", "total").get(pk=job.pk))
            time.sleep(0.05)
        connection.close()

    start = threading.Barrier(2)

    def part():
        try:
            start.wait()
            tasks.render_publication(job.pk, publication.pk, parts=2)
        finally:
            connection.close()

    watcher = threading.Thread(target=watch)
    watcher.start()
    parts = [threading.Thread(target=part, name=f"part-{n}") for n in (1, 2)]
    for thread in parts:
        thread.start()
    for thread in parts:
        thread.join(120)
    watching.set()
    watcher.join()

    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.error) == ("done", 9, 9, "")
    assert job.attempts == 2  # one run per part, nothing run again
    assert_all_stored_once(publication, renders)
    # Both shared it (each PDF takes a few hundred ms: both are at work at the same time).
    by_part = {name: sum(1 for _, who in renders if who == name) for name in ("part-1", "part-2")}
    assert min(by_part.values()) >= 2, by_part
    # Progress n/9 as the PDFs were stored: never backwards, shown while running.
    dones = [done for state, done, _ in progress if state == "running"]
    assert dones == sorted(dones) and 0 < len(set(dones)) and max(dones) <= 9
    # (0/0 for a moment: claimed, not counted yet.)
    assert {(done, total) for state, done, total in progress if state == "running"} <= {
        (0, 0), *((n, 9) for n in range(10))
    }


@pytest.mark.django_db(transaction=True)
def test_without_a_broker_the_parts_run_one_after_another(
    units, renders, django_capture_on_commit_callbacks
):
    publication = make_published_period(units, count=3, previous=False)
    with django_capture_on_commit_callbacks(execute=True):
        job = tasks.start_rendering(publication)
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.error) == ("done", 4, 4, "")
    # The first part did everything; the others found the job done and did nothing.
    assert job.attempts == 1
    assert {who for _, who in renders} == {threading.main_thread().name}
    assert_all_stored_once(publication, renders)


@pytest.mark.django_db(transaction=True)
def test_the_zip_waits_for_a_pdf_another_process_is_rendering(units, renders):
    """reports.zip asked while the rendering job is at a report: the ZIP job waits for it and
    takes the stored file instead of rendering it a second time."""
    postgresql_only()
    publication = make_published_period(units, count=3, previous=False)
    first = Result.objects.select_related("commune").get(publication=publication, commune__code="A")
    first.publication = publication
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        try:
            with transaction.atomic():
                pdf._locked(Result.objects.filter(pk=first.pk), wait=False).get()
                locked.set()
                release.wait(30)
                pdf._render_report(first)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker, name="other")
    thread.start()
    assert locked.wait(30)
    threading.Timer(1.0, release.set).start()
    results = pdf.store_publication_pdfs(publication)
    thread.join(30)
    assert [result.report_pdf.name for result in results if result.commune.code == "A"] == [
        Result.objects.get(pk=first.pk).report_pdf.name
    ]
    assert ("A", "other") in renders
    assert_all_stored_once(publication, renders)


@pytest.mark.django_db(transaction=True)
def test_a_part_that_cannot_render_fails_the_job_in_vietnamese(units, monkeypatch):
    publication = make_published_period(units, count=2, previous=False)
    job = render_job(publication)

    def broken(publication):
        raise OSError("font missing")

    monkeypatch.setattr(pdf, "ranking_pdf", broken)
    tasks.render_publication(job.pk, publication.pk, parts=2)
    tasks.render_publication(job.pk, publication.pk, parts=2)  # the other part: nothing to do
    job.refresh_from_db()
    assert (job.state, job.error, job.attempts) == ("failed", tasks.RENDER_ERROR, 1)
