"""Tags for the results page."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()

CELL = (
    '<td class="num field{weak}" data-label="LV{code}" data-sort="{key}">'
    "{score}{mark} <small>{rank}</small></td>"
)
# A weak field is red and also marked in text: colour is never the only signal.
WEAK_MARK = '<span class="weak-mark" title="Dưới ngưỡng">▼</span><span class="sr-only"> (dưới ngưỡng)</span>'
EMPTY = '<td class="num field" data-sort=""></td>'


@register.simple_tag
def field_cells(row):
    """The field cells of one ranking row: score over "r/N", the field's code (the label a
    phone's card shows), a weak field marked in text too, and the exact score to sort by.

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
                mark=WEAK_MARK if cell.weak else "",
                code=escape(cell.code),
                key=escape(cell.sort_key),
                score=escape(cell.score_text),
                rank=escape(cell.rank_text),
            )
            for cell in row.cells
        )
    )
