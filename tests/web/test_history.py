"""Issue 16, item 1: every edit of a story or comment keeps the version it replaced, whole, and the revisions pages
show each version as what the edit that replaced it changed."""
import json
from datetime import datetime

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Revision, Story
from tests.builders import fresh, make_comment, make_resource, make_story, make_user, post_form, sign_in
from tests.web.test_stories import story_data

SECRET = "The recalled question was about a 34-year-old with flank pain."


@pytest.fixture
def catalogue(app):
    return {
        "uw2": make_resource("UWorld Step 2 CK QBank", slug="uworld-step-2-ck", steps=["step2ck", "step3"],
                             aliases=["uworld", "uw"]),
        "amboss": make_resource("AMBOSS", steps=["step1", "step2ck", "step3"]),
        "nbme11": make_resource("NBME CCSSA Form 11", slug="nbme-ccssa-11", kind="self-assessment",
                                steps=["step2ck"], scale="three_digit", aliases=["nbme 11"]),
    }


@pytest.fixture
def writer(client):
    user = make_user("writer", background="img", created_at=datetime(2024, 1, 1))
    sign_in(client, user)
    return user


@pytest.fixture
def story(client, writer, catalogue):
    """A story published through the form: June 2025, first attempt, passed with 240, 8 weeks, UWorld (5) and
    AMBOSS (3), NBME Form 11 at 231 on 2 May 2025."""
    response = post_form(client, "/stories/new", story_data(catalogue, score="240"))
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(sa.select(Story))


def edit(client, story, catalogue, **changes):
    """Save the story's form with these fields changed and everything else as published."""
    response = post_form(client, f"/stories/{story.id}/edit", story_data(catalogue, **{"score": "240", **changes}))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def history_page(client, story) -> str:
    response = client.get(f"/stories/{story.id}/revisions")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def revisions() -> list[Revision]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(Revision).order_by(Revision.id)))


# --- every edit path leaves the right revision ---------------------------------------------------------------------

def test_a_title_edit_keeps_the_old_title(client, story, catalogue):
    edit(client, story, catalogue, title="Passed CK: the full version")
    [kept] = revisions()
    assert kept.title == "Passed CK after a rough first NBME"
    assert json.loads(kept.snapshot)["title"] == "Passed CK after a rough first NBME"
    assert "Title: Passed CK after a rough first NBME → Passed CK: the full version" in history_page(client, story)


def test_a_body_edit_shows_as_a_line_diff(client, story, catalogue):
    edit(client, story, catalogue, body="I studied for ten weeks.\n\n**UWorld** was the core; I did *two* passes.")
    [kept] = revisions()
    assert kept.body.startswith("I studied for eight weeks.")
    page = history_page(client, story)
    assert '<del class="diff-line diff-removed"><span class="visually-hidden">Removed: </span>I studied for eight ' \
           'weeks.</del>' in page
    assert '<ins class="diff-line diff-added"><span class="visually-hidden">Added: </span>I studied for ten ' \
           'weeks.</ins>' in page
    assert '<span class="diff-line">**UWorld** was the core; I did *two* passes.</span>' in page  # unchanged


def test_a_score_edit_is_kept_shown_and_dated_on_the_card(client, story, catalogue):
    edit(client, story, catalogue, score="262")
    assert json.loads(revisions()[0].snapshot)["score"] == 240
    assert "Score: 240 → 262" in history_page(client, story)
    assert fresh(story).score_edited_at is not None and story.outcome_edited_at is None
    day = f"{story.score_edited_at.day:02d}"
    assert f"score edited <time datetime=\"{story.score_edited_at.isoformat(timespec='seconds')}Z\">{day} " \
           in client.get("/stories").get_data(as_text=True)
    assert "Score edited" in client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)


def test_an_outcome_edit_is_kept_and_dated(client, story, catalogue):
    edit(client, story, catalogue, outcome="failed", score="")
    page = history_page(client, story)
    assert "Outcome: Passed → Failed" in page and "Score: 240 → not given" in page
    assert fresh(story).outcome_edited_at is not None
    assert "outcome edited" in client.get("/stories").get_data(as_text=True)


def test_an_unedited_story_says_nothing_about_its_score(client, story, catalogue):
    edit(client, story, catalogue, title="Passed CK: the full version")
    assert fresh(story).score_edited_at is None and story.outcome_edited_at is None
    assert "score edited" not in client.get("/stories").get_data(as_text=True)


