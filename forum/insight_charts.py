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
INTERVAL_CAP = 4  # half the length of the cap across each end of an interval's whisker
LEGEND_POINT_RADIUS = 4.5  # a point's shape in the legend: big enough to tell a square from a circle


BarValue = float | tuple[float, float, float] | None  # a number, (value, low, high) with its 95% interval, or None


def bar_chart(groups: list[tuple[str, list[BarValue]]], *, series: list[str], title: str, description: str,
              value_label: str, unit: str = "", value_max: float | None = None, width: int = 640,
              series_classes: list[str] | None = None) -> Markup:
    """Horizontal bars, one group per row label and one bar per series in each group.

    A value of None draws no bar at all: it is how a hidden (too small) group reaches the chart. A value
    (value, low, high) is a rate with its 95% interval: the bar ends at the value and a whisker spans the interval,
    so the reader sees how little a small group's rate pins down. Each bar carries a <title> "group · series: value"
    (with the interval when there is one) and its value is written past its end. series_classes gives each series
    a class of its own (chart-passed, chart-failed, ...) in place of chart-series-N, so colours mean outcomes.
    """
    width = max(width, 280)
    classes = [_series_class(index, series_classes) for index in range(len(series))]
    drawn = [(label, values) for label, values in groups if any(v is not None for v in values)]
    legend_rows = _legend_rows([(name, []) for name in series], width) if len(series) > 1 else []
    top = MARGIN_TOP + LEGEND_ROW * len(legend_rows)
    group_height = len(series) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP + GROUP_GAP
    height = top + max(len(drawn), 1) * group_height + MARGIN_BOTTOM
    chart_id = _chart_id("bar", drawn, series, title, description, value_label, unit, value_max, width, series_classes)
    parts = [_open_svg(chart_id, width, height), _title_and_desc(chart_id, title, description)]
    if not drawn:
        parts.append(_text(width / 2, height / 2, NO_DATA, anchor="middle"))
        return Markup("".join(parts) + "</svg>")
    label_width = min(MAX_LABEL_WIDTH, max(CHAR_WIDTH * len(label) for label, _ in drawn) + 8)
    left, right = label_width + 8, width - VALUE_ROOM
    highest = max(_bar_end(v) for _, values in drawn for v in values if v is not None)
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
        for index, entry in enumerate(values):
            if entry is None:
                continue
            value, interval = (entry[0], entry[1:]) if isinstance(entry, tuple) else (entry, None)
            y = y0 + index * (BAR_HEIGHT + BAR_GAP)
            tip = f"{label} · {series[index]}: {_number(value)}{unit}"
            if interval:
                tip += f" (95% CI {_number(interval[0])}–{_number(interval[1])}{unit})"
            parts.append(f'<rect class="chart-bar {classes[index]}" x="{left}" y="{y:.1f}" '
                         f'width="{x(value) - left:.1f}" height="{BAR_HEIGHT}"><title>{_escape(tip)}</title></rect>')
            end = x(value) + 4
            if interval:
                middle = y + BAR_HEIGHT / 2
                parts.append(_whisker((x(interval[0]), middle), (x(interval[1]), middle)))
                end = x(max(value, interval[1])) + 6  # clear of the whisker's end cap and its halo
            parts.append(_text(end, y + BAR_HEIGHT - 4, _number(value) + unit))

    def swatch(index: int, x: float, y: float) -> str:
        return f'<rect class="chart-bar {classes[index]}" x="{x}" y="{y - 10}" width="18" height="10"/>'

    parts.append(_legend_with(legend_rows, swatch))
    return Markup("".join(parts) + "</svg>")


# x, y, tooltip, weight (the stories a point stands for), and optionally the low and high end of a 95% interval on y
XYPoint = tuple[float, float, str, float] | tuple[float, float, str, float, float, float]
Band = tuple[str, list[tuple[float, float, float]]]  # label, [(x, low, high), ...] sorted by x
SHAPES = ("circle", "square", "triangle")


