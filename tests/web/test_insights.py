"""/insights, its CSV and the panels: figures equal hand counts on a fixed dataset; every count is shown, and a
rate or median only for 10 or more stories, with its interval.

The fixed dataset (Step 2 CK, every outcome known):
- IMG, exams last year: 20 passed (scores 230-249, 4 weeks, UWorld, UWSA 2), 10 failed (200-209, 10 weeks, UWorld)
- US MD, exams two years ago: 15 passed (250, 6 weeks; 5 UWorld, 10 AMBOSS), 10 failed (205, 8 weeks; 5 AMBOSS)
- deleted and removed stories that must not count.
"""
import csv
import io
import re
import statistics
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from forum.extensions import db
from forum.insights import data
from forum.models import PracticeScore, utcnow
from tests.builders import QueryCounter, make_resource, make_story, make_user

SVG = "{http://www.w3.org/2000/svg}"
THIS_YEAR = utcnow().year
LAST_YEAR, TWO_YEARS_AGO = THIS_YEAR - 1, THIS_YEAR - 2
COUNT_MEASURES = {"Stories", "Passed", "Failed", "Awaiting result", "Passed and used it", "Failed and used it",
                  "Stories with a score"}


def practice(story, resource, score, taken_on):
    db.session.add(PracticeScore(story_id=story.id, resource_id=resource.id, score=score, taken_on=taken_on))
    db.session.commit()


@pytest.fixture
def dataset(app):
    uworld = make_resource("UWorld Step 2 CK QBank", slug="uworld-ck", steps=("step2ck",))
    amboss = make_resource("AMBOSS QBank", slug="amboss", steps=("step2ck",))
    uwsa = make_resource("UWSA 2", slug="uwsa-2", kind="self-assessment", steps=("step2ck",), scale="three_digit")
    img, md = make_user(background="img"), make_user(background="us_md")
    month, earlier = date(LAST_YEAR, 6, 1), date(TWO_YEARS_AGO, 6, 1)
    points = []
    for i in range(20):
        story = make_story(img, step="step2ck", exam_month=month, outcome="passed", score=230 + i, prep_weeks=4,
                           resources=[uworld, uwsa])
        # The first ten sit in one 10-point cell (practice 220-229, real 230-239); the rest scatter.
        x = 220 + i if i < 10 else 223 + i
        practice(story, uwsa, x, month - timedelta(days=10))
        practice(story, uwsa, 150, month - timedelta(days=60))  # an earlier try: only the latest counts
        points.append((x, 230 + i))
    for i in range(10):
        make_story(img, step="step2ck", exam_month=month, outcome="failed", score=200 + i, prep_weeks=10,
                   resources=[uworld])
    for i in range(15):
        make_story(md, step="step2ck", exam_month=earlier, outcome="passed", score=250, prep_weeks=6,
                   resources=[uworld] if i < 5 else [amboss])
    for i in range(10):
        make_story(md, step="step2ck", exam_month=earlier, outcome="failed", score=205, prep_weeks=8,
                   resources=[amboss] if i < 5 else [])
    for status in ("deleted", "removed"):
        for _ in range(6):
            story = make_story(img, step="step2ck", exam_month=month, outcome="failed", score=180, prep_weeks=50,
                               resources=[uworld, amboss, uwsa], status=status)
            practice(story, uwsa, 290, month - timedelta(days=5))
    return {"points": points}


def test_outcomes_equal_the_hand_counts(dataset):
    ins = data.compute("step2ck")
    assert (ins.outcomes.total, ins.outcomes.passed, ins.outcomes.failed, ins.outcomes.pending) == (55, 35, 20, 0)
    rows = {row.label: row.outcomes for row in ins.by_background}
    assert set(rows) == {"IMG", "US MD"}
    assert (rows["IMG"].total, rows["IMG"].passed, rows["IMG"].failed, rows["IMG"].pending) == (30, 20, 10, 0)
    assert (rows["US MD"].total, rows["US MD"].passed, rows["US MD"].failed) == (25, 15, 10)
    assert round(rows["IMG"].pass_rate.value) == 67 and rows["US MD"].pass_rate.value == 60
    assert (rows["US MD"].pass_rate.part, rows["US MD"].pass_rate.n) == (15, 25)
    assert ins.outcomes.pass_rate.low < 100 * 35 / 55 < ins.outcomes.pass_rate.high


