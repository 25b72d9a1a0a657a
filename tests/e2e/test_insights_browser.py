"""A reader filters /insights in a real Chromium: charts render under the CSP, with their tables, on a phone too."""
from datetime import date

import pytest
from playwright.sync_api import expect

from forum.extensions import db

pytestmark = pytest.mark.e2e


def test_a_reader_filters_insights_and_sees_charts_with_their_numbers(browser, live_server):
    from tests.builders import make_story, make_user

    with live_server["app"].app_context():
        author = make_user("e2e_insights", background="us_do")
        for i in range(12):
            make_story(author, title=f"Step 3 in 2021, story {i}", step="step3", exam_month=date(2021, 5, 1),
                       outcome="passed", score=220 + i, prep_weeks=3)
        db.session.remove()

    context = browser.new_context(base_url=live_server["url"], viewport={"width": 390, "height": 844})
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning")
            else None)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Insights")

    page.get_by_role("navigation", name="Steps").get_by_role("link", name="Step 3").click()
    # The filter offers only what has stories: Step 3's backgrounds and exam years.
    expect(page.get_by_label("Exam year", exact=True).locator("option")).to_have_text(["Every year", "2021"])
    page.get_by_label("Background", exact=True).select_option("us_do")
    page.get_by_label("Exam year", exact=True).select_option("2021")
    page.get_by_role("button", name="Show").click()

    expect(page).to_have_url(live_server["url"] + "/insights?step=step3&background=us_do&year=2021")
    section = page.locator("section#outcomes")
    expect(section.get_by_role("heading", level=2)).to_have_text("Outcomes by background")
    expect(section.locator(".insight-sentence")).to_contain_text("Of 12 Step 3 stories from US DO candidates")
    expect(section.get_by_role("img", name="Pass rate by background: Step 3 stories from US DO candidates with "
                                            "exams in 2021")).to_be_visible()
    expect(section.get_by_role("row", name="US DO 12 12 0 0 100 76–100%")).to_be_visible()
    expect(page.get_by_role("link", name="Download these figures as CSV")).to_have_attribute(
        "href", "/insights.csv?step=step3&background=us_do&year=2021")
    # The bars are drawn by site.css classes: a bar that got no fill from CSS would be black.
    fill = section.locator("rect.chart-bar").first.evaluate("bar => getComputedStyle(bar).fill")
    assert fill not in ("", "rgb(0, 0, 0)")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert problems == []
    context.close()
