"""What members cannot reach or change (security issue 14, items 5, 13-16 and the report and edit limits):
removed stories stay gone everywhere, an author's deletion stands, a ban covers the profile, a lock covers edits,
and the insights CSV cannot carry a formula into a spreadsheet."""
import csv
import io
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from forum import moderation
from forum.extensions import db
from forum.insights import figures
from forum.models import Comment, ModAction, Report
from tests.builders import fresh, make_comment, make_resource, make_story, make_user, post_form, sign_in

SECRET_TITLE = "My recalled exam questions, all forty"
SECRET_COMMENT = "Question 12 was the one about the porphyria patient"


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def act(client, target_type, target_id, action, **data):
    return post_form(client, f"/mod/{target_type}/{target_id}/{action}", data, token_from="/")


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def gone_story():
    """A story a moderator removed, with a comment that quotes it."""
    story = make_story(title=SECRET_TITLE, status="removed", status_reason="live exam content")
    return story, make_comment(story, body=SECRET_COMMENT)


# --- Item 5: a removed story stays gone on the reply and report pages, and in the public log ---------------------

@pytest.mark.parametrize("status", ["removed", "deleted"])
def test_the_reply_page_of_a_story_that_is_gone_is_not_found(app, status):
    story = make_story(title=SECRET_TITLE, status=status)
    comment = make_comment(story, body=SECRET_COMMENT)
    response = signed_in(app, make_user()).get(f"/comments/{comment.id}/reply")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert SECRET_TITLE not in page and "porphyria" not in page
    assert app.test_client().get(f"/comments/{comment.id}/reply").status_code == 404


def test_the_permalink_of_a_comment_on_a_removed_story_does_not_name_it(app, gone_story):
    _, comment = gone_story
    response = signed_in(app, make_user()).get(f"/comments/{comment.id}")
    assert response.status_code == 404
    assert "recalled-exam" not in response.headers.get("Location", "")
    assert signed_in(app, make_user(role="moderator")).get(f"/comments/{comment.id}").status_code == 302


def test_a_moderator_still_sees_the_reply_page_of_a_removed_story(app, gone_story):
    _, comment = gone_story
    response = signed_in(app, make_user(role="moderator")).get(f"/comments/{comment.id}/reply")
    assert response.status_code == 200 and SECRET_TITLE in response.get_data(as_text=True)


def test_the_reply_page_of_a_removed_comment_does_not_name_its_author(app):
    comment = make_comment(make_story(), make_user("quiet_author"), body=SECRET_COMMENT, status="removed")
    page = signed_in(app, make_user()).get(f"/comments/{comment.id}/reply").get_data(as_text=True)
    assert "quiet_author" not in page and "porphyria" not in page and "[removed]" in page


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_reporting_a_comment_on_a_removed_story_is_not_found(app, gone_story, method):
    _, comment = gone_story
    client = signed_in(app, make_user())
    url = f"/report/comment/{comment.id}"
    response = client.get(url) if method == "GET" else post_form(client, url, {"reason": "spam"}, token_from="/")
    assert response.status_code == 404
    assert SECRET_TITLE not in response.get_data(as_text=True)
    assert count(Report) == 0


@pytest.mark.parametrize("status", ["removed", "deleted"])
def test_commenting_on_a_story_that_is_gone_is_not_found_and_does_not_name_it(app, status):
    story = make_story(title=SECRET_TITLE, status=status)
    client = signed_in(app, make_user())
    response = post_form(client, f"/stories/{story.id}/comments", {"body": "Is this still here?"}, token_from="/")
    assert response.status_code == 404
    assert SECRET_TITLE not in response.get_data(as_text=True)
    assert count(Comment) == 0


def test_the_public_log_names_removed_items_by_number_only(app):
    story = make_story(title=SECRET_TITLE)
    comment = make_comment(make_story(title="A story that stays"), body=SECRET_COMMENT)
    moderator = signed_in(app, make_user(role="moderator"))
    act(moderator, "story", story.id, "remove", reason="live exam content")
    act(moderator, "comment", comment.id, "remove", reason="live exam content")
    page = app.test_client().get("/moderation-log").get_data(as_text=True)
    assert f"story #{story.id}" in page and f"comment #{comment.id}" in page
    assert SECRET_TITLE not in page and "porphyria" not in page
    assert db.session.scalars(sa.select(ModAction.target_label)).all() == ["", ""]  # nothing kept to leak later


