"""Publishing a period (design.md §1 step 5, §4, §5): the frozen, versioned snapshot.

`publish_period` reads everything it needs with a fixed number of set-based queries (the
number does not grow with the number of communes or criteria): the assessments, the criteria,
ONE aggregate of the appraised scores per (assessment, field) and the few confirmed "không áp
dụng" scores, the bonus/deduction points, the TTHC figures, the previous year's results. It passes plain
values to `rules.standings`, then bulk-inserts the Publication's Result rows (each with its
field results as one JSON document), marks the period and its assessments published and audits it, all in one
transaction. Slow side effects (the ranking PDF) are the caller's, after the commit.

A correction after publishing (design.md §1): `reopen_for_correction` moves the period back
to appraisal (audited, with a reason), scores are corrected through the usual services or
`import_scores`, and `publish_period` writes version N+1 with a reason. Earlier versions are
never touched (Publication and Result refuse updates and deletes).
"""

from __future__ import annotations

import datetime
import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import DecimalField, F, Max, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from communes.models import Succession

from .. import rules
from ..audit import record_event
from ..models import (
    Assessment,
    Criterion,
    FieldScore,
    NaPolicy,
    PROCEDURE_FIGURES,
    Period,
    ProcedureFigures,
    Publication,
    Result,
    Score,
    encode_field_scores,
)
from ..selectors import adjustments_by_assessment
from . import WorkflowError
from .bulk import copy_rows, record_status_events


Status = Assessment.Status
# An assessment in these states may be published (PUBLISHED: again, as a new version).
READY = (Status.APPRAISED, Status.PUBLISHED)
ZERO = Decimal(0)
SUM_FIELD = DecimalField(max_digits=12, decimal_places=3)
TOTAL_PLACES = Decimal("0.001")
UNRANKED = (None, None)  # the field rank of a field that does not apply to the commune


def ensure_editable(assessment: Assessment) -> None:
    """Refuse (WorkflowError) any change to an assessment whose results are published."""
    if assessment.status == Status.PUBLISHED or assessment.period.is_published:
        raise WorkflowError(
            f"Kết quả của {assessment.commune.name} đã được công bố; không sửa được điểm. "
            "Cần mở lại kỳ đánh giá để điều chỉnh và công bố lần mới."
        )


# --- publishing ---------------------------------------------------------------------------


def publish_period(
    period: Period,
    *,
    by,
    decision: str = "",
    decision_date: datetime.date | None = None,
    reason: str = "",
    exclusions: Mapping[str, str] | None = None,
    after_commit: Callable[[Publication], object] | None = None,
) -> Publication:
    """Publish the period's results as a new version; returns the Publication.

    Every assessment must be appraised (or published, when publishing again), unless its
    commune code is in `exclusions` with a reason: excluded communes are not ranked. Version 1
    needs no reason; later versions do. Refuses (WorkflowError, Vietnamese, naming the
    communes) otherwise; nothing is written then. `after_commit(publication)` runs once the
    publication is committed (the publish command stores the ranking PDF with it).
    """
    with transaction.atomic():
        publication = _publish(
            period,
            by=by,
            decision=(decision or "").strip(),
            decision_date=decision_date,
            reason=(reason or "").strip(),
            exclusions=_clean_exclusions(exclusions or {}),
        )
        if after_commit is not None:
            transaction.on_commit(lambda: after_commit(publication))
    period.status = Period.Status.PUBLISHED
    return publication


def _clean_exclusions(exclusions: Mapping[str, str]) -> dict[str, str]:
    cleaned, missing = {}, []
    for code, why in exclusions.items():
        code, why = (code or "").strip(), (why or "").strip()
        if not why:
            missing.append(code)
        cleaned[code] = why
    if missing:
        raise WorkflowError(
            "Cần nêu lý do không xếp hạng cho từng đơn vị: " + ", ".join(missing) + "."
        )
    return cleaned


