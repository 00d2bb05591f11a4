"""The reply round (docs/design.md §4): provisional results (kết quả thẩm định dự kiến), the
commune's reply per criterion, the appraisal team's answers.

`appraised` → `provisional` (announce_provisional, for many communes at once) → `replied`
(send_reply with at least one disagreement) → `appraised` (answer_reply, once every
disagreement is answered). A reply without disagreement goes straight back to `appraised`;
so does silence once the reply deadline (Period.reply_due) has passed (settle_silent_rounds,
run by publishing, and for every period by the daily `send_reminders`: settle_overdue_rounds).
Every step is one transaction, audited inside it, in the lock order of
scoring/services/__init__.py: the period shared, the assessment, the score, the reply.
Announcing, replying and answering every disagreement tell the other side after the commit
(scoring/notices.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from .. import notices, rules
from ..audit import record_event
from ..models import Assessment, Method, Period, Reply, ReplyRound, Score
from ..permissions import reply_closed_reason
from . import WorkflowError, locked_assessment, locked_score
from .appraisal import _bump, write_appraisal
from .bulk import record_status_events

Status = Assessment.Status


class ReplyConflict(WorkflowError):
    """The reply (or its answer) changed since the page was loaded; nothing was overwritten."""


# --- setting the deadline -----------------------------------------------------------------


@transaction.atomic
def set_reply_due(period: Period, due: datetime.date | None, *, by) -> Period:
    """Set (or clear) the period's reply deadline; audited. Refused once published, before
    the self-assessment deadline, and clearing it while a commune's reply round is open."""
    locked = Period.objects.select_for_update(no_key=True).get(pk=period.pk)
    if locked.is_published:
        raise WorkflowError("Kỳ đánh giá đã công bố kết quả; không đổi được hạn phản hồi.")
    if due is not None and due < locked.self_assessment_due:
        raise WorkflowError(
            f"Hạn phản hồi phải từ hạn tự đánh giá "
            f"({rules.format_date(locked.self_assessment_due)}) trở đi."
        )
    if due is None and locked.assessments.filter(status=Status.PROVISIONAL).exists():
        raise WorkflowError("Đang có đơn vị trong vòng phản hồi; không bỏ được hạn phản hồi.")
    if due == locked.reply_due:
        return locked
    old = rules.format_date(locked.reply_due)
    locked.reply_due = due
    locked.save(update_fields=["reply_due"])
    record_event(
        by=by, period=locked, action="reply_due_set", field_name="reply_due",
        old=old, new=rules.format_date(due),
    )
    period.reply_due = due
    return locked


# --- announcing ---------------------------------------------------------------------------


def _shared_period(period_id: int) -> tuple[str, datetime.date | None]:
    """The period's status and reply deadline, read under FOR KEY SHARE (the lock order)."""
    table = Period._meta.db_table
    lock = " FOR KEY SHARE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT status, reply_due FROM {table} WHERE id = %s{lock}", [period_id])
        status, due = cursor.fetchone()
    if isinstance(due, str):  # SQLite through a raw cursor
        due = datetime.date.fromisoformat(due)
    return status, due


