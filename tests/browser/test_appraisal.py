"""A full appraisal round between two real users in Debian's chromium: the commune submits, the
appraiser lowers two scores (a note is required), returns one criterion, the commune answers
only that one with new evidence and resubmits, the appraiser sees old → new and finishes."""

import re

import pytest
from playwright.sync_api import expect

from scoring.models import Assessment, AuditEvent, Score
from tests.evidence.builders import pdf_bytes

from .steps import row, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def self_score(page, code, value, note):
    form = row(page, code).locator("form.score-form")
    form.locator("textarea[name=self_note]").fill(note)
    field = form.locator("input[name=self_score]")
    field.fill(value)
    field.press("Tab")
    expect(form).to_have_attribute("data-state", "saved")


def appraise(page, code, value, note=None):
    form = row(page, code).locator("form.ap-form")
    if note is not None:
        form.locator("textarea[name=appraisal_note]").fill(note)
    field = form.locator("input[name=appraised_score]")
    field.fill(value)
    field.press("Tab")
    return form


def test_a_full_appraisal_round_with_one_return(page, browser, live_server, log_in, period, units, officer, appraiser, tmp_path):
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    url = f"{live_server.url}{assessment.get_absolute_url()}"
    page.on("dialog", lambda dialog: dialog.accept())

    # The commune fills in and submits.
    log_in(page, "canbo_a")
    page.goto(url)
    self_score(page, "1.1", "2", "Kế hoạch ban hành đúng hạn.")
    self_score(page, "1.2", "4", "Đủ 4 báo cáo quý.")
    self_score(page, "2.1", "4", "Công khai đủ 127 TTHC.")
    page.get_by_role("link", name="Kiểm tra và nộp hồ sơ").click()
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator(".messages")).to_contain_text("Đã nộp hồ sơ tự đánh giá")

    # The appraiser, in a browser of their own.
    context = browser.new_context()
    team = context.new_page()
    team.on("dialog", lambda dialog: dialog.accept())
    log_in(team, "thamdinh")
    team.goto(f"{live_server.url}{period.get_absolute_url()}")
    expect(team.locator("[id='row-A']")).to_contain_text("Đã nộp")
    team.locator("[id='row-A'] a").first.click()
    expect(team.locator("h1")).to_contain_text("Thẩm định Chỉ số CCHC: Xã Đồng Tâm")
    expect(row(team, "1.2").locator("input[name=appraised_score]")).to_have_value("4")  # pre-filled

    # Lowering a score without a note is refused; with a note it is saved, totals follow.
    form = appraise(team, "1.2", "3")
    expect(form).to_have_attribute("data-state", "error")
    expect(row(team, "1.2").locator(".row-error")).to_contain_text("vui lòng ghi lý do")
    expect(form := appraise(team, "1.2", "3", "Thiếu báo cáo quý IV")).to_have_attribute("data-state", "saved")
    expect(team.locator("[id='aptot-%d']" % Score.objects.get(assessment=assessment, criterion__code="1.2").criterion.field_id)).to_contain_text("(-1)")
    expect(appraise(team, "2.1", "3,5", "Niêm yết thiếu 5 TTHC")).to_have_attribute("data-state", "saved")
    expect(team.locator("#ap-totals")).to_contain_text("-1,5")
    expect(team.locator("#ap-status")).to_have_text("Đang thẩm định")

    # Return only 1.1, with a request.
    back = row(team, "1.1")
    back.locator("input[name=return]").check()
    back.locator("textarea[name^=request-]").fill("Bổ sung quyết định ban hành kế hoạch CCHC")
    team.get_by_role("button", name="Trả lại xã").click()
    expect(team.locator(".messages")).to_contain_text("Đã trả lại 1 tiêu chí")

    # The commune sees exactly that criterion editable, with the request; never the notes.
    page.goto(url)
    expect(row(page, "1.1")).to_contain_text("Bổ sung quyết định ban hành kế hoạch CCHC")
    expect(page.locator("input[name=self_score]")).to_have_count(1)
    expect(row(page, "1.1").locator("input[name=self_score]")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Thiếu báo cáo quý IV")
    expect(page.locator("body")).not_to_contain_text("Niêm yết thiếu 5 TTHC")
    pdf = tmp_path / "Quyết định ban hành kế hoạch.pdf"
    pdf.write_bytes(pdf_bytes("Quyet dinh 12/QD-UBND"))
    upload(page, "1.1", pdf)
    expect(row(page, "1.1").locator(".ev-list a")).to_have_text("Quyết định ban hành kế hoạch.pdf")
    self_score(page, "1.1", "1,5", "Kế hoạch ban hành chậm 5 ngày; đính kèm quyết định.")
    page.get_by_role("link", name=re.compile("Kiểm tra và nộp lại")).click()
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name=re.compile("Nộp")).click()
    expect(page.locator(".messages")).to_contain_text("Đã nộp")

    # The appraiser sees old → new and the new file, appraises 1.1 and finishes.
    team.goto(url)
    rounds = team.locator("#lan-bo-sung")
    expect(rounds).to_contain_text("Lần 1")
    expect(rounds).to_contain_text("2 → 1,5")
    expect(rounds).to_contain_text("+ Quyết định ban hành kế hoạch.pdf")
    expect(row(team, "1.1").locator(".ap-diff")).to_contain_text("Kế hoạch ban hành chậm 5 ngày")
    expect(row(team, "1.1").locator("input[name=appraised_score]")).to_have_value("1,5")
    expect(row(team, "1.1").locator(".ev-list a", has_text="Quyết định ban hành kế hoạch.pdf")).to_have_attribute("target", "_blank")
    row(team, "1.1").get_by_role("button", name="Lưu").click()
    expect(row(team, "1.1").locator("form.ap-form")).to_have_attribute("data-state", "saved")
    team.get_by_role("button", name="Hoàn thành thẩm định").click()
    expect(team.locator(".messages")).to_contain_text("Đã hoàn thành thẩm định hồ sơ.")
    expect(team.locator("#ap-status")).to_have_text("Đã thẩm định")

    done = Assessment.objects.get(pk=assessment.pk)
    assert done.status == "appraised" and done.assignee == appraiser
    scores = {s.criterion.code: (str(s.self_score), str(s.appraised_score)) for s in done.scores.select_related("criterion")}
    assert scores == {"1.1": ("1.500", "1.500"), "1.2": ("4.000", "3.000"), "2.1": ("4.000", "3.500")}
    actions = set(AuditEvent.objects.filter(assessment=done).values_list("action", flat=True))
    assert {"submitted", "review_started", "appraised_score", "returned", "resubmitted", "appraised"} <= actions

    # Still nothing of the appraisal for the commune before publication.
    page.goto(url)
    expect(page.locator("body")).not_to_contain_text("Thiếu báo cáo quý IV")
    context.close()
