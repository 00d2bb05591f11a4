"""Lineage after mergers (Succession): the ◆ import_successions of docs/design.md §6 and the rules
every way in obeys (the admin's form, import_units changing dates of units in the lineage).

Reading lineage (predecessors for year-over-year) is communes/lineage.py; this module writes it.
"""

from __future__ import annotations

import datetime
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from tabular import ErrorList, ImportFailed, Row, RowError, Table

from .dates import bad_date, format_date, parse_date
from .models import Level, Succession, Unit

SUCCESSION_COLUMNS = ("predecessor_code", "successor_code", "effective_date")


@dataclass(frozen=True)
class UnitDates:
    """A unit as the lineage rules see it: who it is and when it is active."""

    pk: int
    code: str
    name: str
    level: str
    active_from: datetime.date | None
    active_to: datetime.date | None

    def active_on(self, day: datetime.date) -> bool:
        """The rule of docs/design.md §6: active_from ≤ D < active_to (empty = open)."""
        return (self.active_from is None or self.active_from <= day) and (
            self.active_to is None or day < self.active_to
        )

    def label(self) -> str:
        return f"{self.name} (mã {self.code})"


@dataclass
class _SuccessionLine:
    row: Row
    predecessor: UnitDates
    successor: UnitDates
    effective_date: datetime.date


@transaction.atomic
def import_successions(
    table: Table, *, by=None, on_checked: Callable[[], None] | None = None
) -> dict:
    """Record who became whom from a table of predecessor_code, successor_code, effective_date
    (one row per old unit and new unit: a commune formed from three has three rows).

    Both units must exist (import them first) and be of the same level; the successor must be
    active on effective_date (dd/mm/yyyy) and the predecessor must have begun before it.
    Refuses (ImportFailed, nothing saved): unknown codes, bad dates, a unit succeeding itself,
    the same pair twice in the file, and cycles, also those closed together with the
    successions already recorded.

    Importing the same file again changes nothing: a pair already recorded is left as it is,
    or gets the file's date when the date differs (a correction). Pairs not in the file stay
    (a province may load its lineage in several files; the admin deletes a wrong pair).
    Returns {"created": n, "updated": n, "unchanged": n}. `by` is the acting user (no period
    is involved, so nothing is audited). `on_checked()` is called once the whole file passed,
    before anything is written.
    """
    table.require(SUCCESSION_COLUMNS)
    _lock_successions()
    codes = {row[column] for row in table.rows for column in SUCCESSION_COLUMNS[:2]}
    units = {
        unit.code: unit
        for unit in (
            UnitDates(*values)
            for values in Unit.objects.filter(code__in=codes - {""}).values_list(
                "pk", "code", "name", "level", "active_from", "active_to"
            )
        )
    }
    lines, errors = _succession_lines(table, units)
    # The whole lineage, one row per pair: a country's is some 10,000 rows of four numbers.
    stored = {
        (predecessor_id, successor_id): (pk, effective_date)
        for pk, predecessor_id, successor_id, effective_date in Succession.objects.values_list(
            "pk", "predecessor_id", "successor_id", "effective_date"
        )
    }
    errors += _succession_cycles(lines, stored)
    if errors:
        raise ImportFailed(errors)
    if on_checked:
        on_checked()
    return _save_successions(lines, stored)


