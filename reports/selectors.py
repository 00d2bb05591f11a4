"""Reads for the published results: the ranking, one commune's report, the lost points.

Results and reports read ONLY the frozen snapshot (Publication with its "tiêu chí dễ mất
điểm", Result with its field results, adjustments, TTHC figures and lost criteria), never
recompute from scores, so a file downloaded today says what the decision published, whatever
was corrected since. Scores are read only where there is no snapshot: "tiêu chí dễ mất điểm"
of a period not published (yet, or reopened for correction), and a version published before
the snapshot kept its lost criteria (its field is null; it is read as it always was, from the
scores: filling it now from today's scores would freeze what the version never printed).
Every read here takes a fixed number of queries, whatever the number of communes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from django.conf import settings

from scoring import rules
from scoring.models import (
    Criterion,
    FieldScore,
    PreviousUnit,
    Publication,
    Result,
    Score,
    decode_field_scores,
)
from scoring.last_year import lost_points_last_year, previous_publication_id
from scoring.selectors import (
    LOST_CRITERIA_KEPT,
    PublicationInfo,
    criterion_texts,
    lost_criteria_of,
    lost_points_by_criterion,
    lost_sums,
    publication_info,
)

from . import charts
from .formatting import (
    compared_with,
    formed_from,
    percent_of,
    plain_decimal,
    points_change,
    rank_change,
    rank_change_direction,
    rank_text,
)

LOST_CRITERIA_SHOWN = LOST_CRITERIA_KEPT
NOT_APPLICABLE = "—"


def weak_threshold() -> Decimal:
    """settings.WEAK_FIELD_THRESHOLD as a Decimal share (docs/design.md §5: 0.75)."""
    return Decimal(str(settings.WEAK_FIELD_THRESHOLD))


# --- the ranking --------------------------------------------------------------------------


class _FieldTexts:
    """How a field's result prints, in the ranking table and in a commune's report
    (from `score`, `max_points`, `rank` and `rank_of`). A field none of whose criteria
    applies to the commune has no rank: it prints "—" (không áp dụng)."""

    @property
    def applicable(self) -> bool:
        return self.rank is not None

    @property
    def score_text(self) -> str:
        return rules.format_score(self.score) if self.applicable else NOT_APPLICABLE

    @property
    def max_text(self) -> str:
        return rules.format_score(self.max_points)

    @property
    def rank_text(self) -> str:
        return rank_text(self.rank, self.rank_of) if self.applicable else NOT_APPLICABLE


class _ResultTexts:
    """How a commune's published Result (`self.result`) prints, in the ranking table and
    in its own report."""

    @property
    def commune(self):
        return self.result.commune

    @property
    def total_text(self) -> str:
        return rules.format_total(self.result.total)

    @property
    def index_text(self) -> str:
        return rules.format_total(self.result.index)

    @property
    def rank_text(self) -> str:
        return rank_text(self.result.rank, self.result.rank_of)

    @property
    def rank_change(self) -> str:
        return rank_change(self.result.rank, self.result.previous_rank)

    @property
    def points_change(self) -> str:
        return points_change(self.result.total, self.result.previous_total)

    @property
    def previous_total_text(self) -> str:
        return rules.format_total(self.result.previous_total)

    @cached_property
    def predecessors(self) -> list[PreviousUnit]:
        """The earlier units it is compared through (none when compared with itself)."""
        return self.result.predecessors()

    @property
    def merged(self) -> bool:
        """Formed from several units: their results are listed, no change is computed."""
        return len(self.predecessors) > 1

    @property
    def compared_with(self) -> str:
        """ "so với Xã A năm trước" when compared with its one predecessor, else ""."""
        return compared_with(self.predecessors[0].name) if len(self.predecessors) == 1 else ""

    @property
    def formed_from(self) -> str:
        """ "hình thành từ: Xã A 87,75 – 9/20; Xã B …" after a merger, else ""."""
        return formed_from(self.predecessors) if self.merged else ""

    @property
    def has_previous(self) -> bool:
        return self.result.previous_total is not None or bool(self.predecessors)

    @property
    def change_summary(self) -> str:
        """The change against last year in one line (XLSX): "tăng 2 bậc, +1,5 điểm (so với
        Xã A năm trước)", or a merged commune's predecessors."""
        if self.merged:
            return self.formed_from
        text = ", ".join(part for part in (self.rank_change, self.points_change) if part)
        if text and self.compared_with:
            text += f" ({self.compared_with})"
        return text

    @property
    def adjustment_text(self) -> str:
        """Bonus/deduction points ("+4,5", "-1"), "" without any."""
        return rules.format_signed(self.result.adjustment) if self.result.adjustment else ""

    @property
    def adjustment_key(self) -> str:
        return plain_decimal(self.result.adjustment)


