"""Does an uploaded file's content match its extension? Checked with bounded reads only.

Magic bytes alone let through `%PDF-` followed by HTML or an executable, a zip holding two
empty names saved as .xlsx, and an .odt whose `mimetype` entry inflates to 1 GiB. So each kind
is opened the way its own format defines it, without ever expanding more than a few KB:

- zip-based (docx, xlsx, odt, ods): the central directory is checked first (entry count,
  declared sizes, compression ratio, methods), then the parts the format cannot do without
  are read through `ZipFile.open(name).read(n)` and must start as well-formed XML with the
  expected root element;
- PDF: pypdf must find the trailer, the catalog and at least one page;
- JPEG/PNG: Pillow must recognise the format and `verify()` it, within a pixel cap;
- legacy doc/xls: the compound-file header must be consistent (no parser is installed for
  the rest).

Every file's first KB is also searched for HTML markup, so a polyglot a browser could sniff
as a web page is refused whatever follows.

`problem(upload, extension)` returns None when the content fits, else a Vietnamese reason.
"""

from __future__ import annotations

import io
import re
import struct
import warnings
import zipfile
from xml.etree.ElementTree import ParseError, XMLPullParser

from PIL import Image
from pypdf import PasswordType, PdfReader

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Word/Excel (compound file)
ZIP = b"PK\x03\x04"
PDF = b"%PDF-"
MAGIC = {
    "pdf": (PDF,),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "doc": (OLE2,),
    "xls": (OLE2,),
    "docx": (ZIP,),
    "xlsx": (ZIP,),
    "odt": (ZIP,),
    "ods": (ZIP,),
}

HEAD_BYTES = 1024
# What makes a browser (or a careless viewer) treat bytes as a web page or a script.
MARKUP = re.compile(rb"<\s*(!doctype|html|head|body|script|iframe|svg|object|embed|\?php)", re.I)

# Zip archives. Real office files have tens to a few hundred entries, compress XML 5-30 times
# and have no part near 100 MB; a zip bomb needs thousands of entries or ratios near 1000.
ZIP_MAX_ENTRIES = 2000
ZIP_MAX_DIRECTORY_BYTES = 1024 * 1024
ZIP_MAX_UNPACKED_BYTES = 512 * 1024 * 1024
ZIP_MAX_RATIO = 200
ZIP_RATIO_FROM_BYTES = 1024 * 1024  # small entries may compress well (a sheet of zeros)
ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
XML_READ_BYTES = 64 * 1024  # how much of one part is ever inflated
XML_CHUNK = 8 * 1024

# Pillow warns at 89 million pixels; a phone photo has 12 to 50 million.
IMAGE_MAX_PIXELS = 90_000_000
IMAGE_FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG"}

OOXML_CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}Types"
OOXML_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationships"
ODF_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
ODF_MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}manifest"
ODF_MIMETYPE = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}


class Refused(Exception):
    """The content does not fit; the argument is the Vietnamese reason (without the file name)."""


def problem(upload, extension: str) -> str | None:
    """None if `upload`'s content is a real file of `extension`, else why not (Vietnamese).

    Reads at most the file itself, never more than XML_READ_BYTES of any zip entry.
    """
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    try:
        if not any(head.startswith(magic) for magic in MAGIC[extension]):
            raise Refused(mismatch(extension))
        if MARKUP.search(head):
            raise Refused(
                f"nội dung không phải tệp {extension.upper()} thật: phần đầu tệp chứa mã trang "
                "web (HTML/script)."
            )
        CHECKS[extension](upload, extension)
    except Refused as refused:
        return str(refused)
    finally:
        upload.seek(0)
    return None


def mismatch(extension: str) -> str:
    return (
        f"nội dung không phải tệp {extension.upper()} thật (phần mở rộng không khớp nội dung). "
        "Hãy mở và lưu lại tệp đúng định dạng."
    )


# --- PDF ----------------------------------------------------------------------------------


def check_pdf(upload, extension: str) -> None:
    """pypdf must find a catalog with at least one page.

    Not strict (scanners write slightly off cross-reference tables that every reader
    accepts), but a header followed by anything else has no trailer and no catalog.
    """
    upload.seek(0)
    try:
        reader = PdfReader(upload, strict=False)
        # "Restricted editing" PDFs (owner password only) open with an empty password; AES
        # ones need the cryptography package. A password to open: appraisers could not read it.
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise Refused("tệp PDF có mật khẩu để mở. Hãy gỡ mật khẩu rồi tải lên lại.")
        catalog = reader.trailer["/Root"].get_object()
        pages = len(reader.pages)
    except Refused:
        raise
    except Exception as error:  # pypdf raises many kinds on broken input
        raise Refused(mismatch(extension)) from error
    if catalog.get("/Type") != "/Catalog" or pages < 1:
        raise Refused(mismatch(extension))


