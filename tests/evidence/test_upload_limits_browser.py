"""The upload limit as an officer meets it in Debian's chromium: the page refuses files that
together pass it before sending, and the server's 413 shows in the criterion's message box
instead of being retried as a lost connection."""

import pytest
from playwright.sync_api import expect

from scoring.models import Assessment
from tests.evidence.builders import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIMIT = 1024 * 1024


@pytest.fixture(scope="session")
def base_url(pytestconfig):
    """pytest-playwright's own fallback, redefined as tests/browser/conftest.py does (its
    version warns under pytest 9)."""
    return pytestconfig.getoption("--base-url") or pytestconfig.getini("base_url") or None


@pytest.fixture
def upload_form(page, live_server, settings, period, units, officer):
    """The evidence form of criterion 1.1, signed in as the commune's officer, limit 1 MB."""
    settings.EVIDENCE_MAX_BYTES = LIMIT
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", officer.username)
    page.fill("input[name=password]", "matkhau-2024")
    page.click("button[type=submit]")
    expect(page.locator(".usernav")).to_be_visible()
    page.goto(f"{live_server.url}{assessment.get_absolute_url()}")
    return page.locator("[id='tc-1.1'] form.ev-upload")


def pdf_file(tmp_path, name, size):
    path = tmp_path / name
    content = pdf_bytes()
    path.write_bytes(content + b"%" * (size - len(content)))
    return path


def test_files_together_over_the_limit_are_not_sent(upload_form, tmp_path):
    files = [pdf_file(tmp_path, f"Phần {i}.pdf", 600 * 1024) for i in (1, 2)]
    upload_form.locator("input[type=file]").set_input_files([str(f) for f in files])
    upload_form.locator("button[type=submit]").click()
    expect(upload_form.locator("[data-autosave-status]")).to_have_text(
        "Các tệp chọn cùng lúc vượt quá 1 MB tổng cộng; hãy tải lên từng tệp."
    )


def test_the_servers_413_is_shown_not_retried(page, upload_form, tmp_path):
    # A page that does not check sizes first (an old copy, a script): the server refuses.
    page.evaluate(
        "document.querySelectorAll('[data-max-bytes]')"
        ".forEach(input => input.removeAttribute('data-max-bytes'))"
    )
    big = pdf_file(tmp_path, "Lớn.pdf", 1536 * 1024)
    upload_form.locator("input[type=file]").set_input_files(str(big))
    upload_form.locator("button[type=submit]").click()
    expect(page.locator("[id='tc-1.1'] .row-error")).to_contain_text(
        "Tải lên bị từ chối: mỗi lần tải lên tối đa 1 MB cho tất cả các tệp chọn cùng lúc"
    )
    expect(upload_form).to_have_attribute("data-state", "error")
