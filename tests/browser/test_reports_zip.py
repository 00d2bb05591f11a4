"""The leader downloads every commune's report in one ZIP (issue 13) in Debian's chromium: the
results page's "Tất cả báo cáo (ZIP)" opens the job's progress page, which starts the download
by itself once the ZIP is built, with a real Celery worker on Redis and with none
(in-process). The ZIP is read back: every commune's report, the ranking PDF and the XLSX."""

import re
import zipfile

import pytest
from playwright.sync_api import expect

from tests.jobs.conftest import broker, mode, worker  # noqa: F401 (fixtures)
from tests.reports.builders import make_published_period

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_leader_downloads_every_report_in_one_zip_from_a_progress_page(
    mode, page, live_server, log_in, units, leader, tmp_path  # noqa: F811
):
    publication = make_published_period(units, count=6)
    code = publication.period.code
    log_in(page, "lanhdao")
    page.goto(f"{live_server.url}/periods/{code}/results/")
    with page.expect_download(timeout=120_000) as caught:
        page.get_by_role("link", name="Tất cả báo cáo (ZIP)").click()
        expect(page).to_have_url(re.compile(r"/jobs/\d+/$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            f"Đóng gói báo cáo kỳ {code} lần 1"
        )
        expect(page.locator("progress")).to_be_attached()
    download = caught.value
    assert download.suggested_filename == f"bao-cao-{code}-lan-1.zip"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    communes = sorted(publication.results.values_list("commune__code", flat=True))
    assert sorted(zipfile.ZipFile(path).namelist()) == sorted(
        [f"bao-cao-{code}-{commune}-lan-1.pdf" for commune in communes]
        + [f"xep-hang-{code}-lan-1.pdf", f"xep-hang-{code}-lan-1.xlsx"]
    )
    # The page stays on the finished job: its bar full.
    expect(page.locator("[data-job-state]")).to_have_text("Đã xong")
    expect(page.locator("progress")).to_have_attribute("value", "100")
