"""Appraisal (thẩm định, docs/design.md §4): the appraising unit reviews every score, returns named
criteria for more evidence, marks the assessment appraised, reopens, locks.

Every function here is one transition: the acting user by keyword, one transaction, audited
inside it. Refusals raise WorkflowError with a Vietnamese message that says why.

Return rounds ("lần yêu cầu bổ sung") are kept in the append-only audit log, not in a table of
their own: the `returned` event stores the round number, the request per criterion and a
snapshot of each returned criterion as the commune had it; the `review_started` event that
follows the resubmission stores the snapshot after it. `review_rounds` reads them back as
old → new per criterion. Nothing can change or delete a round once written.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .. import notices, rules
from ..audit import record_changes, record_event
from ..models import Assessment, AuditEvent, Method, NaPolicy, Score
from ..permissions import APPRAISABLE_STATES, not_submitted_closed_reason
from . import WorkflowError, ensure_editable, locked_assessment, locked_score, share_periods
from .self_assessment import ConflictError

Status = Assessment.Status

# The states in which an appraiser works on the scores.
REVIEWABLE = APPRAISABLE_STATES


# --- helpers ------------------------------------------------------------------------------


def _bump(assessment: Assessment) -> None:
    """Bump the assessment's optimistic-lock version: one UPDATE adding 1 in the database (no
    concurrent bump is lost), the instance kept in step without re-reading it.

    The instance must hold the stored version: read under a lock in this transaction
    (locked_assessment) and not bumped through another instance since.
    """
    Assessment.objects.filter(pk=assessment.pk).update(version=F("version") + 1)
    assessment.version += 1


def _refuse_if_closed(assessment: Assessment) -> None:
    ensure_editable(assessment)
    if assessment.locked:
        raise WorkflowError("Hồ sơ đang bị khóa chỉnh sửa; hãy mở khóa trước.")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Vui lòng nêu lý do.")
    return reason


def differs(score: Score) -> bool:
    """Does the appraised score differ from the self score (then a note is required)?

    Imported criteria (survey, SIPAS, computed) have no self score to differ from.
    """
    if score.criterion.method != Method.SELF_ASSESSED:
        return False
    return score.appraised_score is not None and score.appraised_score != score.self_score


def _shown(value):
    """Audit text of a value: booleans as "có"/"không", the rest as record_event writes it."""
    if isinstance(value, bool):
        return "có" if value else "không"
    return value


def _name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


# --- start, appraise ----------------------------------------------------------------------


@transaction.atomic
def start_review(assessment: Assessment, *, by) -> Assessment:
    """Claim a submitted assessment: `submitted` → `under_review`, the appraiser its assignee.

    On an assessment already under review it only takes over the assignment. When the
    submission answers a return, the state of the returned criteria is recorded (the "new"
    side of the round). Refuses any other state.
    """
    assessment = locked_assessment(assessment)
    _refuse_if_closed(assessment)
    if assessment.status == Status.UNDER_REVIEW:
        if assessment.assignee_id != by.pk:
            old = _name(assessment.assignee)
            assessment.assignee = by
            assessment.save(update_fields=["assignee", "updated_at"])
            _bump(assessment)
            record_event(
                assessment, by=by, action="assignee_changed", field_name="assignee",
                old=old, new=_name(by),
            )
        return assessment
    if assessment.status != Status.SUBMITTED:
        raise WorkflowError(
            f"Chỉ nhận thẩm định được hồ sơ đã nộp (hồ sơ đang “{assessment.get_status_display()}”)."
        )
    detail = {}
    open_round = _open_round(assessment)
    if open_round is not None:
        codes = list(open_round.detail.get("items", {}))
        detail = {
            "round": open_round.detail["round"],
            "resubmitted_at": assessment.submitted_at.isoformat() if assessment.submitted_at else "",
            "after": _snapshot(assessment, codes),
        }
    assessment.status = Status.UNDER_REVIEW
    assessment.assignee = by
    assessment.save(update_fields=["status", "assignee", "updated_at"])
    _bump(assessment)
    record_event(
        assessment, by=by, action="review_started", field_name="status",
        old=Status.SUBMITTED, new=Status.UNDER_REVIEW, detail=detail,
    )
    return assessment


NOT_SUBMITTED_NOTE = "Xã không nộp hồ sơ tự đánh giá; tiêu chí chưa được chấm tính 0 điểm."


@transaction.atomic
def open_not_submitted(assessment: Assessment, *, by, reason: str = "", today=None) -> Assessment:
    """Open a commune that never submitted, after the self-assessment deadline, to appraise it
    as it stands ("không nộp hồ sơ"): `draft` → `under_review`, `not_submitted` set, the
    appraiser its assignee, audited with the reason. Marking it appraised then counts every
    self-assessed criterion the team did not score as 0 (mark_appraised).

    Refuses (permissions.not_submitted_closed_reason) before the deadline or while the
    self-assessment is reopened, a handed-in, locked or published assessment.
    """
    assessment = locked_assessment(assessment)
    refused = not_submitted_closed_reason(assessment, today)
    if refused:
        raise WorkflowError(refused)
    assessment.status = Status.UNDER_REVIEW
    assessment.not_submitted = True
    assessment.assignee = by
    assessment.save(update_fields=["status", "not_submitted", "assignee", "updated_at"])
    _bump(assessment)
    record_event(
        assessment, by=by, action="not_submitted_appraisal", field_name="status",
        old=Status.DRAFT, new=Status.UNDER_REVIEW,
        reason=(reason or "").strip() or "Xã không nộp hồ sơ tự đánh giá đúng hạn.",
    )
    return assessment


def _zero_unscored(assessment: Assessment, *, by) -> int:
    """A not-submitted assessment's self-assessed leaves without an appraised score get 0 with
    NOT_SUBMITTED_NOTE, each audited; under the assessment's lock. Returns how many."""
    unscored = [
        score
        for score in assessment.scores.select_for_update(of=("self",))
        .select_related("criterion")
        .order_by("pk")
        if score.appraised_score is None
        and score.criterion.method == Method.SELF_ASSESSED
        and not (score.not_applicable and score.not_applicable_confirmed)
    ]
    if not unscored:
        return 0
    Score.objects.filter(pk__in=[score.pk for score in unscored]).update(
        appraised_score=Decimal(0),
        appraisal_note=NOT_SUBMITTED_NOTE,
        version=F("version") + 1,
        updated_by=by,
        updated_at=timezone.now(),
    )
    for score in unscored:
        record_event(
            assessment, by=by, action="appraised_score", criterion=score.criterion,
            field_name="appraised_score", old=None, new=Decimal(0), reason=NOT_SUBMITTED_NOTE,
        )
    return len(unscored)


