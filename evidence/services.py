"""Evidence (tài liệu kiểm chứng): check uploads, store them, link them to criteria, remove them.

A file is accepted only if its extension is on the allowlist, its content is really that kind
of file (evidence.content: structure checked with bounded reads), its size is within
settings.EVIDENCE_MAX_BYTES and its name carries no path. One upload (all files sent at once)
may not exceed request_limit(); evidence.middleware refuses larger requests unread. A file is
stored through the default storage (STORAGES["default"]: MEDIA_ROOT or S3) with a random name
(evidence.models.evidence_path) and its SHA-256; the original Vietnamese name is kept in the
database only. Every change is audited with the criterion it concerns.
"""

from __future__ import annotations

import datetime
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePath

from django.conf import settings
from django.db import transaction

from scoring import rules
from scoring.audit import record_event
from scoring.models import Assessment, Score
from scoring.services import locked_score
from scoring.services.replies import draft_disagreement
from scoring.services.self_assessment import check_score_editable

from . import content
from .models import Evidence

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "doc": "application/msword",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
ALLOWED_TEXT = "PDF, ảnh JPG/PNG, Word (doc, docx), Excel (xls, xlsx), OpenDocument (odt, ods)"
ACCEPT_ATTRIBUTE = ",".join(f".{extension}" for extension in CONTENT_TYPES)

# Room for the form around the files (multipart headers, names, the CSRF token).
FORM_OVERHEAD_BYTES = 64 * 1024


class EvidenceError(Exception):
    """An upload or a change was refused; `messages` says why, in Vietnamese, per file."""

    def __init__(self, messages: str | list[str]):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


@dataclass
class CheckedFile:
    upload: object
    name: str
    extension: str
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]


def upload_limits() -> dict:
    """What upload forms tell the browser: size limit (bytes and MB) and accepted extensions."""
    return {
        "max_bytes": settings.EVIDENCE_MAX_BYTES,
        "max_mb": rules.format_megabytes(settings.EVIDENCE_MAX_BYTES),
        "accept": ACCEPT_ATTRIBUTE,
    }


def request_limit() -> int:
    """The largest request body accepted: one upload's files together, plus the form around them.

    Applies to every request (no page takes more), so the server never stores more than this
    before the view checks each file.
    """
    return settings.EVIDENCE_MAX_BYTES + FORM_OVERHEAD_BYTES


def too_large_message(size: int | None = None) -> str:
    """Why an upload was refused unread: the files chosen at once exceed the limit."""
    limit = rules.format_megabytes(settings.EVIDENCE_MAX_BYTES)
    sent = f" (gửi {rules.format_megabytes(size)} MB)" if size else ""
    return (
        f"Tải lên bị từ chối: mỗi lần tải lên tối đa {limit} MB cho tất cả các tệp chọn cùng lúc"
        f"{sent}. Hãy tải lên từng tệp, hoặc giảm dung lượng tệp."
    )


def clean_file_name(name: str) -> str:
    """The name as given, refused if it carries a path or characters no file name needs.

    Django's upload parser already strips "dir/" parts; this also refuses what survives it
    (leading dots, drive letters, encoded separators, control characters) and direct callers'
    paths.
    """
    name = unicodedata.normalize("NFC", name or "").strip()
    lowered = name.lower()
    if not name:
        raise EvidenceError("Tệp không có tên.")
    if (
        "/" in name
        or "\\" in name
        or ":" in name
        or "%2f" in lowered
        or "%5c" in lowered
        or "%2e" in lowered
        or name.startswith(".")
        or any(unicodedata.category(char).startswith("C") for char in name)
    ):
        raise EvidenceError(
            f"Tên tệp “{name}” không hợp lệ (có đường dẫn hoặc ký tự đặc biệt). "
            "Hãy đổi tên tệp rồi tải lên lại."
        )
    if len(name) > 200:
        raise EvidenceError(f"Tên tệp “{name[:40]}…” dài quá 200 ký tự; hãy đặt tên ngắn hơn.")
    return name


def check_upload(upload) -> CheckedFile:
    """Check one uploaded file (name, extension, size, content) and hash it.

    Refuses (EvidenceError) with a Vietnamese message naming the file.
    """
    name = clean_file_name(getattr(upload, "name", ""))
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension not in CONTENT_TYPES:
        raise EvidenceError(f"Tệp “{name}”: không nhận loại tệp này. Chỉ nhận {ALLOWED_TEXT}.")
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size > limit:
        raise EvidenceError(
            f"Tệp “{name}” dung lượng {rules.format_megabytes(upload.size)} MB, vượt quá giới hạn "
            f"{rules.format_megabytes(limit)} MB."
        )
    if upload.size == 0:
        raise EvidenceError(f"Tệp “{name}” rỗng (0 byte).")
    reason = content.problem(upload, extension)
    if reason:
        raise EvidenceError(f"Tệp “{name}”: {reason}")
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(upload, name, extension, upload.size, digest.hexdigest())


def _check_change(assessment, score: Score):
    """Refuse (WorkflowError) a change the workflow does not allow now; return the commune's
    draft disagreement (scoring.Reply) when the evidence comes with its reply to provisional
    results (the same upload rules), None for the self-assessment."""
    if assessment.status == Assessment.Status.PROVISIONAL:
        return draft_disagreement(score)
    check_score_editable(assessment, score)
    return None


def _lock_for_change(score: Score) -> Score:
    """The score re-read under its assessment's lock, the change checked on both; its
    `reply` is the draft disagreement the evidence goes with, or None (_check_change).

    Links and removals of one assessment take turns: a second officer linking the same item
    finds it linked, and removing an item's last link never races a new link (the item would
    be deleted under it); a concurrent submit or lock waits, or is waited for.
    """
    locked = locked_score(score)
    locked.reply = _check_change(locked.assessment, locked)
    return locked


