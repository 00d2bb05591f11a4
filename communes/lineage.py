"""Lineage across mergers (docs/design.md §3 `Succession`, §5 "change vs the previous year").

Which earlier units a unit continues: itself when it was assessed last year; otherwise the
units it was formed from, following successions back through as many steps as it takes
(A → B → C when two reorganisations fell between two periods) and stopping at the first units
that were assessed. A commune formed by merging three has three predecessors; one renamed or
upgraded (xã → phường) has one.

`lineage_of` reads every succession behind a set of units in ONE query (a recursive CTE),
whatever the number of units or the length of the chains; `Lineage.earlier` then answers in
Python. The caller says which units count as "assessed last year" (the units with a result in
the previous publication, or with an assessment in the previous period), so this module never
reads the scoring app.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field

from django.db import connection

from .models import Succession


@dataclass(frozen=True)
class Lineage:
    """The successions behind some units: successor id → its direct predecessors' ids."""

    predecessors_of: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def units(self, unit_ids: Iterable[int] = ()) -> set[int]:
        """Every unit met: `unit_ids` and all their predecessors, however far back."""
        found = set(unit_ids)
        for successor, predecessors in self.predecessors_of.items():
            found.add(successor)
            found.update(predecessors)
        return found

    def earlier(self, unit_id: int, assessed: Container[int]) -> list[int]:
        """The units of `assessed` that `unit_id` continues: [unit_id] when it is one itself;
        else, walking back from it, each first assessed unit on every branch (in the order
        met, each once). [] when no branch reaches one (a unit new in every respect).
        A cycle in the data (refused on import) is walked once."""
        if unit_id in assessed:
            return [unit_id]
        found: list[int] = []
        seen = {unit_id}
        pending = list(reversed(self.predecessors_of.get(unit_id, ())))
        while pending:
            unit = pending.pop()
            if unit in seen:
                continue
            seen.add(unit)
            if unit in assessed:
                found.append(unit)
            else:
                pending.extend(reversed(self.predecessors_of.get(unit, ())))
        return found


def lineage_of(unit_ids: Iterable[int]) -> Lineage:
    """Every succession reachable backwards from `unit_ids`, in one query."""
    unit_ids = sorted(set(unit_ids))
    if not unit_ids:
        return Lineage()
    table = connection.ops.quote_name(Succession._meta.db_table)
    placeholders = ", ".join(["%s"] * len(unit_ids))
    # UNION (not UNION ALL) drops rows already found, so even a cycle ends.
    sql = (
        f"WITH RECURSIVE back(predecessor_id, successor_id) AS ("
        f" SELECT predecessor_id, successor_id FROM {table}"
        f" WHERE successor_id IN ({placeholders})"
        f" UNION"
        f" SELECT s.predecessor_id, s.successor_id FROM {table} s"
        f" JOIN back b ON s.successor_id = b.predecessor_id"
        f") SELECT predecessor_id, successor_id FROM back ORDER BY successor_id, predecessor_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, unit_ids)
        rows = cursor.fetchall()
    predecessors: dict[int, list[int]] = {}
    for predecessor, successor in rows:
        predecessors.setdefault(successor, []).append(predecessor)
    return Lineage({successor: tuple(ids) for successor, ids in predecessors.items()})


def earlier_units(unit_ids: Iterable[int], assessed: Container[int]) -> dict[int, list[int]]:
    """unit id → the assessed units it continues (Lineage.earlier), for every unit given.

    One query, and none when every unit was assessed itself."""
    unit_ids = list(unit_ids)
    missing = [unit for unit in unit_ids if unit not in assessed]
    lineage = lineage_of(missing) if missing else Lineage()
    return {unit: lineage.earlier(unit, assessed) for unit in unit_ids}
