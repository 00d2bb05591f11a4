"""The same cast everywhere: an officer of commune A, one of commune B, an appraiser and a
leader of district D1, and an appraiser of district D2 (who must see nothing of D1)."""

import os

import pytest

from communes.models import Role

from .factories import make_period, make_units, make_user

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Every test writes uploads to its own folder on disk."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def units(db):
    return make_units()


@pytest.fixture
def period(units):
    return make_period(units["district"])


@pytest.fixture
def officer(units):
    return make_user("canbo_a", unit=units["commune"], role=Role.COMMUNE_OFFICER, first_name="Nguyễn Văn An")


@pytest.fixture
def other_officer(units):
    return make_user("canbo_b", unit=units["other_commune"], role=Role.COMMUNE_OFFICER)


@pytest.fixture
def appraiser(units):
    return make_user("thamdinh", unit=units["district"], role=Role.APPRAISER, first_name="Trần Thị Bình")


@pytest.fixture
def far_appraiser(units):
    return make_user("thamdinh_d2", unit=units["other_district"], role=Role.APPRAISER)


@pytest.fixture
def leader(units):
    return make_user("lanhdao", unit=units["district"], role=Role.LEADER)


@pytest.fixture
def admin_user(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("quantri", "quantri@example.vn", "matkhau-2024")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ],
    }
