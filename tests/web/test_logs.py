"""Logs: a request id on every line of a request, one access line each, and the security events of ASVS 16.3.1
without a password, a reset token or a session cookie in any of them."""
import logging
import re

import pytest

from forum.logs import OneLineFormatter, fields, login_hint
from tests.builders import DEFAULT_PASSWORD, get_csrf, make_user, post_form, sign_in

NEW_PASSWORD = "violet harbour semaphore"
WRONG_PASSWORD = "wrong-password-typed-here"


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def access_lines(logs) -> list[logging.LogRecord]:
    return [r for r in logs.records if r.name == "forum.access"]


def events(logs) -> list[str]:
    return [re.search(r"event=(\S+)", r.getMessage()).group(1) for r in logs.records if r.name == "forum.auth"]


def event_line(logs, event: str) -> str:
    lines = [r.getMessage() for r in logs.records if r.name == "forum.auth" and f"event={event} " in r.getMessage()]
    assert lines, f"no {event} line in {events(logs)}"
    return lines[-1]


def test_each_request_gets_an_id_on_its_response_and_its_log_lines(client, logs):
    response = client.get("/healthz")
    request_id = response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = access_lines(logs)
    assert line.request_id == request_id
    assert line.getMessage().startswith("method=GET path=/healthz status=200 duration_ms=")
    assert client.get("/healthz").headers["X-Request-ID"] != request_id


def test_a_valid_incoming_request_id_is_kept(client, logs):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a.92_c"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.92_c"
    assert access_lines(logs)[-1].request_id == "lb-7f3a.92_c"


@pytest.mark.parametrize("hostile", ["has space", "x" * 65, "new\tline", "quote\"d", "semi;colon", "ünï"])
def test_an_invalid_incoming_request_id_is_replaced(client, logs, hostile):
    response = client.get("/healthz", headers={"X-Request-ID": hostile})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])
    assert hostile not in logs.text


def test_the_access_line_leaves_out_the_query_string(client, logs):
    client.get("/stories?q=my+private+search&token=abc123")
    line = access_lines(logs)[-1].getMessage()
    assert "path=/stories " in line and "private" not in line and "abc123" not in line


def test_the_access_line_names_the_signed_in_user(client, logs):
    user = make_user("liz")
    sign_in(client, user)
    client.get("/")
    line = access_lines(logs)[-1].getMessage()
    assert f"user_id={user.id} " in line and "status=200" in line


def test_every_line_logged_during_a_request_carries_its_id(client, logs):
    response = post_form(client, "/auth/login", {"login": "nobody", "password": WRONG_PASSWORD})
    failure = next(r for r in logs.records if r.name == "forum.auth")
    assert failure.request_id == response.headers["X-Request-ID"]
    assert access_lines(logs)[-1].request_id == response.headers["X-Request-ID"]


def test_a_line_is_one_line_whatever_it_holds():
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        import sys

        record = logging.LogRecord("forum.test", logging.ERROR, __file__, 1, "path=%s", ("/a\nforged=1",),
                                   sys.exc_info())
    record.request_id = "abc"
    line = OneLineFormatter().format(record)
    assert "\n" not in line and "\r" not in line
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ERROR forum\.test request_id=abc path=/a\\nforged=1", line)
    assert "Traceback" in line and "ValueError: broken\\nacross lines" in line


def test_fields_quote_values_that_would_split_a_pair():
    assert fields(event="x", path="/a b", note='say "hi"', empty="", skipped=None) == \
        'event=x path="/a b" note="say \\"hi\\"" empty=""'


def test_authentication_events_are_logged_without_secrets(app, logs, outbox):
    """Register, sign out, fail and succeed at sign-in, change the password, reset it, get locked out, and be
    promoted and banned: every step leaves its line, and no password, token or cookie is in any record."""
    client = app.test_client()
    post_form(client, "/auth/register", {"username": "dana", "email": "dana@example.org", "password": DEFAULT_PASSWORD})
    assert client.get("/settings").status_code == 200  # registering signed dana in
    client.post("/auth/logout", data={"csrf_token": get_csrf(client, "/")})
    # /auth/login sends a signed-in visitor straight on: only after a real sign-out do the next two lines sign in
    members_only = client.get("/settings")
    assert members_only.status_code == 302 and members_only.headers["Location"].startswith("/auth/login")
    assert post_form(client, "/auth/login", {"login": "dana", "password": WRONG_PASSWORD}).status_code == 200
    sign_in(client, "dana")
    assert client.get("/settings").status_code == 200
    post_form(client, "/settings/password", {"current_password": WRONG_PASSWORD, "new_password": NEW_PASSWORD},
              token_from="/settings")
    post_form(client, "/settings/password", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
              token_from="/settings")
    session_cookie = client.get_cookie("session").value

    stranger = app.test_client()
    post_form(stranger, "/auth/reset", {"email": "dana@example.org"})
    post_form(stranger, "/auth/reset", {"email": "nobody@example.org"})
    link = re.search(r"http://localhost(/auth/reset/\S+)", sorted(outbox.glob("*.eml"))[-1].read_text()).group(1)
    token = link.rsplit("/", 1)[1]
    reset_password = "quiet copper orchard"
    post_form(stranger, link, {"password": reset_password})
    stranger.get(link)  # the spent link

    for i in range(11):  # an account allows 10 failures from one address; the 11th is refused
        post_form(app.test_client(), "/auth/login", {"login": "dana", "password": f"{WRONG_PASSWORD}-{i}"},
                  environ_base={"REMOTE_ADDR": "10.9.0.10"})

    admin = app.test_client()
    sign_in(admin, make_user("root_admin", role="admin"))
    post_form(admin, "/mod/users", {"username": "dana", "role": "moderator", "reason": "helpful"})
    assert app.test_cli_runner().invoke(args=["users", "ban", "dana", "--reason", "test"]).exit_code == 0

    seen = events(logs)
    for expected in ["registered", "signed_out", "sign_in_failed", "signed_in", "password_change_failed",
                     "password_changed", "password_reset_requested", "password_reset_completed",
                     "password_reset_link_refused", "account_locked", "role_changed", "banned"]:
        assert expected in seen, f"{expected} missing from {seen}"

    assert re.fullmatch(r"event=sign_in_failed ip=10\.9\.0\.\d+ login_hint=[0-9a-f]{12}",
                        event_line(logs, "sign_in_failed"))
    assert "path=/auth/reset/<token> " in logs.text  # the access line names the route, not the token
    assert f"login_hint={login_hint('dana')}" in event_line(logs, "account_locked")
    assert "ip=10.9.0.10" in event_line(logs, "account_locked")
    assert "actor_id=console" in event_line(logs, "banned")
    assert "previous=member role=moderator" in event_line(logs, "role_changed")
    # Both requests log a hint alike (the same path for any address); the job that found dana says so.
    assert re.fullmatch(r"event=password_reset_requested ip=127\.0\.0\.1 login_hint=[0-9a-f]{12}",
                        event_line(logs, "password_reset_requested"))
    assert "user_id=" in event_line(logs, "password_reset_link_sent")

    secrets = [DEFAULT_PASSWORD, NEW_PASSWORD, reset_password, WRONG_PASSWORD, token, session_cookie,
               "nobody@example.org", "dana@example.org"]
    formatter = OneLineFormatter()
    for record in logs.records:
        record.request_id = getattr(record, "request_id", "-")
        text = formatter.format(record) + repr(record.args)
        for secret in secrets:
            assert secret not in text, f"{secret!r} in {text!r}"
