"""The scoring admin: every page in bounded queries, the criteria tree, cloning, criteria files,
periods with bands, audited score edits, and what publishing freezes."""

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from communes.models import Role
from scoring import rules
from scoring.audit import record_event
from scoring.models import (
    Adjustment,
    Assessment,
    AuditEvent,
    CriteriaSet,
    Criterion,
    FieldScore,
    Period,
    ProcedureFigures,
    Publication,
    Result,
    Score,
    encode_field_scores,
)
from tests.factories import (
    make_criteria_set,
    make_period,
    make_unit,
    make_user,
    score_admin_form,
)

pytestmark = pytest.mark.django_db
D = Decimal


def publish(period, *, by=None):
    """Freeze `period` the way publishing leaves it: statuses, a publication, result rows."""
    Period.objects.filter(pk=period.pk).update(status=Period.Status.PUBLISHED)
    period.assessments.update(status=Assessment.Status.PUBLISHED)
    period.refresh_from_db()
    publication = Publication.objects.create(
        period=period,
        version=1,
        published_at=timezone.now(),
        published_by=by,
        decision="766/QĐ-UBND",
        decision_date=datetime.date(2023, 3, 16),
        exclusions={"X": "Sáp nhập"},
    )
    fields = list(period.criteria_set.criteria.fields())
    assessments = list(period.assessments.select_related("commune"))
    for rank, assessment in enumerate(assessments, start=1):
        Result.objects.create(
            publication=publication,
            commune=assessment.commune,
            total=D("87.755"),
            applicable_max=D(10),
            index=D("87.755"),
            rank=rank,
            rank_of=len(assessments),
            classification="Hoàn thành tốt nhiệm vụ",
            field_results=json.loads(
                encode_field_scores(
                    {field.code: FieldScore(D("5.5"), field.max_points, 1, 2) for field in fields}
                )
            ),
        )
    return publication


def fill(period, by):
    """An adjustment, audit events and TTHC figures for every assessment of the period."""
    for assessment in period.assessments.all():
        Adjustment.objects.create(
            assessment=assessment, points=D("-0.5"), reason="Chậm nộp báo cáo", created_by=by
        )
        record_event(assessment, by=by, action="submitted")
        ProcedureFigures.objects.create(
            period=period, commune=assessment.commune, received=9, processed=8, on_time=7, late=1
        )


@pytest.fixture
def objects(period, admin_user):
    fill(period, admin_user)
    old = make_period(period.unit, code="P2023", year=2023)
    publication = publish(old, by=admin_user)
    Period.objects.filter(pk=period.pk).update(previous=old)
    CriteriaSet.objects.filter(pk=period.criteria_set_id).update(issued_by=period.unit.parent)
    period.refresh_from_db()
    result = publication.results.first()
    return {
        "criteriaset": period.criteria_set,
        "criterion": period.criteria_set.criteria.get(code="1.2"),
        "period": period,
        "assessment": period.assessments.get(commune__code="A"),
        "score": Score.objects.get(
            assessment__period=period, assessment__commune__code="A", criterion__code="1.1"
        ),
        "adjustment": Adjustment.objects.filter(assessment__period=period).first(),
        "auditevent": AuditEvent.objects.filter(assessment__isnull=False).first(),
        "publication": publication,
        "result": result,
        "procedurefigures": ProcedureFigures.objects.filter(period=period).first(),
    }


def grow(district, admin_user):
    """20 more communes, and a third period over all of them: assessments, scores, adjustments,
    audit events, a publication with results — every list gets longer."""
    for i in range(20):
        make_unit(f"X{i:03}", f"Xã Thử {i}", "xa", district)
    big = make_period(district, code="P2025", year=2025)
    fill(big, admin_user)
    publish(big, by=admin_user)
    make_criteria_set("CS-EXTRA", tree="deep")


