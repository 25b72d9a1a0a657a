"""Bar and x-y charts for /insights, drawn on the server as inline SVG from plain numbers (see forum.charts).

Same rules as the line chart: classes only, a <title> and <desc>, and numbers exactly as the caller gives them, so
the table under a chart can show the very same figures. The axes, legend and text helpers are the line chart's.
"""
import math
from datetime import date

from markupsafe import Markup

from .charts import (
    CHAR_WIDTH,
    LEGEND_ROW,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    NO_DATA,
    POINT_RADIUS,
    SERIES_CLASSES,
    _chart_id,
    _escape,
    _legend,
    _legend_rows,
    _number,
    _open_svg,
    _Plot,
    _text,
    _title_and_desc,
    _y_axis,
    _y_ticks,
)

BAR_HEIGHT = 16
BAR_GAP = 3  # between the bars of one group
GROUP_GAP = 12  # between groups
MAX_LABEL_WIDTH = 180  # group labels longer than this are cut with an ellipsis (the table has them whole)
VALUE_ROOM = 48  # right of the longest bar, for its value
MIN_POINT_RADIUS, MAX_POINT_RADIUS = 3.0, 9.0  # a point's area grows with the stories it stands for
XY_MARGIN_BOTTOM = 46  # tick labels, then the x-axis label


