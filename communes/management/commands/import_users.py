from tabular.commands import ImportCommand

from ...services import USER_COLUMNS, USER_OPTIONAL, import_users


class Command(ImportCommand):
    help = (
        "Nhập tài khoản và phân quyền từ tệp CSV (UTF-8, phân cách “,” hoặc “;”) hoặc XLSX, cột: "
        "username,full_name,email,unit_code,role[,password]. role là commune_officer, appraiser, "
        "leader hoặc “Công chức cấp xã”, “Thành viên tổ thẩm định”, “Lãnh đạo”; unit_code là mã "
        "đơn vị đã có. Một tài khoản có thể ở nhiều dòng (nhiều phân quyền). Tài khoản mới không "
        "có mật khẩu thì chưa đăng nhập được cho đến khi đặt mật khẩu (trang quản trị hoặc "
        "“Quên mật khẩu”). Tài khoản đã có được cập nhật họ tên, e-mail và thêm phân quyền. "
        "Tệp có lỗi thì không nhập gì."
    )
    required = USER_COLUMNS
    optional = USER_OPTIONAL

    def import_table(self, table, **options):
        counts = import_users(table)
        summary = (
            f"Đã nhập tài khoản từ tệp {table.filename}: tạo mới {counts['created']}, "
            f"cập nhật {counts['updated']}, thêm {counts['memberships']} phân quyền."
        )
        if counts["without_password"]:
            summary += (
                "\nChưa có mật khẩu (đặt qua trang quản trị hoặc “Quên mật khẩu”): "
                + ", ".join(counts["without_password"])
                + "."
            )
        return summary