@pytest.mark.parametrize(("changes", "line"), [
    ({"attempt": "2"}, "Attempt: 1 → 2"),
    ({"exam_month": "2025-07"}, "Exam month: June 2025 → July 2025"),
    ({"step": "step3", "practice-0-assessment": "", "practice-0-score": "", "practice-0-taken_on": ""},
     "Step: Step 2 CK → Step 3"),
    ({"prep_weeks": "12"}, "Dedicated prep: 8 weeks → 12 weeks"),
    ({"background": "us_md"}, "Background: IMG → US MD"),
])
def test_each_exam_field_edit_is_kept(client, story, catalogue, changes, line):
    edit(client, story, catalogue, **changes)
    assert len(revisions()) == 1
    assert line in history_page(client, story)


def test_a_resource_added_is_kept(client, story, catalogue):
    edit(client, story, catalogue, **{"resources-2-name": "Zebra Notes", "resources-2-rating": "4"})
    assert "Added resource: Zebra Notes (4 of 5, not in our catalogue yet)" in history_page(client, story)


def test_a_resource_removed_is_kept(client, story, catalogue):
    edit(client, story, catalogue, **{"resources-1-name": "", "resources-1-rating": ""})
    assert [row["name"] for row in json.loads(revisions()[0].snapshot)["resources"]] == \
        ["UWorld Step 2 CK QBank", "AMBOSS"]
    assert "Removed resource: AMBOSS (3 of 5)" in history_page(client, story)


def test_a_resource_rating_change_is_kept(client, story, catalogue):
    edit(client, story, catalogue, **{"resources-1-rating": "5"})
    assert "AMBOSS rating: 3 of 5 → 5 of 5" in history_page(client, story)


def test_a_practice_score_change_is_kept(client, story, catalogue):
    edit(client, story, catalogue, **{"practice-0-score": "240"})
    assert json.loads(revisions()[0].snapshot)["practice"][0]["score"] == 231
    assert "NBME CCSSA Form 11, 02 May 2025: 231 → 240" in history_page(client, story)


def test_a_practice_score_removed_is_kept(client, story, catalogue):
    edit(client, story, catalogue, **{"practice-0-assessment": "", "practice-0-score": "", "practice-0-taken_on": ""})
    assert "Removed practice score: NBME CCSSA Form 11, 02 May 2025: 231" in history_page(client, story)


def test_a_save_that_changes_nothing_keeps_no_revision(client, story, catalogue):
    edit(client, story, catalogue)
    assert revisions() == [] and fresh(story).edited_at is None
    assert "This story has not been edited." in history_page(client, story)


def test_a_save_that_changes_nothing_says_so(client, story, catalogue):
    response = edit(client, story, catalogue)
    assert "Nothing changed, so the story and its history stay as they were." in \
        client.get(response.headers["Location"]).get_data(as_text=True)


def test_the_current_version_heads_the_page(client, story, catalogue):
    edit(client, story, catalogue, score="262")
    page = history_page(client, story)
    assert page.index("Current version") < page.index("Score: 240 → 262")
    assert "<dt>Score</dt><dd>262</dd>" in page
    assert "NBME CCSSA Form 11, 02 May 2025: 231" in page


def test_versions_read_newest_first_each_against_the_next(client, story, catalogue):
    edit(client, story, catalogue, score="250")
    edit(client, story, catalogue, score="262")
    page = history_page(client, story)
    assert page.index("Score: 250 → 262") < page.index("Score: 240 → 250")
    assert "Score: 240 → 262" not in page


# --- redaction -----------------------------------------------------------------------------------------------------

def test_a_moderator_edit_with_hide_hides_the_replaced_record_from_readers(app, client, story, catalogue):
    moderator = app.test_client()
    sign_in(moderator, make_user("a_moderator", role="moderator"))
    post_form(moderator, f"/stories/{story.id}/edit",
              story_data(catalogue, score="262", hide_replaced="y", reason="score was a typo"))
    [kept] = revisions()
    assert kept.is_hidden and kept.editor.username == "a_moderator"
    reader = history_page(app.test_client(), story)
    assert "A version hidden by a moderator on" in reader and "Score: 240" not in reader
    moderator_view = history_page(moderator, story)
    assert "Score: 240 → 262" in moderator_view and "Hidden from readers by a_moderator" in moderator_view


