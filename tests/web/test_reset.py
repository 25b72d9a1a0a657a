"""Password reset: one answer for every address, single-use links that expire in an hour."""
import re
from datetime import timedelta

import sqlalchemy as sa

from forum.extensions import db
from forum.models import PasswordResetToken
from tests.builders import DEFAULT_PASSWORD, get_csrf, make_user, post_form, sign_in


def reset_link(outbox) -> str:
    messages = sorted(outbox.glob("*.eml"))
    assert messages, "no mail was sent"
    return re.search(r"http://localhost(/auth/reset/\S+)", messages[-1].read_text()).group(1)


def test_reset_answers_the_same_for_known_and_unknown_addresses(client, outbox):
    make_user("fay", email="fay@example.org")
    known = post_form(client, "/auth/reset", {"email": "fay@example.org"}, follow_redirects=True)
    unknown = post_form(client, "/auth/reset", {"email": "ghost@example.org"}, follow_redirects=True)
    strip = lambda html: re.sub(r'value="[^"]*"', "", html)  # noqa: E731
    assert known.status_code == unknown.status_code == 200
    assert strip(known.get_data(as_text=True)) == strip(unknown.get_data(as_text=True))
    assert len(list(outbox.glob("*.eml"))) == 1


def test_reset_link_changes_the_password_once(app, client, outbox):
    make_user("gus", email="gus@example.org")
    post_form(client, "/auth/reset", {"email": "gus@example.org"})
    link = reset_link(outbox)
    assert post_form(client, link, {"password": "brand new secret words"}).status_code == 302
    old = post_form(app.test_client(), "/auth/login", {"login": "gus", "password": DEFAULT_PASSWORD})
    assert old.status_code == 200 and "do not match an account" in old.get_data(as_text=True)
    members_only = client.get("/settings")  # the reset does not sign in, so the sign-in below is a real one
    assert members_only.status_code == 302 and members_only.headers["Location"].startswith("/auth/login")
    sign_in(client, "gus", "brand new secret words")
    assert client.get("/settings").status_code == 200
    again = client.get(link)
    assert again.status_code == 404
    assert "no longer works" in again.get_data(as_text=True)


def test_reset_link_expires_after_an_hour(client, outbox):
    make_user("hal", email="hal@example.org")
    post_form(client, "/auth/reset", {"email": "hal@example.org"})
    link = reset_link(outbox)
    row = db.session.scalar(sa.select(PasswordResetToken))
    row.expires_at = row.created_at + timedelta(hours=1) - timedelta(hours=2)
    db.session.commit()
    assert client.get(link).status_code == 404
    row.expires_at = row.created_at + timedelta(hours=1)
    db.session.commit()
    assert row.expires_at - row.created_at == timedelta(hours=1)
    assert client.get(link).status_code == 200


def test_reset_ends_existing_sessions(app, outbox):
    make_user("ivy", email="ivy@example.org")
    other_device = app.test_client()
    sign_in(other_device, "ivy")
    assert other_device.get("/settings").status_code == 200
    client = app.test_client()
    post_form(client, "/auth/reset", {"email": "ivy@example.org"})
    assert post_form(client, reset_link(outbox), {"password": "entirely fresh phrase"}).status_code == 302
    assert "Sign out" not in other_device.get("/").get_data(as_text=True)
    members_only = other_device.get("/settings")
    assert members_only.status_code == 302 and members_only.headers["Location"].startswith("/auth/login")


def test_reset_refuses_common_password(client, outbox):
    make_user("jo", email="jo@example.org")
    post_form(client, "/auth/reset", {"email": "jo@example.org"})
    body = post_form(client, reset_link(outbox), {"password": "qwertyuiop"}).get_data(as_text=True)
    assert "commonly used" in body


def test_unknown_token_is_404(client):
    assert client.get("/auth/reset/not-a-real-token").status_code == 404
    assert client.post("/auth/reset/not-a-real-token", data={"csrf_token": get_csrf(client)}).status_code == 404


def test_reset_is_rate_limited(client):
    for _ in range(5):
        assert post_form(client, "/auth/reset", {"email": "x@example.org"}).status_code == 302
    assert post_form(client, "/auth/reset", {"email": "x@example.org"}).status_code == 429
