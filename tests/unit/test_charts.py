"""forum.charts: well-formed, accessible SVG with no inline style, every mark inside the picture."""
import xml.etree.ElementTree as ET
from datetime import date

import pytest
from markupsafe import Markup

from forum.charts import Marker, line_chart

SVG = "{http://www.w3.org/2000/svg}"
NBME = ("NBME 30", [(date(2025, 3, 2), 205.0), (date(2025, 4, 12), 221.0), (date(2025, 5, 12), 231.0)])
UWSA = ("UWSA 2", [(date(2025, 3, 20), 215.0), (date(2025, 5, 20), 245.0)])


def chart(series=(NBME,), **overrides) -> Markup:
    arguments = {"title": "Practice scores", "description": "Three NBME forms over ten weeks.",
                 "y_min": 180, "y_max": 280, "y_label": "Score"} | overrides
    return line_chart(list(series), **arguments)


def parse(svg: Markup) -> ET.Element:
    return ET.fromstring(str(svg))


def all_of(root: ET.Element, tag: str) -> list[ET.Element]:
    return list(root.iter(SVG + tag))


def classes(element: ET.Element) -> set[str]:
    return set(element.get("class", "").split())


def view_box(root: ET.Element) -> tuple[float, float, float, float]:
    x, y, width, height = (float(n) for n in root.get("viewBox").split())
    return x, y, x + width, y + height


def test_returns_markup_holding_one_svg_element():
    svg = chart()
    assert isinstance(svg, Markup)
    assert parse(svg).tag == SVG + "svg"


def test_svg_is_an_image_labelled_by_its_own_title_and_desc():
    root = parse(chart())
    title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
    assert root.get("role") == "img"
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert (title.text, desc.text) == ("Practice scores", "Three NBME forms over ten weeks.")


def test_different_charts_get_different_ids():
    first, second = parse(chart()), parse(chart(title="Other"))
    assert first.get("aria-labelledby") != second.get("aria-labelledby")


def test_output_is_deterministic():
    assert chart(series=(NBME, UWSA)) == chart(series=(NBME, UWSA))


def test_one_circle_per_point():
    root = parse(chart(series=(NBME, UWSA)))
    assert len(all_of(root, "circle")) == len(NBME[1]) + len(UWSA[1])


def test_one_polyline_per_series():
    lines = all_of(parse(chart(series=(NBME, UWSA))), "polyline")
    assert [sorted(classes(line)) for line in lines] == [["chart-line", "chart-series-1"],
                                                         ["chart-line", "chart-series-2"]]


def test_each_point_has_a_tooltip_with_name_date_and_value():
    circles = all_of(parse(chart()), "circle")
    assert circles[2].find(SVG + "title").text == "NBME 30 · 12 May 2025 · 231"


def test_fractional_values_keep_their_decimals():
    root = parse(chart(series=[("Form", [(date(2025, 1, 5), 71.25)])], y_min=0, y_max=100))
    assert root.find(f".//{SVG}circle/{SVG}title").text == "Form · 5 Jan 2025 · 71.25"


def test_no_style_attribute_or_element_anywhere():
    root = parse(chart(series=(NBME, UWSA), reference=(196, "Passing 196")))
    assert [e.tag for e in root.iter() if "style" in e.attrib or e.tag == SVG + "style"] == []


def test_every_element_is_styled_by_class_only():
    root = parse(chart(series=(NBME, UWSA), reference=(196, "Passing 196")))
    used = set().union(*(classes(e) for e in root.iter()))
    assert used <= {"chart", "chart-axis", "chart-grid", "chart-line", "chart-point", "chart-ref", "chart-label",
                    "chart-legend", "chart-series-1", "chart-series-2"}
    assert {"chart-axis", "chart-grid", "chart-line", "chart-point", "chart-ref", "chart-label"} <= used


def assert_drawn_inside(root):
    """Every coordinate of every shape lies inside the SVG's view box."""
    left, top, right, bottom = view_box(root)
    for element in root.iter():
        for name in ("x", "x1", "x2", "cx"):
            if name in element.attrib:
                assert left <= float(element.get(name)) <= right, (element.tag, element.attrib)
        for name in ("y", "y1", "y2", "cy"):
            if name in element.attrib:
                assert top <= float(element.get(name)) <= bottom, (element.tag, element.attrib)
        for pair in element.get("points", "").split():
            x, y = (float(n) for n in pair.split(","))
            assert left <= x <= right and top <= y <= bottom


