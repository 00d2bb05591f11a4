"""Setting up a year: criteria sets (load, replace, clone) and periods with their assessments."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from communes.models import Kind, Unit
from communes.wording import Wording
from tabular import ImportFailed, RowError, Table, choice_lookup

from .. import notices, rules
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
    previous_code: str = ""  # the same criterion in the set used the year before


def criteria_tree_errors(rows: Iterable[CriterionRow], *, total: Decimal | None) -> list[str]:
    """Every problem of a set of rows as a tree (unknown parents, cycles, sums)."""
    nodes = [rules.Node(row.code, row.parent_code, row.max_points) for row in rows]
    return rules.tree_errors(nodes, total=total)


def _tree_places(parent_of: Mapping) -> dict:
    """{key: (depth, key of its top-level ancestor)} for a {key: parent key} tree (keys are
    codes, or primary keys).

    A parent outside the tree counts as none, and a cycle is followed only until it closes,
    so a tree broken by an admin edit still gets an answer (refresh_tree).
    """
    places = {}
    for key in parent_of:
        depth, top, seen = 0, key, {key}
        while (parent := parent_of.get(top)) is not None and parent in parent_of:
            if parent in seen:
                break
            depth, top = depth + 1, parent
            seen.add(top)
        places[key] = (depth, top)
    return places


def _insert_tree(
    criteria_set: CriteriaSet, rows: Sequence[CriterionRow], previous: CriteriaSet | None = None
) -> None:
    """Insert rows level by level (parents first) with bulk inserts, then set each `field`;
    each row's previous_code names a criterion of `previous` (unknown codes are the caller's
    to refuse; here they link nothing)."""
    previous_ids = (
        dict(previous.criteria.values_list("code", "pk")) if previous is not None else {}
    )
    places = _tree_places({row.code: row.parent_code for row in rows})
    depths = {code: depth for code, (depth, _) in places.items()}
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
                previous_id=previous_ids.get(row.previous_code),
            )
            for row in rows
            if depths[row.code] == depth
        ]
        for criterion in Criterion.objects.bulk_create(level):
            saved[criterion.code] = criterion
    for code, criterion in saved.items():
        criterion.field_id = saved[places[code][1]].pk
    Criterion.objects.bulk_update(saved.values(), ["field"])


def refresh_tree(criteria_set_id) -> None:
    """Recompute `depth` and `field` of every criterion of a set after an edit in the admin
    (_insert_tree sets them when the import and clone services build a tree)."""
    criteria = list(
        Criterion.objects.filter(criteria_set_id=criteria_set_id).only(
            "id", "parent_id", "depth", "field_id"
        )
    )
    places = _tree_places({c.pk: c.parent_id for c in criteria})
    changed = []
    for c in criteria:
        if (c.depth, c.field_id) != places[c.pk]:
            c.depth, c.field_id = places[c.pk]
            changed.append(c)
    Criterion.objects.bulk_update(changed, ["depth", "field"])


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
    previous: CriteriaSet | None = None,
) -> CriteriaSet:
    """Create the set `code`, or replace its tree while no period uses it; rows'
    previous_code name criteria of `previous` (the set used the year before).

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
    _insert_tree(criteria_set, rows, previous)
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
    """Copy a set for the next year; the copy remembers its origin (`derived_from`) and each
    criterion its original (`previous`, as import_criteria's previous_code would)."""
    if CriteriaSet.objects.filter(code=code).exists():
        raise SetupError(f"Mã bộ tiêu chí {code} đã tồn tại.")
    rows = [replace(row, previous_code=row.code) for row in rows_of(source)]
    return save_criteria_set(
        code,
        name or source.name,
        rows,
        legal_basis=source.legal_basis,
        issued_by=source.issued_by,
        total=source.total_points,
        derived_from=source,
        previous=source,
    )


# --- importing a criteria set from a table (docs/design.md §6 ◆ import_criteria) ---------------

CRITERIA_COLUMNS = ("code", "parent_code", "name", "max_points", "method")
CRITERIA_OPTIONAL = ("evidence_required", "guidance", "applies_to", "na_policy", "previous_code")

