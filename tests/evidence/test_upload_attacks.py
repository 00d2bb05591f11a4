"""Hostile uploads, as an attacker would send them: zip bombs, requests announcing gigabytes,
polyglots and fake office files. Each is refused quickly, with bounded memory and bounded
reads, in Vietnamese; evidence is served so that nothing it holds can run."""

import io
import time
import tracemalloc
import zipfile

import pytest
from django.http.multipartparser import MultiPartParser
from django.test import Client, RequestFactory
from django.urls import reverse

from evidence import services
from evidence.middleware import LimitedUploadHandler, refusal
from evidence.models import Evidence
from scoring.models import Assessment, Score
from tests.evidence.builders import (
    CONTENT_TYPES_XML,
    DOCUMENT_XML,
    EXE,
    ODS,
    docx_bomb,
    docx_bytes,
    docx_parts,
    image_bytes,
    odf_bytes,
    ods_bytes,
    odt_bomb,
    ole2_bytes,
    pdf_bytes,
    png_declaring,
    protected_pdf_bytes,
    upload,
    xlsx_bomb,
    xlsx_bytes,
    zip_of,
)

pytestmark = pytest.mark.django_db

PARTIAL = {"HTTP_X_AUTOSAVE": "1"}
MB = 1024 * 1024
GIB = 1024 * MB
BOUNDARY = "----cchcBoundary"
MISMATCH = "nội dung không phải tệp {} thật"


@pytest.fixture
def assessment(period, units):
    return Assessment.objects.select_related("period", "commune").get(
        period=period, commune=units["commune"]
    )


@pytest.fixture
def score(assessment):
    return Score.objects.select_related("criterion").get(
        assessment=assessment, criterion__code="1.1"
    )


def add_url(score):
    return reverse("evidence:add", args=[score.pk])


# --- zip bombs: never inflated --------------------------------------------------------------


@pytest.mark.parametrize(
    "name, build, part",
    [
        ("Biên bản họp.odt", odt_bomb, "mimetype"),
        ("Báo cáo.docx", docx_bomb, "word/document.xml"),
        ("Số liệu.xlsx", xlsx_bomb, "xl/worksheets/sheet2.xml"),
    ],
)
def test_a_file_inflating_to_1_gib_is_refused_fast_with_little_memory(name, build, part):
    """Before: `archive.read("mimetype")` inflated 1 GiB (2.9 s, +2 GB); docx/xlsx passed."""
    content = build()
    assert len(content) < 2 * MB
    tracemalloc.start()
    try:
        started = time.perf_counter()
        with pytest.raises(services.EvidenceError) as refused:
            services.check_upload(upload(name, content))
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert elapsed < 1, f"{elapsed:.2f} s"
    assert peak < 50 * MB, f"{peak / MB:.0f} MB"
    assert refused.value.messages == [
        f"Tệp “{name}”: tệp nén bất thường (phần “{part}” giải nén ra 1024 MB, gấp 1011 lần), "
        "có thể là tệp độc hại. Hãy mở và lưu lại tệp bằng Word, Excel hoặc LibreOffice rồi "
        "tải lên lại."
    ]


def test_a_zip_bomb_upload_is_refused_by_the_page_and_nothing_is_stored(
    client, officer, score, media_root
):
    client.force_login(officer)
    files = {"files": [upload("Biên bản.odt", odt_bomb())]}
    response = client.post(add_url(score), files, **PARTIAL)
    assert response.status_code == 422
    assert "Tệp “Biên bản.odt”: tệp nén bất thường" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_zip_with_thousands_of_entries_is_refused_before_its_directory_is_loaded():
    content = zip_of({f"word/media/a{i}.txt": "" for i in range(2001)} | docx_parts())
    with pytest.raises(services.EvidenceError) as refused:
        services.check_upload(upload("Nhiều phần.docx", content))
    assert "tệp nén bất thường (2004 phần, tối đa 2000)" in str(refused.value)


