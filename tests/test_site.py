"""Login, the role dashboard, /healthz and the settings helpers."""

import io
import re
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse

from cchc import settings as project_settings

pytestmark = pytest.mark.django_db


def test_login_page_speaks_vietnamese(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Đăng nhập" in page and "Tên đăng nhập" in page and "Mật khẩu" in page
    assert 'lang="vi"' in page


def test_wrong_password_gets_a_vietnamese_message(client, officer):
    response = client.post("/accounts/login/", {"username": "canbo_a", "password": "sai"})
    assert response.status_code == 200
    assert "Tên đăng nhập hoặc mật khẩu không đúng" in response.content.decode()


def test_login_then_dashboard(client, officer, period):
    response = client.post(
        "/accounts/login/", {"username": "canbo_a", "password": "matkhau-2024"}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/"
    assert "Xã Đồng Tâm" in page
    assert f'href="{period.get_absolute_url()}"' not in page  # no period overview for officers


def test_anonymous_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")


def test_dashboard_lists_only_the_users_units(client, period, officer, other_officer, far_appraiser):
    client.force_login(officer)
    page = client.get("/").content.decode()
    assert "Xã Đồng Tâm" in page and "Thị trấn Ninh Giang" not in page
    client.force_login(far_appraiser)
    page = client.get("/").content.decode()
    assert period.name not in page
    assert "chưa được phân quyền" in page


def test_appraiser_dashboard_links_the_period(client, period, appraiser, django_assert_max_num_queries):
    client.force_login(appraiser)
    # session + user, memberships, periods in scope, own assessments, the bell's unread count
    with django_assert_max_num_queries(7):
        page = client.get("/").content.decode()
    assert f'href="{period.get_absolute_url()}"' in page


def test_logout_is_a_post(client, officer):
    client.force_login(officer)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_the_favicon_is_served_by_the_app_and_linked_from_every_page(client):
    """/favicon.ico (asked for by browsers whatever the page says) and the base template's
    <link rel="icon"> give the same icon, from the app itself."""
    from PIL import Image

    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = b"".join(response.streaming_content)
    image = Image.open(io.BytesIO(body))
    assert image.format == "ICO" and (32, 32) in image.info["sizes"]
    login = client.get(reverse("login")).content.decode()
    link = re.search(r'<link rel="icon" href="([^"]+)"', login)
    assert link, "base.html links no icon"
    assert link.group(1) == static("img/favicon.ico")
    assert Path(finders.find("img/favicon.ico")).read_bytes() == body


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("true", True), ("Off", False), ("0", False), ("", True)]
)
def test_env_bool(monkeypatch, raw, expected):
    monkeypatch.setenv("CCHC_TEST_FLAG", raw)
    assert project_settings.env_bool("CCHC_TEST_FLAG", True) is expected


def test_env_bool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("CCHC_TEST_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured):
        project_settings.env_bool("CCHC_TEST_FLAG", True)


def test_env_database_reads_both_engines(monkeypatch):
    monkeypatch.setenv("CCHC_TEST_DB", "postgres://postgres@127.0.0.1:5432/cchc")
    config = project_settings.env_database("CCHC_TEST_DB", "")
    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "cchc" and config["HOST"] == "127.0.0.1"
    monkeypatch.setenv("CCHC_TEST_DB", "sqlite:////tmp/x.sqlite3")
    assert project_settings.env_database("CCHC_TEST_DB", "")["NAME"] == "/tmp/x.sqlite3"
    monkeypatch.setenv("CCHC_TEST_DB", "mysql://x")
    with pytest.raises(ImproperlyConfigured):
        project_settings.env_database("CCHC_TEST_DB", "")


def test_production_settings_pass_check_deploy(tmp_path):
    """docs/design.md §9: `manage.py check --deploy` passes with production settings."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "k" * 20 + "-production-like-secret-key-with-enough-entropy-1234567890",
        "ALLOWED_HOSTS": "cchc.example.vn",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set for the browser tests only
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        cwd=project_settings.BASE_DIR,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DEBUG": "0", "SECRET_KEY": ""}
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True,
        cwd=project_settings.BASE_DIR,
    )
    assert done.returncode != 0
    assert "SECRET_KEY must be set" in done.stderr
