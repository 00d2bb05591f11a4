"""The commune's self-assessment: saving a criterion, submitting, withdrawing (docs/design.md §4).

Every write checks the workflow state itself (never trusting the page), runs in one
transaction and writes one audit event per changed field, old → new, so the appraising unit
can show what changed after a return.
"""

from __future__ import annotations

import functools
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from .. import notices, selectors
from ..audit import record_changes, record_event
from ..models import Assessment, Score
from ..permissions import (
    SELF_EDITABLE_STATES,
    score_closed_reason,
    self_assessment_closed_reason,
    withdraw_target,
)
from . import WorkflowError, locked_assessment

# The fields a commune writes on a Score, in the order the history shows them.
SELF_FIELDS = ("self_score", "self_note", "not_applicable", "not_applicable_reason")


class ConflictError(WorkflowError):
    """Someone saved the criterion since the page was loaded; `current` is what is stored."""

    def __init__(self, current: Score):
        self.current = current
        who = "người khác"
        if current.updated_by is not None:
            who = current.updated_by.get_full_name() or current.updated_by.username
        super().__init__(
            f"Tiêu chí {current.criterion.code} vừa được {who} lưu với giá trị khác. "
            "Không có gì bị ghi đè: hãy chọn giữ giá trị nào."
        )


class IncompleteError(WorkflowError):
    """Submitting was refused: `gaps` lists every criterion still to complete."""

    def __init__(self, gaps: list[selectors.Gap]):
        self.gaps = gaps
        count = len({gap.code for gap in gaps})
        super().__init__(f"Hồ sơ còn {count} tiêu chí cần hoàn thiện trước khi nộp.")


def _audit_text(name: str, value) -> str | Decimal | None:
    if name == "not_applicable":
        return "có" if value else "không"
    return value


def check_score_editable(assessment: Assessment, score: Score) -> None:
    """Refuse (WorkflowError) a change the workflow does not allow now."""
    reason = score_closed_reason(assessment, score)
    if reason:
        raise WorkflowError(reason)


def save_self_score(
    score: Score,
    *,
    version: int,
    self_score: Decimal | None,
    self_note: str = "",
    not_applicable: bool = False,
    not_applicable_reason: str = "",
    by,
) -> Score:
    """Store one criterion's self score, explanation and "không áp dụng" claim.

    `version` is the Score.version the officer's page was showing. If the criterion was saved
    since then with other values, ConflictError carries the stored score and nothing is
    written; the same values are no conflict. Refuses (WorkflowError) when the workflow does
    not allow the change. Values must already be valid (SelfScoreForm). Returns the score.

    The workflow is checked on the assessment locked for the transaction (a concurrent submit
    or lock waits, or is waited for), and the version on the score row itself: the UPDATE's
    WHERE names only the row's own columns, so PostgreSQL re-checks it against a save that
    committed meanwhile and exactly one of two racing saves matches. Every write to a Score
    adds 1 to its version, so a matching version also proves that `score`'s values are the
    stored ones: they are the audit's old values.
    """
    check_score_editable(score.assessment, score)  # the page's state: refuse early, no lock
    wanted = {
        "self_score": self_score,
        "self_note": self_note,
        "not_applicable": not_applicable,
        "not_applicable_reason": not_applicable_reason,
    }
    changes = {
        name: (getattr(score, name), value)
        for name, value in wanted.items()
        if getattr(score, name) != value
    }
    if not changes:
        return score
    updated = 0
    if score.version == version:
        updated = _write_self_score(score, wanted, changes, by=by)
    if isinstance(updated, str):
        raise WorkflowError(updated)
    if not updated:
        current = Score.objects.select_related("criterion", "updated_by").get(pk=score.pk)
        if any(getattr(current, name) != value for name, value in wanted.items()):
            raise ConflictError(current)
        # Someone saved these very values: nothing is lost; the page takes the stored row.
        for name in (*wanted, "version", "updated_at", "updated_by", "revision_request"):
            setattr(score, name, getattr(current, name))
    return score


