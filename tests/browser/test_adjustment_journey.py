"""Bonus points (điểm thưởng) from the browser, in Debian's chromium: the district's appraiser
gives commune A 1,5 bonus points on its appraisal page, which lifts it above commune B; publishing
counts them (the ranking's "Thưởng/trừ" column and total), and A's officer finds them with their
reason in the report PDF downloaded from the results page."""

import subprocess

import pytest
from playwright.sync_api import expect

from scoring.models import Adjustment
from tests.scoring.publish_data import appraise

from .steps import publish_from_the_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "Dẫn đầu về chuyển đổi số"


def pdf_text(content: bytes) -> str:
    """The PDF's text, each line's runs of spaces (the -layout columns) made single."""
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def test_a_bonus_entered_on_the_appraisal_page_is_published_and_reported(
    page, live_server, log_in, period, appraiser, officer
):
    appraise(
        period,
        {
            "A": {"1.1": "2", "1.2": "3", "2.1": "2,75"},  # 7,75; with +1,5 → 9,25, first
            "B": {"1.1": "2", "1.2": "3,5", "2.1": "3"},  # 8,5: 0,75 ahead of A before the bonus
        },
    )
    adding = []  # the POSTs that reach the server's "add" URL
    page.on(
        "request",
        lambda request: adding.append(request)
        if request.method == "POST" and request.url.endswith("/communes/A/adjustments/")
        else None,
    )
    log_in(page, "thamdinh")
    page.goto(f"{live_server.url}/periods/{period.code}/communes/A/")
    card = page.get_by_role("region", name="Điểm thưởng, điểm trừ")
    totals = page.locator("#ap-totals")
    expect(card).to_contain_text("Chưa có điểm thưởng, điểm trừ.")
    appraised = totals.locator(".stat").filter(has_text="tổng điểm thẩm định")
    expect(appraised.locator(".stat-value")).to_have_text("7,75/10")
    expect(appraised.locator(".stat-label")).to_have_text("tổng điểm thẩm định")

    # An empty reason: the browser holds the form back (the textarea is `required`) …
    points, reason = card.get_by_label("Số điểm"), card.get_by_label("Lý do (căn cứ, văn bản)")
    points.fill("1,5")
    card.get_by_role("button", name="Thêm").click()
    assert reason.evaluate("element => element.validity.valueMissing")
    # … and without that attribute the server refuses it in Vietnamese, adding nothing.
    reason.evaluate("element => element.removeAttribute('required')")
    card.get_by_role("button", name="Thêm").click()
    expect(page.locator(".messages .error")).to_have_text("Vui lòng nêu lý do cộng hoặc trừ điểm.")
    expect(card).to_contain_text("Chưa có điểm thưởng, điểm trừ.")
    assert len(adding) == 1  # the first click sent nothing
    assert not Adjustment.objects.exists()

    points.fill("1,5")  # a fresh form after the refusal
    reason.fill(REASON)
    card.get_by_role("button", name="Thêm").click()
    expect(page.locator(".messages .success")).to_have_text("Đã ghi điểm thưởng, điểm trừ.")
    line = card.locator("tbody tr")
    expect(line).to_have_count(1)
    expect(line.locator("td").nth(0)).to_have_text("+1,5")
    expect(line.locator("td").nth(1)).to_have_text(REASON)
    expect(line.locator("td").nth(2)).to_have_text("Trần Thị Bình")
    expect(appraised.locator(".stat-value")).to_have_text("9,25/10")
    expect(appraised.locator(".stat-label")).to_have_text(
        "tổng điểm thẩm định, đã gồm điểm thưởng, trừ (+1,5)"
    )
    expect(totals.locator("tfoot tr").last).to_contain_text("Tổng (đã gồm điểm thưởng, trừ)")
    expect(totals.locator("tfoot tr").last.locator("th").nth(3)).to_have_text("9,25")

    publish_from_the_page(page, live_server, period)
    headers = page.locator("#ranking thead th").all_inner_texts()
    bonus, total = headers.index("Thưởng/trừ"), headers.index("Tổng điểm")
    rows = page.locator("#ranking tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td").nth(0)).to_have_text("1/2")
    expect(rows.first.locator("td").nth(1)).to_have_text("Xã Đồng Tâm")
    expect(rows.first.locator("td").nth(bonus)).to_have_text("+1,5")
    expect(rows.first.locator("td").nth(total)).to_have_text("9,25")
    expect(rows.nth(1).locator("td").nth(0)).to_have_text("2/2")
    expect(rows.nth(1).locator("td").nth(1)).to_have_text("Thị trấn Ninh Giang")
    expect(rows.nth(1).locator("td").nth(bonus)).to_have_text("")
    expect(rows.nth(1).locator("td").nth(total)).to_have_text("8,5")

    page.context.clear_cookies()
    log_in(page, "canbo_a")
    page.goto(f"{live_server.url}/periods/{period.code}/results/")
    own = page.locator("#ranking tbody tr", has_text="Xã Đồng Tâm")
    with page.expect_download() as download:
        own.get_by_role("link", name="PDF").click()
    with open(download.value.path(), "rb") as report:
        text = pdf_text(report.read())
    assert f"Điểm thưởng: {REASON} +1,5" in text
    assert "Tổng cộng 10 9,25" in text
