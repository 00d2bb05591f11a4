"""COPY on PostgreSQL: the fastest way to write tens of thousands of rows (publishing, imports).

Statements run through Django's cursor wrapper's logging, so query counts in tests and
benchmarks include them like any other query.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterable, Sequence


NULL = r"\N"


def copy_text(value: str) -> str:
    """A string in COPY's text format: backslash, tab and newlines escaped."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _line(row: Sequence) -> str:
    return "\t".join(
        [NULL if v is None else copy_text(v) if type(v) is str else str(v) for v in row]
    ) + "\n"


def copy_rows(cursor, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """COPY `rows` into `table` (PostgreSQL only; `cursor` is a Django cursor)."""
    buffer = io.StringIO()
    buffer.writelines(map(_line, rows))
    buffer.seek(0)
    quote = cursor.db.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(map(quote, columns))}) FROM STDIN"
    logged = getattr(cursor, "debug_sql", None)  # set when queries are being recorded
    with logged(sql) if logged else contextlib.nullcontext():
        cursor.cursor.copy_expert(sql, buffer)


def record_status_events(
    where: str,
    params: Sequence,
    *,
    user,
    action: str,
    new: str,
    reason: str = "",
    detail: dict | None = None,
) -> int:
    """One audit event per assessment matched by `where` (SQL on the assessment table), its
    status as the old value and `new` as the new one: ONE INSERT … SELECT, however many
    assessments. Call it before changing their status. Returns how many were written."""
    from django.db import connection
    from django.utils import timezone

    from ..models import Assessment, AuditEvent

    data = AuditEvent._meta.get_field("detail").get_db_prep_save(detail or {}, connection)
    json = "CAST(%s AS jsonb)" if connection.vendor == "postgresql" else "%s"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {AuditEvent._meta.db_table} (at, user_id, period_id, assessment_id, "
            "action, field_name, old_value, new_value, reason, detail) "
            f"SELECT %s, %s, period_id, id, %s, 'status', status, %s, %s, {json} "
            f"FROM {Assessment._meta.db_table} WHERE {where}",
            [
                connection.ops.adapt_datetimefield_value(timezone.now()),
                user.pk if user is not None else None,
                action,
                new,
                reason,
                data,
                *params,
            ],
        )
        return cursor.rowcount