def _check_appraisable(assessment: Assessment, score: Score) -> None:
    _refuse_if_closed(assessment)
    if assessment.status not in REVIEWABLE:
        raise WorkflowError(
            f"Hồ sơ đang “{assessment.get_status_display()}”; chỉ chấm điểm thẩm định khi hồ sơ "
            "đã nộp hoặc đang thẩm định."
        )
    if score.criterion.method != Method.SELF_ASSESSED:
        raise WorkflowError(
            f"Tiêu chí {score.criterion.code} lấy điểm từ tệp số liệu "
            f"({score.criterion.get_method_display()}); hãy nhập tệp thay vì gõ điểm."
        )


@transaction.atomic
def appraise_score(
    score: Score,
    *,
    value: str | Decimal | None,
    note: str,
    version: int,
    by,
    confirm_not_applicable: bool = False,
) -> Score:
    """Set the appraised score and note of one leaf criterion; returns the stored score.

    `value` accepts "11,84" or "11.84" and must lie in [0, max]; a value different from the
    self score needs a note. `version` is the score's version the appraiser saw: if the score
    was saved since with other values, ConflictError carries what is stored (nothing is
    overwritten). With
    `confirm_not_applicable` the appraiser accepts the commune's "không áp dụng" claim instead
    (the criterion then leaves the maximum, or gives full points, by its na_policy).
    Claims a submitted assessment first (start_review).

    The assessment is locked first, then the score row (the order of every workflow step, so
    two never wait on each other): the version is compared and the old values for the audit
    read on the locked row, and a racing save of the same criterion waits for this one, then
    finds a new version.
    """
    score = locked_score(score)
    assessment = score.assessment
    _check_appraisable(assessment, score)
    if score.version != int(version):
        # Same convention as the self-assessment: the same values are no conflict.
        old = _appraisal_values(score)
        _apply(score, value, note, confirm_not_applicable)
        if _appraisal_values(score) == old:
            return score
        raise ConflictError(
            Score.objects.select_related("criterion", "updated_by").get(pk=score.pk)
        )
    if assessment.status == Status.SUBMITTED:
        old = _appraisal_values(score)
        _apply(score, value, note, confirm_not_applicable)
        if _appraisal_values(score) == old:
            return score
        for name, value_before in old.items():
            setattr(score, name, value_before)
        # start_review bumps its own locked copy; carry on with that one, whose version is stored.
        assessment = score.assessment = start_review(assessment, by=by)
    return write_appraisal(
        score, value=value, note=note, by=by, confirm_not_applicable=confirm_not_applicable
    )


