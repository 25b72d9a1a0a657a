"""Moderators act on a story or comment from its own page, report or not; the ban list; unban in the UI and the CLI.
Every action is one line in the moderation log."""
import re
from datetime import datetime

import sqlalchemy as sa

from forum.extensions import db
from forum.models import ModAction, Report
from tests.builders import fresh, get_csrf, make_comment, make_story, make_user, post_form, sign_in


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def page_of(story) -> str:
    return f"/stories/{story.id}-{story.slug}"


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def press(client, page: str, action_url: str, **data):
    """Send the form the page shows for action_url, as a browser would: the page must offer it."""
    shown = html(client, page)
    assert f'action="{action_url}"' in shown, f"{page} offers no {action_url}"
    form = re.search(rf'action="{re.escape(action_url)}".*?</form>', shown, re.S).group(0)
    hidden = dict(re.findall(r'name="(next)" value="([^"]*)"', form))
    return client.post(action_url, data={"csrf_token": get_csrf(client, page), **hidden, **data})


def log() -> list[tuple[str, str, str]]:
    db.session.rollback()
    return [tuple(row) for row in db.session.execute(
        sa.select(ModAction.action, ModAction.target_type, ModAction.reason).order_by(ModAction.id))]


def run(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


def comment_on(client, story):
    return post_form(client, f"/stories/{story.id}/comments", {"body": "Back again, with a real question."},
                     token_from=page_of(story))


def test_only_moderators_see_the_tools_on_a_story_and_its_comments(app):
    author = make_user()
    story = make_story(author)
    comment = make_comment(story, make_user())
    readers = {"visitor": app.test_client(), "member": signed_in(app, make_user()), "author": signed_in(app, author),
               "banned moderator": signed_in(app, make_user(role="moderator", banned_until=datetime(2999, 1, 1)))}
    for who, client in readers.items():
        shown = html(client, page_of(story))
        assert "/mod/story/" not in shown and "/mod/comment/" not in shown and "Moderate this" not in shown, who
    shown = html(signed_in(app, make_user(role="moderator")), page_of(story))
    for url in (f"/mod/story/{story.id}/remove", f"/mod/story/{story.id}/lock", f"/mod/comment/{comment.id}/remove"):
        assert f'action="{url}"' in shown
    assert "Reason to remove (public)" in shown and "Reason to lock thread (public)" in shown
    assert f"/mod/story/{story.id}/restore" not in shown and f"/mod/story/{story.id}/unlock" not in shown


def test_remove_and_restore_a_story_from_its_page(app):
    story = make_story(title="Shares recalled questions")
    moderator = signed_in(app, make_user(role="moderator"))
    response = press(moderator, page_of(story), f"/mod/story/{story.id}/remove", reason="live exam content")
    assert response.status_code == 302 and response.headers["Location"] == page_of(story)
    assert fresh(story).status == "removed" and story.status_reason == "live exam content"
    assert app.test_client().get(page_of(story)).status_code == 410
    shown = html(moderator, page_of(story))  # still there for moderators, with the way back
    assert "This story is removed" in shown and f"/mod/story/{story.id}/remove" not in shown
    press(moderator, page_of(story), f"/mod/story/{story.id}/restore", reason="the questions were invented")
    assert fresh(story).status == "published"
    assert log() == [("remove", "story", "live exam content"), ("restore", "story", "the questions were invented")]


def test_remove_and_restore_a_comment_from_the_thread(app):
    story = make_story()
    comment = make_comment(story, body="buy cheap qbank accounts here")
    moderator = signed_in(app, make_user(role="moderator"))
    response = press(moderator, page_of(story), f"/mod/comment/{comment.id}/remove", reason="spam")
    assert response.headers["Location"] == f"{page_of(story)}#c{comment.id}"
    public = html(app.test_client(), page_of(story))
    assert "[removed by a moderator: spam]" in public and "cheap qbank" not in public and "/restore" not in public
    press(moderator, page_of(story), f"/mod/comment/{comment.id}/restore", reason="a real question after all")
    assert fresh(comment).status == "published" and "cheap qbank" in html(app.test_client(), page_of(story))
    assert log() == [("remove", "comment", "spam"), ("restore", "comment", "a real question after all")]


def test_lock_and_unlock_from_the_page_and_a_second_press_is_refused(app):
    story = make_story()
    moderator = signed_in(app, make_user(role="moderator"))
    press(moderator, page_of(story), f"/mod/story/{story.id}/lock", reason="heated")
    assert fresh(story).locked
    stale = post_form(moderator, f"/mod/story/{story.id}/lock", {"reason": "again"}, token_from="/")
    assert stale.status_code == 409 and "locked already" in stale.get_data(as_text=True)
    press(moderator, page_of(story), f"/mod/story/{story.id}/unlock", reason="calmer now")
    assert not fresh(story).locked
    assert post_form(moderator, f"/mod/story/{story.id}/unlock", {"reason": "x"}, token_from="/").status_code == 409
    assert post_form(moderator, f"/mod/story/{story.id}/restore", {"reason": "x"}, token_from="/").status_code == 409
    assert log() == [("lock", "story", "heated"), ("unlock", "story", "calmer now")]


def test_an_action_without_a_reason_is_a_400_with_the_field_error(app):
    story = make_story()
    comment = make_comment(story)
    moderator = signed_in(app, make_user(role="moderator"))
    for url in (f"/mod/story/{story.id}/remove", f"/mod/story/{story.id}/lock", f"/mod/comment/{comment.id}/remove"):
        for blank in ({}, {"reason": "   "}):
            response = post_form(moderator, url, {"next": page_of(story), **blank}, token_from="/")
            assert response.status_code == 400, (url, blank)
            shown = response.get_data(as_text=True)
            assert "Say why" in shown and 'aria-invalid="true"' in shown and f'action="{url}"' in shown
    assert (fresh(story).status, story.locked, fresh(comment).status) == ("published", False, "published")
    assert log() == []


def test_restore_after_the_report_was_resolved(app):
    story = make_story()
    post_form(signed_in(app, make_user()), f"/report/story/{story.id}", {"reason": "spam"})
    moderator = signed_in(app, make_user(role="moderator"))
    press(moderator, "/mod/reports", f"/mod/story/{story.id}/remove", reason="spam")
    assert "No open reports" in html(moderator, "/mod/reports")
    assert db.session.scalar(sa.select(Report.resolution)) == "removed"
    press(moderator, page_of(story), f"/mod/story/{story.id}/restore", reason="not spam after all")
    assert fresh(story).status == "published"
    assert [action for action, _, _ in log()] == ["remove", "restore"]


def test_the_ban_list_shows_who_why_and_until_when(app):
    moderator = make_user("mod_kim", role="moderator")
    make_user("for_a_week")
    make_user("for_good")
    make_user("not_banned")
    client = signed_in(app, moderator)
    response = post_form(client, "/mod/bans", {"username": "FOR_A_WEEK", "days": "7", "reason": "rude replies"})
    assert response.status_code == 302
    assert run(app, "users", "ban", "for_good", "--reason", "spam bot").exit_code == 0
    shown = html(client, "/mod/bans")
    week = re.search(r'<tr id="ban-\d+">(?:(?!</tr>).)*for_a_week.*?</tr>', shown, re.S).group(0)
    good = re.search(r'<tr id="ban-\d+">(?:(?!</tr>).)*for_good.*?</tr>', shown, re.S).group(0)
    assert "rude replies" in week and "mod_kim" in week and "permanent" not in week and "UTC" in week
    assert "spam bot" in good and "the console" in good and "permanent" in good
    assert "not_banned" not in shown
    assert [row[0] for row in log()] == ["ban", "ban"]


def test_unban_in_the_ui_lets_the_member_post_again(app):
    member = make_user("came_back", banned_until=datetime(9999, 12, 31), ban_reason="spam")
    story = make_story()
    member_client = signed_in(app, member)
    assert comment_on(member_client, story).status_code == 403
    moderator = signed_in(app, make_user(role="moderator"))
    refused = post_form(moderator, f"/mod/users/{member.id}/unban", {"reason": ""}, token_from="/mod/bans")
    assert refused.status_code == 400 and "Say why" in refused.get_data(as_text=True) and fresh(member).is_banned
    response = press(moderator, "/mod/bans", f"/mod/users/{member.id}/unban", reason="promised to stop")
    assert response.status_code == 302 and not fresh(member).is_banned and member.ban_reason == ""
    assert "Nobody is banned" in html(moderator, "/mod/bans")
    assert comment_on(member_client, story).status_code == 302
    again = post_form(moderator, f"/mod/users/{member.id}/unban", {"reason": "twice"}, token_from="/mod/bans")
    assert again.status_code == 409
    assert log() == [("unban", "user", "promised to stop")]


def test_who_may_ban_and_unban(app):
    moderator_user = make_user("mod_lee", role="moderator")
    moderator, admin = signed_in(app, moderator_user), signed_in(app, make_user(role="admin"))
    make_user("the_admin", role="admin")
    other_mod = make_user("other_mod", role="moderator")
    for client, name in ((moderator, "the_admin"), (moderator, "mod_lee"), (moderator, "other_mod"),
                         (admin, "the_admin")):
        response = post_form(client, "/mod/bans", {"username": name, "reason": "testing"})
        assert response.status_code == 403 and 'aria-invalid="true"' in response.get_data(as_text=True), name
    assert post_form(moderator, "/mod/bans", {"username": "nobody_here", "reason": "x"}).status_code == 400
    assert post_form(admin, "/mod/bans", {"username": "other_mod", "reason": "abuse"}).status_code == 302
    assert post_form(moderator, f"/mod/users/{other_mod.id}/unban", {"reason": "x"},
                     token_from="/mod/bans").status_code == 403
    assert fresh(other_mod).is_banned
    assert [row[0] for row in log()] == ["ban"]


def test_cli_unban_lifts_a_permanent_ban_and_names_what_is_wrong(app):
    member = make_user("console_case", banned_until=datetime(9999, 12, 31), ban_reason="spam")
    result = run(app, "users", "unban", "CONSOLE_CASE", "--reason", "appeal granted")
    assert result.exit_code == 0 and "no longer banned" in result.output
    assert not fresh(member).is_banned
    unknown = run(app, "users", "unban", "no_such_member", "--reason", "x")
    assert unknown.exit_code != 0 and "No user called 'no_such_member'" in unknown.output
    not_banned = run(app, "users", "unban", "console_case", "--reason", "x")
    assert not_banned.exit_code != 0 and "is not banned" in not_banned.output
    assert run(app, "users", "unban", "console_case").exit_code != 0  # --reason is required
    db.session.rollback()
    assert db.session.execute(sa.select(ModAction.action, ModAction.actor_id, ModAction.reason)).all() == [
        ("unban", None, "appeal granted")]