def test_a_zip64_directory_is_counted_from_its_zip64_record():
    """Past 65,535 entries the classic end record says 0xFFFF; the ZIP64 record the real count."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for i in range(70_000):
            archive.writestr(f"{i}", b"")
    with pytest.raises(services.EvidenceError) as refused:
        services.check_upload(upload("Bảng.xlsx", out.getvalue()))
    assert "tệp nén bất thường (70000 phần, tối đa 2000)" in str(refused.value)


# --- requests announcing more than the limit: refused unread --------------------------------


class EndlessBody:
    """wsgi.input of a multipart upload that never ends; fails the test past `budget` bytes.

    Counts every byte handed out, so a test can say how much of the body the server read.
    """

    def __init__(self, budget: int = MB):
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="lớn.pdf"'
            "\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n"
        ).encode()
        self.budget = budget
        self.read_bytes = 0

    def read(self, size=-1):
        if size is None or size < 0 or self.read_bytes + size > self.budget:
            raise AssertionError(f"the server read past {self.budget} bytes of the body")
        start, self.read_bytes = self.read_bytes, self.read_bytes + size
        data = self.head[start : start + size]
        return data + b"A" * (size - len(data))

    def readline(self, size=-1):
        return self.read(size)


def announce(client, url, length, *, body=None, **extra):
    """POST a multipart upload whose Content-Length is `length` (None: chunked, no length)."""
    body = body or EndlessBody()
    environ = {"wsgi.input": body, "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}"}
    if length is not None:
        environ["CONTENT_LENGTH"] = str(length)
    return client.generic("POST", url, **environ, **extra), body


@pytest.fixture
def csrf_client():
    """A client that checks CSRF like a browser's requests are checked (it reads the body)."""
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = "x" * 32
    return client


def test_2_gib_announced_by_an_officer_is_refused_unread(csrf_client, officer, score, media_root):
    """Before: CsrfViewMiddleware parsed the whole body to a temporary file (2 GB, 11 s)."""
    csrf_client.force_login(officer)
    response, body = announce(
        csrf_client, add_url(score), 2 * GIB, HTTP_X_CSRFTOKEN="x" * 32, **PARTIAL
    )
    assert body.read_bytes < MB
    assert response.status_code == 413
    page = response.content.decode()
    # autosave.js puts it in the criterion's message box (data-oob replaces #everr-<score>).
    assert f'<div id="everr-{score.pk}" class="row-msg" role="alert" data-oob>' in page
    assert (
        "Tải lên bị từ chối: mỗi lần tải lên tối đa 20 MB cho tất cả các tệp chọn cùng lúc "
        "(gửi 2048 MB). Hãy tải lên từng tệp, hoặc giảm dung lượng tệp."
    ) in page
    assert not Evidence.objects.exists()


def test_without_javascript_the_refusal_is_a_page_with_a_way_back(csrf_client, officer, score):
    csrf_client.force_login(officer)
    back = "http://testserver/back/"
    response, body = announce(csrf_client, add_url(score), 2 * GIB, HTTP_REFERER=back)
    page = response.content.decode()
    assert body.read_bytes == 0 and response.status_code == 413
    assert "<h1>Không nhận tệp tải lên</h1>" in page and "tối đa 20 MB" in page
    assert f'<a href="{back}">← Quay lại</a>' in page


def test_2_gib_announced_anonymously_is_refused_unread(csrf_client, score):
    """Before: 512 MB written to disk, then a redirect to the login page."""
    response, body = announce(csrf_client, add_url(score), 2 * GIB)
    assert body.read_bytes == 0 and response.status_code == 413


def test_an_anonymous_upload_within_the_limit_goes_to_login_unread(csrf_client, score):
    response, body = announce(csrf_client, add_url(score), 5 * MB)
    assert body.read_bytes == 0
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_any_url_is_protected_not_only_the_upload(csrf_client, officer):
    csrf_client.force_login(officer)
    response, body = announce(csrf_client, "/khong-co-trang-nay/", 2 * GIB)
    assert body.read_bytes == 0 and response.status_code == 413


