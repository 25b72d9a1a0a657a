"""A candidate asks /predict in a real Chromium, on a phone's width: three practice scores in, a predicted range
and the stories like theirs out, each a link to the story."""
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from forum.extensions import db
from forum.models import PracticeScore, Resource, utcnow

pytestmark = pytest.mark.e2e
LAST_YEAR = utcnow().year - 1
FORMS = ("nbme-ccssa-13", "uwsa-2-step-2-ck", "free-120-step-2-ck")


def seed_stories() -> None:
    """12 Step 2 CK stories that gave all three forms: a line for each (10 or more stories gave both scores)."""
    from tests.builders import make_story, make_user

    author = make_user("e2e_predictor", background="img")
    ids = {slug: db.session.scalar(sa.select(Resource.id).where(Resource.slug == slug)) for slug in FORMS}
    exam_month = date(LAST_YEAR, 6, 1)
    for i in range(12):
        story = make_story(author, title=f"Predicted CK story {i}", step="step2ck", exam_month=exam_month,
                           score=235 + 2 * i + i % 3)
        for days, (slug, score) in enumerate((("nbme-ccssa-13", 225 + 2 * i), ("uwsa-2-step-2-ck", 230 + 2 * i),
                                              ("free-120-step-2-ck", 60 + i))):
            db.session.add(PracticeScore(story_id=story.id, resource_id=ids[slug], score=score,
                                         scale="percent" if slug.startswith("free") else "three_digit",
                                         taken_on=exam_month - timedelta(days=30 - 7 * days)))
    db.session.commit()


def test_a_candidate_enters_three_scores_and_follows_a_similar_story(browser, live_server):
    with live_server["app"].app_context():
        seed_stories()
        db.session.remove()

    context = browser.new_context(base_url=live_server["url"], viewport={"width": 375, "height": 812})
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning")
            else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Predict").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("People like me")

    page.get_by_label("Step", exact=True).select_option("step2ck")
    for n, (slug, score, day) in enumerate((("nbme-ccssa-13", "241", f"{LAST_YEAR}-05-02"),
                                            ("uwsa-2-step-2-ck", "246", f"{LAST_YEAR}-05-09"),
                                            ("free-120-step-2-ck", "67", f"{LAST_YEAR}-05-16"))):
        row = page.get_by_role("group", name=f"Practice score {n + 1}")
        row.get_by_label("Self-assessment").select_option(slug)
        row.get_by_label("Score").fill(score)
        row.get_by_label("Date taken").fill(day)
    page.get_by_role("button", name="Predict").click()

    expect(page.locator(".predict-headline")).to_contain_text("Predicted Step 2 CK score:")
    expect(page.locator(".predict-headline")).to_contain_text("95% range")
    expect(page.get_by_role("table", name="The lines used")).to_contain_text("NBME CCSSA Form 13")
    expect(page.get_by_role("link", name="Link to this prediction")).to_have_attribute(
        "href", f"/predict?step=step2ck&practice-0-form=nbme-ccssa-13&practice-0-score=241&practice-0-taken="
                f"{LAST_YEAR}-05-02&practice-1-form=uwsa-2-step-2-ck&practice-1-score=246&practice-1-taken="
                f"{LAST_YEAR}-05-09&practice-2-form=free-120-step-2-ck&practice-2-score=67&practice-2-taken="
                f"{LAST_YEAR}-05-16")
    similar = page.locator("section#similar")
    links = similar.locator("ol.predict-neighbours > li h3 a")
    expect(links).to_have_count(10)
    nearest = links.first.inner_text()
    assert nearest.startswith("Predicted CK story")
    expect(similar.locator("ol.predict-neighbours > li").first.get_by_role("table")).to_contain_text("Free 120")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    links.first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(nearest)
    assert problems == []
    context.close()
