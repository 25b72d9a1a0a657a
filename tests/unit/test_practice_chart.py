"""forum.practice_chart: one chart per scale, the real result at the exam month, every point labelled."""
import xml.etree.ElementTree as ET
from datetime import date

from forum.models import PracticeScore, Resource, Story
from forum.practice_chart import practice_charts

SVG = "{http://www.w3.org/2000/svg}"


def practice(name: str, score: float, taken_on: date, scale: str) -> PracticeScore:
    resource = Resource(name=name, slug=name.lower().replace(" ", "-"), kind="assessment")
    return PracticeScore(resource=resource, score=score, taken_on=taken_on, scale=scale)


def story(*scores: tuple, step="step1", exam_month=date(2023, 6, 1), outcome="passed", score=None) -> Story:
    """A story in memory (no database): the charts read only its fields and its practice scores, given as
    (assessment, score, day, scale) and made afresh, since a PracticeScore belongs to one story."""
    made = Story(step=step, exam_month=exam_month, outcome=outcome, score=score, attempt=1)
    made.practice_scores = [practice(*row) for row in scores]
    return made


NBME_30 = ("NBME CBSSA Form 30", 68, date(2023, 4, 10), "percent")
FREE_120 = ("Free 120", 74.5, date(2023, 5, 20), "percent")
UWSA_1 = ("UWSA 1", 231, date(2023, 4, 1), "three_digit")
UWSA_2 = ("UWSA 2", 245, date(2023, 5, 10), "three_digit")


def mixed() -> Story:
    """A Step 1 pass/fail story (June 2023) that used assessments of both scales, listed out of order."""
    return story(FREE_120, UWSA_2, NBME_30, UWSA_1)


def charts_of(s: Story) -> dict[str, ET.Element]:
    return {chart.scale: ET.fromstring(str(chart.svg)) for chart in practice_charts(s)}


def texts(root: ET.Element, css: str) -> list[str]:
    return [t.text for t in root.iter(SVG + "text") if css in t.get("class", "").split()]


def marks(root: ET.Element, tag: str, css: str) -> list[ET.Element]:
    """The plot's elements of this tag and class (the legend's samples of them are not marks on the plot)."""
    legend = root.find(f".//{SVG}g[@class='chart-legend']")
    in_legend = set(legend.iter()) if legend is not None and root is not legend else set()
    return [e for e in root.iter(SVG + tag) if css in e.get("class", "").split() and e not in in_legend]


def point_tips(root: ET.Element) -> list[str]:
    return [c.find(SVG + "title").text for c in marks(root, "circle", "chart-point")]


def test_a_story_without_practice_scores_has_no_chart():
    assert practice_charts(story()) == []


def test_a_story_with_both_scales_gets_one_chart_per_scale_3_digit_first():
    assert [chart.heading for chart in practice_charts(mixed())] == ["Practice scores (3-digit)",
                                                                   "Practice scores (percent correct)"]


def test_each_chart_holds_only_the_points_of_its_scale():
    drawn = charts_of(mixed())
    assert point_tips(drawn["three_digit"]) == ["UWSA 1 · 1 Apr 2023 · 231", "UWSA 2 · 10 May 2023 · 245"]
    assert point_tips(drawn["percent"]) == ["NBME CBSSA Form 30 · 10 Apr 2023 · 68%",
                                            "Free 120 · 20 May 2023 · 74.5%"]


def test_a_story_with_one_scale_gets_one_chart():
    assert [chart.scale for chart in practice_charts(story(NBME_30, FREE_120))] == ["percent"]


def test_every_point_is_labelled_with_its_value_and_unit():
    drawn = charts_of(mixed())
    assert sorted(texts(drawn["three_digit"], "chart-value")) == ["231", "245"]
    assert sorted(texts(drawn["percent"], "chart-value")) == ["68%", "74.5%"]


def test_axes_are_named_for_their_scale_and_the_percent_axis_runs_to_100():
    drawn = charts_of(mixed())
    assert "3-digit score" in texts(drawn["three_digit"], "chart-label")
    percent_labels = texts(drawn["percent"], "chart-label")
    assert "Percent correct" in percent_labels and "100" in percent_labels


def test_the_passing_standard_in_force_at_the_exam_month_is_drawn_on_the_3_digit_chart_only():
    drawn = charts_of(mixed())  # Step 1 in June 2023: pass/fail, judged against 196
    assert len(marks(drawn["three_digit"], "line", "chart-ref")) == 1
    assert "Passing standard 196" in texts(drawn["three_digit"], "chart-label")
    assert marks(drawn["percent"], "line", "chart-ref") == []
    assert not any("Passing" in text for text in texts(drawn["percent"], "chart-label"))


