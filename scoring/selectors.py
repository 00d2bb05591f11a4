"""Reads for the self-assessment: the criteria tree with scores, evidence and progress.

Two layers. `LeafState` and `progress_of` are plain-data arithmetic (no database; tested
alone). The query functions below feed them with a fixed number of queries whatever the
number of criteria or files: the page needs four (criteria, scores, evidence, links), a save
needs one (`score_states`).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber
from django.db import connection
from django.utils import timezone

from communes import wording

from . import rules
from .display import format_datetime
from .models import (
    Adjustment,
    Assessment,
    Criterion,
    Method,
    NaPolicy,
    ProcedureFigures,
    Publication,
    Score,
)

ZERO = Decimal(0)


# --- plain data ---------------------------------------------------------------------------


@dataclass
class LeafState:
    """One leaf criterion of one commune, as plain values."""

    code: str
    field_id: int
    max_points: Decimal
    method: str = Method.SELF_ASSESSED
    evidence_required: bool = False
    na_policy: str = NaPolicy.NONE
    applies: bool = True  # False: the criterion does not apply to the commune's kind
    self_score: Decimal | None = None
    self_note: str = ""
    not_applicable: bool = False
    not_applicable_reason: str = ""
    evidence_count: int = 0
    revision_request: str = ""

    @property
    def imported(self) -> bool:
        """Survey, SIPAS and computed criteria: the appraising unit imports them."""
        return self.method != Method.SELF_ASSESSED

    @property
    def claimed_na(self) -> bool:
        return self.applies and self.not_applicable and self.na_policy != NaPolicy.NONE

    def counted(self) -> tuple[Decimal, Decimal]:
        """(points, counted_max) at once: one rules.leaf_points for both."""
        if not self.applies:
            return ZERO, ZERO
        own = rules.leaf_points(
            self.max_points,
            self_score=self.self_score,
            imported=self.imported,
            na_policy=self.na_policy,
            not_applicable=self.not_applicable,
        )
        return own.self_points, own.self_max

    @property
    def counted_max(self) -> Decimal:
        """What the leaf adds to the commune's applicable maximum (rules.leaf_points)."""
        return self.counted()[1]

    @property
    def points(self) -> Decimal:
        """Self points counted in the totals (rules.leaf_points: a "không áp dụng" with full
        points counts the maximum, with `exclude` nothing)."""
        return self.counted()[0]

    @property
    def scored(self) -> bool:
        return self.claimed_na or self.self_score is not None

    @property
    def to_score(self) -> bool:
        """The commune must give this leaf a score (or claim it does not apply)."""
        return self.applies and not self.imported

    @property
    def missing_evidence(self) -> bool:
        """Evidence is required, the leaf has points, and no evidence is attached."""
        return (
            self.to_score
            and self.evidence_required
            and not self.claimed_na
            and (self.self_score or ZERO) > 0
            and self.evidence_count == 0
        )

    @property
    def unexplained(self) -> bool:
        """Missing evidence and no explanation either: the only case called "thiếu tài liệu"
        (an explanation may stand in for evidence, docs/design.md §5)."""
        return self.missing_evidence and not self.self_note.strip()

    def gaps(self) -> list[str]:
        """What stops submitting, in Vietnamese (docs/design.md §4, §5: explain what has
        no evidence)."""
        if not self.to_score:
            return []
        if self.not_applicable and self.na_policy == NaPolicy.NONE:
            return ["Tiêu chí này không được khai báo “không áp dụng”."]
        if self.claimed_na:
            if not self.not_applicable_reason.strip():
                return ["Khai báo không áp dụng nhưng chưa ghi lý do."]
            return []
        if self.self_score is None:
            return ["Chưa chấm điểm."]
        if self.unexplained:
            return ["Có điểm nhưng chưa có tài liệu kiểm chứng: tải tài liệu lên hoặc giải trình."]
        return []

    def badge(self) -> tuple[str, str]:
        """(css class, label) summing up the leaf for the officer."""
        if not self.applies:
            return "na", "Không áp dụng"
        if self.imported:
            return "imported", "Do đơn vị thẩm định nhập"
        if self.revision_request.strip():
            return "returned", "Cần bổ sung"
        if self.claimed_na:
            return "done", "Không áp dụng (xã khai báo)"
        if self.self_score is None:
            return "todo", "Chưa chấm"
        if self.missing_evidence:
            if self.self_note.strip():
                return "warn", "Chưa có tài liệu (đã giải trình)"
            return "warn", "Thiếu tài liệu kiểm chứng"
        return "done", "Đã chấm"


@dataclass(frozen=True)
class Gap:
    code: str
    message: str


