"""The appraisal view of /periods/<period>/communes/<commune>/ and its actions, through the
real stack: who may see and do what, saving without reload, returns, the minutes PDF, history."""

import re
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.models import Assessment, AuditEvent, Criterion, Method, Score
from scoring.services import appraisal as services
from scoring.services.adjustments import add_adjustment

from .appraisal_data import assessment_of, attach, score_of, submitted

pytestmark = pytest.mark.django_db
D = Decimal
Status = Assessment.Status
AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}


@pytest.fixture
def assessment(period, units):
    return submitted(period, units["commune"])


def url(assessment, name="assessment", *args):
    return reverse(f"scoring:{name}", args=[assessment.period.code, assessment.commune.code, *args])


def test_appraiser_sees_both_sides_prefilled_with_the_self_score(client, appraiser, assessment):
    evidence = attach(assessment, "1.2", "bao-cao-cchc.pdf")
    client.force_login(appraiser)
    page = client.get(url(assessment)).content.decode()
    assert "Thẩm định Chỉ số CCHC: Xã Đồng Tâm" in page
    score = score_of(assessment, "1.2")
    assert f'id="a-{score.pk}" name="appraised_score"' in page
    assert 'value="3,5"' in page and "điền sẵn điểm tự chấm, chưa lưu" in page
    assert f'href="/evidence/{evidence.pk}/" target="_blank"' in page
    assert "Giải trình tiêu chí 1.2" in page
    assert 'name="return" value="' in page and 'form="return-form"' in page
    # The evidence opens in the browser (inline), not as a download.
    response = client.get(f"/evidence/{evidence.pk}/")
    assert response.status_code == 200 and response["Content-Disposition"].startswith("inline")


def test_an_appraiser_of_another_district_gets_404_everywhere(client, far_appraiser, assessment):
    client.force_login(far_appraiser)
    score = score_of(assessment, "1.1")
    assert client.get(url(assessment)).status_code == 404
    assert client.get(assessment.period.get_absolute_url()).status_code == 404
    assert client.get(url(assessment, "minutes")).status_code == 404
    assert client.get(url(assessment, "audit")).status_code == 404
    posts = [
        url(assessment, "appraise_score", score.pk),
        url(assessment, "claim"),
        url(assessment, "return_criteria"),
        url(assessment, "mark_appraised"),
        url(assessment, "lock"),
        url(assessment, "reopen"),
    ]
    for target in posts:
        response = client.post(target, {"version": score.version, "appraised_score": "0", "reason": "x"})
        assert response.status_code == 404, target
    assert client.post(reverse("scoring:period_bulk", args=[assessment.period.code]), {"action": "lock"}).status_code == 404
    assert score_of(assessment, "1.1").appraised_score is None


def test_commune_officers_cannot_reach_appraisal_actions(client, officer, other_officer, assessment):
    score = score_of(assessment, "1.1")
    client.force_login(officer)
    for target in [
        url(assessment, "appraise_score", score.pk),
        url(assessment, "claim"),
        url(assessment, "accept_self"),
        url(assessment, "return_criteria"),
        url(assessment, "mark_appraised"),
        url(assessment, "lock"),
    ]:
        assert client.post(target, {"version": score.version, "appraised_score": "0"}).status_code == 403, target
    assert client.get(url(assessment, "minutes")).status_code == 403
    assert client.get(url(assessment, "audit")).status_code == 403
    assert client.get(assessment.period.get_absolute_url()).status_code == 403
    assert client.get(reverse("scoring:survey", args=[assessment.period.code])).status_code == 403
    client.force_login(other_officer)
    assert client.post(url(assessment, "appraise_score", score.pk), {"version": 1}).status_code == 404
    assert assessment_of(assessment.period, assessment.commune).status == Status.SUBMITTED


def test_leaders_read_but_do_not_act(client, leader, assessment):
    client.force_login(leader)
    score = score_of(assessment, "1.1")
    assert client.post(url(assessment, "appraise_score", score.pk), {"version": 1}).status_code == 403
    assert client.get(url(assessment, "minutes")).status_code == 200
    page = client.get(assessment.period.get_absolute_url()).content.decode()
    assert "Xã Đồng Tâm" in page and "bulk-form" not in page
    response = client.post(reverse("scoring:period_bulk", args=[assessment.period.code]), {"action": "lock"})
    assert response.status_code == 403


