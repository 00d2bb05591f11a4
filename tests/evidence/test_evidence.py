"""Evidence: checked uploads stored on disk, reuse across criteria, removal, permission-checked
download; every refusal in Vietnamese with nothing stored."""

import hashlib
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse

from evidence import services
from evidence.models import Evidence
from scoring.models import Assessment, AuditEvent, Score
from tests.evidence.builders import (
    EXE,
    HTML,
    docx_bytes,
    image_bytes,
    odt_bytes,
    pdf_bytes,
    plain_zip_bytes,
    upload,
    xlsx_bytes,
)

pytestmark = pytest.mark.django_db

PARTIAL = {"HTTP_X_AUTOSAVE": "1"}


@pytest.fixture
def assessment(period, units):
    return Assessment.objects.select_related("period", "commune").get(
        period=period, commune=units["commune"]
    )


def score_of(assessment, code) -> Score:
    return Score.objects.select_related("criterion").get(assessment=assessment, criterion__code=code)


def add_url(score):
    return reverse("evidence:add", args=[score.pk])


def files_on_disk(media_root: Path) -> list[Path]:
    return [p for p in Path(media_root).rglob("*") if p.is_file()] if Path(media_root).exists() else []


def post_files(client, score, *files, partial=True):
    return client.post(add_url(score), {"files": list(files)}, **(PARTIAL if partial else {}))


# --- storing ------------------------------------------------------------------------------


def test_a_pdf_is_stored_under_a_random_name_with_its_hash(client, officer, assessment, media_root):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    content = pdf_bytes("Ke hoach CCHC 2024")
    response = post_files(client, score, upload("Kế hoạch CCHC năm 2024.pdf", content, "application/pdf"))
    assert response.status_code == 200
    evidence = Evidence.objects.get()
    assert evidence.original_name == "Kế hoạch CCHC năm 2024.pdf"
    assert evidence.sha256 == hashlib.sha256(content).hexdigest()
    assert evidence.size == len(content) and evidence.content_type == "application/pdf"
    assert evidence.uploaded_by == officer and list(evidence.scores.all()) == [score]
    stored = Path(evidence.file.path)
    assert stored.is_relative_to(Path(media_root)) and stored.read_bytes() == content
    assert "Kế hoạch" not in stored.name and stored.suffix == ".pdf" and len(stored.stem) == 32
    body = response.content.decode()
    assert f'id="ev-{score.pk}"' in body and "Kế hoạch CCHC năm 2024.pdf" in body
    event = AuditEvent.objects.get(action="evidence_added")
    assert (event.criterion_id, event.new_value, event.user) == (score.criterion_id, evidence.original_name, officer)
    assert event.detail["sha256"] == evidence.sha256


def test_download_returns_the_file_under_its_vietnamese_name(client, officer, assessment, tmp_path):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    content = pdf_bytes("Bao cao quy IV")
    post_files(client, score, upload("Báo cáo quý IV.pdf", content))
    evidence = Evidence.objects.get()
    response = client.get(reverse("evidence:download", args=[evidence.pk]))
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert data == content
    assert response["Content-Type"] == "application/pdf"
    assert "filename*=utf-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD%20IV.pdf" in response["Content-Disposition"]
    path = tmp_path / "back.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True).stdout
    assert "Bao cao quy IV" in text


def test_several_files_at_once_and_office_formats(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "1.2")
    response = post_files(
        client,
        score,
        upload("Báo cáo.docx", docx_bytes()),
        upload("Số liệu.xlsx", xlsx_bytes()),
        upload("Biên bản.odt", odt_bytes()),
        upload("Ảnh chụp.JPG", image_bytes("JPEG")),
        upload("Sơ đồ.png", image_bytes("PNG")),
    )
    assert response.status_code == 200, response.content.decode()
    assert set(Evidence.objects.values_list("content_type", flat=True)) == {
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.oasis.opendocument.text",
        "image/jpeg",
        "image/png",
    }
    assert score.evidence.count() == 5


