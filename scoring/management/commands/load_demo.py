from django.core.management.base import BaseCommand
from django.db import transaction

from communes.models import Unit
from scoring.services.demo import ADMIN_USERNAME, DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu minh họa: tỉnh Hải Dương, huyện Ninh Giang với 20 xã, thị trấn; bộ tiêu chí "
        "tham khảo; kỳ 2022 đã công bố và kỳ năm nay đang tự đánh giá; tài khoản demo."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Chỉ nạp khi cơ sở dữ liệu chưa có đơn vị nào (để chạy lại không mất dữ liệu).",
        )

    def handle(self, *args, if_empty=False, **options):
        if if_empty and Unit.objects.exists():
            self.stdout.write("Cơ sở dữ liệu đã có dữ liệu; không nạp dữ liệu minh họa.")
            return
        with transaction.atomic():
            created = load_demo(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nạp dữ liệu minh họa: {created['communes']} xã, thị trấn; "
                f"kỳ đánh giá {', '.join(created['periods'])}."
            )
        )
        self.stdout.write(
            f"Tài khoản (mật khẩu {DEMO_PASSWORD}): {ADMIN_USERNAME} (quản trị), xa.dongtam, "
            "xa.ninhgiang (công chức xã), thamdinh (tổ thẩm định), lanhdao (lãnh đạo)."
        )
