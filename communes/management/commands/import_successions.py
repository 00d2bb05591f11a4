from tabular.commands import ImportCommand

from ...successions import SUCCESSION_COLUMNS, import_successions


class Command(ImportCommand):
    help = (
        "Nhập quan hệ kế thừa giữa các đơn vị (sáp nhập, đổi tên) từ tệp CSV (UTF-8, phân cách "
        "“,” hoặc “;”) hoặc XLSX, cột: predecessor_code,successor_code,effective_date. Mỗi dòng "
        "là một cặp đơn vị cũ → đơn vị mới (xã mới hình thành từ 3 xã cũ có 3 dòng); "
        "effective_date dạng dd/mm/yyyy, đơn vị mới phải đang hoạt động vào ngày đó. Hai đơn vị "
        "phải có sẵn (nhập bằng import_units trước). Nhập lại cùng tệp không thay đổi gì; cặp đã "
        "có nhưng khác ngày thì được sửa ngày. Tệp có lỗi thì không nhập gì."
    )
    required = SUCCESSION_COLUMNS

    def import_table(self, table, **options):
        counts = import_successions(table)
        return (
            f"Đã nhập {len(table.rows)} dòng kế thừa từ tệp {table.filename}: "
            f"tạo mới {counts['created']}, sửa ngày {counts['updated']}, "
            f"không thay đổi {counts['unchanged']}."
        )