_APPRAISAL_FIELDS = ("appraised_score", "appraisal_note", "not_applicable_confirmed")


def _appraisal_values(score: Score) -> dict:
    return {name: getattr(score, name) for name in _APPRAISAL_FIELDS}


def _apply(score: Score, value, note: str, confirm_not_applicable: bool) -> None:
    """Put the new appraised score and note on `score` (not saved), or refuse
    (WorkflowError): the value must lie in [0, max]; a value differing from the self score
    needs a note."""
    note = (note or "").strip()
    if confirm_not_applicable:
        if not score.not_applicable:
            raise WorkflowError(
                f"Tiêu chí {score.criterion.code}: xã không đề nghị “không áp dụng”."
            )
        if score.criterion.na_policy == NaPolicy.NONE:
            raise WorkflowError(
                f"Tiêu chí {score.criterion.code} không được áp dụng “không áp dụng”."
            )
        score.not_applicable_confirmed = True
        score.appraised_score = (
            score.criterion.max_points if score.criterion.na_policy == NaPolicy.FULL else None
        )
    else:
        if value is None or str(value).strip() == "":
            raise WorkflowError(f"Tiêu chí {score.criterion.code}: chưa nhập điểm thẩm định.")
        try:
            parsed = rules.parse_decimal(value)
            rules.check_score(parsed, score.criterion.max_points, criterion=score.criterion.code)
        except rules.RuleError as error:
            raise WorkflowError(str(error)) from None
        score.not_applicable_confirmed = False
        score.appraised_score = parsed
        if differs(score) and not note:
            raise WorkflowError(
                f"Tiêu chí {score.criterion.code}: điểm thẩm định "
                f"{rules.format_score(parsed)} khác điểm tự chấm "
                f"{rules.format_score(score.self_score) or '(trống)'}; vui lòng ghi lý do."
            )
    score.appraisal_note = note


def write_appraisal(
    score: Score, *, value, note: str, by, confirm_not_applicable: bool = False, reason: str = ""
) -> Score:
    """The one audited write of an appraised score and note, on a score locked in this
    transaction (locked_score; its `assessment` the locked one): checks the value (_apply),
    saves it with a new version, bumps the assessment's version and audits each changed
    field (old → new, `reason`). Callers check the workflow state first: appraise_score
    (during the appraisal), replies.answer_reply (accepting a commune's reply)."""
    assessment = score.assessment
    old = _appraisal_values(score)
    _apply(score, value, note, confirm_not_applicable)
    new = _appraisal_values(score)
    if new == old:
        return score
    score.version += 1
    score.updated_by = by
    score.save(update_fields=[*_APPRAISAL_FIELDS, "version", "updated_by", "updated_at"])
    _bump(assessment)
    record_changes(
        assessment, by=by, action="appraised_score", criterion=score.criterion, reason=reason,
        changes=[
            (name, _shown(old[name]), _shown(new[name])) for name in new if new[name] != old[name]
        ],
    )
    return score


