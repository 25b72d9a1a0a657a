"""Sign-ins the server can end: copies of either cookie die with sign-out, remember-me is per sign-in and expires,
the CSRF secret turns over at sign-in, and signed-in pages are never stored by a cache."""
from datetime import timedelta

import sqlalchemy as sa

from forum.auth import sessions
from forum.extensions import db
from forum.models import LoginSession, utcnow
from tests.builders import DEFAULT_PASSWORD, QueryCounter, get_csrf, make_user, post_form, sign_in


def is_signed_in(client) -> bool:
    return client.get("/settings").status_code == 200


def copy_cookie(source, target, name: str) -> None:
    target.set_cookie(name, source.get_cookie(name).value)


def sign_out(client) -> None:
    assert client.post("/auth/logout", data={"csrf_token": get_csrf(client, "/")}).status_code == 302


def login_rows():
    db.session.rollback()
    return list(db.session.scalars(sa.select(LoginSession).order_by(LoginSession.id)))


def test_a_copied_session_cookie_stops_working_after_sign_out(app, client):
    user = make_user()
    sign_in(client, user)
    thief = app.test_client()
    copy_cookie(client, thief, "session")
    assert is_signed_in(thief)
    sign_out(client)
    assert not is_signed_in(thief)


def test_a_copied_remember_cookie_stops_working_after_sign_out(app, client):
    user = make_user()
    sign_in(client, user, remember="y")
    thief = app.test_client()
    copy_cookie(client, thief, "remember_token")
    assert is_signed_in(thief)
    sign_out(client)
    thief.delete_cookie("session")  # the session the cookie restored, too, is dead: start from the cookie alone
    assert not is_signed_in(thief)
    copy_cookie(client, thief, "session")
    assert not is_signed_in(thief)


def test_every_sign_in_gets_its_own_remember_cookie(app):
    user = make_user()
    cookies = []
    for _ in range(2):
        laptop = app.test_client()
        sign_in(laptop, user, remember="y")
        cookies.append(laptop.get_cookie("remember_token").value)
    assert cookies[0] != cookies[1]


def test_a_sign_in_records_its_row_and_lifetime(app):
    user = make_user()
    sign_in(app.test_client(), user, remember="y")
    post_form(app.test_client(), "/auth/login", {"login": user.username, "password": DEFAULT_PASSWORD},
              environ_base={"REMOTE_ADDR": "192.0.2.7"})
    remembered, session_only = login_rows()
    assert remembered.remember and timedelta(days=29, hours=23) < remembered.expires_at - utcnow() <= timedelta(days=30)
    assert not session_only.remember
    assert timedelta(days=6, hours=23) < session_only.expires_at - utcnow() <= timedelta(days=7)
    assert session_only.ip_address == "192.0.2.7"
    assert len(remembered.token_hash) == 64  # a hash, never the token the cookie carries


def test_a_remember_cookie_ends_when_its_sign_in_expires(client):
    user = make_user()
    sign_in(client, user, remember="y")
    client.delete_cookie("session")
    assert is_signed_in(client)
    (row,) = login_rows()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    client.delete_cookie("session")
    assert not is_signed_in(client)


def test_a_session_cookie_ends_when_its_sign_in_expires(client):
    sign_in(client, make_user())
    (row,) = login_rows()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert not is_signed_in(client)


def test_an_old_format_cookie_signs_its_holder_out(client):
    """Before revocable sign-ins the cookies held "<user id>:<auth version>"; they name no sign-in now."""
    user = make_user()
    with client.session_transaction() as old_session:
        old_session["_user_id"] = f"{user.id}:{user.auth_version}"
    assert not is_signed_in(client)


