from scoring.services.procedure_import import OPTIONAL, REQUIRED, import_procedure_figures

from ._period_import import PeriodImportCommand


class Command(PeriodImportCommand):
    help = (
        "Nhập số liệu giải quyết thủ tục hành chính (TTHC) của các đơn vị trong kỳ đánh giá. "
        "Tệp .csv (UTF-8) hoặc .xlsx có các cột commune_code,received,processed,on_time,late"
        "[,online]: số hồ sơ tiếp nhận, đã giải quyết, đúng hạn (kể cả trước hạn), trễ hạn và "
        "nộp trực tuyến; mỗi đơn vị một dòng, số nguyên không âm, đúng hạn + trễ hạn = đã giải "
        "quyết ≤ tiếp nhận, trực tuyến ≤ tiếp nhận. Số liệu đã có được thay bằng số liệu trong "
        "tệp. Tệp có lỗi thì không ghi gì; kỳ đã công bố thì không nhập được."
    )
    required = REQUIRED
    optional = OPTIONAL
    user_option = True

    def import_period(self, table, period, *, by, **options) -> str:
        return import_procedure_figures(table, period=period, by=by).summary()
