"""Reads for the appraising unit: the period table (/periods/<period>/) and the appraisal sheet.

The period table costs a fixed number of queries whatever the number of communes: the
assessments, their score sums grouped in SQL, their bonus/deduction points, the rounds per
assessment, the counts per status, the districts. The appraisal sheet builds on
selectors.assessment_sheet (the same tree the commune sees) and adds the appraised side.

Appraised totals count as publishing counts them (services/publishing.py): the leaves'
appraised points plus the bonus/deduction points (điểm thưởng, điểm trừ, `Adjustment`),
which belong to no field.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils import timezone

from communes.models import Unit

from . import rules, selectors
from .models import Adjustment, Assessment, AuditEvent, Method, Score
from .permissions import is_handed_in

ZERO = Decimal(0)
Status = Assessment.Status


# --- plain data ---------------------------------------------------------------------------


def overdue_days(
    due: datetime.date,
    today: datetime.date,
    *,
    submitted_on: datetime.date | None = None,
    reopened_until: datetime.date | None = None,
) -> int:
    """Days past the self-assessment deadline: until the submission, or until today while not
    submitted. A reopening moves the deadline (Assessment.reopened_until)."""
    if reopened_until and reopened_until > due:
        due = reopened_until
    end = submitted_on or today
    return max((end - due).days, 0)


def signed_difference(appraised: Decimal | None, own: Decimal | None) -> str:
    """Appraised − self, signed and formatted ("-1,25", "+0,5"), "" when there is none."""
    if appraised is None:
        return ""
    return signed_points(appraised - (own or ZERO))


def signed_points(value: Decimal) -> str:
    """"+0,5", "-1,25"; "" for zero."""
    if not value:
        return ""
    text = rules.format_score(abs(value))
    return f"+{text}" if value > 0 else f"-{text}"


# --- the period table ---------------------------------------------------------------------


@dataclass
class PeriodRow:
    assessment: Assessment
    url: str
    district: str
    overdue: int
    self_total: Decimal | None  # None for a draft: the commune's unfinished work is its own
    appraised_total: Decimal  # as published: the leaves' appraised points + the adjustment
    gap: Decimal  # appraised − self over the self-assessed leaves appraised so far
    appraised: int
    leaves: int
    returned: int
    rounds: int
    adjustment: Decimal | None = None  # bonus/deduction points; None when there are none

    @property
    def adjustment_text(self) -> str:
        if self.adjustment is None:
            return ""
        return signed_points(self.adjustment) or "0"

    @property
    def commune(self) -> Unit:
        return self.assessment.commune

    @property
    def submitted_text(self) -> str:
        return rules.format_date(_local(self.assessment.submitted_at))

    @property
    def self_text(self) -> str:
        return rules.format_score(self.self_total)

    @property
    def appraised_text(self) -> str:
        return rules.format_score(self.appraised_total) if self.appraised else ""

    @property
    def difference(self) -> str:
        return signed_points(self.gap)

    @property
    def assignee(self) -> str:
        user = self.assessment.assignee
        return (user.get_full_name() or user.get_username()) if user else ""


def _local(moment: datetime.datetime | None) -> datetime.date | None:
    return timezone.localtime(moment).date() if moment else None


# Points and maxima: rules.leaf_points, in SQL as Score.objects.with_points (self_points as
# the commune counts them, points as the appraisal counts them and publishing publishes them).
CONFIRMED_NA = Q(not_applicable=True, not_applicable_confirmed=True)
APPRAISED = Q(appraised_score__isnull=False) | CONFIRMED_NA  # as is_appraised
# The leaves whose appraised score is compared with a self score.
COMPARED = APPRAISED & Q(criterion__method=Method.SELF_ASSESSED)


def score_sums(period) -> dict[int, dict]:
    """Per assessment id: self points, appraised points, leaves, appraised leaves, returned
    leaves; one grouped query over the scores alone (grouping narrow rows, not the joined
    assessment rows, keeps it fast on PostgreSQL)."""
    sums = (
        Score.objects.filter(assessment__period=period)
        .with_points()
        .values("assessment_id")
        .annotate(
            self_total=Sum("self_points"),
            self_appraised=Sum("self_points", filter=COMPARED),
            appraised_compared=Sum("points", filter=COMPARED),
            appraised_total=Sum("points"),
            leaves=Count("id"),
            appraised=Count("id", filter=APPRAISED),
            returned=Count("id", filter=~Q(revision_request="")),
        )
        .order_by()
    )
    return {row["assessment_id"]: row for row in sums}


def period_assessments(period, *, status: str = "", district: str = ""):
    """The period's assessments with commune, district and assignee, filtered."""
    rows = (
        Assessment.objects.filter(period=period)
        .select_related("commune__parent", "assignee")
        .order_by("commune__code")
    )
    if district:
        rows = rows.filter(commune__parent__code=district)
    if status:
        rows = rows.filter(status=status)
    return rows


