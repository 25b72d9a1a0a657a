"""The calibration per self-assessment on /insights: the line, "95% within ±k", the days before the exam, and for
pass/fail Step 1 the pass rate by the band of the last NBME form; plus the filter offering only what has stories."""
import math
import re
import statistics
from datetime import date, timedelta

import pytest

from forum.extensions import db
from forum.insights import data
from forum.models import PracticeScore, utcnow
from tests.builders import make_resource, make_story, make_user

THIS_YEAR = utcnow().year


def practice(story, resource, score, taken_on, scale):
    db.session.add(PracticeScore(story_id=story.id, resource_id=resource.id, score=score, taken_on=taken_on,
                                 scale=scale))
    db.session.commit()


@pytest.fixture
def ck_form(app):
    """12 Step 2 CK stories last year on one form: real = practice + 10, give or take a known wiggle."""
    form = make_resource("NBME CCSSA Form 13", slug="nbme-ccssa-13", kind="self-assessment", steps=("step2ck",),
                         scale="three_digit")
    author = make_user(background="img")
    month = date(THIS_YEAR - 1, 5, 1)
    points = []
    for i in range(12):
        x = 220 + 3 * i
        y = x + 10 + (4 if i % 2 else -4)
        story = make_story(author, step="step2ck", exam_month=month, outcome="passed", score=y)
        practice(story, form, x, month - timedelta(days=7 * (i % 3) + 6), "three_digit")
        points.append((x, y))
    return points


def test_the_calibration_row_is_the_least_squares_line_with_its_prediction_interval(client, ck_form):
    xs, ys = zip(*ck_form, strict=True)
    slope, intercept = statistics.linear_regression(xs, ys)
    s = math.sqrt(sum((y - intercept - slope * x) ** 2 for x, y in ck_form) / 10)
    k = 2.2281 * s * math.sqrt(1 + 1 / 12)  # t(0.975, 10) from the table, at the mean practice score
    html = client.get("/insights?step=step2ck").get_data(as_text=True)
    section = html[html.index('id="practice"'):html.index('id="practice-nbme-ccssa-13"')]
    row = re.search(r"<tr><th scope=\"row\"><a [^>]*>NBME CCSSA Form 13</a></th>(.*?)</tr>", section).group(1)
    cells = re.findall(r"<td>(.*?)</td>", row)
    assert cells[0] == "12"
    assert cells[1] == f"real ≈ {intercept:.1f} + {slope:.2f} × practice"
    assert cells[2] == f"±{k:.0f}"
    # Days to the 15th of the exam month: taken 6, 13 or 20 days before the 1st (20, 27 or 34), four each.
    assert cells[4] == "27 (20–34)"
    line = data.compute("step2ck").practice_fit("nbme-ccssa-13").fit
    assert line.typical_half_width == pytest.approx(k, rel=1e-4)


def test_a_form_with_nine_stories_is_counted_but_has_no_line(client, ck_form):
    other = make_resource("UWSA 2", slug="uwsa-2-step-2-ck", kind="self-assessment", steps=("step2ck",),
                          scale="three_digit")
    author = make_user()
    month = date(THIS_YEAR - 1, 5, 1)
    for i in range(9):
        story = make_story(author, step="step2ck", exam_month=month, outcome="passed", score=240 + i)
        practice(story, other, 235 + 2 * i, month - timedelta(days=9), "three_digit")
    row = data.compute("step2ck").practice_fit("uwsa-2-step-2-ck")
    assert (row.n, row.fit, len(row.points)) == (9, None, 9)
    html = client.get("/insights?step=step2ck&assessment=uwsa-2-step-2-ck").get_data(as_text=True)
    # Counted, but not linked: there is no scatter of its own to go to.
    assert re.search(r"<th scope=\"row\">UWSA 2</th><td>9</td><td class=\"too-few\">fewer than 10 stories</td>", html)
    assert 'id="practice-uwsa-2-step-2-ck"' not in html  # no scatter without a line: the calibrated one instead
    assert 'id="practice-nbme-ccssa-13"' in html


@pytest.fixture
def step1_bands(app):
    """Pass/fail Step 1 in 2022 and later. 60-69% band: 10 stories, 7 passed (each also took an earlier form at
    45%, which is not their last); 70-79%: 9 stories, all passed."""
    forms = [make_resource(f"NBME CBSSA Form {n}", slug=f"nbme-cbssa-{n}", kind="self-assessment", steps=("step1",),
                           scale="percent") for n in (30, 31)]
    author = make_user(background="us_md")
    month = date(2023, 6, 1)
    for i in range(10):
        story = make_story(author, step="step1", exam_month=month, outcome="passed" if i < 7 else "failed",
                           score=None)
        practice(story, forms[0], 45, month - timedelta(days=40), "percent")
        practice(story, forms[1], 60 + i % 10, month - timedelta(days=8), "percent")
    for _ in range(9):
        story = make_story(author, step="step1", exam_month=month, outcome="passed", score=None)
        practice(story, forms[1], 72, month - timedelta(days=8), "percent")


