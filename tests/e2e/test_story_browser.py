"""A candidate writes a story in a real Chromium, and loses nothing on the way."""
import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

BODY = "Eight weeks of dedicated time.\n\n**UWorld** was the core: two passes, and I reviewed every explanation."


def fill_story(page, title="Passed CK with two passes of UWorld"):
    page.get_by_label("Title").fill(title)
    page.get_by_label("Step", exact=True).select_option("step2ck")
    page.get_by_label("Exam month").fill("2025-06")
    page.get_by_label("Outcome").select_option("passed")
    page.get_by_label("Score", exact=True).fill("245")
    page.get_by_label("Weeks of dedicated prep").fill("8")
    page.locator("#resources-0-name").fill("uw")
    page.locator("#resources-0-rating").select_option("5")
    page.locator("#resources-0-note").fill("two passes, 68% first pass")
    page.locator("#resources-1-name").fill("Divine Intervention")
    page.locator("#practice-0-assessment").select_option(label="NBME CCSSA Form 11")
    page.locator("#practice-0-score").fill("231")
    page.locator("#practice-0-taken_on").fill("2025-05-02")
    page.get_by_label("Your story").fill(BODY)


def test_write_a_story_with_resources_and_a_practice_score(signed_in_page):
    page = signed_in_page
    page.goto("/stories/new")
    fill_story(page)
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/stories/*-passed-ck-with-two-passes-of-uworld")
    expect(page.get_by_role("heading", name="Passed CK with two passes of UWorld")).to_be_visible()
    assert "Step 2 CK · June 2025 · first attempt · passed · 245" in page.locator(".record-line").inner_text()
    resources = page.locator(".resource-list").inner_text()
    assert "UWorld" in resources and "Divine Intervention" in resources and "two passes" in resources
    assert page.locator("figure.chart svg").count() == 1
    assert "231" in page.locator(".practice-table").inner_text()
    expect(page.locator(".story-body strong", has_text="UWorld")).to_be_visible()
    assert page.problems == []


def test_reload_while_writing_offers_the_draft_back(signed_in_page):
    page = signed_in_page
    page.goto("/stories/new")
    page.get_by_label("Title").fill("A draft that survives a reload")
    page.get_by_label("Your story").fill(BODY)
    page.wait_for_function("() => Object.keys(localStorage).some("
                           "k => k.startsWith('stepstories:draft:') && localStorage[k].includes('dedicated time'))")
    assert page.locator(".draft-status").inner_text() == "Draft saved in this browser."
    page.reload()
    assert page.get_by_label("Your story").input_value() == ""
    page.get_by_role("button", name="Restore draft").click()
    assert page.get_by_label("Title").input_value() == "A draft that survives a reload"
    assert page.get_by_label("Your story").input_value() == BODY
    assert page.problems == []


def test_expired_csrf_token_loses_nothing(signed_in_page):
    page = signed_in_page
    page.goto("/stories/new")
    fill_story(page, title="Written over a long afternoon")
    # What hours of writing do to a token: the server no longer accepts the one in the form.
    page.evaluate("document.querySelector('form.story-form input[name=csrf_token]').value = 'expired-token'")
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_role("alert").filter(has_text="Everything you typed is still here")).to_be_visible()
    assert page.get_by_label("Title").input_value() == "Written over a long afternoon"
    assert page.get_by_label("Your story").input_value() == BODY
    assert page.locator("#resources-0-note").input_value() == "two passes, 68% first pass"
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url("**/stories/*-written-over-a-long-afternoon")
    # The 400 for the stale token is the only console message: it is the point of the test.
    assert all("400" in problem for problem in page.problems), page.problems


def test_double_click_makes_one_story(signed_in_page, live_server):
    page = signed_in_page
    page.goto("/stories/new")
    fill_story(page, title="Clicked twice in a hurry")
    page.get_by_role("button", name="Publish").dblclick()
    page.wait_for_url("**/stories/*-clicked-twice-in-a-hurry")
    page.goto("/stories?sort=new&q=Clicked+twice")
    assert page.locator(".story-card").count() == 1


def test_filter_by_step_and_resource(page, live_server):
    page.goto("/stories")
    page.get_by_label("Step").first.select_option("step2ck")
    page.get_by_role("button", name="Show stories").click()
    assert "step=step2ck" in page.url
    assert page.problems == []
