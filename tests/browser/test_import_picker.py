"""The admin's import pages in Debian's chromium (issue 14 item 5): the styled Vietnamese file
picker (no native "Choose File"/"No file chosen") shows the chosen file's name under the
Content-Security-Policy, and the template links are there."""

import pytest
from playwright.sync_api import expect

from tests.factories import make_user

from .test_content_security_policy import assert_clean, watched  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = ("communes/unit", "communes/succession", "communes/membership", "auth/user", "scoring/criterion")


def test_import_pages_have_the_styled_picker(watched, live_server, log_in, tmp_path):  # noqa: F811
    make_user("quantri", is_staff=True, is_superuser=True)
    log_in(watched, "quantri")
    chosen = tmp_path / "don-vi.csv"
    chosen.write_text("code,name,kind,parent_code\n", encoding="utf-8")
    for page_path in PAGES:
        watched.goto(f"{live_server.url}/admin/{page_path}/import/")
        text = watched.locator("body").inner_text()
        assert "Choose File" not in text and "No file chosen" not in text, page_path
        expect(watched.get_by_text("Chưa chọn tệp")).to_be_visible()
        expect(watched.get_by_role("link", name="Tải mẫu Excel (.xlsx)")).to_be_visible()
        expect(watched.get_by_role("link", name="Tải mẫu CSV")).to_be_visible()
        watched.locator("input[type=file]").set_input_files(str(chosen))
        expect(watched.locator("[data-file-names]")).to_have_text("don-vi.csv")
        assert_clean(watched, page_path)
