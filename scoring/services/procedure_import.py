"""Importing the TTHC figures of a period (kết quả giải quyết thủ tục hành chính): `import_tthc`.

The table `commune_code,received,processed,on_time,late[,online]` gives one row per commune:
the dossiers received, processed, of which on time (early included) and late, and optionally
those submitted online. They are context for field 3 and the commune report (docs/design.md §8), not
scores. The whole file is checked first (rules.parse_count, rules.check_procedure_figures); one
bad row refuses the file and nothing is written. Then every row is written in one transaction
with two bulk statements, audited: one event per commune whose figures change (old → new) and
one for the file (name, SHA-256).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from tabular import ErrorList, ImportFailed, RowError, Table

from .. import rules
from ..models import Assessment, AuditEvent, Period, ProcedureFigures
from .import_rows import CodeChecks, record_file_imported

REQUIRED = ("commune_code", "received", "processed", "on_time", "late")
OPTIONAL = ("online",)
COUNTS = (*REQUIRED[1:], *OPTIONAL)


@dataclass(frozen=True)
class ProcedureImport:
    """What an import did, for the command's summary."""

    filename: str
    sha256: str
    communes: int
    changed: int  # communes whose figures are new or different

    def summary(self) -> str:
        return (
            f"Đã nhập số liệu giải quyết TTHC của {self.communes} đơn vị từ tệp "
            f"“{self.filename}” (SHA-256 {self.sha256[:12]}…); {self.changed} đơn vị có số liệu "
            "mới hoặc thay đổi."
        )


@transaction.atomic
def import_procedure_figures(table: Table, *, period: Period, by=None) -> ProcedureImport:
    """Store the TTHC figures of every row of `table` for `period` (replacing earlier ones).

    Refuses the whole file (ImportFailed: every problem with its row and column, in
    Vietnamese) for a missing, unknown or repeated commune code or one not assessed in the
    period, a count that is not a non-negative whole number, figures breaking
    rules.check_procedure_figures, or a published period.
    """
    # Locked as publish_period locks it: an import never slips in beside a publication.
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.is_published:
        raise ImportFailed(
            RowError(
                None,
                None,
                f"Kỳ đánh giá {period.code} đã công bố kết quả; không sửa được số liệu giải "
                "quyết TTHC.",
            )
        )
    table.require(REQUIRED)
    rows = _checked_rows(table, period)
    return _write(table, period, rows, by=by)


def _checked_rows(table: Table, period: Period) -> list[tuple[int, int, dict[str, int | None]]]:
    """[(assessment id, commune id, {column: count})] in file order; or raise ImportFailed."""
    assessments = {
        code: (pk, commune_id)
        for pk, commune_id, code in Assessment.objects.filter(period_id=period.pk).values_list(
            "pk", "commune_id", "commune__code"
        )
    }
    errors = ErrorList()  # the first 200 kept, the rest counted
    checks = CodeChecks(period, errors)
    checked = []
    for row in table.rows:
        before = len(errors)
        found = assessments.get(row["commune_code"])
        checks.commune(row, found)
        checks.once_per_commune(row)
        counts: dict[str, int | None] = {}
        for column in COUNTS:
            text = row[column]
            if not text:
                if column in REQUIRED:
                    errors.append(row.error(column, "chưa có giá trị."))
                else:
                    counts[column] = None
                continue
            try:
                counts[column] = rules.parse_count(text)
            except rules.RuleError as error:
                errors.append(row.error(column, str(error)))
        if len(counts) == len(COUNTS):
            for column, message in rules.check_procedure_figures(**counts):
                errors.append(row.error(column, message))
        if len(errors) == before:
            checked.append((*found, counts))
    if errors:
        raise ImportFailed(errors)
    return checked


def _write(table: Table, period: Period, rows, *, by) -> ProcedureImport:
    existing = {f.commune_id: f for f in ProcedureFigures.objects.filter(period_id=period.pk)}
    user = by if by is not None and by.is_authenticated else None
    now = timezone.now()
    source = f"{table.filename[:300]} / {table.sha256}"
    added, updated, events = [], [], []
    for assessment_id, commune_id, counts in rows:
        figures = existing.get(commune_id)
        old = _values(figures) if figures is not None else None
        if figures is None:
            figures = ProcedureFigures(period=period, commune_id=commune_id)
            added.append(figures)
        else:
            updated.append(figures)
        for column, value in counts.items():
            setattr(figures, column, value)
        figures.source = source
        figures.updated_by = user
        figures.updated_at = now
        if old != counts:
            events.append(
                AuditEvent(
                    user=user,
                    period=period,
                    assessment_id=assessment_id,
                    action="procedure_figures_imported",
                    old_value=rules.format_procedure_figures(**old) if old else "",
                    new_value=figures.text,
                    reason=f"Nhập từ tệp “{table.filename}”",
                    detail={"sha256": table.sha256, "old": old, "new": counts},
                )
            )
    ProcedureFigures.objects.bulk_create(added, batch_size=1000)
    ProcedureFigures.objects.bulk_update(
        updated, [*COUNTS, "source", "updated_by", "updated_at"], batch_size=1000
    )
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    record_file_imported(
        table,
        period=period,
        by=by,
        action="procedure_file_imported",
        rows=len(rows),
        changed=len(events),
    )
    return ProcedureImport(
        filename=table.filename, sha256=table.sha256, communes=len(rows), changed=len(events)
    )


def _values(figures: ProcedureFigures) -> dict[str, int | None]:
    return {column: getattr(figures, column) for column in COUNTS}