@dataclass
class PeriodTable:
    rows: list[PeriodRow]
    counts: list[tuple[str, str, int]]  # (status, label, count), every status in order
    districts: list[Unit]
    total: int = 0
    filters: dict[str, str] = field(default_factory=dict)

    @property
    def show_district(self) -> bool:
        return len(self.districts) > 1


def period_table(period, *, status: str = "", district: str = "", today=None) -> PeriodTable:
    """Every commune of the period with its progress, in six queries.

    Overdue days count for a draft (until today) and for a first submission made late; a
    resubmission after a return has no deadline of its own.
    """
    today = today or timezone.localdate()
    rounds = dict(
        AuditEvent.objects.filter(period=period, action="returned")
        .values_list("assessment_id")
        .annotate(n=Count("id"))
    )
    rows = []
    sums = score_sums(period)
    adjustments = {
        pk: sum((points for points, _ in rows), ZERO)
        for pk, rows in selectors.adjustments_by_assessment(period).items()
    }
    empty = {"self_total": None, "self_appraised": None, "appraised_compared": None,
             "appraised_total": None, "leaves": 0, "appraised": 0, "returned": 0}
    prefix = reverse("scoring:assessment", args=[period.code, "-"])[:-2]
    for a in period_assessments(period, status=status, district=district):
        a.period = period  # labels need it; no query per row
        sum_ = sums.get(a.pk, empty)
        handed_in = is_handed_in(a)  # a draft's self points are the commune's own
        adjustment = adjustments.get(a.pk)
        overdue = 0
        if a.status == Status.DRAFT or (a.submitted_at and not rounds.get(a.pk)):
            overdue = overdue_days(
                period.self_assessment_due,
                today,
                submitted_on=_local(a.submitted_at) if a.status != Status.DRAFT else None,
                reopened_until=a.reopened_until,
            )
        rows.append(
            PeriodRow(
                assessment=a,
                url=f"{prefix}{a.commune.code}/",
                district=a.commune.parent.name if a.commune.parent_id else "",
                overdue=overdue,
                self_total=(sum_["self_total"] or ZERO) if handed_in else None,
                appraised_total=(sum_["appraised_total"] or ZERO) + (adjustment or ZERO),
                gap=(
                    (sum_["appraised_compared"] or ZERO) - (sum_["self_appraised"] or ZERO)
                    if handed_in
                    else ZERO
                ),
                appraised=sum_["appraised"],
                leaves=sum_["leaves"],
                returned=sum_["returned"] if a.status != Status.DRAFT else 0,
                rounds=rounds.get(a.pk, 0),
                adjustment=adjustment,
            )
        )
    scope = period_assessments(period, district=district).order_by()
    by_status = dict(scope.values_list("status").annotate(n=Count("id")))
    counts = [(value, label, by_status.get(value, 0)) for value, label in Status.choices]
    districts = list(
        Unit.objects.filter(children__assessments__period=period).distinct().order_by("code")
    )
    return PeriodTable(
        rows=rows,
        counts=counts,
        districts=districts,
        total=sum(by_status.values()),
        filters={"status": status, "district": district},
    )


# --- the appraisal sheet ------------------------------------------------------------------


