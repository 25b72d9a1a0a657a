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


@pytest.mark.parametrize("look_alike", ["dr-okafor", "Dr_0kafor", "DR-0KAF0R", "dr_okafor"])
def test_a_look_alike_of_an_existing_name_is_refused(client, look_alike):
    make_user("dr_okafor")
    response = register(client, username=look_alike)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "field-invalid" in body
    expected = "That username is taken." if look_alike == "dr_okafor" else "too close to an existing name"
    assert expected in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_a_registration_that_loses_a_race_gets_a_field_error(client, monkeypatch):
    """Two registrations of look-alike names both pass the form's check; the constraint refuses the second."""
    from forum.auth.forms import RegisterForm

    check = RegisterForm.validate_username
    calls = []

    def check_before_the_rival_commits(form, field):
        calls.append(field.data)
        if len(calls) > 1:  # the view's second look, after the constraint refused the insert
            check(form, field)

    monkeypatch.setattr(RegisterForm, "validate_username", check_before_the_rival_commits)
    make_user("dr_okafor")
    response = register(client, username="dr-okafor", email="second@example.org")
    assert response.status_code == 200
    assert "too close to an existing name" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_the_cli_refuses_a_look_alike_name(app):
    from forum.cli import create_user

    make_user("dr_okafor")
    result = app.test_cli_runner().invoke(create_user, ["dr-0kafor", "dr2@example.org"],
                                          input="a long admin passphrase\n")
    assert result.exit_code == 1 and "too close to an existing name" in result.output
