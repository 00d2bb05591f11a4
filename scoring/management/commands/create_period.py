from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from communes.models import Kind, Level, Unit
from scoring import rules
from scoring.models import CriteriaSet, Period
from scoring.services.setup import SetupError, create_period
from tabular.commands import fail


class Command(BaseCommand):
    help = (
        "Mở kỳ đánh giá: tạo một hồ sơ tự đánh giá cho mọi đơn vị cấp xã thuộc đơn vị thẩm định "
        "(--unit) hoạt động vào ngày --as-of (mặc định 31/12 của --year). Ngày dạng "
        "dd/mm/yyyy; mặc định mở từ hôm nay, hạn tự "
        "đánh giá sau 30 ngày, hạn thẩm định sau đó 30 ngày. --bands: “TÊN:ĐIỂM;TÊN:ĐIỂM”, thứ "
        "tự bất kỳ (mặc định: xuất sắc 90, tốt 80, hoàn thành 70). --blocks: “TÊN:loại,loại;…”, "
        "khối xếp hạng theo loại đơn vị (mỗi đơn vị thuộc đúng một khối). --reply-due: hạn "
        "đơn vị phản hồi kết quả thẩm định dự kiến (không có: kỳ không có vòng phản hồi)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", required=True, help="Mã kỳ đánh giá, ví dụ NG-2024.")
        parser.add_argument("--year", required=True, type=int, help="Năm đánh giá.")
        parser.add_argument("--criteria", required=True, help="Mã bộ tiêu chí.")
        parser.add_argument("--unit", required=True, help="Mã đơn vị thẩm định (huyện hoặc tỉnh).")
        parser.add_argument("--previous", help="Mã kỳ trước để so sánh.")
        parser.add_argument(
            "--bands",
            help="Mức xếp loại, ví dụ “Hoàn thành tốt nhiệm vụ:80;Hoàn thành nhiệm vụ:65”.",
        )
        parser.add_argument(
            "--blocks",
            help="Khối xếp hạng, ví dụ “Phường:phuong;Xã, đặc khu:xa,dac_khu” (mặc định: một "
            "khối gồm mọi đơn vị).",
        )
        parser.add_argument("--opens-on", help="Ngày bắt đầu tự đánh giá (dd/mm/yyyy).")
        parser.add_argument("--self-assessment-due", help="Hạn tự đánh giá (dd/mm/yyyy).")
        parser.add_argument("--appraisal-due", help="Hạn thẩm định (dd/mm/yyyy).")
        parser.add_argument(
            "--reply-due",
            help="Hạn phản hồi kết quả thẩm định dự kiến (dd/mm/yyyy); bỏ trống: không có vòng "
            "phản hồi.",
        )
        parser.add_argument(
            "--as-of",
            help="Lấy các xã, phường, đặc khu hoạt động vào ngày này (dd/mm/yyyy; mặc định "
            "31/12 của năm đánh giá).",
        )
        parser.add_argument("--name", default="", help="Tên kỳ đánh giá.")

    def handle(self, *args, **options):
        errors = []
        criteria_set = CriteriaSet.objects.filter(code=options["criteria"]).first()
        if criteria_set is None:
            errors.append(f"Không có bộ tiêu chí mã “{options['criteria']}”.")
        unit = Unit.objects.filter(code=options["unit"]).first()
        if unit is None:
            errors.append(f"Không có đơn vị mã “{options['unit']}”.")
        elif unit.level == Level.COMMUNE:
            errors.append(
                f"Đơn vị thẩm định phải là cấp huyện hoặc cấp tỉnh, không phải {unit.name}."
            )
        previous = None
        if options["previous"]:
            previous = Period.objects.filter(code=options["previous"]).first()
            if previous is None:
                errors.append(f"Không có kỳ đánh giá mã “{options['previous']}”.")
        dates = {}
        for option in (
            "opens_on", "self_assessment_due", "appraisal_due", "reply_due", "as_of"
        ):
            if options[option]:
                try:
                    dates[option] = rules.parse_date(options[option])
                except rules.RuleError as error:
                    errors.append(f"--{option.replace('_', '-')}: {error}")
        bands = None
        if options["bands"] is not None:
            try:
                bands = rules.parse_bands(options["bands"])
            except rules.RuleError as error:
                errors.append(f"--bands: {error}")
        blocks = None
        if options["blocks"] is not None:
            try:
                blocks = rules.parse_blocks(options["blocks"], Kind.values)
            except rules.RuleError as error:
                errors.append(f"--blocks: {error}")
            else:
                if not blocks:
                    errors.append("--blocks: chưa có khối xếp hạng nào.")
        if errors:
            raise fail(self, errors)
        try:
            period = create_period(
                code=options["code"],
                year=options["year"],
                criteria_set=criteria_set,
                unit=unit,
                name=options["name"],
                bands=bands,
                previous=previous,
                blocks=blocks,
                **dates,
            )
        except SetupError as error:
            raise fail(self, error.messages) from None
        except ValidationError as error:
            raise fail(self, error.messages) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã tạo kỳ đánh giá {period.code} ({period.name}): "
                f"{period.assessments.count()} hồ sơ; tự đánh giá từ "
                f"{rules.format_date(period.opens_on)} đến "
                f"{rules.format_date(period.self_assessment_due)}, thẩm định đến "
                f"{rules.format_date(period.appraisal_due)}"
                + (
                    f", phản hồi kết quả dự kiến đến {rules.format_date(period.reply_due)}."
                    if period.reply_due
                    else "."
                )
            )
        )
