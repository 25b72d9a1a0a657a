"""Mail about an account: a reset or an email change asked for in a request does the same work whoever the address
belongs to (the job decides), an address changes only through a link mailed to it, and a password or address
change spends every link mailed before it."""
import email
import email.policy
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import jobs
from forum.auth import email_change
from forum.extensions import db
from forum.models import PasswordResetToken, utcnow
from tests.builders import DEFAULT_PASSWORD, QueryCounter, fresh, make_user, post_form, sign_in

NEW_PASSWORD = "another good phrase"


def mails(outbox) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(outbox.glob("*.eml"))]


def mails_to(outbox, address: str) -> list[str]:
    """The bodies of the mails sent to address, oldest first."""
    return [message.get_content() for message in mails(outbox) if message["To"] == address]


def link_in(body: str) -> str:
    """The path of the site link in a mail body."""
    return re.search(r"http://localhost(/\S+)", body).group(1)


def without_tokens(html: str) -> str:
    return re.sub(r'value="[^"]*"', "", html)


class HeldJobs(list):
    """The (app, call, origin) of every job asked for, kept instead of run."""

    def run_all(self) -> None:
        while self:
            jobs._execute(*self.pop(0))


@pytest.fixture
def held_jobs(monkeypatch):
    """Jobs are held instead of run, so a test can compare what two requests asked for."""
    held = HeldJobs()
    monkeypatch.setattr(jobs, "_run_here", lambda calls: held.extend(calls))
    return held


def request_email_change(client, address: str, password: str = DEFAULT_PASSWORD):
    return post_form(client, "/settings/email", {"email": address, "current_password": password},
                     token_from="/settings")


def open_reset_link(client, outbox, address: str) -> str:
    post_form(client, "/auth/reset", {"email": address})
    return link_in(mails_to(outbox, address)[-1])


# Item 6: a password or address change spends every link mailed before it.

def test_a_password_change_spends_reset_links_mailed_before_it(app, client, outbox):
    user = make_user("gwen", email="gwen@example.org")
    link = open_reset_link(app.test_client(), outbox, "gwen@example.org")
    sign_in(client, user)
    changed = post_form(client, "/settings/password", {"current_password": DEFAULT_PASSWORD,
                                                       "new_password": NEW_PASSWORD}, token_from="/settings")
    assert changed.status_code == 302
    attacker = app.test_client()
    assert attacker.get(link).status_code == 404
    assert post_form(attacker, link, {"password": "the attacker's choice"}, token_from="/auth/login").status_code == 404