def test_resources_by_outcome_equal_the_hand_counts(dataset):
    ins = data.compute("step2ck")
    uworld, amboss = ins.resource("uworld-ck"), ins.resource("amboss")
    assert (uworld.passed, uworld.failed) == (25, 10)
    assert (amboss.passed, amboss.failed) == (10, 5)  # every count is shown, small ones too
    assert (ins.resource("uwsa-2").passed, ins.resource("uwsa-2").failed) == (20, 0)


def test_prep_medians_and_quartiles_equal_the_hand_figures(dataset):
    prep = {row.group: row.spread for row in data.compute("step2ck").prep}
    assert (prep["all"].n, prep["all"].median, prep["all"].q1, prep["all"].q3) == (55, 6, 4, 8)
    assert (prep["passed"].n, prep["passed"].median, prep["passed"].q1, prep["passed"].q3) == (35, 4, 4, 6)
    assert (prep["failed"].n, prep["failed"].median, prep["failed"].q1, prep["failed"].q3) == (20, 9, 8, 10)
    # The median's interval: order statistics 6 and 15 of the 20 (10, 10, 10, 10, 10, 8 x 10): 8 to 10.
    assert (prep["failed"].median_low, prep["failed"].median_high) == (8, 10)


def test_score_distribution_equals_the_hand_figures(dataset):
    ins = data.compute("step2ck")
    assert (ins.scores.n, ins.scores.median, ins.scores.q1, ins.scores.q3) == (55, 237, 205, 250)
    assert [(b.low, b.high, b.count) for b in ins.score_bins] == [(200, 209, 20), (230, 239, 10), (240, 249, 10),
                                                                  (250, 259, 15)]


def test_trend_by_exam_year_equals_the_hand_figures(dataset):
    trend = {row.year: row for row in data.compute("step2ck").trend}
    assert sorted(trend) == [TWO_YEARS_AGO, LAST_YEAR]
    assert (trend[LAST_YEAR].outcomes.total, trend[LAST_YEAR].outcomes.passed, trend[LAST_YEAR].scores.median) == \
        (30, 20, 234.5)
    assert (trend[TWO_YEARS_AGO].outcomes.failed, trend[TWO_YEARS_AGO].scores.median) == (10, 250)


def test_practice_fit_uses_the_latest_score_per_story_and_equals_least_squares(dataset):
    row = data.compute("step2ck").practice_fit("uwsa-2")
    xs, ys = [x for x, _ in dataset["points"]], [y for _, y in dataset["points"]]
    slope, intercept = statistics.linear_regression(xs, ys)
    assert row.fit.n == 20
    assert row.fit.slope == pytest.approx(slope)
    assert row.fit.intercept == pytest.approx(intercept)
    assert row.fit.r == pytest.approx(statistics.correlation(xs, ys))
    residuals = [y - (intercept + slope * x) for x, y in dataset["points"]]
    assert row.fit.residual_sd == pytest.approx((sum(r * r for r in residuals) / 18) ** 0.5)
    # Each story is a point of its own, at its latest score (the earlier 150s are not there).
    assert sorted((p.x, p.y) for p in row.points) == sorted(dataset["points"])
    assert row.n == 20 and not row.sampled
    assert (row.days.n, row.days.median) == (20, (date(LAST_YEAR, 6, 15) - date(LAST_YEAR, 5, 22)).days)