def _publish(period, *, by, decision, decision_date, reason, exclusions) -> Publication:
    period = Period.objects.select_for_update().get(pk=period.pk)
    assessments = list(
        Assessment.objects.select_for_update(of=("self",))
        .filter(period_id=period.pk)
        .order_by("commune__code")
        .values_list("pk", "commune_id", "commune__code", "commune__name", "commune__kind", "status")
    )
    _check_ready(period, assessments, exclusions)
    version = (
        Publication.objects.filter(period_id=period.pk).aggregate(last=Max("version"))["last"] or 0
    ) + 1
    if version > 1 and not reason:
        raise WorkflowError(
            f"Kỳ {period.code} đã công bố {version - 1} lần; công bố lần {version} cần nêu lý do "
            "điều chỉnh."
        )
    ranked = [row for row in assessments if row[2] not in exclusions]
    fields, code_of, field_max_by_kind = _field_maxima(period, {row[4] for row in ranked})
    points, dropped = _field_points(period)

    field_scores: dict[int, dict[int, Decimal]] = {}
    field_max: dict[int, dict[int, Decimal]] = {}
    applicable_max: dict[int, Decimal] = {}
    max_of_kind = {kind: sum(maxima.values(), ZERO) for kind, maxima in field_max_by_kind.items()}
    for pk, _commune, _code, name, kind, _status in ranked:
        scores = points.get(pk, {})
        if len(scores) < len(fields):  # a field without any score row counts 0
            scores = {field: scores.get(field, ZERO) for field in fields}
        if pk in dropped:
            minus = dropped[pk]
            field_max[pk] = {
                field: maximum - minus.get(field, ZERO)
                for field, maximum in field_max_by_kind[kind].items()
            }
            applicable_max[pk] = sum(field_max[pk].values(), ZERO)
        else:  # the common case: the kind's maxima, shared
            field_max[pk] = field_max_by_kind[kind]
            applicable_max[pk] = max_of_kind[kind]
        if applicable_max[pk] <= 0:
            raise WorkflowError(f"{name}: không có tiêu chí nào áp dụng (điểm tối đa bằng 0).")
        maxima = field_max[pk]
        if not all(maxima.values()):  # a field none of whose criteria applies: not ranked
            scores = {field: score for field, score in scores.items() if maxima[field]}
        field_scores[pk] = scores
    adjustments = adjustments_by_assessment(period)
    procedures = _procedure_figures(period)
    standings = rules.standings(
        field_scores,
        applicable_max,
        period.band_list(),
        {pk: sum((points for points, _ in rows), ZERO) for pk, rows in adjustments.items()},
    )
    previous = _previous_results(period, [row[1] for row in ranked])

    publication = Publication.objects.create(
        period=period,
        version=version,
        published_at=timezone.now(),
        published_by=_user(by),
        decision=decision,
        decision_date=decision_date,
        reason=reason,
        exclusions=exclusions,
    )
    ranked.sort(key=lambda row: (standings[row[0]].rank, row[2]))
    no_previous = (None, None, None)
    results = []
    for pk, commune, *_ in ranked:
        standing = standings[pk]
        scores, maxima, ranks = field_scores[pk], field_max[pk], standing.field_ranks
        document = encode_field_scores(
            {
                code_of[f]: FieldScore(scores.get(f, ZERO), maxima[f], *ranks.get(f, UNRANKED))
                for f in fields
            }
        )
        results.append(
            (
                commune,
                standing.total,
                standing.applicable_max,
                standing.index,
                standing.rank,
                standing.rank_of,
                standing.classification,
                *previous.get(commune, no_previous),
                document,
                standing.adjustment,
                json.dumps(
                    [{"points": str(points), "reason": why} for points, why in adjustments[pk]],
                    ensure_ascii=False,
                )
                if pk in adjustments
                else "[]",
                procedures.get(commune),
            )
        )
    _insert_results(publication, results)
    _mark_published(period, publication, assessments, exclusions, by=by)
    return publication


RESULT_COLUMNS = (
    "commune_id", "total", "applicable_max", "index", "rank", "rank_of", "classification",
    "previous_total", "previous_index", "previous_rank", "field_results", "adjustment",
    "adjustments", "procedure",
)


