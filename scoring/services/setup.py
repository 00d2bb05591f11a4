"""Setting up a year: criteria sets (load, replace, clone) and periods with their assessments."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from communes.models import Unit

from .. import rules
from ..audit import record_event
from ..models import Assessment, CriteriaSet, Criterion, Method, NaPolicy, Period, Score


class SetupError(Exception):
    """A set-up step was refused; `messages` lists every reason in Vietnamese."""

    def __init__(self, messages: str | Sequence[str]):
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__("\n".join(self.messages))


@dataclass
class CriterionRow:
    """One criterion as read from a file or another set (parents by code)."""

    code: str
    parent_code: str | None
    name: str
    max_points: Decimal
    method: str = Method.SELF_ASSESSED
    evidence_required: bool = False
    guidance: str = ""
    applies_to: list[str] = field(default_factory=list)
    na_policy: str = NaPolicy.NONE


def criteria_tree_errors(rows: Iterable[CriterionRow], *, total: Decimal | None) -> list[str]:
    """Every problem of a set of rows as a tree (unknown parents, cycles, sums)."""
    nodes = [rules.Node(row.code, row.parent_code, row.max_points) for row in rows]
    return rules.tree_errors(nodes, total=total)


def _depths(rows: Sequence[CriterionRow]) -> dict[str, int]:
    parent_of = {row.code: row.parent_code for row in rows}
    depths: dict[str, int] = {}
    for code in parent_of:
        depth, current = 0, parent_of[code]
        while current is not None:
            depth, current = depth + 1, parent_of[current]
        depths[code] = depth
    return depths


def _insert_tree(criteria_set: CriteriaSet, rows: Sequence[CriterionRow]) -> None:
    """Insert rows level by level (parents first) with bulk inserts, then set each `field`."""
    depths = _depths(rows)
    position = {row.code: i for i, row in enumerate(rows, start=1)}
    saved: dict[str, Criterion] = {}
    for depth in range(max(depths.values(), default=-1) + 1):
        level = [
            Criterion(
                criteria_set=criteria_set,
                parent=saved[row.parent_code] if row.parent_code else None,
                code=row.code,
                position=position[row.code],
                depth=depth,
                name=row.name,
                max_points=row.max_points,
                method=row.method,
                evidence_required=row.evidence_required,
                guidance=row.guidance,
                applies_to=list(row.applies_to),
                na_policy=row.na_policy,
            )
            for row in rows
            if depths[row.code] == depth
        ]
        for criterion in Criterion.objects.bulk_create(level):
            saved[criterion.code] = criterion
    field_code = rules.field_of(rules.Node(row.code, row.parent_code, row.max_points) for row in rows)
    for code, criterion in saved.items():
        criterion.field_id = saved[field_code[code]].pk
    Criterion.objects.bulk_update(saved.values(), ["field"])


@transaction.atomic
def save_criteria_set(
    code: str,
    name: str,
    rows: Sequence[CriterionRow],
    *,
    legal_basis: str = "",
    issued_by: Unit | None = None,
    total: Decimal | None = Decimal(100),
    derived_from: CriteriaSet | None = None,
) -> CriteriaSet:
    """Create the set `code`, or replace its tree while no period uses it.

    Refuses (SetupError) a tree with errors, and a set that a period already uses.
    """
    errors = criteria_tree_errors(rows, total=total)
    if errors:
        raise SetupError(errors)
    existing = CriteriaSet.objects.select_for_update().filter(code=code).first()
    if existing is not None:
        periods = list(existing.periods.values_list("code", flat=True))
        if periods:
            raise SetupError(
                f"Bộ tiêu chí {code} đã được dùng cho kỳ đánh giá {', '.join(periods)}; "
                "không thể thay thế. Hãy tạo bộ tiêu chí mới (mã khác) hoặc sao chép bộ này."
            )
        existing.criteria.all().delete()
        criteria_set = existing
    else:
        criteria_set = CriteriaSet(code=code)
    criteria_set.name = name
    criteria_set.legal_basis = legal_basis
    criteria_set.issued_by = issued_by
    criteria_set.total_points = total if total is not None else sum(
        (row.max_points for row in rows if row.parent_code is None), Decimal(0)
    )
    if derived_from is not None:
        criteria_set.derived_from = derived_from
    criteria_set.save()
    _insert_tree(criteria_set, rows)
    return criteria_set


def rows_of(criteria_set: CriteriaSet) -> list[CriterionRow]:
    """The set's tree as rows, in order (for cloning and export)."""
    criteria = criteria_set.criteria.select_related("parent").order_by("position", "code")
    return [
        CriterionRow(
            code=c.code,
            parent_code=c.parent.code if c.parent_id else None,
            name=c.name,
            max_points=c.max_points,
            method=c.method,
            evidence_required=c.evidence_required,
            guidance=c.guidance,
            applies_to=list(c.applies_to or []),
            na_policy=c.na_policy,
        )
        for c in criteria
    ]