CRITERION_CODE_LENGTH = Criterion._meta.get_field("code").max_length
# max_digits 7, 3 decimals (scoring/models.py SCORE_DIGITS).
MAX_POINTS_LIMIT = Decimal("10000")
YES = {"1", "true", "có", "x"}
NO = {"", "0", "false", "không"}
# rules.tree_errors names the criterion first: "Tiêu chí 1.2: ...".
_TREE_ERROR = re.compile(r"^Tiêu chí (?P<code>.+?): ")


def import_criteria(
    table: Table,
    *,
    code: str,
    name: str,
    legal_basis: str = "",
    total: Decimal = Decimal(100),
    previous: str = "",
    by=None,
    on_checked: Callable[[], None] | None = None,
) -> CriteriaSet:
    """Create the criteria set `code` from a table, or replace its tree while no period uses it.

    Columns: code, parent_code, name, max_points, method[, evidence_required, guidance,
    applies_to, na_policy, previous_code]. The fields' maxima must add up to `total` (100
    unless told). previous_code names the same criterion in the set `previous` (docs/design.md
    §6 ◆ --previous; empty: a new criterion); an unknown code, or one without `previous`, is
    refused on its row.
    Refuses (ImportFailed, nothing saved) every bad row (non-numeric or negative maximum,
    unknown method or kind, duplicate code, bad evidence_required) and every tree problem
    (unknown parent, cycle, maxima not adding up), each with its row where it has one.
    `by` is the acting user (no period is involved, so nothing is audited). `on_checked()` is
    called once the whole file passed, before anything is written.
    """
    table.require(CRITERIA_COLUMNS)
    errors = _criteria_set_errors(code, name)
    previous_set, previous_errors = _previous_set(previous, code)
    errors += previous_errors
    rows, row_of, row_errors = _criterion_rows(table)
    row_errors += _previous_code_errors(table, previous_set, previous, bool(previous_errors))
    errors += row_errors
    tree = criteria_tree_errors(rows, total=None if row_errors else total)
    for message in tree:
        found = _TREE_ERROR.match(message)
        row = row_of.get(found["code"]) if found else None
        structural = "tiêu chí cha" in message or "vòng lặp" in message
        if row_errors and not structural:
            continue  # sums over rows that did not parse would mislead
        column = ("parent_code" if structural else "max_points") if row else None
        errors.append(RowError(row, column, message))
    if errors:
        raise ImportFailed(errors)
    if on_checked:
        on_checked()
    try:
        return save_criteria_set(
            code, name, rows, legal_basis=legal_basis, total=total, previous=previous_set
        )
    except SetupError as error:
        raise ImportFailed(RowError(None, None, message) for message in error.messages) from None


def _previous_set(previous: str, code: str) -> tuple[CriteriaSet | None, list[RowError]]:
    """The set named by --previous, or the error naming it."""
    previous = (previous or "").strip()
    if not previous:
        return None, []
    if previous == code:
        return None, [RowError(None, None, f"--previous: bộ tiêu chí năm trước không thể là "
                                           f"chính bộ {code}.")]
    found = CriteriaSet.objects.filter(code=previous).first()
    if found is None:
        return None, [RowError(None, None, f"--previous: không có bộ tiêu chí mã {previous}.")]
    return found, []


def _previous_code_errors(table: Table, previous_set, previous: str, reported: bool) -> list:
    """Row errors of the previous_code column: a code without --previous, or not in it."""
    codes = set(previous_set.criteria.values_list("code", flat=True)) if previous_set else set()
    errors = []
    for row in table.rows:
        wanted = row["previous_code"]
        if not wanted or reported:
            continue
        if previous_set is None:
            errors.append(row.error(
                "previous_code",
                f"Có mã tiêu chí năm trước “{wanted}” nhưng chưa chọn bộ tiêu chí năm trước "
                "(--previous).",
            ))
        elif wanted not in codes:
            errors.append(row.error(
                "previous_code",
                f"Bộ tiêu chí {previous_set.code} không có tiêu chí mã “{wanted}”.",
            ))
    return errors


