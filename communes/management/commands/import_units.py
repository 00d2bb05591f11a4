from tabular.commands import ImportCommand

from ...services import UNIT_COLUMNS, UNIT_DATES, import_units


class Command(ImportCommand):
    help = (
        "Nhập đơn vị hành chính từ tệp CSV (UTF-8, phân cách “,” hoặc “;”) hoặc XLSX, cột: "
        "code,name,kind,parent_code[,active_from,active_to]. kind là tinh, thanh_pho_tw, huyen, "
        "quan, thi_xa, thanh_pho, xa, phuong, thi_tran, dac_khu hoặc tên như “Xã”, “Thị trấn”, "
        "“Huyện”; parent_code là mã đơn vị cấp trên (có thể ở dòng sau hoặc đã có trong cơ sở "
        "dữ liệu; để trống với tỉnh); active_from, active_to: ngày bắt đầu và ngày thôi hoạt "
        "động (dd/mm/yyyy, để trống là không giới hạn; đơn vị hoạt động vào ngày D khi "
        "active_from ≤ D < active_to). Đơn vị đã có được cập nhật tên, loại, cấp trên (và ngày, "
        "khi tệp có cột ngày). Tệp có lỗi thì không nhập gì."
    )
    required = UNIT_COLUMNS
    optional = UNIT_DATES

    def import_table(self, table, **options):
        counts = import_units(table)
        return (
            f"Đã nhập {len(table.rows)} đơn vị từ tệp {table.filename}: "
            f"tạo mới {counts['created']}, cập nhật {counts['updated']}, "
            f"không thay đổi {counts['unchanged']}."
        )
