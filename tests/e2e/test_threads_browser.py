"""Voting and replying in a real Chromium, with JavaScript and without."""
import pytest
from playwright.sync_api import expect

from forum.extensions import db
from tests.builders import make_comment, make_story, make_user
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.e2e


def seed_story(live_server, title):
    with live_server["app"].app_context():
        author = make_user()
        story = make_story(author, title=title)
        return f"/stories/{story.id}-{story.slug}", author.username


def test_upvote_with_javascript_updates_in_place(signed_in_page, live_server):
    page = signed_in_page
    url, _ = seed_story(live_server, "Vote on me with script")
    page.goto(url)
    button = page.get_by_role("button", name="Upvote this story")
    assert button.get_attribute("aria-pressed") == "false"
    with page.expect_response(lambda r: r.url.endswith("/vote")) as response:
        button.click()
    assert response.value.status == 200 and response.value.headers["content-type"].startswith("application/json")
    expect(button).to_have_attribute("aria-pressed", "true")
    assert button.locator(".vote-count").inner_text() == "1"
    assert page.url.endswith(url)  # no navigation happened
    button.click()
    expect(button).to_have_attribute("aria-pressed", "false")
    assert button.locator(".vote-count").inner_text() == "0"
    assert page.problems == []


def test_upvote_without_javascript_posts_and_returns(browser, live_server):
    url, _ = seed_story(live_server, "Vote on me without script")
    with live_server["app"].app_context():
        voter = make_user(created_at=__import__("datetime").datetime(2024, 1, 1)).username
        db.session.commit()
    context = browser.new_context(base_url=live_server["url"], java_script_enabled=False)
    page = context.new_page()
    sign_in(page, voter)
    page.goto(url)
    page.get_by_role("button", name="Upvote this story").click()
    page.wait_for_url("**" + url)
    button = page.get_by_role("button", name="Upvote this story")
    assert button.get_attribute("aria-pressed") == "true"
    assert button.locator(".vote-count").inner_text() == "1"
    context.close()


def test_reply_to_a_comment_and_its_author_sees_the_notification(browser, live_server):
    with live_server["app"].app_context():
        story = make_story(make_user(), title="A thread to reply in")
        commenter = make_user()
        comment = make_comment(story, commenter, body="Did anyone use Pathoma twice?")
        replier = make_user()
        url, comment_id, names = (f"/stories/{story.id}-{story.slug}", comment.id,
                                  (commenter.username, replier.username))
    context = browser.new_context(base_url=live_server["url"])
    page = context.new_page()
    sign_in(page, names[1])
    page.goto(url)

    page.locator(f"#c{comment_id}").get_by_role("link", name="Reply").click()
    page.get_by_label("Your comment").fill("Yes, twice: the second pass was faster.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(f"**{url}#c*")
    expect(page.get_by_text("Yes, twice: the second pass was faster.")).to_be_visible()
    context.close()

    context = browser.new_context(base_url=live_server["url"])
    page = context.new_page()
    sign_in(page, names[0])
    link = page.get_by_role("link", name="Notifications")
    assert "1" in link.inner_text()
    link.click()
    item = page.locator(".notification-list li").first
    assert names[1] in item.inner_text() and "replied" in item.inner_text()
    item.get_by_role("link", name="A thread to reply in").click()
    expect(page.get_by_text("Yes, twice: the second pass was faster.")).to_be_visible()
    context.close()
