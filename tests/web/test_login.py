"""Sign in and sign out: no user enumeration, safe redirects, remember-me, rate limits."""
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest

from tests.builders import DEFAULT_PASSWORD, fresh, get_csrf, make_user, post_form, sign_in


def without_token(html: str) -> str:
    return re.sub(r'value="[^"]*"(?=[^>]*>)', "", re.sub(r'name="csrf_token"[^>]*>', "", html))


def signed_in_user_id(client) -> str | None:
    """Whom the session signs in: Flask-Login's user id ("<user id>:<sign-in token>"), or None."""
    with client.session_transaction() as session:
        return session.get("_user_id")


def assert_signed_in(client, user) -> None:
    assert signed_in_user_id(client).startswith(f"{user.id}:")
    assert client.get("/settings").status_code == 200


def assert_signed_out(client) -> None:
    """/auth/login sends a signed-in visitor straight on, so a sign-in after a failed sign-out would prove nothing."""
    assert signed_in_user_id(client) is None
    members_only = client.get("/settings")
    assert members_only.status_code == 302 and members_only.headers["Location"].startswith("/auth/login")


def sign_out(client) -> None:
    assert client.post("/auth/logout", data={"csrf_token": get_csrf(client, "/")}).status_code == 302
    assert_signed_out(client)


def test_sign_in_by_username_or_email(client):
    carla = make_user("carla", email="carla@example.org")
    sign_in(client, "CARLA")
    assert_signed_in(client, carla)
    sign_out(client)
    sign_in(client, "Carla@Example.org")
    assert_signed_in(client, carla)


def test_unknown_user_and_wrong_password_get_identical_answers(client):
    unknown = post_form(client, "/auth/login", {"login": "nobody", "password": "whatever123"})
    make_user("nobody")
    wrong = post_form(client, "/auth/login", {"login": "nobody", "password": "whatever123"})
    assert unknown.status_code == wrong.status_code == 200
    assert without_token(unknown.get_data(as_text=True)) == without_token(wrong.get_data(as_text=True))
    assert "do not match an account" in unknown.get_data(as_text=True)


def test_logout_refuses_get(client):
    user = make_user()
    sign_in(client, user)
    assert client.get("/auth/logout").status_code == 405
    assert user.username in client.get("/").get_data(as_text=True)


def test_logout_refuses_post_without_csrf_token(client):
    user = make_user()
    sign_in(client, user)
    assert client.post("/auth/logout").status_code == 400
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_logout_with_token_signs_out(client):
    user = make_user()
    sign_in(client, user)
    response = client.post("/auth/logout", data={"csrf_token": get_csrf(client, "/")})
    assert response.status_code == 302
    assert "Sign out" not in client.get("/").get_data(as_text=True)
    assert_signed_out(client)


@pytest.mark.parametrize("target", [
    "https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example", "http:evil.example",
    "/%09/evil.example", "/%5C/evil.example", "javascript:alert(1)", "evil.example",
])
def test_next_never_leaves_the_site(client, target):
    user = make_user()
    response = post_form(client, f"/auth/login?next={target}", {"login": user.username, "password": DEFAULT_PASSWORD},
                         token_from="/auth/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_next_on_the_site_is_followed(client):
    user = make_user()
    response = post_form(client, "/auth/login?next=/settings", {"login": user.username, "password": DEFAULT_PASSWORD},
                         token_from="/auth/login")
    assert response.headers["Location"] == "/settings"


def test_remember_me_sets_a_30_day_cookie(client):
    user = make_user()
    response = sign_in(client, user, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    lifetime = expires - datetime.now(UTC)
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30)


def test_remember_cookie_restores_the_session(app, client):
    user = make_user()
    sign_in(client, user, remember="y")
    client.delete_cookie("session")
    assert "Sign out" in client.get("/").get_data(as_text=True)


def test_login_is_rate_limited_per_account_and_address(app):
    """Ten failures pause this address for this account; the member's own address is untouched
    (tests/web/test_login_limits.py has the rest)."""
    user = make_user("erin")
    untouched = (user.password_hash, user.banned_until)
    guesser = {"REMOTE_ADDR": "10.0.0.1"}
    for i in range(10):
        response = post_form(app.test_client(), "/auth/login", {"login": "erin", "password": f"wrong-{i}-password"},
                             environ_base=guesser)
        assert response.status_code == 200
    blocked = post_form(app.test_client(), "/auth/login", {"login": "erin", "password": DEFAULT_PASSWORD},
                        environ_base=guesser)
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert "Slow down" in blocked.get_data(as_text=True)
    # A pause on signing in to this account from there: the row is untouched, another account signs in from that
    # address, and the member signs in from hers.
    assert (fresh(user).password_hash, user.banned_until) == untouched
    make_user("frank")
    other = post_form(app.test_client(), "/auth/login", {"login": "frank", "password": DEFAULT_PASSWORD},
                      environ_base=guesser)
    assert other.status_code == 302
    own = post_form(app.test_client(), "/auth/login", {"login": "erin", "password": DEFAULT_PASSWORD},
                    environ_base={"REMOTE_ADDR": "10.0.1.1"})
    assert own.status_code == 302


def test_login_is_rate_limited_per_address(client):
    for i in range(20):
        response = post_form(client, "/auth/login", {"login": f"someone{i}", "password": "not-the-password"})
        assert response.status_code == 200
    blocked = post_form(client, "/auth/login", {"login": "someone-else", "password": "not-the-password"})
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers


def test_successful_sign_ins_do_not_spend_the_allowance(client):
    user = make_user()
    for _ in range(12):  # more than the 10 failures an account is allowed
        sign_in(client, user)
        assert_signed_in(client, user)
        sign_out(client)


def test_register_is_rate_limited(client):
    for i in range(5):
        response = post_form(client, "/auth/register", {"username": f"r{i}xx", "email": "bad", "password": "x"})
        assert response.status_code == 200
    assert post_form(client, "/auth/register", {"username": "r9xx"}).status_code == 429


def test_banned_user_can_sign_in_and_is_told(client):
    from datetime import datetime
    user = make_user(banned_until=datetime(2999, 1, 1), ban_reason="spam links")
    response = sign_in(client, user)
    assert response.status_code == 302
    assert "suspended" in client.get("/").get_data(as_text=True)
