"""The national-size data set shared by bench/publish.py and bench/import_scores.py.

One province appraising N communes directly (after 1/7/2025) on a criteria set of 10 fields
(10 points each) with M leaf criteria spread over them. The scripts build it inside
_setup.throwaway_database.
"""

from __future__ import annotations

import datetime
import time
from decimal import ROUND_DOWN, Decimal

COMMUNES = 3321
CRITERIA = 80
FIELDS = 10


def criteria_rows(leaves: int):
    """10 fields of 10 points; `leaves` leaf criteria spread over them (maxima add up)."""
    from scoring.services.setup import CriterionRow

    rows = []
    for field in range(1, FIELDS + 1):
        count = leaves // FIELDS + (1 if field <= leaves % FIELDS else 0)
        rows.append(CriterionRow(str(field), None, f"Lĩnh vực {field}", Decimal(10)))
        share = (Decimal(10) / count).quantize(Decimal("0.001"), rounding=ROUND_DOWN)
        for leaf in range(1, count + 1):
            points = share if leaf < count else Decimal(10) - share * (count - 1)
            rows.append(CriterionRow(f"{field}.{leaf}", str(field), f"Tiêu chí {field}.{leaf}", points))
    return rows


def build_period(communes: int, leaves: int, *, code: str = "QG-2025"):
    """The province, its communes, the criteria set and an open period with empty scores.

    Returns (period, seconds taken)."""
    from communes.models import Level, Unit
    from scoring.services.setup import create_period, save_criteria_set

    started = time.perf_counter()
    province = Unit.objects.create(code="T01", name="Tỉnh Thử Nghiệm", kind="tinh", level=Level.PROVINCE)
    Unit.objects.bulk_create(
        (
            Unit(
                code=f"X{i:05d}",
                name=f"{'Phường' if i % 4 == 0 else 'Xã'} Số {i}",
                kind="phuong" if i % 4 == 0 else "xa",
                level=Level.COMMUNE,
                parent=province,
            )
            for i in range(1, communes + 1)
        ),
        batch_size=2000,
    )
    criteria_set = save_criteria_set("BTC-QG", "Bộ tiêu chí thử nghiệm", criteria_rows(leaves))
    period = create_period(
        code=code,
        year=2025,
        criteria_set=criteria_set,
        unit=province,
        opens_on=datetime.date(2026, 1, 5),
    )
    return period, time.perf_counter() - started


def leaf_maxima(period) -> dict[str, Decimal]:
    from scoring.models import Criterion

    return dict(
        Criterion.objects.filter(criteria_set=period.criteria_set, children__isnull=True).values_list(
            "code", "max_points"
        )
    )


def score_for(commune: int, leaf: int, maximum: Decimal) -> Decimal:
    """A deterministic score in [0, maximum], in steps of 0.05 so that fields tie often."""
    steps = int(maximum / Decimal("0.05"))
    return min(maximum, Decimal("0.05") * ((commune * 7919 + leaf * 104729) % (steps + 1)))
