from scoring.services.score_import import OPTIONAL, REQUIRED, import_scores

from ._period_import import PeriodImportCommand


class Command(PeriodImportCommand):
    help = (
        "Nhập điểm tự chấm và điểm thẩm định của các tiêu chí cuối. Tệp .csv (UTF-8) hoặc .xlsx "
        "có các cột commune_code,criterion_code,self_score,appraised_score[,note] (note: ý kiến "
        "thẩm định); điểm dùng dấu “,” hoặc “.” thập phân và nằm trong khoảng 0 – điểm tối đa. "
        "Mỗi đơn vị trong tệp phải có đủ các tiêu chí áp dụng cho đơn vị; hồ sơ của các đơn vị "
        "đó chuyển sang “Đã thẩm định”. Tệp có lỗi thì không ghi gì."
    )
    required = REQUIRED
    optional = OPTIONAL
    user_option = True

    def import_period(self, table, period, *, by, **options) -> str:
        return import_scores(table, period=period, by=by).summary()
