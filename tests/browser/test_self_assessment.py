"""A commune officer's whole self-assessment in Debian's chromium, against the live server."""

import re

import pytest
from playwright.sync_api import expect

from scoring.models import Assessment, Score
from tests.evidence.builders import EXE, pdf_bytes

from .steps import row, upload

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

def score(page, code, value):
    """Type a score as an officer does: type, then leave the field."""
    form = row(page, code).locator("form.score-form")
    field = form.locator("input[name=self_score]")
    field.fill(value)
    field.press("Tab")
    return form


def expect_saved(form):
    expect(form).to_have_attribute("data-state", "saved")


def test_an_officer_completes_and_submits_the_self_assessment(
    page, browser, live_server, log_in, period, units, officer, other_officer, tmp_path
):
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    url = f"{live_server.url}{assessment.get_absolute_url()}"
    log_in(page, "canbo_a")
    page.goto(url)
    expect(page.locator("h1")).to_contain_text("Xã Đồng Tâm")
    bar = page.locator("#progress-bar")
    expect(bar).to_contain_text("0/3")

    # Three criteria, one typed with a comma; totals follow at once.
    page.locator("#field-summary summary").click()
    expect_saved(score(page, "1.1", "1,5"))
    field_1 = page.locator("[id='f-1'] .field-total")
    expect(field_1).to_have_text(re.compile(r"1,5\s*/\s*6 điểm"))
    expect(bar).to_contain_text("1,5/10")
    expect_saved(score(page, "1.2", "3"))
    expect(field_1).to_have_text(re.compile(r"4,5\s*/\s*6 điểm"))
    expect(bar).to_contain_text("2/3")
    summary = page.locator("#field-summary")  # its saved field's row swapped, still open
    expect(summary).to_have_attribute("open", "")
    expect(summary.locator("tbody tr").first).to_contain_text("4,5")

    # Out of range: refused with the criterion named; nothing changes.
    form = score(page, "2.1", "5")
    expect(form).to_have_attribute("data-state", "error")
    expect(row(page, "2.1").locator(".row-error")).to_have_text(
        "Tiêu chí 2.1: điểm 5 vượt quá điểm tối đa 4."
    )
    expect(bar).to_contain_text("4,5/10")
    expect_saved(score(page, "2.1", "4"))
    expect(row(page, "2.1").locator(".row-error")).to_have_count(0)
    expect(page.locator("[id='f-2'] .field-total")).to_have_text(re.compile(r"4\s*/\s*4 điểm"))
    expect(bar).to_contain_text("8,5/10")
    expect(bar).to_contain_text("3/3")

    # A PDF for 1.1, then the same file linked to 1.2.
    pdf = tmp_path / "Kế hoạch CCHC năm 2024.pdf"
    pdf.write_bytes(pdf_bytes("Ke hoach CCHC 2024"))
    form = upload(page, "1.1", pdf)
    expect(row(page, "1.1").locator(".ev-list a")).to_have_text("Kế hoạch CCHC năm 2024.pdf")
    expect(row(page, "1.1").locator(".badge")).to_have_text("Đã chấm")
    expect(form.locator("[data-file-names]")).to_have_count(1)
    fake = tmp_path / "Báo cáo.pdf"
    fake.write_bytes(EXE)
    upload(page, "1.2", fake)
    expect(row(page, "1.2").locator(".row-error")).to_contain_text(
        "Tệp “Báo cáo.pdf”: nội dung không phải tệp PDF thật"
    )
    expect(row(page, "1.2").locator(".ev-list a")).to_have_count(0)
    picker = row(page, "1.2").locator("details[data-autosave-load]").first
    picker.locator("summary").click()
    picker.get_by_label(re.compile("Kế hoạch CCHC năm 2024.pdf")).check()
    picker.get_by_role("button", name="Dùng cho tiêu chí 1.2").click()
    expect(row(page, "1.2").locator(".ev-list a")).to_have_text("Kế hoạch CCHC năm 2024.pdf")
    expect(row(page, "1.2").locator(".ev-list")).to_contain_text("cũng dùng cho tiêu chí 1.1")
    # A document cited by number, without a file.
    reference = row(page, "1.1").locator("details.ev-more").nth(1)
    reference.locator("summary").click()
    reference.get_by_label("Số, ký hiệu văn bản").fill("12/KH-UBND")
    reference.get_by_label("Ngày ban hành").fill("05/01/2024")
    reference.get_by_label("Cơ quan ban hành").fill("UBND xã Đồng Tâm")
    reference.get_by_role("button", name="Thêm văn bản cho tiêu chí 1.1").click()
    expect(row(page, "1.1").locator(".ev-ref")).to_have_text(
        "Văn bản số 12/KH-UBND ngày 05/01/2024 của UBND xã Đồng Tâm"
    )
    missing = page.locator("#progress .stat").nth(1).locator(".stat-value")
    expect(missing).to_have_text("1")  # 2.1 has points and no evidence yet

    # Submitting with a gap: the check lists it; its link leads to the criterion.
    page.get_by_role("link", name="Kiểm tra và nộp hồ sơ").click()
    expect(page.locator("#gaps")).to_contain_text("còn 1 tiêu chí cần hoàn thiện")
    expect(page.locator("input[name=confirm]")).to_have_count(0)
    page.locator("#gaps").get_by_role("link", name="Tiêu chí 2.1").click()
    expect(page).to_have_url(re.compile(r"#tc-2\.1$"))
    note = row(page, "2.1").locator("textarea[name=self_note]")
    note.fill("Công khai đủ 127 TTHC; văn bản lưu tại Bộ phận Một cửa.")
    note.press("Tab")
    expect_saved(row(page, "2.1").locator("form.score-form"))

    # Complete: confirm and submit; the page turns read-only.
    page.get_by_role("link", name="Kiểm tra và nộp hồ sơ").click()
    expect(page.locator(".banner-ok")).to_contain_text("Hồ sơ đã đủ")
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator(".messages")).to_contain_text("Đã nộp hồ sơ tự đánh giá")
    expect(page.locator("input[name=self_score]")).to_have_count(0)
    expect(page.locator("input[type=file]")).to_have_count(0)
    expect(page.get_by_role("button", name="Rút lại hồ sơ")).to_be_visible()
    expect(row(page, "1.1")).to_contain_text("1,5")
    submitted = Assessment.objects.get(pk=assessment.pk)
    assert submitted.status == "submitted"
    assert {s.criterion.code: s.self_score for s in Score.objects.filter(assessment=assessment)
            .select_related("criterion")} == {"1.1": pytest.approx(1.5), "1.2": 3, "2.1": 4}
    evidence_url = row(page, "1.1").locator(".ev-list a").get_attribute("href")

    # Another commune's officer, in a browser of their own, sees nothing of it.
    stranger = browser.new_context()
    other = stranger.new_page()
    log_in(other, "canbo_b")
    assert other.goto(url).status == 404
    assert other.goto(f"{live_server.url}{evidence_url}").status == 404
    stranger.close()


