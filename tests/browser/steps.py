"""Steps the browser journeys share, done as a person does them."""

import re

from playwright.sync_api import expect


def row(page, code):
    """The article of leaf criterion `code`."""
    return page.locator(f"[id='tc-{code}']")


def upload(page, code, path):
    """Choose the file `path` in criterion `code`'s evidence form (its name is shown) and send
    it; returns the form."""
    form = row(page, code).locator("form.ev-upload")
    form.locator("input[type=file]").set_input_files(str(path))
    expect(form.locator("[data-file-names]")).to_have_text(path.name)
    form.locator("button[type=submit]").click()
    return form


def publish_from_the_page(page, live_server, period, *, decision="766/QĐ-UBND", on="16/03/2023"):
    """From the period table, follow "Công bố kết quả" and publish version 1 of a period whose
    assessments are all appraised, typing the decision number again to confirm; waits for the
    results page."""
    page.goto(f"{live_server.url}/periods/{period.code}/")
    page.get_by_role("link", name="Công bố kết quả").click()
    total = period.assessments.count()
    expect(page.locator("#readiness")).to_contain_text(f"{total}/{total} hồ sơ đã thẩm định")
    page.get_by_label("Số quyết định", exact=True).fill(decision)
    page.get_by_label("Ngày quyết định").fill(on)
    page.get_by_label("Xác nhận: gõ lại số quyết định để công bố").fill(decision)
    page.get_by_role("button", name="Công bố kết quả lần 1").click()
    expect(page).to_have_url(re.compile(rf"/periods/{period.code}/results/$"))
    expect(page.locator(".messages")).to_contain_text("Đã công bố kết quả lần 1")