# Query bounds, measured and pinned (after one warm-up request: Django caches content types
# per process). Every admin page reads the session and the user (2). A changelist counts the
# filtered rows and all rows (2), reads one page of rows with their joins (1) and the choices
# of its filters that read the database (periods, years, actions, depths, classifications,
# issuing units: +1 or +2). A change page reads the object with its joins (1), then, where
# they apply: its inline rows with their joins (scores of an assessment: +1), the field names
# of a result's field results (+1), the codes of the published periods, to know whether the object is frozen (+1),
# the criteria tree (+1), the selected value of each autocomplete (+1 each).
PAGES = {
    # page: (changelist, add page or None when nobody may add, change page)
    "criteriaset": (6, 2, 6),  # change: set, published periods, tree, issuing unit
    "criterion": (7, 2, 6),  # change: criterion, published periods, its set and parent
    "period": (6, 2, 4),  # change: period, the previous period
    "assessment": (6, None, 4),  # change: assessment, its scores
    "score": (6, None, 3),
    "adjustment": (6, 2, 3),
    "auditevent": (7, None, 3),
    "publication": (6, None, 3),
    "result": (7, None, 4),  # change: result, its field results
    "procedurefigures": (6, 3, 3),  # add: the periods to choose from
}


@pytest.mark.parametrize("name", PAGES)
def test_every_page_answers_in_bounded_queries(
    admin_client, objects, admin_user, name, django_assert_max_num_queries
):
    list_bound, add_bound, change_bound = PAGES[name]
    base = f"/admin/scoring/{name}/"
    change = f"{base}{objects[name].pk}/change/"
    admin_client.get(base), admin_client.get(change)  # warm-up
    with django_assert_max_num_queries(list_bound) as few:
        assert admin_client.get(base).status_code == 200
    if add_bound is None:
        assert admin_client.get(f"{base}add/").status_code == 403
    else:
        with django_assert_max_num_queries(add_bound):
            assert admin_client.get(f"{base}add/").status_code == 200
    with django_assert_max_num_queries(change_bound) as few_change:
        assert admin_client.get(change).status_code == 200
    grow(objects["period"].unit, admin_user)
    with django_assert_max_num_queries(list_bound) as many:
        assert admin_client.get(base).status_code == 200
    assert len(many) == len(few)
    with django_assert_max_num_queries(change_bound) as many_change:
        assert admin_client.get(change).status_code == 200
    assert len(many_change) == len(few_change)


def test_non_staff_go_to_login_and_staff_without_permissions_get_403(client, objects, officer):
    client.force_login(officer)
    for name in PAGES:
        response = client.get(f"/admin/scoring/{name}/")
        assert response.status_code == 302 and response["Location"].startswith(
            "/admin/login/"
        ), name
    client.force_login(make_user("nhanvien", is_staff=True))
    for name in PAGES:
        assert client.get(f"/admin/scoring/{name}/").status_code == 403, name
    for url in (
        "/admin/scoring/criterion/export/",
        "/admin/scoring/criterion/import/",
        f"/admin/scoring/criteriaset/{objects['criteriaset'].pk}/clone/",
    ):
        assert client.get(url).status_code == 403, url


def test_lists_print_vietnamese_numbers_and_dates(admin_client, objects):
    page = admin_client.get("/admin/scoring/result/").content.decode()
    assert "87,76" in page and "1/2" in page and "Hoàn thành tốt nhiệm vụ" in page
    page = admin_client.get("/admin/scoring/adjustment/").content.decode()
    assert "-0,5" in page
    period = objects["period"]
    page = admin_client.get("/admin/scoring/period/").content.decode()
    assert period.opens_on.strftime("%d/%m/%Y") in page


# --- the criteria tree --------------------------------------------------------------------


def test_criteria_tree_is_indented_by_depth(admin_client):
    criteria_set = make_criteria_set("DEEP", tree="deep")
    page = admin_client.get(
        f"/admin/scoring/criteriaset/{criteria_set.pk}/change/"
    ).content.decode()
    rows = page[page.index('class="criteria-tree"') :]
    codes = [f'/change/">{code}</a>' for code in ("1", "1.1", "1.1.1", "1.1.2", "1.2", "2", "2.1")]
    assert [rows.index(code) for code in codes] == sorted(rows.index(code) for code in codes)
    assert 'class="depth-0"' in rows and 'class="depth-1"' in rows and 'class="depth-2"' in rows
    # 1.1.1 sits two steps in (static/css/admin-tree.css: 24px a step; no style="", for the CSP)
    assert re.search(r'<tr class="depth-2">\s*<td class="indent code">\s*<a [^>]*>1\.1\.1<', rows)
    assert "Hoàn thành kế hoạch" in rows and "Tự đánh giá" in rows
    assert "⚠" not in rows