def test_the_public_log_hides_the_text_older_rows_hold_once_the_item_is_gone(app, gone_story):
    story, comment = gone_story
    # Rows written before the fix (or before the removal) hold the title and the comment's opening words.
    moderation.record(actor=None, action="lock", target_type="story", target_id=story.id, target_label=SECRET_TITLE)
    moderation.record(actor=None, action="edit_comment", target_type="comment", target_id=comment.id,
                      target_label=SECRET_COMMENT[:80])
    db.session.commit()
    page = app.test_client().get("/moderation-log").get_data(as_text=True)
    assert f"story #{story.id}" in page and f"comment #{comment.id}" in page
    assert SECRET_TITLE not in page and "porphyria" not in page


def test_the_public_log_keeps_the_label_of_what_is_still_public(app):
    story = make_story(title="A heated but public thread")
    comment = make_comment(story, body="A comment a moderator edited")
    moderator = signed_in(app, make_user(role="moderator"))
    act(moderator, "story", story.id, "lock", reason="cool off")
    moderation.record(actor=None, action="ban", target_type="user", target_id=comment.author_id,
                      target_label="some_troll")
    moderation.record(actor=None, action="edit_comment", target_type="comment", target_id=comment.id,
                      target_label=comment.body)
    db.session.commit()
    page = app.test_client().get("/moderation-log").get_data(as_text=True)
    assert f"story #{story.id}: A heated but public thread" in page
    assert f"comment #{comment.id}: A comment a moderator edited" in page
    assert "some_troll" in page


def test_the_public_log_checks_visibility_in_two_queries_however_long_the_page(app, page_queries):
    moderator = make_user(role="moderator")
    story = make_story()
    moderation.record(actor=moderator, action="lock", target_type="story", target_id=story.id, target_label="x")
    db.session.commit()
    few = page_queries("/moderation-log")
    for _ in range(20):
        other = make_story()
        moderation.record(actor=moderator, action="lock", target_type="story", target_id=other.id, target_label="y")
        moderation.record(actor=moderator, action="remove", target_type="comment",
                          target_id=make_comment(other).id, target_label="")
    db.session.commit()
    assert page_queries("/moderation-log") == (few[0] + 1, few[1] + 1)  # + the comments' query, once


# --- Item 13: an author's deletion stands --------------------------------------------------------------------

@pytest.mark.parametrize("target_type", ["story", "comment"])
@pytest.mark.parametrize("action", ["restore", "remove"])
def test_a_moderator_cannot_bring_back_what_its_author_deleted(app, target_type, action):
    story = make_story(status="deleted" if target_type == "story" else "published")
    target = story if target_type == "story" else make_comment(story, status="deleted")
    response = act(signed_in(app, make_user(role="moderator")), target_type, target.id, action, reason="mistake")
    assert response.status_code == 409
    assert "deleted" in response.get_data(as_text=True)
    assert fresh(target).status == "deleted"
    assert count(ModAction) == 0


def test_restoring_what_is_not_removed_changes_nothing(app):
    story = make_story()
    assert act(signed_in(app, make_user(role="moderator")), "story", story.id, "restore", reason="x").status_code == 409
    assert count(ModAction) == 0


def test_the_reports_page_offers_restore_only_for_removed_items(app):
    deleted, removed = make_story(status="deleted"), make_story(status="removed")
    for story in (deleted, removed):
        db.session.add(Report(reporter_id=make_user().id, target_type="story", target_id=story.id, reason="spam"))
    db.session.commit()
    page = signed_in(app, make_user(role="moderator")).get("/mod/reports").get_data(as_text=True)
    assert f"/mod/story/{removed.id}/restore" in page
    assert f"/mod/story/{deleted.id}/restore" not in page


# --- Item 14: a ban covers the profile -----------------------------------------------------------------------

@pytest.mark.parametrize("change", [{"bio": "Buy cheap qbank accounts at spam.example"}, {"background": "img"}])
def test_a_banned_member_cannot_change_what_their_profile_shows(app, change):
    member = make_user(bio="Old words", background="us_md", banned_until=datetime(2999, 1, 1))
    client = signed_in(app, member)
    data = {"bio": "Old words", "background": "us_md", **change}
    response = post_form(client, "/settings/profile", data, token_from="/settings")
    assert response.status_code == 403
    assert "suspended" in response.get_data(as_text=True)
    assert change.get("bio", "Old words") in response.get_data(as_text=True)  # what they typed comes back
    assert (fresh(member).bio, member.background) == ("Old words", "us_md")


