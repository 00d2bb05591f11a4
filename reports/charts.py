"""Geometry of the server-drawn SVG charts (no JavaScript library): plain data in, shapes out.

Templates draw the shapes as they come (`reports/_totals_chart.svg`, `_fields_chart.svg`);
every number here is already a string in SVG user units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from scoring import rules

TENTH = Decimal("0.1")

# Colours as SVG attributes: WeasyPrint does not apply the page's CSS to inline SVG.
FILLS = {"band-0": "#1d7a3a", "band-1": "#1a5fb4", "band-2": "#a86200", "weak": "#b3261e"}
DEFAULT_FILL = "#1a5fb4"
LOW_FILL = "#b3261e"  # band-3 and below
STROKES = {
    "axis": ("#5b6776", ""),
    "band-line": ("#a86200", "3 2"),
    "weak-line": ("#b3261e", "3 2"),
}


def fill_of(css: str) -> str:
    if css in FILLS:
        return FILLS[css]
    if css.startswith("band-"):
        return LOW_FILL
    return DEFAULT_FILL


def _u(value: Decimal) -> str:
    """An SVG coordinate: one decimal, "." separator."""
    return format(value.quantize(TENTH, rounding=ROUND_HALF_UP), "f")


@dataclass(frozen=True)
class ChartItem:
    label: str
    value: Decimal
    css: str = ""  # e.g. the classification band ("band-1") or "weak"
    title: str = ""  # tooltip / accessible text


@dataclass(frozen=True)
class Shape:
    x: str
    y: str
    width: str
    height: str
    label: str
    value_text: str
    title: str
    css: str
    text_x: str = ""
    text_y: str = ""

    @property
    def fill(self) -> str:
        return fill_of(self.css)


@dataclass(frozen=True)
class Guide:
    """A horizontal (column chart) or vertical (bar chart) reference line with its label."""

    x1: str
    y1: str
    x2: str
    y2: str
    label: str
    text_x: str
    text_y: str
    css: str = ""

    @property
    def stroke(self) -> str:
        return STROKES.get(self.css, STROKES["axis"])[0]

    @property
    def dash(self) -> str:
        return STROKES.get(self.css, STROKES["axis"])[1]


@dataclass
class Chart:
    width: str
    height: str
    shapes: list[Shape] = field(default_factory=list)
    guides: list[Guide] = field(default_factory=list)
    labelled: bool = True  # False: too many items to print a label under each column


# --- totals of every commune: one column each, best first --------------------------------

COLUMN_AREA = Decimal(240)  # height of the plotting area
TOP, LEFT, RIGHT = Decimal(12), Decimal(40), Decimal(12)
LABEL_LIMIT = 40  # above this many communes the names go to tooltips only
MIN_SLOTS = 16  # a district of a few communes still gets a chart of readable width


def totals_chart(
    items: Sequence[ChartItem],
    *,
    maximum: Decimal,
    guides: Sequence[tuple[str, Decimal]] = (),
) -> Chart:
    """Columns of the communes' totals on a 0–`maximum` scale, with labelled guide lines
    (e.g. the classification minima: ("Hoàn thành tốt nhiệm vụ", 80))."""
    count = len(items)
    labelled = count <= LABEL_LIMIT
    step = Decimal(32) if labelled else Decimal(6)
    bottom = Decimal(110) if labelled else Decimal(8)
    width = LEFT + RIGHT + step * max(count, MIN_SLOTS)
    height = TOP + COLUMN_AREA + bottom
    base = TOP + COLUMN_AREA
    maximum = maximum if maximum > 0 else rules.HUNDRED

    def y_of(value: Decimal) -> Decimal:
        clipped = min(max(value, Decimal(0)), maximum)
        return base - COLUMN_AREA * clipped / maximum

    chart = Chart(width=_u(width), height=_u(height), labelled=labelled)
    for minimum_label, minimum in [("0", Decimal(0))] + [
        (rules.format_score(value), value) for _, value in guides
    ] + [(rules.format_score(maximum), maximum)]:
        y = y_of(minimum)
        chart.guides.append(
            Guide(
                x1=_u(LEFT), y1=_u(y), x2=_u(width - RIGHT), y2=_u(y),
                label=minimum_label, text_x=_u(LEFT - 4), text_y=_u(y + 4),
                css="axis" if minimum in (0, maximum) else "band-line",
            )
        )
    gap = step / 5
    for i, item in enumerate(items):
        x = LEFT + step * i + gap / 2
        y = y_of(item.value)
        chart.shapes.append(
            Shape(
                x=_u(x), y=_u(y), width=_u(step - gap), height=_u(base - y),
                label=item.label, value_text=rules.format_total(item.value),
                title=item.title or f"{item.label}: {rules.format_total(item.value)}",
                css=item.css,
                text_x=_u(x + (step - gap) / 2), text_y=_u(base + 6),
            )
        )
    return chart


# --- one commune's fields: horizontal bars of % of each field's maximum ------------------

BAR_AREA = Decimal(300)  # width of the plotting area (0–100 %)
BAR_LEFT, BAR_HEIGHT, BAR_STEP = Decimal(230), Decimal(14), Decimal(22)


def fields_chart(items: Sequence[ChartItem], *, guide: Decimal | None = None) -> Chart:
    """Bars of each field's score as % of its maximum; `guide` draws the weak-field line
    (e.g. 75 %). Item values are percentages."""
    height = TOP + BAR_STEP * max(len(items), 1) + Decimal(18)
    width = BAR_LEFT + BAR_AREA + Decimal(60)

    def x_of(percent: Decimal) -> Decimal:
        clipped = min(max(percent, Decimal(0)), rules.HUNDRED)
        return BAR_LEFT + BAR_AREA * clipped / rules.HUNDRED

    chart = Chart(width=_u(width), height=_u(height))
    axis_bottom = TOP + BAR_STEP * len(items)
    for percent, css in [(Decimal(0), "axis"), (rules.HUNDRED, "axis")] + (
        [(guide, "weak-line")] if guide is not None else []
    ):
        x = x_of(percent)
        chart.guides.append(
            Guide(
                x1=_u(x), y1=_u(TOP - 4), x2=_u(x), y2=_u(axis_bottom),
                label=f"{rules.format_score(percent)}%", text_x=_u(x), text_y=_u(axis_bottom + 14),
                css=css,
            )
        )
    for i, item in enumerate(items):
        y = TOP + BAR_STEP * i
        end = x_of(item.value)
        chart.shapes.append(
            Shape(
                x=_u(BAR_LEFT), y=_u(y), width=_u(end - BAR_LEFT), height=_u(BAR_HEIGHT),
                label=item.label, value_text=f"{rules.format_total(item.value)}%",
                title=item.title or f"{item.label}: {rules.format_total(item.value)}%",
                css=item.css,
                text_x=_u(end + 4), text_y=_u(y + BAR_HEIGHT - 3),
            )
        )
    return chart
