"""How results read in Vietnamese: ranks, changes against last year, exact numbers for files.

Pure functions (no database, no settings), on top of scoring/rules.py.
"""

from __future__ import annotations

from decimal import Decimal

from scoring import rules
from scoring.display import format_datetime  # noqa: F401 - re-exported for reports
from scoring.rules import plain_decimal  # noqa: F401 - the exact-number rule, re-exported


def rank_text(rank: int | None, rank_of: int | None) -> str:
    """ "9/20" (overall) or "9/19" (a field's dense rank); "" when unknown."""
    if not rank or not rank_of:
        return ""
    return f"{rank}/{rank_of}"


def rank_change(rank: int, previous_rank: int | None) -> str:
    """Places moved since last year, as the district announces them: "tăng 8 bậc"."""
    if previous_rank is None:
        return ""
    moved = previous_rank - rank
    if moved > 0:
        return f"tăng {moved} bậc"
    if moved < 0:
        return f"giảm {-moved} bậc"
    return "giữ nguyên thứ hạng"


def points_change(total: Decimal, previous_total: Decimal | None) -> str:
    """Points gained since last year: "+2,38 điểm", "-1,5 điểm", "0 điểm".

    The difference of the printed (2-decimal) totals, so readers can check it from the tables.
    """
    if previous_total is None:
        return ""
    difference = rules.round_printed(total) - rules.round_printed(previous_total)
    return f"{rules.format_signed(difference)} điểm"


def rank_change_direction(rank: int, previous_rank: int | None) -> str:
    """ "up", "down", "same" or "" (for CSS classes)."""
    if previous_rank is None:
        return ""
    if previous_rank > rank:
        return "up"
    if previous_rank < rank:
        return "down"
    return "same"




def compared_with(name: str) -> str:
    """Whom a commune without a result of its own last year is compared with."""
    return f"so với {name} năm trước"


def formed_from(predecessors) -> str:
    """A merged commune's predecessors with their index and rank last year (each a
    scoring.models.PreviousUnit): "hình thành từ: Xã A 87,75 – 9/20; Xã B 80 – 12/20"."""
    return "hình thành từ: " + "; ".join(
        f"{unit.name} {rules.format_total(unit.index)} – {rank_text(unit.rank, unit.rank_of)}"
        for unit in predecessors
    )


def percent_of(score: Decimal, maximum: Decimal) -> Decimal:
    """Score as a share of its maximum, in % (exact to 2 decimals; 0 when the maximum is 0)."""
    if not maximum:
        return Decimal(0)
    return rules.round_printed(score * rules.HUNDRED / maximum)