def test_coordinates_stay_inside_the_view_box():
    root = parse(chart(series=(NBME, UWSA), reference=(196, "Passing 196")))
    assert_drawn_inside(root)


def test_values_outside_the_range_are_drawn_at_its_edge():
    root = parse(chart(series=[("Form", [(date(2025, 1, 1), 100.0), (date(2025, 2, 1), 400.0)])]))
    low, high = all_of(root, "circle")
    grid = [float(line.get("y1")) for line in root.find(f".//{SVG}g[@class='chart-grid']")]  # 180 .. 280
    assert (float(low.get("cy")), float(high.get("cy"))) == (max(grid), min(grid))
    assert low.find(SVG + "title").text.endswith("· 100")  # the tooltip keeps the real value


def test_series_name_is_escaped():
    svg = chart(series=[("<script>alert(1)</script>", NBME[1]), UWSA])
    assert "<script>" not in str(svg)
    assert "&lt;script&gt;" in str(svg)
    assert all_of(parse(svg), "script") == []
    assert "<script>alert(1)</script> · 2 Mar 2025 · 205" in [t.text for t in all_of(parse(svg), "title")]


def test_title_description_labels_and_reference_are_escaped():
    svg = str(chart(title='"><b>', description="a & b", y_label="<y>", reference=(196, "<pass>")))
    for raw in ('"><b>', "a & b", "<y>", "<pass>"):
        assert raw not in svg
    root = ET.fromstring(svg)
    assert root.find(SVG + "desc").text == "a & b"


def test_control_characters_in_names_keep_the_svg_well_formed():
    parse(chart(series=[("bad\x00\x01name\ud800", NBME[1])]))


def test_empty_series_says_no_data():
    root = parse(chart(series=[]))
    assert [t.text for t in all_of(root, "text")] == ["No data"]
    assert root.find(SVG + "title").text == "Practice scores"
    assert all_of(root, "circle") == []


def test_series_without_points_say_no_data():
    root = parse(chart(series=[("NBME 30", []), ("UWSA 2", [])]))
    assert [t.text for t in all_of(root, "text")] == ["No data"]


def test_a_single_point_is_drawn_without_a_line():
    root = parse(chart(series=[("Free 120", [(date(2025, 6, 1), 230.0)])]))
    assert len(all_of(root, "circle")) == 1
    assert all_of(root, "polyline") == []
    assert "1 Jun 2025" in [t.text for t in all_of(root, "text")]


def test_points_on_one_date_share_the_middle_of_the_plot():
    same_day = [(date(2025, 6, 1), 210.0), (date(2025, 6, 1), 230.0)]
    root = parse(chart(series=[("Form", same_day)]))
    xs = {c.get("cx") for c in all_of(root, "circle")}
    left, _, right, _ = view_box(root)
    assert len(xs) == 1 and left < float(xs.pop()) < right


def test_dates_are_labelled_by_month():
    labels = [t.text for t in all_of(parse(chart(series=(NBME, UWSA))), "text")]
    assert {"Apr 2025", "May"} <= set(labels)


def test_new_year_months_carry_the_year():
    series = [("Form", [(date(2025, 11, 15), 200.0), (date(2026, 2, 15), 220.0)])]
    labels = [t.text for t in all_of(parse(chart(series=series)), "text")]
    assert {"Dec 2025", "Jan 2026", "Feb"} <= set(labels)


def test_long_ranges_thin_their_month_labels():
    series = [("Form", [(date(2020, 1, 1), 200.0), (date(2025, 1, 1), 220.0)])]
    months = [t for t in all_of(parse(chart(series=series)), "text") if t.text[:3] in ("Jan", "Feb", "Mar", "Jul")]
    assert 2 <= len(months) <= 10


def test_y_axis_has_round_ticks():
    labels = [t.text for t in all_of(parse(chart()), "text")]
    assert {"180", "200", "220", "240", "260", "280"} <= set(labels)


def test_reference_line_is_drawn_and_labelled():
    root = parse(chart(reference=(196, "Passing standard 196")))
    assert len([e for e in all_of(root, "line") if "chart-ref" in classes(e)]) == 1
    assert "Passing standard 196" in [t.text for t in all_of(root, "text")]


def test_reference_outside_the_range_is_left_out():
    root = parse(chart(reference=(100, "Too low")))
    assert [e for e in all_of(root, "line") if "chart-ref" in classes(e)] == []