def test_a_chunked_upload_without_length_is_not_read(client, officer, score):
    """WSGI without Content-Length: Django reads none of the body, so the upload is empty."""
    client.force_login(officer)
    response, body = announce(client, add_url(score), None, **PARTIAL)
    assert body.read_bytes == 0
    assert response.status_code == 422 and "Chưa chọn tệp nào." in response.content.decode()


def test_without_the_middleware_the_upload_handler_still_refuses_unread(
    client, officer, score, settings
):
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if "UploadLimit" not in m]
    client.force_login(officer)
    response, body = announce(client, add_url(score), 2 * GIB, **PARTIAL)
    assert body.read_bytes == 0
    assert response.status_code == 413 and "tối đa 20 MB" in response.content.decode()


def test_the_upload_handler_stops_a_body_longer_than_announced(settings):
    """A server passing on more than its Content-Length: the parser stops at the limit."""
    settings.EVIDENCE_MAX_BYTES = 512 * 1024
    request = RequestFactory().post("/")
    body = EndlessBody(budget=MB)
    meta = {"CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}", "CONTENT_LENGTH": "1000"}
    handlers = [LimitedUploadHandler(request)]
    _, files = MultiPartParser(meta, body, handlers).parse()
    assert body.read_bytes < services.request_limit() + 2 * 64 * 1024
    assert not files
    assert "tối đa 0,5 MB" in refusal(request)


def test_an_upload_within_the_limit_still_works(csrf_client, officer, score, media_root):
    csrf_client.force_login(officer)
    response = csrf_client.post(
        add_url(score),
        {"files": [upload("Kế hoạch.pdf", pdf_bytes())]},
        HTTP_X_CSRFTOKEN="x" * 32,
        **PARTIAL,
    )
    assert response.status_code == 200 and Evidence.objects.count() == 1


# --- polyglots and fake files ----------------------------------------------------------------