@dataclass
class FieldCell(_FieldTexts):
    """One field of a commune in the ranking. Not frozen: a frozen dataclass sets each field
    through object.__setattr__, and the page builds 1,700 of these at 170 communes."""

    code: str
    score: Decimal
    max_points: Decimal
    rank: int | None
    rank_of: int | None
    weak: bool

    @property
    def sort_key(self) -> str:
        return plain_decimal(self.score) if self.applicable else ""

    def texts(self) -> tuple[str, str, str]:
        """(sort_key, score_text, rank_text) at once, for the results page's 1,700 cells."""
        if not self.applicable:
            return "", NOT_APPLICABLE, NOT_APPLICABLE
        key, score = rules.score_texts(self.score)
        return key, score, rank_text(self.rank, self.rank_of)


@dataclass
class RankingRow(_ResultTexts):
    result: Result
    cells: list[FieldCell | None]
    band: int  # position of the classification among the period's bands (0 = best)

    @property
    def change_direction(self) -> str:
        return rank_change_direction(self.result.rank, self.result.previous_rank)

    @property
    def total_key(self) -> str:
        return plain_decimal(self.result.total)

    @property
    def index_key(self) -> str:
        return plain_decimal(self.result.index)

    @property
    def change_key(self) -> str:
        """Places moved up (negative: down) for sorting; "" without last year's rank."""
        if self.result.previous_rank is None:
            return ""
        return str(self.result.previous_rank - self.result.rank)


@dataclass(frozen=True)
class FieldColumn:
    code: str
    name: str
    max_text: str


@dataclass
class RankingBlock:
    """One ranking block's table (khối xếp hạng): its rows by rank and its count per
    classification. `label` is "" when the period ranks all its communes together."""

    label: str
    rows: list[RankingRow]
    counts: list[tuple[str, int]]  # (classification, communes), best band first
    period: object  # the Period (for the chart's maximum and bands)
    number: int = 1  # its position, from 1

    @property
    def dom_id(self) -> str:
        """The id of its table: "ranking" for the first (the page's one table without
        blocks), "ranking-2", … after it."""
        return "ranking" if self.number == 1 else f"ranking-{self.number}"

    def chart(self) -> charts.Chart:
        """Columns of every commune's total, best first, with the bands' minima as guides."""
        period = self.period
        maximum = period.criteria_set.total_points
        guides = [
            (label, minimum * maximum / rules.HUNDRED)
            for label, minimum in period.band_list()
            if 0 < minimum < rules.HUNDRED
        ]
        items = [
            charts.ChartItem(
                label=row.commune.name,
                value=row.result.total,
                css=f"band-{row.band}",
                title=f"{row.result.rank}. {row.commune.name}: {row.total_text} điểm"
                f" – {row.result.classification}",
            )
            for row in self.rows
        ]
        return charts.totals_chart(items, maximum=maximum, guides=guides)


