"""A commune that never submitted, finished by the team in the app (issue 14, item 6): after
the deadline the appraiser opens it from the "chưa nộp" page, scores what it can, finishes;
the criteria not scored count 0 and the period table says "không nộp hồ sơ"."""

import datetime
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from scoring.models import Assessment, AuditEvent, Score
from tests.factories import make_period

from .steps import row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
TODAY = datetime.date.today()


def test_the_team_appraises_a_commune_that_did_not_submit(page, live_server, log_in, units, appraiser):
    period = make_period(
        units["district"],
        code="P-LATE",
        opens_on=TODAY - datetime.timedelta(days=40),
        self_assessment_due=TODAY - datetime.timedelta(days=5),
    )
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    Score.objects.filter(assessment=assessment, criterion__code="1.1").update(
        self_score=Decimal(2), self_note="Có kế hoạch"
    )
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, "thamdinh")
    page.goto(f"{live_server.url}{period.get_absolute_url()}")
    page.locator("[id='row-A'] a").first.click()
    expect(page.locator("main")).to_contain_text("Xã Đồng Tâm chưa nộp hồ sơ tự đánh giá")
    page.get_by_label("Lý do, căn cứ (không bắt buộc)").fill("Quá hạn 5 ngày, đã nhắc bằng văn bản")
    page.get_by_role("button", name="Mở hồ sơ để thẩm định (không nộp hồ sơ)").click()
    expect(page.locator(".messages")).to_contain_text("không nộp hồ sơ")
    expect(page.locator("h1")).to_contain_text("Thẩm định Chỉ số CCHC: Xã Đồng Tâm")
    expect(page.locator(".badge-not-submitted")).to_have_text("Không nộp hồ sơ")

    form = row(page, "1.1").locator("form.ap-form")
    form.locator("input[name=appraised_score]").fill("2")
    form.locator("input[name=appraised_score]").press("Tab")
    expect(form).to_have_attribute("data-state", "saved")
    page.get_by_role("button", name="Hoàn thành thẩm định").click()
    expect(page.locator(".messages")).to_contain_text("Đã hoàn thành thẩm định hồ sơ.")
    expect(page.locator("#ap-status")).to_have_text("Đã thẩm định")

    page.goto(f"{live_server.url}{period.get_absolute_url()}")
    expect(page.locator("[id='row-A']")).to_contain_text("không nộp hồ sơ")
    scores = {
        s.criterion.code: s.appraised_score
        for s in Score.objects.filter(assessment=assessment).select_related("criterion")
    }
    assert scores == {"1.1": Decimal(2), "1.2": Decimal(0), "2.1": Decimal(0)}
    event = AuditEvent.objects.get(assessment=assessment, action="not_submitted_appraisal")
    assert event.reason == "Quá hạn 5 ngày, đã nhắc bằng văn bản" and event.user == appraiser
