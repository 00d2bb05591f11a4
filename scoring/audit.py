"""The append-only audit log: every transition and every score change writes one event."""

from .models import AuditEvent


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
    """Write one audit event (call inside the transaction of the change it records)."""
    return AuditEvent.objects.create(
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
