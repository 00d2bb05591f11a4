"""The reply round in Debian's chromium, between real users (issue 12): the district's appraiser
announces the provisional results; xã Đồng Tâm's officer disagrees on two criteria, one with a
new PDF, and sends the reply; the appraiser accepts one (the appraised score and the minutes —
the PDF read back — change) and keeps the other with a reason, which the commune then reads;
the district's leader previews the ranking and publishes by typing the decision number; the
officer's page then headlines the published result with the notes. At each step whoever is to
be told finds it in the app (the bell's count, the list, its link) and in an e-mail (Django's
locmem outbox: the live server runs in this process) with the same link."""

import datetime
import re
import subprocess

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from scoring.models import Assessment, Period, Score
from tests.evidence.builders import pdf_bytes
from tests.scoring.publish_data import appraise

from .steps import row
from .test_content_security_policy import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TODAY = datetime.date.today()


def no_violations(page) -> None:
    """The page now shown ran under the Content-Security-Policy without a violation."""
    assert page.evaluate("window.__cspViolations || []") == [], page.url


def told(page, base: str, text: str, link: str, *, unread: int) -> None:
    """The user on `page` has `unread` unread notifications on the bell, one of them saying
    `text`, whose "Xem chi tiết" marks it read and opens `link`."""
    page.goto(f"{base}/notifications/")
    expect(page.locator(".bell .bell-count")).to_have_text(str(unread))
    notice = page.locator("li.notice.unread").filter(has_text=text)
    expect(notice).to_have_count(1)
    notice.get_by_role("button", name="Xem chi tiết").click()
    expect(page).to_have_url(f"{base}{link}")


def mailed(address: str, text: str, link: str) -> None:
    """Exactly one e-mail to `address` says `text`, with the absolute `link` (on SITE_URL)."""
    found = [m for m in mail.outbox if m.to == [address] and text in m.body]
    assert len(found) == 1, [(m.to, m.body) for m in mail.outbox]
    assert f"Xem tại: {settings.SITE_URL}{link}\n" in found[0].body


def pdf_text(content: bytes) -> str:
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    ).stdout.decode("utf-8")
    return "\n".join(" ".join(line.split()) for line in text.splitlines())


