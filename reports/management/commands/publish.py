"""`publish` (docs/design.md §6): scoring.services.publishing does the publishing; this command,
in the reports app because it also stores the ranking PDF after the commit, wires the two.
Every refusal is the service's (a published period is refused until reopened for correction,
as on the publish page): printed in Vietnamese, exit status 1."""

from collections import Counter

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from scoring import rules
from scoring.models import Period
from scoring.services import WorkflowError
from scoring.services.publishing import publish_period
from tabular.commands import fail

from ...tasks import start_rendering


class Command(BaseCommand):
    help = (
        "Công bố kết quả kỳ đánh giá P: tổng điểm, chỉ số, xếp hạng từng lĩnh vực, xếp hạng "
        "chung và xếp loại được lưu cố định thành một lần công bố (lần 1, 2, …). Mọi hồ sơ phải "
        "đã thẩm định, trừ các đơn vị nêu ở --exclude MÃ:lý do. Kỳ đã công bố không công bố "
        "lại được: cần mở lại để điều chỉnh trước; công bố lần 2 trở đi cần --reason. Sau khi công bố, tệp PDF xếp hạng và báo cáo từng xã được tạo sẵn (trừ khi có --no-pdf)."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", metavar="P", help="Mã kỳ đánh giá.")
        parser.add_argument("--decision", default="", help="Số quyết định, ví dụ “766/QĐ-UBND”.")
        parser.add_argument("--decision-date", help="Ngày quyết định (dd/mm/yyyy).")
        parser.add_argument("--reason", default="", help="Lý do điều chỉnh (lần công bố thứ 2 trở đi).")
        parser.add_argument(
            "--exclude",
            action="append",
            default=[],
            metavar="MÃ:LÝ_DO",
            help="Đơn vị không xếp hạng lần này, kèm lý do; lặp lại cho từng đơn vị.",
        )
        parser.add_argument("--user", metavar="USERNAME", help="Người công bố (ghi vào nhật ký).")
        parser.add_argument(
            "--no-pdf",
            action="store_true",
            help="Không tạo sẵn tệp PDF xếp hạng và báo cáo từng xã sau khi công bố (tệp được tạo khi tải lần đầu); "
            "nên dùng khi có hàng nghìn đơn vị.",
        )

    def handle(
        self, *args, period, decision, decision_date, reason, exclude, user, no_pdf, **options
    ):
        errors = []
        found = Period.objects.filter(code=period).first()
        if found is None:
            errors.append(f"Không có kỳ đánh giá mã “{period}”.")
        if decision_date:
            try:
                decision_date = rules.parse_date(decision_date)
            except rules.RuleError as error:
                errors.append(f"--decision-date: {error}")
        exclusions = {}
        for item in exclude:
            code, sep, why = item.partition(":")
            if not sep or not code.strip() or not why.strip():
                errors.append(f"--exclude “{item}”: cần dạng MÃ:lý do.")
            else:
                exclusions[code.strip()] = why.strip()
        by = None
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                errors.append(f"Không có người dùng “{user}”.")
        if errors:
            raise fail(self, errors)
        try:
            publication = publish_period(
                found,
                by=by,
                decision=decision,
                decision_date=decision_date or None,
                reason=reason,
                exclusions=exclusions,
                after_commit=None if no_pdf else (lambda p: start_rendering(p, by=by)),
            )
        except WorkflowError as error:
            raise fail(self, [str(error)]) from None
        counts = Counter(publication.results.values_list("classification", flat=True))
        ranked = sum(counts.values())
        bands = "; ".join(
            f"{counts[label]} đơn vị {label.lower()}" for label, _ in found.band_list() if counts[label]
        )
        excluded = f"; không xếp hạng: {', '.join(exclusions)}" if exclusions else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã công bố kết quả kỳ {found.code} lần {publication.version}: {ranked} đơn vị "
                f"được xếp hạng ({bands}){excluded}."
            )
        )