def test_practice_uses_only_the_last_three_exam_years(dataset):
    ins = data.compute("step2ck", today=date(THIS_YEAR + 2, 1, 1))  # last year is now three years back
    assert ins.practice == () and ins.calibrated == ()
    assert ins.practice_years == (THIS_YEAR, THIS_YEAR + 2)


def test_filters_narrow_every_figure(dataset):
    ins = data.compute("step2ck", background="us_md")
    assert (ins.outcomes.total, ins.outcomes.passed, ins.outcomes.failed) == (25, 15, 10)
    assert [row.year for row in ins.trend] == [TWO_YEARS_AGO]
    ins = data.compute("step2ck", year=LAST_YEAR)
    assert (ins.outcomes.total, ins.scores.median) == (30, 234.5)
    assert data.compute("step2ck", year=THIS_YEAR).shown is False


def test_deleted_and_removed_stories_do_not_count(dataset):
    ins = data.compute("step2ck")
    assert ins.outcomes.total == 55
    assert ins.scores.n == 55 and min(b.low for b in ins.score_bins) == 200  # the 180s were all removed or deleted
    assert ins.practice_fit("uwsa-2").fit.n == 20


def test_step1_scores_count_only_where_step1_reported_one(app):
    author = make_user(background="img")
    for month, n in ((date(2021, 12, 1), 10), (date(2022, 1, 1), 1), (date(2022, 2, 1), 5)):
        for _ in range(n):
            make_story(author, step="step1", exam_month=month, outcome="passed", score=230)
    assert data.compute("step1").scores.n == 11  # January 2022 could be scored; February could not


def test_step2cs_has_no_scores_to_show(app):
    author = make_user()
    for _ in range(12):
        make_story(author, step="step2cs", exam_month=date(2019, 5, 1), outcome="passed", score=None)
    ins = data.compute("step2cs")
    assert ins.shown and not ins.scored and ins.scores is None


# --- the disclosure rule: every count, and a rate only from 10 ------------------------------------------------

@pytest.fixture
def nine_and_ten(app):
    """IMG: 7 passed and 3 failed (10 results); US DO: 6 passed and 3 failed (9 results); Kaplan used by 3 who
    failed and 4 who passed."""
    kaplan = make_resource("Kaplan QBank", slug="kaplan", steps=("step2ck",))
    img, do = make_user(background="img"), make_user(background="us_do")
    month = date(LAST_YEAR, 3, 1)
    for i in range(7):
        make_story(img, step="step2ck", exam_month=month, outcome="passed", score=240 + i % 5, prep_weeks=5)
    for _ in range(3):
        make_story(img, step="step2ck", exam_month=month, outcome="failed", score=201, prep_weeks=3,
                   resources=[kaplan])
    for i in range(6):
        make_story(do, step="step2ck", exam_month=month, outcome="passed", score=281, prep_weeks=7,
                   resources=[kaplan] if i < 4 else [])
    for _ in range(3):
        make_story(do, step="step2ck", exam_month=month, outcome="failed", score=205, prep_weeks=9)


def test_every_count_is_shown_and_a_rate_needs_ten_stories(nine_and_ten):
    ins = data.compute("step2ck")
    rows = {row.label: row.outcomes for row in ins.by_background}
    assert (rows["IMG"].passed, rows["IMG"].failed, rows["US DO"].passed, rows["US DO"].failed) == (7, 3, 6, 3)
    assert rows["IMG"].pass_rate.value == 70 and rows["IMG"].pass_rate.n == 10
    assert rows["US DO"].pass_rate is None  # 9 results
    assert (ins.resource("kaplan").passed, ins.resource("kaplan").failed) == (4, 3)
    prep = {row.group: row for row in ins.prep}
    assert (prep["failed"].n, prep["failed"].spread) == (6, None) and prep["all"].spread.n == 19
    ins = data.compute("step2ck", background="us_do")
    assert ins.shown and ins.outcomes.total == 9 and ins.outcomes.pass_rate is None and ins.scores is None


