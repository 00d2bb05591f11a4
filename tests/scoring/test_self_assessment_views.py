"""The self-assessment page and its endpoints through the real stack (views, DB, templates)."""

import datetime
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from communes.models import Role
from scoring.audit import record_event
from scoring.models import Assessment, AuditEvent, Criterion, Method, NaPolicy, Score
from scoring.views.assessment import HISTORY_PAGE
from tests.evidence.builders import fill_assessment, make_wide_period
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PARTIAL = {"HTTP_X_AUTOSAVE": "1"}


def assessment_of(period, commune) -> Assessment:
    return Assessment.objects.select_related("period", "commune").get(period=period, commune=commune)


def score_of(assessment, code) -> Score:
    return Score.objects.select_related("criterion").get(assessment=assessment, criterion__code=code)


def save_url(assessment, score):
    return reverse(
        "scoring:save_score", args=[assessment.period.code, assessment.commune.code, score.pk]
    )


def post_score(client, assessment, score, value="", note="", *, version=None, partial=True, **extra):
    data = {"self_score": value, "self_note": note, "version": version or score.version, **extra}
    return client.post(save_url(assessment, score), data, **(PARTIAL if partial else {}))


@pytest.fixture
def assessment(period, units):
    return assessment_of(period, units["commune"])


# --- the page ---------------------------------------------------------------------------------


def test_officer_sees_the_whole_tree_with_progress(client, officer, assessment):
    client.force_login(officer)
    response = client.get(assessment.get_absolute_url())
    page = response.content.decode()
    assert response.status_code == 200
    for code, name in [("1", "Công tác chỉ đạo, điều hành"), ("1.1", "Kế hoạch CCHC"),
                       ("1.2", "Báo cáo CCHC"), ("2.1", "Công khai TTHC")]:
        assert f'id="tc-{code}"' in page or f'id="f-{code}"' in page
        assert name in page
    assert "0/3" in page  # leaves scored / total
    assert "Còn 29 ngày" in page  # opened yesterday, due 30 days after opening
    assert page.count('data-autosave ') + page.count("data-autosave>") >= 3
    assert "js/autosave.js" in page and "css/assessment.css" in page


def test_criteria_not_applying_and_imported_criteria_are_read_only(client, units):
    period = make_wide_period(units["district"], fields=10, leaves=9)
    officer = make_user("xa_a", unit=units["commune"], role=Role.COMMUNE_OFFICER)
    assessment = assessment_of(period, units["commune"])
    client.force_login(officer)
    page = client.get(assessment.get_absolute_url()).content.decode()
    block = page[page.index('id="tc-1.2"'):page.index('id="tc-1.3"')]
    assert "Không áp dụng" in block and "name=\"self_score\"" not in block  # only for phường
    survey = page[page.index('id="tc-10.9"'):]
    assert "Do Phòng Nội vụ nhập" in survey and 'name="self_score"' not in survey.split("</article>")[0]
    na = page[page.index('id="tc-1.3"'):page.index('id="tc-1.4"')]
    assert 'name="not_applicable"' in na
    # 90 leaves: 1 does not apply to a xã, 1 is imported → 88 to score; max 100 - 1.
    assert "0/88" in page
    assert "/99" in page


def test_page_query_count_does_not_grow_with_criteria_or_files(
    client, units, django_assert_max_num_queries
):
    period = make_wide_period(units["district"], fields=10, leaves=9)
    officer = make_user("xa_a", unit=units["commune"], role=Role.COMMUNE_OFFICER)
    assessment = assessment_of(period, units["commune"])
    fill_assessment(assessment, evidence=60, by=officer)
    client.force_login(officer)
    # session, user, memberships, assessment, criteria, scores, evidence, evidence links, the
    # bell's unread count
    with django_assert_max_num_queries(15) as captured:
        response = client.get(assessment.get_absolute_url())
    assert response.status_code == 200
    assert len(captured) <= 9, [q["sql"][:80] for q in captured.captured_queries]
    page = response.content.decode()
    assert page.count('class="crit ') == 90
    assert page.count(">Quyết định số 1-QĐ-UBND.pdf</a>") == 2  # linked to two criteria