def test_sign_out_everywhere_ends_every_sign_in_this_one_too(app):
    user = make_user()
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    for device in (laptop, phone):
        sign_in(device, user)
    sign_in(tablet, user, remember="y")
    other = make_user()
    bystander = app.test_client()
    sign_in(bystander, other)
    assert "Signed in on 3 browsers" in laptop.get("/settings").get_data(as_text=True)
    response = post_form(laptop, "/settings/sign-out-everywhere", {}, token_from="/settings")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/login"
    tablet.delete_cookie("session")
    assert not any(is_signed_in(device) for device in (laptop, phone, tablet))
    assert is_signed_in(bystander)


def test_sign_out_empties_the_whole_session(client):
    sign_in(client, make_user())
    with client.session_transaction() as before:
        before["left_behind"] = "a value from the signed-in visit"
    sign_out(client)
    with client.session_transaction() as after:
        assert set(after) <= {"_flashes", "_remember"}


def test_the_loader_reads_the_user_and_the_sign_in_in_one_query(app):
    user = make_user()
    row, token = LoginSession.start(user, remember=False, ip_address="")
    db.session.add(row)
    db.session.commit()
    cookie_id = f"{user.id}:{token}"
    with app.test_request_context(), QueryCounter() as counter:
        loaded = sessions.load_user(cookie_id)
        assert loaded.get_id() == cookie_id
    assert counter.count == 1


def test_the_loader_refuses_malformed_ids(app):
    user = make_user()
    with app.test_request_context():
        for cookie_id in ("", ":", f"{user.id}", f"{user.id}:", "x:y", "²:token", f"{2**40}:token", "-1:token"):
            assert sessions.load_user(cookie_id) is None, cookie_id


def test_a_csrf_token_from_before_sign_in_is_refused_after_it(client):
    user = make_user()
    planted = get_csrf(client, "/auth/login")
    response = client.post("/auth/login", data={"csrf_token": planted, "login": user.username,
                                                "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    assert client.post("/auth/logout", data={"csrf_token": planted}).status_code == 400
    assert is_signed_in(client)
    sign_out(client)  # a token from the signed-in page works


def test_registering_turns_the_csrf_secret_over_too(client):
    planted = get_csrf(client, "/auth/register")
    response = client.post("/auth/register", data={"csrf_token": planted, "username": "newcomer",
                                                   "email": "newcomer@example.org",
                                                   "password": "plum tuesday lantern"})
    assert response.status_code == 302
    assert client.post("/auth/logout", data={"csrf_token": planted}).status_code == 400


def test_signed_in_pages_are_never_stored(app, client):
    anonymous = client.get("/")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    sign_in(client, make_user())
    for url in ("/", "/settings", "/stories"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url


def test_static_files_keep_their_caching_and_load_no_user(app, client):
    sign_in(client, make_user())
    with QueryCounter() as counter:
        response = client.get("/static/favicon.svg")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert counter.count == 0


def test_sign_in_starts_a_fresh_session(client):
    with client.session_transaction() as before:
        before["planted"] = "set before the sign-in"
    sign_in(client, make_user())
    with client.session_transaction() as after:
        assert "planted" not in after


def test_a_revoked_session_is_forgotten_and_its_pages_cacheable_again(app, client):
    user = make_user()
    sign_in(client, user)
    laptop = app.test_client()
    sign_in(laptop, user)
    post_form(laptop, "/settings/sign-out-everywhere", {}, token_from="/settings")
    page = client.get("/")  # finds the sign-in revoked, and shows the page a visitor gets
    assert "Sign out" not in page.get_data(as_text=True)
    assert "no-store" not in page.headers.get("Cache-Control", "")
    with client.session_transaction() as left:
        assert "_user_id" not in left


def test_a_sign_in_clears_away_the_accounts_long_dead_rows(app):
    user = make_user()
    sign_in(app.test_client(), user)
    sign_in(app.test_client(), user)
    old, recent = login_rows()
    old.expires_at = utcnow() - timedelta(days=31)  # ended a month ago: its address no longer counts as known
    recent.expires_at = utcnow() - timedelta(days=1)
    db.session.commit()
    sign_in(app.test_client(), user)
    assert [row.id for row in login_rows()][:1] == [recent.id] and len(login_rows()) == 2