def test_a_rate_from_fewer_than_ten_says_so_and_is_never_drawn(client, nine_and_ten):
    html = client.get("/insights?step=step2ck").get_data(as_text=True)
    outcomes = html[html.index('id="outcomes"'):html.index('id="resources"')]
    cells = table_cells(outcomes)
    assert ("Passed (% of results)", "70") in cells and ("95% interval", "40–89%") in cells
    assert ("Passed (% of results)", "fewer than 10 stories") in cells  # US DO's row
    assert ("Passed", "6") in cells and ("Failed", "3") in cells  # its counts are shown
    bars = [rect.find(SVG + "title").text for rect in svgs(outcomes)[0].iter(SVG + "rect")
            if rect.find(SVG + "title") is not None]
    assert bars == ["IMG · Passed (% of those with a result): 70% (95% CI 40–89%)"]  # no bar for US DO, not even 0
    assert "No bar for US DO" in outcomes
    resources = html[html.index('id="resources"'):html.index('id="prep"')]
    assert ("Failed and used it", "3") in table_cells(resources)
    assert not [rect for rect in svgs(resources)[0].iter(SVG + "rect")
                if "failed" in (rect.get("class") or "") and rect.find(SVG + "title") is not None]  # only the legend


def test_nine_stories_show_their_counts_and_no_rate(client, nine_and_ten):
    html = client.get("/insights?step=step2ck&background=us_do").get_data(as_text=True)
    assert "Of 9 Step 2 CK stories from US DO candidates, 6 passed and 3 failed; 9 with a result" in html
    assert "fewer than 10, too few for a pass rate" in html
    assert "%" not in "".join(sentences(html)).replace("100%", "")
    rows = list(csv.DictReader(io.StringIO(
        client.get("/insights.csv?step=step2ck&background=us_do").get_data(as_text=True))))
    assert {"chart": "outcomes", "group": "all", "measure": "Passed", "value": "6"} in rows
    assert {"chart": "outcomes", "group": "all", "measure": "Passed (% of results)", "value": ""} in rows


def test_an_empty_selection_says_so(client, nine_and_ten):
    html = client.get(f"/insights?step=step2ck&year={THIS_YEAR - 5}").get_data(as_text=True)
    assert f"There are no Step 2 CK stories with exams in {THIS_YEAR - 5} yet." in html
    assert "<svg" not in html


def table_cells(html):
    """Every (column header, cell text) of every insights table on a page."""
    cells = []
    for table in re.findall(r'<table class="insight-table">.*?</table>', html, re.S):
        headers = re.findall(r'<th scope="col">(.*?)</th>', table)
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]:
            values = re.findall(r"<t[hd][^>]*>(?:<a [^>]*>)?(.*?)(?:</a>)?</t[hd]>", row)
            cells += list(zip(headers, values, strict=True))
    return cells


def sentences(html):
    return re.findall(r'<p class="insight-sentence">(.*?)</p>', html, re.S)


# --- the page, the SVG and the CSV --------------------------------------------------------------------------

def svgs(html):
    return [ET.fromstring(svg) for svg in re.findall(r"<svg .*?</svg>", html, re.S)]


def test_page_shows_each_figure_with_a_sentence_a_chart_and_its_table(client, dataset):
    response = client.get("/insights?step=step2ck")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for key in ("outcomes", "resources", "prep", "scores", "practice", "practice-uwsa-2", "trend"):
        assert f'id="{key}"' in html
    assert ("Of 55 Step 2 CK stories, 35 passed and 20 failed: 64% (95% CI 50–75%) of those with a result "
            "passed.") in html
    assert "Self-reported" in html
    assert 'style="' not in html and "<style" not in html