def test_a_hidden_version_does_not_show_through_the_version_before_it(app, client, story, catalogue):
    edit(client, story, catalogue, body=SECRET + " Then I studied for eight weeks with UWorld.")
    edit(client, story, catalogue, body="I studied for eight weeks with UWorld, and nothing else matters here.")
    moderator = app.test_client()
    sign_in(moderator, make_user(role="moderator"))
    holding_secret = revisions()[1]  # the version the second edit replaced
    post_form(moderator, f"/mod/revisions/{holding_secret.id}/hide", {"reason": "recalled question"},
              token_from="/")
    reader = history_page(app.test_client(), story)
    assert "flank pain" not in reader
    assert "Compared with the next version you can see" in reader
    assert "I studied for eight weeks with UWorld, and nothing else matters here." in reader
    assert "flank pain" in history_page(moderator, story)


def test_a_legacy_revision_shows_its_title_and_text_and_says_the_rest_was_not_kept(client):
    story = make_story(title="A title as it is now", body="The text as it stands today, long enough.")
    db.session.add(Revision(item_type="story", item_id=story.id, title="A title as it was",
                            body="The text as it was in 2025, long enough.", editor_id=story.author_id))
    db.session.commit()
    page = history_page(client, story)
    assert "Title: A title as it was → A title as it is now" in page
    assert "The text as it was in 2025, long enough.</del>" in page
    assert "the exam record, resources and practice scores of this version were not recorded" in page


def test_text_in_a_version_is_shown_as_text(client):
    story = make_story(body="Now a plain text that is long enough.")
    db.session.add(Revision(item_type="story", item_id=story.id, title=story.title,
                            body='<script>alert(1)</script><img src=x onerror="alert(2)">', editor_id=story.author_id))
    db.session.commit()
    page = history_page(client, story)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- comments ------------------------------------------------------------------------------------------------------

@pytest.fixture
def comment(app):
    author = make_user("commenter")
    return make_comment(make_story(), author, body="UWorld first, then the NBMEs.\nGood luck!")


def edit_comment(app, comment, body: str):
    client = app.test_client()
    sign_in(client, "commenter")
    assert post_form(client, f"/comments/{comment.id}/edit", {"body": body}).status_code == 302


def test_a_comment_edit_keeps_the_old_text_and_shows_the_diff(app, comment):
    edit_comment(app, comment, "AMBOSS first, then the NBMEs.\nGood luck!")
    [kept] = revisions()
    assert (kept.item_type, json.loads(kept.snapshot)) == ("comment", {"body": "UWorld first, then the NBMEs.\n"
                                                                               "Good luck!"})
    response = app.test_client().get(f"/comments/{comment.id}/revisions")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "UWorld first, then the NBMEs.</del>" in page and "AMBOSS first, then the NBMEs.</ins>" in page
    assert '<span class="diff-line">Good luck!</span>' in page


def test_an_edited_comment_links_to_its_history(app, comment):
    edit_comment(app, comment, "AMBOSS first, then the NBMEs.")
    story = db.session.get(Story, comment.story_id)
    thread = app.test_client().get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)
    assert f'<a href="/comments/{comment.id}/revisions">edited</a>' in thread


@pytest.mark.parametrize("status", ["removed", "deleted"])
def test_a_comment_gone_from_its_thread_has_no_public_history(app, comment, status):
    edit_comment(app, comment, "A version with something a moderator removed.")
    comment = fresh(comment)
    comment.status = status
    db.session.commit()
    assert app.test_client().get(f"/comments/{comment.id}/revisions").status_code == 404
    member = app.test_client()
    sign_in(member, make_user())
    assert member.get(f"/comments/{comment.id}/revisions").status_code == 404
    moderator = app.test_client()
    sign_in(moderator, make_user(role="moderator"))
    assert "something a moderator removed" in moderator.get(f"/comments/{comment.id}/revisions").get_data(as_text=True)


def test_a_comment_on_a_removed_story_has_no_public_history(app, comment):
    db.session.get(Story, comment.story_id).status = "removed"
    db.session.commit()
    assert app.test_client().get(f"/comments/{comment.id}/revisions").status_code == 404


def test_a_moderator_hides_a_comment_version_and_returns_to_the_comment_history(app, comment):
    edit_comment(app, comment, SECRET)
    edit_comment(app, comment, "Nothing to see any more, just advice.")
    moderator = app.test_client()
    sign_in(moderator, make_user(role="moderator"))
    holding_secret = revisions()[1]
    response = post_form(moderator, f"/mod/revisions/{holding_secret.id}/hide", {"reason": "recalled question"},
                         token_from="/")
    assert response.headers["Location"] == f"/comments/{comment.id}/revisions#revision-{holding_secret.id}"
    assert fresh(holding_secret).is_hidden
    reader = app.test_client().get(f"/comments/{comment.id}/revisions").get_data(as_text=True)
    assert "flank pain" not in reader and "A version hidden by a moderator on" in reader
