"""Importing self and appraised scores from a file (docs/design.md §6 ◆ `import_scores`).

The table `commune_code,criterion_code,self_score,appraised_score[,note]` gives, per commune
and leaf criterion, both scores (and the appraisal note). It is how a district loads a year
appraised on paper, and how a national deployment loads its 3,321 communes × 80 criteria.

The whole file is checked first, in one pass with dictionary lookups (a fixed number of
queries whatever its size), with the file's communes' assessments locked until the import
commits; one bad row refuses the file and nothing is written. The scores are then written
with set-based SQL: the rows go into a temporary staging table (COPY on PostgreSQL, one
executemany on SQLite) and ONE `INSERT … SELECT … ON CONFLICT DO UPDATE` moves them into
the scores. The import is audited: one event for the file (who, name, SHA-256), one per
assessment that becomes appraised, and one per stored score it changes (old → new).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from tabular import ErrorList, ImportFailed, RowError, Table

from .. import rules
from ..models import Assessment, AuditEvent, Criterion, Period, Score
from .bulk import copy_rows, record_status_events
from .import_rows import CodeChecks, lock_assessments, record_file_imported

REQUIRED = ("commune_code", "criterion_code", "self_score", "appraised_score")
OPTIONAL = ("note",)
Status = Assessment.Status
STAGING = "cchc_score_import"



# States a file may not write into: published results are frozen; during the reply round the
# appraised scores change only through the team's answers (services/replies.py).
CLOSED = {
    Status.PUBLISHED: "đã công bố kết quả",
    Status.PROVISIONAL: "đang trong vòng phản hồi kết quả dự kiến",
    Status.REPLIED: "đang trong vòng phản hồi kết quả dự kiến",
}

@dataclass(frozen=True)
class ScoreImport:
    """What an import did, for the command's summary."""

    filename: str
    sha256: str
    scores: int
    communes: int
    appraised: int  # assessments that became appraised
    changed: int  # stored scores replaced by a different value

    def summary(self) -> str:
        return (
            f"Đã nhập {self.scores} điểm của {self.communes} đơn vị từ tệp “{self.filename}” "
            f"(SHA-256 {self.sha256[:12]}…); {self.appraised} hồ sơ chuyển sang “Đã thẩm định”, "
            f"{self.changed} điểm đã có được thay bằng giá trị mới."
        )


@dataclass(frozen=True)
class _Commune:
    assessment: int
    name: str
    kind: str
    status: str
    locked: bool


@dataclass(frozen=True)
class _Leaf:
    pk: int
    max_points: Decimal
    applies_to: tuple[str, ...]

    def applies(self, kind: str) -> bool:
        return not self.applies_to or kind in self.applies_to


@transaction.atomic
def import_scores(table: Table, *, period: Period, by=None) -> ScoreImport:
    """Store both scores of every row of `table` and mark those communes' assessments appraised.

    Refuses the whole file (ImportFailed: every problem with its row and column, in
    Vietnamese) for an unknown commune or criterion, a criterion with sub-criteria or not
    applying to the commune, a score that is not a number or lies outside [0, max], a repeated
    (commune, criterion), a locked or published assessment, a commune left with leaves that
    have no appraised score, or a published period. A score from the file replaces a
    confirmed "không áp dụng".

    The communes' assessments are locked before anything is checked or read
    (lock_assessments): a save, a workflow step or another import on them waits, or is
    waited for, so the states checked hold at the write, and each score's old value in the
    log is the new value of the event before it. Every score it changes gets a new version.
    """
    table.require(REQUIRED)
    _refuse_if_published(period)  # as the caller read it: refused before any lock
    current, locked = lock_assessments(period, (row["commune_code"] for row in table.rows))
    _refuse_if_published(current)
    rows, communes = _checked_rows(table, period, locked)
    return _write(table, period, rows, communes, by=by)


def _refuse_if_published(period: Period) -> None:
    if period.is_published:
        raise ImportFailed(
            RowError(
                None,
                None,
                f"Kỳ đánh giá {period.code} đã công bố kết quả; cần mở lại kỳ để điều chỉnh "
                "trước khi nhập điểm.",
            )
        )


# --- checking -----------------------------------------------------------------------------