@transaction.atomic
def announce_provisional(
    period: Period, *, by, communes: Iterable[str] | None = None, today=None
) -> int:
    """Announce the provisional results to the appraised communes (`communes`: their codes;
    None: every appraised commune); returns how many.

    Each goes `appraised` → `provisional` with a new ReplyRound; its commune then sees its
    appraised scores and notes and may reply until the period's reply deadline. All or
    nothing: a named commune not appraised (or locked) refuses them all, naming each. Refused
    without a reply deadline, once it has passed, and after publication. A fixed number of
    queries whatever the number of communes.
    """
    today = today or timezone.localdate()
    status, due = _shared_period(period.pk)
    if status == Period.Status.PUBLISHED:
        raise WorkflowError("Kỳ đánh giá đã công bố kết quả.")
    if due is None:
        raise WorkflowError(
            "Kỳ đánh giá chưa có hạn phản hồi: hãy đặt hạn phản hồi trước khi thông báo kết "
            "quả thẩm định dự kiến."
        )
    if due < today:
        raise WorkflowError(
            f"Hạn phản hồi ({rules.format_date(due)}) đã qua; hãy đặt hạn mới trước khi thông báo."
        )
    rows = Assessment.objects.select_for_update(no_key=True, of=("self",)).filter(
        period_id=period.pk
    )
    codes = None
    if communes is not None:
        codes = sorted({code.strip() for code in communes if code.strip()})
        if not codes:
            raise WorkflowError("Chưa chọn đơn vị nào.")
        rows = rows.filter(commune__code__in=codes)
    else:
        rows = rows.filter(status=Status.APPRAISED)
    rows = list(
        rows.order_by("pk").values_list(
            "pk", "commune__code", "commune__name", "status", "locked", "reply_round"
        )
    )
    errors = []
    if codes is not None:
        found = {row[1] for row in rows}
        errors += [f"không có đơn vị mã {code} trong kỳ" for code in codes if code not in found]
    for _pk, _code, name, state, locked, _round in sorted(rows, key=lambda row: row[1]):
        if state != Status.APPRAISED:
            errors.append(f"{name} đang “{Status(state).label}”")
        elif locked:
            errors.append(f"{name} đang bị khóa chỉnh sửa")
    if errors:
        raise WorkflowError(
            "Không thông báo được: " + "; ".join(errors) + ". Chỉ thông báo kết quả dự kiến "
            "cho hồ sơ đã thẩm định."
        )
    if not rows:
        raise WorkflowError("Không có hồ sơ đã thẩm định nào để thông báo kết quả dự kiến.")
    ids = [row[0] for row in rows]
    now = timezone.now()
    user = by if by is not None and by.is_authenticated else None
    where = f"id IN ({', '.join(['%s'] * len(ids))})"
    record_status_events(
        where, ids, user=user, action="provisional_announced", new=Status.PROVISIONAL.value,
        detail={"reply_due": rules.format_date(due)},
    )
    # One INSERT … SELECT whatever the number of communes (bulk_create splits on SQLite).
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {ReplyRound._meta.db_table} (assessment_id, number, announced_at, "
            f"announced_by_id) SELECT id, reply_round + 1, %s, %s "
            f"FROM {Assessment._meta.db_table} WHERE {where}",
            [connection.ops.adapt_datetimefield_value(now), user.pk if user else None, *ids],
        )
    Assessment.objects.filter(pk__in=ids).update(
        status=Status.PROVISIONAL,
        reply_round=F("reply_round") + 1,
        version=F("version") + 1,
        updated_at=now,
    )
    record_event(
        by=by, period=period, action="provisional_announced", field_name="reply_due",
        new=rules.format_date(due), detail={"communes": [row[1] for row in rows]},
    )
    notices.after_commit(notices.provisional_announced, ids)
    return len(ids)


# --- the commune's reply ------------------------------------------------------------------


def current_round(assessment: Assessment) -> ReplyRound | None:
    """The assessment's latest round (None before any announcement)."""
    if not assessment.reply_round:
        return None
    return ReplyRound.objects.filter(
        assessment_id=assessment.pk, number=assessment.reply_round
    ).first()


def _open_round(assessment: Assessment, today=None) -> ReplyRound:
    reason = reply_closed_reason(assessment, today)
    if reason:
        raise WorkflowError(reason)
    found = current_round(assessment)
    if found is None or found.sent_at is not None:
        raise WorkflowError("Đơn vị đã gửi ý kiến cho lần thông báo này.")
    return found


@transaction.atomic
def save_reply(
    score: Score, *, disagrees: bool, explanation: str = "", version: int = 0, by, today=None
) -> Reply | None:
    """Record the commune's opinion on one criterion of the open round (not sent yet).

    Agreeing is the default: it takes back an earlier disagreement. Disagreeing needs an
    explanation. `version` is the reply's version the page showed (0: none existed); a reply
    saved since with other values refuses (ReplyConflict), nothing overwritten. Returns the
    reply (None when agreeing without one). Audited.
    """
    score = locked_score(score)
    assessment = score.assessment
    round_ = _open_round(assessment, today)
    explanation = (explanation or "").strip()
    code = score.criterion.code
    if score.criterion.method != Method.SELF_ASSESSED:
        raise WorkflowError(
            f"Tiêu chí {code} lấy điểm từ tệp số liệu ({score.criterion.get_method_display()}); "
            "ý kiến về số liệu gửi Phòng/Sở Nội vụ bằng văn bản."
        )
    if disagrees and not explanation:
        raise WorkflowError(f"Tiêu chí {code}: không đồng ý thì cần nêu ý kiến, giải trình.")
    # Its own row only, unordered: Meta.ordering joins the round and the assessment, which
    # FOR UPDATE would lock too (and deadlock with the assessment's own lock).
    reply = (
        Reply.objects.select_for_update(of=("self",))
        .filter(round=round_, score=score)
        .order_by()
        .first()
    )
    stored = reply.version if reply is not None else 0
    if reply is None and not disagrees:
        return None
    if reply is not None and reply.disagrees == disagrees and (
        not disagrees or reply.explanation == explanation
    ):
        return reply
    if int(version) != stored:
        raise ReplyConflict(
            f"Ý kiến về tiêu chí {code} vừa được người khác lưu; hãy tải lại trang. "
            "Không có gì bị ghi đè."
        )
    old = "" if reply is None or not reply.disagrees else reply.explanation
    if reply is None:
        reply = Reply(round=round_, score=score, appraised_before=score.appraised_score)
    reply.disagrees = disagrees
    if disagrees:
        reply.explanation = explanation
    reply.appraised_before = score.appraised_score
    reply.version = stored + 1
    reply.updated_by = by
    reply.save()
    record_event(
        assessment, by=by, action="reply_saved", criterion=score.criterion,
        field_name="reply", old=old, new=explanation if disagrees else "Đồng ý",
        detail={"round": round_.number},
    )
    return reply


