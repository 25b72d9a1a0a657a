"""forum.insight_charts bar_chart and xy_chart: well-formed, accessible SVG, no inline style, numbers as given."""
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