def test_a_full_round_one_disagreement_accepted_one_kept_every_party_told(
    page, live_server, log_in, period, appraiser, officer, leader, tmp_path
):
    Period.objects.filter(pk=period.pk).update(
        opens_on=TODAY - datetime.timedelta(days=40),
        self_assessment_due=TODAY - datetime.timedelta(days=10),
    )
    appraise(
        period,
        {
            "A": {"1.1": "2", "1.2": "3", "2.1": "3"},  # 8
            "B": {"1.1": "2", "1.2": "3,5", "2.1": "3"},  # 8,5: ahead of A before the reply
        },
    )
    Score.objects.filter(assessment__commune__code="A", criterion__code="1.2").update(
        self_score=4, appraisal_note="Thiếu báo cáo quý IV"
    )
    Score.objects.filter(assessment__commune__code="A", criterion__code="2.1").update(
        self_score=4, appraisal_note="Chưa đủ 100% thủ tục"
    )
    emails = {"canbo_a": "canbo_a@dongtam.vn", "thamdinh": "thamdinh@huyen.vn",
              "lanhdao": "lanhdao@huyen.vn"}
    for username, address in emails.items():
        get_user_model().objects.filter(username=username).update(email=address)
    assessment_link = f"/periods/{period.code}/communes/A/"
    results_link = f"/periods/{period.code}/results/"
    evidence = tmp_path / "bao-cao-quy-IV.pdf"
    evidence.write_bytes(pdf_bytes("Bao cao quy IV"))
    due = (TODAY + datetime.timedelta(days=5)).strftime("%d/%m/%Y")

    # The team sets the reply deadline and announces the provisional results.
    page.add_init_script(RECORD_VIOLATIONS)
    log_in(page, "thamdinh")
    page.goto(f"{live_server.url}/periods/{period.code}/")
    expect(page.locator("#stage [aria-current=step]")).to_have_text("Sẵn sàng công bố")
    page.get_by_label("Hạn phản hồi").fill(due)
    page.get_by_role("button", name="Lưu hạn phản hồi").click()
    expect(page.locator(".messages")).to_contain_text(f"Đã đặt hạn phản hồi {due}.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#announce-all").click()
    expect(page.locator(".messages")).to_contain_text(
        "Đã thông báo kết quả thẩm định dự kiến cho 2 đơn vị."
    )
    expect(page.locator("#stage [aria-current=step]")).to_have_text("Phản hồi")
    no_violations(page)
    announced = "đã thông báo kết quả thẩm định dự kiến của Xã Đồng Tâm"
    mailed(emails["canbo_a"], announced, assessment_link)
    assert [m.to for m in mail.outbox] == [[emails["canbo_a"]]]  # the officer alone

    # The commune sees its appraised scores and notes, disagrees on 1.2 with a new PDF, sends.
    commune = page.context.browser.new_context(base_url=live_server.url)
    other = commune.new_page()
    other.add_init_script(RECORD_VIOLATIONS)
    log_in(other, "canbo_a")
    told(other, live_server.url, announced, assessment_link, unread=1)
    expect(other.locator("h1")).to_have_text("Kết quả thẩm định dự kiến: Xã Đồng Tâm")
    expect(other.locator("#provisional-total")).to_have_text("8")
    no_violations(other)
    criterion = row(other, "1.2")
    expect(criterion.locator(".appraisal-note")).to_have_text("Thiếu báo cáo quý IV")
    criterion.get_by_label("Không đồng ý", exact=True).check()
    criterion.get_by_label("Ý kiến, giải trình").fill("Báo cáo quý IV đã gửi ngày 10/01")
    criterion.get_by_role("button", name="Lưu ý kiến").click()
    expect(other.locator(".messages")).to_contain_text("Đã lưu ý kiến về tiêu chí 1.2.")
    criterion = row(other, "1.2")
    criterion.locator("input[type=file]").set_input_files(str(evidence))
    criterion.get_by_role("button", name="Tải lên").click()
    expect(other.locator(".messages")).to_contain_text("Đã cập nhật tài liệu kiểm chứng")
    expect(row(other, "1.2").locator(".reply-box")).to_contain_text("bao-cao-quy-IV.pdf")
    criterion = row(other, "2.1")
    expect(criterion.locator(".appraisal-note")).to_have_text("Chưa đủ 100% thủ tục")
    criterion.get_by_label("Không đồng ý", exact=True).check()
    criterion.get_by_label("Ý kiến, giải trình").fill("Đã công khai đủ 100% thủ tục trên cổng")
    criterion.get_by_role("button", name="Lưu ý kiến").click()
    expect(other.locator(".messages")).to_contain_text("Đã lưu ý kiến về tiêu chí 2.1.")
    other.get_by_label("Xác nhận gửi ý kiến").check()
    other.get_by_role("button", name="Gửi ý kiến").click()
    expect(other.locator(".messages")).to_contain_text("Đã gửi ý kiến về kết quả thẩm định dự kiến")
    assert Assessment.objects.get(commune__code="A").status == Assessment.Status.REPLIED

    # The appraiser is told, in the app and by e-mail, and reads the reply with its file.
    received = "Xã Đồng Tâm đã gửi ý kiến về kết quả thẩm định dự kiến"
    mailed(emails["thamdinh"], f"{received} ({period.name}): không đồng ý 2 tiêu chí", assessment_link)
    told(page, live_server.url, received, assessment_link, unread=1)
    item = page.locator("[id='reply-1.2']")
    expect(item).to_contain_text("Báo cáo quý IV đã gửi ngày 10/01")
    expect(item.get_by_role("link", name="bao-cao-quy-IV.pdf")).to_be_visible()
    no_violations(page)
    item.get_by_label("Chấp nhận: sửa điểm thẩm định").check()
    item.get_by_label("Điểm thẩm định mới").fill("4")
    item.get_by_label("Giải trình của tổ thẩm định").fill("Đã có báo cáo quý IV")
    item.get_by_role("button", name="Trả lời").click()
    expect(page.locator(".messages")).to_contain_text("Đã trả lời ý kiến về tiêu chí 1.2.")
    # … and keeps the other score, with its reason.
    item = page.locator("[id='reply-2.1']")
    expect(item).to_contain_text("Đã công khai đủ 100% thủ tục trên cổng")
    item.get_by_label("Giữ nguyên điểm").check()
    item.get_by_label("Giải trình của tổ thẩm định").fill("Cổng chỉ công khai 92% thủ tục")
    item.get_by_role("button", name="Trả lời").click()
    expect(page.locator(".messages")).to_contain_text("Đã trả lời ý kiến về tiêu chí 2.1.")
    assert Assessment.objects.get(commune__code="A").status == Assessment.Status.APPRAISED
    assert Score.objects.get(
        assessment__commune__code="A", criterion__code="2.1"
    ).appraised_score == 3
    assert Score.objects.get(
        assessment__commune__code="A", criterion__code="1.2"
    ).appraised_score == 4
    minutes = page.request.get(f"{live_server.url}/periods/{period.code}/communes/A/minutes.pdf")
    text = pdf_text(minutes.body())
    assert "Ý kiến của đơn vị và giải trình của Tổ thẩm định" in text
    assert "Báo cáo quý IV đã gửi ngày 10/01" in text and "Chấp nhận: Đã có báo cáo quý IV" in text
    assert "Giữ nguyên: Cổng chỉ công khai 92% thủ tục" in text

    # The commune is told the answers are in, and reads both on its own page: the new score,
    # and why the other stays.
    answered = "Tổ thẩm định đã trả lời 2 ý kiến không đồng ý của Xã Đồng Tâm"
    mailed(emails["canbo_a"], answered, assessment_link)
    told(other, live_server.url, f"{answered} ({period.name}): chấp nhận 1, giữ nguyên điểm 1.",
         assessment_link, unread=1)
    expect(row(other, "1.2").locator(".appraised-score")).to_have_text("4")
    expect(row(other, "2.1").locator(".reply-box")).to_contain_text(
        "Tổ thẩm định giữ nguyên: Cổng chỉ công khai 92% thủ tục"
    )
    expect(row(other, "2.1").locator(".appraised-score")).to_have_text("3")
    no_violations(other)

    # B agrees with everything (its officer is not needed: the deadline would do the same).
    Assessment.objects.filter(commune__code="B").update(status=Assessment.Status.APPRAISED)

    # The leader previews the ranking and publishes by typing the decision number.
    boss = page.context.browser.new_context(base_url=live_server.url)
    lead = boss.new_page()
    lead.add_init_script(RECORD_VIOLATIONS)
    log_in(lead, "lanhdao")
    lead.goto(f"{live_server.url}/periods/{period.code}/publish/")
    preview = lead.locator("#preview table.ranking-grid tbody tr")
    expect(preview).to_have_count(2)
    expect(preview.nth(0)).to_contain_text("Xã Đồng Tâm")  # 9 now, ahead of B's 8,5
    expect(preview.nth(0)).to_contain_text("9")
    no_violations(lead)
    lead.get_by_label("Số quyết định", exact=True).fill("766/QĐ-UBND")
    lead.get_by_label("Xác nhận: gõ lại số quyết định để công bố").fill("766")
    lead.get_by_role("button", name="Công bố kết quả lần 1").click()
    expect(lead.locator("#publish-error")).to_contain_text("gõ lại đúng số quyết định")
    lead.get_by_label("Số quyết định", exact=True).fill("766/QĐ-UBND")
    lead.get_by_label("Xác nhận: gõ lại số quyết định để công bố").fill("766/QĐ-UBND")
    lead.get_by_role("button", name="Công bố kết quả lần 1").click()
    expect(lead).to_have_url(re.compile(rf"/periods/{period.code}/results/$"))

    # The commune's officer and the leader are told, in the app and by e-mail.
    published = f"Kết quả Chỉ số CCHC “{period.name}” đã được công bố theo Quyết định số 766/QĐ-UBND"
    for username in ("canbo_a", "lanhdao"):
        mailed(emails[username], published, results_link)
    # announced, reply received, answered, published twice: nobody else
    assert len(mail.outbox) == 5
    told(lead, live_server.url, published, results_link, unread=1)
    told(other, live_server.url, published, results_link, unread=1)

    # The commune's page headlines its published result, with the notes on every criterion.
    other.goto(f"{live_server.url}/periods/{period.code}/communes/A/")
    expect(other.locator("#published-total")).to_have_text("9")
    expect(other.locator("#published-rank")).to_have_text("xếp thứ 1/2")
    expect(other.locator("#published-classification")).to_have_text("Hoàn thành xuất sắc nhiệm vụ")  # index 90
    expect(row(other, "1.2").locator(".appraisal-note")).to_have_text("Đã có báo cáo quý IV")
    expect(row(other, "1.2").locator(".appraised-score")).to_have_text("4")
    expect(row(other, "2.1").locator(".reply-box")).to_contain_text(
        "Tổ thẩm định giữ nguyên: Cổng chỉ công khai 92% thủ tục"
    )
    no_violations(other)
    report = other.get_by_role("link", name="Tải báo cáo kết quả của đơn vị (PDF)")
    assert other.request.get(f"{live_server.url}{report.get_attribute('href')}").ok
    commune.close()
    boss.close()
