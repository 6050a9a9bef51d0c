"""Charts drawn on the server as inline SVG: no script, no build step, readable at 1366 px.

Labels go through `escape`: they can be topic or store names typed by people.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from hub.reports.shapes import Series

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 200, 44, 26, 12


def _nice_top(value: float) -> float:
    """A round axis maximum at or above `value`."""
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    return float(((int(value) // step) + 1) * step)


def bars(series: Series, *, href: list[str] | None = None) -> Markup:
    """A bar chart of the series, each bar titled with its label and value (and a link when given)."""
    top = _nice_top(max(series.values, default=0))
    n = max(len(series.values), 1)
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    slot = inner_w / n
    parts = [_axis(top, inner_h)]
    every = max(1, n // 12)  # at most ~12 labels under the axis
    for i, (label, value) in enumerate(zip(series.labels, series.values, strict=True)):
        h = inner_h * value / top
        x, y = PAD_LEFT + i * slot + slot * 0.1, PAD_TOP + inner_h - h
        bar = (f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}">'
               f"<title>{escape(label)}: {_number(value)}</title></rect>")
        parts.append(f'<a href="{escape(href[i])}">{bar}</a>' if href else bar)
        if i % every == 0:
            parts.append(f'<text class="tick" x="{x + slot * 0.4:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                         f"{escape(_short(label))}</text>")
    return _svg(series, parts)


def line(series: Series) -> Markup:
    """A line chart with a dot per value (titled with label and value)."""
    top = _nice_top(max(series.values, default=0))
    n = max(len(series.values) - 1, 1)
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    points = [(PAD_LEFT + inner_w * i / n, PAD_TOP + inner_h * (1 - v / top)) for i, v in enumerate(series.values)]
    parts = [_axis(top, inner_h)]
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline class="line" fill="none" points="{path}"/>')
    every = max(1, len(points) // 10)
    for i, ((x, y), label, value) in enumerate(zip(points, series.labels, series.values, strict=True)):
        parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="3"><title>{escape(label)}: '
                     f"{_number(value)}</title></circle>")
        if i % every == 0:
            parts.append(f'<text class="tick" x="{x:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                         f"{escape(_short(label))}</text>")
    return _svg(series, parts)


def _axis(top: float, inner_h: float) -> str:
    lines = []
    for k in range(5):
        value = top * k / 4
        y = PAD_TOP + inner_h * (1 - k / 4)
        lines.append(f'<line class="grid" x1="{PAD_LEFT}" x2="{WIDTH - 8}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{PAD_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{_number(value)}</text>')
    return "".join(lines)


def _svg(series: Series, parts: list[str]) -> Markup:
    title = escape(series.title)
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}" '
                  f'data-series="{escape(series.name)}"><title>{title}</title>{"".join(parts)}</svg>')


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:.1f}"


def _short(label: str) -> str:
    """Dates as 'MM-DD' under the axis; other labels as they are."""
    return label[5:] if len(label) == 10 and label[4] == "-" else label
