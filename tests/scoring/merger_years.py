"""Two years across the 2025 mergers, for the year-over-year tests (issue 11 items 4 and 5).

2024 (period T-2024, the province appraising, set CS-Y "flat": 1.1 max 2, 1.2 max 4, 2.1 max
4; index = total × 10): ten communes, ranked 1 to 10 by total:

    A 9 · B 8,5 · C 8 · O1 7,5 · O2 7 · O3 6,5 · O4 6 · O5 5,5 · O6 5 · O7 4,5

On 01/07/2025 O1..O7 are dissolved: O1 + O2 + O3 → M3 (3:1), O4 + O5 → M2 (2:1), O6 → W1
(1:1, becomes a ward), and O7 → T1 (01/03/2025) → T2 (01/07/2025, a chain over two steps that
both fall between the periods). A, B and C exist both years. Z (a special zone) is new and has
no predecessor. 2025 (period T-2025, previous T-2024): A, B, C, M3, M2, W1, T2, Z.
"""

import datetime
from decimal import Decimal

from communes.models import Succession
from scoring.models import Assessment

from ..factories import make_criteria_set, make_period, make_unit
from .publish_data import appraise

D = Decimal
DISSOLVED = datetime.date(2025, 7, 1)
T1_FROM = datetime.date(2025, 3, 1)

OLD = {  # code: (name, 1.1, 1.2, 2.1)
    "O1": ("Xã Kiến Quốc", "1,5", "3", "3"),
    "O2": ("Xã Ninh Hải", "1", "3", "3"),
    "O3": ("Xã Văn Hội", "1", "2,5", "3"),
    "O4": ("Xã Hồng Đức", "1", "2", "3"),
    "O5": ("Xã Quang Hưng", "0,5", "2", "3"),
    "O6": ("Xã Tân Hương", "0", "2", "3"),
    "O7": ("Xã Nghĩa An", "0", "1,5", "3"),
}
SCORES_2024 = {
    "A": ("2", "4", "3"),
    "B": ("2", "3,5", "3"),
    "C": ("2", "3", "3"),
    **{code: values[1:] for code, values in OLD.items()},
}
NEW = {  # code: (name, kind, predecessors)
    "M3": ("Xã Kiến Hải", "xa", ["O1", "O2", "O3"]),
    "M2": ("Xã Hồng Quang", "xa", ["O4", "O5"]),
    "W1": ("Phường Tân Hương", "phuong", ["O6"]),
    "T2": ("Phường Nghĩa An", "phuong", ["T1"]),
    "Z": ("Đặc khu Mới", "dac_khu", []),
}
# 2025 ranks: M3 1 (9,5), B 2 (9), C 3 (8), W1 4 (7,5), A 5 (7), M2 6 (6), T2 7 (5), Z 8 (2,5).
SCORES_2025 = {
    "A": ("1", "3", "3"),
    "B": ("2", "4", "3"),
    "C": ("2", "3", "3"),
    "M3": ("2", "4", "3,5"),
    "M2": ("1", "2", "3"),
    "W1": ("1,5", "3", "3"),
    "T2": ("0", "2", "3"),
    "Z": ("0,5", "1", "1"),
}
LEAVES = ("1.1", "1.2", "2.1")


def build_units(units):
    """The old and new units and their successions under province P (conftest `units`)."""
    province, district = units["province"], units["district"]
    made = {}
    for code, (name, *_scores) in OLD.items():
        made[code] = make_unit(code, name, "xa", district, active_to=DISSOLVED)
    made["T1"] = make_unit(
        "T1", "Xã Nghĩa An (tạm)", "xa", province, active_from=T1_FROM, active_to=DISSOLVED
    )
    Succession.objects.create(predecessor=made["O7"], successor=made["T1"], effective_date=T1_FROM)
    for code, (name, kind, predecessors) in NEW.items():
        made[code] = make_unit(code, name, kind, province, active_from=DISSOLVED)
        for before in predecessors:
            Succession.objects.create(
                predecessor=made[before], successor=made[code], effective_date=DISSOLVED
            )
    return made


def scores_of(table, leaves=LEAVES):
    return {code: dict(zip(leaves, values)) for code, values in table.items()}


def build_years(units, *, criteria_2025=None):
    """The units, T-2024 appraised (not yet published) and T-2025 open (no score yet).
    `criteria_2025(set_2024)` gives 2025's criteria set (default: 2024's)."""
    made = build_units(units)
    province = units["province"]
    criteria = make_criteria_set("CS-Y", "flat")
    p2024 = make_period(
        province, code="T-2024", year=2024, criteria_set=criteria,
        opens_on=datetime.date(2024, 12, 1),
    )
    appraise(p2024, scores_of(SCORES_2024))
    p2025 = make_period(
        province, code="T-2025", year=2025,
        criteria_set=criteria_2025(criteria) if criteria_2025 else criteria,
        opens_on=datetime.date(2025, 12, 1), previous=p2024,
    )
    return made, p2024, p2025


def assessment(period, code) -> Assessment:
    return Assessment.objects.select_related("period", "commune").get(
        period=period, commune__code=code
    )