@transaction.atomic
def accept_self_scores(assessment: Assessment, *, by) -> int:
    """Take the self score as appraised for every self-assessed leaf not yet appraised.

    Returns how many scores were set (each audited). Criteria claimed "không áp dụng" and
    criteria without a self score are left for the appraiser.
    """
    assessment = locked_assessment(assessment)
    _refuse_if_closed(assessment)
    if assessment.status not in REVIEWABLE:
        raise WorkflowError("Chỉ chấm điểm thẩm định khi hồ sơ đã nộp hoặc đang thẩm định.")
    if assessment.status == Status.SUBMITTED:
        assessment = start_review(assessment, by=by)
    scores = list(
        assessment.scores.select_for_update(of=("self",))
        .select_related("criterion")
        .filter(
            appraised_score__isnull=True,
            self_score__isnull=False,
            not_applicable=False,
            criterion__method=Method.SELF_ASSESSED,
        )
    )
    for score in scores:
        score.appraised_score = score.self_score
        score.version += 1
        score.updated_by = by
        record_event(
            assessment, by=by, action="appraised_score", criterion=score.criterion,
            field_name="appraised_score", old=None, new=score.appraised_score,
            reason="Chấp nhận điểm tự chấm",
        )
    Score.objects.bulk_update(scores, ["appraised_score", "version", "updated_by"])
    if scores:
        _bump(assessment)
    return len(scores)


# --- return for revision ------------------------------------------------------------------


def _evidence_of(scores: Iterable[Score]) -> dict[int, list[dict]]:
    # Through Score's reverse relation: the evidence app builds on this one, not the reverse.
    listed: dict[int, list[dict]] = {score.pk: [] for score in scores}
    links = Score.evidence.through.objects.filter(score_id__in=listed).select_related("evidence")
    for link in links.order_by("evidence__uploaded_at", "evidence_id"):
        listed[link.score_id].append({"id": link.evidence_id, "name": str(link.evidence)})
    return listed


def _snapshot(assessment: Assessment, codes: Iterable[str]) -> dict[str, dict]:
    """The commune's side of the given criteria now: score, explanation, N/A claim, evidence."""
    scores = list(
        assessment.scores.filter(criterion__code__in=list(codes)).select_related("criterion")
    )
    evidence = _evidence_of(scores)
    return {
        score.criterion.code: {
            "self_score": None if score.self_score is None else str(score.self_score),
            "self_note": score.self_note,
            "not_applicable": score.not_applicable,
            "evidence": evidence[score.pk],
        }
        for score in scores
    }


def _returned_events(assessment: Assessment):
    return AuditEvent.objects.filter(assessment=assessment, action="returned").order_by("at", "id")


def _open_round(assessment: Assessment) -> AuditEvent | None:
    """The last `returned` event whose resubmission has not been taken up for review yet."""
    last = _returned_events(assessment).last()
    if last is None:
        return None
    closed = AuditEvent.objects.filter(
        assessment=assessment, action="review_started", detail__round=last.detail.get("round")
    ).exists()
    return None if closed else last