@dataclass
class Ranking:
    publication: Publication
    fields: list[Criterion]
    rows: list[RankingRow]  # every block's rows, block after block (in the period's order)
    counts: list[tuple[str, int]]  # (classification, communes), best band first
    info: PublicationInfo
    threshold: Decimal
    excluded: list[tuple[str, str]] = field(default_factory=list)  # (commune code, reason)
    blocks: list[RankingBlock] = field(default_factory=list)  # one without blocks

    @property
    def has_blocks(self) -> bool:
        """The version ranked in blocks (Publication.blocks): one table per block."""
        return bool(self.publication.blocks)

    @property
    def count_table(self) -> list[tuple[str, list[int], int]]:
        """(classification, [communes in each block], communes in all), best band first."""
        per_block = [dict(block.counts) for block in self.blocks]
        return [
            (label, [counts.get(label, 0) for counts in per_block], count)
            for label, count in self.counts
        ]

    @property
    def period(self):
        return self.publication.period

    @cached_property
    def columns(self) -> list[FieldColumn]:
        return [FieldColumn(f.code, f.name, rules.format_score(f.max_points)) for f in self.fields]

    @property
    def threshold_percent_text(self) -> str:
        return f"{rules.format_score(self.threshold * rules.HUNDRED)}%"

    @cached_property
    def has_previous(self) -> bool:
        return any(row.has_previous for row in self.rows)

    @cached_property
    def has_adjustments(self) -> bool:
        """Some commune has bonus/deduction points: the tables show them beside the total."""
        return any(row.result.adjustment for row in self.rows)

    @cached_property
    def shows_index(self) -> bool:
        """Some commune's maximum differs from the set's total, so its index is not its total."""
        total = self.period.criteria_set.total_points
        return any(row.result.applicable_max != total for row in self.rows)


def period_fields(period) -> list[Criterion]:
    """The period's fields (lĩnh vực), in order."""
    fields = Criterion.objects.filter(criteria_set_id=period.criteria_set_id, parent__isnull=True)
    return list(fields.order_by("position", "code"))


def ranking(publication) -> Ranking:
    """Every commune of the publication by rank, with its field results in field order and
    the count per classification; with blocks (Publication.blocks), block after block in the
    period's order, each with its own counts. Two queries: fields, results with communes.
    """
    period = publication.period
    fields = period_fields(period)
    threshold = weak_threshold()
    # The commune report's documents (lost criteria, TTHC figures) are not printed here:
    # decoding them cost a third of the page at 170 communes.
    results = publication.results.select_related("commune").defer("lost_criteria", "procedure")
    results = list(results.order_by("rank", "commune__name", "commune__code"))
    bands = [label for label, _ in period.band_list()]
    band_of = {label: i for i, label in enumerate(bands)}
    weak_below = _WeakLimits(threshold)
    rows = []
    for result in results:
        by_code = result.field_scores()
        cells = [
            _cell(f.code, by_code[f.code], weak_below) if f.code in by_code else None
            for f in fields
        ]
        band = band_of.get(result.classification, len(bands))
        rows.append(RankingRow(result=result, cells=cells, band=band))
    by_block: dict[str, list[RankingRow]] = {label: [] for label in publication.blocks or [""]}
    for row in rows:
        by_block.setdefault(row.result.block, []).append(row)
    blocks = [
        RankingBlock(
            label=label,
            rows=block_rows,
            counts=rules.classification_counts(
                [row.result.classification for row in block_rows], bands
            ),
            period=period,
            number=number,
        )
        for number, (label, block_rows) in enumerate(by_block.items(), start=1)
    ]
    return Ranking(
        publication=publication,
        fields=fields,
        rows=[row for block in blocks for row in block.rows],
        counts=rules.classification_counts([row.result.classification for row in rows], bands),
        info=publication_info(publication),
        threshold=threshold,
        excluded=sorted((publication.exclusions or {}).items()),
        blocks=blocks,
    )


class _WeakLimits(dict):
    """A field's maximum → the score it is weak below (rules.weak_limit). Fields share a few
    maxima, so each is computed once per ranking, not for each of its 1,700 cells."""

    def __init__(self, threshold: Decimal):
        super().__init__()
        self.threshold = threshold

    def __missing__(self, max_points: Decimal) -> Decimal | None:
        limit = self[max_points] = rules.weak_limit(max_points, self.threshold)
        return limit


def _cell(code: str, field: FieldScore, weak_below: _WeakLimits) -> FieldCell:
    limit = weak_below[field.max_points]
    return FieldCell(
        code=code,
        score=field.score,
        max_points=field.max_points,
        rank=field.rank,
        rank_of=field.rank_of,
        weak=limit is not None and field.score < limit,
    )


# --- one commune's report -----------------------------------------------------------------


