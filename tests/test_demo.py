"""The demo the README promises: one command, the accounts per role, Đồng Tâm's real 2022
result, and today's world (issue 11 §7): thành phố Hải Phòng's 24 units formed from the old
communes, its 2025 index published in two blocks, this year's period open."""

from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from communes.models import Membership, Succession, Unit
from scoring.models import Assessment, Period, Publication, Result, Score

pytestmark = pytest.mark.django_db

BLOCKS = ["Phường", "Xã, đặc khu"]


@pytest.fixture
def demo(db):
    call_command("load_demo", "--if-empty")


def test_demo_reproduces_dong_tam_2022(demo):
    result = Result.objects.get(commune__code="HD-NG-02", publication__period__code="NG-2022")
    assert result.total == Decimal("87.747")
    assert (result.rank, result.rank_of) == (9, 20)
    assert result.classification == "Hoàn thành tốt nhiệm vụ"
    fields = result.field_scores()
    assert fields["8"].score == Decimal("1.577")
    assert sum(f.score for f in fields.values()) == Decimal("87.747")
    # History is history: the district and its communes ended on 01/07/2025.
    assert str(Unit.objects.get(code="HD-NG").active_to) == "2025-07-01"
    assert not Unit.objects.communes().active().filter(code__startswith="HD-").exists()


def test_the_province_appraises_24_units_formed_from_the_old_ones(demo):
    today = Unit.objects.communes().active().filter(parent__code="HP")
    assert Counter(today.values_list("kind", flat=True)) == {"phuong": 9, "xa": 14, "dac_khu": 1}
    successors = Counter(Succession.objects.values_list("successor__code", flat=True))
    assert set(successors) == set(today.values_list("code", flat=True))
    assert sorted(Counter(successors.values()).items()) == [(1, 13), (2, 5), (3, 6)]
    merged = Succession.objects.filter(successor__code="HP-X01")
    assert set(merged.values_list("predecessor__name", flat=True)) == {
        "Thị trấn Ninh Giang", "Xã Đồng Tâm", "Xã Ứng Hòe"
    }

    current = Period.objects.get(code__startswith="HP-", status=Period.Status.OPEN)
    assert current.previous.code == "HP-2025" and current.year >= 2026
    assert Assessment.objects.filter(period=current, status="draft").count() == 24
    assert [block.label for block in current.block_list()] == BLOCKS


def _hand_ranks(results):
    """Competition ranks by the printed index (docs/design.md §5), within the given results."""
    printed = {r.commune_id: r.index.quantize(Decimal("0.01"), ROUND_HALF_UP) for r in results}
    return {
        pk: (1 + sum(other > mine for other in printed.values()), len(printed))
        for pk, mine in printed.items()
    }


def test_the_2025_period_is_published_and_ranked_per_block(demo):
    period = Period.objects.get(code="HP-2025")
    assert period.status == Period.Status.PUBLISHED and period.previous.code == "HD-2024"
    publication = Publication.objects.get(period=period)
    results = list(publication.results.select_related("commune"))
    assert len(results) == 24
    by_block = {label: [r for r in results if r.block == label] for label in BLOCKS}
    assert {r.commune.kind for r in by_block["Phường"]} == {"phuong"}
    assert {r.commune.kind for r in by_block["Xã, đặc khu"]} == {"xa", "dac_khu"}
    assert [len(rows) for rows in by_block.values()] == [9, 15]
    for rows in by_block.values():
        expected = _hand_ranks(rows)
        assert {r.commune_id: (r.rank, r.rank_of) for r in rows} == expected
    # Two wards share a total, hence a rank ("đồng hạng").
    tied = {r.rank for r in by_block["Phường"] if r.commune.code in ("HP-P04", "HP-P05")}
    assert len(tied) == 1
    # Scores are plausible and every leaf is appraised.
    assert all(Decimal("72") <= r.total <= Decimal("96.5") for r in results)
    scores = Score.objects.filter(assessment__period=period)
    assert not scores.filter(appraised_score__isnull=True).exists()


@pytest.mark.parametrize(
    ("username", "landing_text"),
    [
        ("xa.dongtam", "Xã Đồng Tâm"),
        ("xa.ninhgiang", "Thị trấn Ninh Giang"),
        ("thamdinh", "Kết quả công bố"),
        ("lanhdao", "Kết quả công bố"),
        ("hp.thamdinh", "Sở Nội vụ thành phố Hải Phòng"),
        ("hp.lanhdao", "Sở Nội vụ thành phố Hải Phòng"),
        ("phuong.haiduong", "Phường Hải Dương"),
        ("quantri", "Quản trị"),
    ],
)
def test_every_demo_account_logs_in(demo, client, username, landing_text):
    response = client.post(
        "/accounts/login/", {"username": username, "password": "cchc2026"}, follow=True
    )
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/"
    assert landing_text in response.content.decode()


def test_the_ward_officer_sees_only_the_ward_and_the_leader_every_unit(demo, client):
    users = get_user_model().objects
    client.force_login(users.get(username="phuong.haiduong"))
    assert client.get("/periods/HP-2025/communes/HP-P01/").status_code == 200
    assert client.get("/periods/HP-2025/communes/HP-P02/").status_code == 404
    client.force_login(users.get(username="hp.lanhdao"))
    page = client.get("/periods/HP-2025/results/").content.decode()
    assert "Phường Hải Dương" in page and "Đặc khu Cát Hải" in page and "(minh họa)" in page
    # District-era accounts keep their history.
    client.force_login(users.get(username="lanhdao"))
    assert "Xã Đồng Tâm" in client.get("/periods/NG-2022/results/").content.decode()


def _counts():
    models = [Unit, Succession, Period, Assessment, Score, Publication, Result, Membership]
    return {model.__name__: model.objects.count() for model in models} | {
        "users": get_user_model().objects.count()
    }


def test_loading_twice_changes_nothing(demo, capsys):
    before = _counts()
    call_command("load_demo")
    assert _counts() == before
    assert "Đã nạp dữ liệu minh họa trong" in capsys.readouterr().out
    call_command("load_demo", "--if-empty")
    assert "không nạp" in capsys.readouterr().out
    assert _counts() == before
