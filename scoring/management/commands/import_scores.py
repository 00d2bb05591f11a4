from django.contrib.auth import get_user_model

from scoring.models import Period
from scoring.services.score_import import OPTIONAL, REQUIRED, import_scores
from tabular import ImportFailed, RowError, Table
from tabular.commands import ImportCommand


class Command(ImportCommand):
    help = (
        "Nhập điểm tự chấm và điểm thẩm định của các tiêu chí cuối. Tệp .csv (UTF-8) hoặc .xlsx "
        "có các cột commune_code,criterion_code,self_score,appraised_score[,note] (note: ý kiến "
        "thẩm định); điểm dùng dấu “,” hoặc “.” thập phân và nằm trong khoảng 0 – điểm tối đa. "
        "Mỗi đơn vị trong tệp phải có đủ các tiêu chí áp dụng cho đơn vị; hồ sơ của các đơn vị "
        "đó chuyển sang “Đã thẩm định”. Tệp có lỗi thì không ghi gì."
    )
    required = REQUIRED
    optional = OPTIONAL

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--period", required=True, metavar="P", help="Mã kỳ đánh giá.")
        parser.add_argument(
            "--user", metavar="USERNAME", help="Tên đăng nhập của người nhập (ghi vào nhật ký)."
        )

    def import_table(self, table: Table, *, period, user=None, **options) -> str:
        errors = []
        found = Period.objects.select_related("criteria_set").filter(code=period).first()
        if found is None:
            errors.append(RowError(None, None, f"Không có kỳ đánh giá mã “{period}”."))
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                errors.append(RowError(None, None, f"Không có người dùng “{user}”."))
        if errors:
            raise ImportFailed(errors)
        return import_scores(table, period=found, by=by).summary()
