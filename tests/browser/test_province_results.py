"""After the 2025 reform, in Debian's chromium, on the demo (issue 11): the leader of thành phố
Hải Phòng opens the 2025 results, sees the ward block and the commune/special-zone block, a
merged commune's predecessors with their results last year, and downloads the ranking PDF,
read back; the officer of a ward sees last year's score beside a criterion."""

import subprocess

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from scoring.models import Period, Result, Score
from scoring.rules import format_score

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO_PASSWORD = "cchc2026"


def pdf_text(path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode("utf-8")


def test_province_leader_reads_both_blocks_and_a_merged_communes_predecessors(
    page, live_server, log_in, tmp_path
):
    call_command("load_demo", "--if-empty")
    merged = Result.objects.select_related("commune").get(
        publication__period__code="HP-2025", commune__code="HP-X01"
    )
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

    # Xã Ninh Giang was formed from three old communes: each one's 2024 result, no rank change.
    row = commune_table.locator("tbody tr", has_text="Xã Ninh Giang")
    expect(row).to_contain_text(f"{merged.rank}/15")
    expect(row).to_contain_text("hình thành từ")
    for name in ("Thị trấn Ninh Giang", "Xã Đồng Tâm", "Xã Ứng Hòe"):
        expect(row).to_contain_text(name)
    expect(row).not_to_contain_text("bậc")

    with page.expect_download() as download:
        page.get_by_role("link", name="PDF", exact=True).first.click()
    path = tmp_path / "xep-hang.pdf"
    download.value.save_as(path)
    text = " ".join(pdf_text(path).split())
    assert "UBND THÀNH PHỐ HẢI PHÒNG" in text
    assert "Đơn vị thẩm định: Sở Nội vụ thành phố Hải Phòng" in text
    assert "Phường" in text and "Xã, đặc khu" in text
    assert "Xã Ninh Giang" in text and "Xã Đồng Tâm" in text
    assert "huyện" not in text.lower() and "Phòng Nội vụ" not in text


def test_a_ward_officer_sees_last_years_score_beside_a_criterion(page, live_server, log_in):
    call_command("load_demo", "--if-empty")
    current = Period.objects.get(code__startswith="HP-", status=Period.Status.OPEN)
    last = Score.objects.select_related("criterion").get(
        assessment__period__code="HP-2025",
        assessment__commune__code="HP-P01",
        criterion__code="1.1.2",
    )
    log_in(page, "phuong.haiduong", DEMO_PASSWORD)

    page.get_by_role("link", name="Phường Hải Dương").first.click()
    expect(page).to_have_url(f"{live_server.url}/periods/{current.code}/communes/HP-P01/")
    criterion = page.locator("[id='tc-1.1.2']")
    expect(criterion.locator(".crit-last-year")).to_have_text(
        f"năm trước: {format_score(last.appraised_score)}/{format_score(last.criterion.max_points)}"
    )
    expect(page.locator("main")).not_to_contain_text("Phòng Nội vụ")