@transaction.atomic
def return_criteria(assessment: Assessment, requests: Mapping[int, str], *, by) -> int:
    """Return the assessment for more evidence on the named criteria only.

    `requests` maps a criterion id to the request text (yêu cầu bổ sung, giải trình); every
    text is required. The commune then edits exactly those criteria (Score.revision_request);
    requests of an earlier round are cleared, the appraised score of a returned criterion is
    cleared so that it is appraised again. Returns the round number.
    """
    assessment = locked_assessment(assessment)
    _refuse_if_closed(assessment)
    if assessment.status not in REVIEWABLE:
        raise WorkflowError("Chỉ trả lại được hồ sơ đã nộp hoặc đang thẩm định.")
    texts = {int(pk): (text or "").strip() for pk, text in requests.items()}
    if not texts:
        raise WorkflowError("Chọn ít nhất một tiêu chí cần bổ sung.")
    scores = {
        score.criterion_id: score
        for score in assessment.scores.select_for_update(of=("self",))
        .select_related("criterion")
        .filter(criterion_id__in=list(texts))
    }
    errors = [f"Tiêu chí #{pk} không thuộc hồ sơ này." for pk in texts if pk not in scores]
    for pk, text in texts.items():
        if pk in scores:
            criterion = scores[pk].criterion
            if criterion.method != Method.SELF_ASSESSED:
                errors.append(f"Tiêu chí {criterion.code} lấy điểm từ tệp số liệu, không trả lại xã.")
            elif not text:
                errors.append(f"Tiêu chí {criterion.code}: vui lòng ghi nội dung yêu cầu bổ sung.")
    if errors:
        raise WorkflowError(" ".join(errors))
    if assessment.status == Status.SUBMITTED:
        assessment = start_review(assessment, by=by)
    number = _returned_events(assessment).count() + 1
    ordered = sorted(scores.values(), key=lambda s: s.criterion.position)
    before = _snapshot(assessment, [s.criterion.code for s in ordered])
    items = {}
    # Its own columns only, and a new version: a save read before this return is refused.
    assessment.scores.exclude(criterion_id__in=list(texts)).exclude(revision_request="").update(
        revision_request="", version=F("version") + 1
    )
    cleared = []
    for score in ordered:
        code = score.criterion.code
        items[code] = {"request": texts[score.criterion_id], **before[code]}
        if score.appraised_score is not None:
            cleared.append((score.criterion, score.appraised_score))
        score.revision_request = texts[score.criterion_id]
        score.appraised_score = None
        score.not_applicable_confirmed = False
        score.version += 1
        score.updated_by = by
    Score.objects.bulk_update(
        ordered,
        ["revision_request", "appraised_score", "not_applicable_confirmed", "version", "updated_by"],
    )
    assessment.status = Status.RETURNED
    assessment.save(update_fields=["status", "updated_at"])
    _bump(assessment)
    record_event(
        assessment, by=by, action="returned", field_name="status",
        old=Status.UNDER_REVIEW, new=Status.RETURNED,
        reason="; ".join(f"{code}: {item['request']}" for code, item in items.items()),
        detail={"round": number, "items": items},
    )
    for score in ordered:
        record_event(
            assessment, by=by, action="revision_requested", criterion=score.criterion,
            field_name="revision_request", new=score.revision_request, detail={"round": number},
        )
    # Kept apart from the `returned` event, which the commune reads (selectors.events_for_commune).
    for criterion, old in cleared:
        record_event(
            assessment, by=by, action="appraised_score", criterion=criterion,
            field_name="appraised_score", old=old, new=None,
            reason=f"Trả lại để bổ sung (lần {number}); thẩm định lại sau khi xã nộp lại.",
        )
    notices.after_commit(notices.assessment_returned, assessment.pk, number)
    return number


@dataclass
class RoundItem:
    """One returned criterion of a round: what was asked, and old → new on the commune's side."""

    code: str
    request: str
    old_score: str
    new_score: str | None  # None: not resubmitted yet
    old_note: str
    new_note: str | None
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    kept: list[dict] = field(default_factory=list)

    @property
    def score_changed(self) -> bool:
        return self.new_score is not None and self.new_score != self.old_score

    @property
    def note_changed(self) -> bool:
        return self.new_note is not None and self.new_note != self.old_note


@dataclass
class Round:
    number: int
    returned_at: datetime.datetime
    returned_by: str
    resubmitted_at: datetime.datetime | None
    items: list[RoundItem]

    @property
    def answered(self) -> bool:
        return all(item.new_score is not None for item in self.items)


def _text_score(raw: str | None) -> str:
    return rules.format_score(Decimal(raw)) if raw not in (None, "") else ""


def round_items(before: Mapping[str, dict], after: Mapping[str, dict] | None) -> list[RoundItem]:
    """Pure: old → new per returned criterion from two snapshots (after None: not back yet)."""
    items = []
    for code, old in before.items():
        new = (after or {}).get(code) if after is not None else None
        old_ids = {e["id"]: e for e in old.get("evidence", [])}
        new_ids = {e["id"]: e for e in (new or {}).get("evidence", [])}
        items.append(
            RoundItem(
                code=code,
                request=old.get("request", ""),
                old_score=_text_score(old.get("self_score")),
                new_score=None if new is None else _text_score(new.get("self_score")),
                old_note=old.get("self_note", ""),
                new_note=None if new is None else new.get("self_note", ""),
                added=[e for i, e in new_ids.items() if i not in old_ids] if new else [],
                removed=[e for i, e in old_ids.items() if i not in new_ids] if new else [],
                kept=[e for i, e in old_ids.items() if i in new_ids] if new else [],
            )
        )
    return items