def _criteria_set_errors(code: str, name: str) -> list[RowError]:
    errors = []
    code_length = CriteriaSet._meta.get_field("code").max_length
    name_length = CriteriaSet._meta.get_field("name").max_length
    if not code or len(code) > code_length:
        errors.append(
            RowError(None, None, f"Mã bộ tiêu chí phải có từ 1 đến {code_length} ký tự.")
        )
    if not name or len(name) > name_length:
        errors.append(
            RowError(None, None, f"Tên bộ tiêu chí phải có từ 1 đến {name_length} ký tự.")
        )
    periods = list(Period.objects.filter(criteria_set__code=code).values_list("code", flat=True))
    if periods:
        errors.append(
            RowError(
                None,
                None,
                f"Bộ tiêu chí {code} đã được dùng cho kỳ đánh giá {', '.join(periods)}; "
                "không thể thay thế. Hãy tạo bộ tiêu chí mới (mã khác) hoặc sao chép bộ này.",
            )
        )
    return errors


def _criterion_rows(table: Table) -> tuple[list[CriterionRow], dict[str, int], list[RowError]]:
    """Rows that parsed (first of each code), the row number of each code, the row errors."""
    methods = choice_lookup(Method.choices)
    policies = choice_lookup(NaPolicy.choices)
    kinds = choice_lookup(Kind.choices)
    rows: list[CriterionRow] = []
    row_of: dict[str, int] = {}
    errors: list[RowError] = []
    for row in table.rows:
        code = row["code"]
        row_errors = []
        if not code:
            row_errors.append(row.error("code", "Chưa có mã tiêu chí."))
        elif len(code) > CRITERION_CODE_LENGTH:
            row_errors.append(
                row.error("code", f"Mã “{code}” dài quá {CRITERION_CODE_LENGTH} ký tự.")
            )
        elif code in row_of:
            row_errors.append(row.error("code", f"Mã “{code}” bị trùng với dòng {row_of[code]}."))
        if not row["name"]:
            row_errors.append(row.error("name", "Chưa có tên tiêu chí."))
        max_points = _max_points(row, row_errors)
        method = methods.get(row["method"].lower() or Method.SELF_ASSESSED)
        if method is None:
            row_errors.append(
                row.error(
                    "method",
                    f"“{row['method']}” không phải là phương pháp chấm hợp lệ "
                    f"(dùng {', '.join(Method.values)}).",
                )
            )
        evidence = row["evidence_required"].lower()
        if evidence not in YES | NO:
            row_errors.append(
                row.error(
                    "evidence_required",
                    f"“{row['evidence_required']}” không hợp lệ (dùng 1/0, có/không, "
                    "true/false hoặc x; để trống là không cần).",
                )
            )
        applies_to = []
        for part in re.split(r"[|,]", row["applies_to"]):
            if not part.strip():
                continue
            kind = kinds.get(part.strip().lower())
            if kind is None:
                row_errors.append(
                    row.error("applies_to", f"“{part.strip()}” không phải là loại đơn vị hợp lệ.")
                )
            elif kind not in applies_to:
                applies_to.append(kind)
        na_policy = policies.get(row["na_policy"].lower())
        if na_policy is None:
            row_errors.append(
                row.error(
                    "na_policy",
                    f"“{row['na_policy']}” không hợp lệ (dùng exclude, full hoặc để trống).",
                )
            )
        if code and code not in row_of and len(code) <= CRITERION_CODE_LENGTH:
            row_of[code] = row.number
            rows.append(
                CriterionRow(
                    code=code,
                    parent_code=row["parent_code"] or None,
                    name=row["name"],
                    # A row with a bad maximum still takes part in the parent and cycle checks.
                    max_points=max_points if max_points is not None else Decimal(0),
                    method=method or Method.SELF_ASSESSED,
                    evidence_required=evidence in YES,
                    guidance=row["guidance"],
                    applies_to=applies_to,
                    na_policy=na_policy or NaPolicy.NONE,
                    previous_code=row["previous_code"],
                )
            )
        errors += row_errors
    return rows, row_of, errors


def _max_points(row, errors: list[RowError]) -> Decimal | None:
    text = row["max_points"]
    if not text:
        errors.append(row.error("max_points", "Chưa có điểm tối đa."))
        return None
    try:
        value = rules.parse_decimal(text)
    except rules.RuleError as error:
        errors.append(row.error("max_points", str(error)))
        return None
    if value < 0:
        errors.append(row.error("max_points", f"Điểm tối đa “{text}” không được âm."))
        return None
    if value >= MAX_POINTS_LIMIT:
        errors.append(row.error("max_points", f"Điểm tối đa “{text}” quá lớn."))
        return None
    return value