def test_save_query_count(client, units, django_assert_max_num_queries):
    period = make_wide_period(units["district"], fields=10, leaves=9)
    officer = make_user("xa_a", unit=units["commune"], role=Role.COMMUNE_OFFICER)
    assessment = assessment_of(period, units["commune"])
    fill_assessment(assessment, evidence=60, by=officer)
    score = score_of(assessment, "5.4")
    client.force_login(officer)
    client.get(assessment.get_absolute_url())  # the session exists, as in real use
    # session, user, the assessment by its two codes (its scope checked on the row), the
    # memberships, its scores as plain values with evidence counts (the saved one among
    # them), period (shared, its own row) and assessment (locked, its own row; on SQLite one
    # read with the chain: no row locks), the update, the audit events of both changed
    # fields in one INSERT: 9 here; BEGIN and COMMIT make it 11 outside the test transaction
    # (bench/assessment_page.py --queries).
    with django_assert_max_num_queries(9) as captured:
        response = post_score(client, assessment, score, "0,5", "Đã có kế hoạch")
    assert response.status_code == 200
    assert score_of(assessment, "5.4").self_score == Decimal("0.5")
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and "scoring_auditevent" in inserts[0]
    events = AuditEvent.objects.filter(criterion=score.criterion, action="score_changed")
    assert list(events.order_by("id").values_list("field_name", flat=True))[-2:] == [
        "self_score", "self_note"
    ]
    # No scope subquery: the assessment is read by its codes alone.
    assert not any("communes_unit" in q["sql"] and " IN (SELECT" in q["sql"]
                   for q in captured.captured_queries)


def test_save_answer_totals_its_field_by_name_and_the_page_every_field_in_order(client, units):
    """The answer's totals come from plain values (selectors.save_sheet), not models: the
    saved criterion's field keeps its name and counts the new score; the answer carries that
    field's summary row only (the others did not change), and the page lists every field in
    order with the same figures."""
    period = make_wide_period(units["district"], fields=10, leaves=9)
    officer = make_user("xa_a", unit=units["commune"], role=Role.COMMUNE_OFFICER)
    assessment = assessment_of(period, units["commune"])
    client.force_login(officer)
    score = score_of(assessment, "10.2")
    body = post_score(client, assessment, score, "0,75").content.decode()
    fields = Criterion.objects.filter(criteria_set=period.criteria_set, parent=None)
    names = [f"{f.code}. {f.name}" for f in fields.order_by("position")]
    tenth = fields.get(code="10")
    assert re.findall(r'<a href="#f-[^"]+">([^<]+)</a>', body) == [names[-1]]
    assert names[-1].startswith("10. ") and len(names) == 10
    assert re.search(rf'<tr id="fsum-{tenth.pk}" data-oob>.*?<td class="num">0,75</td>', body, re.S)
    assert re.search(rf'id="ftot-{tenth.pk}"[^>]*data-oob><b>0,75</b> / ', body)
    page = client.get(assessment.get_absolute_url()).content.decode()
    summary = page[page.index('id="field-summary"'):page.index("</details>")]
    assert re.findall(r'<a href="#f-[^"]+">([^<]+)</a>', summary) == names
    assert re.search(rf'<tr id="fsum-{tenth.pk}">.*?<td class="num">0,75</td>', summary, re.S)


# --- saving -------------------------------------------------------------------------------