@transaction.atomic
def send_reply(assessment: Assessment, *, by, today=None) -> ReplyRound:
    """Send the commune's reply for the open round: once per round.

    With a disagreement the assessment goes `provisional` → `replied` and the appraisal team
    answers each; without any, every criterion is agreed and it is `appraised` again. Refused
    after the deadline (silence is agreement), twice, or on a locked assessment.
    """
    assessment = locked_assessment(assessment)
    round_ = _open_round(assessment, today)
    ReplyRound.objects.select_for_update(of=("self",)).filter(pk=round_.pk).order_by().first()
    disagreements = list(
        Reply.objects.filter(round=round_, disagrees=True)
        .select_related("score__criterion")
        .order_by("score__criterion__position")
    )
    now = timezone.now()
    round_.sent_at, round_.sent_by = now, by
    fields = ["sent_at", "sent_by"]
    new = Status.REPLIED if disagreements else Status.APPRAISED
    if not disagreements:
        round_.closed_at = now
        fields.append("closed_at")
    round_.save(update_fields=fields)
    assessment.status = new
    assessment.save(update_fields=["status", "updated_at"])
    _bump(assessment)
    codes = [reply.score.criterion.code for reply in disagreements]
    record_event(
        assessment, by=by, action="reply_sent", field_name="status",
        old=Status.PROVISIONAL, new=new,
        reason="Không đồng ý: " + ", ".join(codes) if codes else "Đồng ý toàn bộ kết quả dự kiến",
        detail={"round": round_.number, "disagreements": codes},
    )
    notices.after_commit(notices.reply_received, assessment.pk, round_.pk)
    return round_


# --- the appraisal team's answers ---------------------------------------------------------


@transaction.atomic
def answer_reply(
    reply: Reply, *, accept: bool, note: str, value=None, version: int, by
) -> Reply:
    """Answer one disagreement: accept it (the appraised score becomes `value`, through the
    same audited write as appraise_score, with `note` as the appraisal note) or keep the score
    (`note` the reason). Once every disagreement of the round is answered the assessment is
    `appraised` again. `version`: the reply's version the page showed (ReplyConflict if it
    changed). Refused unless the assessment is `replied` and the reply was sent and not yet
    answered.
    """
    score = locked_score(reply.score)
    assessment = score.assessment
    reply = (
        Reply.objects.select_for_update(of=("self",))
        .select_related("round")
        .get(pk=reply.pk, score_id=score.pk)
    )
    code = score.criterion.code
    if assessment.period.is_published or assessment.status != Status.REPLIED:
        raise WorkflowError(
            f"Hồ sơ đang “{assessment.get_status_display()}”; không có ý kiến nào chờ trả lời."
        )
    if assessment.locked:
        raise WorkflowError("Hồ sơ đang bị khóa chỉnh sửa; hãy mở khóa trước.")
    if reply.round.number != assessment.reply_round or reply.round.sent_at is None:
        raise WorkflowError(f"Tiêu chí {code}: ý kiến này không thuộc lần phản hồi đang mở.")
    if not reply.disagrees:
        raise WorkflowError(f"Tiêu chí {code}: đơn vị đồng ý, không cần trả lời.")
    if reply.answer:
        raise ReplyConflict(
            f"Tiêu chí {code}: ý kiến này đã được trả lời ({reply.get_answer_display().lower()})."
        )
    if reply.version != int(version):
        raise ReplyConflict(f"Tiêu chí {code}: ý kiến vừa thay đổi; hãy tải lại trang.")
    note = (note or "").strip()
    if not note:
        raise WorkflowError(
            f"Tiêu chí {code}: hãy ghi giải trình của tổ thẩm định"
            f"{' (lý do giữ nguyên điểm)' if not accept else ''}."
        )
    if accept:
        if value is None or str(value).strip() == "":
            raise WorkflowError(f"Tiêu chí {code}: chấp nhận ý kiến thì cần nhập điểm mới.")
        write_appraisal(score, value=value, note=note, by=by, reason="Chấp nhận ý kiến của đơn vị")
        reply.appraised_after = score.appraised_score
    reply.answer = Reply.Answer.ACCEPTED if accept else Reply.Answer.KEPT
    reply.answer_note = note
    reply.answered_by, reply.answered_at = by, timezone.now()
    reply.version += 1
    reply.updated_by = by
    reply.save()
    record_event(
        assessment, by=by, action="reply_answered", criterion=score.criterion,
        field_name="reply", old=reply.explanation, new=reply.get_answer_display(), reason=note,
        detail={
            "round": reply.round.number,
            "answer": reply.answer,
            "score": None if reply.appraised_after is None else str(reply.appraised_after),
        },
    )
    waiting = Reply.objects.filter(round_id=reply.round_id, disagrees=True, answer="").exists()
    if not waiting:
        ReplyRound.objects.filter(pk=reply.round_id).update(closed_at=timezone.now())
        assessment.status = Status.APPRAISED
        assessment.save(update_fields=["status", "updated_at"])
        record_event(
            assessment, by=by, action="reply_round_closed", field_name="status",
            old=Status.REPLIED, new=Status.APPRAISED, detail={"round": reply.round.number},
        )
        notices.after_commit(notices.replies_answered, assessment.pk, reply.round_id)
    _bump(assessment)
    return reply


