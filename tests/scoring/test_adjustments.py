"""Bonus and deduction points (điểm thưởng, điểm trừ) entered by the appraising unit: the
service's rules (services/adjustments.py), the appraisal page's card and its actions through
the real stack, the admin on the same path, and the totals the appraising unit sees (page,
period table) against what publishing writes."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from scoring.models import Adjustment, Assessment, AuditEvent, Result
from scoring.overview import period_table
from scoring.services import WorkflowError
from scoring.services import appraisal as appraisal_services
from scoring.services.adjustments import add_adjustment, change_adjustment, delete_adjustment
from scoring.services.publishing import publish_period

from .appraisal_data import assessment_of, submitted
from .publish_data import appraise_all

pytestmark = pytest.mark.django_db
D = Decimal
AUTOSAVE = {"HTTP_X_AUTOSAVE": "1"}


@pytest.fixture
def assessment(period, units):
    """Commune A submitted with self scores 2 + 3,5 + 4 = 9,5 (flat tree, 10 points)."""
    return submitted(period, units["commune"])


@pytest.fixture
def appraised(assessment, appraiser):
    """Every leaf appraised at its self score: 9,5."""
    appraisal_services.start_review(assessment, by=appraiser)
    appraisal_services.accept_self_scores(assessment, by=appraiser)
    return assessment_of(assessment.period, assessment.commune)


def url(assessment, name="assessment", *args):
    return reverse(f"scoring:{name}", args=[assessment.period.code, assessment.commune.code, *args])


def today() -> str:
    return timezone.localdate().strftime("%d/%m/%Y")


def publish(period, by):
    appraise_all(period, "1")  # every leaf 1 point, every assessment appraised
    return publish_period(period, by=by)


# --- the service --------------------------------------------------------------------------


def test_an_appraiser_adds_points_typed_with_a_comma_or_a_dot_and_it_is_audited(
    assessment, appraiser
):
    bonus = add_adjustment(assessment, "1,5", "  Giải thưởng sáng kiến CCHC ", by=appraiser)
    deduction = add_adjustment(assessment, "-0.25", "Chậm nộp báo cáo quý", by=appraiser)
    minus_sign = add_adjustment(assessment, "\u22122", "Vi phạm kỷ luật", by=appraiser)
    stored = {a.pk: a for a in Adjustment.objects.all()}
    assert stored[bonus.pk].points == D("1.5")
    assert stored[bonus.pk].reason == "Giải thưởng sáng kiến CCHC"
    assert stored[bonus.pk].created_by == appraiser
    assert stored[deduction.pk].points == D("-0.25")
    assert stored[minus_sign.pk].points == D(-2)
    events = AuditEvent.objects.filter(action="adjustment_added").order_by("pk")
    fields = ("assessment_id", "user", "field_name", "old_value", "new_value", "reason")
    assert [tuple(getattr(e, name) for name in fields) for e in events] == [
        (assessment.pk, appraiser, "points", "", "1,5", "Giải thưởng sáng kiến CCHC"),
        (assessment.pk, appraiser, "points", "", "-0,25", "Chậm nộp báo cáo quý"),
        (assessment.pk, appraiser, "points", "", "-2", "Vi phạm kỷ luật"),
    ]


@pytest.mark.parametrize("who", ["far_appraiser", "officer", "leader"])
def test_only_appraisers_of_the_period_unit_may_add_or_delete(request, assessment, appraiser, who):
    user = request.getfixturevalue(who)
    with pytest.raises(WorkflowError, match="Chỉ tổ thẩm định của Huyện Ninh Giang"):
        add_adjustment(assessment, "1", "Thưởng", by=user)
    kept = add_adjustment(assessment, "1", "Thưởng", by=appraiser)
    with pytest.raises(WorkflowError, match="Chỉ tổ thẩm định"):
        delete_adjustment(kept, reason="Nhập nhầm", by=user)
    assert list(Adjustment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert AuditEvent.objects.filter(action__startswith="adjustment").count() == 1


@pytest.mark.parametrize(
    "points, reason, message",
    [
        ("1,5", "", "nêu lý do"),
        ("1,5", "   ", "nêu lý do"),
        ("", "Thưởng", "nhập số điểm"),
        ("0", "Thưởng", "phải khác 0"),
        ("0,0001", "Thưởng", "phải khác 0"),  # rounds to 0,000
        ("một", "Thưởng", "không phải là số"),
        ("1.000,5", "Thưởng", "một dấu thập phân"),
        ("10,5", "Thưởng", "không được vượt quá 10 điểm"),  # the flat set totals 10
        ("-11", "Trừ", "không được vượt quá 10 điểm"),
    ],
)
def test_refused_input_writes_nothing(assessment, appraiser, points, reason, message):
    with pytest.raises(WorkflowError, match=message):
        add_adjustment(assessment, points, reason, by=appraiser)
    assert not Adjustment.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="adjustment").exists()


def test_the_whole_set_is_the_bound(assessment, appraiser):
    assert add_adjustment(assessment, "-10", "Trừ toàn bộ", by=appraiser).points == D(-10)


def test_delete_needs_a_reason_and_is_audited_with_both_reasons(assessment, appraiser):
    adjustment = add_adjustment(assessment, "-2", "Chậm nộp báo cáo", by=appraiser)
    with pytest.raises(WorkflowError, match="lý do xóa"):
        delete_adjustment(adjustment, reason=" ", by=appraiser)
    assert Adjustment.objects.filter(pk=adjustment.pk).exists()
    delete_adjustment(adjustment, reason="Xã đã nộp đúng hạn, nhập nhầm", by=appraiser)
    assert not Adjustment.objects.exists()
    event = AuditEvent.objects.get(action="adjustment_deleted")
    assert (event.assessment_id, event.user) == (assessment.pk, appraiser)
    assert event.field_name == "points"
    assert (event.old_value, event.new_value) == ("-2", "")
    assert event.reason == "Xã đã nộp đúng hạn, nhập nhầm"
    assert event.detail == {"adjustment_reason": "Chậm nộp báo cáo"}
    with pytest.raises(WorkflowError, match="đã bị xóa"):
        delete_adjustment(adjustment, reason="Lần nữa", by=appraiser)


def test_change_is_audited_old_to_new(assessment, appraiser):
    adjustment = add_adjustment(assessment, "1", "Thưởng", by=appraiser)
    change_adjustment(adjustment, "1,25", "Thưởng sáng kiến", by=appraiser)
    adjustment.refresh_from_db()
    assert (adjustment.points, adjustment.reason) == (D("1.25"), "Thưởng sáng kiến")
    event = AuditEvent.objects.get(action="adjustment_changed")
    assert (event.old_value, event.new_value, event.reason) == ("1", "1,25", "Thưởng sáng kiến")
    assert event.detail == {"old_reason": "Thưởng"}


def test_published_results_refuse_adding_changing_and_deleting(period, units, appraiser, leader):
    assessment = assessment_of(period, units["commune"])
    adjustment = add_adjustment(assessment, "1", "Thưởng", by=appraiser)
    publish(period, leader)
    assessment = assessment_of(period, units["commune"])
    for attempt in (
        lambda: add_adjustment(assessment, "1", "Thưởng thêm", by=appraiser),
        lambda: change_adjustment(adjustment, "2", "Đổi", by=appraiser),
        lambda: delete_adjustment(adjustment, reason="Bỏ", by=appraiser),
    ):
        with pytest.raises(WorkflowError, match="đã được công bố"):
            attempt()
    assert list(Adjustment.objects.values_list("points", flat=True)) == [D(1)]


# --- the appraisal page and its actions ---------------------------------------------------


def test_the_page_lists_the_points_and_counts_them_in_the_overall_total(
    client, appraised, appraiser
):
    client.force_login(appraiser)
    page = client.get(url(appraised)).content.decode()
    assert "Điểm thưởng, điểm trừ" in page and "Chưa có điểm thưởng, điểm trừ." in page
    assert "đã gồm điểm thưởng" not in page
    assert 'name="points"' in page  # the form to add one
    add_adjustment(appraised, "1,5", "Giải thưởng sáng kiến", by=appraiser)
    add_adjustment(appraised, "-0,25", "Chậm nộp báo cáo quý", by=appraiser)
    page = client.get(url(appraised)).content.decode()
    card = page[page.index('id="diem-thuong-tru"') :]
    for text in ("+1,5", "Giải thưởng sáng kiến", "-0,25", "Chậm nộp báo cáo quý",
                 "Trần Thị Bình", today()):
        assert text in card, text
    assert card.index("+1,5") < card.index("-0,25")  # oldest first
    # 9,5 appraised + 1,5 − 0,25 = 10,75, said to include them; the fields stay 9,5.
    totals = page[page.index('id="ap-totals"') : page.index('id="diem-thuong-tru"')]
    assert "10,75<small>/10</small>" in totals
    assert "đã gồm điểm thưởng, trừ (+1,25)" in totals
    footer = totals[totals.index("<tfoot>") : totals.index("</tfoot>")]
    assert (
        '#diem-thuong-tru">Điểm thưởng, điểm trừ</a></th><td></td><td></td>'
        '<td class="num">+1,25</td><td></td>'
    ) in footer
    # Tổng: maximum 10, self 9,5, appraised 10,75.
    assert (
        'Tổng (đã gồm điểm thưởng, trừ)</th><th class="num">10</th><th class="num">9,5</th>'
        '<th class="num">10,75</th><th class="num"></th>'
    ) in footer
    assert card.count("Lý do xóa") == 2


def test_adding_and_deleting_on_the_page(client, appraised, appraiser):
    client.force_login(appraiser)
    response = client.post(
        url(appraised, "add_adjustment"),
        {"points": "-1,5", "reason": "Chậm nộp báo cáo năm"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url(appraised)
    page = response.content.decode()
    assert "Đã ghi điểm thưởng, điểm trừ." in page
    assert "8<small>/10</small>" in page and "Chậm nộp báo cáo năm" in page
    adjustment = Adjustment.objects.get()
    assert (adjustment.assessment_id, adjustment.points) == (appraised.pk, D("-1.5"))

    response = client.post(
        url(appraised, "add_adjustment"), {"points": "2", "reason": ""}, follow=True
    )
    assert "Vui lòng nêu lý do cộng hoặc trừ điểm." in response.content.decode()
    assert Adjustment.objects.count() == 1

    target = url(appraised, "delete_adjustment", adjustment.pk)
    response = client.post(target, {"reason": ""}, follow=True)
    assert "lý do xóa" in response.content.decode() and Adjustment.objects.exists()
    response = client.post(target, {"reason": "Nhập nhầm đơn vị"}, follow=True)
    assert "Đã xóa khoản điểm thưởng, điểm trừ." in response.content.decode()
    assert not Adjustment.objects.exists()
    assert AuditEvent.objects.get(action="adjustment_deleted").reason == "Nhập nhầm đơn vị"
    assert client.get(target).status_code == 405  # actions are POST only


def test_wrong_role_gets_403_and_another_commune_404(
    client, appraised, appraiser, officer, other_officer, leader, far_appraiser, period, units
):
    adjustment = add_adjustment(appraised, "1", "Thưởng", by=appraiser)
    add = url(appraised, "add_adjustment")
    delete = url(appraised, "delete_adjustment", adjustment.pk)
    data = {"points": "5", "reason": "Thử"}
    for user, status in ((officer, 403), (leader, 403), (other_officer, 404), (far_appraiser, 404)):
        client.force_login(user)
        assert client.post(add, data).status_code == status, user
        assert client.post(delete, data).status_code == status, user
    client.logout()
    response = client.post(add, data)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    # An adjustment of commune B through commune A's URL.
    commune_b = assessment_of(period, units["other_commune"])
    other = add_adjustment(commune_b, "1", "Thưởng", by=appraiser)
    client.force_login(appraiser)
    assert client.post(url(appraised, "delete_adjustment", other.pk), data).status_code == 404
    assert list(Adjustment.objects.order_by("pk").values_list("points", flat=True)) == [D(1), D(1)]


def test_after_publishing_the_list_is_read_only(client, period, units, appraiser, leader):
    assessment = assessment_of(period, units["commune"])
    add_adjustment(assessment, "0,5", "Thưởng sáng kiến", by=appraiser)
    publish(period, leader)
    client.force_login(appraiser)
    page = client.get(url(assessment)).content.decode()
    card = page[page.index('id="diem-thuong-tru"') :]
    assert "+0,5" in card and "Thưởng sáng kiến" in card
    assert 'name="points"' not in card and "Lý do xóa" not in card
    response = client.post(
        url(assessment, "add_adjustment"), {"points": "1", "reason": "Thêm"}, follow=True
    )
    assert "đã được công bố" in response.content.decode()
    assert Adjustment.objects.count() == 1


@pytest.mark.parametrize("count", [1, 6])
def test_the_page_costs_the_same_queries_whatever_the_number_of_adjustments(
    client, appraised, appraiser, count, django_assert_num_queries
):
    for i in range(count):
        add_adjustment(appraised, "0,5", f"Thưởng {i}", by=appraiser)
    client.force_login(appraiser)
    client.get(url(appraised))  # the session exists, as in real use
    # session, user, memberships, assessment, criteria, scores, evidence, evidence links,
    # return rounds, assignee, the adjustments with who entered them, TTHC figures, the reply
    # round's replies, the bell's unread count: 14
    with django_assert_num_queries(14):
        response = client.get(url(appraised))
    assert response.content.decode().count('<tr id="adj-') == count


def test_an_autosave_answer_keeps_the_points_in_the_total(client, appraised, appraiser):
    add_adjustment(appraised, "1,5", "Thưởng", by=appraiser)
    score = appraised.scores.get(criterion__code="2.1")  # 4 → 3: 9,5 − 1 + 1,5 = 10
    client.force_login(appraiser)
    response = client.post(
        url(appraised, "appraise_score", score.pk),
        {"version": score.version, "appraised_score": "3", "appraisal_note": "Thiếu một báo cáo"},
        **AUTOSAVE,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "10<small>/10</small>" in body and "đã gồm điểm thưởng, trừ (+1,5)" in body


# --- the period table and publishing ------------------------------------------------------


def test_period_table_shows_the_total_publishing_writes(client, period, units, appraiser, leader):
    a = assessment_of(period, units["commune"])
    b = assessment_of(period, units["other_commune"])
    appraise_all(period, "1")  # 3 leaves: 3 points each
    add_adjustment(a, "1,5", "Giải thưởng sáng kiến", by=appraiser)
    add_adjustment(a, "-0,125", "Chậm nộp báo cáo", by=appraiser)
    rows = {row.commune.code: row for row in period_table(period).rows}
    assert rows["A"].appraised_total == D("4.375") and rows["A"].adjustment_text == "+1,375"
    assert rows["B"].appraised_total == D(3) and rows["B"].adjustment is None
    client.force_login(appraiser)
    page = client.get(period.get_absolute_url()).content.decode()
    row_a = page[page.index('id="row-A"') : page.index('id="row-B"')]
    assert "4,375" in row_a and "thưởng/trừ +1,375" in row_a
    assert "thưởng/trừ" not in page[page.index('id="row-B"') :]

    publish_period(period, by=leader)
    published = dict(Result.objects.values_list("commune__code", "total"))
    assert published == {"A": rows["A"].appraised_total, "B": rows["B"].appraised_total}
    result = Result.objects.get(commune__code="A")
    assert result.adjustment == D("1.375")
    reasons = [item["reason"] for item in result.adjustments]
    assert reasons == ["Giải thưởng sáng kiến", "Chậm nộp báo cáo"]
    assert Assessment.objects.get(pk=a.pk).status == Assessment.Status.PUBLISHED


# --- the admin uses the same service ------------------------------------------------------


def test_admin_changes_and_deletes_through_the_service(admin_client, assessment, admin_user):
    response = admin_client.post(
        "/admin/scoring/adjustment/add/",
        {"assessment": assessment.pk, "points": "0", "reason": "Thưởng"},
    )
    # Refused by the service's rule, shown on the form.
    assert "Không thêm được: Điểm thưởng, điểm trừ phải khác 0." in response.content.decode()
    assert not Adjustment.objects.exists()
    admin_client.post(
        "/admin/scoring/adjustment/add/",
        {"assessment": assessment.pk, "points": "1,5", "reason": "Thưởng"},
    )
    adjustment = Adjustment.objects.get()
    change = f"/admin/scoring/adjustment/{adjustment.pk}/change/"
    response = admin_client.post(change, {"points": "2", "reason": "Thưởng sáng kiến"})
    assert response.status_code == 302
    assert AuditEvent.objects.get(action="adjustment_changed").new_value == "2"
    delete = f"/admin/scoring/adjustment/{adjustment.pk}/delete/"
    assert "Lý do xóa" in admin_client.get(delete).content.decode()
    response = admin_client.post(delete, {"post": "yes", "delete_reason": ""}, follow=True)
    assert "Vui lòng nêu lý do xóa" in response.content.decode()
    assert Adjustment.objects.exists()
    response = admin_client.post(delete, {"post": "yes", "delete_reason": "Nhập nhầm"})
    assert response.status_code == 302
    assert not Adjustment.objects.exists()
    event = AuditEvent.objects.get(action="adjustment_deleted")
    assert (event.user, event.old_value, event.reason) == (admin_user, "2", "Nhập nhầm")
