"""Demo data, before and after the 2025 reform (docs/design.md §1).

Before: huyện Ninh Giang's 20 communes, 2022 index published; the old tỉnh Hải Dương's 38
communes and wards (Ninh Giang's and thành phố Hải Dương's), 2024 index published. After
01/07/2025: thành phố Hải Phòng appraises 24 units directly (9 phường, 14 xã, đặc khu Cát Hải)
formed from the old ones by successions (3:1, 2:1, 1:1), its 2025 index published in two
blocks ("Phường"; "Xã, đặc khu") and this year's period open. The mergers, the 2024 and 2025
figures are illustrative, not the real ones; the names say so ("minh họa").

Everything goes through the ◆ commands (import_units, import_successions, import_criteria,
create_period, import_scores, import_tthc, publish, import_users), so the demo also shows how
an office loads its year. Xã Đồng Tâm gets its real 2022 field scores (docs/design.md §5: 87,75,
xếp thứ 9/20) and its TTHC figures (127 hồ sơ đã giải quyết, all on time).
"""

from __future__ import annotations

import csv
import io
import datetime
import random
import tempfile
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.utils import timezone

from communes.models import Unit

from ..models import CriteriaSet, Period

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
CENT = Decimal("0.01")

UNITS_FILE = FIXTURES / "demo" / "units.csv"
USERS_FILE = FIXTURES / "demo" / "users.csv"
COMMUNE_KINDS = {"xa", "phuong", "thi_tran", "dac_khu"}
CRITERIA_SET = "HD-XA-2022"
LAST_PERIOD = "NG-2022"
DISTRICT = "HD-NG"
# The old province (dissolved on 01/07/2025) and its city; their communes' 2024 index.
OLD_PROVINCE = "HD"
OLD_CITY = "HD-TP"
OLD_PROVINCE_PERIOD = "HD-2024"
# Today: the city the old province merged into, appraising its communes directly.
PROVINCE = "HP"
PROVINCE_PERIOD = "HP-2025"
BLOCKS = "Phường:phuong;Xã, đặc khu:xa,dac_khu"
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


def _score_rows(criteria_set: CriteriaSet, targets, seed: int):
    """(commune_code, criterion_code, self_score, appraised_score) for every leaf.

    `targets`: (commune code, its total or its list of field scores) in order; a total is split
    over the fields, each field over its leaves, roughly evenly (seeded: the same every load).
    """
    rng = random.Random(seed)
    fields = list(criteria_set.criteria.fields().order_by("position"))
    leaves = list(criteria_set.criteria.leaves().select_related("field").order_by("position"))
    leaves_of = {field.pk: [leaf for leaf in leaves if leaf.field_id == field.pk] for field in fields}
    for code, target in targets:
        if isinstance(target, list):
            field_targets = target
        else:
            field_targets = allocate(target, [f.max_points for f in fields], rng)
        for field, field_target in zip(fields, field_targets):
            field_leaves = leaves_of[field.pk]
            step = Decimal("0.001") if field_target != field_target.quantize(CENT) else CENT
            parts = allocate(field_target, [leaf.max_points for leaf in field_leaves], rng, step)
            for leaf, appraised in zip(field_leaves, parts):
                claimed = appraised
                if leaf.method == "self_assessed" and rng.random() < 0.15:
                    claimed = min(leaf.max_points, appraised + Decimal("0.5"))
                yield code, leaf.code, claimed, appraised


def _ninh_giang_2022(communes: list[str]):
    """Xã Đồng Tâm's real 2022 fields; the other 19 communes' totals around it (9/20)."""
    others = iter(OTHER_TOTALS)
    return [
        (code, [Decimal(v) for v in DONG_TAM_FIELDS] if code == DONG_TAM else Decimal(next(others)))
        for code in communes
    ]


def _seeded_totals(communes: list[str], seed: int, ties: tuple[str, str] | None = None):
    """Plausible totals (72,00–96,50), the same every load; `ties`: two communes given the
    same total (they share a rank, "đồng hạng")."""
    rng = random.Random(seed)
    totals = {code: Decimal(rng.randint(7200, 9650)) / 100 for code in communes}
    if ties:
        totals[ties[1]] = totals[ties[0]]
    return list(totals.items())


def _write_csv(path: Path, header: list[str], rows) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _publish_scores(period: str, targets, seed: int, *, decision: str, decision_date: str, stdout,
                    tthc=None) -> None:
    """Import every commune's appraised scores of `period` (and TTHC figures), then publish."""
    criteria_set = Period.objects.select_related("criteria_set").get(code=period).criteria_set
    with tempfile.TemporaryDirectory() as folder:
        scores_file = _write_csv(
            Path(folder) / f"diem-{period}.csv",
            ["commune_code", "criterion_code", "self_score", "appraised_score"],
            _score_rows(criteria_set, targets, seed),
        )
        call_command("import_scores", str(scores_file), period=period, stdout=stdout)
        if tthc:
            tthc_file = _write_csv(Path(folder) / f"tthc-{period}.csv", *tthc)
            call_command("import_tthc", str(tthc_file), period=period, stdout=stdout)
    # The ranking PDF is drawn on its first download (a few seconds each, not at load time).
    call_command(
        "publish", period, decision=decision, decision_date=decision_date, no_pdf=True,
        stdout=stdout,
    )


def _communes(parent: str) -> list[str]:
    """Codes of the demo's communes directly under `parent`, in the file's order."""
    with open(UNITS_FILE, encoding="utf-8") as handle:
        return [
            row["code"]
            for row in csv.DictReader(handle)
            if row["parent_code"] == parent and row["kind"] in COMMUNE_KINDS
        ]


