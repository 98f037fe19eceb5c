"""`{% bar_chart %}` (orgs/auth0logs/templatetags/bar_charts.py): inline SVG scaled to the
tallest bar, named for screen readers, with its numbers in a table."""

from __future__ import annotations

from django.template import Context, Template


def render(bars: list[tuple[str, int]], **options: str) -> str:
    args = " ".join(f'{name}="{value}"' for name, value in options.items())
    template = Template("{% load bar_charts %}{% bar_chart bars " + args + " %}")
    return template.render(Context({"bars": bars}))


def test_bars_are_scaled_to_the_tallest_and_named() -> None:
    html = render([("09:00", 2), ("10:00", 4), ("11:00", 0)], title="Failed logins", unit="login")

    assert '<svg viewBox="0 0 600 220"' in html
    assert '<title id="chart-failed-logins-title">Failed logins</title>' in html
    assert "6 logins in all; the most in one period: 4 logins (10:00)." in html
    assert 'height="178.0"' in html  # the tallest bar fills the plot
    assert 'height="89.0"' in html
    assert "<title>10:00: 4</title>" in html
    # The numbers table lists the periods that had any.
    assert '<td data-label="When">09:00</td><td data-label="Count">2</td>' in html
    assert '<td data-label="When">11:00</td>' not in html


def test_an_empty_chart_says_so_instead_of_drawing() -> None:
    html = render([("09:00", 0)], title="Rate limits", chart_id="rl")

    assert "<svg" not in html
    assert "None in this period." in html
    assert 'id="rl"' in html


def test_axis_labels_are_thinned_to_stay_readable() -> None:
    html = render([(f"{hour:02d}:00", hour) for hour in range(24)], title="Busy")

    assert html.count('text-anchor="middle"') == 4