def communes_under(unit: Unit, on: datetime.date | None = None):
    """The communes assessed by `unit` that are active on `on` (default: not dissolved):
    those directly under it (a province after 1/7/2025) and those under its districts, the
    districts dissolved since included (a 2024 period of a province over its old communes)."""
    return Unit.objects.communes().active(on).under([unit.pk])


def no_communes_message(unit: Unit, as_of: datetime.date) -> str:
    return (
        f"{unit.name} không có đơn vị cấp xã nào hoạt động vào ngày "
        f"{rules.format_date(as_of)}."
    )


def default_as_of(year: int) -> datetime.date:
    """The day whose communes a period of `year` covers when none is given: 31/12 of the year
    (docs/design.md §6, `create_period --as-of`)."""
    return datetime.date(year, 12, 31)


def blocks_errors(blocks: Sequence[rules.Block], communes: Iterable[Unit]) -> list[str]:
    """Every commune the ranking blocks leave out, named, in Vietnamese (rules.block_errors);
    create_period and the admin's period form both check blocks with it."""
    return rules.block_errors(
        blocks, [(unit.name, unit.kind) for unit in communes], dict(Kind.choices)
    )


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
    reply_due: datetime.date | None = None,
    bands: Sequence[tuple[str, Decimal]] | None = None,
    previous: Period | None = None,
    as_of: datetime.date | None = None,
    blocks: Sequence[rules.Block] | None = None,
    by=None,
) -> Period:
    """Open a period: one draft assessment, with an empty score per applicable leaf, for every
    commune under `unit` active on `as_of` (default 31/12 of `year`), so that a 2024 period
    over the old communes and a 2025 one over the new units can both be opened any day.

    Defaults (docs/design.md §6): opens today, self-assessment due 30 days later, appraisal due
    30 days after that; the bands of docs/design.md §5; one ranking block unless `blocks` (each
    commune must fall in one: else SetupError naming the communes left out); no reply round
    unless `reply_due` is given (docs/design.md §4).
    """
    if Period.objects.filter(code=code).exists():
        raise SetupError(f"Mã kỳ đánh giá {code} đã tồn tại.")
    if not criteria_set.criteria.exists():
        raise SetupError(f"Bộ tiêu chí {criteria_set.code} chưa có tiêu chí nào.")
    opens_on = opens_on or timezone.localdate()
    self_assessment_due = self_assessment_due or opens_on + datetime.timedelta(days=30)
    appraisal_due = appraisal_due or self_assessment_due + datetime.timedelta(days=30)
    as_of = as_of or default_as_of(year)
    communes = list(communes_under(unit, as_of))
    if not communes:
        raise SetupError(no_communes_message(unit, as_of))
    # Unnamed: "Chỉ số CCHC năm 2025 của UBND các xã, phường, đặc khu thành phố Hải Phòng".
    wording = Wording(unit, {commune.kind for commune in communes})
    period = Period(
        code=code,
        year=year,
        name=name or f"Chỉ số CCHC năm {year} của UBND {wording.communes_of_unit}",
        criteria_set=criteria_set,
        unit=unit,
        opens_on=opens_on,
        self_assessment_due=self_assessment_due,
        appraisal_due=appraisal_due,
        reply_due=reply_due,
        status=Period.Status.OPEN,
        previous=previous,
    )
    period.set_bands(bands or rules.DEFAULT_BANDS)
    period.set_blocks(blocks or [])
    period.full_clean()
    period.save()
    errors = blocks_errors(period.block_list(), communes)
    if errors:
        raise SetupError(errors)
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
        detail={
            "communes": len(assessments),
            "criteria_set": criteria_set.code,
            "as_of": as_of.isoformat(),
        },
    )
    if opens_on == timezone.localdate():
        # Opening today: tell the communes now (send_reminders tells them on a later opens_on;
        # the notices' keys keep a same-day run from telling them twice).
        notices.after_commit(notices.period_opened, period.pk)
    return period
