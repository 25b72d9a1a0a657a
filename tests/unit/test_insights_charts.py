"""forum.insight_charts bar_chart and xy_chart: well-formed, accessible SVG, no inline style, numbers as given."""
import math
import re
import xml.etree.ElementTree as ET

import pytest

from forum.insight_charts import bar_chart, xy_chart

SVG = "{http://www.w3.org/2000/svg}"
GROUPS = [("US MD", [120.0, 14.0, None]), ("IMG", [300.0, None, 0.0])]


def bars(groups=GROUPS, **overrides):
    arguments = {"series": ["Passed", "Failed", "Awaiting result"], "title": "Outcomes",
                 "description": "Outcomes by background.", "value_label": "Stories"} | overrides
    return ET.fromstring(str(bar_chart(groups, **arguments)))


def scatter(**overrides):
    arguments = {"title": "NBME 30 against Step 2 CK", "description": "Each point is a cell.",
                 "x_label": "NBME 30", "y_label": "Step 2 CK", "x_range": (200, 260), "y_range": (200, 270),
                 "lines": [("fit", 0.8, 50.0, 190.0, 280.0)]} | overrides
    points = [(215.0, 225.0, "215: 12 stories", 12), (235.0, 245.0, "235: 30 stories", 30)]
    return ET.fromstring(str(xy_chart([("NBME 30", points)], **arguments)))


def titled(root, tag):
    return [element.find(SVG + "title").text for element in root.iter(SVG + tag)
            if element.find(SVG + "title") is not None]


def test_charts_are_images_labelled_by_their_own_title_and_desc():
    for root, title in ((bars(), "Outcomes"), (scatter(), "NBME 30 against Step 2 CK")):
        title_el, desc_el = root.find(SVG + "title"), root.find(SVG + "desc")
        assert root.get("role") == "img"
        assert root.get("aria-labelledby").split() == [title_el.get("id"), desc_el.get("id")]
        assert title_el.text == title and desc_el.text


def test_no_element_carries_a_style():
    for root in (bars(), scatter()):
        assert not list(root.iter(SVG + "style"))
        assert not [el for el in root.iter() if "style" in el.attrib]


def test_one_bar_per_shown_value_and_none_for_a_hidden_one():
    assert titled(bars(), "rect") == ["US MD · Passed: 120", "US MD · Failed: 14", "IMG · Passed: 300",
                                      "IMG · Awaiting result: 0"]


def test_bars_are_as_long_as_their_values():
    widths = {r.find(SVG + "title").text: float(r.get("width")) for r in bars().iter(SVG + "rect")
              if r.find(SVG + "title") is not None}
    assert widths["IMG · Passed: 300"] == pytest.approx(2.5 * widths["US MD · Passed: 120"], abs=0.3)  # 0.1 px


def test_percent_bars_say_so():
    root = bars(groups=[("UWorld", [75.0, 74.0])], series=["Of passed", "Of failed"], unit="%", value_max=100)
    assert titled(root, "rect") == ["UWorld · Of passed: 75%", "UWorld · Of failed: 74%"]


def test_nothing_to_draw_says_no_data():
    root = bars(groups=[("US MD", [None, None, None])])
    assert not titled(root, "rect")
    assert "No data" in "".join(root.itertext())


def test_scatter_draws_a_point_per_cell_and_the_fitted_line_inside_the_plot():
    root = scatter()
    assert titled(root, "circle") == ["215: 12 stories", "235: 30 stories"]
    line = next(el for el in root.iter(SVG + "line") if el.get("class") == "chart-fit")
    _, _, width, height = (float(n) for n in root.get("viewBox").split())
    for attr in ("x1", "x2"):
        assert 0 <= float(line.get(attr)) <= width
    for attr in ("y1", "y2"):
        assert 0 <= float(line.get(attr)) <= height


def test_heavier_points_are_bigger():
    radii = [float(c.get("r")) for c in scatter().iter(SVG + "circle")]
    assert radii[0] < radii[1]


def test_a_line_wholly_outside_the_plot_is_not_drawn():
    root = scatter(lines=[("fit", 0.0, 500.0, 200.0, 260.0)])
    assert not [el for el in root.iter(SVG + "line") if el.get("class") == "chart-fit"]