def test_the_real_score_is_a_labelled_diamond_at_the_exam_month_and_score():
    # A practice score on the first of the exam month with the exam's own value shares the diamond's centre.
    same_spot = ("UWSA 2", 262, date(2025, 6, 1), "three_digit")
    earlier = ("NBME CCSSA Form 11", 231, date(2025, 3, 2), "three_digit")
    root = charts_of(story(earlier, same_spot, step="step2ck", exam_month=date(2025, 6, 1), score=262))["three_digit"]
    (diamond,) = marks(root, "polygon", "chart-marker")
    corners = [tuple(float(n) for n in pair.split(",")) for pair in diamond.get("points").split()]
    centre = (sum(x for x, _ in corners) / 4, sum(y for _, y in corners) / 4)
    circle = marks(root, "circle", "chart-point")[1]
    assert centre == (float(circle.get("cx")), float(circle.get("cy")))
    assert diamond.find(SVG + "title").text == "Step 2 CK exam · June 2025 · 262"
    assert "Step 2 CK exam: 262" in texts(root, "chart-marker-label")


def test_the_exam_mark_has_its_own_legend_entry():
    root = charts_of(story(UWSA_1, step="step2ck", exam_month=date(2023, 6, 1), score=250))["three_digit"]
    legend = root.find(f".//{SVG}g[@class='chart-legend']")
    assert [t.text for t in legend.iter(SVG + "text")] == ["Practice scores", "Step 2 CK exam"]
    assert marks(legend, "polygon", "chart-marker") != []


def test_a_pass_fail_result_is_a_labelled_line_at_the_exam_month_with_no_invented_value():
    for root in charts_of(mixed()).values():
        assert marks(root, "polygon", "chart-marker") == []  # no height: the exam reported no score
        (line,) = marks(root, "line", "chart-event")
        assert line.get("x1") == line.get("x2")
        assert texts(root, "chart-marker-label") == ["Step 1 exam: passed"]


def test_the_exam_line_stands_at_the_exam_month():
    on_exam_month = ("Free 120", 80, date(2023, 6, 1), "percent")
    root = charts_of(story(NBME_30, on_exam_month))["percent"]
    (line,) = marks(root, "line", "chart-event")
    assert line.get("x1") == marks(root, "circle", "chart-point")[1].get("cx")


def test_a_3_digit_score_is_named_in_words_on_the_percent_chart_not_plotted_on_it():
    # Step 1 in 2019 was scored; Free 120 has always reported percent correct.
    free_120 = ("Free 120", 78, date(2019, 5, 2), "percent")
    root = charts_of(story(free_120, exam_month=date(2019, 6, 1), score=245))["percent"]
    assert marks(root, "polygon", "chart-marker") == []
    assert texts(root, "chart-marker-label") == ["Step 1 exam: 245 (3-digit score)"]


def test_an_awaited_result_says_so():
    root = charts_of(story(UWSA_1, outcome="pending"))["three_digit"]
    assert texts(root, "chart-marker-label") == ["Step 1 exam: awaiting result"]


def test_each_description_says_what_its_chart_draws():
    descriptions = {chart.scale: ET.fromstring(str(chart.svg)).find(SVG + "desc").text
                    for chart in practice_charts(mixed())}
    assert descriptions == {
        "three_digit": "2 practice scores on the 3-digit scale, from 1 April 2023 to 10 May 2023, ranging 231 to "
                       "245; a dashed line at 196, the Step 1 passing standard in June 2023; the Step 1 exam in "
                       "June 2023 as a vertical line labelled “Step 1 exam: passed”.",
        "percent": "2 practice scores in percent correct, from 10 April 2023 to 20 May 2023, ranging 68% to 74.5%; "
                   "no passing line, as there is no official passing standard in percent correct; the Step 1 exam "
                   "in June 2023 as a vertical line labelled “Step 1 exam: passed”.",
    }


def test_a_single_score_and_the_real_score_are_described_exactly():
    chart, = practice_charts(story(UWSA_1, step="step2ck", exam_month=date(2023, 6, 1), score=250))
    assert ET.fromstring(str(chart.svg)).find(SVG + "desc").text == (
        "1 practice score on the 3-digit scale, 231 on 1 April 2023; a dashed line at 214, the Step 2 CK passing "
        "standard in June 2023; the Step 2 CK exam score, 250, as a diamond at June 2023.")


def test_the_table_lists_each_score_with_its_unit_and_the_exam():
    three_digit, percent = practice_charts(mixed())
    assert three_digit.rows == [("UWSA 1", date(2023, 4, 1), "231"), ("UWSA 2", date(2023, 5, 10), "245")]
    assert percent.rows == [("NBME CBSSA Form 30", date(2023, 4, 10), "68%"),
                            ("Free 120", date(2023, 5, 20), "74.5%")]
    assert percent.exam == ("Step 1 exam", date(2023, 6, 1), "passed")
