"""The append-only audit log: every transition and every score change writes one event."""

import functools

from django.db import connection

from .models import AuditAction, AuditEvent, AuditField

# The codes with a label, read once: TextChoices.values rebuilds its list (and each lazy
# label) on every access, twice per event of every save (bench/load.py).
_ACTIONS = frozenset(AuditAction.values)
_FIELDS = frozenset(AuditField.values)


def _text(value) -> str:
    if value is None:
        return ""
    from decimal import Decimal

    from .rules import format_score

    if isinstance(value, Decimal):
        return format_score(value)
    return str(value)


def record_event(
    assessment=None,
    *,
    by,
    action: str,
    criterion=None,
    period=None,
    field_name: str = "",
    old=None,
    new=None,
    reason: str = "",
    detail: dict | None = None,
) -> AuditEvent:
    """Write one audit event (call inside the transaction of the change it records).

    Refuses (ValueError) an action or field without a Vietnamese label in AuditAction /
    AuditField: every page and export prints those labels, never the code.
    """
    event = _event(
        assessment, by=by, action=action, criterion=criterion, period=period,
        field_name=field_name, old=old, new=new, reason=reason, detail=detail,
    )
    event.save(force_insert=True)
    return event


def record_changes(
    assessment, *, by, action: str, criterion, changes, reason: str = ""
) -> int:
    """One event per changed field of one criterion, `changes` being (field name, old, new)
    in order, written in one INSERT (a save that changes a score and its explanation writes
    two; call inside the transaction of the change). Returns how many were written."""
    events = [
        _event(assessment, by=by, action=action, criterion=criterion, field_name=name,
               old=old, new=new, reason=reason)
        for name, old, new in changes
    ]
    if not events:
        return 0
    # The INSERT bulk_create builds, written once per process for each number of rows and
    # each value prepared by its field as bulk_create prepares it (pre_save: the time
    # `at`): building it on every autosave cost more than running it (bench/load.py).
    fields = _inserted_fields()
    params = [
        field.get_db_prep_save(field.pre_save(event, True), connection)
        for event in events
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor, len(events)), params)
    return len(events)


@functools.cache
def _inserted_fields() -> list:
    return [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]


@functools.cache
def _insert_sql(vendor: str, rows: int) -> str:
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in _inserted_fields())
    row = "(" + ", ".join(["%s"] * len(_inserted_fields())) + ")"
    return (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({columns}) "
        f"VALUES {', '.join([row] * rows)}"
    )


def _event(
    assessment, *, by, action, criterion=None, period=None, field_name="", old=None, new=None,
    reason="", detail=None,
) -> AuditEvent:
    if action not in _ACTIONS:
        raise ValueError(f"Audit action {action!r} has no label in AuditAction.")
    if field_name and field_name not in _FIELDS:
        raise ValueError(f"Audit field {field_name!r} has no label in AuditField.")
    return AuditEvent(
        user=by if by is not None and by.is_authenticated else None,
        period=period or (assessment.period if assessment is not None else None),
        assessment=assessment,
        criterion=criterion,
        action=action,
        field_name=field_name,
        old_value=_text(old),
        new_value=_text(new),
        reason=reason,
        detail=detail or {},
    )