def test_trend_connects_its_points_and_labels_whole_years_only():
    points = [(2024.0, 88.0, "2024: 88%", 1), (2025.0, 86.0, "2025: 86%", 1)]
    root = ET.fromstring(str(xy_chart([("Passed", points)], title="Trend", description="Pass rate by year.",
                                      x_label="Exam year", y_label="Passed (%)", x_range=(2023.5, 2025.5),
                                      y_range=(0, 100), connect=True, integer_x=True)))
    assert len(list(root.iter(SVG + "polyline"))) == 1
    labels = [t.text for t in root.iter(SVG + "text")]
    assert "2024" in labels and "2025" in labels
    assert not [label for label in labels if label and label.startswith("2024.")]


def test_output_is_deterministic():
    assert ET.tostring(bars()) == ET.tostring(bars())


# Outcome classes, 95% intervals, point shapes and the prediction band (issue 17).

OUTCOME_CLASSES = ["chart-passed", "chart-failed", "chart-pending"]


def rate_bars(groups, **overrides):
    return bars(groups=groups, **{"series": ["Passed"], "unit": "%", "value_max": 100,
                                  "series_classes": ["chart-rate"]} | overrides)


def plotted(root, tag):
    """The elements of this tag outside the legend, in document order."""
    legend = root.find(f"{SVG}g[@class='chart-legend']")
    inside = set(legend.iter()) if legend is not None else set()
    return [el for el in root.iter(SVG + tag) if el not in inside]


def intervals(root):
    return [el for el in root.iter(SVG + "line") if el.get("class") == "chart-interval"]


def legend_marks(root):
    """(tag, class) of each legend swatch, and the legend's labels."""
    legend = root.find(f"{SVG}g[@class='chart-legend']")
    if legend is None:
        return [], []
    marks = [(el.tag.removeprefix(SVG), el.get("class")) for el in legend if el.tag != SVG + "text"]
    return marks, [el.text for el in legend if el.tag == SVG + "text"]


def outcome_scatter(series=None, **overrides):
    if series is None:
        passed = [(215.0, 225.0, "passed 215", 1), (235.0, 245.0, "passed 235", 1)]
        failed = [(220.0, 210.0, "failed 220", 1)]
        series = [("Passed", passed, "chart-passed", "circle"), ("Failed", failed, "chart-failed", "square")]
    arguments = {"title": "NBME 30 against Step 2 CK", "description": "Each point is a story.",
                 "x_label": "NBME 30", "y_label": "Step 2 CK", "x_range": (200, 260), "y_range": (200, 270),
                 "lines": [("Fitted line", 0.8, 50.0, 190.0, 280.0)],
                 "bands": [("95% prediction band", [(190.0, 150.0, 300.0), (210.0, 200.0, 230.0),
                                                    (250.0, 240.0, 280.0)])]} | overrides
    return ET.fromstring(str(xy_chart(series, **arguments)))


def test_series_classes_colour_the_bars_and_their_legend_swatches():
    root = bars(series_classes=OUTCOME_CLASSES)
    assert [r.get("class") for r in plotted(root, "rect")] == ["chart-bar chart-passed", "chart-bar chart-failed",
                                                               "chart-bar chart-passed", "chart-bar chart-pending"]
    assert legend_marks(root) == ([("rect", f"chart-bar {css}") for css in OUTCOME_CLASSES],
                                  ["Passed", "Failed", "Awaiting result"])


def test_without_series_classes_bars_keep_the_series_colours():
    classes = [r.get("class") for r in bars().iter(SVG + "rect")]
    assert classes == ["chart-bar chart-series-1", "chart-bar chart-series-2", "chart-bar chart-series-1",
                       "chart-bar chart-series-3"] + [f"chart-bar chart-series-{n}" for n in (1, 2, 3)]


def test_an_interval_bar_has_a_whisker_from_low_to_high_across_its_middle():
    root = rate_bars([("US MD", [(82.0, 66.0, 92.0)]), ("IMG", [50.0])])
    bar, plain = plotted(root, "rect")
    left, width = float(bar.get("x")), float(bar.get("width"))
    per_point = width / 82  # pixels per percentage point
    assert float(plain.get("width")) == pytest.approx(50 * per_point, abs=0.1)
    (whisker,) = intervals(root)
    assert float(whisker.get("x1")) == pytest.approx(left + 66 * per_point, abs=0.2)
    assert float(whisker.get("x2")) == pytest.approx(left + 92 * per_point, abs=0.2)
    middle = float(bar.get("y")) + float(bar.get("height")) / 2
    assert float(whisker.get("y1")) == float(whisker.get("y2")) == pytest.approx(middle)


