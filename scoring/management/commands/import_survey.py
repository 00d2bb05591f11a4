from scoring.services.survey_import import OPTIONAL, REQUIRED, import_survey

from ._period_import import PeriodImportCommand


class Command(PeriodImportCommand):
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
        parser.add_argument(
            "--as-percent",
            action="store_true",
            help="Cột value là tỷ lệ phần trăm (0–100), quy ra điểm theo điểm tối đa.",
        )

    def import_period(self, table, period, *, by, as_percent=False, **options) -> str:
        return import_survey(table, period=period, as_percent=as_percent, by=by).summary()