HTML_AFTER_HEADER = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n"
REAL_PDF_WITH_HTML = pdf_bytes().replace(
    b"%PDF-1.4\n", b"%PDF-1.4\n%<html><body><script>alert(1)</script></body></html>\n", 1
)
# The report's fake: just the two names the old check looked for.
XLSX_TWO_NAMES = zip_of(
    {"[Content_Types].xml": CONTENT_TYPES_XML, "xl/workbook.xml": "<workbook/>"}
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE w [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">&b;'
    "</w:document>"
)


def xlsx_without(*names: str) -> bytes:
    """A real workbook (openpyxl) with some parts taken out."""
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as archive:
        parts = {i.filename: archive.read(i) for i in archive.infolist()}
    return zip_of({name: data for name, data in parts.items() if not name.startswith(names)})


def docx_with(document) -> bytes:
    """A .docx whose main part is `document` instead of a Word body."""
    return zip_of(docx_parts() | {"word/document.xml": document})


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("hoso.pdf", HTML_AFTER_HEADER, "không phải tệp PDF thật: phần đầu tệp chứa mã trang web"),
        ("hoso.pdf", b"%PDF-1.7\n" + EXE * 20, MISMATCH.format("PDF")),
        ("hoso.pdf", REAL_PDF_WITH_HTML, "phần đầu tệp chứa mã trang web (HTML/script)"),
        ("hoso.pdf", b"%PDF-1.4\n" + b"%" * 2000, MISMATCH.format("PDF")),
        ("bảng.xlsx", XLSX_TWO_NAMES, MISMATCH.format("XLSX")),
        ("bảng.xlsx", xlsx_without("xl/worksheets/"), MISMATCH.format("XLSX")),
        ("bảng.xlsx", xlsx_without("xl/_rels/"), MISMATCH.format("XLSX")),
        ("bảng.xlsx", xlsx_without("_rels/.rels"), MISMATCH.format("XLSX")),
        ("báo cáo.docx", docx_with(EXE), MISMATCH.format("DOCX")),
        ("báo cáo.docx", docx_with(LAUGHS), MISMATCH.format("DOCX")),
        ("báo cáo.docx", docx_with("<html/>"), MISMATCH.format("DOCX")),
        (
            "báo cáo.docx",
            zip_of({"[Content_Types].xml": CONTENT_TYPES_XML, "word/document.xml": DOCUMENT_XML}),
            MISMATCH.format("DOCX"),
        ),
        ("biên bản.odt", ods_bytes(), MISMATCH.format("ODT")),
        ("biên bản.odt", odf_bytes(content="<html/>"), MISMATCH.format("ODT")),
        ("ảnh.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, MISMATCH.format("JPG")),
        ("ảnh.png", image_bytes("JPEG"), MISMATCH.format("PNG")),
        ("ảnh.png", b"\x89PNG\r\n\x1a\n<svg onload=alert(1)>", "mã trang web"),
        ("ảnh.png", png_declaring(10_000, 10_000), "ảnh quá lớn (10000 × 10000 điểm ảnh)"),
        ("ảnh.png", png_declaring(30_000, 30_000), "ảnh quá lớn, tối đa 90 triệu điểm ảnh"),
        ("cũ.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, MISMATCH.format("XLS")),
    ],
)
def test_polyglots_and_fake_files_are_refused(
    client, officer, score, media_root, name, content, message
):
    client.force_login(officer)
    response = client.post(add_url(score), {"files": [upload(name, content)]}, **PARTIAL)
    assert response.status_code == 422
    assert f"Tệp “{name}”: " in response.content.decode()
    assert message in response.content.decode()
    assert not Evidence.objects.exists()


def test_real_files_of_every_kind_are_accepted(client, officer, score):
    client.force_login(officer)
    files = [
        upload("Kế hoạch.pdf", pdf_bytes()),
        upload("Ảnh.jpg", image_bytes("JPEG")),
        upload("Sơ đồ.png", image_bytes("PNG")),
        upload("Báo cáo.docx", docx_bytes()),
        upload("Số liệu.xlsx", xlsx_bytes()),
        upload("Biên bản.odt", odf_bytes()),
        upload("Bảng.ods", odf_bytes(ODS)),
        upload("Cũ.doc", ole2_bytes()),
    ]
    response = client.post(add_url(score), {"files": files}, **PARTIAL)
    assert response.status_code == 200, response.content.decode()
    assert Evidence.objects.count() == len(files)


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_a_pdf_protected_against_editing_is_accepted(algorithm):
    content = protected_pdf_bytes(algorithm)
    checked = services.check_upload(upload("Quyết định (bảo vệ).pdf", content))
    assert checked.extension == "pdf"


def test_a_pdf_with_a_password_to_open_is_refused_saying_so():
    content = protected_pdf_bytes(user_password="mat-khau")
    with pytest.raises(services.EvidenceError) as refused:
        services.check_upload(upload("Mật.pdf", content))
    assert refused.value.messages == [
        "Tệp “Mật.pdf”: tệp PDF có mật khẩu để mở. Hãy gỡ mật khẩu rồi tải lên lại."
    ]


# --- serving: nothing runs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, disposition",
    [
        ("Kế hoạch.pdf", pdf_bytes(), "inline"),
        ("Ảnh.png", image_bytes("PNG"), "inline"),
        ("Báo cáo.docx", docx_bytes(), "attachment"),
        ("Số liệu.xlsx", xlsx_bytes(), "attachment"),
        ("Cũ.doc", ole2_bytes(), "attachment"),
    ],
)
def test_evidence_is_served_sandboxed_and_unsniffed(
    client, officer, score, media_root, name, content, disposition
):
    client.force_login(officer)
    client.post(add_url(score), {"files": [upload(name, content)]}, **PARTIAL)
    response = client.get(reverse("evidence:download", args=[Evidence.objects.get().pk]))
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"].startswith(disposition)