def test_save_accepts_a_comma_decimal_and_answers_fragments(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    response = post_score(client, assessment, score, "1,5", "Ban hành KH số 12/KH-UBND")
    assert response.status_code == 200
    body = response.content.decode()
    stored = score_of(assessment, "1.1")
    assert stored.self_score == Decimal("1.5") and stored.version == 2
    assert stored.self_note == "Ban hành KH số 12/KH-UBND" and stored.updated_by == officer
    assert f'id="ver-{score.pk}" data-oob' in body and 'value="2"' in body
    field = Criterion.objects.get(criteria_set=assessment.period.criteria_set, code="1")
    assert re.search(rf'id="ftot-{field.pk}"[^>]*data-oob><b>1,5</b> / 6 điểm', body)
    assert 'id="progress-stats" data-oob' in body and "1/3" in body
    assert re.search(rf'<tr id="fsum-{field.pk}" data-oob>.*?<td class="num">1,5</td>', body, re.S)
    assert "Thiếu tài liệu kiểm chứng" in body or "Chưa có tài liệu" in body


def test_save_accepts_a_dot_decimal_too(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "1.2")
    assert post_score(client, assessment, score, "2.25").status_code == 200
    assert score_of(assessment, "1.2").self_score == Decimal("2.25")


@pytest.mark.parametrize(
    "value, message",
    [
        ("5", "Tiêu chí 1.1: điểm 5 vượt quá điểm tối đa 2."),
        ("-1", "Tiêu chí 1.1: điểm -1 không được âm."),
        ("abc", "Tiêu chí 1.1: “abc” không phải là số."),
        ("1,5,2", "Tiêu chí 1.1: “1,5,2” không phải là số hợp lệ"),
    ],
)
def test_bad_scores_are_refused_naming_the_criterion(client, officer, assessment, value, message):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    response = post_score(client, assessment, score, value)
    assert response.status_code == 422
    assert message in response.content.decode()
    stored = score_of(assessment, "1.1")
    assert stored.self_score is None and stored.version == 1
    assert not AuditEvent.objects.filter(action="score_changed").exists()


def test_save_without_javascript_redirects_to_the_criterion(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "2.1")
    response = post_score(client, assessment, score, "3", partial=False)
    assert response.status_code == 302
    assert response["Location"].endswith("#tc-2.1")
    page = client.get(response["Location"]).content.decode()
    assert "Đã lưu tiêu chí 2.1." in page


def test_every_field_change_is_audited_old_to_new(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "1.2")
    post_score(client, assessment, score, "3", "Đủ báo cáo")
    post_score(client, assessment, score, "3,5", "Đủ báo cáo", version=2)
    events = list(
        AuditEvent.objects.filter(action="score_changed", criterion=score.criterion).order_by("id")
    )
    assert [(e.field_name, e.old_value, e.new_value) for e in events] == [
        ("self_score", "", "3"),
        ("self_note", "", "Đủ báo cáo"),
        ("self_score", "3", "3,5"),
    ]
    assert all(e.user == officer and e.assessment_id == assessment.pk for e in events)


def test_two_people_saving_the_same_criterion_get_a_conflict_nothing_is_lost(
    client, officer, units, assessment
):
    colleague = make_user("canbo_a2", unit=units["commune"], role=Role.COMMUNE_OFFICER,
                          first_name="Lê Thị Hoa")
    score = score_of(assessment, "1.2")
    client.force_login(colleague)
    assert post_score(client, assessment, score, "4", "Của chị Hoa").status_code == 200
    client.force_login(officer)
    response = post_score(client, assessment, score, "2", "Của anh An", version=1)
    body = response.content.decode()
    assert response.status_code == 409
    assert "vừa được Lê Thị Hoa lưu" in body
    assert "Của chị Hoa" in body and "Của anh An" in body  # both values shown
    assert ">4<" in body and ">2<" in body
    assert "Giữ giá trị tôi vừa nhập" in body and "Dùng giá trị đã lưu" in body
    stored = score_of(assessment, "1.2")
    assert (stored.self_score, stored.self_note, stored.version) == (Decimal(4), "Của chị Hoa", 2)
    # "Keep mine" sends the stored version: now it is a deliberate overwrite.
    assert post_score(client, assessment, score, "2", "Của anh An", version=2).status_code == 200
    assert score_of(assessment, "1.2").self_score == Decimal(2)


def test_a_stale_version_with_the_same_values_is_no_conflict(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "1.2")
    post_score(client, assessment, score, "4")
    assert post_score(client, assessment, score, "4", version=1).status_code == 200


def test_not_applicable_only_where_the_policy_allows(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    response = post_score(client, assessment, score, "", not_applicable="on", not_applicable_reason="x")
    assert response.status_code == 422
    assert "Tiêu chí 1.1 không được khai báo “không áp dụng”" in response.content.decode()
    Criterion.objects.filter(pk=score.criterion_id).update(na_policy=NaPolicy.EXCLUDE)
    response = post_score(
        client, assessment, score, "", not_applicable="on", not_applicable_reason="Không phát sinh"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "0/8" in body or "/8" in body  # 2 points left the applicable maximum of 10
    stored = score_of(assessment, "1.1")
    assert stored.not_applicable and stored.not_applicable_reason == "Không phát sinh"


# --- permissions ------------------------------------------------------------------------------


def test_other_commune_gets_404_everywhere(client, other_officer, officer, assessment):
    client.force_login(other_officer)
    score = score_of(assessment, "1.1")
    base = [assessment.period.code, assessment.commune.code]
    assert client.get(assessment.get_absolute_url()).status_code == 404
    assert post_score(client, assessment, score, "1").status_code == 404
    assert client.get(reverse("scoring:submit", args=base)).status_code == 404
    assert client.post(reverse("scoring:submit", args=base), {"confirm": "1"}).status_code == 404
    assert client.post(reverse("scoring:withdraw", args=base)).status_code == 404
    assert client.get(reverse("scoring:history", args=base)).status_code == 404
    assert score_of(assessment, "1.1").self_score is None


def test_leader_reads_only(client, leader, units, assessment):
    commune_leader = make_user("chutich", unit=units["commune"], role=Role.LEADER)
    score = score_of(assessment, "1.1")
    Score.objects.filter(pk=score.pk).update(self_score=Decimal("1.5"), self_note="Đã ban hành")
    client.force_login(commune_leader)
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "Chế độ chỉ xem" in page and "Đã ban hành" in page
    assert 'name="self_score"' not in page and 'name="files"' not in page
    assert post_score(client, assessment, score, "2", version=1).status_code == 403
    assert score_of(assessment, "1.1").self_score == Decimal("1.5")


def test_appraisers_see_nothing_of_a_draft(client, appraiser, leader, assessment):
    Score.objects.filter(assessment=assessment).update(self_note="Bí mật nháp")
    for user in (appraiser, leader):
        client.force_login(user)
        response = client.get(assessment.get_absolute_url())
        assert response.status_code in (200, 403)
        assert "Bí mật nháp" not in response.content.decode()
    client.force_login(leader)
    assert "chưa nộp hồ sơ tự đánh giá" in client.get(assessment.get_absolute_url()).content.decode()


def test_appraiser_cannot_save_self_scores(client, appraiser, assessment):
    client.force_login(appraiser)
    score = score_of(assessment, "1.1")
    assert post_score(client, assessment, score, "1").status_code == 403


def test_far_appraiser_gets_404(client, far_appraiser, assessment):
    client.force_login(far_appraiser)
    assert client.get(assessment.get_absolute_url()).status_code == 404


def test_anonymous_is_sent_to_login(client, assessment):
    response = client.get(assessment.get_absolute_url())
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- workflow in the browser's endpoints ------------------------------------------------------


def fill(assessment, *values, note="Có văn bản"):
    for code, value in values:
        Score.objects.filter(assessment=assessment, criterion__code=code).update(
            self_score=Decimal(value), self_note=note
        )


def test_submit_page_lists_every_gap_with_a_link(client, officer, assessment):
    fill(assessment, ("1.1", "2"), note="")
    client.force_login(officer)
    url = reverse("scoring:submit", args=[assessment.period.code, assessment.commune.code])
    page = client.get(url).content.decode()
    assert "còn 3 tiêu chí cần hoàn thiện" in page
    assert f'href="{assessment.get_absolute_url()}#tc-1.1"' in page
    assert "Tiêu chí 1.1</a>: Có điểm nhưng chưa có tài liệu kiểm chứng" in page
    assert "Tiêu chí 1.2</a>: Chưa chấm điểm." in page
    assert 'name="confirm"' not in page
    response = client.post(url, {"confirm": "1"}, follow=True)
    assert "Hồ sơ còn 3 tiêu chí cần hoàn thiện trước khi nộp." in response.content.decode()
    assert assessment_of(assessment.period, assessment.commune).status == "draft"


def test_submit_then_read_only_then_withdraw(client, officer, assessment):
    fill(assessment, ("1.1", "2"), ("1.2", "4"), ("2.1", "0"))
    client.force_login(officer)
    base = [assessment.period.code, assessment.commune.code]
    page = client.get(reverse("scoring:submit", args=base)).content.decode()
    assert "Hồ sơ đã đủ" in page and 'name="confirm"' in page
    # Explained instead of evidence is not "thiếu tài liệu" (issue 14: counters say what they count).
    assert "0 tiêu chí có điểm nhưng thiếu tài liệu kiểm chứng, chưa giải trình." in page
    assert "2 tiêu chí chưa có tài liệu kiểm chứng, đã giải trình thay." in page
    sheet = client.get(assessment.get_absolute_url()).content.decode()
    assert "thiếu tài liệu</span>" not in sheet
    assert "(2 tiêu chí khác đã giải trình thay tài liệu)" in sheet
    response = client.post(reverse("scoring:submit", args=base), {"confirm": "1"}, follow=True)
    page = response.content.decode()
    assert "Đã nộp hồ sơ tự đánh giá" in page
    assert 'name="self_score"' not in page and "Rút lại hồ sơ" in page
    submitted = assessment_of(assessment.period, assessment.commune)
    assert submitted.status == "submitted" and submitted.submitted_at is not None
    score = score_of(assessment, "1.1")
    response = post_score(client, assessment, score, "1", version=score.version)
    assert response.status_code == 403 and "Đã nộp" in response.content.decode()
    response = client.post(reverse("scoring:withdraw", args=base), follow=True)
    assert "Đã rút lại hồ sơ" in response.content.decode()
    assert assessment_of(assessment.period, assessment.commune).status == "draft"
    assert list(
        AuditEvent.objects.filter(assessment=assessment, field_name="status")
        .order_by("id").values_list("action", "old_value", "new_value")
    ) == [("submitted", "draft", "submitted"), ("withdrawn", "submitted", "draft")]


def test_submit_needs_the_confirmation(client, officer, assessment):
    fill(assessment, ("1.1", "2"), ("1.2", "4"), ("2.1", "0"))
    client.force_login(officer)
    url = reverse("scoring:submit", args=[assessment.period.code, assessment.commune.code])
    client.post(url, {})
    assert assessment_of(assessment.period, assessment.commune).status == "draft"


def test_deadline_passed_closes_editing_unless_reopened(client, officer, assessment):
    today = datetime.date.today()
    period = assessment.period
    period.opens_on = today - datetime.timedelta(days=40)
    period.self_assessment_due = today - datetime.timedelta(days=1)
    period.save()
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "Đã hết hạn tự đánh giá" in page and 'name="self_score"' not in page
    response = post_score(client, assessment, score, "1")
    assert response.status_code == 403 and "Đã hết hạn tự đánh giá" in response.content.decode()
    Assessment.objects.filter(pk=assessment.pk).update(reopened_until=today + datetime.timedelta(days=3))
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert 'name="self_score"' in page and "Được mở lại đến" in page
    assert post_score(client, assessment, score, "1").status_code == 200
    Assessment.objects.filter(pk=assessment.pk).update(reopened_until=today - datetime.timedelta(days=1))
    assert post_score(client, assessment, score, "2", version=2).status_code == 403


def test_locked_closes_everything(client, officer, assessment):
    Assessment.objects.filter(pk=assessment.pk).update(locked=True)
    client.force_login(officer)
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "Hồ sơ đã bị khóa chỉnh sửa." in page and 'name="self_score"' not in page
    response = post_score(client, assessment, score_of(assessment, "1.1"), "1")
    assert response.status_code == 403


def test_returned_only_requested_criteria_are_editable(client, officer, assessment):
    fill(assessment, ("1.1", "2"), ("1.2", "4"), ("2.1", "0"))
    Score.objects.filter(assessment=assessment, criterion__code="1.2").update(
        revision_request="Bổ sung báo cáo quý IV"
    )
    Assessment.objects.filter(pk=assessment.pk).update(status="returned")
    client.force_login(officer)
    page = client.get(assessment.get_absolute_url()).content.decode()
    assert "Tổ thẩm định trả lại 1 tiêu chí" in page and "Bổ sung báo cáo quý IV" in page
    requested = page[page.index('id="tc-1.2"'):page.index('id="f-2"')]
    other = page[page.index('id="tc-1.1"'):page.index('id="tc-1.2"')]
    assert 'name="self_score"' in requested and 'name="self_score"' not in other
    response = post_score(client, assessment, score_of(assessment, "1.1"), "1")
    assert response.status_code == 403
    assert "không nằm trong các tiêu chí được trả lại" in response.content.decode()
    score = score_of(assessment, "1.2")
    assert post_score(client, assessment, score, "3", "Đã bổ sung").status_code == 200
    url = reverse("scoring:submit", args=[assessment.period.code, assessment.commune.code])
    client.post(url, {"confirm": "1"})
    resubmitted = assessment_of(assessment.period, assessment.commune)
    assert resubmitted.status == "submitted"
    assert AuditEvent.objects.filter(assessment=assessment, action="resubmitted").exists()


def test_history_shows_own_changes_but_not_appraisal_before_publication(
    client, officer, appraiser, assessment
):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    post_score(client, assessment, score, "2", "Có kế hoạch")
    record_event(assessment, by=appraiser, action="appraised_score", criterion=score.criterion,
                 field_name="appraised_score", old=None, new=Decimal("1.25"))
    record_event(assessment, by=appraiser, action="appraised_score", criterion=score.criterion,
                 field_name="appraisal_note", new="Ý kiến nội bộ của tổ")
    url = reverse("scoring:history", args=[assessment.period.code, assessment.commune.code])
    page = client.get(url).content.decode()
    assert "Sửa: điểm tự chấm" in page and "Có kế hoạch" in page
    assert "1,25" not in page and "Ý kiến nội bộ của tổ" not in page
    assessment.period.status = "published"
    assessment.period.save()
    page = client.get(url).content.decode()
    assert "1,25" in page


def test_imported_criteria_cannot_be_saved(client, officer, assessment):
    score = score_of(assessment, "2.1")
    Criterion.objects.filter(pk=score.criterion_id).update(method=Method.SURVEY)
    client.force_login(officer)
    response = post_score(client, assessment, score, "1")
    assert response.status_code == 403 and "do Phòng Nội vụ nhập" in response.content.decode()


def test_history_pages_through_every_event_newest_first(
    client, officer, assessment, django_assert_max_num_queries
):
    score = score_of(assessment, "1.1")
    for i in range(HISTORY_PAGE + 5):
        record_event(assessment, by=officer, action="score_changed", criterion=score.criterion,
                     field_name="self_note", new=f"Giải trình số {i}")
    client.force_login(officer)
    url = reverse("scoring:history", args=[assessment.period.code, assessment.commune.code])
    with django_assert_max_num_queries(12):
        first = client.get(url).content.decode()
    assert f"{HISTORY_PAGE + 5} sự kiện" in first and "Trang 1/2" in first
    assert f"Giải trình số {HISTORY_PAGE + 4}<" in first and "Giải trình số 4<" not in first
    second = client.get(url + "?page=2").content.decode()
    assert "Trang 2/2" in second and "Giải trình số 0<" in second and "← Trang trước" in second
