"""The append-only audit log: every transition and every score change writes one event."""

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
) -> list[AuditEvent]:
    """One event per changed field of one criterion, `changes` being (field name, old, new)
    in order, written in one INSERT (a save that changes a score and its explanation writes
    two; call inside the transaction of the change)."""
    return AuditEvent.objects.bulk_create(
        [
            _event(assessment, by=by, action=action, criterion=criterion, field_name=name,
                   old=old, new=new, reason=reason)
            for name, old, new in changes
        ]
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