def _write_self_score(score: Score, wanted: dict, changes: dict, *, by) -> int | str:
    """UPDATE the score if its version is still score.version, with one audit event per
    changed field; returns 1, 0 when another save came first, or why the workflow refuses
    the change now (nothing written in either case).

    No savepoint, and nothing raised inside: a caller's transaction stays usable.
    """
    now = timezone.now()
    with transaction.atomic(savepoint=False):
        assessment = locked_assessment(score.assessment, related=False)
        reason = score_closed_reason(assessment, score)
        if reason:
            return reason
        updated = _update_if_version(score, [*(wanted[n] for n in SELF_FIELDS), now, by])
        if not updated:
            return 0
        record_changes(
            assessment,
            by=by,
            action="score_changed",
            criterion=score.criterion,
            changes=[
                (name, _audit_text(name, old), _audit_text(name, new))
                for name, (old, new) in changes.items()
            ],
        )
    for name, value in wanted.items():
        setattr(score, name, value)
    score.version += 1
    score.updated_at, score.updated_by = now, by
    return 1


# What a self save writes besides `version` (+ 1), in the order of _update_sql's columns.
_UPDATED = (*SELF_FIELDS, "updated_at", "updated_by")


@functools.cache
def _update_sql(vendor: str) -> str:
    """UPDATE of _UPDATED and version + 1 on one score whose version is still the one read:
    the statement QuerySet.filter(pk, version).update(...) builds, written once per process
    (building and compiling it on every autosave cost more than running it; bench/load.py)."""
    meta, quote = Score._meta, connection.ops.quote_name
    columns = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in _UPDATED)
    version = quote(meta.get_field("version").column)
    return (
        f"UPDATE {quote(meta.db_table)} SET {columns}, {version} = {version} + 1 "
        f"WHERE {quote(meta.pk.column)} = %s AND {version} = %s"
    )


def _update_if_version(score: Score, values: list) -> int:
    """Write `values` (of _UPDATED) to the score if its stored version is score.version;
    returns the rows updated (1, or 0 when another save came first). Each value is prepared
    by its field, as the ORM's update prepares it."""
    fields = [Score._meta.get_field(name) for name in _UPDATED]
    params = [
        field.get_db_prep_save(value.pk if field.is_relation and value is not None else value,
                               connection)
        for field, value in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(_update_sql(connection.vendor), [*params, score.pk, score.version])
        return cursor.rowcount


@transaction.atomic
def submit_assessment(assessment: Assessment, *, by) -> Assessment:
    """Submit (nộp) a draft, or resubmit a returned assessment: it becomes `submitted`.

    Refuses (IncompleteError) while any leaf lacks a score, or has points and requires
    evidence but has neither evidence nor an explanation; refuses (WorkflowError) outside the
    self-assessment window, when locked, or in another state.
    """
    locked = locked_assessment(assessment)
    reason = self_assessment_closed_reason(locked)
    if reason:
        raise WorkflowError(reason)
    scores = selectors.score_states(locked)
    gaps = selectors.progress_of(score.state for score in scores).gaps
    if gaps:
        raise IncompleteError(gaps)
    old = locked.status
    locked.status = Assessment.Status.SUBMITTED
    locked.submitted_at = timezone.now()
    locked.version += 1
    locked.save(update_fields=["status", "submitted_at", "version", "updated_at"])
    record_event(
        locked,
        by=by,
        action="submitted" if old == Assessment.Status.DRAFT else "resubmitted",
        field_name="status",
        old=old,
        new=locked.status,
    )
    if old == Assessment.Status.RETURNED:
        notices.after_commit(notices.assessment_resubmitted, locked.pk, locked.version)
    return locked


@transaction.atomic
def withdraw_assessment(assessment: Assessment, *, by) -> Assessment:
    """Withdraw (rút lại) a submission before the appraisal team opens it.

    It returns to `draft`, or to `returned` when criteria had been returned. Refuses
    (WorkflowError) once under review, when locked, or when the state it would return to is
    closed (a draft after the deadline, not reopened).
    """
    locked = locked_assessment(assessment)
    if locked.status != Assessment.Status.SUBMITTED:
        if locked.status == Assessment.Status.UNDER_REVIEW:
            raise WorkflowError("Tổ thẩm định đã bắt đầu thẩm định; không rút lại được hồ sơ.")
        raise WorkflowError(
            f"Hồ sơ đang ở trạng thái “{locked.get_status_display()}”; "
            "chỉ rút lại được hồ sơ đã nộp."
        )
    target = withdraw_target(locked)
    reason = self_assessment_closed_reason(locked, status=target)
    if reason:
        raise WorkflowError(f"Không rút lại được hồ sơ: {reason}")
    old = locked.status
    locked.status = target
    locked.submitted_at = None
    locked.version += 1
    locked.save(update_fields=["status", "submitted_at", "version", "updated_at"])
    record_event(locked, by=by, action="withdrawn", field_name="status", old=old, new=target)
    return locked
