"""The admin of units, lineage, memberships and users: pages, query bounds, access, files."""

import csv
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from communes.models import Membership, Role, Succession, Unit
from tests.factories import make_unit, make_user

pytestmark = pytest.mark.django_db

User = get_user_model()


def add_communes(district, count):
    """`count` more communes under `district`, each with an officer and a lineage row."""
    for i in range(count):
        commune = make_unit(f"X{i:03}", f"Xã Thử {i}", "xa", district)
        # No password: hashing one per user would only slow the test down.
        user = User.objects.create(username=f"canbo_x{i:03}", first_name=f"Cán bộ {i}")
        Membership.objects.create(user=user, unit=commune, role=Role.COMMUNE_OFFICER)
        old = make_unit(f"O{i:03}", f"Xã Cũ {i}", "xa", district, active_to="2025-07-01")
        Succession.objects.create(predecessor=old, successor=commune, effective_date="2025-07-01")


# Query bounds, measured and pinned (after a warm-up request: Django caches content types).
# Every admin page reads the session and the user (2). A changelist then counts the filtered
# rows and all rows (2) and reads one page of rows with their joins (1): 5; the users' list
# also reads the listed users' memberships with their units (+1). An add page reads nothing
# more (2); Group's reads the permission choices (+1). A change page reads the object with its
# joins (+1), its read-only membership inline with joins (+1), the selected value of its
# parent autocomplete (+1); a unit's page also reads its predecessors and its successors, each
# with the other unit joined (+2); a user's page reads the user's groups and permissions and the
# group and permission choices instead (+4).
PAGES = {
    # page: (changelist, add page, change page, the object to open)
    "unit": (5, 2, 7, "commune"),
    "province": (5, 2, 6, "province"),  # no parent
    "district": (5, 2, 7, "district"),
    "commune": (5, 2, 7, "commune"),
    "succession": (5, 2, 5, "succession"),  # two autocompletes, no inline
    "membership": (5, 2, 5, "membership"),  # user and unit autocompletes, no inline
    "user": (6, 2, 8, "user"),
    "group": (5, 3, 5, "group"),
}


@pytest.fixture
def objects(units, officer):
    succession = Succession.objects.create(
        predecessor=units["far_commune"], successor=units["commune"], effective_date="2025-07-01"
    )
    return {
        **units,
        "succession": succession,
        "membership": Membership.objects.get(user=officer),
        "user": officer,
        "group": Group.objects.create(name="Phòng Nội vụ"),
    }


@pytest.mark.parametrize("name", PAGES)
def test_every_page_answers_in_bounded_queries(
    admin_client, objects, name, django_assert_max_num_queries
):
    list_bound, add_bound, change_bound, key = PAGES[name]
    app = "auth" if name in ("user", "group") else "communes"
    base = f"/admin/{app}/{name}/"
    change = f"{base}{objects[key].pk}/change/"
    admin_client.get(base), admin_client.get(change)  # warm-up: Django caches content types
    with django_assert_max_num_queries(list_bound) as few:
        assert admin_client.get(base).status_code == 200
    with django_assert_max_num_queries(add_bound):
        assert admin_client.get(f"{base}add/").status_code == 200
    with django_assert_max_num_queries(change_bound) as few_change:
        assert admin_client.get(change).status_code == 200
    # 20 more communes, each with an officer and a lineage row; the commune and the user
    # opened get more memberships: the same number of queries.
    add_communes(objects["district"], 20)
    for unit in Unit.objects.filter(code__startswith="X")[:5]:
        Membership.objects.create(user=objects["user"], unit=unit, role=Role.LEADER)
    for user in User.objects.filter(username__startswith="canbo_x")[:5]:
        Membership.objects.create(user=user, unit=objects["commune"], role=Role.LEADER)
    with django_assert_max_num_queries(list_bound) as many:
        response = admin_client.get(base)
    assert response.status_code == 200 and len(many) == len(few)
    with django_assert_max_num_queries(change_bound) as many_change:
        assert admin_client.get(change).status_code == 200
    assert len(many_change) == len(few_change)


def test_proxy_pages_list_only_their_level(admin_client, units):
    page = admin_client.get("/admin/communes/commune/").content.decode()
    assert "Xã Đồng Tâm" in page and "Thị trấn Ninh Giang" in page
    assert "Huyện Ninh Giang</a>" not in page and "Tỉnh Hải Dương</a>" not in page
    page = admin_client.get("/admin/communes/district/").content.decode()
    assert "Huyện Cẩm Giàng" in page and "Xã Cẩm Hưng</a>" not in page
    # The kinds offered when adding a commune are commune kinds only.
    form = admin_client.get("/admin/communes/commune/add/").context["adminform"].form
    assert {value for value, _ in form.fields["kind"].choices} == {
        "xa",
        "phuong",
        "thi_tran",
        "dac_khu",
    }


