"""Settings and profiles."""
from tests.builders import DEFAULT_PASSWORD, fresh, make_user, post_form, sign_in


def test_settings_needs_sign_in(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login?next=/settings")


def test_change_password_asks_for_the_current_one(client):
    user = make_user()
    sign_in(client, user)
    response = post_form(client, "/settings/password", {"current_password": "not my password",
                                                         "new_password": "another good phrase"}, token_from="/settings")
    assert response.status_code == 400
    assert "That is not your current password." in response.get_data(as_text=True)


def test_change_password_ends_other_sessions_but_keeps_this_one(app):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    sign_in(laptop, user)
    sign_in(phone, user, remember="y")
    response = post_form(laptop, "/settings/password", {"current_password": DEFAULT_PASSWORD,
                                                         "new_password": "another good phrase"}, token_from="/settings")
    assert response.status_code == 302
    assert "Sign out" in laptop.get("/").get_data(as_text=True)
    assert "Sign out" not in phone.get("/").get_data(as_text=True)
    phone.delete_cookie("session")
    assert "Sign out" not in phone.get("/").get_data(as_text=True)  # the remember-me cookie is dead too


def test_change_email_asks_for_the_password_and_mails_a_link_to_the_new_address(client, outbox):
    """The address changes only when the link mailed to it is opened (tests/web/test_account_mail.py); a taken
    address gets the same answer, so the page never says which addresses have accounts."""
    user = make_user()
    sign_in(client, user)
    wrong = post_form(client, "/settings/email", {"email": "new@example.org", "current_password": "nope nope nope"},
                      token_from="/settings")
    assert wrong.status_code == 400
    ok = post_form(client, "/settings/email", {"email": "New@Example.org", "current_password": DEFAULT_PASSWORD},
                   token_from="/settings")
    assert ok.status_code == 302
    assert "We sent a link to new@example.org" in client.get("/settings").get_data(as_text=True)
    assert fresh(user).email != "new@example.org"
    assert any("To: new@example.org" in path.read_text() for path in outbox.glob("*.eml"))


def test_profile_shows_background_and_plain_text_bio(client):
    user = make_user("kim")
    sign_in(client, user)
    post_form(client, "/settings/profile", {"background": "us_do", "bio": "<script>x</script>\nDO student"},
              token_from="/settings")
    body = client.get("/u/kim").get_data(as_text=True)
    assert "US DO" in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body and "<script>x" not in body


def test_profile_url_is_case_insensitive_and_canonical(client):
    make_user("Lena")
    response = client.get("/u/lena")
    assert response.status_code == 301 and response.headers["Location"].endswith("/u/Lena")
    assert client.get("/u/nobody-here").status_code == 404


def test_profile_rejects_unknown_background(client):
    user = make_user()
    sign_in(client, user)
    response = post_form(client, "/settings/profile", {"background": "martian", "bio": ""}, token_from="/settings")
    assert response.status_code == 400