@dataclass
class FieldTotals:
    """One field's (or the whole assessment's) self and appraised totals, formatted."""

    self_total: Decimal = ZERO
    appraised_total: Decimal = ZERO
    maximum: Decimal = ZERO
    appraised: int = 0
    leaves: int = 0
    # Appraised − self over the self-assessed leaves appraised so far (like with like;
    # imported criteria have no self score to differ from).
    gap: Decimal = ZERO
    # Overall only: the bonus/deduction points counted in appraised_total, and how many.
    adjustment: Decimal = ZERO
    adjustments: int = 0
    # The imported criteria (survey, SIPAS, computed): counted in appraised_total and maximum,
    # never self-scored, so shown apart from the criteria the commune scores (and from `gap`).
    imported_total: Decimal = ZERO
    imported_max: Decimal = ZERO
    imported: int = 0

    @property
    def own_max_text(self) -> str:
        """The maximum of the criteria the commune scores itself."""
        return rules.format_score(self.maximum - self.imported_max)

    @property
    def own_appraised_printed(self) -> str:
        """Appraised points of the criteria the commune scores itself (no imported points, no
        bonus or deduction), as the difference compares them."""
        if not self.appraised:
            return "—"
        return rules.format_total(self.appraised_total - self.adjustment - self.imported_total)

    @property
    def imported_text(self) -> str:
        return rules.format_score(self.imported_total)

    @property
    def imported_max_text(self) -> str:
        return rules.format_score(self.imported_max)

    @property
    def self_text(self) -> str:
        return rules.format_score(self.self_total)

    @property
    def appraised_text(self) -> str:
        return rules.format_score(self.appraised_total) if self.appraised else "—"

    @property
    def max_text(self) -> str:
        return rules.format_score(self.maximum)

    # Overall totals print as published: half-up to 2 decimals (docs/design.md §5).
    @property
    def self_printed(self) -> str:
        return rules.format_total(self.self_total)

    @property
    def appraised_printed(self) -> str:
        return rules.format_total(self.appraised_total) if self.appraised else "—"

    @property
    def difference(self) -> str:
        """Appraised − self over the leaves appraised so far ("" when equal or none)."""
        return signed_points(self.gap)

    @property
    def adjustment_text(self) -> str:
        """The bonus/deduction points, signed ("+1,5", "-2"; "0" when they cancel out)."""
        return signed_points(self.adjustment) or "0"

    @property
    def complete(self) -> bool:
        return self.appraised == self.leaves


def appraisal_totals(
    leaves: Iterable[tuple[selectors.LeafState, Score]],
    adjustments: Iterable[Decimal] = (),
) -> tuple[dict[int, FieldTotals], FieldTotals]:
    """Per field id and overall: self points (as the commune counts them), appraised points so
    far, the applicable maximum and how many leaves have an appraised score.

    Appraised points and maximum follow the appraisal as publishing counts them, not the
    commune's claim: only a "không áp dụng" the appraiser confirmed changes them. The
    assessment's bonus/deduction points (`adjustments`) add to the overall appraised total
    only, as publishing adds them (no field, no maximum, not in the gap to the self score).
    """
    fields: dict[int, FieldTotals] = {}
    overall = FieldTotals()
    for points in adjustments:
        overall.adjustment += points
        overall.adjustments += 1
    overall.appraised_total = overall.adjustment
    for state, score in leaves:
        if score is None or not state.applies:
            continue
        totals = fields.setdefault(state.field_id, FieldTotals())
        done = is_appraised(score)
        for target in (totals, overall):
            target.self_total += state.points
            target.maximum += appraised_max(state, score)
            target.leaves += 1
            target.appraised += done
            target.appraised_total += appraised_points(state, score)
            if state.imported:
                target.imported += 1
                target.imported_total += appraised_points(state, score)
                target.imported_max += appraised_max(state, score)
            elif done:
                target.gap += appraised_points(state, score) - state.points
    return fields, overall


def adjustments_of(assessment) -> list[Adjustment]:
    """The assessment's bonus/deduction points with who entered them, oldest first. One query."""
    return list(assessment.adjustments.select_related("created_by").order_by("created_at", "pk"))