def test_every_svg_parses_and_is_labelled_by_its_title_and_desc(client, dataset):
    roots = svgs(client.get("/insights?step=step2ck").get_data(as_text=True))
    assert len(roots) == 6  # outcomes, resources, prep, scores, the UWSA 2 scatter, the trend
    for root in roots:
        title, desc = root.find(SVG + "title"), root.find(SVG + "desc")
        assert title is not None and desc is not None and "Self-reported" in desc.text
        assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]


def test_bars_show_the_numbers_in_the_table(client, dataset):
    html = client.get("/insights?step=step2ck").get_data(as_text=True)
    outcomes = html[html.index('id="outcomes"'):html.index('id="resources"')]
    bars = {rect.find(SVG + "title").text for rect in svgs(outcomes)[0].iter(SVG + "rect")
            if rect.find(SVG + "title") is not None}
    expected, background, rate = set(), None, None
    for header, value in table_cells(outcomes):
        if header == "Background":
            background = value
        elif header == "Passed (% of results)":
            rate = value
        elif header == "95% interval":
            expected.add(f"{background} · Passed (% of those with a result): {rate}% (95% CI {value})")
    assert bars == expected
    assert "IMG · Passed (% of those with a result): 67% (95% CI 49–81%)" in bars


def test_every_story_is_a_point_of_the_scatter_with_the_line_and_its_band(client, dataset):
    html = client.get("/insights?step=step2ck&assessment=uwsa-2").get_data(as_text=True)
    section = html[html.index('id="practice-uwsa-2"'):html.index('id="trend"')]
    root = svgs(section)[0]
    points = [c.find(SVG + "title").text for c in root.iter(SVG + "circle") if c.find(SVG + "title") is not None]
    assert sorted(points) == sorted(f"UWSA 2 {x} · Step 2 CK {y} (passed)" for x, y in dataset["points"])
    assert [p for p in root.iter(SVG + "path") if "chart-band" in (p.get("class") or "")]
    assert [line for line in root.iter(SVG + "line") if "chart-fit" in (line.get("class") or "")]
    assert ("Stories", "20") in [(label, value) for label, value in
                                 re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", section)]
    assert len([cell for cell in table_cells(section) if cell[0] == "Outcome"]) == 20


def test_csv_is_an_attachment_holding_the_table_figures(client, dataset):
    response = client.get("/insights.csv?step=step2ck&background=img")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="insights-step2ck-img.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert {"chart": "outcomes", "group": "IMG", "measure": "Passed", "value": "20"} in rows
    assert {"chart": "resources", "group": "UWorld Step 2 CK QBank", "measure": "% of failed", "value": "100"} in rows
    rows = list(csv.DictReader(io.StringIO(client.get("/insights.csv?step=step2ck").get_data(as_text=True))))
    assert {"chart": "resources", "group": "UWorld Step 2 CK QBank", "measure": "Failed and used it",
            "value": "10"} in rows
    assert {"chart": "practice-uwsa-2", "group": "all", "measure": "Stories", "value": "20"} in rows
    assert {row["chart"] for row in rows if row["measure"] == "note"} >= {"outcomes", "trend"}


def test_step_hub_and_resource_page_show_the_panel(client, dataset):
    hub = client.get("/steps/step-2-ck").get_data(as_text=True)
    assert "What the stories say" in hub and "Of 55 Step 2 CK stories" in hub
    resource = client.get("/resources/uworld-ck").get_data(as_text=True)
    assert ("Among 35 Step 2 CK stories with a result that used UWorld Step 2 CK QBank, 25 passed: 71% (95% CI "
            "55–84%).") in resource
    assessment = client.get("/resources/uwsa-2").get_data(as_text=True)
    assert "UWSA 2 against the real score" in assessment
    for html, title in ((hub, "Step 2 CK stories"), (resource, "UWorld Step 2 CK QBank"), (assessment, "UWSA 2")):
        head, body = html.split("</head>")
        assert "<title>" + title + " · Step Stories</title>" in head and "insights-panel" not in head
        main = body[body.index("<main"):body.index("</main>")]
        assert html.count('id="insights-panel-heading"') == 1 and 'id="insights-panel-heading"' in main


def test_nav_links_to_insights(client):
    assert 'href="/insights"' in client.get("/").get_data(as_text=True)


# --- filters --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("query", "field_message"), [
    ("step=step9", "Choose Step 1, Step 2 CK, Step 2 CS or Step 3."),
    ("background=martian", "Choose US MD, US DO, IMG, Other or every background."),
    ("year=1800", "Choose an exam year from 1992"),
    ("year=abc", "Choose an exam year from 1992"),
    (f"year={THIS_YEAR + 1}", "Choose an exam year from 1992"),
    ("year=2020.5", "Choose an exam year from 1992"),
    ("assessment=Not%20a%20slug", "Not a self-assessment"),
    ("step=" + "x" * 5000, "Choose Step 1"),
    ("background=%E2%80%AEimg", "Choose US MD"),
])
def test_a_bad_filter_is_a_field_error_and_a_400(client, query, field_message):
    response = client.get(f"/insights?{query}")
    assert response.status_code == 400
    assert field_message in response.get_data(as_text=True)
    assert client.get(f"/insights.csv?{query}").status_code == 400