def test_legend_only_with_more_than_one_series():
    assert parse(chart()).find(f".//{SVG}g[@class='chart-legend']") is None
    legend = parse(chart(series=(NBME, UWSA))).find(f".//{SVG}g[@class='chart-legend']")
    assert [t.text for t in legend.iter(SVG + "text")] == ["NBME 30", "UWSA 2"]


def test_a_long_legend_wraps_inside_the_view_box():
    many = [(f"Practice form number {n}", [(date(2025, 1, n), 200.0 + n)]) for n in range(1, 9)]
    root = parse(chart(series=many))
    left, top, right, bottom = view_box(root)
    legend_texts = list(root.find(f".//{SVG}g[@class='chart-legend']").iter(SVG + "text"))
    assert len({t.get("y") for t in legend_texts}) > 1
    for text in legend_texts:
        assert left <= float(text.get("x")) and float(text.get("x")) + 7 * len(text.text) <= right


def test_series_classes_cycle_after_six():
    many = [(f"F{n}", [(date(2025, 1, n), 200.0)]) for n in range(1, 9)]
    groups = [g for g in all_of(parse(chart(series=many)), "g") if any(c.startswith("chart-series") for c in
                                                                           classes(g))]
    assert [g.get("class") for g in groups][6:] == ["chart-series-1", "chart-series-2"]


def test_points_that_are_not_numbers_are_left_out():
    root = parse(chart(series=[("Form", [(date(2025, 1, 1), float("nan")), (date(2025, 2, 1), 220.0)])]))
    assert len(all_of(root, "circle")) == 1


def test_an_empty_y_range_does_not_break_the_chart():
    root = parse(chart(y_min=200, y_max=200))
    assert len(all_of(root, "circle")) == 3


def test_a_legend_too_long_for_the_height_makes_the_chart_taller():
    many = [(f"Practice form number {n}", [(date(2025, 1, n), 200.0 + n)]) for n in range(1, 31)]
    root = parse(chart(series=many))
    _, top, _, bottom = view_box(root)
    assert bottom > 260
    grid = [float(line.get("y1")) for line in root.find(f".//{SVG}g[@class='chart-grid']")]
    legend_ys = [float(t.get("y")) for t in root.find(f".//{SVG}g[@class='chart-legend']").iter(SVG + "text")]
    assert max(legend_ys) < min(grid) and max(grid) <= bottom


# Value labels and the marker (the real exam result among practice scores): asked for, never drawn by default.
EXAM = Marker(day=date(2025, 6, 1), value=262.0, label="Step 2 CK exam: 262", legend="Step 2 CK exam",
              tip="Step 2 CK exam · June 2025 · 262")
PASSED = Marker(day=date(2025, 6, 1), label="Step 1 exam: passed", legend="Step 1 exam")


def values_of(root: ET.Element) -> list[ET.Element]:
    return [t for t in all_of(root, "text") if "chart-value" in classes(t)]


