"""Tags for the results page."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

CELL = '<td class="num{weak}" data-sort="{key}">{score} <small>{rank}</small></td>'
EMPTY = '<td class="num" data-sort=""></td>'


@register.simple_tag
def field_cells(row):
    """The field cells of one ranking row: score, "r/N" and the exact score to sort by.

    Built here rather than in a template loop: 170 communes × 10 fields is the page's hot
    spot, and this keeps the page well inside its 150 ms (bench/reports.py). Every value is
    escaped.
    """
    return mark_safe(
        "".join(
            EMPTY
            if cell is None
            else CELL.format(
                weak=" weak" if cell.weak else "",
                key=escape(cell.sort_key),
                score=escape(cell.score_text),
                rank=escape(cell.rank_text),
            )
            for cell in row.cells
        )
    )
