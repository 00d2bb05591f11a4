"""Writes: one function per transition, the acting user passed by keyword, audited inside it.

setup.py        criteria sets and periods (the foundation)
"""

from collections.abc import Iterable

from django.db import connection

from ..models import Assessment, Period, Score

Status = Assessment.Status


class WorkflowError(Exception):
    """A workflow step was refused; the message is Vietnamese and says why."""


def ensure_editable(assessment: Assessment) -> None:
    """Refuse (WorkflowError) any change to an assessment whose results are published."""
    if assessment.status == Status.PUBLISHED or assessment.period.is_published:
        raise WorkflowError(
            f"Kết quả của {assessment.commune.name} đã được công bố; không sửa được điểm. "
            "Cần mở lại kỳ đánh giá để điều chỉnh và công bố lần mới."
        )


def share_periods(assessment_ids: Iterable[int]) -> None:
    """Hold the periods of these assessments (FOR KEY SHARE) until the transaction ends; call
    it before locking any assessment.

    Publishing and reopening a period for correction lock the period (FOR UPDATE) and then its
    assessments; taking the period first too keeps one order, so the two never deadlock. The
    share lock does not hold up other assessments' steps, which share it, nor the audit
    events that point at the period. A no-op where the database has no row locks (SQLite
    serialises writers).
    """
    ids = sorted(set(assessment_ids))
    if not ids or not connection.features.has_select_for_update:
        return
    # An assessment never changes period: its period_id needs no lock.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 1 FROM {Period._meta.db_table} WHERE id IN (SELECT period_id FROM "
            f"{Assessment._meta.db_table} WHERE id IN ({', '.join(['%s'] * len(ids))})) "
            "ORDER BY id FOR KEY SHARE",
            ids,
        )


def locked_assessment(assessment: Assessment | int, *, related: bool = True) -> Assessment:
    """The assessment re-read and locked until the transaction ends, with what the workflow
    checks read: its period (criteria set, unit) and its commune up to the province.

    Its period is held first (share_periods: a concurrent publish or reopening for correction
    waits, or is waited for), then the assessment's row is locked (FOR NO KEY UPDATE), so any
    other workflow step or save on the assessment waits. Other communes' saves in the period
    are not held up. The units are read, not locked (PostgreSQL cannot lock the optional side
    of an outer join). Takes the assessment or its id.

    `related=False` with a loaded assessment (a save: the view has just read it with its
    chain) skips the joins: the period's row is read fresh as it is shared, the assessment's
    own row as it is locked, and its unit, criteria set and commune chain are the loaded ones
    (a save compiled and ran the same many-join read twice; bench/load.py).
    """
    if not related and isinstance(assessment, Assessment) and _has_row_locks():
        return _relocked(assessment)
    pk = assessment if isinstance(assessment, int) else assessment.pk
    share_periods([pk])
    return (
        Assessment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("period__criteria_set", "period__unit", "commune__parent__parent")
        .get(pk=pk)
    )


def _has_row_locks() -> bool:
    return connection.features.has_select_for_update


def _relocked(loaded: Assessment) -> Assessment:
    """locked_assessment(loaded, related=False): the same locks in the same order (period
    shared, then the assessment), with the rows' own columns read under them and the related
    objects already loaded on `loaded` kept where their ids still match."""
    period = _locked_row(Period, loaded.period_id, "FOR KEY SHARE")
    locked = _locked_row(Assessment, loaded.pk, "FOR NO KEY UPDATE")
    if "period" in loaded._state.fields_cache:
        _keep_related(period, loaded.period, ("unit", "criteria_set"))
    locked.period = period
    _keep_related(locked, loaded, ("commune",))
    return locked


def _locked_row(model, pk: int, lock: str):
    """The row `pk` of `model` (its own columns) read under `lock`: one plain statement, no
    query to build (each save takes two such locks; bench/load.py)."""
    fields = model._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {model._meta.db_table} WHERE id = %s {lock}", [pk])
        row = cursor.fetchone()
    if row is None:
        raise model.DoesNotExist(f"{model.__name__} {pk} không còn tồn tại.")
    # The columns' own conversions (a JSON column comes as text); the driver did the rest.
    values = [
        f.from_db_value(value, None, connection) if hasattr(f, "from_db_value") else value
        for f, value in zip(fields, row)
    ]
    return model.from_db("default", [f.attname for f in fields], values)


def _keep_related(fresh, loaded, names) -> None:
    """Give `fresh` the related objects `loaded` holds under `names`, where it points at the
    same rows (an id changed meanwhile: `fresh` reads its own on access)."""
    for name in names:
        attname = fresh._meta.get_field(name).attname
        cached = loaded._state.fields_cache.get(name)
        if cached is not None and getattr(fresh, attname) == getattr(loaded, attname):
            fresh._state.fields_cache[name] = cached


def locked_score(score: Score) -> Score:
    """The score re-read and locked (FOR UPDATE of its row) after its assessment
    (locked_assessment): the order of every workflow step, so two never wait on each other.

    Its `assessment` is the locked one and its criterion is read with it. A racing save of the
    same criterion waits for this transaction, then finds a new version. A score read through
    its loaded assessment (a save) has it re-locked without the joins (locked_assessment's
    `related=False`).
    """
    loaded = score.assessment if Score.assessment.is_cached(score) else score.assessment_id
    assessment = locked_assessment(loaded, related=False)
    locked = (
        Score.objects.select_for_update(of=("self",))
        .select_related("criterion")
        .get(pk=score.pk, assessment_id=assessment.pk)
    )
    locked.assessment = assessment
    return locked