def xy_chart(series: list[tuple[str, list[XYPoint]] | tuple[str, list[XYPoint], str, str]], *, title: str,
             description: str, x_label: str, y_label: str, x_range: tuple[float, float], y_range: tuple[float, float],
             lines: list[tuple[str, float, float, float, float]] = (), connect: bool = False,
             integer_x: bool = False, width: int = 640, height: int = 300, bands: list[Band] = ()) -> Markup:
    """Points on two numeric axes: a scatter (points sized by weight, with fitted lines) or, with connect=True, a
    trend. `lines` are (label, slope, intercept, x_from, x_to), drawn only where they run inside the plot.

    A series is (name, points), or (name, points, css_class, shape) with shape circle, square or triangle, so that
    passed and failed differ by shape as well as colour. A point with (low, high) gets a whisker over that range.
    `bands` are shaded regions, such as the 95% prediction band around a fitted line, drawn behind everything
    else. Series, lines and bands share one legend, drawn when there is more than one of them in all.
    """
    width, height = max(width, 240), max(height, 160)
    (x_min, x_max), (y_min, y_max) = x_range, y_range
    x_max, y_max = (x_max if x_max > x_min else x_min + 1), (y_max if y_max > y_min else y_min + 1)
    drawn = [_xy_series(entry, index) for index, entry in enumerate(s for s in series if s[1])]
    segments = [(label, _clip_line(slope, intercept, max(x_from, x_min), min(x_to, x_max), y_min, y_max))
                for label, slope, intercept, x_from, x_to in lines]
    segments = [(label, segment) for label, segment in segments if segment]
    shaded = [(label, [p for p in points if x_min <= p[0] <= x_max]) for label, points in bands]
    shaded = [(label, points) for label, points in shaded if len(points) > 1]
    keys = ([(name, shape, css) for name, _, css, shape in drawn] + [(label, "fit", "") for label, _ in segments]
            + [(label, "band", "") for label, _ in shaded])
    legend_rows = _legend_rows([(name, []) for name, _, _ in keys], width) if drawn and len(keys) > 1 else []
    top = MARGIN_TOP + LEGEND_ROW * len(legend_rows)
    chart_id = _chart_id("xy", drawn, title, description, x_label, y_label, x_range, y_range, lines, connect, width,
                         height, bands)
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
    for label, points in shaded:
        outline = [(px(x), py(high)) for x, _, high in points] + [(px(x), py(low)) for x, low, _ in reversed(points)]
        path = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in outline) + "Z"
        parts.append(f'<path class="chart-band" d="{path}"><title>{_escape(label)}</title></path>')
    for label, ((x1, y1), (x2, y2)) in segments:
        parts.append(f'<line class="chart-fit" x1="{px(x1):.1f}" y1="{py(y1):.1f}" x2="{px(x2):.1f}" '
                     f'y2="{py(y2):.1f}"><title>{_escape(label)}</title></line>')
    weights = [point[3] for _, points, _, _ in drawn for point in points]
    heaviest = max(weights) or 1
    one_each = min(weights) == max(weights)  # every point one story: small, so a few hundred stay apart
    for _, points, css, shape in drawn:
        coords = [(px(point[0]), py(point[1])) for point in points]
        parts.append(f'<g class="{css}">')
        if connect and len(coords) > 1:
            joined = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
            parts.append(f'<polyline class="chart-line {css}" fill="none" points="{joined}"/>')
        for (x, y), (_, _, tip, weight, *interval) in zip(coords, points, strict=True):
            radius = MIN_POINT_RADIUS + (MAX_POINT_RADIUS - MIN_POINT_RADIUS) * math.sqrt(max(weight, 0) / heaviest)
            radius = POINT_RADIUS if connect or one_each else radius
            if interval:
                parts.append(_whisker((x, py(interval[0])), (x, py(interval[1]))))
            parts.append(_point(shape, css, x, y, radius, f"<title>{_escape(tip)}</title>"))
        parts.append("</g>")

    def swatch(index: int, x: float, y: float) -> str:
        _, kind, css = keys[index]
        if kind == "fit":
            return f'<line class="chart-fit" x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}"/>'
        if kind == "band":
            return f'<rect class="chart-band" x="{x}" y="{y - 10}" width="18" height="10"/>'
        line = f'<line class="chart-line {css}" x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}"/>' if connect else ""
        return line + _point(kind, css, x + 9, y - 4, LEGEND_POINT_RADIUS)

    parts.append(_legend_with(legend_rows, swatch))
    return Markup("".join(parts) + "</svg>")


