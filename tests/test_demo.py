"""The demo the README promises: one command, the accounts per role, Đồng Tâm's real result."""

from decimal import Decimal

import pytest
from django.core.management import call_command

from communes.models import Unit
from scoring.models import Assessment, Period, Result

pytestmark = pytest.mark.django_db


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


def test_demo_opens_this_years_period_for_every_commune(demo):
    current = Period.objects.exclude(code="NG-2022").get()
    assert current.previous.code == "NG-2022"
    assert current.status == Period.Status.OPEN
    assert Assessment.objects.filter(period=current, status="draft").count() == 20
    assert Unit.objects.communes().count() == 20


@pytest.mark.parametrize(
    ("username", "landing_text"),
    [
        ("xa.dongtam", "Xã Đồng Tâm"),
        ("xa.ninhgiang", "Thị trấn Ninh Giang"),
        ("thamdinh", "Kết quả công bố"),
        ("lanhdao", "Kết quả công bố"),
        ("quantri", "Quản trị"),
    ],
)
def test_every_demo_account_logs_in(demo, client, username, landing_text):
    response = client.post(
        "/accounts/login/", {"username": username, "password": "cchc2026"}, follow=True
    )
    assert response.redirect_chain and response.redirect_chain[-1][0] == "/"
    assert landing_text in response.content.decode()


def test_loading_again_keeps_the_data(demo, capsys):
    call_command("load_demo", "--if-empty")
    assert "không nạp" in capsys.readouterr().out
    assert Period.objects.count() == 2