def test_step1_pass_rate_by_the_band_of_the_last_nbme(client, step1_bands):
    bands = {b.label: b for b in data.compute("step1", today=date(THIS_YEAR, 6, 1)).pass_bands}
    assert set(bands) == {"60–69%", "70–79%"}  # the earlier 45% forms are not anyone's last
    assert (bands["60–69%"].n, bands["60–69%"].passed, round(bands["60–69%"].rate.value)) == (10, 7, 70)
    assert (round(bands["60–69%"].rate.low, 1), round(bands["60–69%"].rate.high, 1)) == (39.7, 89.2)
    assert (bands["70–79%"].n, bands["70–79%"].rate) == (9, None)
    html = client.get("/insights?step=step1").get_data(as_text=True)
    section = html[html.index('id="pass-bands"'):]
    assert "whose last NBME form before the exam was 60–69%, 7 passed: 70% (95% CI 40–89%)." in section
    assert "60–69% · Passed (%): 70% (95% CI 40–89%)" in section
    assert "70–79% · Passed (%)" not in section  # nine stories: counted in the table, never drawn
    assert re.search(r">70–79%</th><td>9</td><td>9</td><td>0</td><td class=\"too-few\">", section)


def test_step1_calibrates_over_its_whole_pass_fail_era(app):
    assert data.practice_window("step1", None, date(2030, 5, 1)) == (2022, 2030)
    assert data.practice_window("step2ck", None, date(2030, 5, 1)) == (2028, 2030)
    assert data.practice_window("step1", 2019, date(2030, 5, 1)) == (2019, 2019)


@pytest.mark.parametrize(("percent", "label"), [(12, "below 50%"), (49.9, "below 50%"), (50, "50–59%"),
                                                 (69.9, "60–69%"), (80, "80% or more"), (100, "80% or more")])
def test_bands_of_the_last_nbme(percent, label):
    assert data.band_of(percent)[2] == label


def test_the_filter_offers_only_years_and_backgrounds_with_stories(client, ck_form):
    make_story(make_user(background="us_do"), step="step3", exam_month=date(2019, 3, 1), outcome="passed", score=230)
    html = client.get("/insights?step=step2ck").get_data(as_text=True)
    year_select = html[html.index('<select id="year"'):html.index("</select>", html.index('<select id="year"'))]
    assert re.findall(r'<option value="(\d*)"', year_select) == ["", str(THIS_YEAR - 1)]
    background = html[html.index('<select id="background"'):]
    background = background[:background.index("</select>")]
    assert re.findall(r'<option value="(\w*)"', background) == ["", "img"]  # US DO wrote only about Step 3
    # A shared link to a year without stories still answers, and keeps that year on offer.
    html = client.get("/insights?step=step2ck&year=2001").get_data(as_text=True)
    assert '<option value="2001" selected>' in html and "There are no Step 2 CK stories with exams in 2001" in html


def test_a_crowded_scatter_draws_an_even_sample_and_fits_every_story(monkeypatch):
    monkeypatch.setattr(data, "MAX_POINTS", 10)
    rows = [data.PracticeRow(story_id=i, slug="f", name="F", scale="three_digit", x=200 + i, taken_on=date(2025, 1, 1),
                             exam_month=date(2025, 2, 1), score=210 + i + i % 3, outcome="passed", background=None)
            for i in range(25)]
    (row,) = data.calibrate(rows)
    assert row.sampled and len(row.points) <= 10 and row.fit.n == row.n == 25
    assert [p.story_id for p in row.points] == list(range(0, 25, 3))  # every third: the whole range, evenly


def test_the_page_lists_an_even_hundred_of_a_crowded_scatter_and_the_csv_every_story(client, monkeypatch):
    from forum.insights import figures

    monkeypatch.setattr(figures, "PAGE_TABLE_ROWS", 5)
    form = make_resource("UWSA 2", slug="uwsa-2-step-2-ck", kind="self-assessment", steps=("step2ck",),
                         scale="three_digit")
    author = make_user()
    month = date(THIS_YEAR - 1, 4, 1)
    for i in range(12):
        story = make_story(author, step="step2ck", exam_month=month, outcome="passed", score=230 + i + i % 2)
        practice(story, form, 225 + i, month - timedelta(days=9), "three_digit")
    html = client.get("/insights?step=step2ck").get_data(as_text=True)
    section = html[html.index('id="practice-uwsa-2-step-2-ck"'):html.index('id="trend"')]
    assert section.count("<tr><th scope=\"row\">") == 4  # every third of 12: 225, 228, 231, 234
    assert "The table lists 4 of the 12 stories drawn, evenly spread; the CSV has them all." in section
    assert len(re.findall(r"<circle [^>]*><title>", section)) == 12  # the chart still draws every story
    csv_rows = [line for line in client.get("/insights.csv?step=step2ck").get_data(as_text=True).splitlines()
                if line.startswith("practice-uwsa-2-step-2-ck,") and line.endswith(",passed")]
    assert len(csv_rows) == 12
