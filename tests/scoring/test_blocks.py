"""Ranking blocks (khối xếp hạng, issue 11): create_period --blocks and the admin's period form
check that every commune of the period falls in exactly one block, naming those left out."""

import pytest

from scoring import rules
from scoring.models import Period

from ..factories import make_criteria_set, make_unit
from ..files import database_state, run, run_failing

pytestmark = pytest.mark.django_db

BLOCKS = "Phường:phuong;Xã, đặc khu:xa,dac_khu"


@pytest.fixture
def province(units):
    """Province P after the reform: two wards and a special zone directly under it, beside
    districts D1 (A xã, B thị trấn) and D2 (C xã)."""
    make_criteria_set("CS", tree="flat")
    province = units["province"]
    make_unit("W1", "Phường Hải Dương", "phuong", province)
    make_unit("W2", "Phường Thành Đông", "phuong", province)
    make_unit("Z1", "Đặc khu Cô Tô", "dac_khu", province)
    return province


def test_blocks_are_stored_in_the_order_given(province):
    run("create_period", code="P-2025", year=2025, criteria="CS", unit="P",
        blocks="Phường:phuong;Xã, thị trấn, đặc khu:xa,thi_tran,dac_khu")
    period = Period.objects.get(code="P-2025")
    assert period.blocks == [
        {"label": "Phường", "kinds": ["phuong"]},
        {"label": "Xã, thị trấn, đặc khu", "kinds": ["xa", "thi_tran", "dac_khu"]},
    ]
    assert period.block_list() == [
        rules.Block("Phường", ("phuong",)),
        rules.Block("Xã, thị trấn, đặc khu", ("xa", "thi_tran", "dac_khu")),
    ]
    assert period.assessments.count() == 6


def test_without_blocks_the_period_has_one_block(province):
    run("create_period", code="P-2025", year=2025, criteria="CS", unit="P")
    period = Period.objects.get(code="P-2025")
    assert period.blocks == [] and period.block_list() == []


def test_a_block_list_missing_a_kind_of_the_period_is_refused_naming_the_unit(province):
    before = database_state()
    # B is a thị trấn: in no block.
    lines = run_failing("create_period", code="P-2025", year=2025, criteria="CS", unit="P",
                        blocks=BLOCKS)
    assert lines == [
        "Thị trấn Ninh Giang (loại “Thị trấn”, thi_tran) không thuộc khối xếp hạng nào; "
        "thêm “thi_tran” vào một khối."
    ]
    assert database_state() == before
    assert not Period.objects.filter(code="P-2025").exists()


@pytest.mark.parametrize(
    "blocks, message",
    [
        ("Phường:phuong;Xã:xa,phuong,thi_tran,dac_khu",
         "--blocks: Loại đơn vị “phuong” có trong cả khối “Phường” và khối “Xã”; mỗi loại chỉ "
         "thuộc một khối."),
        ("Phường:phuong,phuong;Xã:xa,thi_tran,dac_khu",
         "--blocks: Khối “Phường”: loại đơn vị “phuong” được ghi hai lần."),
        ("Phường:phuong;Phường:xa,thi_tran,dac_khu",
         "--blocks: Khối xếp hạng “Phường” bị lặp lại."),
        ("Phường:phuong;Xã:xa,thon",
         "--blocks: Khối “Xã”: “thon” không phải là loại đơn vị (dùng: tinh, thanh_pho_tw, "
         "huyen, quan, thi_xa, thanh_pho, xa, phuong, thi_tran, dac_khu)."),
        ("phuong,xa", "--blocks: Khối xếp hạng “phuong,xa” phải có dạng TÊN_KHỐI:loại,loại."),
        ("Phường:", "--blocks: Khối xếp hạng “Phường” chưa có loại đơn vị nào."),
        (" ; ", "--blocks: chưa có khối xếp hạng nào."),
    ],
)
def test_bad_block_lists_are_refused(province, blocks, message):
    before = database_state()
    lines = run_failing("create_period", code="P-2025", year=2025, criteria="CS", unit="P",
                        blocks=blocks)
    assert lines == [message]
    assert database_state() == before