def _checked_rows(table: Table, period: Period, locked: dict[str, Assessment]):
    """[(assessment id, criterion id, self, appraised, note)], communes in the file; or raise.

    `locked`: the file's communes' assessments, locked (lock_assessments)."""
    communes = {
        code: _Commune(a.pk, a.commune.name, a.commune.kind, a.status, a.locked)
        for code, a in locked.items()
    }
    criteria = list(
        Criterion.objects.filter(criteria_set_id=period.criteria_set_id).values_list(
            "pk", "code", "parent_id", "max_points", "applies_to"
        )
    )
    parents = {parent for _pk, _code, parent, *_ in criteria if parent is not None}
    leaves = {
        code: _Leaf(pk, max_points, tuple(applies_to or ()))
        for pk, code, _parent, max_points, applies_to in criteria
        if pk not in parents
    }
    branches = {code for pk, code, *_ in criteria if pk in parents}
    note = table.has("note")
    errors = ErrorList()  # the first 200 kept, the rest counted
    checks = CodeChecks(period, errors)
    in_file: dict[str, set[str]] = defaultdict(set)
    first_row: dict[str, int] = {}
    parsed: dict = {}  # text → Decimal or RuleError: a file repeats a few values
    checked = []
    for row in table.rows:
        values = row.values
        commune_code, criterion_code = values["commune_code"], values["criterion_code"]
        before = len(errors)
        commune = communes.get(commune_code)
        leaf = leaves.get(criterion_code)
        if checks.commune(row, commune) and (commune.status in CLOSED or commune.locked):
            state = "đang bị khóa" if commune.locked else CLOSED[commune.status]
            errors.append(row.error("commune_code", f"hồ sơ của {commune.name} {state}."))
        if (
            checks.criterion(row, leaf, branch=criterion_code in branches)
            and commune is not None
            and not leaf.applies(commune.kind)
        ):
            checks.not_applicable(row, commune.name)
        checks.once(row)
        scores = [
            _score(row, column, leaf, criterion_code, errors, parsed)
            for column in ("self_score", "appraised_score")
        ]
        if len(errors) > before:
            continue
        in_file[commune_code].add(criterion_code)
        first_row.setdefault(commune_code, row.number)
        checked.append(
            (commune.assessment, leaf.pk, scores[0], scores[1], values["note"] if note else None)
        )
    if not errors:
        errors = _incomplete(in_file, first_row, communes, leaves)
    if errors:
        raise ImportFailed(errors)
    return checked, {code: communes[code] for code in in_file}


def _score(row, column, leaf, code, errors, parsed) -> Decimal | None:
    text = row.values[column]
    if not text:
        errors.append(row.error(column, "chưa có điểm."))
        return None
    if text not in parsed:
        try:
            parsed[text] = rules.parse_decimal(text)
        except rules.RuleError as error:
            parsed[text] = error
    value = parsed[text]
    if isinstance(value, rules.RuleError):
        errors.append(row.error(column, str(value)))
        return None
    if leaf is not None:
        try:
            rules.check_score(value, leaf.max_points, criterion=code)
        except rules.RuleError as error:
            errors.append(row.error(column, str(error)))
            return None
    return value


def _incomplete(in_file, first_row, communes, leaves) -> list[RowError]:
    """A commune marked appraised must have an appraised score for every applicable leaf: from
    the file or already stored (or a confirmed "không áp dụng"). One query, only when the file
    leaves some out."""
    missing = {
        code: {
            leaf_code
            for leaf_code, leaf in leaves.items()
            if leaf.applies(communes[code].kind) and leaf_code not in codes
        }
        for code, codes in in_file.items()
    }
    missing = {code: leaf_codes for code, leaf_codes in missing.items() if leaf_codes}
    if not missing:
        return []
    code_of = {leaf.pk: leaf_code for leaf_code, leaf in leaves.items()}
    commune_of = {communes[code].assessment: code for code in missing}
    stored = Score.objects.filter(assessment_id__in=commune_of).exclude(
        appraised_score__isnull=True, not_applicable_confirmed=False
    )
    for assessment, criterion in stored.values_list("assessment_id", "criterion_id"):
        missing[commune_of[assessment]].discard(code_of.get(criterion))
    return [
        RowError(
            first_row[code],
            "commune_code",
            f"{communes[code].name} còn thiếu điểm thẩm định các tiêu chí "
            f"{', '.join(sorted(leaf_codes, key=_natural))}; tệp phải có đủ các tiêu chí của "
            "đơn vị.",
        )
        for code, leaf_codes in sorted(missing.items(), key=lambda item: first_row[item[0]])
        if leaf_codes
    ]


def _natural(code: str):
    return [int(part) if part.isdigit() else part for part in code.split(".")]


# --- writing ------------------------------------------------------------------------------


def _write(table, period, rows, communes, *, by) -> ScoreImport:
    """Stage, audit, upsert, mark appraised: inside import_scores' transaction, under its locks."""
    user = by if by is not None and by.is_authenticated else None
    now = timezone.now()
    in_file = f"id IN (SELECT DISTINCT assessment_id FROM {STAGING})"
    with connection.cursor() as cursor:
        _fill_staging(cursor, rows)
        changed = _audit_changes(cursor, period, table, user)
        _upsert(cursor, user, now, with_note=table.has("note"))
        appraised = record_status_events(
            f"{in_file} AND status <> %s",
            [Status.APPRAISED.value],
            user=user,
            action="appraised",
            new=Status.APPRAISED.value,
            reason=f"Nhập điểm từ tệp “{table.filename}”",
            detail={"sha256": table.sha256},
        )
        cursor.execute(
            f"UPDATE {Assessment._meta.db_table} SET status = %s, appraised_at = %s, "
            f"version = version + 1, updated_at = %s WHERE {in_file}",
            [Status.APPRAISED.value, *[connection.ops.adapt_datetimefield_value(now)] * 2],
        )
        cursor.execute(f"DROP TABLE {STAGING}")
    result = ScoreImport(
        filename=table.filename,
        sha256=table.sha256,
        scores=len(rows),
        communes=len(communes),
        appraised=appraised,
        changed=changed,
    )
    record_file_imported(
        table,
        period=period,
        by=by,
        action="scores_file_imported",
        rows=len(rows),
        communes=len(communes),
        appraised=appraised,
        changed=changed,
    )
    return result