def _lock_successions() -> None:
    """Imports of lineage run one at a time (on PostgreSQL): two files that close a cycle
    together are then checked one after the other, not both against the table before either.
    Readers are not blocked."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Succession._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _succession_lines(
    table: Table, units: dict[str, UnitDates]
) -> tuple[list[_SuccessionLine], ErrorList]:
    errors = ErrorList()
    lines: list[_SuccessionLine] = []
    first_row: dict[tuple[str, str], int] = {}
    for row in table.rows:
        before = len(errors)
        ends = {}
        for column, what in (("predecessor_code", "đơn vị cũ"), ("successor_code", "đơn vị mới")):
            code = row[column]
            ends[column] = units.get(code)
            if not code:
                errors.append(row.error(column, f"Chưa có mã {what}."))
            elif ends[column] is None:
                errors.append(
                    row.error(column, f"Không có đơn vị mã “{code}” (hãy nhập đơn vị trước).")
                )
        predecessor, successor = ends["predecessor_code"], ends["successor_code"]
        day = None
        try:
            day = parse_date(row["effective_date"])
            if day is None:
                errors.append(row.error("effective_date", "Chưa có ngày hiệu lực."))
        except ValueError:
            errors.append(row.error("effective_date", bad_date(row["effective_date"])))
        pair = (row["predecessor_code"], row["successor_code"])
        if pair[0] and pair[0] == pair[1]:
            errors.append(row.error("successor_code", "Đơn vị mới phải khác đơn vị cũ."))
        elif all(pair) and pair in first_row:
            errors.append(
                row.error(
                    "successor_code",
                    f"Cặp {pair[0]} → {pair[1]} bị trùng với dòng {first_row[pair]}.",
                )
            )
        first_row.setdefault(pair, row.number)
        if len(errors) > before:
            continue
        problems = _pair_problems(predecessor, successor, day)
        errors += [row.error(column, message) for column, message in problems]
        if not problems:
            lines.append(_SuccessionLine(row, predecessor, successor, day))
    return lines, errors


def _pair_problems(
    predecessor: UnitDates, successor: UnitDates, day: datetime.date
) -> list[tuple[str, str]]:
    """(column, message) for each rule of docs/design.md §6 a pair breaks, cycles apart: the same
    level, the successor active on the day, the predecessor begun before it."""
    problems = []
    if predecessor.level != successor.level:
        problems.append(
            (
                "successor_code",
                f"{successor.label()} thuộc {Level(successor.level).label.lower()}, còn "
                f"{predecessor.label()} thuộc {Level(predecessor.level).label.lower()}: "
                "đơn vị cũ và đơn vị mới phải cùng cấp.",
            )
        )
    if not successor.active_on(day):
        problems.append(
            (
                "effective_date",
                f"{successor.label()} không hoạt động vào ngày {format_date(day)} "
                f"({_span(successor)}).",
            )
        )
    if predecessor.active_from is not None and predecessor.active_from >= day:
        problems.append(
            (
                "effective_date",
                f"{predecessor.label()} bắt đầu hoạt động từ ngày "
                f"{format_date(predecessor.active_from)}, không thể được kế thừa vào ngày "
                f"{format_date(day)}.",
            )
        )
    return problems


def succession_problems(succession: Succession) -> dict[str, list[str]]:
    """What the admin's form refuses in one succession, by model field, with the rules and
    messages of import_successions (the pair rules and cycles through the stored lineage)."""
    if not (succession.predecessor_id and succession.successor_id and succession.effective_date):
        return {}
    if succession.predecessor_id == succession.successor_id:
        return {"successor": ["Đơn vị mới phải khác đơn vị cũ."]}
    ends = [
        UnitDates(unit.pk, unit.code, unit.name, unit.level, unit.active_from, unit.active_to)
        for unit in (succession.predecessor, succession.successor)
    ]
    field = {"successor_code": "successor", "effective_date": "effective_date"}
    problems: dict[str, list[str]] = {}
    for column, message in _pair_problems(*ends, succession.effective_date):
        problems.setdefault(field[column], []).append(message)
    following: dict[int, set[int]] = {}
    for predecessor_id, successor_id in Succession.objects.exclude(pk=succession.pk).values_list(
        "predecessor_id", "successor_id"
    ):
        following.setdefault(predecessor_id, set()).add(successor_id)
    path = _path(following, ends[1].pk, ends[0].pk)
    if path is not None:
        codes = dict(Unit.objects.filter(pk__in=path).values_list("pk", "code"))
        chain = " → ".join(codes[pk] for pk in [ends[0].pk, *path])
        problems.setdefault("successor", []).append(f"Vòng lặp kế thừa: {chain}.")
    return problems


def _span(unit: UnitDates) -> str:
    """When a unit is active, in words: "hoạt động từ 01/07/2025", "thôi hoạt động từ …"."""
    if unit.active_from and unit.active_to:
        return (
            f"hoạt động từ ngày {format_date(unit.active_from)} đến trước ngày "
            f"{format_date(unit.active_to)}"
        )
    if unit.active_from:
        return f"hoạt động từ ngày {format_date(unit.active_from)}"
    return f"thôi hoạt động từ ngày {format_date(unit.active_to)}"


def _succession_cycles(lines: list[_SuccessionLine], stored: dict) -> list[RowError]:
    """Rows whose successor leads back to their predecessor, through the file's rows and the
    successions already recorded: "A → B → A" (a unit never succeeds itself, even later)."""
    if not lines:
        return []
    following: dict[int, set[int]] = {}
    for predecessor_id, successor_id in stored:
        following.setdefault(predecessor_id, set()).add(successor_id)
    code_of = {}
    for line in lines:
        following.setdefault(line.predecessor.pk, set()).add(line.successor.pk)
        code_of[line.predecessor.pk] = line.predecessor.code
        code_of[line.successor.pk] = line.successor.code
    cycles = []
    for line in lines:
        path = _path(following, line.successor.pk, line.predecessor.pk)
        if path is not None:
            cycles.append((line.row, [line.predecessor.pk, *path]))
    missing = {pk for _, path in cycles for pk in path} - code_of.keys()
    code_of.update(Unit.objects.filter(pk__in=missing).values_list("pk", "code"))
    errors = []
    for row, path in cycles:
        errors.append(
            row.error(
                "successor_code",
                f"Vòng lặp kế thừa: {' → '.join(code_of[pk] for pk in path)}.",
            )
        )
    return errors


def _path(following: dict[int, set[int]], start: int, goal: int) -> list[int] | None:
    """The shortest chain of successions from `start` to `goal` (both included), or None."""
    came_from = {start: None}
    queue = deque([start])
    while queue:
        current = queue.popleft()
        if current == goal:
            path = []
            while current is not None:
                path.append(current)
                current = came_from[current]
            return path[::-1]
        for following_id in sorted(following.get(current, ())):
            if following_id not in came_from:
                came_from[following_id] = current
                queue.append(following_id)
    return None


def _save_successions(lines: list[_SuccessionLine], stored: dict) -> dict:
    new, changed = [], []
    for line in lines:
        pk, effective_date = stored.get((line.predecessor.pk, line.successor.pk), (None, None))
        if pk is None:
            new.append(
                Succession(
                    predecessor_id=line.predecessor.pk,
                    successor_id=line.successor.pk,
                    effective_date=line.effective_date,
                )
            )
        elif effective_date != line.effective_date:
            changed.append(Succession(pk=pk, effective_date=line.effective_date))
    Succession.objects.bulk_create(new, batch_size=2000)
    Succession.objects.bulk_update(changed, ["effective_date"], batch_size=500)
    return {
        "created": len(new),
        "updated": len(changed),
        "unchanged": len(lines) - len(new) - len(changed),
    }


def lineage_errors(changed: Mapping[str, Any], new_levels: Mapping[str, str]) -> list[RowError]:
    """Stored units whose dates or kind the file changes (code → a line of import_units: row,
    code, name, level, active_from, active_to) must keep the stored lineage true, by the rules
    of import_successions; `new_levels` holds the level of every unit of the file (code →
    level), for the other side of a succession."""
    if not changed:
        return []
    errors = []
    successions = (
        Succession.objects.filter(
            Q(predecessor__code__in=changed) | Q(successor__code__in=changed)
        )
        .select_related("predecessor", "successor")
        .order_by("effective_date", "pk")
    )
    fix = "sửa quan hệ kế thừa trước (import_successions hoặc trang Quản trị)"
    for succession in successions:
        day, old, new = succession.effective_date, succession.predecessor, succession.successor
        old_level = new_levels.get(old.code, old.level)
        new_level = new_levels.get(new.code, new.level)
        if old_level != new_level:
            line = changed.get(new.code) or changed[old.code]
            names = {unit.code: unit.name for unit in (old, new)} | {line.code: line.name}
            errors.append(
                line.row.error(
                    "kind",
                    f"{names[new.code]} (mã {new.code}) kế thừa {names[old.code]} (mã {old.code}) "
                    f"từ ngày "
                    f"{format_date(day)}; với loại đơn vị mới thì hai đơn vị không còn cùng cấp "
                    f"({Level(new_level).label.lower()} và {Level(old_level).label.lower()}); "
                    f"{fix}.",
                )
            )
        line = changed.get(new.code)
        if line is not None:
            unit = UnitDates(
                new.pk, new.code, new.name, new.level, line.active_from, line.active_to
            )
            if not unit.active_on(day):
                column = "active_to" if line.active_to and line.active_to <= day else "active_from"
                errors.append(
                    line.row.error(
                        column,
                        f"{unit.label()} kế thừa {old.name} (mã {old.code}) từ ngày "
                        f"{format_date(day)} nhưng với ngày mới thì không hoạt động vào ngày đó; "
                        f"{fix}.",
                    )
                )
        line = changed.get(old.code)
        if line is not None and line.active_from is not None and line.active_from >= day:
            errors.append(
                line.row.error(
                    "active_from",
                    f"{line.name} (mã {line.code}) được {new.name} (mã {new.code}) kế thừa từ "
                    f"ngày {format_date(day)}: ngày bắt đầu hoạt động phải trước ngày đó; {fix}.",
                )
            )
    return errors