def test_criteria_tree_warns_on_every_sum_that_does_not_add_up(admin_client):
    criteria_set = make_criteria_set("BROKEN", tree="flat")
    field = criteria_set.criteria.get(code="2")
    # Inserted directly, as a bad edit would: field 2 (4 points) gets a 1,5-point child more,
    # and a third field makes the set 12 points instead of 10.
    Criterion.objects.create(
        criteria_set=criteria_set,
        parent=field,
        field=field,
        code="2.2",
        position=6,
        depth=1,
        name="Tiêu chí thêm",
        max_points=D("1.5"),
    )
    Criterion.objects.create(
        criteria_set=criteria_set, code="3", position=7, name="Lĩnh vực thêm", max_points=D(2)
    )
    page = admin_client.get(
        f"/admin/scoring/criteriaset/{criteria_set.pk}/change/"
    ).content.decode()
    tree = page[page.index('class="criteria-tree"') :]
    assert "⚠ Tiêu chí 2: tổng điểm tối đa các tiêu chí con là 5,5, khác điểm tối đa 4." in tree
    assert "⚠ Tổng điểm tối đa các lĩnh vực là 12, khác 10." in tree
    # The warning stands right under its parent's row.
    assert (
        tree.index('/change/">2</a>')
        < tree.index("⚠ Tiêu chí 2:")
        < tree.index('/change/">2.1</a>')
    )
    assert "Tiêu chí 1:" not in tree


# --- cloning ------------------------------------------------------------------------------


def test_clone_action_asks_a_code_and_copies_the_tree(admin_client):
    source = make_criteria_set("HD-2022", tree="deep", name="Bộ chỉ số CCHC cấp xã năm 2022")
    response = admin_client.post(
        "/admin/scoring/criteriaset/",
        {
            "action": "clone_for_next_year",
            "_selected_action": [source.pk],
        },
    )
    assert response.status_code == 302
    form_page = admin_client.get(response["Location"])
    assert form_page.context["form"].initial == {
        "code": "HD-2023",
        "name": "Bộ chỉ số CCHC cấp xã năm 2023",
    }
    response = admin_client.post(
        response["Location"], {"code": "HD-2023", "name": "Bộ chỉ số năm 2023"}
    )
    copy = CriteriaSet.objects.get(code="HD-2023")
    assert (
        response.status_code == 302
        and response["Location"] == f"/admin/scoring/criteriaset/{copy.pk}/change/"
    )
    assert copy.derived_from == source and copy.name == "Bộ chỉ số năm 2023"

    def tree(criteria_set):
        return sorted(
            (
                c.code,
                c.parent.code if c.parent else None,
                c.max_points,
                c.depth,
                c.field.code,
                c.evidence_required,
            )
            for c in criteria_set.criteria.select_related("parent", "field")
        )

    assert tree(copy) == tree(source) and len(tree(copy)) == 7
    page = admin_client.get(response["Location"]).content.decode()
    assert "Đã sao chép bộ tiêu chí HD-2022 thành HD-2023 (7 tiêu chí)" in page


def test_clone_refuses_an_existing_code_in_vietnamese(admin_client):
    source = make_criteria_set("A-2022")
    make_criteria_set("A-2023")
    url = f"/admin/scoring/criteriaset/{source.pk}/clone/"
    assert admin_client.get(url).context["form"].initial["code"] == "A-2022-copy"
    response = admin_client.post(url, {"code": "A-2023", "name": "Bản sao"})
    assert response.status_code == 200
    assert "Mã bộ tiêu chí A-2023 đã tồn tại; hãy chọn mã khác." in response.content.decode()
    assert CriteriaSet.objects.count() == 2


def test_clone_action_wants_exactly_one_set(admin_client):
    sets = [make_criteria_set("S1"), make_criteria_set("S2")]
    response = admin_client.post(
        "/admin/scoring/criteriaset/",
        {
            "action": "clone_for_next_year",
            "_selected_action": [s.pk for s in sets],
        },
        follow=True,
    )
    assert "Hãy chọn đúng một bộ tiêu chí để sao chép." in response.content.decode()
    assert CriteriaSet.objects.count() == 2


# --- criteria files -----------------------------------------------------------------------


def csv_upload(name, rows):
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


HEADER = ["code", "parent_code", "name", "max_points", "method", "evidence_required", "guidance"]


