"""Published periods for the report tests and bench/reports.py, built straight into the
snapshot tables (Publication, Result with its field results) from appraised Score rows.

Xã Đồng Tâm (commune A) gets its real 2022 field scores (docs/design.md §5: 87,75, xếp thứ 9/20
among 20 communes); the others get totals around it. The previous year's period is published too, so
results carry previous_total / previous_rank and the commune report has last year's fields.
"""

from __future__ import annotations

import csv
import datetime
import json
import random
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from communes.models import Unit
from scoring import rules
from scoring.models import (
    Assessment,
    FieldScore,
    Period,
    Publication,
    Result,
    Score,
    encode_field_scores,
)
from scoring.selectors import (
    criterion_texts,
    lost_criteria_of,
    lost_points_by_criterion,
    lost_sums,
)
from scoring.services.demo import DONG_TAM_FIELDS, OTHER_TOTALS, allocate
from scoring.services.setup import CriterionRow, create_period, save_criteria_set

D = Decimal
REFERENCE_CSV = Path(settings.BASE_DIR) / "fixtures" / "reference-commune-2022.csv"
DECISION = "766/QĐ-UBND"
DECISION_DATE = datetime.date(2023, 3, 16)


def reference_criteria_set(code: str = "HD-XA-2022"):
    """The reference set: 10 fields, 100 points, 48 leaves (fixtures/)."""
    with open(REFERENCE_CSV, encoding="utf-8") as handle:
        rows = [
            CriterionRow(
                code=row["code"],
                parent_code=row["parent_code"] or None,
                name=row["name"],
                max_points=rules.parse_decimal(row["max_points"]),
                method=row["method"],
                evidence_required=row["evidence_required"] == "1",
                guidance=row["guidance"],
            )
            for row in csv.DictReader(handle)
        ]
    return save_criteria_set(code, "Bộ chỉ số CCHC cấp xã (tham khảo)", rows)


def communes_of(district: Unit, count: int, *, wards: bool = False) -> list[Unit]:
    """`count` communes under the district: the existing ones (A, B) first, then new ones
    (every second one a ward, "Phường Số …", when `wards`)."""
    communes = list(Unit.objects.communes().filter(parent=district).order_by("code"))
    for i in range(len(communes) + 1, count + 1):
        code, name, kind = f"{district.code}-X{i:03d}", f"Xã Số {i:03d}", "xa"
        if wards and i % 2:
            name, kind = f"Phường Số {i:03d}", "phuong"
        unit = Unit(code=code, name=name, kind=kind, parent=district)
        unit.save()
        communes.append(unit)
    return communes[:count]


def totals_for(count: int, seed: int) -> list[Decimal]:
    """Totals of the communes other than A: the demo's 19 for a 20-commune district."""
    if count == 20:
        return [D(value) for value in OTHER_TOTALS]
    rng = random.Random(seed)
    return [D(rng.randint(6500, 9700)) / 100 for _ in range(count - 1)]


def fill_scores(period: Period, field_scores: dict[int, list[Decimal]], *, seed: int) -> None:
    """Replace the period's scores: each commune's field targets split over its leaves
    (appraised), the self score sometimes 0,5 higher."""
    rng = random.Random(seed)
    criteria = period.criteria_set.criteria
    fields = list(criteria.fields().order_by("position"))
    leaves = list(criteria.leaves().order_by("position"))
    leaves_of = {f.pk: [leaf for leaf in leaves if leaf.field_id == f.pk] for f in fields}
    assessments = {a.commune_id: a for a in period.assessments.all()}
    Score.objects.filter(assessment__period=period).delete()
    scores = []
    for commune_id, targets in field_scores.items():
        for f, target in zip(fields, targets):
            step = D("0.001") if target != target.quantize(D("0.01")) else D("0.01")
            parts = allocate(target, [leaf.max_points for leaf in leaves_of[f.pk]], rng, step)
            for leaf, appraised in zip(leaves_of[f.pk], parts):
                claimed = appraised
                if rng.random() < 0.2:
                    claimed = min(leaf.max_points, appraised + D("0.5"))
                scores.append(
                    Score(
                        assessment=assessments[commune_id],
                        criterion=leaf,
                        self_score=claimed,
                        appraised_score=appraised,
                        appraisal_note="Thiếu tài liệu kiểm chứng." if appraised < claimed else "",
                    )
                )
    Score.objects.bulk_create(scores, batch_size=2000)
    period.assessments.update(status=Assessment.Status.APPRAISED)