def test_an_identical_file_is_reused_not_stored_twice(client, officer, assessment, media_root):
    client.force_login(officer)
    content = pdf_bytes("Quyet dinh 12")
    post_files(client, score_of(assessment, "1.1"), upload("QĐ 12.pdf", content))
    response = post_files(client, score_of(assessment, "1.2"), upload("QĐ 12 (bản sao).pdf", content))
    assert "trùng nội dung với tài liệu “QĐ 12.pdf”" in response.content.decode()
    evidence = Evidence.objects.get()
    assert evidence.scores.count() == 2 and len(files_on_disk(media_root)) == 1


# --- refusals: nothing stored -------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("Kế hoạch.pdf", EXE, "Tệp “Kế hoạch.pdf”: nội dung không phải tệp PDF thật"),
        ("trang.html", HTML, "Tệp “trang.html”: không nhận loại tệp này. Chỉ nhận PDF"),
        ("báo cáo.pdf", HTML, "nội dung không phải tệp PDF thật"),
        ("chuongtrinh.exe", EXE, "không nhận loại tệp này"),
        ("báo cáo.docx", plain_zip_bytes(), "nội dung không phải tệp DOCX thật"),
        ("bảng.xlsx", docx_bytes(), "nội dung không phải tệp XLSX thật"),
        ("rỗng.pdf", b"", "rỗng"),
        ("..%2F..%2Fcchc%2Fsettings.pdf", pdf_bytes(), "không hợp lệ (có đường dẫn"),
        ("C:..evil.pdf", pdf_bytes(), "không hợp lệ (có đường dẫn"),
        (".htaccess.pdf", pdf_bytes(), "không hợp lệ (có đường dẫn"),
    ],
)
def test_bad_uploads_are_refused_and_nothing_is_stored(
    client, officer, assessment, media_root, name, content, message
):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    response = post_files(client, score, upload(name, content))
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Evidence.objects.exists() and files_on_disk(media_root) == []
    assert not AuditEvent.objects.filter(action="evidence_added").exists()


