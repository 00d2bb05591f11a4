"""Every import page previews the first rows before importing (issue 14): the admin's import
pages show the same preview as the survey page (one include, tabular.web.preview): the first
10 rows with the column names as the import reads them, nothing written; "Nhập" then imports
the held file, with the page's other fields as they were typed."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from communes.models import Unit
from scoring.models import CriteriaSet
from tabular.web import PREVIEW_MAX_BYTES

pytestmark = pytest.mark.django_db

UNITS = "/admin/communes/unit/import/"


def units_file(rows: int) -> SimpleUploadedFile:
    lines = ["code,name,kind,parent_code,ghi_chu", "# một dòng hướng dẫn"]
    lines += [f"N{i:02},Xã Xem {i},xa,D1,ngoai-le-xyz" for i in range(rows)]
    return SimpleUploadedFile("xem-truoc.csv", ("\n".join(lines) + "\n").encode())


def test_an_admin_page_previews_the_first_rows_then_imports_the_held_file(admin_client, units):
    page = admin_client.get(UNITS).content.decode()
    assert 'value="preview">Xem trước 10 dòng đầu</button>' in page and 'id="preview"' not in page
    response = admin_client.post(UNITS, {"file": units_file(15), "action": "preview"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Xem trước: xem-truoc.csv (15 dòng dữ liệu)" in page
    # The columns the import reads (not the file's other ones), then rows 3..12 of the file.
    assert "<th><code>code</code></th><th><code>name</code></th><th><code>kind</code></th>" in page
    assert "<code>ghi_chu</code>" not in page and "ngoai-le-xyz" not in page
    assert '<td class="num">3</td><td>N00</td><td>Xã Xem 0</td><td>xa</td><td>D1</td>' in page
    assert "<td>N09</td>" in page and "<td>N10</td>" not in page
    assert "Nhập 15 dòng của tệp này" in page
    assert not Unit.objects.filter(code__startswith="N").exists()

    response = admin_client.post(UNITS, {"action": "import_previewed"}, follow=True)
    assert "thêm mới 15" in response.content.decode()
    assert Unit.objects.filter(code__startswith="N").count() == 15
    # Imported: nothing is held any more, so "Nhập" asks for a file again.
    response = admin_client.post(UNITS, {"action": "import_previewed"})
    assert response.status_code == 200 and 'class="errorlist' in response.content.decode()


def test_a_preview_of_a_bad_file_shows_the_readers_errors(admin_client, units):
    response = admin_client.post(
        UNITS, {"file": SimpleUploadedFile("x.csv", b"ma,ten\n1,2\n"), "action": "preview"}
    )
    page = response.content.decode()
    assert "Thiếu cột bắt buộc" in page and 'id="preview"' not in page
    big = SimpleUploadedFile("lon.csv", b"code,name,kind,parent_code\n" + b"x" * PREVIEW_MAX_BYTES)
    response = admin_client.post(UNITS, {"file": big, "action": "preview"})
    assert "Tệp lớn hơn 2 MB nên không xem trước được" in response.content.decode()


def test_the_criteria_page_keeps_its_fields_from_preview_to_import(admin_client):
    body = (
        "code,parent_code,name,max_points,method\n"
        "I,,Lĩnh vực I,100,self_assessed\nI.1,I,Tiêu chí một,100,self_assessed\n"
    ).encode()
    fields = {"code": "BTC-XT", "name": "Bộ xem trước", "total": "100", "legal_basis": "QĐ 1"}
    response = admin_client.post(
        "/admin/scoring/criterion/import/",
        {**fields, "file": SimpleUploadedFile("bo.csv", body), "action": "preview"},
    )
    page = response.content.decode()
    assert "Xem trước: bo.csv (2 dòng dữ liệu)" in page and "<td>Tiêu chí một</td>" in page
    # The confirm form carries the typed fields as hidden inputs.
    assert '<input type="hidden" name="code" value="BTC-XT"' in page
    assert '<input type="hidden" name="name" value="Bộ xem trước"' in page
    assert not CriteriaSet.objects.filter(code="BTC-XT").exists()
    response = admin_client.post(
        "/admin/scoring/criterion/import/", {**fields, "action": "import_previewed"}
    )
    criteria_set = CriteriaSet.objects.get(code="BTC-XT")
    assert response.status_code == 302
    assert response["Location"] == f"/admin/scoring/criteriaset/{criteria_set.pk}/change/"
    assert criteria_set.name == "Bộ xem trước" and criteria_set.criteria.count() == 2