def test_a_banned_member_can_still_stop_mail(app):
    member = make_user(bio="Old words", email_on_reply=True, banned_until=datetime(2999, 1, 1))
    client = signed_in(app, member)
    response = post_form(client, "/settings/profile", {"bio": "Old words", "background": ""}, token_from="/settings")
    assert response.status_code == 302
    assert fresh(member).email_on_reply is False


# --- Item 15: a lock covers edits ----------------------------------------------------------------------------

def test_an_author_cannot_edit_a_comment_on_a_locked_story(app):
    author = make_user()
    story = make_story(locked=True)
    comment = make_comment(story, author, body="What I said before the lock")
    client = signed_in(app, author)
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    response = post_form(client, f"/comments/{comment.id}/edit", {"body": "Sneaking in a change"},
                         token_from="/settings")
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "locked" in page and "Sneaking in a change" in page
    assert fresh(comment).body == "What I said before the lock"
    thread = client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)
    assert f'href="/comments/{comment.id}/edit"' not in thread


def test_a_moderator_can_still_edit_a_comment_on_a_locked_story(app):
    comment = make_comment(make_story(locked=True), body="Contains a recalled question")
    moderator = signed_in(app, make_user(role="moderator"))
    response = post_form(moderator, f"/comments/{comment.id}/edit", {"body": "[redacted by a moderator]"})
    assert response.status_code == 302
    assert fresh(comment).body == "[redacted by a moderator]"


# --- Item 16: the insights CSV carries no formulas -----------------------------------------------------------

HOSTILE_NAMES = ['=HYPERLINK("http://evil.example","UWorld")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)",
                 "\tTabbed", "\rReturned"]
INNER_RETURN = "Safe name\r=1+1"


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote(client):
    resources = [make_resource(name, slug=f"hostile-{n}", steps=("step2ck",))
                 for n, name in enumerate([*HOSTILE_NAMES, INNER_RETURN])]
    author = make_user(background="img")
    for used in (resources, []):  # a resource's row shows when at least ten stories used it and ten did not
        for outcome in ("passed", "failed"):
            for _ in range(10):
                make_story(author, step="step2ck", exam_month=date(2025, 6, 1), outcome=outcome, resources=used)
    body = client.get("/insights.csv?step=step2ck").get_data(as_text=True)
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    for name in HOSTILE_NAMES:
        assert "'" + name in cells
    assert INNER_RETURN in cells  # quoted whole: a spreadsheet starts no new row, with a formula, inside it
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [cell for cell in cells if cell.startswith("-") and not cell[1:].replace(".", "").isdigit()]


@pytest.mark.parametrize(("value", "cell"), [(-3, "-3"), (-2.5, "-2.5"), (240, "240"), (None, ""),
                                             ("-3", "'-3"), ("UWorld", "UWorld")])
def test_numbers_stay_numbers_in_the_csv(value, cell):
    assert figures.csv_value(value) == cell


# --- New limits: reports and comment edits -------------------------------------------------------------------

def test_reports_are_limited_and_the_eleventh_keeps_its_note(app):
    client = signed_in(app, make_user())
    stories = [make_story() for _ in range(11)]
    for story in stories[:10]:
        assert post_form(client, f"/report/story/{story.id}", {"reason": "spam"}).status_code == 302
    response = post_form(client, f"/report/story/{stories[10].id}", {"reason": "other", "note": "Kept for later"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Kept for later" in response.get_data(as_text=True)
    assert count(Report) == 10


def test_comment_edits_are_limited_and_the_refused_text_is_kept(app):
    author = make_user()
    comment = make_comment(make_story(), author, body="Version 0")
    client = signed_in(app, author)
    for n in range(1, 31):
        assert post_form(client, f"/comments/{comment.id}/edit", {"body": f"Version {n}"}).status_code == 302
    response = post_form(client, f"/comments/{comment.id}/edit", {"body": "Version 31, kept for later"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Version 31, kept for later" in response.get_data(as_text=True)
    assert fresh(comment).body == "Version 30"



def test_a_removed_story_does_not_redirect_to_its_title(client):
    """The slug is the title: a removed story's bare address answers 410 itself instead of a 301 that names it."""
    story = make_story(title="Secret recalled questions", status="removed", status_reason="recalled exam content")
    for url in (f"/stories/{story.id}", f"/stories/{story.id}-wrong-slug"):
        response = client.get(url)
        assert response.status_code == 410, url
        assert "recalled-questions" not in response.headers.get("Location", "")
        assert "Secret recalled" not in response.get_data(as_text=True)
