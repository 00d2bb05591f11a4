"""Real files for evidence tests (PDF, Word, Excel, OpenDocument, pictures), hostile ones (zip
bombs, fakes), and a wide criteria tree with scores and evidence, for query-count tests and
bench/assessment_page.py."""

import datetime
import functools
import io
import struct
import zipfile
import zlib
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook
from PIL import Image
from pypdf import PdfWriter

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


def protected_pdf_bytes(algorithm: str = "AES-256", *, user_password: str = "") -> bytes:
    """pdf_bytes() encrypted as Acrobat's "restrict editing" does (owner password only), or
    with a password to open it."""
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt(user_password=user_password, owner_password="chu-so-huu", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


CONTENT_TYPES_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
    'main+xml"/></Types>'
)
RELS_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    '.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
DOCUMENT_XML = (
    '<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
    'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Báo cáo</w:t></w:r></w:p>'
    "</w:body></w:document>"
)


def zip_of(parts: dict[str, bytes | str]) -> bytes:
    """A zip archive holding `parts` (name → content), deflated, as Word and Excel write them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def docx_parts() -> dict[str, str]:
    return {
        "[Content_Types].xml": CONTENT_TYPES_XML,
        "_rels/.rels": RELS_XML,
        "word/document.xml": DOCUMENT_XML,
    }


def docx_bytes() -> bytes:
    """A minimal Office Open XML document (the parts Word needs)."""
    return zip_of(docx_parts())


ODF_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:'
    'opendocument:xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry '
    'manifest:full-path="/" manifest:media-type="{mimetype}"/><manifest:file-entry '
    'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
)
ODF_CONTENT = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:'
    'names:tc:opendocument:xmlns:office:1.0" office:version="1.2"><office:body/>'
    "</office:document-content>"
)
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"


def odf_bytes(mimetype: str = ODT, *, content: str = ODF_CONTENT) -> bytes:
    """An OpenDocument package: `mimetype` first and stored, the manifest, content.xml."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", mimetype, compress_type=zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", ODF_MANIFEST.format(mimetype=mimetype))
        archive.writestr("content.xml", content)
    return out.getvalue()


def odt_bytes() -> bytes:
    return odf_bytes(ODT)


def ods_bytes() -> bytes:
    return odf_bytes(ODS)


def plain_zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("virus.exe", b"MZ\x90\x00")
    return out.getvalue()


def image_bytes(kind: str = "PNG", size: tuple[int, int] = (40, 30)) -> bytes:
    """A real picture written by Pillow ("PNG" or "JPEG")."""
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, kind)
    return out.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header declares width × height pixels, with almost no pixel data.

    Decoding it would take width × height × 3 bytes: a decompression bomb for whoever opens it.
    """
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">L", len(data)) + kind + data + struct.pack(">L", zlib.crc32(kind + data))

    header = struct.pack(">LLBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def ole2_bytes() -> bytes:
    """The 512-byte header of a version 3 compound file (legacy .doc/.xls), sectors after it."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    return bytes(header) + b"\x00" * 1024


# --- hostile files ----------------------------------------------------------------------------

GIB = 1024 * 1024 * 1024


@functools.cache
def deflated_zeros(size: int) -> tuple[bytes, int]:
    """(raw deflate stream, CRC-32) of `size` zero bytes, built from one repeated 1 MiB block.

    Full flushes end each block on a byte boundary, so one compressed MiB can be repeated:
    1 GiB of zeros costs about 1 MB and well under a second to make.
    """
    block = 1024 * 1024
    assert size % block == 0
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = compressor.compress(b"\x00" * block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty final block
    zeros, crc = b"\x00" * block, 0
    for _ in range(size // block):
        crc = zlib.crc32(zeros, crc)
    return piece * (size // block) + tail, crc


def raw_zip(entries: list[tuple[str, bytes, int, int, int]]) -> bytes:
    """A zip from pre-compressed entries: (name, data, method, crc, uncompressed size).

    zipfile cannot write an entry whose deflated data it did not compress itself.
    """
    out, directory = io.BytesIO(), io.BytesIO()
    for name, data, method, crc, size in entries:
        encoded = name.encode()
        offset = out.tell()
        out.write(struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, method, 0, 0x21,
                              crc, len(data), size, len(encoded), 0))
        out.write(encoded + data)
        directory.write(struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, method, 0, 0x21,
                                    crc, len(data), size, len(encoded), 0, 0, 0, 0, 0, offset))
        directory.write(encoded)
    start, listing = out.tell(), directory.getvalue()
    out.write(listing)
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(entries), len(entries),
                          len(listing), start, 0))
    return out.getvalue()


def stored(name: str, data: bytes | str) -> tuple[str, bytes, int, int, int]:
    data = data.encode() if isinstance(data, str) else data
    return name, data, zipfile.ZIP_STORED, zlib.crc32(data), len(data)


def bomb(name: str, size: int = GIB) -> tuple[str, bytes, int, int, int]:
    data, crc = deflated_zeros(size)
    return name, data, zipfile.ZIP_DEFLATED, crc, size


def odt_bomb() -> bytes:
    """An .odt whose `mimetype` entry inflates to 1 GiB (about 1 MB on disk)."""
    return raw_zip([
        bomb("mimetype"),
        stored("META-INF/manifest.xml", ODF_MANIFEST.format(mimetype=ODT)),
        stored("content.xml", ODF_CONTENT),
    ])


def docx_bomb() -> bytes:
    """A .docx whose word/document.xml inflates to 1 GiB."""
    return raw_zip([
        stored("[Content_Types].xml", CONTENT_TYPES_XML),
        stored("_rels/.rels", RELS_XML),
        bomb("word/document.xml"),
    ])


def xlsx_bomb() -> bytes:
    """A real workbook (openpyxl) plus a 1 GiB sheet."""
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as archive:
        parts = [stored(info.filename, archive.read(info)) for info in archive.infolist()]
    return raw_zip(parts + [bomb("xl/worksheets/sheet2.xml")])


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
