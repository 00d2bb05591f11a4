"""Importing survey, SIPAS and computed criteria (docs/design.md §6 ◆ `import_survey`).

Communes never type these criteria: the appraising unit imports a table
`commune_code,criterion_code,value[,sample_size]` and the values become appraised scores.
With `as_percent` a value is a percentage and points = max × value / 100 (half-up, 3
decimals: rules.points_from_percent). The whole file is checked first; one bad row refuses
the file and nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tabular import ErrorList, ImportFailed, RowError, Table

from .. import rules
from ..models import Assessment, AuditEvent, Method, Score
from .import_rows import CodeChecks, lock_assessments, record_file_imported

REQUIRED = ("commune_code", "criterion_code", "value")
OPTIONAL = ("sample_size",)
RAW_PLACES = Decimal("0.0001")
IMPORTED_METHODS = (Method.SURVEY, Method.SIPAS, Method.COMPUTED)
# Assessments whose appraised scores an import may no longer change.
CLOSED = (Assessment.Status.APPRAISED, Assessment.Status.PUBLISHED)


@dataclass(frozen=True)
class SurveyImport:
    """What an import did, for the command's summary and the page's message."""

    filename: str
    sha256: str
    scores: int
    communes: int
    criteria: int

    def summary(self) -> str:
        return (
            f"Đã nhập {self.scores} điểm của {self.criteria} tiêu chí cho {self.communes} đơn vị "
            f"từ tệp “{self.filename}” (SHA-256 {self.sha256[:12]}…)."
        )


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise rules.RuleError(f"“{text}” không phải là số nguyên dương.")
    return int(text)


def _check_rows(table: Table, period, assessments: dict[str, Assessment], *, as_percent: bool):
    """Every row checked against the period and its `assessments` (locked: lock_assessments);
    returns [(score, raw, points, sample)] or raises ImportFailed listing every problem.

    The scores are read locked too, after their assessments: their values are the old values
    of the audit log, and their versions the ones the import adds 1 to.
    """
    criteria = {c.code: c for c in period.criteria_set.criteria.all()}
    parents = {c.parent_id for c in criteria.values()}
    scores = {
        (s.assessment_id, s.criterion_id): s
        for s in Score.objects.select_for_update(no_key=True, of=("self",))
        .filter(
            assessment_id__in=[a.pk for a in assessments.values()],
            criterion__method__in=IMPORTED_METHODS,
        )
        .order_by("pk")
    }
    errors = ErrorList()  # the first 200 kept, the rest counted
    checks = CodeChecks(period, errors)
    planned = []
    for row in table.rows:
        before = len(errors)
        commune_code, criterion_code = row["commune_code"], row["criterion_code"]
        assessment = assessments.get(commune_code)
        criterion = criteria.get(criterion_code)
        if checks.commune(row, assessment) and (assessment.status in CLOSED or assessment.locked):
            state = "đang bị khóa" if assessment.locked else f"“{assessment.get_status_display()}”"
            errors.append(
                row.error(
                    "commune_code",
                    f"hồ sơ của {assessment.commune.name} {state}; mở lại trước khi nhập điểm.",
                )
            )
        branch = criterion is not None and criterion.pk in parents
        if (
            checks.criterion(row, criterion, branch=branch)
            and criterion.method == Method.SELF_ASSESSED
        ):
            errors.append(
                row.error(
                    "criterion_code",
                    f"tiêu chí {criterion_code} do xã tự chấm, không nhập từ tệp khảo sát.",
                )
            )
        checks.once(row)
        raw = points = sample = None
        try:
            raw = rules.parse_decimal(row["value"], places=RAW_PLACES)
        except rules.RuleError as error:
            errors.append(row.error("value", str(error) if row["value"] else "chưa có giá trị."))
        if raw is not None and criterion is not None:
            try:
                if as_percent:
                    points = rules.points_from_percent(raw, criterion.max_points)
                else:
                    points = rules.check_score(
                        rules.parse_decimal(raw), criterion.max_points, criterion=criterion.code
                    )
            except rules.RuleError as error:
                errors.append(row.error("value", str(error)))
        if row.values.get("sample_size"):
            try:
                sample = _positive_int(row["sample_size"])
            except rules.RuleError as error:
                errors.append(row.error("sample_size", str(error)))
        if len(errors) > before or assessment is None or criterion is None:
            continue
        score = scores.get((assessment.pk, criterion.pk))
        if score is None:
            checks.not_applicable(row, assessment.commune.name)
            continue
        score.criterion = criterion
        planned.append((score, raw, points, sample))
    if errors:
        raise ImportFailed(errors)
    return planned


def _refuse_if_published(period) -> None:
    if period.is_published:
        raise ImportFailed(
            RowError(None, None, f"Kỳ đánh giá {period.code} đã công bố kết quả; không nhập được.")
        )


@transaction.atomic
def import_survey(
    table: Table,
    *,
    period,
    as_percent: bool = False,
    by=None,
    on_checked: Callable[[], None] | None = None,
) -> SurveyImport:
    """Set the appraised scores of survey, SIPAS and computed criteria from `table`.

    Keeps the raw figure (Score.raw_value), the sample size and the file name (Score.source).
    Refuses the whole file (ImportFailed, every problem with its row and column) for an
    unknown commune or criterion, a self-assessed or non-leaf criterion, a value outside
    [0, max] (or a percentage outside 0–100), a repeated row, or an assessment that is
    appraised, locked or published. Audited: one event for the file (name, SHA-256) and one
    per changed score (old → new).

    The communes' assessments are locked before anything is checked or read
    (lock_assessments), so a save, a workflow step or another import on them waits, or is
    waited for: each score's old value in the log is the new value of the event before it.
    Every score written gets a new version: a page showing the old one gets a conflict.
    `on_checked()` is called once the whole file passed, before anything is written.
    """
    _refuse_if_published(period)  # as the caller read it: refused before any lock
    table.require(REQUIRED)
    current, assessments = lock_assessments(period, (row["commune_code"] for row in table.rows))
    _refuse_if_published(current)
    planned = _check_rows(table, period, assessments, as_percent=as_percent)
    if on_checked:
        on_checked()
    user = by if by is not None and by.is_authenticated else None
    now = timezone.now()
    events, changed, assessment_ids = [], [], set()
    for score, raw, points, sample in planned:
        if score.appraised_score != points:
            events.append(
                AuditEvent(
                    user=user,
                    period=period,
                    assessment_id=score.assessment_id,
                    criterion=score.criterion,
                    action="survey_imported",
                    field_name="appraised_score",
                    old_value=rules.format_score(score.appraised_score),
                    new_value=rules.format_score(points),
                    reason=f"Nhập từ tệp “{table.filename}”",
                    detail={"sha256": table.sha256, "raw_value": str(raw), "sample_size": sample},
                )
            )
        score.appraised_score = points
        score.raw_value = raw
        score.sample_size = sample
        score.source = table.filename[:300]
        score.version += 1  # read under the lock: the stored version
        score.updated_by = user
        score.updated_at = now
        changed.append(score)
        assessment_ids.add(score.assessment_id)
    Score.objects.bulk_update(
        changed,
        ["appraised_score", "raw_value", "sample_size", "source", "version", "updated_by",
         "updated_at"],
        batch_size=1000,
    )
    Assessment.objects.filter(pk__in=assessment_ids).update(version=F("version") + 1)
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    result = SurveyImport(
        filename=table.filename,
        sha256=table.sha256,
        scores=len(changed),
        communes=len(assessment_ids),
        criteria=len({score.criterion_id for score in changed}),
    )
    record_file_imported(
        table,
        period=period,
        by=by,
        action="survey_file_imported",
        rows=len(table.rows),
        changed=len(events),
        as_percent=as_percent,
    )
    return result


def source_text(score: Score) -> str:
    """The import's origin as shown beside the criterion ("nguồn: Khảo sát SIPAS, tệp …, n = 300")."""
    if not score.source and score.sample_size is None:
        return ""
    parts = [f"nguồn: {score.criterion.get_method_display()}"]
    if score.source:
        parts.append(f"tệp “{score.source}”")
    if score.sample_size is not None:
        parts.append(f"n = {score.sample_size}")
    if score.raw_value is not None:
        parts.append(f"số liệu gốc {rules.format_exact(score.raw_value)}")
    return ", ".join(parts)
