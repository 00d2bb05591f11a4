"""After the 2025 reform, in Debian's chromium, on the demo (issue 11): the leader of thành phố
Hải Phòng opens the 2025 results, sees the ward block and the commune/special-zone block and
downloads the ranking PDF, read back."""

import subprocess

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "cchc2026"


def pdf_text(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")


def test_province_leader_reads_both_blocks_and_downloads_the_pdf(
    page, live_server, log_in, tmp_path
):
    call_command("load_demo", "--if-empty")
    log_in(page, "hp.lanhdao", DEMO_PASSWORD)

    page.get_by_role("link", name="Kết quả công bố").first.click()
    expect(page).to_have_url(f"{live_server.url}/periods/HP-2025/results/")
    expect(page.locator("main")).to_contain_text("Đơn vị thẩm định: Sở Nội vụ thành phố Hải Phòng")

    wards = page.get_by_role("heading", name="Phường", exact=True)
    communes = page.get_by_role("heading", name="Xã, đặc khu", exact=True)
    expect(wards).to_be_visible()
    expect(communes).to_be_visible()
    ward_table = page.locator("table.ranking").nth(0)
    commune_table = page.locator("table.ranking").nth(1)
    expect(ward_table.locator("tbody tr")).to_have_count(9)
    expect(commune_table.locator("tbody tr")).to_have_count(15)
    expect(ward_table).to_contain_text("Phường Hải Dương")
    expect(commune_table).to_contain_text("Đặc khu Cát Hải")

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF", exact=True).first.click()
    path = tmp_path / "xep-hang.pdf"
    download.value.save_as(path)
    text = " ".join(pdf_text(path).split())
    assert "UBND THÀNH PHỐ HẢI PHÒNG" in text
    assert "Đơn vị thẩm định: Sở Nội vụ thành phố Hải Phòng" in text
    assert "Phường" in text and "Xã, đặc khu" in text
    assert "Xã Ninh Giang" in text and "Đặc khu Cát Hải" in text
    assert "huyện" not in text.lower() and "Phòng Nội vụ" not in text