# --- pictures -----------------------------------------------------------------------------


def check_image(upload, extension: str) -> None:
    """Pillow must read the header as the right format, within the pixel cap, and verify it."""
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(upload) as image:
                width, height = image.size
                kind = image.format
                if width * height > IMAGE_MAX_PIXELS:
                    raise Refused(too_many_pixels(width, height))
                image.verify()
    except Image.DecompressionBombError as error:
        raise Refused(too_many_pixels(None, None)) from error
    except Refused:
        raise
    except Exception as error:  # Pillow raises many kinds on broken input
        raise Refused(mismatch(extension)) from error
    if kind != IMAGE_FORMATS[extension]:
        raise Refused(mismatch(extension))


def too_many_pixels(width, height) -> str:
    size = f" ({width} × {height} điểm ảnh)" if width else ""
    return (
        f"ảnh quá lớn{size}, tối đa {IMAGE_MAX_PIXELS // 1_000_000} triệu điểm ảnh. "
        "Hãy giảm kích thước ảnh rồi tải lên lại."
    )


# --- legacy Word/Excel ---------------------------------------------------------------------


def check_ole2(upload, extension: str) -> None:
    """The compound-file header: version 3 (512-byte sectors) or 4 (4096), little-endian.

    [MS-CFB] 2.2; a file that only copies the 8 magic bytes fails here.
    """
    upload.seek(0)
    header = upload.read(512)
    if len(header) < 512:
        raise Refused(mismatch(extension))
    major, byte_order, sector_shift, mini_shift = struct.unpack_from("<HHHH", header, 26)
    if (major, sector_shift) not in {(3, 9), (4, 12)} or byte_order != 0xFFFE or mini_shift != 6:
        raise Refused(mismatch(extension))


# --- zip-based office files ----------------------------------------------------------------


def zip_bomb(detail: str) -> str:
    return (
        f"tệp nén bất thường ({detail}), có thể là tệp độc hại. "
        "Hãy mở và lưu lại tệp bằng Word, Excel hoặc LibreOffice rồi tải lên lại."
    )


def directory_size(upload) -> tuple[int, int]:
    """(entries, bytes) of the central directory, from the end record, before zipfile reads it.

    zipfile loads the whole directory into memory; a 20 MB upload of empty entries would make
    hundreds of thousands of objects. Same search as zipfile: the last end record within the
    final 64 KB (the longest comment).
    """
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(max(0, size - 65536 - 22 - 76))
    tail = upload.read()
    if tail[-22:-18] == b"PK\x05\x06" and tail[-2:] == b"\0\0":
        at = len(tail) - 22  # no comment: where zipfile looks first
    else:
        at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise Refused("")
    _, _, _, _, entries, directory_bytes, _, _ = struct.unpack_from("<4s4H2LH", tail, at)
    if at >= 76 and tail[at - 20 : at - 16] == b"PK\x06\x07":
        # ZIP64: zipfile takes the counts from the record just before the locator.
        record = struct.unpack_from("<4sQ2H2L4Q", tail, at - 76)
        if record[0] != b"PK\x06\x06":
            raise Refused("")
        entries, directory_bytes = record[7], record[8]
    return entries, directory_bytes


def check_directory(archive: zipfile.ZipFile) -> None:
    """Entry count, declared sizes, compression ratio and methods, before anything inflates."""
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_ENTRIES:
        raise Refused(zip_bomb(f"{len(infos)} phần, tối đa {ZIP_MAX_ENTRIES}"))
    unpacked = 0
    for info in infos:
        if info.compress_type not in ZIP_METHODS or info.flag_bits & 0x1:
            raise Refused(zip_bomb(f"phần “{info.filename[:60]}” nén hoặc mã hóa kiểu lạ"))
        unpacked += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > ZIP_RATIO_FROM_BYTES and ratio > ZIP_MAX_RATIO:
            raise Refused(
                zip_bomb(
                    f"phần “{info.filename[:60]}” giải nén ra {info.file_size // (1024 * 1024)} MB,"
                    f" gấp {int(ratio)} lần"
                )
            )
    if unpacked > ZIP_MAX_UNPACKED_BYTES:
        mb = unpacked // (1024 * 1024)
        raise Refused(zip_bomb(f"giải nén ra {mb} MB, tối đa {ZIP_MAX_UNPACKED_BYTES // 2**20} MB"))


