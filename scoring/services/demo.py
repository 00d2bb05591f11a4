"""Demo data: a district of 20 communes, last year's published index, this year's open period.

Everything goes through the ◆ commands (import_units, import_criteria, create_period,
import_scores, import_tthc, publish, import_users), so the demo also shows how a district loads
its year. Xã Đồng Tâm gets its real 2022 field scores (docs/design.md §5: 87,75, xếp thứ
9/20) and its TTHC figures (127 hồ sơ đã giải quyết, all on time).
"""

from __future__ import annotations

import csv
import datetime
import random
import tempfile
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from ..models import CriteriaSet, Period

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
CENT = Decimal("0.01")

CRITERIA_SET = "HD-XA-2022"
LAST_PERIOD = "NG-2022"
DISTRICT = "HD-NG"
DONG_TAM = "HD-NG-02"
# docs/design.md §5: xã Đồng Tâm, 2022, fields 1–10.
DONG_TAM_FIELDS = ["11.84", "4.75", "16.62", "6", "11", "5", "10.19", "1.577", "11.49", "9.28"]
# docs/design.md §5: the TTHC figures on xã Đồng Tâm's web page, 2022 (127 hồ sơ đã giải quyết, 127
# đúng hạn, 0 trễ hạn), taken as all the dossiers received (import_tthc's columns).
DONG_TAM_TTHC = {"received": 127, "processed": 127, "on_time": 127, "late": 0}
# Totals of the other 19 communes: eight above Đồng Tâm's 87,75 and eleven below, so it ranks 9/20.
OTHER_TOTALS = [
    "93.12", "91.46", "90.25", "89.93", "89.51", "88.94", "88.36", "88.02",
    "87.21", "86.54", "85.98", "85.02", "84.37", "83.15", "82.46", "80.91", "79.33", "77.64", "74.82",
]
DEMO_PASSWORD = "cchc2026"
ADMIN_USERNAME = "quantri"


def allocate(target: Decimal, maxima: list[Decimal], rng: random.Random, step=CENT) -> list[Decimal]:
    """Split `target` into parts within [0, max] that add up to it exactly, roughly evenly."""
    total_max = sum(maxima)
    ratio = target / total_max if total_max else Decimal(0)
    parts = []
    for maximum in maxima:
        wobble = Decimal(rng.randint(-8, 8)) / 100
        share = min(max(ratio + wobble, Decimal(0)), Decimal(1))
        parts.append((maximum * share).quantize(step))
    gap = target - sum(parts)
    order = list(range(len(parts)))
    while gap != 0:
        rng.shuffle(order)
        moved = False
        for i in order:
            room = maxima[i] - parts[i] if gap > 0 else parts[i]
            if room <= 0:
                continue
            delta = min(abs(gap), room)
            parts[i] += delta if gap > 0 else -delta
            gap += -delta if gap > 0 else delta
            moved = True
            if gap == 0:
                break
        if not moved:
            raise ValueError(f"Cannot allocate {target} within {total_max}")
    return parts


def _score_rows(criteria_set: CriteriaSet, commune_codes: list[str], seed: int = 2022):
    """(commune_code, criterion_code, self_score, appraised_score) for every leaf."""
    rng = random.Random(seed)
    fields = list(criteria_set.criteria.fields().order_by("position"))
    leaves = list(criteria_set.criteria.leaves().select_related("field").order_by("position"))
    leaves_of = {field.pk: [leaf for leaf in leaves if leaf.field_id == field.pk] for field in fields}
    others = iter(OTHER_TOTALS)
    for code in commune_codes:
        if code == DONG_TAM:
            field_targets = [Decimal(value) for value in DONG_TAM_FIELDS]
        else:
            field_targets = allocate(Decimal(next(others)), [f.max_points for f in fields], rng)
        for field, target in zip(fields, field_targets):
            field_leaves = leaves_of[field.pk]
            step = Decimal("0.001") if target != target.quantize(CENT) else CENT
            parts = allocate(target, [leaf.max_points for leaf in field_leaves], rng, step)
            for leaf, appraised in zip(field_leaves, parts):
                claimed = appraised
                if leaf.method == "self_assessed" and rng.random() < 0.15:
                    claimed = min(leaf.max_points, appraised + Decimal("0.5"))
                yield code, leaf.code, claimed, appraised