def _fill_staging(cursor, rows) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGING} (assessment_id integer, criterion_id integer, "
        "self_score numeric(7, 3), appraised_score numeric(7, 3), note text)"
    )
    if connection.vendor == "postgresql":
        copy_rows(
            cursor,
            STAGING,
            ("assessment_id", "criterion_id", "self_score", "appraised_score", "note"),
            rows,
        )
    else:
        cursor.executemany(
            f"INSERT INTO {STAGING} VALUES (%s, %s, %s, %s, %s)",
            [(a, c, str(s), str(p), n) for a, c, s, p, n in rows],
        )


def _audit_changes(cursor, period, table, user) -> int:
    """One event per stored score the file changes (old → new); returns how many scores.

    The rows read are locked (after their assessments) until the import commits: the upsert
    writes over exactly the values logged here as old."""
    score = Score._meta.db_table
    lock = (
        connection.ops.for_update_sql(no_key=True, of=("s",))
        if connection.features.has_select_for_update
        else ""
    )
    cursor.execute(
        f"SELECT s.assessment_id, s.criterion_id, s.self_score, t.self_score, "
        f"s.appraised_score, t.appraised_score FROM {score} s JOIN {STAGING} t "
        "ON s.assessment_id = t.assessment_id AND s.criterion_id = t.criterion_id "
        "WHERE (s.self_score IS NOT NULL AND s.self_score <> t.self_score) "
        "OR (s.appraised_score IS NOT NULL AND s.appraised_score <> t.appraised_score) "
        f"ORDER BY s.id {lock}"
    )
    events = []
    changed = cursor.fetchall()
    reason = f"Nhập điểm từ tệp “{table.filename}”"
    for assessment, criterion, old_self, new_self, old_appraised, new_appraised in changed:
        for name, old, new in (
            ("self_score", old_self, new_self),
            ("appraised_score", old_appraised, new_appraised),
        ):
            old, new = _decimal(old), _decimal(new)
            if old is not None and old != new:
                events.append(
                    AuditEvent(
                        user=user,
                        period_id=period.pk,
                        assessment_id=assessment,
                        criterion_id=criterion,
                        action="score_imported",
                        field_name=name,
                        old_value=rules.format_score(old),
                        new_value=rules.format_score(new),
                        reason=reason,
                        detail={"sha256": table.sha256},
                    )
                )
    AuditEvent.objects.bulk_create(events, batch_size=2000)
    return len(changed)


def _decimal(value) -> Decimal | None:
    # SQLite hands back floats (or ints) for numeric columns; PostgreSQL hands back Decimals.
    if value is None:
        return None
    return rules.parse_decimal(value if isinstance(value, Decimal) else repr(value))


def _upsert(cursor, user, now, *, with_note: bool) -> None:
    """ONE statement: update the score rows whose values change, insert any that are missing.

    Rows the file leaves as they are keep their version (no false conflicts for someone
    editing them) and cost no write.
    """
    score = Score._meta.db_table
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    note = "EXCLUDED.appraisal_note" if with_note else f"{score}.appraisal_note"
    changes = [
        f"{score}.{column} {differs} EXCLUDED.{column}"
        for column in ("self_score", "appraised_score", "not_applicable_confirmed")
    ]
    if with_note:
        changes.append(f"{score}.appraisal_note <> EXCLUDED.appraisal_note")
    cursor.execute(
        f"INSERT INTO {score} (assessment_id, criterion_id, self_score, self_note, "
        "appraised_score, appraisal_note, revision_request, not_applicable, "
        "not_applicable_reason, not_applicable_confirmed, source, version, updated_at, "
        "updated_by_id) "
        "SELECT assessment_id, criterion_id, self_score, '', appraised_score, "
        "COALESCE(note, ''), '', %s, '', %s, '', 1, %s, %s "
        f"FROM {STAGING} WHERE true "
        "ON CONFLICT (assessment_id, criterion_id) DO UPDATE SET "
        "self_score = EXCLUDED.self_score, appraised_score = EXCLUDED.appraised_score, "
        f"appraisal_note = {note}, not_applicable_confirmed = EXCLUDED.not_applicable_confirmed, "
        f"version = {score}.version + 1, updated_at = EXCLUDED.updated_at, "
        f"updated_by_id = EXCLUDED.updated_by_id WHERE {' OR '.join(changes)}",
        [
            False,
            False,
            connection.ops.adapt_datetimefield_value(now),
            user.pk if user is not None else None,
        ],
    )
