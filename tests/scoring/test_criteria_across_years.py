"""Criteria across years (issue 11 item 5): import_criteria's previous_code and --previous,
the clone action, last year's score beside each criterion (following lineage), and "tiêu chí
dễ mất điểm" against last year. The years are tests/scoring/merger_years.py's; 2025 uses a
new set whose 1.1 and 1.2 swap places with last year's and whose 2.2 is new."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from communes.models import Role
from scoring.models import Assessment, CriteriaSet, Criterion
from scoring.services.publishing import publish_period
from scoring.services.setup import clone_criteria_set

from ..factories import make_criteria_set, make_user
from ..files import database_state, run, run_failing, write_csv
from .merger_years import assessment, build_years
from .publish_data import appraise_all

pytestmark = pytest.mark.django_db

D = Decimal
HEADER = ["code", "parent_code", "name", "max_points", "method", "previous_code"]
SET_2025 = [
    ["1", "", "Công tác chỉ đạo, điều hành", "6", "self_assessed", "1"],
    ["1.1", "1", "Báo cáo CCHC", "4", "self_assessed", "1.2"],
    ["1.2", "1", "Kế hoạch CCHC", "2", "self_assessed", "1.1"],
    ["2", "", "Cải cách thủ tục hành chính", "4", "self_assessed", "2"],
    ["2.1", "2", "Công khai TTHC", "2", "self_assessed", "2.1"],
    ["2.2", "2", "Dịch vụ công trực tuyến", "2", "self_assessed", ""],
]


def import_2025(tmp_path, rows=SET_2025, **options):
    path = write_csv(tmp_path, "bo-2025.csv", [HEADER, *rows])
    return run("import_criteria", str(path), code="CS-2025", name="Bộ tiêu chí 2025",
               total="10", **options)


def previous_of(code: str) -> dict:
    return dict(
        Criterion.objects.filter(criteria_set__code=code).values_list(
            "code", "previous__code"
        )
    )


# --- import and clone ---------------------------------------------------------------------


def test_previous_code_links_each_criterion_to_last_years(tmp_path):
    make_criteria_set("CS-Y", "flat")
    out = import_2025(tmp_path, previous="CS-Y")
    assert "5 tiêu chí có tiêu chí tương ứng trong bộ CS-Y" in out
    assert previous_of("CS-2025") == {
        "1": "1", "1.1": "1.2", "1.2": "1.1", "2": "2", "2.1": "2.1", "2.2": None,
    }
    linked = Criterion.objects.filter(criteria_set__code="CS-2025", previous__isnull=False)
    assert {c.previous.criteria_set.code for c in linked} == {"CS-Y"}


def test_bad_previous_codes_are_refused_whole_with_their_rows(tmp_path):
    make_criteria_set("CS-Y", "flat")
    rows = [list(row) for row in SET_2025]
    rows[1][5] = "1.9"  # not in CS-Y
    rows[4][5] = "9"
    before = database_state()
    path = write_csv(tmp_path, "loi.csv", [HEADER, *rows])
    lines = run_failing("import_criteria", str(path), code="CS-2025", name="Bộ 2025",
                        total="10", previous="CS-Y")
    assert lines == [
        "Dòng 3, cột previous_code: Bộ tiêu chí CS-Y không có tiêu chí mã “1.9”.",
        "Dòng 6, cột previous_code: Bộ tiêu chí CS-Y không có tiêu chí mã “9”.",
    ]
    assert database_state() == before
    assert not CriteriaSet.objects.filter(code="CS-2025").exists()


def test_previous_code_needs_a_known_previous_set(tmp_path):
    path = write_csv(tmp_path, "bo.csv", [HEADER, *SET_2025])
    lines = run_failing("import_criteria", str(path), code="CS-2025", name="Bộ 2025", total="10")
    assert lines[0] == (
        "Dòng 2, cột previous_code: Có mã tiêu chí năm trước “1” nhưng chưa chọn bộ tiêu chí "
        "năm trước (--previous)."
    )
    assert len(lines) == 5  # every row naming one
    lines = run_failing("import_criteria", str(path), code="CS-2025", name="Bộ 2025",
                        total="10", previous="KHONG-CO")
    assert lines == ["--previous: không có bộ tiêu chí mã KHONG-CO."]
    assert not CriteriaSet.objects.filter(code="CS-2025").exists()


def test_the_clone_links_every_criterion_to_its_original(tmp_path):
    source = make_criteria_set("CS-Y", "deep")
    clone_criteria_set(source, code="CS-Y2")
    assert previous_of("CS-Y2") == {code: code for code in previous_of("CS-Y")}
    originals = dict(Criterion.objects.filter(criteria_set=source).values_list("code", "pk"))
    assert dict(
        Criterion.objects.filter(criteria_set__code="CS-Y2").values_list("code", "previous_id")
    ) == originals


def test_the_admin_clone_action_fills_previous(client, admin_user):
    source = make_criteria_set("CS-Y", "flat")
    client.force_login(admin_user)
    response = client.post(f"/admin/scoring/criteriaset/{source.pk}/clone/",
                           {"code": "CS-Y-2025", "name": "Bộ 2025"})
    assert response.status_code == 302
    assert previous_of("CS-Y-2025") == {code: code for code in previous_of("CS-Y")}


# --- last year beside each criterion ------------------------------------------------------


@pytest.fixture
def years(units, tmp_path):
    """2024 on CS-Y (published), 2025 on CS-2025 linked to it by previous_code."""

    def set_2025(_set_2024):
        import_2025(tmp_path, previous="CS-Y")
        return CriteriaSet.objects.get(code="CS-2025")

    made, p2024, p2025 = build_years(units, criteria_2025=set_2025)
    leader = make_user("lanhdao_tinh", unit=units["province"], role=Role.LEADER)
    publish_period(p2024, by=leader)
    return {"units": made, "p2024": p2024, "p2025": p2025, "leader": leader}


def page_text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def last_year_texts(page: str) -> dict[str, str]:
    """criterion code → the "năm trước" text shown in its heading."""
    found = {}
    for block in re.findall(r'<article class="crit[^"]*" id="tc-([^"]+)">(.*?)</header>', page):
        code, head = block
        match = re.search(r'<span class="crit-last-year">([^<]*)</span>', head)
        found[code] = match.group(1) if match else ""
    return found


def officer_of(code, units_made):
    return make_user(f"canbo_{code.lower()}", unit=units_made[code], role=Role.COMMUNE_OFFICER)


def url_of(period, code):
    return reverse("scoring:assessment", args=[period.code, code])


W1_TEXTS = {  # O6 last year: 1.1 = 0, 1.2 = 2, 2.1 = 3 (old codes)
    "1.1": "năm trước (Xã Tân Hương): 2/4",  # ← old 1.2 (max 4)
    "1.2": "năm trước (Xã Tân Hương): 0/2",  # ← old 1.1
    "2.1": "năm trước (Xã Tân Hương): 3/4",  # ← old 2.1 (max 4 then, 2 now)
    "2.2": "",  # new criterion
}


def test_a_ward_officer_sees_its_predecessors_score_beside_each_criterion(client, years):
    client.force_login(officer_of("W1", years["units"]))
    response = client.get(url_of(years["p2025"], "W1"))
    assert response.status_code == 200
    assert last_year_texts(page_text(response)) == W1_TEXTS


def test_a_unit_of_both_years_sees_its_own_score(client, years, officer):
    client.force_login(officer)
    response = client.get(url_of(years["p2025"], "A"))
    assert last_year_texts(page_text(response)) == {
        "1.1": "năm trước: 4/4", "1.2": "năm trước: 2/2", "2.1": "năm trước: 3/4", "2.2": "",
    }


def test_a_chain_and_a_new_unit(client, years):
    client.force_login(officer_of("T2", years["units"]))
    texts = last_year_texts(page_text(client.get(url_of(years["p2025"], "T2"))))
    assert texts["1.1"] == "năm trước (Xã Nghĩa An): 1,5/4"  # O7 → T1 → T2
    client.force_login(officer_of("Z", years["units"]))
    texts = last_year_texts(page_text(client.get(url_of(years["p2025"], "Z"))))
    assert set(texts.values()) == {""}


def test_the_appraiser_sees_each_predecessors_score_named(client, years):
    Assessment.objects.filter(period=years["p2025"], commune__code="M3").update(
        status=Assessment.Status.SUBMITTED
    )
    appraiser = make_user("thamdinh_tinh", unit=years["p2025"].unit, role=Role.APPRAISER)
    client.force_login(appraiser)
    response = client.get(url_of(years["p2025"], "M3"))
    page = page_text(response)
    assert "Tổ thẩm định" in page  # the appraisal page
    assert last_year_texts(page) == {
        "1.1": "năm trước: Xã Kiến Quốc 3/4; Xã Ninh Hải 3/4; Xã Văn Hội 2,5/4",
        "1.2": "năm trước: Xã Kiến Quốc 1,5/2; Xã Ninh Hải 1/2; Xã Văn Hội 1/2",
        "2.1": "năm trước: Xã Kiến Quốc 3/4; Xã Ninh Hải 3/4; Xã Văn Hội 3/4",
        "2.2": "",
    }


def test_last_year_unpublished_shows_nothing(client, years):
    from scoring.services.publishing import reopen_for_correction

    reopen_for_correction(years["p2024"], by=years["leader"], reason="Điều chỉnh")
    client.force_login(officer_of("W1", years["units"]))
    texts = last_year_texts(page_text(client.get(url_of(years["p2025"], "W1"))))
    assert set(texts.values()) == {""}


def test_last_year_adds_three_queries_whatever_the_lineage(
    client, years, officer, django_assert_max_num_queries
):
    counts = {}
    for code, user in (("A", officer), ("W1", officer_of("W1", years["units"])),
                       ("M3", officer_of("M3", years["units"]))):
        client.force_login(user)
        client.get(url_of(years["p2025"], code))  # the session exists, as in real use
        with django_assert_max_num_queries(15) as captured:
            assert client.get(url_of(years["p2025"], code)).status_code == 200
        counts[code] = len(captured)
    years["p2025"].previous = None
    years["p2025"].save(update_fields=["previous"])
    with django_assert_max_num_queries(15) as captured:
        client.get(url_of(years["p2025"], "M3"))
    # the lineage, last year's assessments of the units met, their scores
    assert counts == dict.fromkeys(("A", "W1", "M3"), len(captured) + 3)


# --- "tiêu chí dễ mất điểm" against last year ---------------------------------------------


def lost_points_rows(client, period) -> dict[str, str]:
    page = page_text(client.get(reverse("reports:lost_points", args=[period.code])))
    rows = {}
    for code, cells in re.findall(r'<tr> <td[^>]* data-sort="([^"]+)">.*?</td>(.*?)</tr>', page):
        last = re.findall(r"<td[^>]*>(.*?)</td>", cells)[-1]
        rows[code] = re.sub(r"<[^>]+>", "", last).strip()
    return rows


def test_lost_points_compare_each_comparable_criterion(
    client, years, django_assert_max_num_queries
):
    # 2025: every leaf appraised 1. Lost on average now: 1.1 3 (max 4), 1.2 1, 2.1 1, 2.2 1.
    # Last year (tests/scoring/merger_years.py): old 1.2 lost 13,5 over 10 communes = 1,35;
    # old 1.1 9 / 10 = 0,9; old 2.1 1 each.
    appraise_all(years["p2025"], "1")
    client.force_login(years["leader"])
    expected = {
        "1.1": "+1,65 (năm trước 1,35 (tiêu chí 1.2))",
        "1.2": "+0,1 (năm trước 0,9 (tiêu chí 1.1))",
        "2.1": "0 (năm trước 1)",
        "2.2": "",
    }
    assert lost_points_rows(client, years["p2025"]) == expected
    publish_period(years["p2025"], by=years["leader"])
    # published: read from the version (session, user, memberships, period, publication)
    with django_assert_max_num_queries(8):
        assert lost_points_rows(client, years["p2025"]) == expected
