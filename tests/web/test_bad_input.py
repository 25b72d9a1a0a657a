"""Every form field, given hostile values, answers with a field error or a clean page: never a 500."""
from datetime import datetime

import pytest

from tests.builders import make_comment, make_story, make_user, post_form, sign_in

HOSTILE = {
    "empty": "",
    "whitespace": "   \t  ",
    "huge": "x" * 10_000,
    "nul": "abc\x00def",
    "rtl": "\u202eمرحبا بالعالم",
    "emoji": "🩺📚💉" * 5,
}

PUBLIC_FORMS = {
    "/auth/register": ["username", "email", "password", "background"],
    "/auth/login": ["login", "password"],
    "/auth/reset": ["email"],
}
SIGNED_IN_FORMS = {
    "/settings/profile": ["background", "bio"],
    "/settings/password": ["current_password", "new_password"],
    "/settings/email": ["email", "current_password"],
}


def _valid_defaults(url):
    return {
        "/auth/register": {"username": "valid_name", "email": "v@example.org", "password": "valid long phrase"},
        "/auth/login": {"login": "someone", "password": "some password"},
        "/auth/reset": {"email": "v@example.org"},
        "/settings/profile": {"background": "", "bio": "hello"},
        "/settings/password": {"current_password": "x", "new_password": "valid long phrase"},
        "/settings/email": {"email": "v2@example.org", "current_password": "x"},
    }[url]


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize(("url", "field"), [(u, f) for u, fs in PUBLIC_FORMS.items() for f in fs])
def test_public_form_fields_survive_hostile_values(app, url, field, kind):
    client = app.test_client()
    data = {**_valid_defaults(url), field: HOSTILE[kind]}
    response = post_form(client, url, data)
    assert response.status_code in (200, 302, 400)


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize(("url", "field"), [(u, f) for u, fs in SIGNED_IN_FORMS.items() for f in fs])
def test_settings_fields_survive_hostile_values(app, url, field, kind):
    client = app.test_client()
    sign_in(client, make_user())
    response = post_form(client, url, {**_valid_defaults(url), field: HOSTILE[kind]}, token_from="/settings")
    assert response.status_code in (302, 400)


@pytest.mark.parametrize(("field", "kind"), [("username", "nul"), ("username", "rtl"), ("username", "emoji"),
                                             ("username", "huge"), ("username", "whitespace"), ("email", "nul"),
                                             ("email", "huge"), ("email", "emoji"), ("password", "empty")])
def test_register_shows_a_field_error(client, field, kind):
    data = {**_valid_defaults("/auth/register"), field: HOSTILE[kind]}
    body = post_form(client, "/auth/register", data).get_data(as_text=True)
    assert f'id="{field}-error"' in body


def test_bio_with_nul_byte_is_a_field_error(client):
    sign_in(client, make_user())
    response = post_form(client, "/settings/profile", {"bio": "a\x00b"}, token_from="/settings")
    assert response.status_code == 400
    assert 'id="bio-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("kind", [*HOSTILE, "too long"])
@pytest.mark.parametrize("form", ["comment", "reply", "edit"])
def test_comment_reply_and_edit_bodies_survive_hostile_values(client, form, kind):
    """Each comment form answers a hostile body with a saved comment or the form again, holding what was typed."""
    body = "x" * 10_001 if kind == "too long" else HOSTILE[kind]
    member = make_user(created_at=datetime(2024, 1, 1))
    sign_in(client, member)
    story = make_story()
    if form == "edit":
        url, data = f"/comments/{make_comment(story, member).id}/edit", {"body": body}
    else:  # a reply answers someone else, whom the re-shown form quotes
        url, data = f"/stories/{story.id}/comments", {"body": body, **({"parent_id": str(make_comment(story).id)}
                                                                       if form == "reply" else {})}
    response = post_form(client, url, data, token_from=f"/stories/{story.id}-{story.slug}")
    assert response.status_code in (302, 400)
    if response.status_code == 400 and body.strip():
        assert 'id="body-error"' in response.get_data(as_text=True)


def test_query_strings_with_hostile_values_do_not_500(client):
    for value in HOSTILE.values():
        assert client.get("/auth/login", query_string={"next": value}).status_code in (200, 400)
        assert client.get(f"/u/{value or 'x'}").status_code in (400, 404)


def test_nul_in_a_query_string_is_400(client):
    assert client.get("/auth/login", query_string={"next": "/\x00"}).status_code == 400