def _set_demo_passwords() -> None:
    """Every demo account without a password gets the README's one (DEMO_PASSWORD), hashed
    once: a hash takes about a second by design, and the accounts share a published password
    anyway. A password changed since is kept."""
    with open(USERS_FILE, encoding="utf-8") as handle:
        names = {row["username"] for row in csv.DictReader(handle)} | {ADMIN_USERNAME}
    User = get_user_model()
    unset = [
        user.pk
        for user in User.objects.filter(username__in=names).only("password")
        if not user.has_usable_password()
    ]
    if unset:
        User.objects.filter(pk__in=unset).update(password=make_password(DEMO_PASSWORD))


def _missing(code: str) -> bool:
    return not Period.objects.filter(code=code).exists()


def load_demo(*, stdout=None) -> dict:
    """Load the demo; a second load changes nothing (every step skips what exists already).

    History: huyện Ninh Giang's 2022 index (real result of xã Đồng Tâm), then a 2024 index of
    the old tỉnh Hải Dương's communes and wards. Today: thành phố Hải Phòng appraises 24
    communes, wards and one special zone formed on 01/07/2025 from the old ones (illustrative
    mergers, not the real ones), published for 2025 in two blocks, open this year.
    """
    call_command("import_units", str(UNITS_FILE), stdout=stdout)
    call_command("import_successions", str(FIXTURES / "demo" / "successions.csv"), stdout=stdout)
    if not CriteriaSet.objects.filter(code=CRITERIA_SET).exists():
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
    if _missing(LAST_PERIOD):
        call_command(
            "create_period",
            code=LAST_PERIOD,
            year=2022,
            criteria=CRITERIA_SET,
            unit=DISTRICT,  # named "… của UBND các xã, thị trấn huyện Ninh Giang"
            opens_on="01/12/2022",
            self_assessment_due="31/12/2022",
            appraisal_due="28/02/2023",
            stdout=stdout,
        )
        _publish_scores(
            LAST_PERIOD,
            _ninh_giang_2022(_communes(DISTRICT)),
            2022,
            decision="766/QĐ-UBND",
            decision_date="16/03/2023",
            tthc=(["commune_code", *DONG_TAM_TTHC], [[DONG_TAM, *DONG_TAM_TTHC.values()]]),
            stdout=stdout,
        )
    if _missing(OLD_PROVINCE_PERIOD):
        call_command(
            "create_period",
            code=OLD_PROVINCE_PERIOD,
            year=2024,
            criteria=CRITERIA_SET,
            unit=OLD_PROVINCE,
            name=(
                "Chỉ số CCHC năm 2024 của UBND các xã, phường, thị trấn tỉnh Hải Dương "
                "(minh họa)"
            ),
            opens_on="01/12/2024",
            self_assessment_due="31/12/2024",
            appraisal_due="28/02/2025",
            stdout=stdout,
        )
        old_communes = _communes(DISTRICT) + _communes(OLD_CITY)
        _publish_scores(
            OLD_PROVINCE_PERIOD,
            _seeded_totals(old_communes, 2024),
            2024,
            decision="210/QĐ-UBND (minh họa)",
            decision_date="14/03/2025",
            stdout=stdout,
        )
    if _missing(PROVINCE_PERIOD):
        call_command(
            "create_period",
            code=PROVINCE_PERIOD,
            year=2025,
            criteria=CRITERIA_SET,
            unit=PROVINCE,
            previous=OLD_PROVINCE_PERIOD,
            blocks=BLOCKS,
            name=(
                "Chỉ số CCHC năm 2025 của UBND các xã, phường, đặc khu thành phố Hải Phòng "
                "(minh họa)"
            ),
            opens_on="01/12/2025",
            self_assessment_due="31/12/2025",
            appraisal_due="28/02/2026",
            stdout=stdout,
        )
        _publish_scores(
            PROVINCE_PERIOD,
            _seeded_totals(_communes(PROVINCE), 2025, ties=("HP-P04", "HP-P05")),
            2025,
            decision="455/QĐ-UBND (minh họa)",
            decision_date="16/03/2026",
            stdout=stdout,
        )
    today = timezone.localdate()
    this_year = max(today.year, 2026)
    if _missing(f"HP-{this_year}"):
        call_command(
            "create_period",
            code=f"HP-{this_year}",
            year=this_year,
            criteria=CRITERIA_SET,
            unit=PROVINCE,
            previous=PROVINCE_PERIOD,
            blocks=BLOCKS,
            opens_on=(today - datetime.timedelta(days=7)).strftime("%d/%m/%Y"),
            self_assessment_due=(today + datetime.timedelta(days=23)).strftime("%d/%m/%Y"),
            appraisal_due=(today + datetime.timedelta(days=60)).strftime("%d/%m/%Y"),
            stdout=stdout,
        )
    # Its "no password yet" notice is not for the demo: _set_demo_passwords sets them.
    call_command("import_users", str(USERS_FILE), stdout=io.StringIO())
    User = get_user_model()
    if not User.objects.filter(username=ADMIN_USERNAME).exists():
        User.objects.create_superuser(
            ADMIN_USERNAME, "quantri@example.vn", None, first_name="Quản trị hệ thống"
        )
    _set_demo_passwords()
    return {
        "periods": list(Period.objects.values_list("code", flat=True)),
        "communes": Unit.objects.communes().count(),
    }