def test_criteria_import_page_creates_the_set(admin_client):
    rows = [
        HEADER,
        ["1", "", "Chỉ đạo, điều hành", "60", "self_assessed", "", ""],
        ["1.1", "1", "Kế hoạch CCHC", "18,5", "self_assessed", "1", "Ban hành đúng hạn: 18,5"],
        ["1.2", "1", "Báo cáo", "41.5", "computed", "0", ""],
        ["2", "", "Khảo sát", "40", "sipas", "", ""],
    ]
    response = admin_client.post(
        "/admin/scoring/criterion/import/",
        {
            "file": csv_upload("tieu-chi.csv", rows),
            "code": "HD-2025",
            "name": "Bộ tiêu chí 2025",
            "legal_basis": "Quyết định số 1/QĐ-UBND",
            "total": "100",
        },
    )
    criteria_set = CriteriaSet.objects.get(code="HD-2025")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/scoring/criteriaset/{criteria_set.pk}/change/"
    assert criteria_set.legal_basis == "Quyết định số 1/QĐ-UBND"
    assert criteria_set.criteria.get(code="1.1").max_points == D("18.5")
    page = admin_client.get(response["Location"]).content.decode()
    assert "Đã nhập bộ tiêu chí HD-2025 (4 tiêu chí)." in page and "18,5" in page


