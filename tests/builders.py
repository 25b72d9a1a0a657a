"""Builders that put rows straight into the database, so each test states only what it cares about."""
import itertools
import re

from forum import passwords
from forum.extensions import db
from forum.models import User, username_key

DEFAULT_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_user(username: str | None = None, *, email: str | None = None, password: str = DEFAULT_PASSWORD,
              role: str = "member", **fields) -> User:
    n = next(_counter)
    username = username or f"user{n}"
    email = email or f"{username.lower()}@example.org"
    user = User(username=username, username_key=username_key(username), email=email,
                password_hash=passwords.hash_password(password), role=role, **fields)
    db.session.add(user)
    db.session.commit()
    return user


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def get_csrf(client, url: str = "/auth/login") -> str:
    return csrf_token_from(client.get(url).get_data(as_text=True))


def post_form(client, url: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST like a browser: fetch the page (or token_from) first for a CSRF token."""
    token = get_csrf(client, token_from or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client, user_or_login, password: str = DEFAULT_PASSWORD, **extra):
    login = user_or_login if isinstance(user_or_login, str) else user_or_login.username
    response = post_form(client, "/auth/login", {"login": login, "password": password, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def fresh(obj):
    """Reload obj as the database has it now: end the test session's transaction (a SQLite WAL snapshot) first."""
    db.session.rollback()
    db.session.refresh(obj)
    return obj
