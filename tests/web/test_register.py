"""Registration rules: usernames, emails and passwords."""
import pytest
import sqlalchemy as sa

from forum.extensions import db
from forum.models import User
from tests.builders import make_user, post_form

GOOD = {"username": "new_doc-1", "email": "New.Doc@Example.org", "password": "plum tuesday lantern",
        "background": "img"}


def register(client, **overrides):
    return post_form(client, "/auth/register", {**GOOD, **overrides})


def test_register_creates_account_and_signs_in(client):
    response = register(client)
    assert response.status_code == 302
    user = db.session.scalar(sa.select(User).where(User.username == "new_doc-1"))
    assert user.email == "new.doc@example.org"
    assert user.background == "img"
    assert user.password_hash.startswith("$argon2id$")
    assert "new_doc-1" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("username", ["ab", "a" * 31, "has space", "dot.ted", "émile", "name!", ""])
def test_register_rejects_bad_usernames(client, username):
    response = register(client, username=username)
    assert response.status_code == 200
    assert "field-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_username_is_unique_ignoring_case(client):
    make_user("Alice")
    response = register(client, username="aLICE")
    assert "That username is taken." in response.get_data(as_text=True)


def test_email_is_unique_after_normalising(client):
    make_user("alice", email="alice@example.org")
    response = register(client, email="  ALICE@Example.ORG ")
    assert "An account already uses this address" in response.get_data(as_text=True)


def test_password_needs_ten_characters(client):
    body = register(client, password="nine char").get_data(as_text=True)
    assert "Use 10 to 1024 characters." in body


def test_common_password_is_refused(client):
    body = register(client, password="password123").get_data(as_text=True)
    assert "commonly used passwords" in body


def test_long_password_is_kept_whole(client):
    long_password = "x7!" * 60  # 180 characters: no silent truncation at 72 (bcrypt) or 128
    assert register(client, password=long_password).status_code == 302
    client.post("/auth/logout", data={})  # no token: refused, still signed in — sign out properly below
    from tests.builders import get_csrf
    client.post("/auth/logout", data={"csrf_token": get_csrf(client, "/")})
    assert post_form(client, "/auth/login", {"login": "new_doc-1", "password": long_password[:-1]}).status_code == 200
    assert post_form(client, "/auth/login", {"login": "new_doc-1", "password": long_password}).status_code == 302


def test_signed_in_user_visiting_register_goes_home(client):
    assert client.get("/auth/register").status_code == 200
    register(client)
    response = client.get("/auth/register")
    assert response.status_code == 302 and response.headers["Location"] == "/"
