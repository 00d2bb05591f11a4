"""Publishing a period (docs/design.md §1 step 5, §4, §5): the frozen, versioned snapshot.

`publish_period` reads everything it needs with a fixed number of set-based queries (the
number does not grow with the number of communes or criteria): the assessments, the fields,
ONE aggregate of the leaves' points and counted maxima per (assessment, field)
(`Score.objects.with_points()`, the SQL of `rules.leaf_points`), the criteria each commune lost
most points on, the same per criterion over the period, the bonus/deduction points, the TTHC
figures, the previous year's results. It passes plain values to `rules.standings`, then
bulk-inserts the Publication's Result rows, marks the period and its assessments published
and audits it, all in one transaction. Slow side effects (the ranking PDF) are the caller's,
after the commit.

A version is frozen whole: each Result keeps, beside its field results, everything the
commune's report prints (its bonus/deduction points, TTHC figures and the criteria where it
lost points, with their names, maxima, scores and notes), and the Publication keeps the
period's "tiêu chí dễ mất điểm"; the reports read only these, never the live scores.

A correction after publishing (docs/design.md §1): `reopen_for_correction` moves the period back
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
from django.db.models import DecimalField, F, Subquery, Sum
from django.utils import timezone

from communes.lineage import earlier_units
from communes.models import Kind

from .. import notices, rules
from ..audit import record_event
from ..last_year import lost_points_last_year, previous_publication_id
from ..models import (
    Assessment,
    FieldScore,
    PROCEDURE_FIGURES,
    json_string,
    Period,
    ProcedureFigures,
    PreviousUnit,
    Publication,
    Result,
    Score,
    encode_field_scores,
)
from ..selectors import (
    adjustments_by_assessment,
    criterion_texts,
    fetch_rows,
    lost_criteria_of,
    lost_points_by_criterion,
    lost_sums,
)
from . import WorkflowError
from .bulk import copy_rows, record_status_events
from .replies import settle_silent_rounds


Status = Assessment.Status
# An assessment in these states counts as ready. A published period is refused as a whole
# (publish_period); reopening it moves its assessments back to appraised.
READY = (Status.APPRAISED, Status.PUBLISHED)
ZERO = Decimal(0)
SUM_FIELD = DecimalField(max_digits=12, decimal_places=3)
UNRANKED = (None, None)  # the field rank of a field that does not apply to the commune


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

    Every assessment must be appraised, unless its commune code is in `exclusions` with a
    reason: excluded communes are not ranked. Version 1 needs no reason; later versions do,
    and only after `reopen_for_correction`: a published period is refused (the publish page
    and the `publish` command obey this one rule). Refuses (WorkflowError, Vietnamese, naming
    the communes) otherwise; nothing is written then. `after_commit(publication)` runs once the
    publication is committed (the publish command stores the ranking PDF with it).
    """
    with transaction.atomic():
        publication = _publish(
            period, by=by, decision=decision, decision_date=decision_date, reason=reason,
            exclusions=exclusions,
        )
        if after_commit is not None:
            transaction.on_commit(lambda: after_commit(publication))
        notices.after_commit(notices.period_published, publication.pk)
    period.status = Period.Status.PUBLISHED
    return publication