def test_two_officers_saving_the_same_criterion_see_both_values(
    page, browser, live_server, log_in, period, units, officer
):
    from communes.models import Role
    from tests.factories import make_user

    make_user("canbo_a2", unit=units["commune"], role=Role.COMMUNE_OFFICER, first_name="Lê Thị Hoa")
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    url = f"{live_server.url}{assessment.get_absolute_url()}"
    log_in(page, "canbo_a")
    page.goto(url)
    colleague_context = browser.new_context()
    colleague = colleague_context.new_page()
    log_in(colleague, "canbo_a2")
    colleague.goto(url)

    expect_saved(score(colleague, "1.2", "4"))
    form = score(page, "1.2", "2")
    expect(form).to_have_attribute("data-state", "conflict")
    conflict = row(page, "1.2").locator(".conflict")
    expect(conflict).to_contain_text("vừa được Lê Thị Hoa lưu")
    expect(conflict.locator("tbody tr").first).to_contain_text("4")
    expect(conflict.locator("tbody tr").first).to_contain_text("2")
    assert Score.objects.get(assessment=assessment, criterion__code="1.2").self_score == 4

    conflict.get_by_role("button", name="Giữ giá trị tôi vừa nhập").click()
    expect_saved(form)
    expect(row(page, "1.2").locator(".conflict")).to_have_count(0)
    assert Score.objects.get(assessment=assessment, criterion__code="1.2").self_score == 2

    # The colleague's next save meets the conflict too, and takes the stored value.
    colleague_form = score(colleague, "1.2", "3")
    expect(colleague_form).to_have_attribute("data-state", "conflict")
    row(colleague, "1.2").get_by_role("button", name="Dùng giá trị đã lưu").click()
    expect(colleague_form.locator("input[name=self_score]")).to_have_value("2")
    expect(colleague_form).to_have_attribute("data-state", "saved")
    colleague_context.close()


def test_the_whole_reference_criteria_set_can_be_filled_in_and_submitted(
    page, live_server, log_in, units, officer
):
    """Every self-assessed leaf of fixtures/reference-commune-2022.csv, as a newcomer would."""
    import datetime
    import io
    from pathlib import Path

    from django.conf import settings
    from django.core.management import call_command

    from scoring.models import CriteriaSet, Method
    from scoring.services.setup import create_period

    call_command(
        "import_criteria",
        str(Path(settings.BASE_DIR) / "fixtures" / "reference-commune-2022.csv"),
        code="HD-2022",
        name="Bộ chỉ số CCHC cấp xã (tham khảo)",
        stdout=io.StringIO(),
    )
    criteria_set = CriteriaSet.objects.get(code="HD-2022")
    period = create_period(
        code="REF", year=2024, criteria_set=criteria_set, unit=units["district"],
        opens_on=datetime.date.today() - datetime.timedelta(days=1),
    )
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    leaves = list(
        assessment.scores.filter(criterion__method=Method.SELF_ASSESSED)
        .select_related("criterion").order_by("criterion__position")
    )
    log_in(page, "canbo_a")
    page.goto(f"{live_server.url}{assessment.get_absolute_url()}")
    expect(page.locator("#progress-bar")).to_contain_text(f"0/{len(leaves)}")
    for score in leaves:
        form = row(page, score.criterion.code).locator("form.score-form")
        form.locator("input[name=self_score]").fill(str(score.criterion.max_points).replace(".", ","))
        form.locator("textarea[name=self_note]").fill(f"Đã thực hiện đầy đủ tiêu chí {score.criterion.code}.")
        form.get_by_role("button", name="Lưu").click()
        expect_saved(form)
    expect(page.locator("#progress-bar")).to_contain_text(f"{len(leaves)}/{len(leaves)}")
    page.get_by_role("link", name="Kiểm tra và nộp hồ sơ").click()
    expect(page.locator(".banner-ok")).to_contain_text("Hồ sơ đã đủ")
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    expect(page.locator(".messages")).to_contain_text("Đã nộp hồ sơ tự đánh giá")
    assert Assessment.objects.get(pk=assessment.pk).status == "submitted"
    total = sum(score.criterion.max_points for score in leaves)
    assert sum(s.self_score for s in assessment.scores.exclude(self_score=None)) == total
