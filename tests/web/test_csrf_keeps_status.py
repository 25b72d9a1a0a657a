"""A form view that keeps what was typed answers an expired or missing CSRF token with its own status.

Such a view (marked keeps_input_on_csrf_failure) runs again inside the CSRF error handler, so that a stale token
costs one more press instead of the text. A refusal it raises there (an abort's 403 or 404, a rate limit's 429)
must keep its status and the site's error page, not turn into a 500 (security issue 14, item 21). Every such view
has a case below where the view itself refuses, sent as a POST without a token.
"""
from datetime import datetime

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Comment, Report
from tests.builders import make_comment, make_story, make_user, sign_in


def signed_in(app, user=None):
    client = app.test_client()
    sign_in(client, user or make_user())
    return client


def someone_elses_comment(app):
    comment = make_comment(make_story(), body="Not yours to change")
    return signed_in(app), f"/comments/{comment.id}/edit", {"body": "Changed by a stranger"}


def own_comment_on_a_locked_story(app):
    author = make_user()
    comment = make_comment(make_story(locked=True), author, body="Said before the lock")
    return signed_in(app, author), f"/comments/{comment.id}/edit", {"body": "Typed after the lock"}


def missing_comment(app):
    return signed_in(app), "/comments/999999/edit", {"body": "Anything"}


def someone_elses_story(app):
    story = make_story()
    return signed_in(app), f"/stories/{story.id}/edit", {"title": "A stranger's title", "body": "x" * 200}


def missing_story_edit(app):
    return signed_in(app), "/stories/999999/edit", {"title": "Anything at all", "body": "x" * 200}


def report_on_a_missing_story(app):
    return signed_in(app), "/report/story/999999", {"reason": "spam"}


def report_on_your_own_story(app):
    author = make_user()
    return signed_in(app, author), f"/report/story/{make_story(author).id}", {"reason": "spam"}


def report_on_a_comment_of_a_removed_story(app):
    comment = make_comment(make_story(status="removed"))
    return signed_in(app), f"/report/comment/{comment.id}", {"reason": "spam"}


def comment_on_a_removed_story(app):
    return signed_in(app), f"/stories/{make_story(status='removed').id}/comments", {"body": "Still here?"}


def comment_on_a_missing_story(app):
    return signed_in(app), "/stories/999999/comments", {"body": "Anyone?"}


def reply_to_a_comment_of_another_story(app):
    elsewhere = make_comment(make_story())
    return signed_in(app), f"/stories/{make_story().id}/comments", {"body": "Hi", "parent_id": str(elsewhere.id)}


def profile_of_a_signed_out_visitor(app):
    return app.test_client(), "/settings/profile", {"bio": "Who am I?"}


def story_by_a_banned_member(app):
    banned = make_user(banned_until=datetime(2999, 1, 1))
    return signed_in(app, banned), "/stories/new", {"title": "Written while banned", "body": "x" * 200}


def unknown_reset_link(app):
    return app.test_client(), "/auth/reset/not-a-real-token-at-all", {"password": "a long new password"}


def unknown_sign_in_link(app):
    return app.test_client(), "/auth/sign-in/not-a-real-token-at-all", {}


def unknown_email_confirmation(app):
    return signed_in(app), "/settings/email/confirm/not-a-real-token-at-all", {}


def past_the_limit(url: str, data: dict):
    """A view whose rate limit refuses: the limit is spent by the same tokenless POSTs first."""
    def past_its_limit(app):
        client = app.test_client()
        for _ in range(50):
            if client.post(url, data=data).status_code == 429:
                break
        return client, url, data
    return past_its_limit


# endpoint, case, expected status, text of the answer (the view's own message or the kept text)
CASES = [
    ("comments.edit", someone_elses_comment, 403, "Not allowed"),
    ("comments.edit", own_comment_on_a_locked_story, 403, "Typed after the lock"),
    ("comments.edit", missing_comment, 404, "Page not found"),
    ("stories.edit", someone_elses_story, 403, "Not allowed"),
    ("stories.edit", missing_story_edit, 404, "Page not found"),
    ("moderation.report", report_on_a_missing_story, 404, "Page not found"),
    ("moderation.report", report_on_your_own_story, 403, "Not allowed"),
    ("moderation.report", report_on_a_comment_of_a_removed_story, 404, "Page not found"),
    ("comments.create", comment_on_a_removed_story, 404, "Page not found"),
    ("comments.create", comment_on_a_missing_story, 404, "Page not found"),
    ("comments.create", reply_to_a_comment_of_another_story, 400, "Bad request"),
    ("users.update_profile", profile_of_a_signed_out_visitor, 302, ""),
    ("stories.new", story_by_a_banned_member, 400, "Written while banned"),
    ("auth.reset_password", unknown_reset_link, 404, ""),
    ("auth.sign_in_link", unknown_sign_in_link, 404, ""),
    ("users.confirm_email", unknown_email_confirmation, 404, ""),
    ("auth.register", past_the_limit("/auth/register", {"username": "someone_new"}), 429, "Slow down"),
    ("auth.login", past_the_limit("/auth/login", {"login": "someone", "password": "wrong"}), 429, "Slow down"),
    ("auth.reset_request", past_the_limit("/auth/reset", {"email": "someone@example.org"}), 429, "Slow down"),
]


@pytest.mark.parametrize(("endpoint", "case", "status", "text"), CASES,
                         ids=[f"{endpoint}: {case.__name__}" for endpoint, case, _, _ in CASES])
def test_a_tokenless_post_gets_the_views_own_answer(app, endpoint, case, status, text):
    client, url, data = case(app)
    before = counts()
    response = client.post(url, data=data)  # no csrf_token: as after a long pause, or from another site
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert text in response.get_data(as_text=True)
    assert counts() == before, "a POST without a token changed something"


def test_every_view_that_keeps_input_has_a_case(app):
    """A new form view marked keeps_input_on_csrf_failure gets a case above, where the view itself refuses."""
    marked = {endpoint for endpoint, view in app.view_functions.items()
              if getattr(view, "keeps_input_on_csrf_failure", False)}
    assert marked == {endpoint for endpoint, *_ in CASES}


def counts() -> tuple[int, int]:
    db.session.rollback()
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Comment, Report))