def reread_for_totals(assessment) -> list[Decimal]:
    """Re-read the assessment's status and version (a save may have claimed it) and return its
    bonus/deduction points, in one query (the autosave answer's totals need both)."""
    rows = list(
        Assessment.objects.filter(pk=assessment.pk).values_list(
            "status", "version", "adjustments__points"
        )
    )
    assessment.status, assessment.version = rows[0][0], rows[0][1]
    return [points for _status, _version, points in rows if points is not None]


@dataclass
class AdjustmentLine:
    """One bonus/deduction as the appraisal page lists it."""

    adjustment: Adjustment

    @property
    def pk(self) -> int:
        return self.adjustment.pk

    @property
    def reason(self) -> str:
        return self.adjustment.reason

    @property
    def points_text(self) -> str:
        return signed_points(self.adjustment.points)

    @property
    def by(self) -> str:
        user = self.adjustment.created_by
        return (user.get_full_name() or user.get_username()) if user else ""

    @property
    def date(self) -> str:
        return rules.format_date(_local(self.adjustment.created_at))


def _appraised(state: selectors.LeafState, score: Score) -> rules.LeafPoints:
    return rules.leaf_points(
        state.max_points,
        appraised_score=score.appraised_score,
        imported=state.imported,
        na_policy=state.na_policy,
        not_applicable=score.not_applicable,
        confirmed=score.not_applicable_confirmed,
    )


def appraised_points(state: selectors.LeafState, score: Score) -> Decimal:
    """What the leaf adds to the appraised total (rules.leaf_points, as publishing)."""
    return _appraised(state, score).points


def appraised_max(state: selectors.LeafState, score: Score) -> Decimal:
    """What the leaf adds to the applicable maximum once appraised (rules.leaf_points, as
    publishing): only a confirmed claim with na_policy `exclude` leaves it. LeafState.counted_max
    follows the commune's claim instead, as the self-assessment page shows it."""
    return _appraised(state, score).counted_max if state.applies else ZERO


def is_appraised(score: Score) -> bool:
    return score.appraised_score is not None or (
        score.not_applicable and score.not_applicable_confirmed
    )


@dataclass
class LeafAppraisal:
    """The appraisal side of one leaf, formatted for the page."""

    score: Score
    state: selectors.LeafState
    round_item: object = None  # services.appraisal.RoundItem of the latest round, if returned

    @property
    def imported(self) -> bool:
        return self.state.imported

    @property
    def done(self) -> bool:
        return is_appraised(self.score)

    @property
    def appraised_text(self) -> str:
        return rules.format_score(self.score.appraised_score)

    @property
    def self_text(self) -> str:
        return rules.format_score(self.score.self_score)

    @property
    def prefilled(self) -> bool:
        """The input shows the self score, not yet saved as appraised."""
        return self.score.appraised_score is None and self.score.self_score is not None

    @property
    def input_value(self) -> str:
        return self.appraised_text or self.self_text

    @property
    def differs(self) -> bool:
        return (
            not self.imported
            and self.score.appraised_score is not None
            and self.score.appraised_score != self.score.self_score
        )

    @property
    def difference(self) -> str:
        if not self.differs:
            return ""
        return signed_difference(self.score.appraised_score, self.score.self_score)

    @property
    def claimed_na(self) -> bool:
        return self.state.claimed_na

    @property
    def source(self) -> str:
        from .services.survey_import import source_text

        return source_text(self.score) if self.imported else ""

    def badge(self) -> tuple[str, str]:
        score = self.score
        if self.imported:
            return ("done", "Đã nhập số liệu") if self.done else ("todo", "Chưa nhập số liệu")
        if score.revision_request.strip() and not self.done:
            return "returned", "Đã yêu cầu bổ sung"
        if not self.done:
            return "todo", "Chưa thẩm định"
        if score.not_applicable_confirmed:
            return "done", "Xác nhận không áp dụng"
        if self.differs:
            return "diff", f"Thẩm định {self.difference}"
        return "done", "Đã thẩm định"