def bar_chart(groups: list[tuple[str, list[float | None]]], *, series: list[str], title: str, description: str,
              value_label: str, unit: str = "", value_max: float | None = None, width: int = 640) -> Markup:
    """Horizontal bars, one group per row label and one bar per series in each group.

    A value of None draws no bar at all: it is how a hidden (too small) group reaches the chart. Each bar carries a
    <title> "group · series: value" and its value is written at its end.
    """
    width = max(width, 280)
    drawn = [(label, values) for label, values in groups if any(v is not None for v in values)]
    legend_rows = _legend_rows([(name, []) for name in series], width) if len(series) > 1 else []
    top = MARGIN_TOP + LEGEND_ROW * len(legend_rows)
    group_height = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + GROUP_GAP
    height = top + max(len(drawn), 1) * group_height + MARGIN_BOTTOM
    chart_id = _chart_id("bar", drawn, series, title, description, value_label, unit, value_max, width)
    parts = [_open_svg(chart_id, width, height), _title_and_desc(chart_id, title, description)]
    if not drawn:
        parts.append(_text(width / 2, height / 2, NO_DATA, anchor="middle"))
        return Markup("".join(parts) + "</svg>")
    label_width = min(MAX_LABEL_WIDTH, max(CHAR_WIDTH * len(label) for label, _ in drawn) + 8)
    left, right = label_width + 8, width - VALUE_ROOM
    highest = max(v for _, values in drawn for v in values if v is not None)
    scale_max = value_max if value_max is not None else _nice_ceiling(highest)
    bottom = height - MARGIN_BOTTOM

    def x(value: float) -> float:
        return left + (right - left) * min(max(value, 0), scale_max) / scale_max

    for tick in _y_ticks(0, scale_max):
        parts.append(f'<line class="chart-grid" x1="{x(tick):.1f}" y1="{top - 4}" x2="{x(tick):.1f}" y2="{bottom}"/>')
        parts.append(_text(x(tick), bottom + 16, _number(tick) + unit, anchor="middle"))
    parts.append(f'<line class="chart-axis" x1="{left}" y1="{top - 4}" x2="{left}" y2="{bottom}"/>')
    parts.append(_text((left + right) / 2, bottom + 29, value_label, anchor="middle"))
    for row, (label, values) in enumerate(drawn):
        y0 = top + row * group_height
        fits = CHAR_WIDTH * len(label) <= MAX_LABEL_WIDTH
        shown_label = label if fits else label[:MAX_LABEL_WIDTH // CHAR_WIDTH - 1] + "…"
        parts.append(_text(left - 8, y0 + (group_height - GROUP_GAP) / 2 + 4, shown_label, anchor="end"))
        for index, value in enumerate(values):
            if value is None:
                continue
            css = f"chart-series-{index % SERIES_CLASSES + 1}"
            y = y0 + index * (BAR_HEIGHT + BAR_GAP)
            tip = f"{label} · {series[index]}: {_number(value)}{unit}"
            parts.append(f'<rect class="chart-bar {css}" x="{left}" y="{y:.1f}" width="{x(value) - left:.1f}" '
                         f'height="{BAR_HEIGHT}"><title>{_escape(tip)}</title></rect>')
            parts.append(_text(x(value) + 4, y + BAR_HEIGHT - 4, _number(value) + unit))
    parts.append(_legend(legend_rows, marker="bar"))
    return Markup("".join(parts) + "</svg>")


XYPoint = tuple[float, float, str, float]  # x, y, tooltip, weight (the stories a point stands for)


def xy_chart(series: list[tuple[str, list[XYPoint]]], *, title: str, description: str, x_label: str, y_label: str,
             x_range: tuple[float, float], y_range: tuple[float, float],
             lines: list[tuple[str, float, float, float, float]] = (), connect: bool = False,
             integer_x: bool = False, width: int = 640, height: int = 300) -> Markup:
    """Points on two numeric axes: a scatter (points sized by weight, with fitted lines) or, with connect=True, a
    trend. `lines` are (label, slope, intercept, x_from, x_to), drawn only where they run inside the plot."""
    width, height = max(width, 240), max(height, 160)
    (x_min, x_max), (y_min, y_max) = x_range, y_range
    x_max, y_max = (x_max if x_max > x_min else x_min + 1), (y_max if y_max > y_min else y_min + 1)
    drawn = [(name, points) for name, points in series if points]
    legend_rows = _legend_rows(drawn, width) if len(drawn) > 1 else []
    top = MARGIN_TOP + LEGEND_ROW * len(legend_rows)
    chart_id = _chart_id("xy", drawn, title, description, x_label, y_label, x_range, y_range, lines, connect, width,
                         height)
    parts = [_open_svg(chart_id, width, height), _title_and_desc(chart_id, title, description)]
    if not drawn:
        parts.append(_text(width / 2, height / 2, NO_DATA, anchor="middle"))
        return Markup("".join(parts) + "</svg>")
    left, right, bottom = MARGIN_LEFT, width - MARGIN_RIGHT, height - XY_MARGIN_BOTTOM

    def px(value: float) -> float:
        return left + (right - left) * (min(max(value, x_min), x_max) - x_min) / (x_max - x_min)

    def py(value: float) -> float:
        return bottom - (bottom - top) * (min(max(value, y_min), y_max) - y_min) / (y_max - y_min)

    plot = _Plot(left=left, right=right, top=top, bottom=bottom, y_min=y_min, y_max=y_max, dates=[date.min])
    parts.append(_y_axis(plot, y_label))
    parts.append(f'<line class="chart-axis" x1="{left}" y1="{bottom}" x2="{right}" y2="{bottom}"/>')
    for tick in _y_ticks(x_min, x_max):
        if integer_x and not float(tick).is_integer():
            continue
        parts.append(f'<line class="chart-axis" x1="{px(tick):.1f}" y1="{bottom}" x2="{px(tick):.1f}" '
                     f'y2="{bottom + 4}"/>')
        parts.append(_text(px(tick), bottom + 18, _number(tick), anchor="middle"))
    parts.append(_text((left + right) / 2, bottom + 36, x_label, anchor="middle"))
    for label, slope, intercept, x_from, x_to in lines:
        segment = _clip_line(slope, intercept, max(x_from, x_min), min(x_to, x_max), y_min, y_max)
        if segment:
            (x1, y1), (x2, y2) = segment
            parts.append(f'<line class="chart-fit" x1="{px(x1):.1f}" y1="{py(y1):.1f}" x2="{px(x2):.1f}" '
                         f'y2="{py(y2):.1f}"><title>{_escape(label)}</title></line>')
    heaviest = max(weight for _, points in drawn for *_, weight in points) or 1
    for index, (_, points) in enumerate(drawn):
        css = f"chart-series-{index % SERIES_CLASSES + 1}"
        coords = [(px(x), py(y)) for x, y, _, _ in points]
        parts.append(f'<g class="{css}">')
        if connect and len(coords) > 1:
            joined = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline class="chart-line {css}" fill="none" points="{joined}"/>')
        for (x, y), (_, _, tip, weight) in zip(coords, points, strict=True):
            radius = MIN_POINT_RADIUS + (MAX_POINT_RADIUS - MIN_POINT_RADIUS) * math.sqrt(max(weight, 0) / heaviest)
            radius = POINT_RADIUS if connect else radius
            parts.append(f'<circle class="chart-point {css}" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}">'
                         f"<title>{_escape(tip)}</title></circle>")
        parts.append("</g>")
    parts.append(_legend(legend_rows))
    return Markup("".join(parts) + "</svg>")


def _clip_line(slope: float, intercept: float, x_from: float, x_to: float, y_min: float,
               y_max: float) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of y = intercept + slope·x, x_from <= x <= x_to, that lies between y_min and y_max."""
    if slope != 0:
        bounds = sorted(((y_min - intercept) / slope, (y_max - intercept) / slope))
        x_from, x_to = max(x_from, bounds[0]), min(x_to, bounds[1])
    elif not y_min <= intercept <= y_max:
        return None
    if x_to <= x_from:
        return None
    return (x_from, intercept + slope * x_from), (x_to, intercept + slope * x_to)


def _nice_ceiling(value: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten at or above value: a round end for a bar chart's scale."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= value - 1e-9)
