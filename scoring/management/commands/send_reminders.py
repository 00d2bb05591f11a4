from django.core.management.base import BaseCommand

from notifications.models import Kind
from scoring import notices, rules
from scoring.services.replies import settle_overdue_rounds
from tabular.commands import fail


class Command(BaseCommand):
    help = (
        "Gửi thông báo đến hạn trong ngày (mặc định hôm nay; --date dd/mm/yyyy): kỳ đánh giá "
        "mở vào ngày đó; nhắc 7, 3 và 1 ngày trước hạn tự đánh giá (xã chưa nộp), hạn thẩm "
        "định (hồ sơ còn chờ thẩm định) và hạn phản hồi kết quả dự kiến (xã chưa gửi ý kiến). "
        "Mỗi thông báo chỉ gửi một lần: chạy lại trong cùng ngày không gửi trùng. Cũng đóng "
        "các vòng phản hồi đã quá hạn mà đơn vị không gửi ý kiến (coi như đồng ý). Chạy hằng "
        "ngày bằng cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="Ngày cần gửi (dd/mm/yyyy); mặc định hôm nay.")

    def handle(self, *args, **options):
        on = None
        if options["date"]:
            try:
                on = rules.parse_date(options["date"])
            except rules.RuleError as error:
                raise fail(self, [f"--date: {error}"]) from None
        settled = settle_overdue_rounds(on)
        run = notices.send_reminders(on)
        day = rules.format_date(run.date)
        if settled:
            self.stdout.write(
                f"Ngày {day}: {settled} đơn vị không gửi ý kiến trước hạn phản hồi: coi như "
                "đồng ý, đóng vòng phản hồi."
            )
        if run.resent:
            self.stdout.write(f"Đã gửi lại {run.resent} thư thông báo trước đó chưa gửi được.")
        if not run.ids:
            self.stdout.write(f"Ngày {day}: không có thông báo mới.")
            return
        labels = dict(Kind.choices)
        detail = "; ".join(f"{labels[kind]}: {count}" for kind, count in sorted(run.counts.items()))
        self.stdout.write(f"Ngày {day}: {len(run.ids)} thông báo mới ({detail}).")