def clone_criteria_set(source: CriteriaSet, *, code: str, name: str | None = None) -> CriteriaSet:
    """Copy a set for the next year; the copy remembers its origin (`derived_from`)."""
    if CriteriaSet.objects.filter(code=code).exists():
        raise SetupError(f"Mã bộ tiêu chí {code} đã tồn tại.")
    return save_criteria_set(
        code,
        name or source.name,
        rows_of(source),
        legal_basis=source.legal_basis,
        issued_by=source.issued_by,
        total=source.total_points,
        derived_from=source,
    )


def communes_under(unit: Unit, on: datetime.date | None = None):
    """The active communes assessed by `unit` (its communes, and its districts' communes)."""
    return Unit.objects.communes().active(on).under([unit.pk])


@transaction.atomic
def create_period(
    *,
    code: str,
    year: int,
    criteria_set: CriteriaSet,
    unit: Unit,
    name: str = "",
    opens_on: datetime.date | None = None,
    self_assessment_due: datetime.date | None = None,
    appraisal_due: datetime.date | None = None,
    bands: Sequence[tuple[str, Decimal]] | None = None,
    previous: Period | None = None,
    by=None,
) -> Period:
    """Open a period: one draft assessment, with an empty score per applicable leaf, for every
    active commune under `unit`.

    Defaults (design.md §6): opens today, self-assessment due 30 days later, appraisal due
    30 days after that; the bands of design.md §5.
    """
    if Period.objects.filter(code=code).exists():
        raise SetupError(f"Mã kỳ đánh giá {code} đã tồn tại.")
    if not criteria_set.criteria.exists():
        raise SetupError(f"Bộ tiêu chí {criteria_set.code} chưa có tiêu chí nào.")
    opens_on = opens_on or timezone.localdate()
    self_assessment_due = self_assessment_due or opens_on + datetime.timedelta(days=30)
    appraisal_due = appraisal_due or self_assessment_due + datetime.timedelta(days=30)
    period = Period(
        code=code,
        year=year,
        name=name or f"Chỉ số CCHC năm {year} – {unit.name}",
        criteria_set=criteria_set,
        unit=unit,
        opens_on=opens_on,
        self_assessment_due=self_assessment_due,
        appraisal_due=appraisal_due,
        status=Period.Status.OPEN,
        previous=previous,
    )
    period.set_bands(bands or rules.DEFAULT_BANDS)
    period.full_clean()
    period.save()
    communes = list(communes_under(unit, opens_on))
    if not communes:
        raise SetupError(f"{unit.name} không có xã, phường, thị trấn nào đang hoạt động.")
    assessments = Assessment.objects.bulk_create(
        Assessment(period=period, commune=commune) for commune in communes
    )
    leaves = list(criteria_set.criteria.leaves())
    kind_of = {commune.pk: commune.kind for commune in communes}
    Score.objects.bulk_create(
        (
            Score(assessment=assessment, criterion=leaf)
            for assessment in assessments
            for leaf in leaves
            if leaf.applies(kind_of[assessment.commune_id])
        ),
        batch_size=5000,
    )
    record_event(
        by=by,
        action="period_created",
        period=period,
        detail={"communes": len(assessments), "criteria_set": criteria_set.code},
    )
    return period