def preview_publication(
    period: Period,
    read: Callable[[Publication], object],
    *,
    by,
    decision: str = "",
    decision_date: datetime.date | None = None,
    reason: str = "",
    exclusions: Mapping[str, str] | None = None,
):
    """What publishing would publish, without publishing: runs publish_period's own
    transaction (the same rules, the same computation, the same rows), hands the new
    Publication to `read` (e.g. the ranking as it will be printed) and rolls everything
    back. Returns what `read` returned; refuses (WorkflowError) exactly as publish_period
    would. Holds the period's lock as long as `read` runs: keep it to reading.
    """
    with transaction.atomic():
        try:
            publication = _publish(
                period, by=by, decision=decision, decision_date=decision_date, reason=reason,
                exclusions=exclusions,
            )
            return read(publication)
        finally:
            transaction.set_rollback(True)


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
    decision, reason = (decision or "").strip(), (reason or "").strip()
    exclusions = _clean_exclusions(exclusions or {})
    last_version = Publication.objects.filter(period_id=period.pk).order_by("-version")
    period = (
        Period.objects.select_for_update(of=("self",))
        .annotate(last_version=Subquery(last_version.values("version")[:1]))
        .get(pk=period.pk)
    )
    if period.status == Period.Status.PUBLISHED:
        raise WorkflowError(
            f"Kỳ đánh giá {period.code} đã công bố kết quả (lần {period.last_version}). "
            "Mở lại để điều chỉnh trước khi công bố lần mới."
        )
    today = timezone.localdate()
    settle_silent_rounds(period, today=today)
    assessments = list(
        Assessment.objects.select_for_update(of=("self",))
        .filter(period_id=period.pk)
        .order_by("commune__code")
        .values_list("pk", "commune_id", "commune__code", "commune__name", "commune__kind", "status")
    )
    _check_stage(period, assessments, today)
    _check_ready(period, assessments, exclusions)
    version = (period.last_version or 0) + 1
    if version > 1 and not reason:
        raise WorkflowError(
            f"Kỳ {period.code} đã công bố {version - 1} lần; công bố lần {version} cần nêu lý do "
            "điều chỉnh."
        )
    ranked = [row for row in assessments if row[2] not in exclusions]
    texts = criterion_texts(period.criteria_set_id)
    fields, code_of = _fields(texts)
    points, field_max, lost_totals = _field_points(period, fields)

    field_scores: dict[int, dict[int, Decimal]] = {}
    applicable_max: dict[int, Decimal] = {}
    for pk, _commune, _code, name, _kind, _status in ranked:
        maxima = field_max.get(pk) or dict.fromkeys(fields, ZERO)
        field_max[pk] = maxima
        applicable_max[pk] = sum(maxima.values(), ZERO)
        if applicable_max[pk] <= 0:
            raise WorkflowError(f"{name}: không có tiêu chí nào áp dụng (điểm tối đa bằng 0).")
        scores = points[pk]
        if not all(maxima.values()):  # a field none of whose criteria applies: not ranked
            scores = {field: score for field, score in scores.items() if maxima[field]}
        field_scores[pk] = scores
    lost = lost_criteria_of(Score.objects.filter(assessment__period_id=period.pk), texts)
    adjustments = adjustments_by_assessment(period)
    procedures = _procedure_figures(period)
    blocks = period.block_list()
    standings = rules.standings(
        field_scores,
        applicable_max,
        period.band_list(),
        {pk: sum((points for points, _ in rows), ZERO) for pk, rows in adjustments.items()},
        _blocks_of(period, blocks, ranked),
    )
    compared_with = previous_publication_id(period)
    previous = _previous_results(compared_with, [row[1] for row in ranked])

    publication = Publication.objects.create(
        period=period,
        version=version,
        published_at=timezone.now(),
        published_by=_user(by),
        decision=decision,
        decision_date=decision_date,
        reason=reason,
        exclusions=exclusions,
        lost_points=_lost_points_document(period, texts, compared_with),
        compared_with_id=compared_with,
        blocks=_ranked_blocks(blocks, standings),
    )
    position = {block.label: i for i, block in enumerate(blocks)}
    ranked.sort(
        key=lambda row: (
            position.get(standings[row[0]].block, 0), standings[row[0]].rank, row[2]
        )
    )
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
                standing.block,
                standing.classification,
                *previous.get(commune, NO_PREVIOUS),
                document,
                standing.adjustment,
                json.dumps(
                    [{"points": str(points), "reason": why} for points, why in adjustments[pk]],
                    ensure_ascii=False,
                )
                if pk in adjustments
                else "[]",
                procedures.get(commune),
                _lost_document(lost.get(pk, []), *lost_totals.get(pk, (ZERO, 0))),
            )
        )
    _insert_results(publication, results)
    _mark_published(period, publication, assessments, exclusions, by=by)
    return publication