@pytest.mark.parametrize("query", ["", "step=step3", "step=step1&background=img&year=2019", "background=&year=",
                                   "step=step2ck&assessment=no-such-form"])
def test_good_filters_are_accepted(client, query):
    assert client.get(f"/insights?{query}").status_code == 200
    assert client.get(f"/insights.csv?{query}").status_code == 200


def test_filter_form_is_labelled_and_keeps_the_choice(client):
    html = client.get("/insights?step=step3&background=img").get_data(as_text=True)
    for name in ("step", "background", "year"):
        assert f'<label for="{name}">' in html
    assert '<option value="step3" selected>' in html and '<option value="img" selected>' in html


# --- cost -----------------------------------------------------------------------------------------------------

def grow(n):
    author = make_user(background="img")
    resource = make_resource(f"Book {n}", steps=("step2ck",))
    form = make_resource(f"NBME {n}", kind="self-assessment", steps=("step2ck",), scale="three_digit")
    for i in range(n):
        story = make_story(author, step="step2ck", exam_month=date(LAST_YEAR, 1 + i % 12, 1),
                           outcome="passed" if i % 3 else "failed", score=200 + i, resources=[resource, form])
        practice(story, form, 190 + i, date(LAST_YEAR, 1, 1))


def test_compute_runs_the_same_queries_for_few_stories_or_many(app, monkeypatch):
    def queries():
        with QueryCounter() as counter:
            data.compute("step2ck")
        return counter.count

    grow(3)
    assert queries() == 1 + 6  # the cache versions, then the six queries
    assert queries() == 1  # memoised until a story is written
    monkeypatch.setitem(app.config, "FORUM_PAGE_CACHE", False)
    few = queries()
    grow(40)
    assert queries() == few == 6  # the cache off: the six queries, every time, however many stories


def test_after_a_new_story_the_next_reader_gets_the_previous_figures_and_a_job_the_new(app, client):
    """No reader waits for the aggregates after a write: the first gets the figures from before it (and that page
    is not stored), the job run after that response computes the new ones, and the next reader sees them."""
    grow(12)
    url = "/insights?step=step2ck"
    before = client.get(url).get_data(as_text=True)
    grow(1)
    served_while_refreshing = client.get(url).get_data(as_text=True)  # the job runs as this response closes
    after = client.get(url).get_data(as_text=True)
    assert served_while_refreshing == before
    assert after != before
    assert client.get(url).get_data(as_text=True) == after


def test_the_page_runs_the_same_queries_for_few_stories_or_many(page_queries):
    grow(3)
    few = page_queries("/insights?step=step2ck")
    grow(40)
    assert page_queries("/insights?step=step2ck") == few