def snapshot(
    period: Period,
    *,
    version: int = 1,
    decision: str = DECISION,
    decision_date: datetime.date | None = DECISION_DATE,
    reason: str = "",
    by=None,
    published_at: datetime.datetime | None = None,
) -> Publication:
    """Freeze the period's appraised scores as publication `version` (rules.standings)."""
    fields = list(period.criteria_set.criteria.fields().order_by("position"))
    sums: dict[int, dict[int, Decimal]] = {}
    rows = Score.objects.filter(assessment__period=period).values_list(
        "assessment__commune_id", "criterion__field_id", "appraised_score"
    )
    for commune_id, field_id, appraised in rows:
        per_field = sums.setdefault(commune_id, {f.pk: D(0) for f in fields})
        per_field[field_id] += appraised or D(0)
    maximum = sum((f.max_points for f in fields), D(0))
    blocks = period.block_list()
    block_of = None
    if blocks:
        of_kind = rules.block_of_kind(blocks)
        block_of = {
            commune: of_kind[kind]
            for commune, kind in period.assessments.values_list("commune_id", "commune__kind")
        }
    standings = rules.standings(
        sums, dict.fromkeys(sums, maximum), period.band_list(), blocks=block_of
    )
    previous, last = {}, None
    if period.previous_id:
        last = Publication.objects.filter(period_id=period.previous_id).order_by("-version").first()
        if last:
            previous = {r.commune_id: r for r in last.results.all()}
    texts = criterion_texts(period.criteria_set_id)
    publication = Publication.objects.create(
        period=period,
        version=version,
        published_at=published_at or timezone.now(),
        published_by=by,
        decision=decision,
        decision_date=decision_date,
        reason=reason,
        lost_points=_plain(lost_points_by_criterion(period, texts)),
        compared_with=last,
        blocks=[block.label for block in blocks],
    )
    commune_of = dict(period.assessments.values_list("pk", "commune_id"))
    scores = Score.objects.filter(assessment__period=period)
    lost = {commune_of[pk]: items for pk, items in lost_criteria_of(scores, texts).items()}
    lost_totals = {
        commune_of[row.pop("assessment_id")]: row
        for row in scores.with_points().values("assessment_id").annotate(**lost_sums())
    }
    Result.objects.bulk_create(
        Result(
            publication=publication,
            commune_id=c,
            total=standings[c].total,
            applicable_max=maximum,
            index=standings[c].index,
            rank=standings[c].rank,
            rank_of=standings[c].rank_of,
            block=standings[c].block,
            classification=standings[c].classification,
            previous_total=previous[c].total if c in previous else None,
            previous_index=previous[c].index if c in previous else None,
            previous_rank=previous[c].rank if c in previous else None,
            field_results=json.loads(
                encode_field_scores(
                    {
                        f.code: FieldScore(
                            sums[c][f.pk], f.max_points, *standings[c].field_ranks[f.pk]
                        )
                        for f in fields
                    }
                )
            ),
            lost_criteria=_plain(
                {"items": lost.get(c, []), "total": lost_totals[c]["lost_total"] or D(0),
                 "count": lost_totals[c]["lost_count"]}
            ),
        )
        for c in sums
    )
    period.status = Period.Status.PUBLISHED
    period.save(update_fields=["status"])
    period.assessments.update(status=Assessment.Status.PUBLISHED)
    return publication


def _plain(value):
    """`value` with its Decimals as strings, as the snapshot's JSON keeps them."""
    return json.loads(json.dumps(value, default=str))


def _field_targets(communes: list[Unit], totals: list[Decimal], maxima, *, seed: int, dong_tam):
    """Field scores per commune id: A gets `dong_tam`, the others split their total (80 for
    the one more of a district without A)."""
    rng = random.Random(seed)
    others = iter(totals)
    return {
        commune.pk: list(dong_tam)
        if commune.code == "A"
        else allocate(next(others, D(80)), maxima, rng)
        for commune in communes
    }


def make_published_period(
    units,
    *,
    count: int = 20,
    code: str = "NG-2022",
    year: int = 2022,
    previous: bool = True,
    by=None,
    seed: int = 2022,
    blocks: str | None = None,
    district: Unit | None = None,
) -> Publication:
    """A published period of `count` communes of district D1 (with A = xã Đồng Tâm), and,
    unless `previous=False`, last year's published period it compares to. With `blocks`
    ("Phường:phuong;Xã, thị trấn:xa,thi_tran") every second new commune is a ward and the
    period ranks in those blocks; `district` (default D1) holds the communes."""
    district = district or units["district"]
    communes = communes_of(district, count, wards=bool(blocks))
    criteria_set = reference_criteria_set(f"CS-{code}")
    maxima = [f.max_points for f in criteria_set.criteria.fields().order_by("position")]
    opens_on = datetime.date(year, 12, 1)
    last_period = None
    if previous:
        last_period = create_period(
            code=f"{code}-TRUOC", year=year - 1, criteria_set=criteria_set, unit=district,
            name=f"Chỉ số CCHC năm {year - 1}", opens_on=datetime.date(year - 1, 12, 1),
        )
        # Last year: A scored 85,37 (so this year reads "+2,38 điểm"); the others shuffled.
        last_totals = totals_for(count, seed)
        random.Random(seed + 1).shuffle(last_totals)
        fill_scores(
            last_period,
            _field_targets(
                communes, last_totals, maxima, seed=seed + 2,
                dong_tam=allocate(D("85.37"), maxima, random.Random(seed)),
            ),
            seed=seed + 3,
        )
        snapshot(last_period, decision="512/QĐ-UBND", decision_date=datetime.date(year, 3, 10))
    period = create_period(
        code=code, year=year, criteria_set=criteria_set, unit=district,
        name=f"Chỉ số CCHC năm {year} của UBND các xã, thị trấn huyện Ninh Giang",
        opens_on=opens_on, previous=last_period,
        blocks=rules.parse_blocks(blocks) if blocks else None,
    )
    fill_scores(
        period,
        _field_targets(
            communes, totals_for(count, seed), maxima, seed=seed + 4,
            dong_tam=[D(v) for v in DONG_TAM_FIELDS],
        ),
        seed=seed + 5,
    )
    return snapshot(period, by=by)