def review_rounds(assessment: Assessment) -> list[Round]:
    """Every return round of the assessment, oldest first, with old → new per criterion.

    A round whose resubmission is not yet taken up for review compares with the live state
    once the commune has resubmitted; while the assessment is still `returned` its "new" side
    is empty.
    """
    events = list(
        AuditEvent.objects.filter(
            assessment=assessment, action__in=["returned", "review_started"]
        ).select_related("user").order_by("at", "id")
    )
    closing = {
        e.detail.get("round"): e for e in events if e.action == "review_started" and e.detail
    }
    returned = [e for e in events if e.action == "returned"]
    rounds = []
    for event in returned:
        number = event.detail.get("round")
        before = event.detail.get("items", {})
        close = closing.get(number)
        if close is not None:
            after = close.detail.get("after", {})
            resubmitted = close.detail.get("resubmitted_at") or None
            resubmitted = datetime.datetime.fromisoformat(resubmitted) if resubmitted else close.at
        elif event is returned[-1] and assessment.status == Status.SUBMITTED:
            after, resubmitted = _snapshot(assessment, before), assessment.submitted_at
        else:
            after, resubmitted = None, None
        rounds.append(
            Round(
                number=number,
                returned_at=event.at,
                returned_by=_name(event.user),
                resubmitted_at=resubmitted,
                items=round_items(before, after),
            )
        )
    return rounds


# --- finish, reopen, lock -----------------------------------------------------------------


def missing_appraisal(scores: Iterable[Score]) -> list[str]:
    """Codes of leaves without an appraised score, or whose differing score lacks a note."""
    problems = []
    for score in scores:
        if score.not_applicable and score.not_applicable_confirmed:
            continue
        if score.appraised_score is None and score.criterion.method != Method.SELF_ASSESSED:
            problems.append(f"{score.criterion.code} (chưa nhập số liệu từ tệp)")
        elif score.appraised_score is None:
            problems.append(f"{score.criterion.code} (chưa có điểm thẩm định)")
        elif differs(score) and not score.appraisal_note.strip():
            problems.append(f"{score.criterion.code} (thiếu lý do điểm khác điểm tự chấm)")
    return problems


@transaction.atomic
def mark_appraised(assessment: Assessment, *, by) -> Assessment:
    """`under_review` → `appraised` once every applicable leaf has its appraised score
    (a `submitted` one is claimed first; on a not-submitted one, "không nộp hồ sơ", the
    self-assessed leaves the team did not score get 0 first).

    Refuses, naming each criterion, while a leaf lacks an appraised score (or a confirmed
    "không áp dụng") or a score differing from the self score lacks its note.
    """
    assessment = locked_assessment(assessment)
    _refuse_if_closed(assessment)
    if assessment.status not in REVIEWABLE:
        raise WorkflowError(
            f"Chỉ hoàn thành thẩm định được hồ sơ đang thẩm định "
            f"(hồ sơ đang “{assessment.get_status_display()}”)."
        )
    if assessment.status == Status.SUBMITTED:
        assessment = start_review(assessment, by=by)
    if assessment.not_submitted:
        _zero_unscored(assessment, by=by)
    scores = assessment.scores.select_related("criterion").order_by("criterion__position")
    problems = missing_appraisal(scores)
    if problems:
        raise WorkflowError("Chưa hoàn thành thẩm định các tiêu chí: " + "; ".join(problems) + ".")
    assessment.status = Status.APPRAISED
    assessment.appraised_at = timezone.now()
    assessment.save(update_fields=["status", "appraised_at", "updated_at"])
    _bump(assessment)
    record_event(
        assessment, by=by, action="appraised", field_name="status",
        old=Status.UNDER_REVIEW, new=Status.APPRAISED,
    )
    return assessment