def test_an_interval_bar_has_end_caps_at_low_and_high():
    root = rate_bars([("US MD", [(82.0, 66.0, 92.0)])])
    (whisker,) = intervals(root)
    (caps,) = [el for el in root.iter(SVG + "path") if el.get("class") == "chart-interval"]
    cap_xs = sorted(float(x) for x in re.findall(r"M([\d.]+),", caps.get("d")))
    assert cap_xs == [float(whisker.get("x1")), float(whisker.get("x2"))]


def test_an_interval_bar_title_gives_its_95_percent_interval():
    root = rate_bars([("US MD", [(82.0, 66.0, 92.5)])], series=["Passed (% of results)"])
    assert titled(root, "rect") == ["US MD · Passed (% of results): 82% (95% CI 66–92.5%)"]


def test_the_value_label_sits_right_of_the_whisker():
    root = rate_bars([("US MD", [(62.0, 40.0, 85.0)])])
    (whisker,) = intervals(root)
    (label,) = [t for t in root.iter(SVG + "text") if t.text == "62%"]
    assert float(label.get("x")) > float(whisker.get("x2")) + 2


def test_the_scale_reaches_the_top_of_every_interval():
    root = rate_bars([("US MD", [(40.0, 20.0, 90.0)])], value_max=None)
    ticks = [t.text for t in root.iter(SVG + "text")]
    assert "100%" in ticks and "60%" in ticks  # a scale up to 50 would stop at 50% and cut the whisker
    (whisker,) = intervals(root)
    hundred = max(float(g.get("x1")) for g in root.iter(SVG + "line") if g.get("class") == "chart-grid")
    assert float(whisker.get("x2")) < hundred


def test_a_hidden_value_beside_an_interval_still_draws_nothing():
    root = rate_bars([("US MD", [None, (70.0, 60.0, 79.0)]), ("DO", [None, None])], series=["Passed", "Failed"],
                     series_classes=["chart-passed", "chart-failed"])
    assert titled(root, "rect") == ["US MD · Failed: 70% (95% CI 60–79%)"]
    assert len(intervals(root)) == 1
    assert "DO" not in [t.text for t in root.iter(SVG + "text")]


def test_series_differ_by_shape_as_well_as_class():
    triangle = [(240.0, 230.0, "pending 240", 1)]
    root = outcome_scatter(series=[("Passed", [(215.0, 225.0, "passed 215", 1)], "chart-passed", "circle"),
                                   ("Failed", [(220.0, 210.0, "failed 220", 1)], "chart-failed", "square"),
                                   ("Pending", triangle, "chart-pending", "triangle")])
    assert [(c.get("class"), c.find(SVG + "title").text) for c in plotted(root, "circle")] == [
        ("chart-point chart-passed", "passed 215")]
    assert [(r.get("class"), r.find(SVG + "title").text) for r in plotted(root, "rect")] == [
        ("chart-point chart-failed", "failed 220")]
    (triangle,) = plotted(root, "polygon")
    assert triangle.get("class") == "chart-point chart-pending" and len(triangle.get("points").split()) == 3


def test_a_square_or_triangle_covers_the_area_of_the_circle_it_replaces():
    series = [(name, [(215.0 + 10 * n, 225.0, name, 1)], "chart-passed", name)
              for n, name in enumerate(("circle", "square", "triangle"))]
    root = outcome_scatter(series=series)
    circle_area = math.pi * float(plotted(root, "circle")[0].get("r")) ** 2
    square = plotted(root, "rect")[0]
    corners = [tuple(map(float, p.split(","))) for p in plotted(root, "polygon")[0].get("points").split()]
    (ax, ay), (bx, by), (cx, cy) = corners
    assert float(square.get("width")) * float(square.get("height")) == pytest.approx(circle_area, rel=0.05)
    assert abs((bx - ax) * (cy - ay) - (cx - ax) * (by - ay)) / 2 == pytest.approx(circle_area, rel=0.05)


def test_an_unknown_shape_is_refused():
    with pytest.raises(ValueError, match="hexagon"):
        outcome_scatter(series=[("Passed", [(215.0, 225.0, "p", 1)], "chart-passed", "hexagon")])


