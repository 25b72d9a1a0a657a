"""A real server on a real port, and a real Chromium driven by Playwright.

The server runs the app in a thread of the test process, on its own SQLite file built by the migrations, so the
browser sees exactly what a visitor would. Chromium is Debian's (/usr/bin/chromium): Playwright's own browser
download is not possible here. Without it the tests skip, except in CI (FORUM_REQUIRE_E2E=1), where they fail.
"""
import itertools
import os
import shutil
import threading

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from forum import catalogue, create_app
from forum.extensions import db

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _require_e2e() -> bool:
    return os.environ.get("FORUM_REQUIRE_E2E") == "1"


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("e2e") / "e2e.db"
    app = create_app({
        "SECRET_KEY": "e2e-secret-key",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
        "ARGON2_TIME_COST": 1,
        "ARGON2_MEMORY_COST": 1024,
        "MAIL_OUTBOX": str(tmp_path_factory.mktemp("e2e-outbox")),
    })
    with app.app_context():
        upgrade()
        catalogue.load()
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "app": app}
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        if _require_e2e():
            pytest.fail(f"FORUM_REQUIRE_E2E=1 but no Chromium at {CHROMIUM}")
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if _require_e2e():
            raise
        pytest.skip("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems(list):
    """Console errors, uncaught exceptions and CSP violations seen by a page."""


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server["url"])
    page = context.new_page()
    problems = PageProblems()
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
            if message.type in ("error", "warning") else None)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.problems = problems
    yield page
    context.close()


@pytest.fixture
def signed_in_page(page, live_server):
    """A page signed in as a fresh member (made in the database, signed in through the real form)."""
    from tests.builders import make_user
    from tests.e2e.browser import sign_in

    number = next(_member_numbers)
    with live_server["app"].app_context():
        user = make_user(f"e2e_member{number}", background="img")
        user.created_at = user.created_at.replace(year=2024)
        db.session.commit()
        username = user.username
    sign_in(page, username)
    page.username = username
    return page


_member_numbers = itertools.count(1)