@dataclass
class Progress:
    """The figures at the top of the page, and what stops submitting."""

    scored: int = 0
    to_score: int = 0
    # Leaves with points, no evidence and no explanation ("thiếu tài liệu"); and those with
    # no evidence whose explanation stands in for it (not missing anything).
    evidence_missing: int = 0
    explained_without_evidence: int = 0
    self_total: Decimal = ZERO
    applicable_max: Decimal = ZERO
    imported_max: Decimal = ZERO
    field_totals: dict[int, Decimal] = field(default_factory=dict)
    field_maxima: dict[int, Decimal] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)

    @property
    def criteria_to_complete(self) -> int:
        """How many criteria still stop submitting (a criterion counts once)."""
        return len({gap.code for gap in self.gaps})

    @property
    def percent_scored(self) -> int:
        return (self.scored * 100 // self.to_score) if self.to_score else 100

    @property
    def self_total_text(self) -> str:
        return rules.format_score(self.self_total)

    @property
    def applicable_max_text(self) -> str:
        return rules.format_score(self.applicable_max)

    @property
    def imported_max_text(self) -> str:
        return rules.format_score(self.imported_max)


def progress_of(leaves: Iterable[LeafState]) -> Progress:
    """Sum leaves into the page's progress (gaps in the order given)."""
    progress = Progress()
    totals, maxima = progress.field_totals, progress.field_maxima
    for leaf in leaves:
        points, counted_max = leaf.counted()  # one rules.leaf_points per leaf
        totals[leaf.field_id] = totals.get(leaf.field_id, ZERO) + points
        maxima[leaf.field_id] = maxima.get(leaf.field_id, ZERO) + counted_max
        progress.self_total += points
        progress.applicable_max += counted_max
        if not leaf.applies:
            continue
        if leaf.imported:
            progress.imported_max += leaf.max_points
            continue
        progress.to_score += 1
        progress.scored += leaf.scored
        progress.evidence_missing += leaf.unexplained
        progress.explained_without_evidence += leaf.missing_evidence and not leaf.unexplained
        progress.gaps.extend(Gap(leaf.code, message) for message in leaf.gaps())
    return progress


@dataclass(frozen=True)
class Deadline:
    due: datetime.date
    days_left: int
    reopened_until: datetime.date | None = None
    # Set once the self-assessment is handed in: the deadline no longer concerns the commune.
    handed_in: str = ""

    @property
    def text(self) -> str:
        if self.handed_in:
            return self.handed_in
        if self.reopened_until:
            until = rules.format_date(self.reopened_until)
            if self.days_left < 0:
                return f"Đã hết thời gian mở lại ({until})"
            return f"Được mở lại đến {until} (còn {self.days_left} ngày)"
        if self.days_left > 1:
            return f"Còn {self.days_left} ngày (hạn {rules.format_date(self.due)})"
        if self.days_left == 1:
            return f"Còn 1 ngày (hạn {rules.format_date(self.due)})"
        if self.days_left == 0:
            return f"Hôm nay là hạn chót ({rules.format_date(self.due)})"
        return f"Đã quá hạn {-self.days_left} ngày (hạn {rules.format_date(self.due)})"

    @property
    def label(self) -> str:
        """Under the big number of days left."""
        if self.handed_in or self.days_left < 0:
            return self.text
        if self.reopened_until:
            return f"ngày còn lại (được mở lại đến {rules.format_date(self.reopened_until)})"
        return f"ngày còn lại đến hạn {rules.format_date(self.due)}"


def deadline_of(assessment: Assessment, today: datetime.date) -> Deadline:
    """Days until the self-assessment deadline, or until the reopening ends."""
    due = assessment.period.self_assessment_due
    if assessment.status not in (Assessment.Status.DRAFT, Assessment.Status.RETURNED):
        submitted = assessment.submitted_at
        note = (
            f"Đã nộp ngày {rules.format_date(timezone.localtime(submitted).date())}"
            if submitted
            else "Hồ sơ đã nộp"
        )
        return Deadline(due=due, days_left=(due - today).days, handed_in=note)
    reopened = assessment.reopened_until
    if reopened and reopened > due and today > due:
        return Deadline(due=reopened, days_left=(reopened - today).days, reopened_until=reopened)
    return Deadline(due=due, days_left=(due - today).days)


# --- queries ------------------------------------------------------------------------------


def leaf_state(criterion: Criterion, score: Score | None, evidence_count: int = 0) -> LeafState:
    return LeafState(
        code=criterion.code,
        field_id=criterion.field_id or criterion.pk,
        max_points=criterion.max_points,
        method=criterion.method,
        evidence_required=criterion.evidence_required,
        na_policy=criterion.na_policy,
        applies=score is not None,
        self_score=score.self_score if score else None,
        self_note=score.self_note if score else "",
        not_applicable=score.not_applicable if score else False,
        not_applicable_reason=score.not_applicable_reason if score else "",
        evidence_count=evidence_count,
        revision_request=score.revision_request if score else "",
    )


def _scores_with_states(scores, assessment: Assessment | None = None) -> list[Score]:
    scores = list(
        scores.select_related("criterion__field")
        .annotate(evidence_count=Count("evidence"))
        .order_by("criterion__position")
    )
    assessment = assessment or (scores[0].assessment if scores else None)
    for score in scores:
        score.assessment = assessment
        score.state = leaf_state(score.criterion, score, score.evidence_count)
    return scores


def score_states(assessment: Assessment) -> list[Score]:
    """Every score of the assessment with its criterion and `evidence_count` (one query).

    Enough for a save to answer with new totals; criteria without a score (not applicable to
    the commune's kind) add nothing to totals, so they are not needed here.
    """
    return _scores_with_states(Score.objects.filter(assessment=assessment), assessment)


def score_states_of(assessments, **lookup) -> list[Score]:
    """score_states of the one assessment of `assessments` matching `lookup`, which comes
    along joined (one query for both). Empty when the user may not see it."""
    chosen = assessments.filter(**lookup).values("pk")
    return _scores_with_states(
        Score.objects.filter(assessment__in=chosen).select_related(
            "assessment__period__unit__parent__parent",
            "assessment__period__criteria_set",
            "assessment__commune__parent__parent",
        )
    )


@dataclass
class SaveSheet:
    """What answering a save needs: the saved score (its criterion loaded) and every leaf's
    state with the fields, for the totals."""

    score: Score | None
    states: dict[int, LeafState]  # by score id
    fields: list[Criterion]
    # Every score's own columns as plain values, by score id (the appraisal's totals read them).
    rows: dict[int, SimpleNamespace] = field(default_factory=dict)

    def set_state(self, score: Score) -> None:
        """The score's state after a save changed it."""
        self.states[score.pk] = leaf_state(score.criterion, score, score.evidence_count)


# Columns of a save's one query: each Score column, what a leaf's state reads of its
# criterion, and its field's heading.
_CRITERION_COLUMNS = ("code", "field_id", "max_points", "method", "evidence_required", "na_policy")
_FIELD_COLUMNS = ("id", "code", "name", "position")


def _partial_model(model, names, values):
    """A model instance from some of its columns; the others load from the database if read."""
    given = dict(zip(names, values))
    names = [f.attname for f in model._meta.concrete_fields if f.attname in given]
    return model.from_db("default", names, [given[name] for name in names])


@functools.cache
def _save_sheet_query() -> tuple[list[str], QuerySet, str]:
    """(score columns, the values_list of save_sheet's rows for every assessment, and on
    PostgreSQL its SQL with the assessment id as the one parameter), built once per process.

    Resolving its 27 names through the relations and compiling them cost a save more than
    PostgreSQL's whole work on the query (bench/assessment_page.py); the query never changes
    but for the assessment.
    """
    score_columns = [f.attname for f in Score._meta.concrete_fields]
    criterion_columns = [f"criterion__{name}" for name in _CRITERION_COLUMNS]
    field_columns = [f"criterion__field__{name}" for name in _FIELD_COLUMNS]
    rows = (
        Score.objects.annotate(evidence_count=Count("evidence"))
        .order_by("criterion__position")
        .values_list(*score_columns, *criterion_columns, *field_columns, "evidence_count")
    )
    sql = ""
    if connection.vendor == "postgresql":
        sql, params = rows.filter(assessment_id=0).query.sql_with_params()
        assert list(params) == [0], params  # the assessment id is its only parameter
    return score_columns, rows, sql


def _save_sheet_rows(assessment_id: int) -> tuple[list[str], list[tuple]]:
    """The score columns and save_sheet's rows of one assessment (PostgreSQL: read raw with
    the SQL compiled once, as fetch_rows reads them; SQLite: through the ORM's converters)."""
    score_columns, rows, sql = _save_sheet_query()
    if not sql:
        return score_columns, list(rows.filter(assessment_id=assessment_id))
    with connection.cursor() as cursor:
        cursor.execute(sql, [assessment_id])
        return score_columns, cursor.fetchall()


def save_sheet(assessment: Assessment, score_id: int) -> SaveSheet:
    """The assessment's leaf states and fields, and score `score_id` as a model, in one query
    of plain values.

    Building ~90 scores with their criteria and fields as models (score_states) took a third of
    a save's server time (bench/load.py); a save's answer needs only totals. The score comes
    from the same row, with the columns a save reads of its criterion (others load on access).
    `score` is None when the assessment has no such score.
    """
    score_columns, rows = _save_sheet_rows(assessment.pk)
    sheet = SaveSheet(score=None, states={}, fields=[])
    fields = {}
    ends = (len(score_columns), len(score_columns) + len(_CRITERION_COLUMNS))
    for row in rows:
        score = SimpleNamespace(**dict(zip(score_columns, row[: ends[0]])))
        criterion = SimpleNamespace(
            pk=score.criterion_id, **dict(zip(_CRITERION_COLUMNS, row[ends[0] : ends[1]]))
        )
        field_values = row[ends[1] : -1]
        if field_values[0] is not None and field_values[0] not in fields:
            fields[field_values[0]] = _partial_model(Criterion, _FIELD_COLUMNS, field_values)
        sheet.states[score.id] = leaf_state(criterion, score, row[-1])
        sheet.rows[score.id] = score
        if score.id == score_id:
            sheet.score = Score.from_db("default", score_columns, row[: ends[0]])
            criterion_values = (score.criterion_id, *row[ends[0] : ends[1]])
            sheet.score.criterion = _partial_model(
                Criterion, ("id", *_CRITERION_COLUMNS), criterion_values
            )
            sheet.score.assessment, sheet.score.evidence_count = assessment, row[-1]
    sheet.fields = sorted(fields.values(), key=lambda f: (f.position, f.code))
    return sheet


@dataclass
class EvidenceItem:
    """An evidence item as the page shows it, with the criteria it proves."""

    evidence: object
    codes: list[str]
    current: str = ""  # the criterion the item is listed under

    KINDS = {
        "application/pdf": "PDF",
        "image/jpeg": "Ảnh JPG",
        "image/png": "Ảnh PNG",
        "application/msword": "Word",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
        "application/vnd.ms-excel": "Excel",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel",
        "application/vnd.oasis.opendocument.text": "ODT",
        "application/vnd.oasis.opendocument.spreadsheet": "ODS",
    }

    @property
    def pk(self) -> int:
        return self.evidence.pk

    @property
    def title(self) -> str:
        evidence = self.evidence
        if evidence.file:
            return evidence.original_name
        parts = [f"Văn bản số {evidence.doc_number}"]
        if evidence.doc_date:
            parts.append(f"ngày {rules.format_date(evidence.doc_date)}")
        if evidence.doc_issuer:
            parts.append(f"của {evidence.doc_issuer}")
        return " ".join(parts)

    @property
    def details(self) -> str:
        evidence = self.evidence
        if not evidence.file:
            return evidence.description
        return f"{self.KINDS.get(evidence.content_type, 'Tệp')} · {size_text(evidence.size)}"

    @property
    def other_codes(self) -> list[str]:
        """The other criteria this item proves."""
        return [code for code in self.codes if code != self.current]


def size_text(size: int) -> str:
    """"850 byte", "12 KB", "1,2 MB"."""
    if size < 1024:
        return f"{size} byte"
    if size < 1024 * 1024:
        return f"{rules.format_score((Decimal(size) / 1024).quantize(Decimal(1)))} KB"
    return f"{rules.format_megabytes(size)} MB"


@dataclass
class Row:
    """One criterion in page order: a field heading, an inner heading, or a leaf to score."""

    criterion: Criterion
    score: Score | None = None
    state: LeafState | None = None
    evidence: list[EvidenceItem] = field(default_factory=list)
    editable: bool = False
    last_year: object = None  # scoring.last_year.LastYear, set by with_last_year

    @property
    def is_leaf(self) -> bool:
        return self.state is not None

    @property
    def max_text(self) -> str:
        return rules.format_score(self.criterion.max_points)

    @property
    def self_text(self) -> str:
        return rules.format_score(self.score.self_score) if self.score else ""

    @property
    def indent(self) -> int:
        return min(self.criterion.depth, 3)


@dataclass
class FieldBlock:
    criterion: Criterion
    rows: list[Row]
    total: Decimal
    maximum: Decimal
    imported: bool

    @property
    def total_text(self) -> str:
        return rules.format_score(self.total)

    @property
    def max_text(self) -> str:
        return rules.format_score(self.maximum)


@dataclass
class Sheet:
    """Everything the self-assessment page shows."""

    assessment: Assessment
    fields: list[FieldBlock]
    progress: Progress
    evidence: list[EvidenceItem]
    scores: dict[int, Score]

    def rows(self):
        for block in self.fields:
            yield from block.rows

    def leaf_rows(self):
        return [row for row in self.rows() if row.is_leaf]

    @property
    def requested(self) -> list[Row]:
        """Criteria the appraisal team returned for more (revision requests)."""
        return [row for row in self.leaf_rows() if row.score and row.score.revision_request.strip()]


def _depth_first(criteria: list[Criterion]) -> list[Criterion]:
    children: dict[int | None, list[Criterion]] = {}
    for criterion in criteria:
        children.setdefault(criterion.parent_id, []).append(criterion)
    ordered: list[Criterion] = []

    def walk(parent_id):
        for child in sorted(children.get(parent_id, []), key=lambda c: (c.position, c.code)):
            ordered.append(child)
            walk(child.pk)

    walk(None)
    return ordered


def assessment_sheet(assessment: Assessment, *, can_edit=None) -> Sheet:
    """The whole tree of the period's criteria with this commune's scores and evidence.

    Four queries: criteria, scores, evidence, evidence-to-score links. `can_edit(score)` tells
    which leaves the viewer may change (default: none).
    """
    criteria = _depth_first(list(assessment.period.criteria_set.criteria.all()))
    scores = {score.criterion_id: score for score in assessment.scores.all()}
    evidence = list(assessment.evidence.order_by("uploaded_at", "pk"))
    links = list(
        Score.evidence.through.objects.filter(evidence__assessment=assessment).values_list(
            "evidence_id", "score_id"
        )
    )
    by_id = {criterion.pk: criterion for criterion in criteria}
    parents = {criterion.parent_id for criterion in criteria}
    code_of_score = {score.pk: by_id[score.criterion_id].code for score in scores.values()}
    place = {criterion.code: i for i, criterion in enumerate(criteria)}
    codes_of: dict[int, list[str]] = {}
    for evidence_id, score_id in links:
        codes_of.setdefault(evidence_id, []).append(code_of_score.get(score_id, "?"))
    items = {
        item.pk: EvidenceItem(item, sorted(codes_of.get(item.pk, []), key=place.get))
        for item in evidence
    }
    items_of: dict[int, list[EvidenceItem]] = {}
    for evidence_id, score_id in links:
        item = items[evidence_id]
        items_of.setdefault(score_id, []).append(
            EvidenceItem(item.evidence, item.codes, current=code_of_score.get(score_id, ""))
        )

    blocks: list[FieldBlock] = []
    states: list[LeafState] = []
    for criterion in criteria:
        if criterion.parent_id is None:
            blocks.append(FieldBlock(criterion, [], ZERO, ZERO, imported=True))
        row = Row(criterion)
        if criterion.pk not in parents:
            score = scores.get(criterion.pk)
            if score is not None:
                score.criterion = criterion
                score.assessment = assessment
                row.evidence = sorted(items_of.get(score.pk, []), key=lambda item: item.pk)
            row.score = score
            row.state = leaf_state(criterion, score, len(row.evidence))
            row.editable = bool(score is not None and can_edit and can_edit(score))
            states.append(row.state)
            if row.state.to_score:
                blocks[-1].imported = False
        blocks[-1].rows.append(row)
    progress = progress_of(states)
    for block in blocks:
        block.total = progress.field_totals.get(block.criterion.pk, ZERO)
        block.maximum = progress.field_maxima.get(block.criterion.pk, ZERO)
    return Sheet(
        assessment=assessment,
        fields=blocks,
        progress=progress,
        evidence=list(items.values()),
        scores={score.pk: score for score in scores.values()},
    )


def evidence_items_of(score: Score) -> list[EvidenceItem]:
    """The evidence of one criterion, each with the criteria it proves (two queries)."""
    evidence = list(score.evidence.order_by("uploaded_at", "pk"))
    links = Score.evidence.through.objects.filter(evidence__in=evidence)
    return _evidence_items(evidence, links, current=score.criterion.code)


def assessment_evidence(assessment: Assessment) -> list[EvidenceItem]:
    """Every evidence item of the assessment with the criteria it proves (two queries)."""
    evidence = list(assessment.evidence.order_by("uploaded_at", "pk"))
    links = Score.evidence.through.objects.filter(evidence__assessment=assessment)
    return _evidence_items(evidence, links)


def _evidence_items(evidence, links, *, current: str = "") -> list[EvidenceItem]:
    """EvidenceItems of `evidence`, each with the codes its `links` (evidence-to-score rows)
    name, in criterion order."""
    codes_of: dict[int, list[str]] = {}
    for evidence_id, code in links.order_by("score__criterion__position").values_list(
        "evidence_id", "score__criterion__code"
    ):
        codes_of.setdefault(evidence_id, []).append(code)
    return [EvidenceItem(item, codes_of.get(item.pk, []), current=current) for item in evidence]


def field_blocks_of(criteria: Iterable[Criterion], progress: Progress) -> list[FieldBlock]:
    """Field headings with totals only (for answers to a save)."""
    return [
        FieldBlock(
            criterion,
            [],
            progress.field_totals.get(criterion.pk, ZERO),
            progress.field_maxima.get(criterion.pk, ZERO),
            imported=False,
        )
        for criterion in criteria
    ]


def fields_of(scores: Iterable[Score]) -> list[Criterion]:
    """The fields (top-level criteria) of loaded scores, in order (no query)."""
    fields = {score.criterion.field_id: score.criterion.field for score in scores}
    return sorted(
        (f for f in fields.values() if f is not None), key=lambda f: (f.position, f.code)
    )


def events_for_commune(assessment: Assessment, *, everything: bool = False):
    """The assessment's audit events its commune may read, newest first.

    Before publication the commune sees its own changes and the workflow steps (transitions
    written with field_name "status", returns, reopenings, locks), never appraised scores or
    appraisal notes. `everything` shows all: permissions.can_view_appraisal_notes decides
    (the appraising unit, or anyone after publication).
    """
    events = assessment.audit_events.select_related("user", "criterion").order_by("-at", "-id")
    if everything:
        return events
    return events.filter(
        Q(action__in=COMMUNE_ACTIONS) | Q(field_name="status") | Q(action__in=WORKFLOW_ACTIONS)
    ).exclude(field_name__in=APPRAISAL_FIELDS)


# Written by the self-assessment services (scoring/services/self_assessment.py, evidence).
COMMUNE_ACTIONS = (
    "score_changed",
    "evidence_added",
    "evidence_linked",
    "evidence_removed",
    "submitted",
    "resubmitted",
    "withdrawn",
    "reply_saved",
    "reply_sent",
)
# Steps of the appraising unit the commune is told about anyway.
WORKFLOW_ACTIONS = (
    "returned",
    "revision_requested",
    "reopened",
    "locked",
    "unlocked",
    "review_started",
    "provisional_announced",
    "reply_answered",
    "reply_round_closed",
    "reply_silence",
)
# Private to the appraising unit until the period is published (issue 4 §6).
APPRAISAL_FIELDS = ("appraised_score", "appraisal_note", "not_applicable_confirmed")


@dataclass
class EventLine:
    """One audit event as the history pages print it, in the labels of AuditEvent.Action and
    AuditEvent.Field (the one place they live)."""

    event: object

    @property
    def when(self) -> str:
        return format_datetime(self.event.at)

    @property
    def who(self) -> str:
        user = self.event.user
        return (user.get_full_name() or user.username) if user else "Hệ thống"

    @property
    def what(self) -> str:
        """The action, with what it changed where one action changes several things
        ("Sửa: điểm tự chấm", "Chấm điểm thẩm định: ý kiến thẩm định")."""
        event = self.event
        if event.action in FIELD_ACTIONS and event.field_name:
            return f"{event.action_label}: {event.field_label.lower()}"
        return event.action_label

    @property
    def old(self) -> str:
        return self.event.old_text

    @property
    def new(self) -> str:
        return self.event.new_text


# Actions written once per changed field: the history names the field.
FIELD_ACTIONS = ("score_changed", "appraised_score", "score_imported", "score_changed_in_admin")


# --- publications -------------------------------------------------------------------------


def _publications():
    latest = Publication.objects.filter(period=OuterRef("period")).order_by("-version")
    # The unit's ancestors too: permission checks walk them (communes.access.has_role).
    return Publication.objects.annotate(
        latest_version=Subquery(latest.values("version")[:1])
    ).select_related(
        "period__unit__parent__parent", "period__criteria_set", "published_by"
    )


def _version(publications, version: int | None) -> Publication | None:
    if version is None:
        return publications.order_by("-version").first()
    return publications.filter(version=version).first()


def latest_publication(period) -> Publication | None:
    """The period's newest publication version, or None before the first publish."""
    return _version(_publications().filter(period=period), None)


def publication_for(period, version: int | None = None) -> Publication | None:
    """Version `version` of the period's publication (default: the latest); None if none.

    The result carries `latest_version`, so pages can say "Đã có bản điều chỉnh mới hơn".
    """
    return _version(_publications().filter(period=period), version)


def published_publication(periods, code: str, version: int | None = None) -> Publication | None:
    """Like publication_for, for the period `code` among `periods` (e.g. the user's visible
    periods): one query for the period and its publication. A period never published has
    none; one reopened for correction keeps its published versions."""
    publications = _publications().filter(period__in=periods, period__code=code)
    return _version(publications, version)


def is_superseded(publication) -> bool:
    latest = getattr(publication, "latest_version", None)
    return latest is not None and publication.version < latest


@dataclass(frozen=True)
class PublicationInfo:
    """What every page and file prints about the version it shows."""

    version: int
    decision: str
    decision_date: str
    published_at: str
    reason: str
    superseded: bool
    latest_version: int
    # "Ninh Giang, ngày 16 tháng 3 năm 2023": the appraising unit's place and the decision's
    # date (the publication's when none), as a document heading prints them.
    place_date: str = ""

    @property
    def decision_text(self) -> str:
        """ "Quyết định số 766/QĐ-UBND ngày 16/03/2023", or "" when none was given."""
        if not self.decision:
            return ""
        text = f"Quyết định số {self.decision}"
        return f"{text} ngày {self.decision_date}" if self.decision_date else text

    @property
    def line(self) -> str:
        """One line for page headers and file headings."""
        parts = [f"Lần công bố {self.version}"]
        if self.decision_text:
            parts.append(self.decision_text)
        parts.append(f"Dữ liệu tại ngày {self.published_at}")
        return " · ".join(parts)


def publication_info(publication) -> PublicationInfo:
    return PublicationInfo(
        version=publication.version,
        decision=publication.decision,
        decision_date=rules.format_date(publication.decision_date),
        published_at=format_datetime(publication.published_at),
        reason=publication.reason,
        superseded=is_superseded(publication),
        latest_version=getattr(publication, "latest_version", None) or publication.version,
        place_date=document_place_date(
            publication.period.unit,
            publication.decision_date or timezone.localtime(publication.published_at).date(),
        ),
    )


def document_place_date(unit, day) -> str:
    """The place and date line of a document issued by `unit` (its proper name, from the data):
    "Hải Phòng, ngày 01 tháng 12 năm 2026"."""
    return rules.format_place_date(wording.place(unit), day)


def procedure_figures(assessment) -> ProcedureFigures | None:
    """The commune's TTHC figures for the assessment's period (None: none imported)."""
    return ProcedureFigures.objects.filter(
        period_id=assessment.period_id, commune_id=assessment.commune_id
    ).first()


def adjustments_by_assessment(period) -> dict[int, list[tuple[Decimal, str]]]:
    """assessment id → its bonus/deduction points with their reasons, oldest first (only the
    assessments that have any). One query; publishing and the period table both read it."""
    found: dict[int, list[tuple[Decimal, str]]] = {}
    rows = Adjustment.objects.filter(assessment__period_id=period.pk).order_by(
        "assessment_id", "created_at", "pk"
    )
    for assessment, points, reason in rows.values_list("assessment_id", "points", "reason"):
        found.setdefault(assessment, []).append((points, reason))
    return found


# --- points lost (the commune report and "tiêu chí dễ mất điểm") ---------------------------

# How many of a commune's lost criteria its report lists (and a publication keeps).
LOST_CRITERIA_KEPT = 10
# Appraised leaves that count for points lost: a score was given (imported or appraised). A
# confirmed "không áp dụng" loses nothing and is left out; a rejected claim counts as scored.
_LOST_BASIS = Q(appraised_score__isnull=False) & ~Q(
    not_applicable=True, not_applicable_confirmed=True
)
_EXACT = DecimalField(max_digits=14, decimal_places=3)


@dataclass(frozen=True)
class CriterionText:
    """What reports print of a criterion beside its figures."""

    code: str
    name: str
    field_code: str
    position: int
    max_points: Decimal
    is_field: bool = False


def criterion_texts(criteria_set_id: int) -> dict[int, CriterionText]:
    """Every criterion of the set by id (fields too). One query: the lost-points reads below
    return criterion ids, so that their big sorts and groupings carry no text."""
    rows = list(
        Criterion.objects.filter(criteria_set_id=criteria_set_id).values_list(
            "pk", "parent_id", "field_id", "code", "name", "position", "max_points"
        )
    )
    code_of = {pk: code for pk, _parent, _field, code, *_rest in rows}
    return {
        pk: CriterionText(
            code, name, code_of.get(field, ""), position, max_points, is_field=parent is None
        )
        for pk, parent, field, code, name, position, max_points in rows
    }


def _lost():
    return ExpressionWrapper(F("counted_max") - F("points"), output_field=_EXACT)


def lost_sums() -> dict:
    """Aggregates of a `with_points()` Score queryset: the points lost over its appraised
    leaves (`lost_total`) and how many lost any (`lost_count`), as lost_criteria_of ranks
    them; publishing adds them to its one aggregate per (assessment, field)."""
    losing = _LOST_BASIS & Q(points__lt=F("counted_max"))
    return {
        "lost_total": Sum(_lost(), filter=losing, output_field=_EXACT),
        "lost_count": Count("id", filter=losing),
    }


def fetch_rows(queryset):
    """The rows of a values_list queryset. PostgreSQL returns numeric columns as exact
    Decimals already, so its rows are read straight from the cursor (33,210 at national size),
    skipping Django's per-row converters; SQLite's need them (its sums come back as floats)."""
    if connection.vendor != "postgresql":
        return queryset
    with connection.cursor() as cursor:
        cursor.execute(*queryset.query.sql_with_params())
        return cursor.fetchall()


def lost_criteria_of(scores, texts: dict[int, CriterionText]) -> dict[int, list[dict]]:
    """Per assessment among `scores` (a Score queryset): the LOST_CRITERIA_KEPT leaves it lost
    most points on (counted maximum − points, rules.leaf_points), most first, then in
    criterion order. One query, whatever the number of communes: the ranking per commune is
    a window function (its totals are lost_sums, kept out of the window: a window over the
    whole partition would make PostgreSQL rank every row instead of stopping at the kept
    ones). `texts`: criterion_texts of the period's set.

    {assessment id: [{"code", "name", "max", "self", "score", "note"}, …]}; assessments that
    lost nothing are absent.
    """
    rows = (
        scores.filter(_LOST_BASIS)
        .with_points()
        .annotate(lost=_lost())
        .filter(lost__gt=0)
        .annotate(
            place=Window(
                RowNumber(),
                partition_by=[F("assessment_id")],
                order_by=[F("lost").desc(), F("criterion__position").asc()],
            )
        )
        .filter(place__lte=LOST_CRITERIA_KEPT)
        .order_by("assessment_id", "place")
        .values_list(
            "assessment_id", "criterion_id", "counted_max", "self_score", "points",
            "appraisal_note",
        )
    )
    found: dict[int, list[dict]] = {}
    for assessment, criterion, maximum, own, points, note in fetch_rows(rows):
        text = texts[criterion]
        found.setdefault(assessment, []).append(
            {"code": text.code, "name": text.name, "max": maximum, "self": own,
             "score": points, "note": note}
        )
    return found


def lost_points_by_criterion(period, texts: dict[int, CriterionText]) -> list[dict]:
    """Per leaf criterion of the period, over its communes' appraised leaves (as
    lost_criteria_of counts them): how many, how many lost points, the points lost, and over
    those with a self score too, Σ (appraised − self). Plain rows in criterion order; one
    aggregate query grouped by criterion id alone. The "tiêu chí dễ mất điểm" page reads them
    live before publishing, and from the publication (Publication.lost_points) once
    published. `texts`: criterion_texts of the period's set."""
    difference = ExpressionWrapper(F("points") - F("self_score"), output_field=_EXACT)
    compared = Q(self_score__isnull=False)
    rows = (
        Score.objects.filter(_LOST_BASIS, assessment__period_id=period.pk)
        .with_points()
        .values("criterion_id")
        .annotate(
            communes=Count("id"),
            losing=Count("id", filter=Q(points__lt=F("counted_max"))),
            lost_sum=Sum(_lost(), output_field=_EXACT),
            compared=Count("id", filter=compared),
            difference_sum=Sum(difference, filter=compared, output_field=_EXACT),
        )
        .order_by()
    )
    found = []
    for row in sorted(rows, key=lambda row: texts[row["criterion_id"]].position):
        text = texts[row["criterion_id"]]
        found.append(
            {
                "code": text.code,
                "name": text.name,
                "field_code": text.field_code,
                "max_points": text.max_points,
                "communes": row["communes"],
                "losing": row["losing"],
                "lost_sum": row["lost_sum"] or ZERO,
                "compared": row["compared"],
                "difference_sum": row["difference_sum"] or ZERO,
            }
        )
    return found


# --- the period's stage (rules.period_stage) -----------------------------------------------


def stage_facts(period, today: datetime.date | None = None) -> rules.StageFacts:
    """The counts rules.period_stage reads, in two queries: one aggregate over the period's
    assessments, one count of the disagreements waiting for an answer."""
    from .models import Reply

    today = today or timezone.localdate()
    Status = Assessment.Status
    reply_open = period.reply_due is not None and today <= period.reply_due
    draft_open = Q(status=Status.DRAFT) & (
        Q(reopened_until__gte=today)
        if today > period.self_assessment_due
        else Q(pk__isnull=False)
    )
    ready = Q(status__in=(Status.APPRAISED, Status.PUBLISHED))
    if not reply_open:
        ready |= Q(status=Status.PROVISIONAL)  # silence at the deadline is agreement
    counts = Assessment.objects.filter(period=period).aggregate(
        assessments=Count("id"),
        ready=Count("id", filter=ready),
        self_assessing=Count("id", filter=draft_open),
        open_rounds=Count("id", filter=Q(status=Status.PROVISIONAL)) if reply_open else Count(
            "id", filter=Q(pk__isnull=True)
        ),
    )
    unanswered = Reply.objects.filter(
        score__assessment__period=period,
        score__assessment__status=Status.REPLIED,
        round__sent_at__isnull=False,
        disagrees=True,
        answer="",
    ).count()
    return rules.StageFacts(
        published=period.is_published, unanswered=unanswered, **counts
    )


@dataclass(frozen=True)
class Stage:
    """A period's stage (rules.period_stage) and the steps, for the stage bar."""

    value: str
    facts: rules.StageFacts

    @property
    def label(self) -> str:
        return rules.stage_label(self.value)

    @property
    def steps(self) -> list[tuple[str, str, str]]:
        """(value, label, "done" | "current" | "") for each stage in order."""
        order = [value for value, _label in rules.STAGES]
        here = order.index(self.value)
        return [
            (value, label, "current" if i == here else "done" if i < here else "")
            for i, (value, label) in enumerate(rules.STAGES)
        ]


def period_stage(period, today: datetime.date | None = None) -> Stage:
    facts = stage_facts(period, today)
    return Stage(rules.period_stage(facts), facts)


# --- the reply round -------------------------------------------------------------------------


def _replies():
    from django.db.models import Prefetch

    from .models import Reply

    evidence = Reply._meta.get_field("evidence").related_model.objects.order_by("uploaded_at", "pk")
    return Reply.objects.select_related(
        "score__criterion", "round", "answered_by", "updated_by"
    ).prefetch_related(Prefetch("evidence", queryset=evidence))


def current_replies(assessment) -> dict:
    """score id → the commune's Reply in the assessment's latest round, with its evidence (two
    queries; none before an announcement)."""
    if not assessment.reply_round:
        return {}
    rows = _replies().filter(
        round__assessment_id=assessment.pk, round__number=assessment.reply_round
    )
    return {reply.score_id: reply for reply in rows}


def sent_disagreements(assessment) -> list:
    """Every disagreement the commune sent, every round, oldest first, with its evidence and
    the team's answer (the appraisal page and the minutes). Two queries."""
    return list(
        _replies()
        .filter(round__assessment_id=assessment.pk, round__sent_at__isnull=False, disagrees=True)
        .order_by("round__number", "score__criterion__position")
    )


@dataclass(frozen=True)
class PublishedResult:
    """A commune's result in the latest publication, as its page headlines it."""

    total: str
    index: str
    rank: int
    rank_of: int
    classification: str
    info: PublicationInfo
    shows_index: bool


def published_result(assessment) -> PublishedResult | None:
    """The commune's result in its period's latest publication (None: not ranked). One query."""
    from .models import Result

    result = (
        Result.objects.filter(
            publication__period_id=assessment.period_id, commune_id=assessment.commune_id
        )
        .select_related("publication")
        .order_by("-publication__version")
        .first()
    )
    if result is None:
        return None
    return PublishedResult(
        total=rules.format_total(result.total),
        index=rules.format_total(result.index),
        rank=result.rank,
        rank_of=result.rank_of,
        classification=result.classification,
        info=publication_info(result.publication),
        shows_index=result.applicable_max != rules.HUNDRED,
    )