def _series_class(index: int, series_classes: list[str] | None) -> str:
    """The caller's class for this series, else the line chart's chart-series-N colours in turn."""
    if series_classes and index < len(series_classes):
        return series_classes[index]
    return f"chart-series-{index % SERIES_CLASSES + 1}"


def _bar_end(value: float | tuple[float, float, float]) -> float:
    """How far a bar reaches on the scale: its value, or the top of its interval when that is further."""
    return max(value[0], value[2]) if isinstance(value, tuple) else value


def _xy_series(entry: tuple, index: int) -> tuple[str, list[XYPoint], str, str]:
    """(name, points, css_class, shape) for a series given as (name, points) or with its own class and shape."""
    if len(entry) == 2:
        return entry[0], entry[1], _series_class(index, None), "circle"
    name, points, css, shape = entry
    if shape not in SHAPES:
        raise ValueError(f"unknown point shape {shape!r}: use one of {', '.join(SHAPES)}")
    return name, points, css, shape


def _point(shape: str, css: str, x: float, y: float, radius: float, inside: str = "") -> str:
    """One point centred on (x, y). A square or triangle covers the same area as the circle of this radius, so a
    shape never makes its series look heavier. No id and one decimal: a scatter may hold thousands of these."""
    if shape == "square":
        half = radius * math.sqrt(math.pi) / 2
        return (f'<rect class="chart-point {css}" x="{x - half:.1f}" y="{y - half:.1f}" width="{2 * half:.1f}" '
                f'height="{2 * half:.1f}"' + _close("rect", inside))
    if shape == "triangle":
        side = radius * math.sqrt(4 * math.pi / math.sqrt(3))
        reach = side / math.sqrt(3)  # centre to corner
        corners = ((x, y - reach), (x + side / 2, y + reach / 2), (x - side / 2, y + reach / 2))
        joined = " ".join(f"{cx:.1f},{cy:.1f}" for cx, cy in corners)
        return f'<polygon class="chart-point {css}" points="{joined}"' + _close("polygon", inside)
    return f'<circle class="chart-point {css}" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}"' + _close("circle", inside)


def _close(tag: str, inside: str) -> str:
    return f">{inside}</{tag}>" if inside else "/>"


def _whisker(start: tuple[float, float], end: tuple[float, float]) -> str:
    """A 95% interval from start to end (pixels, horizontal or vertical) with an end cap across each end.

    It is drawn over a halo in the background colour: a dark whisker on a dark bar has too little contrast
    (about 2:1), so the halo gives it a clear edge wherever it runs.
    """
    (x1, y1), (x2, y2) = start, end
    c = INTERVAL_CAP
    if y1 == y2:
        caps = f"M{x1:.1f},{y1 - c:.1f}V{y1 + c:.1f}M{x2:.1f},{y2 - c:.1f}V{y2 + c:.1f}"
    else:
        caps = f"M{x1 - c:.1f},{y1:.1f}H{x1 + c:.1f}M{x2 - c:.1f},{y2:.1f}H{x2 + c:.1f}"
    line = f"M{x1:.1f},{y1:.1f}L{x2:.1f},{y2:.1f}"
    return (f'<path class="chart-interval-halo" fill="none" d="{line}{caps}"/>'
            f'<line class="chart-interval" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"/>'
            f'<path class="chart-interval" fill="none" d="{caps}"/>')


def _legend_with(rows: list[list[tuple[int, str, float]]], swatch) -> str:
    """The legend laid out by _legend_rows, each entry's mark drawn by swatch(index, x, baseline): the line chart's
    _legend knows only series colours, these charts also show outcome classes, shapes, fitted lines and bands."""
    if not rows:
        return ""
    parts = ['<g class="chart-legend">']
    for row_number, row in enumerate(rows):
        y = MARGIN_TOP + LEGEND_ROW * row_number
        for index, name, x in row:
            parts.append(swatch(index, x, y))
            parts.append(_text(x + 24, y, name))
    return "".join(parts) + "</g>"


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