RESULT_COLUMNS = (
    "commune_id", "total", "applicable_max", "index", "rank", "rank_of", "block", "classification",
    "previous_total", "previous_index", "previous_rank", "previous_units", "field_results",
    "adjustment",
    "adjustments", "procedure", "lost_criteria",
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


def _ranked_blocks(blocks, standings) -> list[str]:
    """The labels of the blocks with a ranked commune, in the period's order."""
    used = {standing.block for standing in standings.values()} if blocks else set()
    return [block.label for block in blocks if block.label in used]


def _check_stage(period, assessments, today) -> None:
    """Refuse while the period is still in self-assessment (a commune may still hand in; it
    cannot be left out of the ranking either) or in its reply round (a reply deadline not
    passed, or a disagreement the appraisal team has not answered): docs/design.md §4, the stage
    of rules.period_stage. Queries only when such communes exist."""
    names = {pk: name for pk, _c, _code, name, _kind, _status in assessments}
    drafts = [pk for pk, *_rest, status in assessments if status == Status.DRAFT]
    if drafts:
        open_drafts = Assessment.objects.filter(pk__in=drafts)
        if today > period.self_assessment_due:
            open_drafts = open_drafts.filter(reopened_until__gte=today)
        still = sorted(names[pk] for pk in open_drafts.values_list("pk", flat=True))
        if still:
            raise WorkflowError(
                f"Chưa công bố được: kỳ đánh giá còn đang tự đánh giá (hạn "
                f"{rules.format_date(period.self_assessment_due)}); {len(still)} đơn vị còn có "
                f"thể nộp hồ sơ: {', '.join(still)}."
            )
    waiting = sorted(
        name for *_rest, name, _kind, status in assessments if status == Status.PROVISIONAL
    )
    if waiting:
        raise WorkflowError(
            f"Chưa công bố được: vòng phản hồi kết quả dự kiến còn mở đến "
            f"{rules.format_date(period.reply_due)}; {len(waiting)} đơn vị chưa gửi ý kiến: "
            f"{', '.join(waiting)}."
        )
    if any(status == Status.REPLIED for *_rest, status in assessments):
        from ..models import Reply

        rows = (
            Reply.objects.filter(
                score__assessment__period_id=period.pk,
                score__assessment__status=Status.REPLIED,
                round__sent_at__isnull=False,
                disagrees=True,
                answer="",
            )
            .order_by("score__assessment__commune__code", "score__criterion__position")
            .values_list("score__assessment__commune__name", "score__criterion__code")
        )
        unanswered: dict[str, list[str]] = {}
        for name, code in rows:
            unanswered.setdefault(name, []).append(code)
        if unanswered:
            listed = "; ".join(
                f"{name} (tiêu chí {', '.join(codes)})" for name, codes in unanswered.items()
            )
            raise WorkflowError(
                f"Chưa công bố được: còn ý kiến không đồng ý của đơn vị chưa được tổ thẩm định "
                f"trả lời: {listed}."
            )


def _blocks_of(period, blocks, ranked) -> dict[int, str] | None:
    """assessment → the label of its commune's ranking block; None without blocks. Refuses a
    commune in no block (its kind was added to the period after the blocks were set)."""
    if not blocks:
        return None
    errors = rules.block_errors(
        blocks, [(name, kind) for _pk, _c, _code, name, kind, _s in ranked], dict(Kind.choices)
    )
    if errors:
        raise WorkflowError(
            f"Chưa công bố được kỳ {period.code}: " + " ".join(errors)
            + " Hãy sửa khối xếp hạng của kỳ đánh giá."
        )
    of_kind = rules.block_of_kind(blocks)
    return {pk: of_kind[kind] for pk, _c, _code, _name, kind, _s in ranked}


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


def _fields(texts) -> tuple[list[int], dict[int, str]]:
    """The fields (lĩnh vực) among the set's criteria (criterion_texts), in order, and their
    codes."""
    fields = sorted(
        (pk for pk, text in texts.items() if text.is_field),
        key=lambda pk: (texts[pk].position, texts[pk].code),
    )
    return fields, {pk: texts[pk].code for pk in fields}


def _field_points(period, fields) -> tuple[dict, dict, dict]:
    """assessment → {field: points}, assessment → {field: counted maximum}, every field
    present (a field without a score row counts 0 of 0: none of its leaves applies to the
    commune's kind, docs/design.md §3 `applies_to`), and assessment → (points lost, criteria that
    lost any) for its report. One aggregate over every score of the period: the leaves' points
    and counted maxima as rules.leaf_points counts them (Score.objects.with_points), summed
    per (assessment, field) in SQL.
    """
    sums = (
        Score.objects.filter(assessment__period_id=period.pk)
        .with_points()
        .order_by()
        .values_list("assessment_id", "criterion__field_id")
        .annotate(
            total=Sum("points", output_field=SUM_FIELD),
            maximum=Sum("counted_max", output_field=SUM_FIELD),
            **lost_sums(),
        )
    )
    points: dict[int, dict[int, Decimal]] = defaultdict(lambda: dict.fromkeys(fields, ZERO))
    maxima: dict[int, dict[int, Decimal]] = defaultdict(lambda: dict.fromkeys(fields, ZERO))
    lost: dict[int, tuple[Decimal, int]] = {}
    for assessment, field, total, maximum, lost_total, lost_count in fetch_rows(sums):
        points[assessment][field] = total
        maxima[assessment][field] = maximum
        if lost_count:
            before, count = lost.get(assessment, (ZERO, 0))
            lost[assessment] = (before + lost_total, count + lost_count)
    return points, maxima, lost


def _lost_document(items: list[dict], total: Decimal, count: int) -> str:
    """The JSON text kept in Result.lost_criteria: the criteria listed (lost_criteria_of),
    the points lost and how many criteria lost any (lost_sums); decimals as strings. Written
    by hand like encode_field_scores: 33,210 items at national size."""
    if not count:
        return '{"items":[],"total":"0","count":0}'
    listed = ",".join(
        [
            f'{{"code":{json_string(item["code"])},"name":{json_string(item["name"])},'
            f'"max":"{item["max"]}","self":{_json_decimal(item["self"])},'
            f'"score":"{item["score"]}","note":{_json_text(item["note"])}}}'
            for item in items
        ]
    )
    return f'{{"items":[{listed}],"total":"{total}","count":{int(count)}}}'


def _json_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False) if text else '""'


