"""Every admin import page offers blank templates (issue 14 item 5): XLSX and CSV with the ◆
columns of its import and Vietnamese help rows that the importer skips, so a template filled in
below its help rows imports as it is; an empty one is refused with a clear message. The page's
file picker is the styled Vietnamese one (no native "Choose File")."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from communes import services, successions
from communes.models import Membership, Succession, Unit
from scoring.models import CriteriaSet
from scoring.services import setup

pytestmark = pytest.mark.django_db

# page: (the import's columns, the template's file name, one filled row, more form data, check)
PAGES = {
    "communes/unit": (
        services.UNIT_COLUMNS + services.UNIT_DATES,
        "don-vi",
        {"code": "E", "name": "Xã Mới", "kind": "Xã", "parent_code": "D1", "active_from": "01/07/2025"},
        {},
        lambda: Unit.objects.filter(code="E", parent__code="D1").exists(),
    ),
    "communes/commune": (
        services.UNIT_COLUMNS + services.UNIT_DATES,
        "don-vi",
        {"code": "E", "name": "Xã Mới", "kind": "xa", "parent_code": "D1"},
        {},
        lambda: Unit.objects.filter(code="E").exists(),
    ),
    "communes/succession": (
        successions.SUCCESSION_COLUMNS,
        "ke-thua",
        {"predecessor_code": "OLD", "successor_code": "A", "effective_date": "01/07/2025"},
        {},
        lambda: Succession.objects.filter(predecessor__code="OLD", successor__code="A").exists(),
    ),
    "communes/membership": (
        services.USER_COLUMNS + services.USER_OPTIONAL,
        "nguoi-dung",
        {"username": "moi", "full_name": "Lê Văn Mới", "email": "", "unit_code": "B", "role": "commune_officer"},
        {},
        lambda: Membership.objects.filter(user__username="moi", unit__code="B").exists(),
    ),
    "auth/user": (
        services.USER_COLUMNS + services.USER_OPTIONAL,
        "nguoi-dung",
        {"username": "moi", "full_name": "Lê Văn Mới", "email": "", "unit_code": "D1", "role": "leader"},
        {},
        lambda: Membership.objects.filter(user__username="moi", role="leader").exists(),
    ),
    "scoring/criterion": (
        setup.CRITERIA_COLUMNS + setup.CRITERIA_OPTIONAL,
        "tieu-chi",
        {"code": "1", "parent_code": "", "name": "Chỉ đạo, điều hành", "max_points": "100", "method": "self_assessed"},
        {"code": "HD-MAU", "name": "Bộ tiêu chí mẫu", "total": "100"},
        lambda: CriteriaSet.objects.filter(code="HD-MAU", criteria__code="1").exists(),
    ),
}


def _rows(body: bytes, extension: str) -> list[list[str]]:
    if extension == "csv":
        return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(body)).active
    return [["" if cell is None else str(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]


def _filled(body: bytes, extension: str, columns, row: dict) -> bytes:
    values = [row.get(column, "") for column in columns]
    if extension == "csv":
        out = io.StringIO()
        csv.writer(out).writerow(values)
        return body + out.getvalue().encode("utf-8")
    workbook = load_workbook(io.BytesIO(body))
    workbook.active.append(values)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@pytest.fixture
def old_unit(units):
    from tests.factories import make_unit

    return make_unit("OLD", "Xã Cũ", "xa", units["district"], active_to="2025-07-01")


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
@pytest.mark.parametrize("page", PAGES)
def test_a_filled_in_template_imports_as_it_is(admin_client, old_unit, page, extension):
    columns, basename, row, data, imported = PAGES[page]
    import_url = f"/admin/{page}/import/"
    html = admin_client.get(import_url).content.decode()
    template_url = f"{import_url}template.{extension}"
    assert f'href="{template_url}"' in html and "Tải tệp mẫu" in html
    assert 'class="file-input"' in html and "Chọn tệp…" in html and "Chưa chọn tệp" in html
    assert "js/forms.js" in html and "css/file-picker.css" in html

    response = admin_client.get(template_url)
    assert response.status_code == 200
    assert f'filename="mau-{basename}.{extension}"' in response["Content-Disposition"]
    body = response.content
    rows = _rows(body, extension)
    assert tuple(rows[0]) == tuple(columns)
    assert len(rows) >= 3 and all(r[0].startswith("# ") and not any(r[1:]) for r in rows[1:])
    assert "bỏ qua khi nhập" in rows[1][0] and ", ".join(columns[:2]) in rows[2][0]

    upload = SimpleUploadedFile(f"mau.{extension}", _filled(body, extension, columns, row))
    response = admin_client.post(import_url, {"file": upload, **data}, follow=True)
    assert "Không nhập dòng nào" not in response.content.decode()
    assert imported()


@pytest.mark.parametrize("page", PAGES)
def test_the_template_alone_is_refused_clearly(admin_client, units, page):
    columns, basename, row, data, imported = PAGES[page]
    import_url = f"/admin/{page}/import/"
    body = admin_client.get(f"{import_url}template.xlsx").content
    response = admin_client.post(import_url, {"file": SimpleUploadedFile("mau.xlsx", body), **data})
    html = response.content.decode()
    assert "Không nhập dòng nào" in html and "không có dòng dữ liệu nào" in html
    assert not imported()


def test_templates_need_the_import_permission(client, admin_client, units):
    from tests.factories import make_user

    staff = make_user("nhanvien")
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/communes/unit/import/template.csv").status_code == 403
    assert admin_client.get("/admin/communes/unit/import/template.pdf").status_code == 404
