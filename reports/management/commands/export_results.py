import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand

from reports.excel import ranking_xlsx
from reports.exports import results_csv
from reports.pdf import ranking_pdf
from scoring.models import Period
from scoring.selectors import latest_publication
from tabular.commands import fail

FORMATS = ("csv", "xlsx", "pdf")


def render(publication, kind: str) -> bytes:
    """The file's bytes, by the reports app's renderers (docs/design.md §6, §8)."""
    if kind == "csv":
        return results_csv(publication).encode("utf-8")
    if kind == "xlsx":
        return ranking_xlsx(publication)
    return ranking_pdf(publication)


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside the target, then rename: a reader never sees half a file."""
    path = path.resolve()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Xuất kết quả lần công bố mới nhất của kỳ đánh giá P. csv: UTF-8, dấu “.” thập phân, mỗi "
        "đơn vị một dòng theo thứ hạng, cột commune_code,commune_name,total,index,rank,rank_of,"
        "classification rồi F_score,F_rank,F_rank_of cho từng lĩnh vực F; xlsx: cùng các cột "
        "(số thực) và một trang trình bày; pdf: báo cáo xếp hạng."
    )

    def add_arguments(self, parser):
        parser.add_argument("period", metavar="P", help="Mã kỳ đánh giá.")
        parser.add_argument("--format", required=True, dest="kind", help="csv, xlsx hoặc pdf.")
        parser.add_argument("--output", required=True, metavar="FILE", help="Tệp kết quả.")

    def handle(self, *args, period, kind, output, **options):
        kind = kind.lower()
        if kind not in FORMATS:
            raise fail(self, [f"--format “{kind}” không hợp lệ (dùng csv, xlsx hoặc pdf)."])
        found = Period.objects.filter(code=period).first()
        if found is None:
            raise fail(self, [f"Không có kỳ đánh giá mã “{period}”."])
        publication = latest_publication(found)
        if publication is None:
            raise fail(self, [f"Kỳ đánh giá {found.code} chưa công bố kết quả."])
        path = Path(output)
        if not path.parent.resolve().is_dir():
            raise fail(self, [f"Không có thư mục “{path.parent}”."])
        write_atomically(path, render(publication, kind))
        self.stdout.write(
            self.style.SUCCESS(
                f"Đã xuất kết quả kỳ {found.code} (lần công bố {publication.version}) ra tệp "
                f"{path} ({kind.upper()})."
            )
        )