# --- the deadline -------------------------------------------------------------------------


def settle_silent_rounds(period: Period, *, today=None) -> int:
    """Silence at the deadline is agreement: every `provisional` assessment of the period whose
    reply deadline has passed goes back to `appraised` (audited, by no one). Call inside the
    transaction that holds the period (publishing). Returns how many."""
    today = today or timezone.localdate()
    if period.reply_due is None or period.reply_due >= today:
        return 0
    ids = list(
        Assessment.objects.filter(period_id=period.pk, status=Status.PROVISIONAL).values_list(
            "pk", flat=True
        )
    )
    if not ids:
        return 0
    record_status_events(
        f"id IN ({', '.join(['%s'] * len(ids))})", ids, user=None, action="reply_silence",
        new=Status.APPRAISED.value,
        reason=f"Hết hạn phản hồi ({rules.format_date(period.reply_due)}) mà đơn vị không gửi "
        "ý kiến: coi như đồng ý.",
    )
    now = timezone.now()
    ReplyRound.objects.filter(assessment_id__in=ids, closed_at__isnull=True).update(closed_at=now)
    Assessment.objects.filter(pk__in=ids).update(
        status=Status.APPRAISED, version=F("version") + 1, updated_at=now
    )
    return len(ids)


@transaction.atomic
def settle_overdue_rounds(on: datetime.date | None = None) -> int:
    """The daily run's side of settle_silent_rounds (the one rule): close, as agreement, every
    reply round still open after its period's deadline on `on` (default today; never later
    than today, so a run for a future date closes nothing early). Each such period is locked
    as publishing locks it (FOR UPDATE, excluding a reply being sent meanwhile), then settled.
    Idempotent: a second run finds nothing open. Returns how many assessments were settled;
    queries: one for the periods, plus a fixed few per period settled, whatever the number of
    communes."""
    today = timezone.localdate()
    on = min(on or today, today)
    open_rounds = Assessment.objects.filter(period_id=OuterRef("pk"), status=Status.PROVISIONAL)
    periods = (
        Period.objects.select_for_update()
        .filter(Exists(open_rounds), reply_due__lt=on)
        .exclude(status=Period.Status.PUBLISHED)
        .order_by("pk")
    )
    return sum(settle_silent_rounds(period, today=on) for period in periods)


def draft_disagreement(score: Score) -> Reply:
    """The commune's saved, not yet sent, disagreement on this criterion in the open round:
    what new evidence is sent with (evidence.services). Refuses (WorkflowError) otherwise."""
    round_ = _open_round(score.assessment)
    reply = Reply.objects.filter(round=round_, score_id=score.pk, disagrees=True).first()
    if reply is None:
        raise WorkflowError(
            f"Tiêu chí {score.criterion.code}: chọn “Không đồng ý” và lưu ý kiến trước khi gửi "
            "kèm tài liệu mới."
        )
    return reply
