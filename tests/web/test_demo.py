"""The demo content (`flask seed-demo`): stories that read like candidates' own posts, the counts the insights are
built on, and one plain notice, on the front page, that the site holds demo content."""
import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from forum import demo
from forum.demo_sample import SAMPLE_STORIES
from forum.extensions import db
from forum.models import PracticeScore, Resource, Story
from tests.builders import make_story, make_user, sign_in

SEEDED_ON = datetime(2026, 12, 1, 12, 0)  # the demo's exam months count back from the day it is seeded
# What the demo held before its generated stories were rewritten (issue 18), seeded on SEEDED_ON: /insights groups by
# step and by self-assessment, so new words must leave every one of these numbers as it was.
STORIES_PER_STEP = {"step1": 152, "step2ck": 234, "step2cs": 4, "step3": 95}
PRACTICE_PER_FORM = {
    "amboss-self-assessment": 34, "free-120-step-1": 15, "free-120-step-1-older": 10, "free-120-step-2-ck": 33,
    "free-120-step-2-ck-older": 25, "nbme-cbssa-15": 2, "nbme-cbssa-18": 3, "nbme-cbssa-19": 1, "nbme-cbssa-20": 5,
    "nbme-cbssa-21": 7, "nbme-cbssa-22": 7, "nbme-cbssa-23": 3, "nbme-cbssa-24": 8, "nbme-cbssa-25": 11,
    "nbme-cbssa-26": 14, "nbme-cbssa-27": 8, "nbme-cbssa-28": 15, "nbme-cbssa-29": 13, "nbme-cbssa-30": 12,
    "nbme-cbssa-31": 10, "nbme-ccmsa": 25, "nbme-ccmsa-4": 15, "nbme-ccmsa-5": 17, "nbme-ccmsa-6": 24,
    "nbme-ccmsa-7": 12, "nbme-ccssa-10": 26, "nbme-ccssa-11": 32, "nbme-ccssa-12": 22, "nbme-ccssa-13": 24,
    "nbme-ccssa-14": 32, "nbme-ccssa-15": 23, "nbme-ccssa-16": 27, "nbme-ccssa-6": 7, "nbme-ccssa-7": 6,
    "nbme-ccssa-8": 8, "nbme-ccssa-9": 26, "usmle-step-3-practice": 25, "usmle-step-3-practice-earlier": 19,
    "uwsa-1-step-1": 9, "uwsa-1-step-2-ck": 28, "uwsa-1-step-3": 18, "uwsa-2-step-1": 14, "uwsa-2-step-2-ck": 34,
    "uwsa-2-step-3": 23, "uwsa-3-step-1": 2, "uwsa-3-step-2-ck": 33,
}
NOTICE = "Demo content: the accounts, stories, scores and comments on this site are made up."


def test_demo_stories_read_like_first_hand_posts_and_keep_the_counts_the_insights_use(sqlite_app):
    """What the generator writes does not depend on the database (seeding on PostgreSQL is test_cli's)."""
    calls = []
    demo.seed(now=SEEDED_ON, progress=lambda done, total: calls.append((done, total)))
    total = demo.SEED_STAGES + SAMPLE_STORIES
    assert calls == [(done, total) for done in range(1, total + 1)]  # the bar hears of every step, in order

    assert dict(db.session.execute(sa.select(Story.step, sa.func.count()).group_by(Story.step)).all()) \
        == STORIES_PER_STEP
    assert dict(db.session.execute(sa.select(Resource.slug, sa.func.count()).join(PracticeScore)
                                   .group_by(Resource.slug)).all()) == PRACTICE_PER_FORM

    stories = list(db.session.scalars(sa.select(Story).options(selectinload(Story.practice_scores)
                                                              .joinedload(PracticeScore.resource))))
    assert [s.title for s in stories if re.match(r"sample\b", s.title, re.I)] == []
    assert len({s.body for s in stories}) == len(stories)  # no two stories tell the same story
    samples = [s for s in stories if s.author.username.startswith("sample_candidate_")]
    assert len(samples) == SAMPLE_STORIES and len({s.title for s in samples}) > 0.85 * SAMPLE_STORIES
    for story in samples:  # each states its own numbers, as its record has them
        if story.score:
            assert str(story.score) in story.body, story.title
        for practice in story.practice_scores:
            shown = f"{round(practice.score)}{'%' if practice.scale == 'percent' else ''}"
            assert f" out: {shown}" in story.body, (story.title, practice.resource.slug, shown)


def test_the_front_page_says_once_that_it_holds_demo_content(client):
    make_story(title="A real member's story")
    assert NOTICE not in client.get("/").get_data(as_text=True)

    demo.seed_users()  # the demo admin at her demo address is what marks a demo database
    db.session.commit()
    assert client.get("/").get_data(as_text=True).count(NOTICE) == 1
    assert NOTICE not in client.get("/stories").get_data(as_text=True)  # once: not on every page


def test_a_member_named_like_the_demo_admin_does_not_make_a_demo(client):
    make_user(demo.DEMO_CURATOR, email="maya@example.org")
    assert NOTICE not in client.get("/").get_data(as_text=True)


def account_nav(html: str) -> str:
    return html[html.index('<nav class="account-nav"'):].split("</nav>", 1)[0]


def test_signed_in_members_have_share_your_story_in_the_header(app, client):
    share = '<a class="share-link" href="/stories/new">Share your story</a>'
    assert share not in account_nav(client.get("/stories").get_data(as_text=True))
    sign_in(client, make_user("writer"))
    assert share in account_nav(client.get("/stories").get_data(as_text=True))
    banned = app.test_client()  # a ban keeps a member from posting, so the header does not offer it
    sign_in(banned, make_user("banned", banned_until=datetime(9999, 1, 1), ban_reason="spam"))
    assert share not in account_nav(banned.get("/stories").get_data(as_text=True))
