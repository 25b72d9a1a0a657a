"""Charts drawn on the server as inline SVG, from plain numbers: nothing here knows the database or Flask.

The page's Content-Security-Policy forbids inline style, so the SVG carries no style attribute and no <style>
element; every mark has a class (chart-axis, chart-grid, chart-line, chart-series-N, chart-point, chart-ref,
chart-label, chart-legend; on request chart-values, chart-value, chart-marker, chart-event, chart-marker-label)
and site.css draws them. Output depends only on the arguments, so a page renders the same bytes every time and
tests can compare strings.
"""
import hashlib
import math
import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

Point = tuple[date, float] | tuple[date, float, str]  # an optional third item names the point in its tooltip
Series = tuple[str, list[Point]]


@dataclass(frozen=True)
class Marker:
    """One event drawn apart from the series at its date, such as the real exam result among practice scores.

    With a value it is a diamond at that value. With value None it is a dashed vertical line across the plot: the
    honest way to show a result that has no place on this chart's axis (a pass/fail outcome, a score on another
    scale), since any height would claim a value nobody reported.
    """
    day: date
    label: str  # written beside the mark: "Step 1 exam: 245"
    legend: str  # its entry in the legend: "Step 1 exam"
    value: float | None = None
    tip: str = ""  # the tooltip; the label when empty

MARGIN_LEFT = 52  # room for three-digit tick labels and the rotated y label
MARGIN_RIGHT = 16
MARGIN_TOP = 16
MARGIN_BOTTOM = 30  # room for the date labels under the axis
LEGEND_ROW = 18
MIN_PLOT_HEIGHT = 80
CHAR_WIDTH = 7  # rough width of one label character, to lay out the legend without measuring text
POINT_RADIUS = 3.5
SERIES_CLASSES = 6  # chart-series-1 .. chart-series-6, then round again: site.css needs six colours
Y_TICK_TARGET = 5  # about this many steps between y_min and y_max
MIN_X_TICK_GAP = 64  # pixels between date labels, so "Sep 2025" never overlaps its neighbour
MARKER_SIZE = 7  # half the diagonal of the exam diamond: twice a point's radius, so it reads as another kind
VALUE_LABEL_GAP = 8  # from a point's centre to the baseline of its value label above it
LABEL_HEIGHT = 12  # of one line of label text, to keep value labels from covering each other
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
NO_DATA = "No data"

# Characters XML does not allow (and that mean nothing in a label) are dropped, so the SVG is always well formed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def line_chart(series: list[Series], *, title: str, description: str, y_min: float, y_max: float,
               y_label: str, reference: tuple[float, str] | None = None, width: int = 640,
               height: int = 260, unit: str = "", value_labels: bool = False,
               marker: Marker | None = None) -> Markup:
    """One line per series of (date, value) points, with its own <title> and <desc> for screen readers.

    Values outside [y_min, y_max] are drawn at the edge (their tooltip keeps the real value); points that are not
    numbers are left out. With no points at all the chart says "No data". value_labels writes each value (with
    `unit`, as in "68%") beside its point; a marker adds one event (see Marker) with a legend entry of its own.
    """
    width, height = max(width, 200), max(height, 120)
    if not y_max > y_min:
        y_max = y_min + 1
    drawn = [(name, sorted((p for p in points if not math.isnan(p[1])), key=lambda p: p[0]))
             for name, points in series]
    drawn = [(name, points) for name, points in drawn if points]
    legend_entries = drawn + ([(marker.legend, [])] if marker and drawn else [])
    legend_rows = _legend_rows(legend_entries, width) if len(legend_entries) > 1 else []
    top = MARGIN_TOP + LEGEND_ROW * len(legend_rows)
    height = max(height, top + MIN_PLOT_HEIGHT + MARGIN_BOTTOM)  # a long legend makes the chart taller
    chart_id = _chart_id(drawn, title, description, y_min, y_max, y_label, reference, width, height, unit,
                         value_labels, marker)
    parts = [_open_svg(chart_id, width, height), _title_and_desc(chart_id, title, description)]
    if not drawn:
        parts.append(_text(width / 2, height / 2, NO_DATA, anchor="middle"))
        return Markup("".join(parts) + "</svg>")

    plot = _Plot(left=MARGIN_LEFT, right=width - MARGIN_RIGHT, top=top, bottom=height - MARGIN_BOTTOM,
                 y_min=y_min, y_max=y_max,
                 dates=[p[0] for _, points in drawn for p in points] + ([marker.day] if marker else []))
    parts += [_y_axis(plot, y_label), _x_axis(plot)]
    if reference is not None and y_min <= reference[0] <= y_max:
        parts.append(_reference(plot, *reference))
    parts += [_series(plot, index, name, points, unit) for index, (name, points) in enumerate(drawn)]
    taken: list[_Box] = []  # room already used by labels and marks, so value labels go elsewhere
    if marker:
        parts.append(_marker(plot, marker, taken, width))
    if value_labels:
        parts.append(_value_labels(plot, drawn, unit, taken, width))
    parts += [_legend(legend_rows, special={len(drawn): marker} if marker else None)]
    return Markup("".join(parts) + "</svg>")


