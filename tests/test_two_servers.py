"""Two app servers are interchangeable (docs/design.md §10): two real gunicorn processes on two
loopback ports share one PostgreSQL database and one storage folder. An officer logs in and
uploads evidence on the first and downloads it from the second with the same session cookie;
the appraiser logs in on the first and publishes on the second; the first then shows the
publication and serves the ranking PDF that the second stored, and the other way round.

PostgreSQL only: SQLite's test database lives in memory (or a file one process locks), so the
two processes could not share it the way a real deployment shares PostgreSQL.
"""

import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from evidence.models import Evidence
from scoring.models import Assessment, Publication, Score
from tests.evidence.builders import pdf_bytes
from tests.processes import HOST, PASSWORD, Browser, app_servers, process_env
from tests.scoring.publish_data import appraise

pytestmark = pytest.mark.django_db(transaction=True)



@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("two processes share a database only on PostgreSQL (SQLite's is in memory)")


@pytest.fixture
def servers(media_root):
    """Two gunicorn processes, same database, storage and SECRET_KEY (tests/processes.py),
    running their tasks in-process (no broker)."""
    with app_servers(server_env(media_root, CELERY_BROKER_URL="")) as urls:
        yield urls


def server_env(media_root, **extra: str) -> dict[str, str]:
    return process_env(
        media_root,
        SECRET_KEY="two-servers-" + uuid.uuid4().hex,
        # DEBUG on only to serve static files without a collectstatic run (seconds saved).
        DEBUG="1",
        ALLOWED_HOSTS=HOST,
        **extra,
    )


def with_password(*users) -> None:
    """The servers use Django's default password hashers, not the tests' fast MD5 one."""
    for user in users:
        hasher = PBKDF2PasswordHasher()
        user.password = hasher.encode(PASSWORD, hasher.salt())
        user.save(update_fields=["password"])


def test_two_app_servers_serve_the_same_users(servers, period, officer, appraiser, media_root):
    first, second = servers
    with_password(officer, appraiser)
    assessment = Assessment.objects.get(period=period, commune__code="A")
    score = Score.objects.get(assessment=assessment, criterion__code="1.1")
    started = time.monotonic()

    # The officer logs in and uploads on the first server ...
    officer_browser = Browser()
    officer_browser.log_in(first, "canbo_a")
    session = officer_browser.cookies[settings.SESSION_COOKIE_NAME]
    content = pdf_bytes("Ke hoach CCHC 2024 hai may chu")
    criterion_page = f"{first}{assessment.get_absolute_url()}"
    status, _, body = officer_browser.post(
        f"{first}/evidence/scores/{score.pk}/add/",
        {},
        referer=criterion_page,
        files=[("files", "Kế hoạch.pdf", content, "application/pdf")],
    )
    assert status in (200, 302), body.decode()[:500]
    evidence = Evidence.objects.get(assessment=assessment)
    assert (Path(media_root) / evidence.file.name).read_bytes() == content

    # ... and downloads it from the second with the same session cookie.
    assert officer_browser.cookies[settings.SESSION_COOKIE_NAME] == session
    status, headers, body = officer_browser.get(f"{second}/evidence/{evidence.pk}/")
    assert status == 200 and body == content
    assert headers["Content-Security-Policy"] == "sandbox"
    assert "filename*=utf-8''K%E1%BA%BF%20ho%E1%BA%A1ch.pdf" in headers["Content-Disposition"]
    # Not logged in on either server: no file.
    assert Browser().get(f"{second}/evidence/{evidence.pk}/")[0] == 302

    # The appraiser logs in on the first server and publishes on the second.
    appraise(
        period,
        {"A": {"1.1": "2", "1.2": "3,5", "2.1": "3,25"}, "B": {"1.1": "1", "1.2": "3", "2.1": "4"}},
    )
    appraiser_browser = Browser()
    appraiser_browser.log_in(first, "thamdinh")
    publish_page = f"{second}/periods/{period.code}/publish/"
    status, headers, body = appraiser_browser.post(
        publish_page,
        {
            "action": "publish",
            "decision": "766/QĐ-UBND",
            "decision_date": "16/03/2023",
            "confirm_decision": "766/QĐ-UBND",
        },
        referer=publish_page,
    )
    assert status == 302, body.decode()[:1000]
    assert headers["Location"].endswith(f"/periods/{period.code}/results/")
    assert Publication.objects.get(period=period).decision == "766/QĐ-UBND"

    # The first server shows the publication the second made ...
    status, _, body = appraiser_browser.get(f"{first}/periods/{period.code}/results/")
    page = body.decode()
    assert status == 200
    assert "766/QĐ-UBND" in page and "Xã Đồng Tâm" in page and "Thị trấn Ninh Giang" in page
    # ... with the success message the second one left for the next page.
    assert "Đã công bố kết quả lần 1" in page
    status, _, body = appraiser_browser.get(f"{second}/periods/{period.code}/results/")
    assert status == 200 and "Đã công bố kết quả lần 1" not in body.decode()

    # The ranking PDF rendered and stored by the first is served by the second from storage.
    status, _, from_first = appraiser_browser.get(f"{first}/periods/{period.code}/results.pdf")
    assert status == 200 and from_first.startswith(b"%PDF")
    stored = Publication.objects.get(period=period).ranking_pdf
    assert (Path(media_root) / stored.name).read_bytes() == from_first
    status, _, from_second = appraiser_browser.get(f"{second}/periods/{period.code}/results.pdf")
    assert status == 200 and from_second == from_first
    # And the appraiser, now that the commune is appraised, reads its evidence on the first.
    status, _, body = appraiser_browser.get(f"{first}/evidence/{evidence.pk}/")
    assert status == 200 and body == content

    elapsed = time.monotonic() - started
    print(f"two servers: whole journey {elapsed:.1f} s")
    assert elapsed < 60