def _reopen_one(assessment: Assessment, *, reason: str, by, until, today) -> str:
    """Reopen one locked-for-update assessment; returns what was done, or raises."""
    if assessment.period.is_published or assessment.status == Status.PUBLISHED:
        raise WorkflowError("kết quả đã công bố")
    detail = {}
    if assessment.locked:
        assessment.locked = False
        detail["unlocked"] = True
    if assessment.status == Status.APPRAISED:
        old, new = assessment.status, Status.UNDER_REVIEW
        assessment.status = new
        assessment.appraised_at = None
        assessment.save(update_fields=["status", "appraised_at", "locked", "updated_at"])
        record_event(
            assessment, by=by, action="reopened", field_name="status", old=old, new=new,
            reason=reason, detail=detail,
        )
        return "appraisal"
    if assessment.status in (Status.DRAFT, Status.RETURNED):
        if until is None:
            raise WorkflowError("cần ngày mở lại đến")
        if until < today:
            raise WorkflowError("ngày mở lại đến đã qua")
        old = rules.format_date(assessment.reopened_until)
        assessment.reopened_until = until
        assessment.save(update_fields=["reopened_until", "locked", "updated_at"])
        record_event(
            assessment, by=by, action="reopened", field_name="reopened_until",
            old=old, new=rules.format_date(until), reason=reason, detail=detail,
        )
        return "self_assessment"
    if assessment.status in (Status.PROVISIONAL, Status.REPLIED):
        raise WorkflowError(
            f"hồ sơ đang “{assessment.get_status_display()}”: vòng phản hồi kết quả dự kiến kết "
            "thúc khi đơn vị gửi ý kiến (hoặc hết hạn) và tổ thẩm định trả lời mọi ý kiến"
        )
    raise WorkflowError(
        f"hồ sơ đang “{assessment.get_status_display()}”; nếu cần xã bổ sung, hãy trả lại tiêu chí"
    )


def _locked_in_pk_order(pks: list[int], *related: str) -> list[Assessment]:
    """These assessments locked in the order of every write (share_periods: the periods
    shared, then the assessments by id, as the imports lock them), so a bulk step racing a
    multi-commune import never deadlocks; returned by commune code, the order its refusals
    and audit events are listed in."""
    share_periods(pks)
    rows = list(
        Assessment.objects.select_for_update(no_key=True, of=("self",))
        .select_related(*related)
        .filter(pk__in=pks)
        .order_by("pk")
    )
    return sorted(rows, key=lambda assessment: assessment.commune.code)


@transaction.atomic
def reopen_assessments(
    assessments: Iterable[Assessment],
    *,
    reason: str,
    by,
    until: datetime.date | None = None,
) -> int:
    """Reopen each assessment, all or none; returns how many.

    An `appraised` one goes back to `under_review`; a `draft` or `returned` one may be edited
    by its commune until `until` (Assessment.reopened_until, after the deadline). A lock is
    lifted. Submitted and under-review assessments are refused (return criteria instead).
    Every refusal is listed, naming the commune, and nothing is written.
    """
    reason = _reason(reason)
    today = timezone.localdate()
    errors = []
    pks = [a.pk for a in assessments]
    for assessment in _locked_in_pk_order(pks, "period__unit", "commune"):
        try:
            _reopen_one(assessment, reason=reason, by=by, until=until, today=today)
        except WorkflowError as error:
            errors.append(f"{assessment.commune.name}: {error}")
            continue
        _bump(assessment)
    if errors:
        transaction.set_rollback(True)
        raise WorkflowError("Không mở lại được: " + "; ".join(errors) + ".")
    return len(pks)


def reopen_assessment(assessment: Assessment, *, reason: str, by, until=None) -> Assessment:
    """Reopen one assessment (see reopen_assessments); returns it as stored now."""
    reopen_assessments([assessment], reason=reason, by=by, until=until)
    assessment.refresh_from_db()
    return assessment


_LOCK_TEXT = {True: "khóa", False: "mở"}


@transaction.atomic
def set_locked(assessments: Iterable[Assessment], locked: bool, *, reason: str, by) -> int:
    """Lock (or unlock) each assessment against every change, with a reason; returns how many
    changed. Already locked (unlocked) ones are left alone; refused after publication."""
    reason = _reason(reason)
    pks = [a.pk for a in assessments]
    changed = 0
    for assessment in _locked_in_pk_order(pks, "period", "commune"):
        ensure_editable(assessment)
        if assessment.locked == locked:
            continue
        assessment.locked = locked
        assessment.save(update_fields=["locked", "updated_at"])
        _bump(assessment)
        record_event(
            assessment, by=by, action="locked" if locked else "unlocked", field_name="locked",
            old=_LOCK_TEXT[not locked], new=_LOCK_TEXT[locked], reason=reason,
        )
        changed += 1
    return changed


def lock_assessment(assessment: Assessment, *, reason: str, by) -> int:
    return set_locked([assessment], True, reason=reason, by=by)


def unlock_assessment(assessment: Assessment, *, reason: str, by) -> int:
    return set_locked([assessment], False, reason=reason, by=by)
