"""An admin import page in Debian's chromium, for a file over IMPORT_JOB_KB (issues 13, 14): the
first rows previewed, "Nhập" sends the held file to a job, the progress page appears and ends on
"Đã xong" with the page's summary and a link back; a bad file ends on "Thất bại" with the list
of its row errors, and nothing imported. No CSP violation, no console error."""

import re

import pytest
from playwright.sync_api import expect

from communes.models import Unit
from tests.factories import make_units, make_user

from .test_content_security_policy import assert_clean, watched  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def units_file(path, kind: str):
    lines = ["code,name,kind,parent_code"] + [f"N{i:02},Xã Mới {i},{kind},D1" for i in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_big_import_goes_through_a_job_page(watched, live_server, log_in, tmp_path, settings):  # noqa: F811
    settings.IMPORT_JOB_MIN_BYTES = 500  # the 40-row file (~1 KB) is imported by a job
    make_units()
    make_user("quantri", is_staff=True, is_superuser=True)
    log_in(watched, "quantri")
    watched.goto(f"{live_server.url}/admin/communes/unit/import/")
    watched.locator("input[type=file]").set_input_files(units_file(tmp_path / "don-vi.csv", "xa"))
    watched.get_by_role("button", name="Xem trước 10 dòng đầu").click()
    preview = watched.locator("#preview")
    expect(preview.get_by_role("heading")).to_have_text("Xem trước: don-vi.csv (40 dòng dữ liệu)")
    expect(preview.locator("tbody tr")).to_have_count(10)
    expect(preview.locator("tbody tr").first).to_contain_text("Xã Mới 0")
    assert not Unit.objects.filter(code__startswith="N").exists()
    assert_clean(watched, "preview")

    preview.get_by_role("button", name="Nhập 40 dòng của tệp này").click()
    expect(watched).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(watched.get_by_role("heading", level=1)).to_have_text(
        "Nhập đơn vị hành chính từ tệp “don-vi.csv”"
    )
    expect(watched.locator("[data-job-state]")).to_have_text("Đã xong")
    expect(watched.locator("[data-job-note]")).to_have_text(
        "Đã nhập tệp đơn vị hành chính: thêm mới 40, cập nhật 0, không đổi 0."
    )
    expect(watched.locator("progress")).to_have_attribute("value", "100")
    expect(watched.locator("[data-job-error]")).to_be_hidden()
    assert Unit.objects.filter(code__startswith="N").count() == 40
    assert_clean(watched, "job done")

    # Back to the import page; a bad file ends on its row errors, nothing imported.
    watched.get_by_role("link", name="← Quay lại").click()
    expect(watched).to_have_url(re.compile(r"/admin/communes/unit/import/$"))
    watched.locator("input[type=file]").set_input_files(units_file(tmp_path / "sai.csv", "làng"))
    watched.get_by_role("button", name="Nhập", exact=True).click()
    expect(watched).to_have_url(re.compile(r"/jobs/\d+/$"))
    expect(watched.locator("[data-job-state]")).to_have_text("Thất bại")
    expect(watched.locator("[data-job-error-message]")).to_have_text(
        "Không nhập dòng nào: tệp có 40 lỗi, hãy sửa rồi nhập lại cả tệp."
    )
    errors = watched.locator("[data-job-errors] li")
    expect(errors).to_have_count(40)
    expect(errors.first).to_contain_text("Dòng 2, cột kind")
    expect(watched.locator("[data-job-note]")).to_be_hidden()
    expect(watched.get_by_role("link", name="← Quay lại")).to_be_visible()
    assert not Unit.objects.filter(name__startswith="Xã Mới", kind="").exists()
    assert_clean(watched, "job failed")