class _Plot:
    """Maps dates and values to pixels inside the plot area."""

    def __init__(self, *, left, right, top, bottom, y_min, y_max, dates):
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.y_min, self.y_max = y_min, y_max
        self.first, self.last = min(dates), max(dates)

    def x(self, day: date) -> float:
        span = (self.last - self.first).days
        if span == 0:
            return (self.left + self.right) / 2
        return self.left + (self.right - self.left) * (day - self.first).days / span

    def y(self, value: float) -> float:
        clamped = min(max(value, self.y_min), self.y_max)
        return self.bottom - (self.bottom - self.top) * (clamped - self.y_min) / (self.y_max - self.y_min)


def _chart_id(*content) -> str:
    """An id derived from everything drawn: stable across renders, different for different charts."""
    return "chart-" + hashlib.sha256(repr(content).encode("utf-8", "replace")).hexdigest()[:12]


def _open_svg(chart_id: str, width: int, height: int) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {width} {height}" role="img" '
            f'aria-labelledby="{chart_id}-title {chart_id}-desc">')


def _title_and_desc(chart_id: str, title: str, description: str) -> str:
    return (f'<title id="{chart_id}-title">{_escape(title)}</title>'
            f'<desc id="{chart_id}-desc">{_escape(description)}</desc>')


def _y_axis(plot: _Plot, y_label: str) -> str:
    grid, labels = [], []
    for value in _y_ticks(plot.y_min, plot.y_max):
        y = plot.y(value)
        grid.append(f'<line x1="{plot.left}" y1="{y:.1f}" x2="{plot.right}" y2="{y:.1f}"/>')
        labels.append(_text(plot.left - 6, y + 4, _number(value), anchor="end"))
    middle = (plot.top + plot.bottom) / 2
    label = (f'<text class="chart-label" x="12" y="{middle:.1f}" text-anchor="middle" '
             f'transform="rotate(-90 12 {middle:.1f})">{_escape(y_label)}</text>')
    axis = f'<line class="chart-axis" x1="{plot.left}" y1="{plot.top}" x2="{plot.left}" y2="{plot.bottom}"/>'
    return f'<g class="chart-grid">{"".join(grid)}</g>{axis}{"".join(labels)}{label}'