def test_communes_do_not_see_appraised_scores_or_notes(client, officer, appraiser, assessment):
    score = score_of(assessment, "1.2")
    services.appraise_score(score, value="2,75", note="Thiếu báo cáo quý III", version=score.version, by=appraiser)
    client.force_login(officer)
    page = client.get(url(assessment)).content.decode()
    history = client.get(url(assessment, "history")).content.decode()
    for text in (page, history):
        assert "Thiếu báo cáo quý III" not in text and "2,75" not in text
    # Returned: the commune sees the request of the returned criterion, still not the notes.
    c21 = score_of(assessment, "2.1").criterion
    services.return_criteria(assessment, {c21.pk: "Bổ sung ảnh niêm yết TTHC"}, by=appraiser)
    page = client.get(url(assessment)).content.decode()
    assert "Bổ sung ảnh niêm yết TTHC" in page
    assert "Thiếu báo cáo quý III" not in page and "2,75" not in page


def test_saving_without_reload_answers_fragments(client, appraiser, assessment):
    client.force_login(appraiser)
    score = score_of(assessment, "1.2")
    target = url(assessment, "appraise_score", score.pk)
    response = client.post(target, {"version": score.version, "appraised_score": "2,5", "appraisal_note": ""}, **AUTOSAVE)
    assert response.status_code == 422
    assert "khác điểm tự chấm 3,5; vui lòng ghi lý do" in response.content.decode()
    response = client.post(
        target, {"version": score.version, "appraised_score": "2,5", "appraisal_note": "Thiếu 2 báo cáo"}, **AUTOSAVE
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert f'value="{score.version + 1}" id="apver-{score.pk}" data-oob' in body
    assert 'id="ap-totals"' in body and "-1" in body  # 2,5 − 3,5 highlighted
    assert f'id="aptot-{score.criterion.field_id}"' in body
    # An older version with other values: 409 and both values shown, nothing overwritten.
    response = client.post(
        target, {"version": score.version, "appraised_score": "1", "appraisal_note": "Thiếu 3 báo cáo"}, **AUTOSAVE
    )
    body = response.content.decode()
    assert response.status_code == 409
    assert "Thiếu 2 báo cáo" in body and "Thiếu 3 báo cáo" in body and "Giữ giá trị tôi vừa nhập" in body
    assert score_of(assessment, "1.2").appraised_score == D("2.5")
    assert assessment_of(assessment.period, assessment.commune).status == Status.UNDER_REVIEW


def test_save_query_count(client, appraiser, assessment, django_assert_max_num_queries):
    services.start_review(assessment, by=appraiser)
    score = score_of(assessment, "1.2")
    client.force_login(appraiser)
    client.get(url(assessment))  # the session exists, as in real use
    # session, user, assessment (by its codes, its scope checked on the row), memberships,
    # score; in the service: savepoint, period (shared) and assessment (locked) as their own
    # rows, score locked, score update, version + 1, the two audit events (score, note) in
    # one INSERT, release; then the assessment's status and version, the scores as plain
    # values for the totals: 15.
    with django_assert_max_num_queries(15):
        response = client.post(
            url(assessment, "appraise_score", score.pk),
            {"version": score.version, "appraised_score": "3", "appraisal_note": "Thiếu một báo cáo"},
            **AUTOSAVE,
        )
    assert response.status_code == 200
    version = assessment_of(assessment.period, assessment.commune).version
    assert version == assessment.version + 2  # claimed, then saved
    assert f'value="{score.version + 1}" id="apver-{score.pk}" data-oob' in response.content.decode()


def test_saving_without_javascript_redirects_to_the_criterion(client, appraiser, assessment):
    client.force_login(appraiser)
    score = score_of(assessment, "1.1")
    response = client.post(
        url(assessment, "appraise_score", score.pk), {"version": score.version, "appraised_score": "2"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#tc-1.1")


def test_return_then_mark_appraised_through_the_page(client, appraiser, assessment):
    client.force_login(appraiser)
    c11 = score_of(assessment, "1.1").criterion
    response = client.post(
        url(assessment, "return_criteria"),
        {"return": [str(c11.pk)], f"request-{c11.pk}": "Bổ sung quyết định ban hành kế hoạch"},
        follow=True,
    )
    assert "Đã trả lại 1 tiêu chí để Xã Đồng Tâm bổ sung (lần 1)." in response.content.decode()
    assert score_of(assessment, "1.1").revision_request == "Bổ sung quyết định ban hành kế hoạch"
    assessment = assessment_of(assessment.period, assessment.commune)
    assert assessment.status == Status.RETURNED
    Assessment.objects.filter(pk=assessment.pk).update(status=Status.SUBMITTED)
    page = client.get(url(assessment)).content.decode()
    assert "Các lần yêu cầu bổ sung (1)" in page
    client.post(url(assessment, "accept_self"))
    response = client.post(url(assessment, "mark_appraised"), follow=True)
    assert "Đã hoàn thành thẩm định hồ sơ." in response.content.decode()
    assert assessment_of(assessment.period, assessment.commune).status == Status.APPRAISED


def test_lock_and_reopen_from_the_page_need_a_reason(client, appraiser, assessment):
    client.force_login(appraiser)
    response = client.post(url(assessment, "lock"), {"action": "lock", "reason": ""}, follow=True)
    assert "Vui lòng nêu lý do." in response.content.decode()
    client.post(url(assessment, "lock"), {"action": "lock", "reason": "Đang thanh tra"})
    assert assessment_of(assessment.period, assessment.commune).locked
    page = client.get(url(assessment)).content.decode()
    assert "Hồ sơ đang bị khóa chỉnh sửa." in page and 'name="appraised_score"' not in page


def test_the_minutes_pdf_reads_back(client, appraiser, assessment, tmp_path):
    score = score_of(assessment, "1.2")
    services.appraise_score(score, value="2,75", note="Thiếu báo cáo quý III", version=score.version, by=appraiser)
    services.accept_self_scores(assessment, by=appraiser)
    services.mark_appraised(assessment, by=appraiser)
    client.force_login(appraiser)
    response = client.get(url(assessment, "minutes"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "bien-ban.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Độc lập - Tự do - Hạnh phúc" in text
    flat = " ".join(text.split())
    assert "BIÊN BẢN" in text and "Xã Đồng Tâm" in text
    # Nghị định 30/2020/NĐ-CP: parent and issuing body, number/symbol, place and date, title and
    # summary, recipients, capacity above each signature.
    day = timezone.localdate()
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    place_date = f"Ninh Giang, ngày {day.day:02d} tháng {month} năm {day.year}"
    assert place_date in flat
    assert "PHÒNG NỘI VỤ HUYỆN NINH GIANG" in text and "TỔ THẨM ĐỊNH" in text and "Số: /BB-TTĐ" in flat
    assert "Thẩm định kết quả tự đánh giá, chấm điểm Chỉ số cải cách hành chính" in flat
    assert "Nơi nhận: - UBND Xã Đồng Tâm; - UBND huyện Ninh Giang (để báo cáo); - Lưu: VT, Tổ thẩm định." in flat
    assert "ĐẠI DIỆN XÃ ĐỒNG TÂM" in text and flat.count("(Ký, ghi rõ họ tên)") == 2
    assert "3,5" in text and "2,75" in text and "Thiếu báo cáo quý III" in text
    assert "9,5" in text and "8,75" in text  # totals: self 2 + 3,5 + 4, appraised 2 + 2,75 + 4
    assert "Chênh lệch ở các tiêu chí xã tự chấm (thẩm định − tự chấm): -0,75 điểm." in flat
    assert "nhập từ điều tra" not in flat  # no imported criterion here
    assert "Trần Thị Bình" in text
    assert "Trang 1/1" in text


def test_imported_criteria_are_shown_apart_from_the_difference(client, appraiser, assessment, tmp_path):
    """Self 5,5 on the two self-assessed criteria, appraised 4,75 there (−0,75), and the survey
    criterion 2.1 imported at 3,25: the page and the minutes say the difference is over the
    commune's own criteria and show the imported points on their own line (issue 14)."""
    Criterion.objects.filter(criteria_set=assessment.period.criteria_set, code="2.1").update(
        method=Method.SURVEY
    )
    Score.objects.filter(assessment=assessment, criterion__code="2.1").update(
        appraised_score=Decimal("3.25")
    )
    score = score_of(assessment, "1.2")
    services.appraise_score(score, value="2,75", note="Thiếu báo cáo quý III", version=score.version, by=appraiser)
    services.accept_self_scores(assessment, by=appraiser)
    client.force_login(appraiser)
    page = client.get(url(assessment)).content.decode()
    totals = page[page.index('id="ap-totals"') : page.index("</section>", page.index('id="ap-totals"'))]
    assert "5,5<small>/6</small></span><span class=\"stat-label\">điểm tự chấm ở các tiêu chí xã tự chấm" in totals
    assert "4,75<small>/6</small></span><span class=\"stat-label\">điểm thẩm định ở các tiêu chí xã tự chấm" in totals
    assert "-0,75</span><span class=\"stat-label\">chênh lệch ở các tiêu chí xã tự chấm" in totals
    assert "3,25<small>/4</small></span><span class=\"stat-label\">điểm các tiêu chí nhập từ điều tra, khảo sát, số liệu (1 tiêu chí" in totals
    assert "8<small>/10</small></span><span class=\"stat-label\">tổng điểm thẩm định" in totals
    path = tmp_path / "bien-ban.pdf"
    path.write_bytes(client.get(url(assessment, "minutes")).content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Các tiêu chí xã tự chấm 6 5,5 4,75 Chênh lệch ở các tiêu chí xã tự chấm: -0,75 điểm" in flat
    # The wrapped name cell: maximum 4, no self score, 3,25 imported.
    assert re.search(r"Các tiêu chí nhập từ điều tra, khảo (sát, số liệu )?4 — 3,25", flat)
    assert "(1 tiêu chí, xã không tự chấm)" in flat
    assert "Tổng cộng 10 5,5 8" in flat
    assert "trong đó 3,25 điểm của 1 tiêu chí nhập từ điều tra, khảo sát, số liệu" in flat


def test_the_minutes_list_bonus_and_deduction_points_in_the_total(client, appraiser, assessment, tmp_path):
    services.accept_self_scores(assessment, by=appraiser)  # 2 + 3,5 + 4 = 9,5
    add_adjustment(assessment, "0,5", "Mô hình một cửa điện tử", by=appraiser)
    add_adjustment(assessment, "-1,25", "Chậm gửi báo cáo năm", by=appraiser)
    client.force_login(appraiser)
    path = tmp_path / "bien-ban.pdf"
    path.write_bytes(client.get(url(assessment, "minutes")).content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = " ".join(text.split())
    assert "Điểm thưởng +0,5 Mô hình một cửa điện tử" in flat
    assert "Điểm trừ -1,25 Chậm gửi báo cáo năm" in flat
    assert "tổng điểm thẩm định: 8,75 điểm, đã gồm điểm thưởng, trừ -0,75" in flat


def test_history_is_filterable_by_action_criterion_and_user(client, appraiser, officer, assessment):
    score = score_of(assessment, "1.2")
    services.appraise_score(score, value="3", note="Thiếu một báo cáo", version=score.version, by=appraiser)
    other = score_of(assessment, "2.1")
    services.appraise_score(other, value="4", note="", version=other.version, by=appraiser)
    client.force_login(appraiser)
    page = client.get(url(assessment, "audit"), {"criterion": "1.2"}).content.decode()
    assert "Thiếu một báo cáo" in page and "Chấm điểm thẩm định" in page
    assert ">2.1<" not in page
    page = client.get(url(assessment, "audit"), {"action": "review_started"}).content.decode()
    assert "Bắt đầu thẩm định" in page and "Thiếu một báo cáo" not in page
    page = client.get(url(assessment, "audit"), {"user": str(officer.pk)}).content.decode()
    assert "Không có sự kiện nào." in page
    assert AuditEvent.objects.filter(assessment=assessment, user=appraiser).count() >= 4


def test_imported_criteria_show_their_source_read_only(client, appraiser, period, units, tmp_path):
    import io

    from django.core.management import call_command

    from scoring.models import Criterion, Method

    Criterion.objects.filter(criteria_set=period.criteria_set, code="2.1").update(method=Method.SIPAS)
    assessment = submitted(period, units["commune"], {"1.1": "2", "1.2": "4"})
    survey = tmp_path / "sipas-2024.csv"
    survey.write_text("commune_code,criterion_code,value,sample_size\nA,2.1,92.5,300\n", encoding="utf-8")
    call_command("import_survey", str(survey), "--period", period.code, "--as-percent", stdout=io.StringIO())
    client.force_login(appraiser)
    page = client.get(url(assessment)).content.decode()
    block = page[page.index('id="tc-2.1"'):]
    block = block[: block.index("</article>")]
    assert "nguồn: Khảo sát SIPAS, tệp “sipas-2024.csv”, n = 300, số liệu gốc 92,5" in block
    assert 'name="appraised_score"' not in block and "<b>3,7</b>" in block
    assert "Đã nhập số liệu" in block
