"""Sign-in limits count the account, not what was typed; other addresses' failures never lock a member out; past an
account's cap a new address gets a one-time link by mail; password and email changes have an allowance."""
import pytest

from forum.auth import login_limits
from forum.extensions import db
from forum.models import PasswordResetToken
from tests.builders import DEFAULT_PASSWORD, fresh, get_csrf, make_user, post_form, sign_in
from tests.web.test_account_mail import link_in, mails_to, without_tokens

HOME = {"REMOTE_ADDR": "192.0.2.1"}  # the member's own address
CAP = login_limits.FAILURES_PER_ACCOUNT.amount
PER_ADDRESS = login_limits.FAILURES_PER_ACCOUNT_AND_ADDRESS.amount


def attempt(app, login: str, password: str, address: dict = HOME):
    return post_form(app.test_client(), "/auth/login", {"login": login, "password": password}, environ_base=address)


def botnet(app, login: str, failures: int = CAP) -> None:
    """failures wrong passwords for login, spread over as few addresses as the per-address pause allows."""
    for i in range(failures):
        address = {"REMOTE_ADDR": f"10.66.{i // PER_ADDRESS}.1"}
        assert attempt(app, login, f"guess number {i}", address).status_code == 200


@pytest.fixture
def nora(app):
    return make_user("nora", email="nora@example.org")


def test_username_and_email_share_one_account_count(app, nora):
    answers = [attempt(app, "nora" if i % 2 else "Nora@Example.org", f"wrong guess {i}", {"REMOTE_ADDR": "10.1.1.1"})
               for i in range(28)]
    statuses = [a.status_code for a in answers]
    assert statuses == [200] * PER_ADDRESS + [429] * (28 - PER_ADDRESS)


def test_an_unknown_login_is_paused_like_an_account(app):
    statuses = [attempt(app, "nobody_here", f"wrong guess {i}").status_code for i in range(PER_ADDRESS + 1)]
    assert statuses == [200] * PER_ADDRESS + [429]


def test_failures_from_other_addresses_never_lock_the_member_out(app, nora):
    for i in range(20):
        assert attempt(app, "nora", f"wrong guess {i}", {"REMOTE_ADDR": f"10.2.0.{i}"}).status_code == 200
    assert attempt(app, "nora", DEFAULT_PASSWORD).status_code == 302


def test_a_pause_counts_only_failures(app, nora):
    for _ in range(PER_ADDRESS + 2):
        client = app.test_client()
        assert post_form(client, "/auth/login", {"login": "nora", "password": DEFAULT_PASSWORD},
                         environ_base=HOME).status_code == 302


def test_past_the_cap_a_new_address_gets_a_mailed_link_that_signs_in_once(app, nora, outbox):
    botnet(app, "nora")
    client = app.test_client()
    answer = post_form(client, "/auth/login", {"login": "nora", "password": DEFAULT_PASSWORD}, environ_base=HOME)
    assert answer.status_code == 200 and "emailed the account a sign-in link" in answer.get_data(as_text=True)
    assert client.get("/settings").status_code == 302  # no session: the link is the second step
    link = link_in(mails_to(outbox, "nora@example.org")[-1])
    assert link.startswith("/auth/sign-in/")
    button = client.get(link)
    assert button.status_code == 200 and fresh(nora).email == "nora@example.org"
    assert post_form(client, link, {}).status_code == 302
    assert client.get("/settings").status_code == 200
    again = app.test_client()
    assert again.get(link).status_code == 404
    assert post_form(again, link, {}, token_from="/auth/login").status_code == 404


def test_past_the_cap_a_wrong_password_gets_the_same_page_and_no_mail(app, nora, outbox):
    botnet(app, "nora")
    right = attempt(app, "nora", DEFAULT_PASSWORD, {"REMOTE_ADDR": "198.51.100.1"})
    wrong = attempt(app, "nora", "not the password", {"REMOTE_ADDR": "198.51.100.2"})
    botnet(app, "nobody_at_all")
    unknown = attempt(app, "nobody_at_all", "not the password", {"REMOTE_ADDR": "198.51.100.3"})
    pages = {without_tokens(a.get_data(as_text=True).replace("nobody_at_all", "nora")) for a in (right, wrong, unknown)}
    assert len(pages) == 1 and right.status_code == wrong.status_code == unknown.status_code == 200
    assert len(mails_to(outbox, "nora@example.org")) == 1  # only the right password earned a link


def test_past_the_cap_the_member_still_signs_in_from_a_known_address(app, nora):
    client = app.test_client()
    post_form(client, "/auth/login", {"login": "nora", "password": DEFAULT_PASSWORD}, environ_base=HOME)
    client.post("/auth/logout", data={"csrf_token": get_csrf(client, "/")}, environ_base=HOME)
    botnet(app, "nora")
    assert attempt(app, "nora", DEFAULT_PASSWORD).status_code == 302


def test_a_sign_in_link_turns_the_csrf_secret_over(app, nora, outbox):
    botnet(app, "nora")
    client = app.test_client()
    post_form(client, "/auth/login", {"login": "nora", "password": DEFAULT_PASSWORD}, environ_base=HOME)
    link = link_in(mails_to(outbox, "nora@example.org")[-1])
    planted = get_csrf(client, link)
    assert client.post(link, data={"csrf_token": planted}).status_code == 302
    assert client.post("/auth/logout", data={"csrf_token": planted}).status_code == 400


def test_a_sign_in_link_is_no_reset_link_and_keeps_its_token_out_of_the_log(app, nora, outbox):
    botnet(app, "nora")
    attempt(app, "nora", DEFAULT_PASSWORD)
    token = link_in(mails_to(outbox, "nora@example.org")[-1]).rsplit("/", 1)[1]
    assert app.test_client().get(f"/auth/reset/{token}").status_code == 404
    row, secret = PasswordResetToken.issue(nora, "reset")
    db.session.add(row)
    db.session.commit()
    assert app.test_client().get(f"/auth/sign-in/{secret}").status_code == 404
    assert getattr(app.view_functions["auth.sign_in_link"], "secret_in_path", False)  # the log shows the route


@pytest.mark.parametrize(("url", "fields"), [
    ("/settings/password", {"new_password": "another good phrase"}),
    ("/settings/email", {"email": "elsewhere@example.org"}),
])
def test_password_and_email_changes_share_an_allowance(client, url, fields):
    user = make_user()
    sign_in(client, user)
    allowance = login_limits.ACCOUNT_CHANGES.amount
    for _ in range(allowance):
        response = post_form(client, url, {"current_password": "not my password", **fields}, token_from="/settings")
        assert response.status_code == 400
    refused = post_form(client, url, {"current_password": DEFAULT_PASSWORD, **fields}, token_from="/settings")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    body = refused.get_data(as_text=True)
    assert "Too many password and email changes" in body and "Settings" in body
    assert fresh(user).password_hash == user.password_hash
