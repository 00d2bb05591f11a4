"""What the per-commune files share (docs/design.md §6 ◆ `import_scores`, `import_survey`; and
`import_tthc`, the TTHC figures).

The imports refuse the same things in a row's `commune_code` and `criterion_code` with the
same words (a missing or unknown code, a criterion with sub-criteria, a criterion that does
not apply to the commune, a (commune, criterion) pair given twice, or a commune given twice
in a file of one row per commune), and record the file the same way in the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable

from tabular import RowError, Table
from tabular.table import Row

from ..audit import record_event
from ..models import Assessment, Period
from . import share_periods


def lock_assessments(period, commune_codes: Iterable[str]) -> tuple[Period, dict[str, Assessment]]:
    """The period as it is now and its assessments of these communes (code → assessment, with
    its commune), locked until the transaction ends.

    An import decides from them whether an assessment may still change, and reads the old
    values of its scores for the audit log, before it writes: both hold only while no one
    else writes. So it takes the order of every write (scoring.services.share_periods): the
    period first (shared: a publication or reopening waits, or is waited for), then the
    assessments in id order (two writers locking several never deadlock), then the scores.
    A save or a workflow step on one of these communes waits for the import, or the import
    for it. The period is read after its share lock: a publication committed meanwhile shows.
    Unknown codes are left out (the checks name them); with none known, the period returned
    is the one given (nothing will be written).
    """
    codes = sorted({code for code in commune_codes if code})
    ids = list(
        Assessment.objects.filter(period_id=period.pk, commune__code__in=codes)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    share_periods(ids)
    locked = (
        Assessment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("commune", "period")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    assessments = {assessment.commune.code: assessment for assessment in locked}
    current = next(iter(assessments.values())).period if assessments else period
    return current, assessments


def record_file_imported(table: Table, *, period, by, action: str, **detail) -> None:
    """The audit event of one imported file: who, when, its name and SHA-256, and `detail`."""
    record_event(
        by=by,
        period=period,
        action=action,
        reason=f"Tệp “{table.filename}”",
        detail={"filename": table.filename, "sha256": table.sha256, **detail},
    )


class CodeChecks:
    """The code checks of one file; each appends its problems to `errors` and says if it passed."""

    def __init__(self, period, errors: list[RowError]):
        self.period = period
        self.errors = errors
        # (commune, criterion), or (commune,) → its first row
        self.seen: dict[tuple[str, ...], int] = {}

    def commune(self, row: Row, found) -> bool:
        """`found` is what the row's commune code names in the period (None: nothing)."""
        code = row.values["commune_code"]
        if not code:
            self.errors.append(row.error("commune_code", "chưa có mã đơn vị."))
        elif found is None:
            self.errors.append(
                row.error(
                    "commune_code",
                    f"không có đơn vị mã “{code}” trong kỳ đánh giá {self.period.code}.",
                )
            )
        else:
            return True
        return False

    def criterion(self, row: Row, found, *, branch: bool) -> bool:
        """`found` is the criterion the code names (None: none to score), `branch` whether it
        has sub-criteria."""
        code = row.values["criterion_code"]
        if not code:
            self.errors.append(row.error("criterion_code", "chưa có mã tiêu chí."))
        elif branch:
            self.errors.append(
                row.error(
                    "criterion_code",
                    f"tiêu chí {code} có tiêu chí con; chỉ nhập điểm cho tiêu chí cuối.",
                )
            )
        elif found is None:
            self.errors.append(
                row.error(
                    "criterion_code",
                    f"không có tiêu chí mã “{code}” trong bộ tiêu chí "
                    f"{self.period.criteria_set.code}.",
                )
            )
        else:
            return True
        return False

    def not_applicable(self, row: Row, commune_name: str) -> None:
        self.errors.append(
            row.error(
                "criterion_code",
                f"tiêu chí {row.values['criterion_code']} không áp dụng cho {commune_name}.",
            )
        )

    def once(self, row: Row) -> None:
        """Refuse a second row for the same commune and criterion."""
        key = (row.values["commune_code"], row.values["criterion_code"])
        self._once(row, key, "criterion_code", "cùng đơn vị và tiêu chí")

    def once_per_commune(self, row: Row) -> None:
        """Refuse a second row for the same commune (files with one row per commune)."""
        self._once(row, (row.values["commune_code"],), "commune_code", "cùng đơn vị")

    def _once(self, row: Row, key: tuple[str, ...], column: str, same: str) -> None:
        if not all(key):
            return
        if key in self.seen:
            self.errors.append(row.error(column, f"trùng với dòng {self.seen[key]} ({same})."))
        else:
            self.seen[key] = row.number
