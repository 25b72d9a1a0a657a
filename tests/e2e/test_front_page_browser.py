"""A moderator features a story in a real Chromium, and readers find it on the front page as a card."""
import re

import pytest
from playwright.sync_api import expect

from forum.extensions import db
from tests.e2e.browser import sign_in

pytestmark = pytest.mark.e2e

TEASER = "Two passes of UWorld, eight weeks, and the week she stopped doing questions at midnight."


def test_a_moderator_features_a_story_and_the_front_page_shows_its_card(page, live_server):
    from tests.builders import make_story, make_user

    with live_server["app"].app_context():
        moderator = make_user("e2e_curator", role="moderator")
        story = make_story(make_user("e2e_writer"), title="Eight weeks to a CK pass, with two UWorld passes")
        username, story_path, title = moderator.username, f"/stories/{story.id}-{story.slug}", story.title
        db.session.remove()

    sign_in(page, username)
    page.goto(story_path)
    page.get_by_role("link", name="Feature", exact=True).click()
    expect(page.get_by_role("heading", name="Feature a story")).to_be_visible()
    page.get_by_label("Teaser", exact=True).fill(TEASER)
    page.get_by_role("button", name="Feature", exact=True).click()

    page.wait_for_url(re.compile(r"/#feature-\d+$"))
    card = page.locator("article.feature-card", has_text=title)
    expect(card.get_by_role("heading", level=3)).to_have_text(title)
    expect(card.locator(".feature-card-teaser")).to_have_text(TEASER)
    card.get_by_role("link", name=f"Read More about {title}").click()
    page.wait_for_url(live_server["url"] + story_path)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    assert page.problems == []


def test_the_first_featured_card_is_on_the_first_screen_of_a_desktop_and_a_phone(browser, live_server):
    """The front page's intro shows its opening paragraph (the rest behind "Read the full introduction"), so the
    cards start within the first screen: beneath the paragraph on a desktop, above it on a phone, where that
    paragraph alone is taller than the screen."""
    from forum import curation
    from tests.builders import make_story, make_user

    with live_server["app"].app_context():
        curation.ensure_hubs()
        story = make_story(make_user("e2e_first_screen"), title="CK 251: what moved my NBMEs")
        curation.feature(hub=curation.get_hub("home"), story=story, actor=None, teaser=TEASER)
        db.session.commit()
        db.session.remove()

    for width, height in ((1280, 800), (375, 667)):
        context = browser.new_context(base_url=live_server["url"], viewport={"width": width, "height": height})
        page = context.new_page()
        page.goto("/")
        expect(page.get_by_text("Read the full introduction")).to_be_visible()
        top = page.locator("article.feature-card").first.bounding_box()["y"]
        assert top < height, f"the first card starts {top:.0f} px down at {width}x{height}"
        context.close()