def outside_legend(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    legend = root.find(f".//{SVG}g[@class='chart-legend']")
    skip = set(legend.iter()) if legend is not None else set()
    return [e for e in all_of(root, tag) if css in classes(e) and e not in skip]


def test_values_are_written_only_when_asked():
    assert values_of(parse(chart())) == []
    assert [t.text for t in values_of(parse(chart(value_labels=True)))] == ["205", "221", "231"]


def test_values_and_tooltips_carry_the_unit():
    root = parse(chart(series=[("Free 120", [(date(2025, 1, 5), 68.0)])], y_min=0, y_max=100, unit="%",
                       value_labels=True))
    assert [t.text for t in values_of(root)] == ["68%"]
    assert root.find(f".//{SVG}circle/{SVG}title").text == "Free 120 · 5 Jan 2025 · 68%"


def test_a_point_may_name_itself_in_its_tooltip():
    root = parse(chart(series=[("Practice scores", [(date(2025, 1, 5), 231.0, "NBME CCSSA Form 11")])]))
    assert root.find(f".//{SVG}circle/{SVG}title").text == "NBME CCSSA Form 11 · 5 Jan 2025 · 231"


def label_box(text: ET.Element) -> tuple[float, float, float, float]:
    x, y, width = float(text.get("x")), float(text.get("y")), 7 * len(text.text)
    left = {"start": x, "middle": x - width / 2, "end": x - width}[text.get("text-anchor", "start")]
    return left, y - 10, left + width, y + 2


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_values_of_close_points_do_not_print_over_each_other():
    crowded = [(date(2025, 3, 1), 230.0), (date(2025, 3, 1), 232.0), (date(2025, 3, 2), 231.0),
               (date(2025, 6, 1), 250.0)]
    boxes = [label_box(t) for t in values_of(parse(chart(series=[("Form", crowded)], value_labels=True)))]
    assert len(boxes) == 4
    assert [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if overlap(a, b)] == []


def test_a_value_beside_the_marker_does_not_print_over_its_label():
    near = [(date(2025, 5, 1), 240.0), (date(2025, 6, 1), 258.0)]
    root = parse(chart(series=[("Form", near)], marker=EXAM, value_labels=True))
    (marker_label,) = [t for t in all_of(root, "text") if "chart-marker-label" in classes(t)]
    assert not any(overlap(label_box(marker_label), label_box(t)) for t in values_of(root))


def test_a_marker_with_a_value_is_a_diamond_with_its_tooltip_and_label():
    root = parse(chart(marker=EXAM, y_max=280))
    (diamond,) = outside_legend(root, "polygon", "chart-marker")
    assert len(diamond.get("points").split()) == 4
    assert diamond.find(SVG + "title").text == "Step 2 CK exam · June 2025 · 262"
    assert "Step 2 CK exam: 262" in [t.text for t in all_of(root, "text") if "chart-marker-label" in classes(t)]
    assert all_of(root, "circle") and not outside_legend(root, "circle", "chart-marker")  # not one more dot


def test_the_marker_stretches_the_dates_to_its_day():
    root = parse(chart(marker=EXAM, y_max=280))
    (diamond,) = outside_legend(root, "polygon", "chart-marker")
    diamond_x = float(diamond.get("points").split()[0].split(",")[0])
    assert diamond_x > max(float(c.get("cx")) for c in all_of(root, "circle"))
    assert "Jun" in [t.text for t in all_of(root, "text")]


def test_a_marker_without_a_value_is_a_line_across_the_whole_plot():
    root = parse(chart(marker=PASSED))
    (line,) = outside_legend(root, "line", "chart-event")
    grid = [float(g.get("y1")) for g in root.find(f".//{SVG}g[@class='chart-grid']")]
    assert line.get("x1") == line.get("x2")
    assert (float(line.get("y1")), float(line.get("y2"))) == (min(grid), max(grid))
    assert line.find(SVG + "title").text == "Step 1 exam: passed"
    assert outside_legend(root, "polygon", "chart-marker") == []


def test_the_marker_has_a_legend_entry_beside_a_single_series():
    legend = parse(chart(marker=EXAM, y_max=280)).find(f".//{SVG}g[@class='chart-legend']")
    assert [t.text for t in legend.iter(SVG + "text")] == ["NBME 30", "Step 2 CK exam"]
    assert [classes(e) for e in legend if e.tag == SVG + "polygon"] == [{"chart-marker"}]


def test_a_marker_alone_is_still_no_data():
    root = parse(chart(series=[], marker=EXAM))
    assert [t.text for t in all_of(root, "text")] == ["No data"]


def test_marker_text_is_escaped():
    marker = Marker(day=date(2025, 6, 1), label="<b>exam</b>", legend="<i>", tip="a & b")
    svg = str(chart(marker=marker))
    assert "<b>" not in svg and "<i>" not in svg and "a & b" not in svg
    parse(chart(marker=marker))


@pytest.mark.parametrize("marker", [EXAM, PASSED], ids=["diamond", "line"])
def test_labels_and_marks_are_styled_by_class_only_and_stay_in_the_picture(marker):
    root = parse(chart(series=(NBME, UWSA), reference=(196, "Passing 196"), marker=marker, value_labels=True,
                       y_max=280))
    assert [e.tag for e in root.iter() if "style" in e.attrib or e.tag == SVG + "style"] == []
    used = set().union(*(classes(e) for e in root.iter()))
    assert used <= {"chart", "chart-axis", "chart-grid", "chart-line", "chart-point", "chart-ref", "chart-label",
                    "chart-legend", "chart-series-1", "chart-series-2", "chart-values", "chart-value",
                    "chart-marker", "chart-event", "chart-marker-label"}
    left, top, right, bottom = view_box(root)
    assert_drawn_inside(root)
    for text in all_of(root, "text"):
        if text.get("transform") is None:  # the rotated y-axis label runs up the left edge
            box = label_box(text)
            assert left <= box[0] and box[2] <= right, text.text