def test_criteria_import_page_shows_every_error_and_saves_nothing(admin_client):
    rows = [
        HEADER,
        ["1", "", "Chỉ đạo", "abc", "self_assessed", "", ""],
        ["1.1", "9", "Kế hoạch", "5", "doan", "có lẽ", ""],
    ]
    response = admin_client.post(
        "/admin/scoring/criterion/import/",
        {
            "file": csv_upload("sai.csv", rows),
            "code": "SAI",
            "name": "Sai",
            "total": "100",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    for where in (
        "Dòng 2, cột max_points",
        "Dòng 3, cột method",
        "Dòng 3, cột evidence_required",
        "Dòng 3, cột parent_code",
    ):
        assert where in page, where
    assert not CriteriaSet.objects.filter(code="SAI").exists()


def test_criteria_export_uses_dot_decimals_and_imports_back(admin_client):
    source = make_criteria_set("DEEP", tree="deep")
    Criterion.objects.filter(criteria_set=source, code="1.1.2").update(
        max_points=D("1.25"), guidance="Đúng hạn"
    )
    Criterion.objects.filter(criteria_set=source, code="1.1.1").update(max_points=D("1.75"))
    make_criteria_set("OTHER")
    url = f"/admin/scoring/criterion/export/?criteria_set__id__exact={source.pk}"
    response = admin_client.post(url, {"format": "0"})
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:7] == HEADER
    assert rows[1][:7] == ["1", "", "Chỉ đạo, điều hành", "6", "self_assessed", "0", ""]
    assert [
        "1.1.2",
        "1.1",
        "Hoàn thành kế hoạch",
        "1.25",
        "self_assessed",
        "1",
        "Đúng hạn",
    ] == rows[4][:7]
    assert len(rows) == 8
    response = admin_client.post(
        "/admin/scoring/criterion/import/",
        {
            "file": SimpleUploadedFile("lai.csv", response.content),
            "code": "AGAIN",
            "name": "Nhập lại",
            "total": "10",
        },
    )
    assert response.status_code == 302
    again = CriteriaSet.objects.get(code="AGAIN")
    shape = (
        "code",
        "parent__code",
        "name",
        "max_points",
        "method",
        "evidence_required",
        "guidance",
        "depth",
    )
    assert list(again.criteria.order_by("position").values_list(*shape)) == list(
        source.criteria.order_by("position").values_list(*shape)
    )
    # XLSX: the same columns, maxima as real numbers.
    response = admin_client.post(url, {"format": "1"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0][:7]) == HEADER and values[4][3] == 1.25


def test_criteria_export_wants_one_set(admin_client):
    make_criteria_set("ONE")
    make_criteria_set("TWO")
    response = admin_client.post("/admin/scoring/criterion/export/", {"format": "0"}, follow=True)
    assert "Hãy lọc theo một bộ tiêu chí" in response.content.decode()


def test_adding_a_criterion_sets_its_depth_and_field(admin_client):
    criteria_set = make_criteria_set("ADD", tree="deep")
    parent = criteria_set.criteria.get(code="1.1")
    response = admin_client.post(
        "/admin/scoring/criterion/add/",
        {
            "criteria_set": criteria_set.pk,
            "parent": parent.pk,
            "code": "1.1.3",
            "position": "9",
            "name": "Tiêu chí mới",
            "max_points": "0,5",
            "method": "self_assessed",
            "guidance": "",
            "na_policy": "",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Criterion.objects.get(criteria_set=criteria_set, code="1.1.3")
    assert (added.depth, added.field.code, added.max_points) == (2, "1", D("0.5"))
    # The tree now shows the new sum does not add up.
    page = admin_client.get(
        f"/admin/scoring/criteriaset/{criteria_set.pk}/change/"
    ).content.decode()
    assert "Tiêu chí 1.1: tổng điểm tối đa các tiêu chí con là 3,5, khác điểm tối đa 3." in page


# --- periods ------------------------------------------------------------------------------


def period_form(**changes):
    data = {
        "code": "P2026",
        "year": "2026",
        "name": "",
        "criteria_set": "",
        "unit": "",
        "opens_on": "15/01/2026",
        "self_assessment_due": "15/02/2026",
        "appraisal_due": "15/03/2026",
        "bands_text": "Hoàn thành nhiệm vụ:65;Hoàn thành tốt nhiệm vụ:80",
        "previous": "",
    }
    return {**data, **changes}


def test_adding_a_period_opens_one_assessment_per_commune(admin_client, units, admin_user):
    criteria_set = make_criteria_set("CS-NEW")
    page = admin_client.get("/admin/scoring/period/add/").content.decode()
    assert (
        "Hoàn thành xuất sắc nhiệm vụ:90;Hoàn thành tốt nhiệm vụ:80" in page
    )  # the defaults shown
    response = admin_client.post(
        "/admin/scoring/period/add/",
        period_form(criteria_set=criteria_set.pk, unit=units["district"].pk),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    period = Period.objects.get(code="P2026")
    assert period.opens_on == datetime.date(2026, 1, 15) and period.status == Period.Status.OPEN
    assert period.name == "Chỉ số CCHC năm 2026 của UBND các xã, thị trấn huyện Ninh Giang"
    assert period.band_list() == [
        ("Hoàn thành tốt nhiệm vụ", D(80)),
        ("Hoàn thành nhiệm vụ", D(65)),
    ]
    assert sorted(period.assessments.values_list("commune__code", flat=True)) == ["A", "B"]
    assert Score.objects.filter(assessment__period=period).count() == 6
    assert AuditEvent.objects.filter(
        period=period, action="period_created", user=admin_user
    ).exists()
    page = admin_client.get(f"/admin/scoring/period/{period.pk}/change/").content.decode()
    assert "Hoàn thành tốt nhiệm vụ:80;Hoàn thành nhiệm vụ:65" in page and "15/01/2026" in page


def test_period_form_refuses_bad_bands_and_a_broken_set(admin_client, units):
    criteria_set = make_criteria_set("CS-BAD")
    Criterion.objects.filter(criteria_set=criteria_set, code="2.1").update(max_points=D(3))
    response = admin_client.post(
        "/admin/scoring/period/add/",
        period_form(
            criteria_set=criteria_set.pk,
            unit=units["district"].pk,
            bands_text="Tốt:80;Khá",
            opens_on="2026-13-01",
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "Mức xếp loại “Khá” phải có dạng TÊN:ĐIỂM_TỐI_THIỂU." in errors["bands_text"]
    assert any("Tiêu chí 2: tổng điểm tối đa" in error for error in errors["criteria_set"])
    assert "opens_on" in errors
    assert not Period.objects.filter(code="P2026").exists()


def test_changing_a_period_edits_bands_and_is_audited(admin_client, period, admin_user):
    url = f"/admin/scoring/period/{period.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    assert "published" not in [value for value, _ in form.fields["status"].choices]
    data = period_form(
        code=period.code,
        year=str(period.year),
        name=period.name,
        status="appraisal",
        opens_on=period.opens_on.strftime("%d/%m/%Y"),
        self_assessment_due=period.self_assessment_due.strftime("%d/%m/%Y"),
        appraisal_due=period.appraisal_due.strftime("%d/%m/%Y"),
        bands_text="Đạt:50",
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    period.refresh_from_db()
    assert period.bands == [["Đạt", "50.00"]] and period.status == Period.Status.APPRAISAL
    event = AuditEvent.objects.get(period=period, action="period_changed")
    assert "bands_text" in event.detail["fields"] and event.user == admin_user


def period_page(period, **changes) -> dict:
    """The change form of `period` as its page showed it, with `changes` typed in."""
    shown = dict(
        code=period.code,
        year=str(period.year),
        name=period.name,
        status=period.status,
        seen_status=period.status,
        opens_on=period.opens_on.strftime("%d/%m/%Y"),
        self_assessment_due=period.self_assessment_due.strftime("%d/%m/%Y"),
        appraisal_due=period.appraisal_due.strftime("%d/%m/%Y"),
        bands_text=rules.format_bands(period.band_list()),
    )
    return period_form(**{**shown, **changes})


def test_a_period_edit_keeps_a_status_set_after_its_page_was_opened(admin_client, period):
    page = period_page(period, name="Chỉ số CCHC 2026 (sửa tên)")
    assert page["status"] == Period.Status.OPEN
    # The appraisal starts (or a reopening for correction commits) while the page is open.
    Period.objects.filter(pk=period.pk).update(status=Period.Status.APPRAISAL)

    response = admin_client.post(f"/admin/scoring/period/{period.pk}/change/", page)

    assert response.status_code == 302, response.context["adminform"].form.errors
    period.refresh_from_db()
    assert (period.name, period.status) == ("Chỉ số CCHC 2026 (sửa tên)", Period.Status.APPRAISAL)
    event = AuditEvent.objects.get(period=period, action="period_changed")
    assert "seen_status" not in event.detail["fields"]


def test_a_status_change_from_a_page_that_missed_a_newer_status_is_refused(admin_client, period):
    page = period_page(period, status=Period.Status.DRAFT, name="Đổi tên")
    Period.objects.filter(pk=period.pk).update(status=Period.Status.APPRAISAL)

    response = admin_client.post(f"/admin/scoring/period/{period.pk}/change/", page)

    assert response.status_code == 200
    assert (
        "Không lưu được: trạng thái của kỳ đánh giá vừa được đổi thành “Đang thẩm định” sau khi "
        "trang được mở." in response.content.decode()
    )
    period.refresh_from_db()
    assert period.status == Period.Status.APPRAISAL and period.name != "Đổi tên"
    assert not AuditEvent.objects.filter(action="period_changed").exists()


# --- immutability -------------------------------------------------------------------------


def test_a_published_period_refuses_a_post_and_says_why(admin_client, period):
    publish(period)
    url = f"/admin/scoring/period/{period.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Chỉ xem, không sửa được: kỳ đánh giá đã công bố" in page
    assert 'name="_save"' not in page
    before = Period.objects.filter(pk=period.pk).values().get()
    response = admin_client.post(
        url, period_form(code=period.code, year="1999", name="Đổi tên", status="open")
    )
    assert response.status_code == 403
    assert Period.objects.filter(pk=period.pk).values().get() == before
    assert (
        admin_client.post(f"/admin/scoring/period/{period.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Period.objects.filter(pk=period.pk).exists()


def test_criteria_of_a_published_period_are_frozen(admin_client, period):
    publish(period)
    criteria_set, criterion = period.criteria_set, period.criteria_set.criteria.get(code="1.1")
    page = admin_client.get(
        f"/admin/scoring/criteriaset/{criteria_set.pk}/change/"
    ).content.decode()
    assert "đã được dùng cho kỳ đánh giá đã công bố (P2024)" in page
    assert "Sao chép cho năm sau" in page  # the way forward stays open
    page = admin_client.get(f"/admin/scoring/criterion/{criterion.pk}/change/").content.decode()
    assert "Chỉ xem, không sửa được" in page and "điểm tối đa" in page.lower()
    response = admin_client.post(
        f"/admin/scoring/criterion/{criterion.pk}/change/",
        {
            "criteria_set": criteria_set.pk,
            "code": "1.1",
            "name": "Đổi",
            "max_points": "9",
            "method": "survey",
            "position": "1",
            "na_policy": "",
        },
    )
    assert response.status_code == 403
    criterion.refresh_from_db()
    assert (criterion.name, criterion.max_points) == ("Kế hoạch CCHC", D(2))
    # Adding a criterion to the frozen set is refused too.
    response = admin_client.post(
        "/admin/scoring/criterion/add/",
        {
            "criteria_set": criteria_set.pk,
            "code": "9",
            "position": "9",
            "name": "Thêm",
            "max_points": "1",
            "method": "self_assessed",
            "na_policy": "",
        },
    )
    assert "Không thêm được tiêu chí" in response.content.decode()
    assert not criteria_set.criteria.filter(code="9").exists()
    # Bulk delete from the list refuses as well.
    response = admin_client.post(
        "/admin/scoring/criterion/",
        {
            "action": "delete_selected",
            "_selected_action": [criterion.pk],
            "post": "yes",
        },
    )
    assert response.status_code in (200, 403) and Criterion.objects.filter(pk=criterion.pk).exists()


def test_scores_of_published_assessments_are_frozen(admin_client, period):
    publish(period)
    score = Score.objects.filter(assessment__period=period).first()
    url = f"/admin/scoring/score/{score.pk}/change/"
    assert "Chỉ xem, không sửa được" in admin_client.get(url).content.decode()
    response = admin_client.post(
        url, {"self_score": "1", "appraised_score": "1", "audit_reason": "Sửa"}
    )
    assert response.status_code == 403
    score.refresh_from_db()
    assert score.self_score is None and score.version == 1


def test_editing_a_score_is_audited_with_its_reason(admin_client, period, admin_user):
    score = Score.objects.select_related("criterion").get(
        assessment__period=period, assessment__commune__code="A", criterion__code="1.2"
    )
    url = f"/admin/scoring/score/{score.pk}/change/"
    data = score_admin_form(self_score="3,5")
    response = admin_client.post(url, data)
    assert "audit_reason" in response.context["adminform"].form.errors
    response = admin_client.post(url, {**data, "self_score": "4,5", "audit_reason": "Nhập nhầm"})
    assert "vượt quá điểm tối đa 4" in response.content.decode()
    response = admin_client.post(url, {**data, "audit_reason": "Xã nhập nhầm, sửa theo biên bản"})
    assert response.status_code == 302
    score.refresh_from_db()
    assert (score.self_score, score.version, score.updated_by) == (D("3.5"), 2, admin_user)
    assert list(
        AuditEvent.objects.filter(action="score_changed_in_admin").values_list(
            "field_name", flat=True
        )
    ) == ["self_score"]
    event = AuditEvent.objects.get(action="score_changed_in_admin")
    assert (event.criterion, event.field_name, event.old_value, event.new_value, event.reason) == (
        score.criterion,
        "self_score",
        "",
        "3,5",
        "Xã nhập nhầm, sửa theo biên bản",
    )


def test_adjustments_are_audited_and_refused_on_published_assessments(
    admin_client, period, admin_user
):
    assessment = period.assessments.get(commune__code="A")
    response = admin_client.post(
        "/admin/scoring/adjustment/add/",
        {
            "assessment": assessment.pk,
            "points": "-1,5",
            "reason": "Vi phạm kỷ luật hành chính",
        },
    )
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert (adjustment.points, adjustment.created_by) == (D("-1.5"), admin_user)
    assert AuditEvent.objects.get(action="adjustment_added").new_value == "-1,5"
    publish(period)
    response = admin_client.post(
        "/admin/scoring/adjustment/add/",
        {
            "assessment": assessment.pk,
            "points": "1",
            "reason": "Thưởng",
        },
    )
    assert "Không thêm được" in response.content.decode() and Adjustment.objects.count() == 1
    url = f"/admin/scoring/adjustment/{adjustment.pk}/change/"
    assert admin_client.post(url, {"points": "2", "reason": "Đổi"}).status_code == 403


def test_audit_log_and_results_are_read_only_for_everyone(admin_client, objects):
    event, result = objects["auditevent"], objects["result"]
    for name in ("auditevent", "publication", "result"):
        pk = objects[name].pk
        assert admin_client.get(f"/admin/scoring/{name}/add/").status_code == 403
        assert admin_client.post(f"/admin/scoring/{name}/{pk}/change/", {}).status_code == 403
        assert (
            admin_client.post(f"/admin/scoring/{name}/{pk}/delete/", {"post": "yes"}).status_code
            == 403
        )
        page = admin_client.get(f"/admin/scoring/{name}/").content.decode()
        assert 'name="action"' not in page  # no bulk delete
    assert (
        AuditEvent.objects.filter(pk=event.pk).exists()
        and Result.objects.filter(pk=result.pk).exists()
    )
    page = admin_client.get(f"/admin/scoring/result/{result.pk}/change/").content.decode()
    assert "87,76" in page and "5,5" in page and "1/2 hạng" in page
    assert "Chỉ xem, không sửa được: kết quả đã công bố không bao giờ được sửa" in page
    page = admin_client.get(f"/admin/scoring/auditevent/{event.pk}/change/").content.decode()
    assert "nhật ký thay đổi chỉ được ghi thêm" in page


def test_publication_page_links_to_results_never_to_media(admin_client, objects):
    publication = objects["publication"]
    publication.ranking_pdf.save("xep-hang.pdf", ContentFile(b"%PDF-1.4"), save=False)
    publication.save(update_fields=["ranking_pdf"])
    page = admin_client.get(f"/admin/scoring/publication/{publication.pk}/change/").content.decode()
    assert "publications/" not in page and "/media/" not in page
    assert f"/periods/{publication.period.code}/results/" in page
    assert "Sáp nhập" in page and "16/03/2023" in page


def test_audit_log_filters_and_search(admin_client, objects, officer):
    record_event(objects["assessment"], by=officer, action="returned", reason="Thiếu biên bản họp")
    page = admin_client.get("/admin/scoring/auditevent/?action=returned").content.decode()
    start = page.index('id="result_list"')
    table = page[start : page.index("</table>", start)]
    assert "Thiếu biên bản họp" in table and "submitted" not in table
    page = admin_client.get("/admin/scoring/auditevent/?q=biên bản").content.decode()
    assert "Thiếu biên bản họp" in page


def test_assessment_page_shows_scores_and_assigns_an_appraiser(admin_client, objects, admin_user):
    assessment = objects["assessment"]
    appraiser = make_user("thamdinh2", unit=assessment.period.unit, role=Role.APPRAISER)
    url = f"/admin/scoring/assessment/{assessment.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Kế hoạch CCHC" in page and "Công khai TTHC" in page
    response = admin_client.post(
        url,
        {
            "assignee": appraiser.pk,
            "scores-TOTAL_FORMS": "3",
            "scores-INITIAL_FORMS": "3",
            "scores-MIN_NUM_FORMS": "0",
            "scores-MAX_NUM_FORMS": "1000",
            **{
                f"scores-{i}-id": str(s.pk)
                for i, s in enumerate(assessment.scores.order_by("criterion__position"))
            },
            **{f"scores-{i}-assessment": str(assessment.pk) for i in range(3)},
        },
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assessment.refresh_from_db()
    assert assessment.assignee == appraiser and assessment.version == 2
    assert AuditEvent.objects.get(action="assignee_changed").new_value == "thamdinh2"


def test_staff_with_view_permission_only_reads(client, objects):
    staff = make_user("xem", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_period", "view_criteriaset"])
    )
    client.force_login(staff)
    assert client.get("/admin/scoring/period/").status_code == 200
    period = objects["period"]
    assert client.post(f"/admin/scoring/period/{period.pk}/change/", {}).status_code == 403
    criteria_set = objects["criteriaset"]
    assert client.get(f"/admin/scoring/criteriaset/{criteria_set.pk}/clone/").status_code == 403


def test_a_score_saved_elsewhere_meanwhile_is_not_overwritten(admin_client, period):
    score = Score.objects.get(
        assessment__period=period, assessment__commune__code="A", criterion__code="1.1"
    )
    url = f"/admin/scoring/score/{score.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    assert form["seen_version"].value() == 1
    # The officer saves 2 points from the assessment page while the admin page is open.
    Score.objects.filter(pk=score.pk).update(self_score=D(2), version=2)
    response = admin_client.post(
        url,
        score_admin_form(self_score="1", audit_reason="Sửa"),
    )
    assert response.status_code == 200
    assert "vừa được cập nhật sau khi trang được mở" in response.content.decode()
    score.refresh_from_db()
    assert (score.self_score, score.version) == (D(2), 2)
    assert not AuditEvent.objects.filter(action="score_changed_in_admin").exists()


def test_a_new_period_takes_the_default_dates_when_left_empty(admin_client, units):
    criteria_set = make_criteria_set("CS-DEF")
    response = admin_client.post(
        "/admin/scoring/period/add/",
        period_form(
            criteria_set=criteria_set.pk,
            unit=units["district"].pk,
            opens_on="",
            self_assessment_due="",
            appraisal_due="",
            bands_text="",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    period = Period.objects.get(code="P2026")
    today = timezone.localdate()
    assert (period.opens_on, period.self_assessment_due, period.appraisal_due) == (
        today,
        today + datetime.timedelta(days=30),
        today + datetime.timedelta(days=60),
    )
    assert period.band_list() == list(rules.DEFAULT_BANDS)
