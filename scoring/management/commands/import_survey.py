from tabular import ImportFailed, RowError, Table
from tabular.commands import ImportCommand

from scoring.models import Period
from scoring.services.survey_import import OPTIONAL, REQUIRED, import_survey


class Command(ImportCommand):
    help = (
        "Nhập điểm các tiêu chí điều tra xã hội học, SIPAS và tiêu chí tính từ hệ thống làm điểm "
        "thẩm định. Tệp .csv (UTF-8) hoặc .xlsx có các cột commune_code,criterion_code,value"
        "[,sample_size]. Với --as-percent, value là tỷ lệ % và điểm = điểm tối đa × value / 100 "
        "(làm tròn 3 chữ số thập phân). Tệp có lỗi thì không ghi gì."
    )
    required = REQUIRED
    optional = OPTIONAL

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--period", required=True, metavar="P", help="Mã kỳ đánh giá.")
        parser.add_argument(
            "--as-percent",
            action="store_true",
            help="Cột value là tỷ lệ phần trăm (0–100), quy ra điểm theo điểm tối đa.",
        )

    def import_table(self, table: Table, *, period, as_percent=False, **options) -> str:
        found = Period.objects.select_related("criteria_set").filter(code=period).first()
        if found is None:
            raise ImportFailed(RowError(None, None, f"Không có kỳ đánh giá mã “{period}”."))
        return import_survey(table, period=found, as_percent=as_percent).summary()