def test_the_band_is_drawn_behind_the_line_and_the_points():
    order = [el.get("class") for el in outcome_scatter().iter() if el.get("class")]
    band, fit = order.index("chart-band"), order.index("chart-fit")
    first_point = next(i for i, css in enumerate(order) if css.startswith("chart-point"))
    assert band < fit < first_point


def test_the_band_is_one_closed_path_inside_the_plot_titled_with_its_label():
    root = outcome_scatter()
    (band,) = [el for el in plotted(root, "path") if el.get("class") == "chart-band"]
    assert band.find(SVG + "title").text == "95% prediction band"
    d = band.get("d")
    assert d.startswith("M") and d.endswith("Z")
    corners = [tuple(map(float, p.split(","))) for p in re.findall(r"[\d.]+,[\d.]+", d)]
    axis = next(el for el in root.iter(SVG + "line") if el.get("class") == "chart-axis")  # the y axis
    left, top, bottom = float(axis.get("x1")), float(axis.get("y1")), float(axis.get("y2"))
    right = float(root.get("viewBox").split()[2]) - 16
    assert len(corners) == 4  # x = 190 lies left of the plot and is skipped: two x's, upper and lower edge each
    assert all(left <= x <= right and top <= y <= bottom for x, y in corners)
    assert corners[0][0] == corners[3][0] < corners[1][0] == corners[2][0]  # out along the top, back along the bottom
    assert corners[1][1] == top  # 280 is above the plot: drawn at its edge


def test_a_band_with_fewer_than_two_x_inside_the_plot_is_not_drawn():
    root = outcome_scatter(bands=[("95% prediction band", [(150.0, 100.0, 120.0), (210.0, 200.0, 230.0)])])
    assert not [el for el in root.iter(SVG + "path") if el.get("class") == "chart-band"]
    assert "95% prediction band" not in legend_marks(root)[1]


def test_a_point_with_an_interval_gets_a_whisker_from_low_to_high():
    points = [(2024.0, 88.0, "2024: 88%", 1, 80.0, 93.0), (2025.0, 86.0, "2025: 86%", 1)]
    root = ET.fromstring(str(xy_chart([("Passed", points, "chart-passed", "circle")], title="Trend",
                                      description="Pass rate by year.", x_label="Exam year", y_label="Passed (%)",
                                      x_range=(2023.5, 2025.5), y_range=(0, 100), connect=True, integer_x=True)))
    (whisker,) = intervals(root)
    point = plotted(root, "circle")[0]
    x, y = float(point.get("cx")), float(point.get("cy"))
    assert float(whisker.get("x1")) == float(whisker.get("x2")) == x
    low, high = float(whisker.get("y1")), float(whisker.get("y2"))
    assert high < y < low  # SVG y grows downwards
    assert (low - y) / (y - high) == pytest.approx((88 - 80) / (93 - 88), rel=0.03)


def test_the_legend_has_an_entry_for_each_series_the_line_and_the_band():
    marks, labels = legend_marks(outcome_scatter())
    assert labels == ["Passed", "Failed", "Fitted line", "95% prediction band"]
    assert marks == [("circle", "chart-point chart-passed"), ("rect", "chart-point chart-failed"),
                     ("line", "chart-fit"), ("rect", "chart-band")]


def test_one_series_with_its_fitted_line_has_a_legend_and_one_alone_has_none():
    one = [("Stories", [(215.0, 225.0, "p", 1)], "chart-passed", "circle")]
    assert legend_marks(outcome_scatter(series=one, bands=[]))[1] == ["Stories", "Fitted line"]
    assert legend_marks(outcome_scatter(series=one, bands=[], lines=[])) == ([], [])


def test_equal_weights_draw_equal_points_without_ids_at_one_decimal():
    points = [(200 + i * 0.37, 210 + i * 0.29, f"story {i}", 1) for i in range(150)]
    root = outcome_scatter(series=[("Stories", points, "chart-passed", "circle")])
    circles = plotted(root, "circle")
    assert len(circles) == 150 and len({c.get("r") for c in circles}) == 1
    assert not [c for c in circles if "id" in c.attrib]
    assert all(re.fullmatch(r"\d+\.\d", c.get(a)) for c in circles for a in ("cx", "cy", "r"))


def test_new_marks_carry_no_style():
    root = outcome_scatter()
    for chart in (root, rate_bars([("US MD", [(82.0, 66.0, 92.0)])])):
        assert not list(chart.iter(SVG + "style"))
        assert not [el for el in chart.iter() if "style" in el.attrib]