def _x_axis(plot: _Plot) -> str:
    parts = [f'<line class="chart-axis" x1="{plot.left}" y1="{plot.bottom}" x2="{plot.right}" y2="{plot.bottom}"/>']
    for day, label in _date_ticks(plot.first, plot.last, max_ticks=int((plot.right - plot.left) // MIN_X_TICK_GAP)):
        x = plot.x(day)
        parts.append(f'<line class="chart-axis" x1="{x:.1f}" y1="{plot.bottom}" x2="{x:.1f}" y2="{plot.bottom + 4}"/>')
        parts.append(_text(x, plot.bottom + 18, label, anchor=_x_label_anchor(plot, x, label)))
    return "".join(parts)


def _x_label_anchor(plot: _Plot, x: float, label: str) -> str:
    """Centred under its tick, unless that would run past the edge of the chart."""
    half = CHAR_WIDTH * len(label) / 2
    if x + half > plot.right + MARGIN_RIGHT:
        return "end"
    if x - half < 0:
        return "start"
    return "middle"


def _reference(plot: _Plot, value: float, label: str) -> str:
    y = plot.y(value)
    return (f'<line class="chart-ref" x1="{plot.left}" y1="{y:.1f}" x2="{plot.right}" y2="{y:.1f}"/>'
            + _text(plot.right - 4, y - 4, label, anchor="end"))


def _series(plot: _Plot, index: int, name: str, points: list[Point], unit: str = "") -> str:
    css = f"chart-series-{index % SERIES_CLASSES + 1}"
    coords = [(plot.x(p[0]), plot.y(p[1])) for p in points]
    parts = [f'<g class="{css}">']
    if len(coords) > 1:
        joined = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        # fill="none" is a presentation attribute, not a style: it keeps a line a line if site.css fails to load.
        parts.append(f'<polyline class="chart-line {css}" fill="none" points="{joined}"/>')
    for (x, y), (day, value, *own_name) in zip(coords, points, strict=True):
        tip = f"{own_name[0] if own_name else name} · {_long_date(day)} · {_number(value)}{unit}"
        parts.append(f'<circle class="chart-point {css}" cx="{x:.1f}" cy="{y:.1f}" r="{POINT_RADIUS}">'
                     f"<title>{_escape(tip)}</title></circle>")
    return "".join(parts) + "</g>"


def _legend_rows(drawn: list[Series], width: int) -> list[list[tuple[int, str, float]]]:
    """Series names laid out left to right, wrapping onto a new row when the next one would not fit."""
    rows: list[list[tuple[int, str, float]]] = [[]]
    x = MARGIN_LEFT
    for index, (name, _) in enumerate(drawn):
        item_width = 24 + CHAR_WIDTH * len(name) + 16
        if rows[-1] and x + item_width > width - MARGIN_RIGHT:
            rows.append([])
            x = MARGIN_LEFT
        rows[-1].append((index, name, x))
        x += item_width
    return rows


def _legend(rows: list[list[tuple[int, str, float]]], marker: str = "line",
            special: dict[int, Marker] | None = None) -> str:
    """The legend; an entry whose index is in `special` shows that Marker's symbol instead of a series line."""
    if not rows:
        return ""
    parts = ['<g class="chart-legend">']
    for row_number, row in enumerate(rows):
        y = MARGIN_TOP + LEGEND_ROW * row_number
        for index, name, x in row:
            css = f"chart-series-{index % SERIES_CLASSES + 1}"
            if special and index in special:
                parts.append(_marker_symbol(special[index], x + 9, y - 4, low=y - 10, high=y + 2))
            elif marker == "bar":
                parts.append(f'<rect class="chart-bar {css}" x="{x}" y="{y - 10}" width="18" height="10"/>')
            else:
                parts.append(f'<line class="chart-line {css}" x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}"/>')
            parts.append(_text(x + 24, y, name))
    return "".join(parts) + "</g>"


class _Box:
    """The rectangle a label or mark covers, to place value labels where nothing is drawn yet."""

    def __init__(self, left: float, top: float, right: float, bottom: float):
        self.left, self.top, self.right, self.bottom = left, top, right, bottom

    def overlaps(self, other: "_Box") -> bool:
        return (self.left < other.right and other.left < self.right
                and self.top < other.bottom and other.top < self.bottom)


def _text_box(x: float, baseline: float, content: str, anchor: str) -> _Box:
    text_width = CHAR_WIDTH * len(content)
    left = {"start": x, "middle": x - text_width / 2, "end": x - text_width}[anchor]
    return _Box(left, baseline - LABEL_HEIGHT + 2, left + text_width, baseline + 2)


def _marker_symbol(marker: Marker, x: float, y: float, *, low: float, high: float, tip: str = "") -> str:
    """A diamond centred on (x, y) for a marker with a value, else a dashed vertical line from low to high."""
    inside = f"<title>{_escape(tip)}</title>" if tip else ""
    if marker.value is None:
        return (f'<line class="chart-event" x1="{x:.1f}" y1="{low:.1f}" x2="{x:.1f}" y2="{high:.1f}">'
                f'{inside}</line>')
    s = MARKER_SIZE
    return (f'<polygon class="chart-marker" points="{x:.1f},{y - s:.1f} {x + s:.1f},{y:.1f} {x:.1f},{y + s:.1f} '
            f'{x - s:.1f},{y:.1f}">{inside}</polygon>')


def _marker(plot: _Plot, marker: Marker, taken: list[_Box], width: int) -> str:
    """The marker with its tooltip and its label: over the diamond (under it when the plot's top is too near), or
    at the top of the event line, on the side of the plot's middle. Adds the room both use to `taken`."""
    x = plot.x(marker.day)
    if marker.value is None:
        y, baseline, gap = plot.top, plot.top + LABEL_HEIGHT, 6  # the label sits beside the line
        taken.append(_Box(x - 3, plot.top, x + 3, plot.bottom))
    else:
        y, gap = plot.y(marker.value), -MARKER_SIZE  # the label sits over the diamond, flush with its tip
        baseline = y - MARKER_SIZE - 5
        if baseline - LABEL_HEIGHT < plot.top:
            baseline = y + MARKER_SIZE + LABEL_HEIGHT
        taken.append(_Box(x - MARKER_SIZE, y - MARKER_SIZE, x + MARKER_SIZE, y + MARKER_SIZE))
    text_width = CHAR_WIDTH * len(marker.label)
    if x > (plot.left + plot.right) / 2:
        anchor, text_x = "end", min(max(x - gap, text_width), width)
    else:
        anchor, text_x = "start", min(max(x + gap, 0), width - text_width)
    taken.append(_text_box(text_x, baseline, marker.label, anchor))
    symbol = _marker_symbol(marker, x, y, low=plot.top, high=plot.bottom, tip=marker.tip or marker.label)
    return (symbol + f'<text class="chart-label chart-marker-label" x="{text_x:.1f}" y="{baseline:.1f}" '
            f'text-anchor="{anchor}">{_escape(marker.label)}</text>')


def _value_labels(plot: _Plot, drawn: list[Series], unit: str, taken: list[_Box], width: int) -> str:
    """Each point's value written beside it: above if that spot is free, else below, right, left, or a line or
    two further up or down.

    Greedy, in date order, against everything placed so far (points, the marker and earlier labels), so scores
    close together or a label beside the exam mark do not print over each other; when no spot is free the label
    goes above its point anyway, since a crowded label beats a missing one.
    """
    points = [(plot.x(p[0]), plot.y(p[1]), _number(p[1]) + unit) for _, series in drawn for p in series]
    taken = taken + [_Box(x - POINT_RADIUS, y - POINT_RADIUS, x + POINT_RADIUS, y + POINT_RADIUS)
                     for x, y, _ in points]
    parts = ['<g class="chart-values">']
    for x, y, content in sorted(points):
        half = CHAR_WIDTH * len(content) / 2
        middle = min(max(x, plot.left + half), width - half)  # centred over the point, inside the picture
        above, below, side = y - VALUE_LABEL_GAP, y + VALUE_LABEL_GAP + LABEL_HEIGHT - 2, y + 4
        spots = [(middle, above, "middle"), (middle, below, "middle"),
                 (x + POINT_RADIUS + 3, side, "start"), (x - POINT_RADIUS - 3, side, "end"),
                 *((middle, b, "middle") for n in (1, 2) for b in (above - n * LABEL_HEIGHT, below + n * LABEL_HEIGHT))]
        boxes = [(spot, _text_box(spot[0], spot[1], content, spot[2])) for spot in spots]
        inside = [(spot, box) for spot, box in boxes
                  if plot.left <= box.left and box.right <= width and plot.top <= box.top and box.bottom <= plot.bottom]
        free = [(spot, box) for spot, box in inside if not any(box.overlaps(t) for t in taken)]
        (text_x, baseline, anchor), box = (free or inside or boxes)[0]
        taken.append(box)
        parts.append(f'<text class="chart-label chart-value" x="{text_x:.1f}" y="{baseline:.1f}" '
                     f'text-anchor="{anchor}">{_escape(content)}</text>')
    return "".join(parts) + "</g>"


def _y_ticks(low: float, high: float) -> list[float]:
    """Round values between low and high, a 1, 2 or 5 times a power of ten apart."""
    rough = (high - low) / Y_TICK_TARGET
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= rough)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return [round(n * step, 10) for n in range(first, last + 1)]


def _date_ticks(first: date, last: date, max_ticks: int) -> list[tuple[date, str]]:
    """The first of each month in range ("Jan 2026" at a new year or the first label, else "Feb"), thinned to
    fit; a single day gets its full date, and a range that holds no first of a month is labelled at its ends."""
    if first == last:
        return [(first, _long_date(first))]
    months = []
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        if date(year, month, 1) >= first:
            months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if not months:
        return [(first, _short_date(first)), (last, _short_date(last))]
    every = max(1, math.ceil(len(months) / max(max_ticks, 1)))
    shown = months[::every]
    return [(day, _month_label(day, with_year=i == 0 or day.month == 1)) for i, day in enumerate(shown)]


def _month_label(day: date, *, with_year: bool) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}" if with_year else MONTHS[day.month - 1]


def _short_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


def _long_date(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _number(value: float) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, content: str, anchor: str = "start") -> str:
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text class="chart-label" x="{x:.1f}" y="{y:.1f}"{anchor_attr}>{_escape(content)}</text>'


def _escape(content: str) -> str:
    return str(escape(_NOT_XML.sub("", str(content))))