@dataclass(frozen=True)
class FieldLine(_FieldTexts):
    code: str
    name: str
    score: Decimal
    max_points: Decimal
    rank: int | None
    rank_of: int | None
    weak: bool
    previous_score: Decimal | None = None
    previous_rank: int | None = None
    previous_rank_of: int | None = None

    @property
    def percent(self) -> Decimal:
        return percent_of(self.score, self.max_points)

    @property
    def percent_text(self) -> str:
        return f"{rules.format_total(self.percent)}%" if self.applicable else NOT_APPLICABLE

    @property
    def change_text(self) -> str:
        """ "+1,2 điểm; hạng 3/19 → 2/18", or "" without last year's field."""
        if self.previous_score is None or not self.applicable:
            return ""
        difference = self.score - self.previous_score
        text = f"{rules.format_signed(difference) if difference else '0'} điểm"
        if self.previous_rank:  # (last year's field may have had no rank either)
            before = rank_text(self.previous_rank, self.previous_rank_of)
            text += f"; hạng {before} → {self.rank_text}"
        return text


@dataclass(frozen=True)
class LostCriterion:
    """One criterion where the commune lost points, as its report prints it: maximum and
    appraised points as rules.leaf_points counts them."""

    code: str
    name: str
    max_points: Decimal
    appraised: Decimal
    self_score: Decimal | None
    note: str

    @property
    def lost(self) -> Decimal:
        return self.max_points - self.appraised

    @property
    def lost_text(self) -> str:
        return rules.format_score(self.lost)

    @property
    def max_text(self) -> str:
        return rules.format_score(self.max_points)

    @property
    def appraised_text(self) -> str:
        return rules.format_score(self.appraised)

    @property
    def self_text(self) -> str:
        return rules.format_score(self.self_score)


@dataclass
class CommuneReport(_ResultTexts):
    result: Result
    info: PublicationInfo
    lines: list[FieldLine]
    lost: list[LostCriterion]  # the criteria where it lost most, most first
    lost_more: int  # further criteria with lost points, not listed
    lost_total: Decimal
    threshold: Decimal
    procedure: str = ""  # the TTHC figures as published ("tiếp nhận 130 hồ sơ, …"), if any

    @property
    def publication(self):
        return self.result.publication

    @property
    def period(self):
        return self.result.publication.period

    @property
    def block_phrase(self) -> str:
        """ "khối phường" when the version ranked in blocks, else ""."""
        return rules.block_phrase(self.result.block) if self.result.block else ""

    @property
    def rank_text(self) -> str:
        """ "3/45", or within its block "3/45 khối phường" (its ranks are the block's)."""
        text = rank_text(self.result.rank, self.result.rank_of)
        return f"{text} {self.block_phrase}" if self.result.block else text

    @property
    def has_previous_fields(self) -> bool:
        return any(line.previous_score is not None for line in self.lines)

    @property
    def adjustments(self) -> list[tuple[str, str, str]]:
        """The bonus/deduction points counted in this version: ("Điểm thưởng", "+4,5", reason)."""
        lines = []
        for item in self.result.adjustments:
            points = Decimal(item["points"])
            kind = "Điểm trừ" if points < 0 else "Điểm thưởng"
            lines.append((kind, rules.format_signed(points), item["reason"]))
        return lines

    @property
    def shows_index(self) -> bool:
        """The index differs from the total when the commune's maximum is not 100."""
        return self.result.applicable_max != rules.HUNDRED

    @property
    def weak_lines(self) -> list[FieldLine]:
        return [line for line in self.lines if line.weak]

    @property
    def threshold_percent_text(self) -> str:
        return f"{rules.format_score(self.threshold * rules.HUNDRED)}%"

    @property
    def max_text(self) -> str:
        return rules.format_score(self.result.applicable_max)

    @property
    def lost_total_text(self) -> str:
        return rules.format_score(self.lost_total)

    def chart(self) -> charts.Chart:
        items = [
            charts.ChartItem(
                label=f"{line.code}. {line.name}",
                value=line.percent,
                css="weak" if line.weak else "",
                title=f"Lĩnh vực {line.code}: {line.score_text}/{line.max_text} điểm "
                f"({line.percent_text})",
            )
            for line in self.lines
        ]
        return charts.fields_chart(items, guide=self.threshold * rules.HUNDRED)


