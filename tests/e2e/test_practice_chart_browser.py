"""A Step 1 candidate of the pass/fail era writes a percent NBME score and sees it on the percent chart."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

TITLE = "Passed Step 1 in June 2023 after five NBMEs"


def test_a_percent_nbme_score_is_charted_on_the_percent_axis(signed_in_page):
    page = signed_in_page
    page.goto("/stories/new")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Step", exact=True).select_option("step1")
    page.get_by_label("Exam month").fill("2023-06")
    page.get_by_label("Outcome").select_option("passed")  # pass/fail since January 2022: no score to give
    page.locator("#practice-0-assessment").select_option(label="NBME CBSSA Form 30")
    page.locator("#practice-0-score").fill("68")  # percent correct, as CBSSA has reported since February 2022
    page.locator("#practice-0-taken_on").fill("2023-04-10")
    page.get_by_label("Your story").fill("Five NBME forms, one a week, then the real thing. " * 3)
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/stories/*-passed-step-1-in-june-2023-after-five-nbmes")

    percent = page.get_by_role("region", name="Practice scores (percent correct)")
    expect(percent).to_be_visible()
    expect(page.get_by_role("region", name="Practice scores (3-digit)")).to_have_count(0)
    chart = percent.locator("figure.chart svg")
    expect(chart).to_be_visible()
    assert chart.locator("text.chart-value").all_text_contents() == ["68%"]
    assert chart.locator("circle.chart-point title").all_text_contents() == ["NBME CBSSA Form 30 · 10 Apr 2023 · 68%"]
    assert "Percent correct" in chart.locator("text.chart-label").all_text_contents()
    # The real exam reported only "passed": a labelled line at June 2023, no invented percent, no passing line.
    expect(chart.locator("text.chart-marker-label")).to_have_text("Step 1 exam: passed")
    expect(chart.locator("polygon.chart-marker")).to_have_count(0)
    expect(chart.locator("line.chart-event")).to_have_count(2)  # at the exam month, and its sample in the legend
    expect(chart.locator("line.chart-ref")).to_have_count(0)
    rows = percent.locator(".practice-table tbody tr")
    expect(rows.nth(0).locator("td")).to_have_text(["NBME CBSSA Form 30", "10 Apr 2023", "68%"])
    expect(rows.nth(1).locator("td")).to_have_text(["Step 1 exam", "June 2023", "passed"])
    assert page.problems == []  # no CSP violation from the chart, no script error