def _write_csv(path: Path, header: list[str], rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def load_demo(*, stdout=None) -> dict:
    """Load the whole demo into an empty database; returns what it created."""
    units_file = FIXTURES / "demo" / "units.csv"
    call_command("import_units", str(units_file), stdout=stdout)
    call_command(
        "import_criteria",
        str(FIXTURES / "reference-commune-2022.csv"),
        code=CRITERIA_SET,
        name="Bộ chỉ số CCHC cấp xã tỉnh Hải Dương (minh họa)",
        legal_basis=(
            "Quyết định số 3395/QĐ-UBND ngày 15/12/2022 của UBND tỉnh Hải Dương "
            "(bộ tiêu chí minh họa, không phải phụ lục chính thức)"
        ),
        stdout=stdout,
    )
    call_command(
        "create_period",
        code=LAST_PERIOD,
        year=2022,
        criteria=CRITERIA_SET,
        unit=DISTRICT,
        name="Chỉ số CCHC năm 2022 của UBND các xã, thị trấn huyện Ninh Giang",
        opens_on="01/12/2022",
        self_assessment_due="31/12/2022",
        appraisal_due="28/02/2023",
        stdout=stdout,
    )
    criteria_set = CriteriaSet.objects.get(code=CRITERIA_SET)
    with open(units_file, encoding="utf-8") as handle:
        communes = [row["code"] for row in csv.DictReader(handle) if row["parent_code"] == DISTRICT]
    with tempfile.TemporaryDirectory() as folder:
        scores_file = _write_csv(
            Path(folder) / "diem-2022.csv",
            ["commune_code", "criterion_code", "self_score", "appraised_score"],
            _score_rows(criteria_set, communes),
        )
        call_command("import_scores", str(scores_file), period=LAST_PERIOD, stdout=stdout)
        tthc_file = _write_csv(
            Path(folder) / "tthc-2022.csv",
            ["commune_code", *DONG_TAM_TTHC],
            [[DONG_TAM, *DONG_TAM_TTHC.values()]],
        )
        call_command("import_tthc", str(tthc_file), period=LAST_PERIOD, stdout=stdout)
    call_command(
        "publish", LAST_PERIOD, decision="766/QĐ-UBND", decision_date="16/03/2023", stdout=stdout
    )
    today = timezone.localdate()
    this_year = today.year
    call_command(
        "create_period",
        code=f"NG-{this_year}",
        year=this_year,
        criteria=CRITERIA_SET,
        unit=DISTRICT,
        previous=LAST_PERIOD,
        name=f"Chỉ số CCHC năm {this_year} của UBND các xã, thị trấn huyện Ninh Giang",
        opens_on=(today - datetime.timedelta(days=7)).strftime("%d/%m/%Y"),
        self_assessment_due=(today + datetime.timedelta(days=23)).strftime("%d/%m/%Y"),
        appraisal_due=(today + datetime.timedelta(days=60)).strftime("%d/%m/%Y"),
        stdout=stdout,
    )
    call_command("import_users", str(FIXTURES / "demo" / "users.csv"), stdout=stdout)
    User = get_user_model()
    if not User.objects.filter(username=ADMIN_USERNAME).exists():
        User.objects.create_superuser(
            ADMIN_USERNAME, "quantri@example.vn", DEMO_PASSWORD, first_name="Quản trị hệ thống"
        )
    return {"periods": list(Period.objects.values_list("code", flat=True)), "communes": len(communes)}
