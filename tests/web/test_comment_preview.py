"""Previewing a comment before sending it, and the permalinked comment's highlight."""
import re
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import Comment
from tests.builders import fresh, make_comment, make_story, make_user, post_form, sign_in

TEXT = "Use **spaced** repetition <script>alert(1)</script>"
SITE_CSS = Path(__file__).parents[2] / "forum" / "static" / "css" / "site.css"


def story_path(story) -> str:
    return f"/stories/{story.id}-{story.slug}"


def comment_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Comment))


@pytest.fixture
def member(client):
    user = make_user("previewer", created_at=datetime(2024, 1, 1))
    sign_in(client, user)
    return user


def preview_section(page: str) -> str:
    match = re.search(r'<section class="preview card".*?</section>', page, re.S)
    return match.group(0) if match else ""


def test_preview_renders_the_comment_sanitised_keeps_the_text_and_posts_nothing(client, member):
    story = make_story()
    parent = make_comment(story)
    for extra in ({}, {"parent_id": str(parent.id)}):
        response = post_form(client, f"/stories/{story.id}/comments", {"body": TEXT, "preview": "Preview", **extra},
                             token_from=story_path(story))
        page = response.get_data(as_text=True)
        assert response.status_code == 200, extra
        assert "<strong>spaced</strong>" in preview_section(page) and "<script>alert" not in page
        assert "Use **spaced** repetition &lt;script&gt;" in page  # the textarea keeps the Markdown
    assert comment_count() == 1
    sent = post_form(client, f"/stories/{story.id}/comments", {"body": TEXT}, token_from=story_path(story))
    assert sent.status_code == 302 and comment_count() == 2


def test_preview_without_a_csrf_token_is_refused_and_shows_no_preview(client, member):
    story = make_story()
    response = client.post(f"/stories/{story.id}/comments", data={"body": TEXT, "preview": "Preview"})
    assert response.status_code == 400
    assert preview_section(response.get_data(as_text=True)) == "" and comment_count() == 0


def test_preview_of_an_edit_changes_nothing_until_saved(client, member):
    comment = make_comment(make_story(), member, body="The first version.")
    url = f"/comments/{comment.id}/edit"
    response = post_form(client, url, {"body": TEXT, "preview": "Preview"})
    assert response.status_code == 200
    assert "<strong>spaced</strong>" in preview_section(response.get_data(as_text=True))
    assert fresh(comment).body == "The first version."
    assert post_form(client, url, {"body": TEXT}).status_code == 302
    assert fresh(comment).body == TEXT


def test_comment_forms_offer_a_preview_button(client, member):
    story = make_story()
    comment = make_comment(story, member)
    for url in (story_path(story), f"/comments/{comment.id}/reply", f"/comments/{comment.id}/edit"):
        assert 'name="preview" type="submit" value="Preview"' in client.get(url).get_data(as_text=True), url


def test_a_permalink_lands_on_the_comment_which_the_stylesheet_highlights(client):
    story = make_story()
    comment = make_comment(story)
    location = client.get(f"/comments/{comment.id}").headers["Location"]
    path, fragment = location.split("#")
    assert fragment == f"c{comment.id}"
    assert f'id="{fragment}"' in client.get(path).get_data(as_text=True)
    css = SITE_CSS.read_text()
    assert re.search(r"\.comment-item:target > details > :not\(ol\) \{[^}]*background: var\(--warning-bg\)", css)
    assert re.search(r"\.comment-item:target > details > summary:focus-visible \{[^}]*outline", css)