def _json_decimal(value: Decimal | None) -> str:
    return "null" if value is None else f'"{value}"'



def _lost_points_document(period, texts, compared_with) -> list[dict]:
    """The period's "tiêu chí dễ mất điểm" as Publication.lost_points keeps it, each
    comparable criterion with last year's row ("previous") from the version compared with."""
    last_year = lost_points_last_year(period.criteria_set_id, compared_with)
    rows = []
    for row in lost_points_by_criterion(period, texts):
        row = {k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()}
        if row["code"] in last_year:
            row["previous"] = last_year[row["code"]]
        rows.append(row)
    return rows


def _procedure_figures(period) -> dict[int, str]:
    """commune → its TTHC figures for the period as JSON text (kept in the Result). One query."""
    rows = ProcedureFigures.objects.filter(period_id=period.pk).values_list(
        "commune_id", *PROCEDURE_FIGURES
    )
    return {
        commune: json.dumps(dict(zip(PROCEDURE_FIGURES, figures))) for commune, *figures in rows
    }


NO_PREVIOUS = (None, None, None, "[]")


def _previous_results(publication_id, commune_ids) -> dict[int, tuple]:
    """commune id → (total, index, rank, previous_units JSON) from the previous period's
    publication `publication_id` (docs/design.md §5 "change vs the previous year").

    A commune with a result of its own there is compared with it. One without takes the
    units it continues (communes.lineage: successions followed back, A → B → C included):
    with exactly one, that unit's figures, named in previous_units; with several (a merger),
    no figures and no rank (the old ranks were among other communes) but each predecessor's
    index and rank in previous_units; with none, nothing (never "new at zero").
    Two queries (the results, the lineage), none without a previous publication.
    """
    if publication_id is None:
        return {}
    earlier = {
        row[0]: PreviousUnit(*row)
        for row in Result.objects.filter(publication_id=publication_id).values_list(
            "commune_id", "commune__code", "commune__name", "total", "index", "rank", "rank_of"
        )
    }
    found = {}
    for commune, units in earlier_units(commune_ids, earlier).items():
        if units == [commune]:
            own = earlier[commune]
            found[commune] = (own.total, own.index, own.rank, "[]")
            continue
        units = sorted((earlier[unit] for unit in units), key=lambda u: (u.name, u.code))
        listed = "[" + ",".join(unit.as_json() for unit in units) + "]"
        if len(units) == 1:
            found[commune] = (units[0].total, units[0].index, units[0].rank, listed)
        elif units:
            found[commune] = (None, None, None, listed)
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