def xml_root(archive: zipfile.ZipFile, name: str, *, until: str | None = None) -> tuple[str, bool]:
    """The root tag of part `name` and whether an element with local name `until` follows.

    Inflates at most XML_READ_BYTES; refuses DTDs (Office Open XML and OpenDocument forbid them,
    and entity declarations are how XML bombs start).
    """
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise Refused("") from error
    parser = XMLPullParser(events=("start",))
    seen, root = b"", None
    try:
        with archive.open(info) as part:
            while len(seen) < XML_READ_BYTES:
                chunk = part.read(XML_CHUNK)
                if not chunk:
                    break
                seen += chunk
                if b"<!DOCTYPE" in seen or b"<!ENTITY" in seen:
                    raise Refused("")
                parser.feed(chunk)
                for _, element in parser.read_events():
                    if root is None:
                        root = element.tag
                        if until is None:
                            return root, False
                    elif element.tag.rsplit("}", 1)[-1] == until:
                        return root, True
    except (ParseError, zipfile.BadZipFile, RuntimeError, OSError, EOFError) as error:
        raise Refused("") from error
    if root is None:
        raise Refused("")
    return root, False


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def check_ooxml(archive: zipfile.ZipFile, extension: str) -> None:
    """Word/Excel 2007+: content types, package relationships and the main part.

    A workbook must also name a sheet, have its own relationships and a worksheet part.
    """
    names = set(archive.namelist())
    if xml_root(archive, "[Content_Types].xml")[0] != OOXML_CONTENT_TYPES:
        raise Refused("")
    if xml_root(archive, "_rels/.rels")[0] != OOXML_RELATIONSHIPS:
        raise Refused("")
    if extension == "docx":
        root, _ = xml_root(archive, "word/document.xml")
        if local(root) != "document" or "wordprocessingml" not in root:
            raise Refused("")
        return
    root, has_sheet = xml_root(archive, "xl/workbook.xml", until="sheet")
    if local(root) != "workbook" or "spreadsheetml" not in root or not has_sheet:
        raise Refused("")
    if xml_root(archive, "xl/_rels/workbook.xml.rels")[0] != OOXML_RELATIONSHIPS:
        raise Refused("")
    if not any(n.startswith("xl/worksheets/") and n.endswith(".xml") for n in names):
        raise Refused("")


def check_odf(archive: zipfile.ZipFile, extension: str) -> None:
    """OpenDocument: the `mimetype` entry (tiny, stored), the manifest and content.xml."""
    try:
        info = archive.getinfo("mimetype")
    except KeyError as error:
        raise Refused("") from error
    if info.file_size > 100:
        raise Refused("")
    with archive.open(info) as part:
        declared = part.read(100).decode("ascii", "replace").strip()
    if declared != ODF_MIMETYPE[extension]:
        raise Refused("")
    if xml_root(archive, "META-INF/manifest.xml")[0] != ODF_MANIFEST:
        raise Refused("")
    if xml_root(archive, "content.xml")[0] != f"{{{ODF_OFFICE}}}document-content":
        raise Refused("")


def check_zip(upload, extension: str) -> None:
    """Directory first (bounded), then the parts the format needs (bounded reads).

    A Refused with no reason means "not a real file of this kind".
    """
    try:
        entries, directory_bytes = directory_size(upload)
        if entries > ZIP_MAX_ENTRIES or directory_bytes > ZIP_MAX_DIRECTORY_BYTES:
            raise Refused(zip_bomb(f"{entries} phần, tối đa {ZIP_MAX_ENTRIES}"))
        upload.seek(0)
        with zipfile.ZipFile(upload) as archive:
            check_directory(archive)
            if extension in ODF_MIMETYPE:
                check_odf(archive, extension)
            else:
                check_ooxml(archive, extension)
    except Refused as refused:
        raise Refused(str(refused) or mismatch(extension)) from refused
    except (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, OSError, EOFError) as error:
        raise Refused(mismatch(extension)) from error


CHECKS = {
    "pdf": check_pdf,
    "jpg": check_image,
    "jpeg": check_image,
    "png": check_image,
    "doc": check_ole2,
    "xls": check_ole2,
    "docx": check_zip,
    "xlsx": check_zip,
    "odt": check_zip,
    "ods": check_zip,
}
