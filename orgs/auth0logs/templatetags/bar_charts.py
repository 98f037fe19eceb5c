"""`{% bar_chart %}`: a bar chart as inline SVG, with its numbers in a table beside it.

    {% load bar_charts %}
    {% bar_chart bars title="Failed logins" unit="event" label_heading="Hour" %}

- `bars`: a sequence of (label, number) pairs, in the order to draw them (e.g. one per
  hour); numbers are ints or floats, at least 0.
- `title`: the chart's name (its `<title>`, and the heading of its numbers).
- `unit`: what is counted, singular ("event", "call"); an "s" is added for other counts.
- `label_heading`: the numbers table's first column ("Hour", "Day", "Route").
- `chart_id`: ids inside the SVG (default: from the title); give one when two charts on a
  page share a title.
- `measure`: the numbers are measurements (a latency), not counts: a total means nothing,
  so the caption and description give the highest bar instead.
- `value_heading`: the numbers table's second column ("Count" unless given).

No script and no external file: the SVG scales to its container (390 px included), names
itself to screen readers (`role="img"`, `<title>`, a `<desc>` with the total and the
peak), gives every bar a `<title>` (its label and number, as a tooltip), and the exact
numbers are in a `table-stack` table under a "Show the numbers" disclosure. A chart with
nothing to show says so in words instead of drawing an empty frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import template
from django.utils.text import slugify

register = template.Library()

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 44, 6, 12, 30
MAX_AXIS_LABELS = 4


@register.inclusion_tag("elements/bar_chart.html")
def bar_chart(
    bars: Sequence[tuple[str, float]],
    *,
    title: str,
    unit: str = "event",
    label_heading: str = "When",
    chart_id: str = "",
    measure: bool = False,
    value_heading: str = "Count",
) -> dict[str, Any]:
    values = [(str(label), max(0.0, float(value))) for label, value in bars]
    total = sum(value for _, value in values)
    peak_label, peak = max(values, key=lambda bar: bar[1], default=("", 0.0))
    ident = chart_id or f"chart-{slugify(title)}"
    return {
        "id": ident,
        "title": title,
        "unit": unit,
        "label_heading": label_heading,
        "value_heading": value_heading,
        "measure": measure,
        "total": _number(total),
        "total_words": _counted(total, unit),
        "peak_words": _counted(peak, unit),
        "peak_label": peak_label,
        "empty": total == 0,
        "rows": [(label, _number(value)) for label, value in values if value],
        "width": WIDTH,
        "height": HEIGHT,
        **_geometry(values, peak),
    }


def _geometry(values: list[tuple[str, float]], peak: float) -> dict[str, Any]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_h
    slot = plot_w / max(len(values), 1)
    shapes = []
    for index, (label, value) in enumerate(values):
        height = plot_h * value / peak if peak else 0.0
        shapes.append(
            {
                "x": round(LEFT + index * slot + slot * 0.1, 2),
                "y": round(base - height, 2),
                "w": round(max(slot * 0.8, 1.0), 2),
                "h": round(height, 2),
                "label": label,
                "value": _number(value),
            }
        )
    every = max(1, -(-len(values) // MAX_AXIS_LABELS))  # ceiling division
    axis = [
        {"x": round(LEFT + index * slot + slot / 2, 2), "label": label}
        for index, (label, _) in enumerate(values)
        if index % every == 0
    ]
    return {
        "bars": shapes,
        "axis": axis,
        "left": LEFT,
        "right_edge": WIDTH - RIGHT,
        "top": TOP,
        "base": base,
        "label_y": base + 20,
        "peak": _number(peak),
    }


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _counted(value: float, unit: str) -> str:
    return f"{_number(value)} {unit}{'' if value == 1 else 's'}"
