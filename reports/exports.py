"""The ◆ results CSV (docs/design.md §6 export_results): what other tools read.

UTF-8 without BOM, "." decimals, the header on the first line, one row per commune by rank
(with ranking blocks: by block, then rank, and a last column `block`).
`total` and `index` are exact (no rounding, no trailing zeros); text that a spreadsheet would
run as a formula gets a leading "'" (tabular.cells). The version and decision are
printed in the PDF, XLSX and HTML only, so the header stays the first line.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from tabular.cells import csv_cell

from .formatting import plain_decimal
from .selectors import Ranking, ranking

BASE_COLUMNS = [
    "commune_code", "commune_name", "total", "index", "rank", "rank_of", "classification",
]


def csv_header(field_codes: list[str], *, blocks: bool = False) -> list[str]:
    """The ◆ header; with ranking blocks, a last column `block`."""
    columns = list(BASE_COLUMNS)
    for code in field_codes:
        columns += [f"{code}_score", f"{code}_rank", f"{code}_rank_of"]
    return columns + ["block"] if blocks else columns


def data_rows(table: Ranking) -> list[list]:
    """The CSV rows as typed values (Decimal, int, str); the XLSX data sheet writes the same.
    With ranking blocks: block after block (in the period's order), each by rank, the block's
    label last."""
    rows = []
    for row in table.rows:
        result = row.result
        values = [
            row.commune.code,
            row.commune.name,
            result.total,
            result.index,
            result.rank,
            result.rank_of,
            result.classification,
        ]
        for cell in row.cells:
            values += [None, None, None] if cell is None else [cell.score, cell.rank, cell.rank_of]
        if table.has_blocks:
            values.append(result.block)
        rows.append(values)
    return rows


def results_csv(publication) -> str:
    """The ranking of one publication version as the ◆ CSV text."""
    table = ranking(publication)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(csv_header([f.code for f in table.fields], blocks=table.has_blocks))
    for values in data_rows(table):
        writer.writerow([plain_decimal(v) if isinstance(v, Decimal) else csv_cell(v) for v in values])
    return buffer.getvalue()