def _event(score: Score, evidence: Evidence, action: str, *, by, old="", new="", **detail):
    record_event(
        score.assessment,
        by=by,
        action=action,
        criterion=score.criterion,
        field_name="evidence",
        old=old,
        new=new,
        detail={"evidence": evidence.pk, "sha256": evidence.sha256, **detail},
    )


def add_evidence_files(score: Score, uploads, *, by) -> tuple[list[Evidence], list[str]]:
    """Store uploaded files as evidence of `score`'s criterion.

    All or nothing: every file is checked first; one refused file refuses them all
    (EvidenceError listing each reason) and nothing is stored. A file identical (SHA-256) to
    one already uploaded for this assessment is linked instead of stored twice. Returns the
    evidence items and notes for the officer.
    """
    assessment = score.assessment
    _check_change(assessment, score)
    uploads = list(uploads)
    if not uploads:
        raise EvidenceError("Chưa chọn tệp nào.")
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except EvidenceError as error:
            errors.extend(error.messages)
    if errors:
        if len(uploads) > 1:
            errors.append("Không tệp nào được lưu; hãy bỏ các tệp bị từ chối rồi tải lên lại.")
        raise EvidenceError(errors)
    stored_names: list[str] = []
    items, notes = [], []
    try:
        with transaction.atomic():
            score = _lock_for_change(score)
            known = {
                item.sha256: item
                for item in Evidence.objects.filter(
                    assessment=assessment, sha256__in=[c.sha256 for c in checked]
                ).exclude(file="")
            }
            for item in checked:
                existing = known.get(item.sha256)
                if existing is not None:
                    notes.append(
                        f"Tệp “{item.name}” trùng nội dung với tài liệu “{existing.original_name}” "
                        "đã tải lên; đã dùng lại tài liệu đó."
                    )
                    if not existing.scores.filter(pk=score.pk).exists():
                        existing.scores.add(score)
                        name = existing.original_name
                        _event(score, existing, "evidence_linked", by=by, new=name)
                    items.append(existing)
                    continue
                evidence = Evidence(
                    assessment=assessment,
                    original_name=item.name,
                    size=item.size,
                    sha256=item.sha256,
                    content_type=item.content_type,
                    uploaded_by=by,
                    reply=score.reply,
                )
                evidence.file.save(f"tep.{item.extension}", item.upload, save=False)
                stored_names.append(evidence.file.name)
                evidence.save()
                evidence.scores.add(score)
                _event(score, evidence, "evidence_added", by=by, new=item.name, size=item.size)
                known[item.sha256] = evidence
                items.append(evidence)
    except BaseException:
        for name in stored_names:
            Evidence.file.field.storage.delete(name)
        raise
    return items, notes


@transaction.atomic
def add_evidence_reference(
    score: Score,
    *,
    doc_number: str,
    doc_date: datetime.date | None,
    doc_issuer: str = "",
    description: str = "",
    by,
) -> Evidence:
    """Record a document reference (số/ký hiệu, ngày ban hành, cơ quan ban hành) as evidence."""
    score = _lock_for_change(score)
    doc_number = doc_number.strip()
    if not doc_number:
        raise EvidenceError("Hãy nhập số, ký hiệu văn bản.")
    evidence = Evidence.objects.create(
        assessment=score.assessment,
        doc_number=doc_number,
        doc_date=doc_date,
        doc_issuer=doc_issuer.strip(),
        description=description.strip(),
        uploaded_by=by,
        reply=score.reply,
    )
    evidence.scores.add(score)
    label = f"Văn bản số {doc_number}"
    if doc_date:
        label += f" ngày {rules.format_date(doc_date)}"
    _event(score, evidence, "evidence_added", by=by, new=label)
    return evidence


def _label(evidence: Evidence) -> str:
    return evidence.original_name or f"Văn bản số {evidence.doc_number}"


@transaction.atomic
def link_evidence(evidence_items, score: Score, *, by) -> int:
    """Link already uploaded evidence of the same assessment to another criterion.

    One decision often proves several criteria. Returns how many links were added.
    """
    score = _lock_for_change(score)
    added = 0
    linked = set(score.evidence.values_list("pk", flat=True))
    for evidence in evidence_items:
        if evidence.assessment_id != score.assessment_id:
            raise EvidenceError("Tài liệu không thuộc hồ sơ này.")
        if evidence.pk in linked:
            continue
        evidence.scores.add(score)
        _event(score, evidence, "evidence_linked", by=by, new=_label(evidence))
        added += 1
    return added


@transaction.atomic
def remove_evidence(evidence: Evidence, score: Score, *, by) -> bool:
    """Take `evidence` off `score`'s criterion; delete it (and its file) once it proves none.

    Audited with the criterion. Returns True if the item itself was deleted.
    """
    score = _lock_for_change(score)
    if not evidence.scores.filter(pk=score.pk).exists():
        raise EvidenceError("Tài liệu này không gắn với tiêu chí này.")
    if score.reply is not None and evidence.reply_id != score.reply.pk:
        raise EvidenceError("Khi phản hồi kết quả dự kiến chỉ gỡ được tài liệu gửi kèm ý kiến.")
    evidence.scores.remove(score)
    deleted = not evidence.scores.exists()
    _event(score, evidence, "evidence_removed", by=by, old=_label(evidence), deleted=deleted)
    if deleted:
        name, storage = evidence.file.name, evidence.file.storage
        evidence.delete()
        if name:
            transaction.on_commit(lambda: storage.delete(name))
    return deleted