def test_dates_print_dd_mm_yyyy(admin_client, units):
    make_unit(
        "OLD", "Xã Cũ", "xa", units["district"], active_from="2019-01-15", active_to="2025-07-01"
    )
    page = admin_client.get("/admin/communes/unit/?q=OLD").content.decode()
    assert "15/01/2019" in page and "01/07/2025" in page


def test_anonymous_and_non_staff_go_to_the_admin_login(client, officer):
    response = client.get("/admin/communes/unit/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(officer)
    response = client.get("/admin/communes/unit/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/communes/unit/",
        "/admin/communes/membership/",
        "/admin/auth/user/",
        "/admin/communes/unit/export/",
        "/admin/communes/unit/import/",
        "/admin/auth/user/export/",
        "/admin/auth/user/import/",
    ],
)
def test_staff_without_permissions_is_refused(client, units, url):
    client.force_login(make_user("nhanvien", is_staff=True))
    assert client.get(url).status_code == 403


def test_staff_with_view_permission_sees_but_cannot_import(client, units):
    from django.contrib.auth.models import Permission

    staff = make_user("xem", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_unit"))
    client.force_login(staff)
    page = client.get("/admin/communes/unit/").content.decode()
    assert "Xuất tệp" in page and "Nhập từ tệp" not in page
    assert client.get("/admin/communes/unit/import/").status_code == 403


def test_user_page_adds_and_revokes_memberships(admin_client, units, officer):
    url = f"/admin/auth/user/{officer.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Xã Đồng Tâm" in page and "Công chức cấp xã" in page
    data = {
        "username": officer.username,
        "first_name": "Nguyễn Văn An",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "01/01/2024",
        "date_joined_1": "08:00:00",
        "initial-date_joined_0": "01/01/2024",
        "initial-date_joined_1": "08:00:00",
        "memberships-TOTAL_FORMS": "1",
        "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0",
        "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": str(officer.memberships.get().pk),
        "memberships-0-user": str(officer.pk),
        "memberships-0-DELETE": "on",
        "memberships-2-TOTAL_FORMS": "1",
        "memberships-2-INITIAL_FORMS": "0",
        "memberships-2-MIN_NUM_FORMS": "0",
        "memberships-2-MAX_NUM_FORMS": "1000",
        "memberships-2-0-unit": str(units["other_commune"].pk),
        "memberships-2-0-role": Role.COMMUNE_OFFICER,
        "memberships-2-0-user": str(officer.pk),
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert list(officer.memberships.values_list("unit__code", "role")) == [("B", "commune_officer")]


def test_changelist_of_users_shows_roles(admin_client, officer, appraiser):
    page = admin_client.get("/admin/auth/user/").content.decode()
    assert "Thành viên tổ thẩm định – Huyện Ninh Giang" in page
    assert "Nguyễn Văn An" in page


# --- export and import --------------------------------------------------------------------


def export(client, url, fmt):
    """POST the export form; fmt 0 = CSV, 1 = XLSX."""
    response = client.post(url, {"format": str(fmt)})
    assert response.status_code == 200, response.content[:500]
    return response


def csv_rows(response):
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def upload(name, text):
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def test_units_export_has_the_import_columns_and_imports_back(admin_client, units):
    rows = csv_rows(export(admin_client, "/admin/communes/unit/export/", 0))
    assert rows[0] == ["code", "name", "kind", "parent_code", "active_from", "active_to"]
    assert ["A", "Xã Đồng Tâm", "xa", "D1", "", ""] in rows
    assert ["P", "Tỉnh Hải Dương", "tinh", "", "", ""] in rows
    # Only what the changelist shows (filters and search apply).
    rows = csv_rows(export(admin_client, "/admin/communes/unit/export/?level__exact=district", 0))
    assert [row[0] for row in rows[1:]] == ["D1", "D2"]
    # The file goes back in through the import page unchanged.
    text = export(admin_client, "/admin/communes/unit/export/", 0).content.decode("utf-8-sig")
    response = admin_client.post(
        "/admin/communes/unit/import/", {"file": upload("don-vi.csv", text)}, follow=True
    )
    assert "thêm mới 0, cập nhật 0, không đổi 6" in response.content.decode()


def test_units_export_to_xlsx(admin_client, units):
    response = export(admin_client, "/admin/communes/unit/export/", 1)
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["code", "name", "kind", "parent_code", "active_from", "active_to"]
    assert ["B", "Thị trấn Ninh Giang", "thi_tran", "D1", None, None] in rows
    # The workbook imports back as it is.
    workbook = SimpleUploadedFile("don-vi.xlsx", response.content)
    response = admin_client.post("/admin/communes/unit/import/", {"file": workbook}, follow=True)
    assert "thêm mới 0, cập nhật 0, không đổi 6" in response.content.decode()


def test_units_import_page_imports_a_good_file(admin_client, units):
    text = "code,name,kind,parent_code\nE,Xã Mới,Xã,D1\nD3,Huyện Mới,huyen,P\nF,Xã Sau,xa,D3\n"
    response = admin_client.post("/admin/communes/unit/import/", {"file": upload("moi.csv", text)})
    assert response.status_code == 302 and response["Location"] == "/admin/communes/unit/"
    assert Unit.objects.get(code="F").parent.code == "D3"
    page = admin_client.get(response["Location"]).content.decode()
    assert "thêm mới 3" in page


def test_units_import_page_shows_every_error_and_saves_nothing(admin_client, units):
    text = "code,name,kind,parent_code\nE,Xã Mới,làng,D1\nF,,xa,NOPE\n"
    response = admin_client.post("/admin/communes/unit/import/", {"file": upload("sai.csv", text)})
    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "Dòng 2, cột kind" in page
        and "Dòng 3, cột name" in page
        and "Dòng 3, cột parent_code" in page
    )
    assert "Không nhập dòng nào" in page
    assert not Unit.objects.filter(code__in=["E", "F"]).exists()


def test_import_page_refuses_a_file_without_the_columns(admin_client, units):
    response = admin_client.post(
        "/admin/communes/unit/import/", {"file": upload("x.csv", "ma,ten\n1,2\n")}
    )
    assert "Thiếu cột bắt buộc" in response.content.decode()


def test_users_export_and_import(admin_client, units, officer, appraiser):
    rows = csv_rows(export(admin_client, "/admin/auth/user/export/", 0))
    assert rows[0] == ["username", "full_name", "email", "unit_code", "role"]
    assert ["canbo_a", "Nguyễn Văn An", "", "A", "commune_officer"] in rows
    assert ["thamdinh", "Trần Thị Bình", "", "D1", "appraiser"] in rows
    text = (
        "username,full_name,email,unit_code,role\nmoi,Lê Văn Mới,moi@example.vn,B,commune_officer\n"
        "moi,Lê Văn Mới,moi@example.vn,D1,leader\n"
    )
    response = admin_client.post(
        "/admin/auth/user/import/", {"file": upload("nguoi-dung.csv", text)}, follow=True
    )
    page = response.content.decode()
    assert "tạo 1 tài khoản" in page and "thêm 2 phân quyền" in page and "chưa có mật khẩu" in page
    assert set(User.objects.get(username="moi").memberships.values_list("unit__code", "role")) == {
        ("B", "commune_officer"),
        ("D1", "leader"),
    }


def test_users_import_errors_save_nothing(admin_client, units):
    text = (
        "username,full_name,email,unit_code,role\nmoi,Lê Văn Mới,sai-email,B,commune_officer\n"
        "khac,Người Khác,,D1,commune_officer\n"
    )
    response = admin_client.post(
        "/admin/communes/membership/import/", {"file": upload("sai.csv", text)}
    )
    page = response.content.decode()
    assert "Dòng 2, cột email" in page and "Dòng 3, cột role" in page
    assert not User.objects.filter(username__in=["moi", "khac"]).exists()


def test_membership_export_lists_the_filtered_memberships(admin_client, officer, appraiser):
    rows = csv_rows(
        export(admin_client, "/admin/communes/membership/export/?role__exact=appraiser", 0)
    )
    assert [row[0] for row in rows[1:]] == ["thamdinh"]


def test_every_registered_model_has_its_pages_tested():
    """Each page table here and in tests/scoring, tests/evidence covers every admin page."""
    from django.contrib import admin

    from tests.jobs.test_admin import PAGES as JOB_PAGES
    from tests.notifications.test_admin import PAGES as NOTIFICATION_PAGES
    from tests.scoring.test_admin import PAGES as SCORING_PAGES
    from tests.scoring.test_reply_admin import PAGES as REPLY_PAGES

    tested = {f"communes.{name}" for name in PAGES if name not in ("user", "group")}
    tested |= {"auth.user", "auth.group", "evidence.evidence"}
    tested |= {"axes.accessattempt", "axes.accessfailurelog", "axes.accesslog"}  # test_security.py
    tested |= {f"scoring.{name}" for name in SCORING_PAGES}
    tested |= {f"scoring.{name}" for name in REPLY_PAGES}
    tested |= {f"notifications.{name}" for name in NOTIFICATION_PAGES}
    tested |= {f"jobs.{name}" for name in JOB_PAGES}
    assert tested == {model._meta.label_lower for model in admin.site._registry}


def test_a_unit_page_lists_its_predecessors_and_successors_with_links(admin_client, tmp_path):
    from .reform import load_reform

    load_reform(tmp_path)
    units = dict(Unit.objects.values_list("code", "pk"))
    page = admin_client.get(f"/admin/communes/unit/{units['MH-01']}/change/").content.decode()
    formed = page[page.index("Hình thành từ (đơn vị tiền thân)") :]
    for code, name in (("MH-A", "Xã An Lạc"), ("MH-B", "Xã Bình Minh")):
        assert f'<a href="/admin/communes/unit/{units[code]}/change/">{name} ({code})</a>' in formed
    assert "… – 01/07/2025" in formed and "01/07/2025" in formed
    assert "Xã Bình Minh (MH-C)" not in page and "Thị trấn Đông Hòa" not in page
    # The old commune's page (on the proxy admin too) names what it became.
    page = admin_client.get(f"/admin/communes/commune/{units['MH-C']}/change/").content.decode()
    became = page[page.index("Sáp nhập, chuyển thành (đơn vị kế thừa)") :]
    link = f'<a href="/admin/communes/unit/{units["MH-02"]}/change/">Xã Đông Hòa (MH-02)</a>'
    assert link in became
    assert "01/07/2025 – …" in became
    # Read-only: no field to add or edit lineage rows on the unit's page.
    response = admin_client.get(f"/admin/communes/unit/{units['MH-01']}/change/")
    lineage = [
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is Succession
    ]
    assert len(lineage) == 2
    assert not any(inline.has_add_permission or inline.has_change_permission for inline in lineage)


def test_successions_import_page_and_export_round_trip(admin_client, tmp_path):
    from .reform import load_reform

    load_reform(tmp_path)
    text = export(admin_client, "/admin/communes/succession/export/", 0).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["predecessor_code", "successor_code", "effective_date"]
    assert ["MH-A", "MH-01", "01/07/2025"] in rows and len(rows) == 6
    response = admin_client.post(
        "/admin/communes/succession/import/", {"file": upload("ke-thua.csv", text)}, follow=True
    )
    assert "thêm mới 0, sửa ngày 0, không đổi 5" in response.content.decode()
    bad = "predecessor_code,successor_code,effective_date\nMH-A,MH-ZZ,01/07/2025\n"
    response = admin_client.post(
        "/admin/communes/succession/import/", {"file": upload("sai.csv", bad)}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Dòng 2, cột successor_code: Không có đơn vị mã “MH-ZZ” (hãy nhập đơn vị trước)." in page
    assert Succession.objects.count() == 5


def test_a_succession_entered_by_hand_obeys_the_import_rules(admin_client, tmp_path):
    from .reform import load_reform

    load_reform(tmp_path)
    pk = dict(Unit.objects.values_list("code", "pk"))

    def add(old, new, day):
        return admin_client.post(
            "/admin/communes/succession/add/",
            {"predecessor": pk[old], "successor": pk[new], "effective_date": day},
        )

    errors = add("MH-B", "MH-02", "30/06/2025").context["adminform"].form.errors
    assert errors["effective_date"] == [
        "Xã Đông Hòa (mã MH-02) không hoạt động vào ngày 30/06/2025 (hoạt động từ ngày 01/07/2025)."
    ]
    errors = add("MH-01", "MH-A", "01/07/2025").context["adminform"].form.errors
    assert errors["successor"] == ["Vòng lặp kế thừa: MH-01 → MH-A → MH-01."]
    assert "Xã An Lạc (mã MH-A) không hoạt động vào ngày 01/07/2025" in errors["effective_date"][0]
    errors = add("MH-H1", "MH-01", "01/07/2025").context["adminform"].form.errors
    assert "đơn vị cũ và đơn vị mới phải cùng cấp" in errors["successor"][0]
    assert Succession.objects.count() == 5
    response = add("MH-B", "MH-02", "01/07/2025")
    assert response.status_code == 302
    assert Succession.objects.filter(predecessor__code="MH-B").count() == 2
    # Editing a stored pair checks the lineage without the pair itself: no false cycle.
    succession = Succession.objects.get(predecessor__code="MH-A")
    response = admin_client.post(
        f"/admin/communes/succession/{succession.pk}/change/",
        {"predecessor": pk["MH-A"], "successor": pk["MH-01"], "effective_date": "02/07/2025"},
    )
    assert response.status_code == 302
    succession.refresh_from_db()
    assert f"{succession.effective_date:%d/%m/%Y}" == "02/07/2025"


def unit_page_data(client, unit, **changes) -> dict:
    """The unit's admin change form as stored, with `changes`, and its inlines' management
    forms."""
    data = {
        "code": unit.code, "name": unit.name, "kind": unit.kind, "parent": str(unit.parent_id),
        "active_from": f"{unit.active_from:%d/%m/%Y}" if unit.active_from else "",
        "active_to": f"{unit.active_to:%d/%m/%Y}" if unit.active_to else "", **changes,
    }
    url = f"/admin/communes/unit/{unit.pk}/change/"
    for inline in client.get(url).context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name, value in management.initial.items():
            data[f"{management.prefix}-{name}"] = value
    return data


def test_new_dates_on_a_unit_page_must_keep_its_lineage_true(admin_client, tmp_path):
    from .reform import load_reform

    load_reform(tmp_path)
    unit = Unit.objects.get(code="MH-01")
    url = f"/admin/communes/unit/{unit.pk}/change/"
    data = unit_page_data(admin_client, unit, active_from="01/08/2025")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["active_from"] == [
        "Xã Đông An (mã MH-01) kế thừa Xã An Lạc (mã MH-A) từ ngày 01/07/2025 nhưng với ngày "
        "mới thì không hoạt động vào ngày đó; sửa quan hệ kế thừa trước (import_successions "
        "hoặc trang Quản trị).",
        "Xã Đông An (mã MH-01) kế thừa Xã Bình Minh (mã MH-B) từ ngày 01/07/2025 nhưng với "
        "ngày mới thì không hoạt động vào ngày đó; sửa quan hệ kế thừa trước "
        "(import_successions hoặc trang Quản trị).",
    ]
    unit.refresh_from_db()
    assert f"{unit.active_from:%d/%m/%Y}" == "01/07/2025"
    # A date that keeps the lineage true is saved.
    response = admin_client.post(url, {**data, "active_from": "15/06/2025"})
    assert response.status_code == 302
    unit.refresh_from_db()
    assert f"{unit.active_from:%d/%m/%Y}" == "15/06/2025"


def test_a_new_kind_on_a_unit_page_must_keep_its_lineage_at_one_level(admin_client, tmp_path):
    from .reform import load_reform

    load_reform(tmp_path)
    unit = Unit.objects.get(code="MH-01")
    url = f"/admin/communes/unit/{unit.pk}/change/"
    data = unit_page_data(admin_client, unit, name="Thị xã Đông An", kind="thi_xa")
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["kind"] == [
        f"Thị xã Đông An (mã MH-01) kế thừa {name} từ ngày 01/07/2025; với loại đơn vị mới thì "
        "hai đơn vị không còn cùng cấp (cấp huyện và cấp xã); sửa quan hệ kế thừa trước "
        "(import_successions hoặc trang Quản trị)."
        for name in ("Xã An Lạc (mã MH-A)", "Xã Bình Minh (mã MH-B)")
    ]
    unit.refresh_from_db()
    assert (unit.kind, unit.name) == ("xa", "Xã Đông An")


def test_yes_no_icons_say_co_and_khong_to_a_screen_reader(admin_client, officer):
    """Django writes the Python value ("True"/"False") as a yes/no icon's alt text; the admin
    says it in Vietnamese (cchc/admin_site.py), in lists and in read-only fields."""
    officer.is_active = False
    officer.save()
    page = admin_client.get("/admin/auth/user/").content.decode()
    assert re.search(r'icon-yes\.svg" alt="Có"', page)  # the administrator: staff, active
    assert re.search(r'icon-no\.svg" alt="Không"', page)  # the officer: not staff, inactive
    assert 'alt="True"' not in page and 'alt="False"' not in page
