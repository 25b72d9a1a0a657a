"""Every response carries the security headers; cookies carry the right flags."""
import pytest

from forum import create_app
from tests.builders import make_user, sign_in

PAGES = ["/", "/auth/login", "/auth/register", "/auth/reset", "/u/nobody", "/no-such-page", "/static/css/site.css"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_page(client, path):
    with client.get(path) as response:
        headers = response.headers
    assert headers["Content-Security-Policy"] == (
        "default-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers


def test_session_cookie_is_httponly_and_lax(client):
    user = make_user()
    response = sign_in(client, user)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_https_mode_adds_hsts_and_secure_cookies(app, monkeypatch):
    monkeypatch.setenv("FORUM_HTTPS", "1")
    https_app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32,
                            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    client = https_app.test_client()
    response = client.get("/auth/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "Secure" in cookie


def test_oversized_body_is_413(client):
    response = client.post("/auth/login", data={"login": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


def test_production_refuses_to_start_without_secret(monkeypatch):
    from forum.config import ConfigError
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app()


def test_templates_have_no_inline_script_or_style():
    import pathlib
    import re
    for path in pathlib.Path("forum/templates").rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", text), path


def test_csrf_redispatch_never_skips_a_blueprint_guard(app):
    """A view behind a blueprint guard that also keeps input must answer a stale token with a plain 400,
    not run with the guard skipped."""
    from flask import Blueprint, abort

    from forum.errors import keeps_input_on_csrf_failure

    guarded = Blueprint("guarded_test", __name__)
    calls = []

    @guarded.before_request
    def refuse():
        abort(403)

    @guarded.route("/guarded-test", methods=["POST"])
    @keeps_input_on_csrf_failure
    def guarded_view():
        calls.append(1)
        return "ran"

    fresh_app = create_app({"TESTING": True, "SECRET_KEY": "x" * 32,
                            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})
    fresh_app.register_blueprint(guarded)
    response = fresh_app.test_client().post("/guarded-test", data={"csrf_token": "stale"})
    assert response.status_code == 400 and calls == []


def test_production_refuses_a_short_secret(monkeypatch):
    from forum.config import ConfigError
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "changeme")
    with pytest.raises(ConfigError, match="at least 32"):
        create_app()


def test_production_refuses_debug(monkeypatch):
    from forum.config import ConfigError
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("FORUM_BASE_URL", "https://stepstories.example")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(ConfigError, match="debug"):
        create_app()


def test_production_on_sqlite_warns_why(monkeypatch, tmp_path, caplog):
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.setenv("FORUM_BASE_URL", "https://stepstories.example")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'one-host.db'}")
    with caplog.at_level("WARNING"):
        create_app()
    assert "several hosts cannot share a SQLite file" in caplog.text