def test_a_file_over_the_limit_is_refused(client, officer, assessment, media_root, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    client.force_login(officer)
    content = pdf_bytes() + b"%" * (1024 * 1024)
    response = post_files(client, score_of(assessment, "1.1"), upload("Hồ sơ lớn.pdf", content))
    assert response.status_code == 422
    assert "Tệp “Hồ sơ lớn.pdf” dung lượng 1 MB, vượt quá giới hạn 1 MB." in response.content.decode()
    assert not Evidence.objects.exists() and files_on_disk(media_root) == []


def test_one_bad_file_refuses_the_whole_upload(client, officer, assessment, media_root):
    client.force_login(officer)
    response = post_files(
        client, score_of(assessment, "1.1"), upload("tốt.pdf", pdf_bytes()), upload("xấu.pdf", EXE)
    )
    body = response.content.decode()
    assert response.status_code == 422 and "Không tệp nào được lưu" in body
    assert not Evidence.objects.exists() and files_on_disk(media_root) == []


def test_a_path_traversal_name_from_the_wire_never_leaves_media_root(
    client, officer, assessment, media_root
):
    """Django strips "dir/" parts before the view; what remains is stored under a random name."""
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    boundary = "BoUnDaRy"
    body = (
        f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; "
        f"filename=\"../../../../tmp/evil.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    ).encode() + pdf_bytes() + f"\r\n--{boundary}--\r\n".encode()
    response = client.generic(
        "POST", add_url(score), body, content_type=f"multipart/form-data; boundary={boundary}",
        **PARTIAL,
    )
    assert response.status_code == 200
    evidence = Evidence.objects.get()
    assert evidence.original_name == "evil.pdf"
    assert Path(evidence.file.path).resolve().is_relative_to(Path(media_root).resolve())
    assert not Path("/tmp/evil.pdf").exists()


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\boot.ini.pdf", "a/b.pdf", "tệp\x00.pdf"])
def test_the_service_refuses_names_with_a_path(name):
    with pytest.raises(services.EvidenceError, match="không hợp lệ"):
        services.clean_file_name(name)


def test_no_file_chosen(client, officer, assessment):
    client.force_login(officer)
    response = client.post(add_url(score_of(assessment, "1.1")), {}, **PARTIAL)
    assert response.status_code == 422 and "Chưa chọn tệp nào." in response.content.decode()


# --- references, reuse, removal -----------------------------------------------------------


def test_a_document_reference_instead_of_a_file(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    url = reverse("evidence:reference", args=[score.pk])
    response = client.post(url, {"doc_number": "12/KH-UBND", "doc_date": "05/01/2024",
                                 "doc_issuer": "UBND xã Đồng Tâm"}, **PARTIAL)
    assert response.status_code == 200
    assert "Văn bản số 12/KH-UBND ngày 05/01/2024 của UBND xã Đồng Tâm" in response.content.decode()
    evidence = Evidence.objects.get()
    assert evidence.is_reference and str(evidence.doc_date) == "2024-01-05"
    response = client.post(url, {"doc_number": "", "doc_date": "32/01/2024"}, **PARTIAL)
    body = response.content.decode()
    assert response.status_code == 422
    assert "Hãy nhập số, ký hiệu văn bản" in body and "dd/mm/yyyy" in body


def test_link_an_uploaded_file_to_another_criterion_and_totals_follow(client, officer, assessment):
    client.force_login(officer)
    first, second = score_of(assessment, "1.1"), score_of(assessment, "1.2")
    Score.objects.filter(pk=second.pk).update(self_score=Decimal(4))
    post_files(client, first, upload("Quyết định 01.pdf", pdf_bytes()))
    evidence = Evidence.objects.get()
    link = reverse("evidence:link", args=[second.pk])
    picker = client.get(link, **PARTIAL).content.decode()
    assert "Quyết định 01.pdf" in picker and "đang dùng cho tiêu chí 1.1" in picker
    response = client.post(link, {"evidence": [evidence.pk]}, **PARTIAL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "cũng dùng cho tiêu chí 1.1" in body and "0/3" not in body
    assert set(evidence.scores.all()) == {first, second}
    assert AuditEvent.objects.filter(action="evidence_linked", criterion=second.criterion).exists()
    assert "Quyết định 01.pdf" not in client.get(link, **PARTIAL).content.decode()


def test_link_refuses_evidence_of_another_assessment(client, officer, other_officer, period, units, assessment):
    client.force_login(other_officer)
    theirs = Assessment.objects.get(period=period, commune=units["other_commune"])
    post_files(client, score_of(theirs, "1.1"), upload("Của xã B.pdf", pdf_bytes()))
    foreign = Evidence.objects.get()
    client.force_login(officer)
    response = client.post(
        reverse("evidence:link", args=[score_of(assessment, "1.1").pk]), {"evidence": [foreign.pk]}, **PARTIAL
    )
    assert response.status_code == 422
    assert not foreign.scores.filter(assessment=assessment).exists()


def test_removing_is_audited_and_deletes_the_file_once_unused(client, officer, assessment, media_root):
    client.force_login(officer)
    first, second = score_of(assessment, "1.1"), score_of(assessment, "1.2")
    post_files(client, first, upload("Quyết định 01.pdf", pdf_bytes()))
    evidence = Evidence.objects.get()
    evidence.scores.add(second)
    path = Path(evidence.file.path)
    response = client.post(reverse("evidence:remove", args=[evidence.pk, first.pk]), **PARTIAL)
    assert response.status_code == 200 and path.exists()
    assert list(evidence.scores.all()) == [second]
    response = client.post(reverse("evidence:remove", args=[evidence.pk, second.pk]), **PARTIAL)
    assert response.status_code == 200
    assert not Evidence.objects.exists()
    events = AuditEvent.objects.filter(action="evidence_removed").order_by("id")
    assert [(e.criterion.code, e.old_value, e.detail["deleted"]) for e in events] == [
        ("1.1", "Quyết định 01.pdf", False),
        ("1.2", "Quyết định 01.pdf", True),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_file_of_a_deleted_item_leaves_the_disk(client, period, units, officer, media_root):
    assessment = Assessment.objects.get(period=period, commune=units["commune"])
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    post_files(client, score, upload("Tạm.pdf", pdf_bytes()))
    path = Path(Evidence.objects.get().file.path)
    assert path.exists()
    client.post(reverse("evidence:remove", args=[Evidence.objects.get().pk, score.pk]), **PARTIAL)
    assert not path.exists()


# --- permissions and workflow ---------------------------------------------------------------


def test_other_commune_gets_404_on_evidence(client, officer, other_officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    post_files(client, score, upload("Nội bộ.pdf", pdf_bytes()))
    evidence = Evidence.objects.get()
    client.force_login(other_officer)
    assert client.get(reverse("evidence:download", args=[evidence.pk])).status_code == 404
    assert post_files(client, score, upload("x.pdf", pdf_bytes())).status_code == 404
    assert client.get(reverse("evidence:link", args=[score.pk])).status_code == 404
    assert client.post(reverse("evidence:remove", args=[evidence.pk, score.pk])).status_code == 404
    assert Evidence.objects.count() == 1


def test_appraisers_download_only_after_submission(client, officer, appraiser, far_appraiser, assessment):
    client.force_login(officer)
    post_files(client, score_of(assessment, "1.1"), upload("KH.pdf", pdf_bytes()))
    url = reverse("evidence:download", args=[Evidence.objects.get().pk])
    client.force_login(appraiser)
    assert client.get(url).status_code == 403
    Assessment.objects.filter(pk=assessment.pk).update(status="submitted")
    assert client.get(url).status_code == 200
    client.force_login(far_appraiser)
    assert client.get(url).status_code == 404
    assert post_files(client, score_of(assessment, "1.1"), upload("x.pdf", pdf_bytes())).status_code == 404


def test_appraiser_and_leader_cannot_upload(client, appraiser, leader, assessment):
    for user in (appraiser, leader):
        client.force_login(user)
        assert post_files(client, score_of(assessment, "1.1"), upload("x.pdf", pdf_bytes())).status_code == 403
    assert not Evidence.objects.exists()


def test_no_evidence_changes_after_submission(client, officer, assessment, media_root):
    client.force_login(officer)
    score = score_of(assessment, "1.1")
    post_files(client, score, upload("KH.pdf", pdf_bytes()))
    Assessment.objects.filter(pk=assessment.pk).update(status="submitted")
    response = post_files(client, score, upload("Thêm.pdf", pdf_bytes("khac")))
    assert response.status_code == 403 and "Đã nộp" in response.content.decode()
    evidence = Evidence.objects.get()
    response = client.post(reverse("evidence:remove", args=[evidence.pk, score.pk]), **PARTIAL)
    assert response.status_code == 403 and Evidence.objects.count() == 1
    assert len(files_on_disk(media_root)) == 1


def test_without_javascript_an_upload_redirects_back_with_a_message(client, officer, assessment):
    client.force_login(officer)
    score = score_of(assessment, "2.1")
    response = post_files(client, score, upload("trang.html", HTML), partial=False)
    assert response.status_code == 302 and response["Location"].endswith("#tc-2.1")
    page = client.get(response["Location"]).content.decode()
    assert "không nhận loại tệp này" in page


def test_without_javascript_the_picker_and_the_reference_form_are_pages(client, officer, assessment):
    client.force_login(officer)
    first, second = score_of(assessment, "1.1"), score_of(assessment, "1.2")
    post_files(client, first, upload("Quyết định 01.pdf", pdf_bytes()))
    page = client.get(reverse("evidence:link", args=[second.pk])).content.decode()
    assert "<h1>Dùng lại tài liệu cho tiêu chí 1.2</h1>" in page and "Quyết định 01.pdf" in page
    response = client.post(reverse("evidence:link", args=[second.pk]),
                           {"evidence": [Evidence.objects.get().pk]})
    assert response.status_code == 302 and response["Location"].endswith("#tc-1.2")
    page = client.get(reverse("evidence:reference", args=[second.pk])).content.decode()
    assert "Nhập số hiệu văn bản cho tiêu chí 1.2" in page and 'name="doc_number"' in page
