from scoring import rules
from scoring.services.setup import CRITERIA_COLUMNS, CRITERIA_OPTIONAL, import_criteria
from tabular.commands import ImportCommand, fail


class Command(ImportCommand):
    help = (
        "Nạp bộ tiêu chí từ tệp CSV (UTF-8, phân cách “,” hoặc “;”) hoặc XLSX, cột: "
        "code,parent_code,name,max_points,method[,evidence_required,guidance,applies_to,"
        "na_policy,previous_code]. parent_code để trống với lĩnh vực; max_points nhận “18,5” "
        "hoặc “18.5”; "
        "method là self_assessed, survey, sipas hoặc computed; evidence_required là 1/0 hoặc "
        "có/không; applies_to là các loại đơn vị (xa|phuong|thi_tran), để trống là mọi loại; "
        "na_policy là exclude, full hoặc để trống; previous_code là mã của cùng tiêu chí trong "
        "bộ tiêu chí năm trước (--previous), để trống với tiêu chí mới. Điểm tối đa các tiêu "
        "chí con phải cộng đúng bằng tiêu chí cha, các lĩnh vực cộng bằng --total (mặc định "
        "100). Nạp lại cùng mã thì thay thế bộ tiêu chí khi chưa có kỳ đánh giá nào dùng nó."
    )
    required = CRITERIA_COLUMNS
    optional = CRITERIA_OPTIONAL

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--code", required=True, help="Mã bộ tiêu chí, ví dụ HD-XA-2022.")
        parser.add_argument("--name", required=True, help="Tên bộ tiêu chí.")
        parser.add_argument(
            "--legal-basis", default="", help="Căn cứ pháp lý (quyết định ban hành)."
        )
        parser.add_argument(
            "--total", default="100", help="Tổng điểm tối đa của các lĩnh vực (mặc định 100)."
        )
        parser.add_argument(
            "--previous",
            default="",
            metavar="SET0",
            help="Mã bộ tiêu chí năm trước mà cột previous_code tham chiếu.",
        )

    def handle(self, *args, **options):
        try:
            options["total"] = rules.parse_decimal(str(options["total"]))
        except rules.RuleError as error:
            raise fail(self, [f"--total: {error}"]) from None
        return super().handle(*args, **options)

    def import_table(self, table, *, code, name, legal_basis, total, previous, **options):
        criteria_set = import_criteria(
            table, code=code, name=name, legal_basis=legal_basis, total=total, previous=previous
        )
        criteria = list(criteria_set.criteria.values_list("code", "parent__code"))
        parents = {parent for _, parent in criteria if parent}
        fields = sum(1 for _, parent in criteria if parent is None)
        leaves = sum(1 for code, _ in criteria if code not in parents)
        summary = (
            f"Đã nạp bộ tiêu chí {criteria_set.code}: {fields} lĩnh vực, {leaves} tiêu chí "
            f"chấm điểm, tổng {rules.format_score(criteria_set.total_points)} điểm."
        )
        if previous:
            linked = criteria_set.criteria.filter(previous__isnull=False).count()
            summary += f" {linked} tiêu chí có tiêu chí tương ứng trong bộ {previous}."
        return summary