def test_a_password_change_spends_links_of_both_purposes(client):
    user = make_user()
    for purpose in ("reset", "sign_in"):
        row, _secret = PasswordResetToken.issue(user, purpose)
        db.session.add(row)
    db.session.commit()
    sign_in(client, user)
    post_form(client, "/settings/password", {"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
              token_from="/settings")
    db.session.rollback()
    assert all(row.used_at is not None for row in db.session.scalars(sa.select(PasswordResetToken)))


def test_an_email_change_spends_reset_links_and_tells_the_old_address(app, client, outbox):
    user = make_user("hana", email="hana@example.org")
    reset = open_reset_link(app.test_client(), outbox, "hana@example.org")
    sign_in(client, user)
    request_email_change(client, "hana@new.example.org")
    confirm = link_in(mails_to(outbox, "hana@new.example.org")[-1])
    assert post_form(client, confirm, {}).status_code == 302
    assert fresh(user).email == "hana@new.example.org"
    assert client.get(reset).status_code == 404
    (notice,) = [body for body in mails_to(outbox, "hana@example.org") if "was changed" in body]
    assert "hana@new.example.org" in notice


# Item 10: the email change checks the password first, then answers and works alike for any address.

def test_a_wrong_password_is_refused_before_the_address_is_looked_at(client, outbox, held_jobs):
    make_user("taken", email="taken@example.org")
    sign_in(client, make_user())
    answers = [request_email_change(client, address, "not my password at all")
               for address in ("taken@example.org", "free@example.org")]
    assert [a.status_code for a in answers] == [400, 400]
    pages = [without_tokens(a.get_data(as_text=True)).replace(address, "ADDRESS")
             for a, address in zip(answers, ("taken@example.org", "free@example.org"), strict=True)]
    assert pages[0] == pages[1]
    assert "That is not your current password." in pages[0] and "already" not in pages[0]
    assert held_jobs == []


def test_an_email_change_takes_the_same_path_whether_or_not_the_address_is_taken(client, held_jobs):
    make_user("taken", email="taken@example.org")
    user = make_user()
    sign_in(client, user)
    seen = []
    for address in ("taken@example.org", "free@example.org"):
        with QueryCounter() as counter:
            response = request_email_change(client, address)
        page = client.get("/settings").get_data(as_text=True)
        seen.append((response.status_code, response.headers["Location"], counter.statements,
                     [(call.name, len(call.args)) for _app, call, _origin in held_jobs],
                     without_tokens(page).replace(address, "ADDRESS")))
        held_jobs.clear()
    assert seen[0] == seen[1]
    assert seen[0][3] == [("forum.auth.email_change.send_link", 2)]
    assert "We sent a link to ADDRESS" in seen[0][4]
    assert fresh(user).email == f"{user.username}@example.org"  # nothing changes until the link is opened


def test_a_taken_address_is_sent_a_note_and_no_link(client, outbox):
    make_user("taken", email="taken@example.org")
    user = make_user()
    sign_in(client, user)
    assert request_email_change(client, "taken@example.org").status_code == 302
    (note,) = mails_to(outbox, "taken@example.org")
    assert "An account already uses" in note and "http" not in note
    assert fresh(user).email != "taken@example.org"


def test_the_link_changes_the_address_once(app, client, outbox):
    user = make_user("ines", email="ines@example.org")
    sign_in(client, user)
    request_email_change(client, "Ines@New.Example.org")
    link = link_in(mails_to(outbox, "ines@new.example.org")[-1])
    elsewhere = app.test_client()  # the new mailbox may be read on another device, signed out
    page = elsewhere.get(link)
    assert page.status_code == 200 and "ines@new.example.org" in page.get_data(as_text=True)
    assert fresh(user).email == "ines@example.org"  # a GET (a mail scanner) changes nothing
    assert post_form(elsewhere, link, {}).status_code == 302
    assert fresh(user).email == "ines@new.example.org"
    assert elsewhere.get(link).status_code == 404
    assert post_form(elsewhere, link, {}, token_from="/auth/login").status_code == 404


def test_a_forged_or_expired_link_is_refused(client, outbox, monkeypatch):
    user = make_user()
    sign_in(client, user)
    request_email_change(client, "fresh@example.org")
    link = link_in(mails_to(outbox, "fresh@example.org")[-1])
    assert client.get(link[:-2] + ("AA" if not link.endswith("AA") else "BB")).status_code == 404
    assert client.get("/settings/email/confirm/not-a-token").status_code == 404
    monkeypatch.setattr(email_change, "LINK_LIFETIME", timedelta(seconds=-1))
    assert client.get(link).status_code == 404


def test_a_link_to_an_address_taken_meanwhile_answers_409(client, outbox):
    user = make_user()
    sign_in(client, user)
    request_email_change(client, "race@example.org")
    link = link_in(mails_to(outbox, "race@example.org")[-1])
    make_user("quicker", email="race@example.org")
    response = post_form(client, link, {})
    assert response.status_code == 409 and "Another account now uses" in response.get_data(as_text=True)
    assert fresh(user).email != "race@example.org"


def test_the_current_address_is_not_a_change(client, held_jobs):
    user = make_user()
    sign_in(client, user)
    response = request_email_change(client, user.email)
    assert response.status_code == 400 and "already your address" in response.get_data(as_text=True)
    assert held_jobs == []


# Item 10: a reset request takes the same path for a known and an unknown address.

def test_a_reset_request_takes_the_same_path_for_known_and_unknown_addresses(client, outbox, held_jobs):
    make_user("fay", email="fay@example.org")
    seen = []
    for address in ("fay@example.org", "ghost@example.org"):
        with QueryCounter() as counter:
            response = post_form(client, "/auth/reset", {"email": address})
        seen.append((response.status_code, response.headers["Location"], counter.statements,
                     [(call.name, call.args == [address]) for _app, call, _origin in held_jobs]))
        held_jobs.run_all()
    assert seen[0] == seen[1]
    assert seen[0][3] == [("forum.auth.account_mail.send_reset_link", True)]
    assert [m["To"] for m in mails(outbox)] == ["fay@example.org"]
    assert db.session.scalar(sa.select(PasswordResetToken.expires_at)) > utcnow()
