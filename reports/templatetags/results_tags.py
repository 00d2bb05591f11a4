"""Tags for the results page and the printed ranking.

The ranking's rows and its chart's columns are built here rather than in template loops:
170 communes × (a dozen cells + 10 fields) is the page's hot spot, and a template node costs
microseconds each (bench/reports.py: the two-block page of 170 communes). The markup is the
one the template wrote, cell for cell; every value is escaped (html.escape escapes as
Django's autoescape does).
"""

from html import escape
from urllib.parse import quote

from django import template
from django.template.defaultfilters import truncatechars
from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import mark_safe

register = template.Library()

CELL = (
    '<td class="num field{weak}" data-label="LV{code}" data-sort="{key}">'
    "{score}{mark} <small>{rank}</small></td>"
)
# A weak field is red and also marked in text: colour is never the only signal.
WEAK_MARK = '<span class="weak-mark" title="Dưới ngưỡng">▼</span><span class="sr-only"> (dưới ngưỡng)</span>'
EMPTY = '<td class="num field" data-sort=""></td>'


def field_cells(row, codes: list[str]) -> str:
    """The field cells of one ranking row: score over "r/N", the field's code (the label a
    phone's card shows; `codes`: the ranking's column codes, escaped once for every row), a
    weak field marked in text too, and the exact score to sort by. Scores and ranks are
    numbers formatted here (digits, ",", ".", "/", "-", "—"): nothing to escape in them."""
    parts = []
    for code, cell in zip(codes, row.cells):
        if cell is None:
            parts.append(EMPTY)
            continue
        weak = cell.weak
        key, score, rank = cell.texts()
        parts.append(
            CELL.format(
                weak=" weak" if weak else "",
                mark=WEAK_MARK if weak else "",
                code=code,
                key=key,
                score=score,
                rank=rank,
            )
        )
    return "".join(parts)


def change_markup(row, line_break: str) -> str:
    """A commune's change against last year (page and PDF): rank and points, against its one
    predecessor named, or a merged commune's predecessors; `line_break` between the lines
    ("<br>" on the page, "&#10;" in print)."""
    if row.merged:
        return f"<small>{escape(row.formed_from)}</small>"
    text = escape(row.rank_change)
    if row.points_change:
        text += f"{line_break}<small>{escape(row.points_change)}</small>"
    if row.compared_with:
        text += f"{line_break}<small>{escape(row.compared_with)}</small>"
    return text


@register.simple_tag
def change(row, line_break):
    return mark_safe(change_markup(row, line_break))


class _ReportLinks:
    """The commune report's URL for each commune code: reverse() once for the period, then
    the code quoted as reverse() quotes it (a reverse() per row was a tenth of the page)."""

    MARKER = "0commune0"

    def __init__(self, period_code: str, query: str):
        url = reverse("reports:commune_report", args=[period_code, self.MARKER])
        self.before, self.after = url.rsplit(self.MARKER, 1)
        self.after += query

    def __call__(self, code: str) -> str:
        return f"{self.before}{quote(code, safe=RFC3986_SUBDELIMS + '/~:@')}{self.after}"


@register.simple_tag(takes_context=True)
def ranking_rows(context, block):
    """The rows of one ranking block's table (reports.selectors.RankingBlock): rank and name
    (sticky at 1280 px), the field cells, bonus/deduction points, total, index, classification,
    the change against last year and the report link, each with the key it sorts by and the
    label a phone's card shows; "Điểm N lĩnh vực" opens the fields on a phone. Columns the
    ranking does not show (ranking.has_adjustments, shows_index, has_previous) are left out
    as in the table's head. Context: ranking, period, reportable (commune ids whose report
    the user may read), version_query."""
    ranking = context["ranking"]
    reportable = context["reportable"]
    link = _ReportLinks(context["period"].code, context["version_query"])
    adjustments, index, previous = ranking.has_adjustments, ranking.shows_index, ranking.has_previous
    codes = [escape(column.code) for column in ranking.columns]
    rows = []
    for row in block.rows:
        result, commune = row.result, row.commune
        name = escape(commune.name)
        cells = [
            f'<td class="num rank" data-sort="{result.rank}">{escape(row.rank_text)}</td>',
            f'<td class="name" data-sort="{name}">{name}</td>',
            field_cells(row, codes),
        ]
        if adjustments:
            cells.append(
                '<td class="num adjustment" data-label="Thưởng/trừ" '
                f'data-sort="{escape(row.adjustment_key)}">{escape(row.adjustment_text)}</td>'
            )
        cells.append(
            f'<td class="num total" data-sort="{escape(row.total_key)}">'
            f"<strong>{escape(row.total_text)}</strong></td>"
        )
        if index:
            cells.append(
                '<td class="num index" data-label="Chỉ số (%)" '
                f'data-sort="{escape(row.index_key)}">{escape(row.index_text)}</td>'
            )
        cells.append(
            f'<td class="band-cell" data-sort="{row.band}"><span class="band band-{row.band}">'
            f"{escape(result.classification)}</span></td>"
        )
        if previous:
            cells.append(
                f'<td class="change {row.change_direction}" data-label="So với năm trước" '
                f'data-sort="{row.change_key}">{change_markup(row, "<br>")}</td>'
            )
        report = ""
        if commune.pk in reportable:
            report = (
                f'<a href="{escape(link(commune.code))}" '
                f'aria-label="Báo cáo PDF của {name}">PDF</a>'
            )
        cells.append(f'<td class="report" data-label="Báo cáo">{report}</td>')
        cells.append(
            f'<td class="more"><details><summary>Điểm {len(codes)} lĩnh vực'
            f'<span class="sr-only"> của {name}</span></summary></details></td>'
        )
        rows.append("<tr>\n      " + "\n      ".join(cells) + "\n    </tr>")
    return mark_safe("\n    ".join(rows))


SHAPE = (
    '<rect class="{css}" fill="{fill}" x="{x}" y="{y}" width="{width}" height="{height}">'
    "<title>{title}</title></rect>"
)
SHAPE_LABEL = (
    '<text font-size="9" fill="#222" x="{x}" y="{y}" transform="rotate(60 {x} {y})">'
    "{label}</text>"
)


@register.simple_tag
def chart_columns(chart):
    """The columns of a totals chart (reports.charts.totals_chart), each with its tooltip
    and, when the chart is labelled, its name under it."""
    parts = []
    for shape in chart.shapes:
        parts.append(
            SHAPE.format(
                css=escape(shape.css), fill=escape(shape.fill), x=shape.x, y=shape.y,
                width=shape.width, height=shape.height, title=escape(shape.title),
            )
        )
        if chart.labelled:
            parts.append(
                SHAPE_LABEL.format(
                    x=shape.text_x, y=shape.text_y, label=escape(truncatechars(shape.label, 22))
                )
            )
    return mark_safe("\n  ".join(parts))
