"""What the import pages share (the survey page, every admin "Nhập từ tệp" page; issue 14):

- `preview(upload, …)`: the file read as the import reads it, its first PREVIEW_ROWS rows
  with the column names, shown by templates/_import_preview.html before the user confirms;
- `hold` / `held` / `release`: the previewed file kept in the session (at most
  PREVIEW_MAX_BYTES) until the user imports it, so it is not sent twice;
- `Imported`: what a page says once a file is imported (the summary, warnings, where to go).

The import itself is the same service as the ◆ command's, run in the request for a small file
or as a job (jobs/imports.py) for one over IMPORT_JOB_KB.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

from .table import ImportFailed, RowError, read_table

PREVIEW_ROWS = 10
PREVIEW_MAX_BYTES = 2 * 1024 * 1024
TOO_BIG = "Tệp lớn hơn 2 MB nên không xem trước được: hãy nhập thẳng cả tệp (không xem trước)."


@dataclass(frozen=True)
class Imported:
    message: str
    warnings: Sequence[str] = ()
    url: str = ""  # where the page goes next ("" = its usual place)


@dataclass(frozen=True)
class Preview:
    name: str
    count: int  # data rows in the file
    columns: tuple[str, ...]
    rows: list[tuple[int, list[str]]] = field(default_factory=list)  # (row number, values)


def preview(upload, *, required: Sequence[str], optional: Sequence[str] = ()) -> Preview:
    """The upload read by read_table (the same checks: a file the import would refuse is
    refused here with the same messages), and its first PREVIEW_ROWS rows."""
    if upload.size > PREVIEW_MAX_BYTES:
        raise ImportFailed(RowError(None, None, TOO_BIG))
    table = read_table(upload, upload.name, required=required, optional=optional)
    return Preview(
        name=upload.name,
        count=len(table.rows),
        columns=table.columns,
        rows=[
            (row.number, [row.values[c] for c in table.columns])
            for row in table.rows[:PREVIEW_ROWS]
        ],
    )


def hold(session, key: str, upload) -> None:
    """Keep the previewed upload in the session under `key` (it is at most PREVIEW_MAX_BYTES)."""
    upload.seek(0)
    session[key] = (upload.name, base64.b64encode(upload.read()).decode())
    upload.seek(0)


def held(session, key: str) -> SimpleUploadedFile | None:
    """The file held under `key`, as an uploaded file (name, size), or None."""
    if key not in session:
        return None
    name, body = session[key]
    return SimpleUploadedFile(name, base64.b64decode(body))


def release(session, key: str) -> None:
    session.pop(key, None)