def _previous_fields(result) -> dict[str, FieldScore]:
    """Last year's published field results the commune of `result` compares with, by field
    code: its own, or its one predecessor's; none ({}) after a merger or without last year.
    Read from the version this one compared with (Publication.compared_with), so that a
    later correction of last year, or last year published after this version, never changes
    what it prints. One query (none without one)."""
    predecessors = result.predecessors()
    previous = result.publication.compared_with_id
    if previous is None or len(predecessors) > 1:
        return {}
    commune = predecessors[0].id if predecessors else result.commune_id
    document = (
        Result.objects.filter(publication=previous, commune_id=commune)
        .values_list("field_results", flat=True)
        .first()
    )
    return decode_field_scores(document or {})


@dataclass(frozen=True)
class LostCriteria:
    """The criteria listed in a commune's report, the points lost over all of its criteria
    and how many lost any."""

    items: list[LostCriterion]
    total: Decimal
    count: int


def lost_criteria(result) -> LostCriteria:
    """The criteria where the commune of `result` lost most points, most first, as its
    version published them (Result.lost_criteria). A version published before the snapshot
    kept them is read from the scores, as it always was (three queries)."""
    document = result.lost_criteria
    if document is None:
        period = result.publication.period
        scores = Score.objects.filter(
            assessment__period_id=period.pk, assessment__commune_id=result.commune_id
        )
        texts = criterion_texts(period.criteria_set_id)
        sums = scores.with_points().aggregate(**lost_sums())
        document = {
            "items": next(iter(lost_criteria_of(scores, texts).values()), []),
            "total": sums["lost_total"] or Decimal(0),
            "count": sums["lost_count"],
        }
    items = [
        LostCriterion(
            code=item["code"],
            name=item["name"],
            max_points=Decimal(item["max"]),
            appraised=Decimal(item["score"]),
            self_score=None if item["self"] is None else Decimal(item["self"]),
            note=item["note"],
        )
        for item in document["items"]
    ]
    return LostCriteria(items, Decimal(document["total"]), document["count"])


def commune_report(result) -> CommuneReport:
    """One commune's published result: fields with ranks, weak fields, last year's change,
    the criteria where it lost most points, and its TTHC figures, all as published ("" when
    no figures were entered). Pass a Result with `publication__period` and `commune` loaded;
    two queries (fields, last year's result in the version it compared with).
    """
    period = result.publication.period
    threshold = weak_threshold()
    previous = _previous_fields(result)
    scores = result.field_scores()
    lines = []
    for f in period_fields(period):
        if f.code not in scores:
            continue
        now, before = scores[f.code], previous.get(f.code)
        lines.append(
            FieldLine(
                code=f.code,
                name=f.name,
                score=now.score,
                max_points=now.max_points,
                rank=now.rank,
                rank_of=now.rank_of,
                weak=rules.is_weak(now.score, now.max_points, threshold),
                previous_score=before.score if before else None,
                previous_rank=before.rank if before else None,
                previous_rank_of=before.rank_of if before else None,
            )
        )
    lost = lost_criteria(result)
    return CommuneReport(
        result=result,
        info=publication_info(result.publication),
        lines=lines,
        lost=lost.items[:LOST_CRITERIA_SHOWN],
        lost_more=max(lost.count - LOST_CRITERIA_SHOWN, 0),
        lost_total=lost.total,
        threshold=threshold,
        procedure=(
            rules.format_procedure_figures(**result.procedure) if result.procedure else ""
        ),
    )


# --- "tiêu chí dễ mất điểm" across the period ---------------------------------------------


