"""Real files for evidence tests (PDF, Word, Excel, OpenDocument, fakes) and a wide criteria
tree with scores and evidence, for query-count tests and bench/assessment_page.py."""

import datetime
import io
import zipfile
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from scoring.models import Method, NaPolicy
from scoring.services.setup import CriterionRow, create_period, save_criteria_set


def pdf_bytes(text: str = "Ke hoach CCHC nam 2024") -> bytes:
    """A small but complete PDF (one page with `text`), readable by pdftotext."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(["Chỉ tiêu", "Kết quả"])
    workbook.active.append(["Hồ sơ đúng hạn", 127])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    """A minimal Office Open XML document (the parts Word needs)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types"><Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Báo cáo</w:t></w:r></w:p>'
            "</w:body></w:document>",
        )
    return out.getvalue()


def odt_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "mimetype", "application/vnd.oasis.opendocument.text", compress_type=zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def plain_zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("virus.exe", b"MZ\x90\x00")
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# --- a wide tree: as many leaves as a real set, for query counts and the benchmark ------------


def make_wide_criteria_set(code: str, *, fields: int = 10, leaves: int = 9):
    """`fields` fields of 10 points, each with `leaves` leaves (the last one takes the rest).

    Leaf 1 of every field requires evidence; field 10's last leaf is a survey criterion; leaf 2
    of field 1 applies to wards only (phường); leaf 3 of field 1 may be claimed "không áp dụng".
    """
    rows = []
    for f in range(1, fields + 1):
        rows.append(CriterionRow(str(f), None, f"Lĩnh vực {f}", Decimal(10)))
        for leaf in range(1, leaves + 1):
            share = Decimal(1) if leaf < leaves else Decimal(10 - (leaves - 1))
            rows.append(
                CriterionRow(
                    f"{f}.{leaf}",
                    str(f),
                    f"Tiêu chí {f}.{leaf} về công tác cải cách hành chính",
                    share,
                    method=Method.SURVEY if (f == fields and leaf == leaves) else Method.SELF_ASSESSED,
                    evidence_required=leaf == 1,
                    guidance="Đạt: đủ điểm; chưa đạt: 0 điểm.",
                    applies_to=["phuong"] if (f == 1 and leaf == 2) else [],
                    na_policy=NaPolicy.EXCLUDE if (f == 1 and leaf == 3) else NaPolicy.NONE,
                )
            )
    return save_criteria_set(code, f"Bộ tiêu chí {code}", rows, total=Decimal(10 * fields))


def make_wide_period(unit, *, code="WIDE", fields=10, leaves=9, **kwargs):
    criteria_set = make_wide_criteria_set(f"CS-{code}", fields=fields, leaves=leaves)
    kwargs.setdefault("opens_on", datetime.date.today() - datetime.timedelta(days=1))
    return create_period(code=code, year=2024, criteria_set=criteria_set, unit=unit, **kwargs)


def fill_assessment(assessment, *, evidence: int = 60, by=None):
    """Give every self-assessed score a value and a note, and `evidence` files spread over them."""
    from evidence.models import Evidence

    scores = list(assessment.scores.select_related("criterion").order_by("criterion__position"))
    own = [s for s in scores if s.criterion.method == Method.SELF_ASSESSED]
    for score in own:
        score.self_score = score.criterion.max_points
        score.self_note = f"Đã thực hiện tiêu chí {score.criterion.code}."
    type(own[0]).objects.bulk_update(own, ["self_score", "self_note"])
    content = pdf_bytes()
    items = []
    for i in range(evidence):
        item = Evidence(
            assessment=assessment,
            original_name=f"Quyết định số {i + 1}-QĐ-UBND.pdf",
            size=len(content),
            sha256=f"{i:064d}",
            content_type="application/pdf",
            uploaded_by=by,
        )
        item.file.save("tep.pdf", ContentFile(content), save=False)
        items.append(item)
    Evidence.objects.bulk_create(items)
    links = Evidence.scores.through
    links.objects.bulk_create(
        links(evidence_id=item.pk, score_id=own[(i * 2) % len(own)].pk)
        for i, item in enumerate(Evidence.objects.filter(assessment=assessment).order_by("pk"))
    )
    links.objects.bulk_create(
        links(evidence_id=item.pk, score_id=own[(i * 2 + 1) % len(own)].pk)
        for i, item in enumerate(Evidence.objects.filter(assessment=assessment).order_by("pk")[:20])
    )
    return own
