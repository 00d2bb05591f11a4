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


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """A fast hasher in tests: the default one costs ~0.2 s per user created or logged in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, given a MEDIA_URL prefix its media handler can parse.

    settings.MEDIA_URL is None on purpose (evidence is served only by the permission-checked
    view), but Django's live server always wraps a media-file handler that needs a path
    prefix; with None every request fails. The prefix below is linked from nowhere.
    """
    from django.test.utils import override_settings
    from pytest_django.live_server_helper import LiveServer

    address = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(MEDIA_URL="/__media_not_served__/"):
        server = LiveServer(address)
    yield server
    server.stop()