@dataclass(frozen=True)
class LostPoints:
    """One criterion across the communes of a period."""

    code: str
    name: str
    field_code: str
    max_points: Decimal
    communes: int  # communes with an appraised score
    losing: int  # of which below the maximum
    lost_sum: Decimal
    compared: int  # communes with both a self and an appraised score
    difference_sum: Decimal  # Σ (appraised − self) over those
    # Last year's row of the comparable criterion (scoring.last_year.lost_points_last_year:
    # previous_code, communes, losing, lost_sum), or None.
    previous: dict | None = None

    @property
    def average_lost(self) -> Decimal:
        return self.lost_sum / self.communes if self.communes else Decimal(0)

    @property
    def share_losing(self) -> Decimal:
        """% of communes that lost points on it."""
        return self.losing * rules.HUNDRED / self.communes if self.communes else Decimal(0)

    @property
    def average_difference(self) -> Decimal | None:
        """Mean appraised − self (negative: communes claim more than the appraisal gives)."""
        return self.difference_sum / self.compared if self.compared else None

    @property
    def average_lost_text(self) -> str:
        return rules.format_total(self.average_lost)

    @property
    def previous_average_lost(self) -> Decimal | None:
        """Last year's average points lost on the comparable criterion (None: none)."""
        if not self.previous or not self.previous["communes"]:
            return None
        return Decimal(self.previous["lost_sum"]) / self.previous["communes"]

    @property
    def previous_text(self) -> str:
        """ "năm trước 0,5 (tiêu chí 1.3)", "" without last year."""
        value = self.previous_average_lost
        if value is None:
            return ""
        text = f"năm trước {rules.format_total(value)}"
        if self.previous["previous_code"] != self.code:
            text += f" (tiêu chí {self.previous['previous_code']})"
        return text

    @property
    def previous_change_text(self) -> str:
        """Average lost now − last year, as printed ("+0,25": more points lost than last year)."""
        value = self.previous_average_lost
        if value is None:
            return ""
        difference = rules.round_printed(self.average_lost) - rules.round_printed(value)
        return rules.format_signed(difference)

    @property
    def previous_change_key(self) -> str:
        value = self.previous_average_lost
        if value is None:
            return ""
        return plain_decimal(rules.round_printed(self.average_lost) - rules.round_printed(value))

    @property
    def average_lost_percent_text(self) -> str:
        return f"{rules.format_total(percent_of(self.average_lost, self.max_points))}%"

    @property
    def share_losing_text(self) -> str:
        return f"{rules.format_total(self.share_losing)}%"

    @property
    def average_difference_text(self) -> str:
        value = self.average_difference
        return "" if value is None else rules.format_signed(value)

    @property
    def max_text(self) -> str:
        return rules.format_score(self.max_points)

    # Sort keys for the page's client-side sorting ("." decimals).
    @property
    def max_key(self) -> str:
        return plain_decimal(self.max_points)

    @property
    def average_lost_key(self) -> str:
        return plain_decimal(rules.round_printed(self.average_lost))

    @property
    def share_losing_key(self) -> str:
        return plain_decimal(rules.round_printed(self.share_losing))

    @property
    def average_difference_key(self) -> str:
        value = self.average_difference
        return "" if value is None else plain_decimal(rules.round_printed(value))


def lost_points(period) -> list[LostPoints]:
    """Leaf criteria by the average points the communes lost on them (counted maximum −
    appraised points), most first, with the share of communes losing points and the mean
    appraised − self. A published period reads its latest version (Publication.lost_points;
    one query), any other the scores (scoring.selectors.lost_points_by_criterion; the
    criteria, one aggregate query) and last year's (scoring.last_year, up to three queries).
    Each comparable criterion carries last year's row (as the version kept it). Scores not
    appraised yet and confirmed "không áp dụng" are left out.
    """
    rows = None
    if period.is_published:
        rows = (
            Publication.objects.filter(period_id=period.pk)
            .order_by("-version")
            .values_list("lost_points", flat=True)
            .first()
        )
    if rows is None:  # not published, or published before the snapshot kept it
        rows = lost_points_by_criterion(period, criterion_texts(period.criteria_set_id))
        last_year = lost_points_last_year(period.criteria_set_id, previous_publication_id(period))
        rows = [{**row, "previous": last_year.get(row["code"])} for row in rows]
    items = [
        LostPoints(
            code=row["code"],
            name=row["name"],
            field_code=row["field_code"],
            max_points=Decimal(row["max_points"]),
            communes=row["communes"],
            losing=row["losing"],
            lost_sum=Decimal(row["lost_sum"]),
            compared=row["compared"],
            difference_sum=Decimal(row["difference_sum"]),
            previous=row.get("previous"),
        )
        for row in rows
    ]
    items.sort(key=lambda item: (-item.average_lost, -item.losing, item.code))
    return items
