import time

from django.core.management.base import BaseCommand
from django.db import transaction

from communes.models import Unit
from scoring.services.demo import ADMIN_USERNAME, DEMO_PASSWORD, load_demo


class Command(BaseCommand):
    help = (
        "Nạp dữ liệu minh họa: huyện Ninh Giang năm 2022 (kết quả thật của xã Đồng Tâm); các xã, "
        "phường, thị trấn tỉnh Hải Dương năm 2024; thành phố Hải Phòng sau sắp xếp 01/07/2025 với "
        "24 xã, phường, đặc khu hình thành từ các đơn vị cũ (sáp nhập minh họa, không phải "
        "phương án thật), kỳ 2025 đã công bố theo hai khối, kỳ năm nay đang tự đánh giá; bộ tiêu "
        "chí tham khảo; tài khoản demo. Chạy lại không thay đổi gì."
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
        started = time.monotonic()
        with transaction.atomic():
            created = load_demo(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã nạp dữ liệu minh họa trong {time.monotonic() - started:.1f} giây: "
                f"{created['communes']} đơn vị cấp xã; "
                f"kỳ đánh giá {', '.join(created['periods'])}."
            )
        )
        self.stdout.write(
            f"Tài khoản (mật khẩu {DEMO_PASSWORD}): {ADMIN_USERNAME} (quản trị); Hải Phòng: "
            "hp.thamdinh (tổ thẩm định), hp.lanhdao (lãnh đạo), phuong.haiduong (công chức "
            "phường); Ninh Giang: xa.dongtam, xa.ninhgiang (công chức xã), thamdinh (tổ thẩm "
            "định), lanhdao (lãnh đạo)."
        )
