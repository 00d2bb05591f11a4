from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model

from communes.models import Membership

from ..files import database_state, run, run_failing, write_csv, write_xlsx

pytestmark = pytest.mark.django_db

User = get_user_model()
FIXTURES = Path(settings.BASE_DIR) / "fixtures"
HEADER = ["username", "full_name", "email", "unit_code", "role", "password"]


def memberships_of(username) -> set:
    return set(
        Membership.objects.filter(user__username=username).values_list("unit__code", "role")
    )


def test_csv_creates_users_with_or_without_a_password(tmp_path, units):
    path = write_csv(
        tmp_path,
        "tai-khoan.csv",
        [
            HEADER,
            ["xa.dongtam", "Nguyễn Thị Hạnh", "vanphong@dongtam.example.vn", "A", "commune_officer", "Ninh-Giang@2024"],
            ["thamdinh.ng", "Trần Minh Đức", "", "D1", "appraiser", ""],
            ["thamdinh.ng", "Trần Minh Đức", "", "D2", "appraiser", ""],
            ["lanhdao.ng", "Vũ Quang Huy", "lanhdao@example.vn", "D1", "leader", ""],
        ],
    )
    assert run("import_users", str(path)) == (
        "Đã nhập tài khoản từ tệp tai-khoan.csv: tạo mới 3, cập nhật 0, thêm 4 phân quyền.\n"
        "Chưa có mật khẩu (đặt qua trang quản trị hoặc “Quên mật khẩu”): thamdinh.ng, lanhdao.ng."
    )
    hanh = User.objects.get(username="xa.dongtam")
    assert (hanh.first_name, hanh.last_name, hanh.email) == (
        "Nguyễn Thị Hạnh", "", "vanphong@dongtam.example.vn"
    )
    assert hanh.check_password("Ninh-Giang@2024")
    assert not User.objects.get(username="thamdinh.ng").has_usable_password()
    assert memberships_of("thamdinh.ng") == {("D1", "appraiser"), ("D2", "appraiser")}
    assert memberships_of("xa.dongtam") == {("A", "commune_officer")}


def test_semicolon_csv_with_bom_and_vietnamese_role_labels(tmp_path, units):
    path = write_csv(
        tmp_path,
        "tai-khoan.csv",
        [
            HEADER[:5],
            ["canbo.b", "Phạm Văn Long", "long@example.vn", "B", "Công chức cấp xã"],
            ["lanhdao.p", "Lê Thị Mai", "mai@example.vn", "P", "LÃNH ĐẠO"],
            ["td.p", "Hoàng Văn Nam", "", "P", "thành viên tổ thẩm định"],
        ],
        delimiter=";",
        bom=True,
    )
    run("import_users", str(path))
    assert memberships_of("canbo.b") == {("B", "commune_officer")}
    assert memberships_of("lanhdao.p") == {("P", "leader")}
    assert memberships_of("td.p") == {("P", "appraiser")}


def test_xlsx_updates_an_existing_user_and_adds_the_membership(tmp_path, officer, units):
    path = write_xlsx(
        tmp_path,
        "tai-khoan.xlsx",
        [
            HEADER[:5],
            ["canbo_a", "Nguyễn Văn An", "an@dongtam.example.vn", "A", "commune_officer"],
            ["canbo_a", "Nguyễn Văn An", "an@dongtam.example.vn", "A", "leader"],
        ],
    )
    assert run("import_users", str(path)) == (
        "Đã nhập tài khoản từ tệp tai-khoan.xlsx: tạo mới 0, cập nhật 1, thêm 1 phân quyền."
    )
    officer.refresh_from_db()
    assert officer.email == "an@dongtam.example.vn"
    assert officer.check_password("matkhau-2024")  # no password in the file: kept
    assert memberships_of("canbo_a") == {("A", "commune_officer"), ("A", "leader")}
    assert User.objects.count() == 1


def test_the_demo_users_file_imports(db):
    run("import_units", str(FIXTURES / "demo" / "units.csv"))
    assert run("import_users", str(FIXTURES / "demo" / "users.csv")).startswith(
        "Đã nhập tài khoản từ tệp users.csv: tạo mới 7, cập nhật 0, thêm 7 phân quyền."
    )
    # No password in the file: load_demo gives every demo account the README's one.
    assert not User.objects.get(username="thamdinh").has_usable_password()
    assert memberships_of("xa.dongtam") == {("HD-NG-02", "commune_officer")}


def test_every_error_is_reported_and_nothing_saved(tmp_path, officer, units):
    path = write_csv(
        tmp_path,
        "loi.csv",
        [
            HEADER,
            ["moi.a", "Người Mới", "", "KHONG-CO", "commune_officer", ""],
            ["moi.b", "Người Mới B", "", "A", "chủ tịch", ""],
            ["moi.c", "Người Mới C", "khong-phai-email", "D1", "commune_officer", ""],
            ["co dau cach", "", "", "A", "leader", ""],
            ["moi.d", "Người D", "", "A", "leader", ""],
            ["moi.d", "Người Đ", "", "B", "leader", ""],
            ["moi.e", "Người E", "", "A", "leader", "12345678"],
            ["moi.g", "Người G", "", "A", "leader", "Xy-9"],
        ],
    )
    before = database_state()
    lines = run_failing("import_users", str(path))
    assert lines == [
        "Dòng 2, cột unit_code: Không có đơn vị mã “KHONG-CO”.",
        "Dòng 3, cột role: “chủ tịch” không phải là vai trò hợp lệ (dùng commune_officer, "
        "appraiser, leader hoặc “Công chức cấp xã”, “Thành viên tổ thẩm định”, “Lãnh đạo”).",
        "Dòng 4, cột email: “khong-phai-email” không phải là địa chỉ e-mail hợp lệ.",
        "Dòng 4, cột role: Công chức cấp xã phải thuộc một đơn vị cấp xã; "
        "Huyện Ninh Giang là cấp huyện.",
        "Dòng 5, cột username: Tên đăng nhập “co dau cach” không hợp lệ (tối đa 150 ký tự: "
        "chữ, số và các ký tự @ . + - _).",
        "Dòng 5, cột full_name: Chưa có họ và tên.",
        "Dòng 7, cột full_name: Khác với dòng 6 của cùng tài khoản “moi.d”.",
        "Dòng 8, cột password: Mật khẩu này quá phổ biến. Mật khẩu này hoàn toàn là số.",
        "Dòng 9, cột password: Mật khẩu quá ngắn: cần ít nhất 8 ký tự.",
    ]
    assert database_state() == before


def test_missing_column_is_refused(tmp_path, units):
    path = write_csv(tmp_path, "thieu.csv", [["username", "full_name", "unit_code", "role"], ["a", "A", "A", "leader"]])
    before = database_state()
    assert run_failing("import_users", str(path)) == [
        "Thiếu cột bắt buộc “email” (dòng tiêu đề phải có các cột: username, full_name, email, "
        "unit_code, role)."
    ]
    assert database_state() == before