# --- the admin's period form: the same check ---------------------------------------------


def admin_period_form(**changes) -> dict:
    data = {
        "code": "P-2026", "year": "2026", "name": "", "criteria_set": "", "unit": "",
        "opens_on": "15/01/2026", "self_assessment_due": "15/02/2026",
        "appraisal_due": "15/03/2026", "bands_text": "", "blocks_text": "", "previous": "",
    }
    return {**data, **changes}


def test_the_admin_adds_a_period_with_blocks_and_refuses_a_unit_left_out(admin_client, province):
    from scoring.models import CriteriaSet

    criteria_set = CriteriaSet.objects.get(code="CS")
    refused = admin_client.post(
        "/admin/scoring/period/add/",
        admin_period_form(criteria_set=criteria_set.pk, unit=province.pk, blocks_text=BLOCKS),
    )
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["blocks_text"] == [
        "Thị trấn Ninh Giang (loại “Thị trấn”, thi_tran) không thuộc khối xếp hạng nào; "
        "thêm “thi_tran” vào một khối."
    ]
    assert not Period.objects.filter(code="P-2026").exists()

    response = admin_client.post(
        "/admin/scoring/period/add/",
        admin_period_form(
            criteria_set=criteria_set.pk, unit=province.pk,
            blocks_text="Phường:phuong;Xã, thị trấn, đặc khu:xa,thi_tran,dac_khu",
        ),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    period = Period.objects.get(code="P-2026")
    assert [block.label for block in period.block_list()] == ["Phường", "Xã, thị trấn, đặc khu"]
    page = admin_client.get(f"/admin/scoring/period/{period.pk}/change/").content.decode()
    assert "Phường:phuong;Xã, thị trấn, đặc khu:xa,thi_tran,dac_khu" in page


def test_the_admin_edits_blocks_of_a_period_with_the_same_check(admin_client, province):
    run("create_period", code="P-2025", year=2025, criteria="CS", unit="P")
    period = Period.objects.get(code="P-2025")
    shown = admin_period_form(
        code=period.code, year="2025", name=period.name, status=period.status,
        seen_status=period.status, opens_on=period.opens_on.strftime("%d/%m/%Y"),
        self_assessment_due=period.self_assessment_due.strftime("%d/%m/%Y"),
        appraisal_due=period.appraisal_due.strftime("%d/%m/%Y"),
        bands_text=rules.format_bands(period.band_list()),
    )
    url = f"/admin/scoring/period/{period.pk}/change/"

    refused = admin_client.post(url, {**shown, "blocks_text": "Phường:phuong;Xã:xa,dac_khu"})
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["blocks_text"] == [
        "Thị trấn Ninh Giang (loại “Thị trấn”, thi_tran) không thuộc khối xếp hạng nào; "
        "thêm “thi_tran” vào một khối."
    ]
    twice = admin_client.post(url, {**shown, "blocks_text": "Phường:phuong;Xã:xa,phuong"})
    assert twice.context["adminform"].form.errors["blocks_text"] == [
        "Loại đơn vị “phuong” có trong cả khối “Phường” và khối “Xã”; mỗi loại chỉ thuộc một khối."
    ]
    period.refresh_from_db()
    assert period.blocks == []

    blocks = "Phường:phuong;Xã:xa,thi_tran,dac_khu"
    response = admin_client.post(url, {**shown, "blocks_text": blocks})
    assert response.status_code == 302, response.context["adminform"].form.errors
    period.refresh_from_db()
    assert period.block_list() == [
        rules.Block("Phường", ("phuong",)), rules.Block("Xã", ("xa", "thi_tran", "dac_khu")),
    ]
    # Cleared: one block again.
    response = admin_client.post(url, {**shown, "blocks_text": ""})
    assert response.status_code == 302
    period.refresh_from_db()
    assert period.blocks == []


# --- the rules (pure) -----------------------------------------------------------------------



def test_standings_rank_within_each_block_hand_computed():
    from decimal import Decimal as D

    # Two fields of 50; wards W1–W3, communes X1–X4.
    scores = {
        "W1": {1: D(45), 2: D(40)},  # 85
        "W2": {1: D(45), 2: D(35)},  # 80
        "W3": {1: D(40), 2: D(45)},  # 85
        "X1": {1: D(30), 2: D(40)},  # 70
        "X2": {1: D(45), 2: D(45)},  # 90
        "X3": {1: D(30), 2: D(40)},  # 70
        "X4": {1: D(20), 2: D(40)},  # 60
    }
    block = {key: "Phường" if key.startswith("W") else "Xã, đặc khu" for key in scores}
    result = rules.standings(scores, dict.fromkeys(scores, D(100)), blocks=block)
    ranks = {key: (s.rank, s.rank_of) for key, s in result.items()}
    assert ranks == {
        "W1": (1, 3), "W3": (1, 3), "W2": (3, 3),
        "X2": (1, 4), "X1": (2, 4), "X3": (2, 4), "X4": (4, 4),
    }
    # Field 1, dense within the block: wards 45, 45, 40 → 2 distinct; communes 45, 30, 30, 20 → 3.
    assert {key: s.field_ranks[1] for key, s in result.items()} == {
        "W1": (1, 2), "W2": (1, 2), "W3": (2, 2),
        "X1": (2, 3), "X2": (1, 3), "X3": (2, 3), "X4": (3, 3),
    }
    # Field 2: wards 40, 35, 45 → 3 distinct; communes 40, 45, 40, 40 → 2.
    assert {key: s.field_ranks[2] for key, s in result.items()} == {
        "W1": (2, 3), "W2": (3, 3), "W3": (1, 3),
        "X1": (2, 2), "X2": (1, 2), "X3": (2, 2), "X4": (2, 2),
    }
    assert {key: s.block for key, s in result.items()} == block
    # The bands are the period's, the same in every block.
    assert result["X2"].classification == "Hoàn thành xuất sắc nhiệm vụ"
    assert result["W2"].classification == "Hoàn thành tốt nhiệm vụ"
    # Without blocks: one table, as before.
    together = rules.standings(scores, dict.fromkeys(scores, D(100)))
    assert (together["X2"].rank, together["X2"].rank_of, together["X2"].block) == (1, 7, "")
    assert together["W1"].rank == 2 and together["X4"].field_ranks[1] == (4, 4)


def test_block_errors_name_every_unit_left_out():
    blocks = rules.parse_blocks("Phường:phuong;Xã:xa")
    units = [("Phường A", "phuong"), ("Thị trấn B", "thi_tran"), ("Đặc khu C", "dac_khu"),
             ("Thị trấn D", "thi_tran")]
    assert rules.block_errors(blocks, units, {"thi_tran": "Thị trấn", "dac_khu": "Đặc khu"}) == [
        "Thị trấn B, Thị trấn D (loại “Thị trấn”, thi_tran) không thuộc khối xếp hạng nào; "
        "thêm “thi_tran” vào một khối.",
        "Đặc khu C (loại “Đặc khu”, dac_khu) không thuộc khối xếp hạng nào; "
        "thêm “dac_khu” vào một khối.",
    ]
    assert rules.block_errors([], units) == []


@pytest.mark.parametrize(
    "label, phrase",
    [("Phường", "khối phường"), ("Xã, đặc khu", "khối xã, đặc khu"),
     ("Khối phường", "khối phường"), ("TP Hạ Long", "khối TP Hạ Long")],
)
def test_block_phrase(label, phrase):
    assert rules.block_phrase(label) == phrase


def test_format_blocks_reads_back():
    text = "Phường:phuong;Xã, đặc khu:xa,dac_khu"
    assert rules.format_blocks(rules.parse_blocks(text)) == text