def _insert_results(publication, results) -> None:
    """Write the result rows (values in RESULT_COLUMNS order, the field results as JSON text)
    in one statement whatever the number of communes: COPY on PostgreSQL, one executemany
    elsewhere (SQLite)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            copy_rows(
                cursor,
                Result._meta.db_table,
                ("publication_id", *RESULT_COLUMNS),
                ((publication.pk, *values) for values in results),
            )
            return
        quote = connection.ops.quote_name
        cursor.executemany(
            f"INSERT INTO {quote(Result._meta.db_table)} (publication_id, "
            f"{', '.join(map(quote, RESULT_COLUMNS))}) "
            f"VALUES (%s, {', '.join(['%s'] * len(RESULT_COLUMNS))})",
            [(publication.pk, *values) for values in results],
        )


def _check_ready(period, assessments, exclusions: dict[str, str]) -> None:
    codes = {row[2] for row in assessments}
    unknown = sorted(set(exclusions) - codes)
    if unknown:
        raise WorkflowError(
            f"Không có đơn vị mã {', '.join(unknown)} trong kỳ đánh giá {period.code}."
        )
    waiting = [
        f"{name} ({Status(status).label})"
        for _pk, _commune, code, name, _kind, status in assessments
        if status not in READY and code not in exclusions
    ]
    if waiting:
        raise WorkflowError(
            f"Chưa công bố được: {len(waiting)} đơn vị chưa hoàn thành thẩm định: "
            + ", ".join(waiting)
            + ". Hãy hoàn thành thẩm định hoặc nêu tên các đơn vị không xếp hạng kèm lý do."
        )
    if len(codes - set(exclusions)) == 0:
        raise WorkflowError(f"Kỳ đánh giá {period.code} không có đơn vị nào để xếp hạng.")


def _field_maxima(
    period, kinds
) -> tuple[list[int], dict[int, str], dict[str, dict[int, Decimal]]]:
    """The fields (in order), their codes and, per commune kind, each field's maximum over the
    leaves that apply to that kind (design.md §3 `applies_to`). One query."""
    criteria = list(
        Criterion.objects.filter(criteria_set_id=period.criteria_set_id)
        .order_by("position", "code")
        .values_list("pk", "parent_id", "field_id", "max_points", "applies_to", "code")
    )
    parents = {parent for _pk, parent, *_ in criteria if parent is not None}
    fields = [pk for pk, parent, *_ in criteria if parent is None]
    code_of = {pk: code for pk, parent, *_, code in criteria if parent is None}
    by_kind = {kind: dict.fromkeys(fields, ZERO) for kind in kinds}
    for pk, _parent, field, max_points, applies_to, _code in criteria:
        if pk in parents:
            continue
        for kind, maxima in by_kind.items():
            if not applies_to or kind in applies_to:
                maxima[field] += max_points
    return fields, code_of, by_kind


def _field_points(period) -> tuple[dict[int, dict[int, Decimal]], dict[int, dict[int, Decimal]]]:
    """assessment → {field: points}, and assessment → {field: maximum dropped}. Two queries.

    The points are the sum of the appraised scores (none yet: 0), then corrected for the few
    criteria confirmed "không áp dụng" (read through a partial index): such a criterion gives
    its maximum (na_policy `full`) or leaves the maximum (na_policy `exclude`, design.md §3)
    instead of its appraised score. A plain SUM keeps the one query over every score of the
    period as cheap as it can be.
    """
    scores = Score.objects.filter(assessment__period_id=period.pk).order_by()
    sums = scores.values_list("assessment_id", "criterion__field_id").annotate(
        total=Sum(Coalesce("appraised_score", Value(ZERO)), output_field=SUM_FIELD)
    )
    points: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for assessment, field, total in _fetch(sums):
        points[assessment][field] = total
    dropped: dict[int, dict[int, Decimal]] = defaultdict(dict)
    not_applicable = scores.filter(
        not_applicable=True,
        not_applicable_confirmed=True,
        criterion__na_policy__in=(NaPolicy.FULL, NaPolicy.EXCLUDE),
    )
    for assessment, field, appraised, max_points, policy in not_applicable.values_list(
        "assessment_id",
        "criterion__field_id",
        "appraised_score",
        "criterion__max_points",
        "criterion__na_policy",
    ):
        fields = points[assessment]
        fields[field] += (max_points if policy == NaPolicy.FULL else ZERO) - (appraised or ZERO)
        if policy == NaPolicy.EXCLUDE:
            dropped[assessment][field] = dropped[assessment].get(field, ZERO) + max_points
    return points, dropped


def _procedure_figures(period) -> dict[int, str]:
    """commune → its TTHC figures for the period as JSON text (kept in the Result). One query."""
    rows = ProcedureFigures.objects.filter(period_id=period.pk).values_list(
        "commune_id", *PROCEDURE_FIGURES
    )
    return {
        commune: json.dumps(dict(zip(PROCEDURE_FIGURES, figures))) for commune, *figures in rows
    }


def _fetch(queryset):
    """The rows of a values_list queryset. PostgreSQL returns numeric columns as exact
    Decimals already, so its rows are read straight from the cursor (33,210 at national size),
    skipping Django's per-row converters; SQLite's need them (its sums come back as floats)."""
    if connection.vendor != "postgresql":
        return queryset
    with connection.cursor() as cursor:
        cursor.execute(*queryset.query.sql_with_params())
        return cursor.fetchall()


def _previous_results(period, commune_ids) -> dict[int, tuple]:
    """commune id → (total, index, rank) of the previous period's latest publication.

    A commune without a result of its own there takes its predecessor's (communes.Succession).
    After a merger (several predecessors with results) it takes the mean of their totals and
    of their indices and no rank: the old ranks were among other communes and do not carry
    over to the merged one.
    """
    if period.previous_id is None:
        return {}
    publication = (
        Publication.objects.filter(period_id=period.previous_id)
        .order_by("-version")
        .values_list("pk", flat=True)
        .first()
    )
    if publication is None:
        return {}
    earlier = {
        commune: (total, index, rank)
        for commune, total, index, rank in Result.objects.filter(
            publication_id=publication
        ).values_list("commune_id", "total", "index", "rank")
    }
    found = {commune: earlier[commune] for commune in commune_ids if commune in earlier}
    missing = set(commune_ids) - set(found)
    if not missing:
        return found
    predecessors = defaultdict(list)
    for successor, predecessor in Succession.objects.filter(
        successor__assessments__period_id=period.pk
    ).values_list("successor_id", "predecessor_id"):
        if successor in missing and predecessor in earlier:
            predecessors[successor].append(earlier[predecessor])
    for commune, rows in predecessors.items():
        if len(rows) == 1:
            found[commune] = rows[0]
        else:
            count = len(rows)
            found[commune] = (
                (sum(row[0] for row in rows) / count).quantize(TOTAL_PLACES),
                (sum(row[1] for row in rows) / count).quantize(rules.INDEX_PLACES),
                None,
            )
    return found


def _mark_published(period, publication, assessments, exclusions, *, by) -> None:
    """Period and assessments → published; one audit event per assessment moved (written by
    one INSERT … SELECT) and one for the period."""
    user = _user(by)
    excluded = [pk for pk, _c, code, *_ in assessments if code in exclusions]
    moving = Assessment.objects.filter(period_id=period.pk, status=Status.APPRAISED).exclude(
        pk__in=excluded
    )
    not_excluded = f" AND id NOT IN ({', '.join(['%s'] * len(excluded))})" if excluded else ""
    record_status_events(
        "period_id = %s AND status = %s" + not_excluded,
        [period.pk, Status.APPRAISED.value, *excluded],
        user=user,
        action="published",
        new=Status.PUBLISHED.value,
        detail={"publication": publication.pk, "version": publication.version},
    )
    moving.update(status=Status.PUBLISHED, version=F("version") + 1, updated_at=timezone.now())
    old_status = period.status
    period.status = Period.Status.PUBLISHED
    period.save(update_fields=["status"])
    record_event(
        by=by,
        period=period,
        action="period_published",
        field_name="status",
        old=old_status,
        new=period.status,
        reason=publication.reason,
        detail={
            "publication": publication.pk,
            "version": publication.version,
            "decision": publication.decision,
            "decision_date": rules.format_date(publication.decision_date),
            "ranked": len(assessments) - len(excluded),
            "exclusions": publication.exclusions,
        },
    )


def _user(by):
    return by if by is not None and by.is_authenticated else None


# --- corrections --------------------------------------------------------------------------


@transaction.atomic
def reopen_for_correction(period: Period, *, by, reason: str) -> Period:
    """Move a published period back to appraisal so that scores can be corrected.

    Its published assessments go back to `appraised` (audited, with the reason); the
    publications already made stay as they are. Publishing again writes version N+1.
    Refuses a period that is not published, and an empty reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise WorkflowError("Vui lòng nêu lý do mở lại kỳ đánh giá để điều chỉnh.")
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.status != Period.Status.PUBLISHED:
        raise WorkflowError(
            f"Kỳ đánh giá {period.code} chưa công bố kết quả; không cần mở lại để điều chỉnh."
        )
    user = _user(by)
    moved = record_status_events(
        "period_id = %s AND status = %s",
        [period.pk, Status.PUBLISHED.value],
        user=user,
        action="reopened_for_correction",
        new=Status.APPRAISED.value,
        reason=reason,
    )
    Assessment.objects.filter(period_id=period.pk, status=Status.PUBLISHED).update(
        status=Status.APPRAISED, version=F("version") + 1, updated_at=timezone.now()
    )
    period.status = Period.Status.APPRAISAL
    period.save(update_fields=["status"])
    record_event(
        by=by,
        period=period,
        action="period_reopened_for_correction",
        field_name="status",
        old=Period.Status.PUBLISHED,
        new=Period.Status.APPRAISAL,
        reason=reason,
        detail={"assessments": moved},
    )
    return period
