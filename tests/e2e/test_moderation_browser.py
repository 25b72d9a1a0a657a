"""A member reports a comment, a moderator removes it, and the public sees the removal notice."""
import pytest
from playwright.sync_api import expect

from tests.builders import make_comment, make_story, make_user
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.e2e


def test_report_remove_and_public_notice(browser, live_server):
    with live_server["app"].app_context():
        story = make_story(make_user(), title="A story with a bad comment")
        comment = make_comment(story, make_user(), body="Selling recalled exam questions, DM me")
        reporter, moderator = make_user().username, make_user(role="moderator").username
        url, comment_id = f"/stories/{story.id}-{story.slug}", comment.id

    context = browser.new_context(base_url=live_server["url"])
    page = context.new_page()
    sign_in(page, reporter)
    page.goto(url)
    page.locator(f"#c{comment_id}").get_by_role("link", name="Report").click()
    page.get_by_label("Why are you reporting this?").select_option("exam_content")
    page.get_by_label("Anything moderators should know").fill("Offering exam questions for sale")
    page.get_by_role("button", name="Send the report").click()
    expect(page.get_by_text("Thank you: moderators will look at it.")).to_be_visible()
    context.close()

    context = browser.new_context(base_url=live_server["url"])
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    sign_in(page, moderator)
    page.locator(".user-menu summary").click()
    page.locator(".user-menu").get_by_role("link", name="Moderation", exact=True).click()  # the way in, from any page
    item = page.locator(".report-item", has_text="A story with a bad comment")
    assert "Offering exam questions for sale" in item.inner_text()
    item.get_by_label("Reason to remove").fill("sharing live exam content")
    item.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No open reports.")).to_be_visible()
    assert problems == []
    context.close()

    context = browser.new_context(base_url=live_server["url"])
    page = context.new_page()
    page.goto(url)
    notice = page.locator(f"#c{comment_id}")
    assert "[removed by a moderator: sharing live exam content]" in notice.inner_text()
    assert "Selling recalled exam questions" not in page.content()
    page.get_by_role("contentinfo").get_by_role("link", name="Moderation log").click()
    assert "sharing live exam content" in page.locator(".log-table").inner_text()
    context.close()
