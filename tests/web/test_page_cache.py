"""The page cache: served when it can be, retired by the writes that change a page, never anybody's private page.

Scoped invalidation and members' pages have their own module, test_page_cache_scopes.py."""
import pytest
import sqlalchemy as sa

from forum import caching, create_app
from forum.extensions import db
from forum.models import CacheVersion, Story, User
from tests.builders import QueryCounter, fresh, make_comment, make_story, make_user, post_form, sign_in

CACHED_PAGES = ["/", "/stories", "/stories?step=step2ck&sort=new", "/steps/step-2-ck", "/search?q=passed",
                "/api/v1/stories", "/feeds/stories.atom", "/moderation-log", "/resources", "/insights"]


def generation() -> int:
    """The site scope's number, which a write that declares nothing narrower raises."""
    db.session.rollback()  # a new snapshot
    return db.session.scalar(sa.select(CacheVersion.value).where(CacheVersion.scope == "site")) or 0


def all_versions() -> dict[str, int]:
    db.session.rollback()
    return dict(db.session.execute(sa.select(CacheVersion.scope, CacheVersion.value)).tuples().all())


def statements_for(client, url: str) -> list[str]:
    with QueryCounter() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.statements


@pytest.mark.parametrize("url", CACHED_PAGES)
def test_a_second_anonymous_visit_costs_one_query(client, url):
    make_story(title="Passed Step 2 CK with a plan")
    first = statements_for(client, url)
    again = statements_for(client, url)
    assert len(first) > 1
    assert len(again) == 1 and "cache_versions" in again[0]


def test_the_cached_page_is_the_page(client):
    story = make_story(title="Passed Step 2 CK with a plan")
    first = client.get(f"/stories/{story.id}-{story.slug}")
    again = client.get(f"/stories/{story.id}-{story.slug}")
    assert again.get_data() == first.get_data()
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert again.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in again.headers


def test_every_commit_that_writes_raises_the_generation_and_reads_do_not(app):
    before = generation()
    make_user()
    after_write = generation()
    assert after_write == before + 1
    db.session.scalar(sa.select(Story.id))
    db.session.commit()
    assert generation() == after_write


def test_a_rolled_back_write_does_not_raise_the_generation(app):
    before = generation()
    db.session.add(User(username="ghost", username_key="ghost", email="g@example.org", password_hash="x"))
    db.session.flush()
    db.session.rollback()
    assert generation() == before


def test_a_comment_posted_through_the_site_shows_at_once_to_anonymous_readers(app, client):
    story = make_story(title="Passed Step 2 CK with a plan")
    url = f"/stories/{story.id}-{story.slug}"
    reader = app.test_client()
    assert "First reply from the writer" not in reader.get(url).get_data(as_text=True)
    sign_in(client, make_user("commenter"))
    response = post_form(client, f"/stories/{story.id}/comments", {"body": "First reply from the writer"},
                         token_from=url)
    assert response.status_code == 302
    assert "First reply from the writer" in reader.get(url).get_data(as_text=True)


def test_a_write_by_another_process_retires_this_process_cache(sqlite_app, tmp_path):
    """Two app objects have two SimpleCaches, as two gunicorn workers do; the generation lives in the database.
    (SQLite only: a second app's engine is the point, not the backend; tests/concurrency run real workers on both.)"""
    app, client = sqlite_app, sqlite_app.test_client()
    story = make_story(title="Passed Step 2 CK with a plan")
    listing_before = client.get("/stories").get_data(as_text=True)
    other = create_app({**{k: app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")},
                        "MAIL_OUTBOX": str(tmp_path)})
    with other.app_context():
        from forum.models import Comment, path_segment

        author_id = db.session.scalar(sa.select(Story.author_id).where(Story.id == story.id))
        comment = Comment(story_id=story.id, author_id=author_id, depth=0, body="x", body_html="<p>x</p>")
        db.session.add(comment)
        db.session.flush()
        comment.path = path_segment(comment.id)
        db.session.execute(sa.update(Story).where(Story.id == story.id).values(comment_count=Story.comment_count + 1))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    listing_after = client.get("/stories").get_data(as_text=True)
    assert listing_after != listing_before
    assert "1 comment" in listing_after


def test_anonymous_and_signed_in_readers_never_share_a_page(app, client):
    make_story(title="Passed Step 2 CK with a plan")
    anonymous = app.test_client()
    anonymous.get("/stories")  # cached for anonymous readers
    sign_in(client, make_user("kestrel"))
    mine = client.get("/stories").get_data(as_text=True)
    assert "kestrel" in mine  # the signed-in header, not the cached anonymous page
    assert "kestrel" not in anonymous.get("/stories").get_data(as_text=True)


def test_a_remember_me_cookie_that_signs_nobody_in_gets_the_anonymous_page(app, client):
    make_story(title="Passed Step 2 CK with a plan")
    anonymous = client.get("/stories").get_data()
    client.set_cookie("remember_token", "anything")
    assert client.get("/stories").get_data() == anonymous


def test_a_flashed_message_is_shown_once_and_never_cached(app, client):
    make_story(title="Passed Step 2 CK with a plan")
    user = make_user("heron")
    sign_in(client, user)
    token_page = client.get("/").get_data(as_text=True)
    from tests.builders import csrf_token_from

    client.post("/auth/logout", data={"csrf_token": csrf_token_from(token_page)})
    signed_out = client.get("/").get_data(as_text=True)
    other = app.test_client().get("/").get_data(as_text=True)
    assert "signed out" in signed_out.lower()
    assert "signed out" not in other.lower()
    assert "signed out" not in client.get("/").get_data(as_text=True).lower()


def test_pages_that_carry_a_csrf_token_are_not_stored(sqlite_app, tmp_path):
    """A token belongs to one session: a page that renders one is never shared, even when marked cacheable."""
    from flask import render_template_string

    other = create_app({**{k: sqlite_app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")},
                        "MAIL_OUTBOX": str(tmp_path)})

    @other.route("/_test_token_page")
    @caching.cached_page()
    def token_page():
        return render_template_string("{{ csrf_token() }}")

    first = other.test_client().get("/_test_token_page")  # each request gets its own context: another app's
    second = other.test_client().get("/_test_token_page")  # context is the one pushed by the fixture
    assert first.status_code == second.status_code == 200
    assert first.get_data() != second.get_data()
    assert "Set-Cookie" in second.headers
    with other.app_context():
        db.engine.dispose()


def test_errors_are_not_cached(client):
    assert client.get("/stories/999999").status_code == 404
    story = make_story(title="Now it exists")
    db.session.execute(sa.update(Story).where(Story.id == story.id).values(id=999999))
    db.session.commit()
    assert client.get("/stories/999999", follow_redirects=True).status_code == 200


def test_memoize_keeps_a_value_until_a_write_raises_its_scope(app):
    calls = []

    def compute(x):
        calls.append(x)
        return x * 2

    assert caching.memoize("double", compute, 21) == 42
    assert caching.memoize("double", compute, 21) == 42
    assert calls == [21]
    make_user()  # declares nothing: raises "site", which every value counts
    assert caching.memoize("double", compute, 21) == 42
    assert calls == [21, 21]
    assert caching.memoize("double", compute, 21, scopes=(caching.SEARCH,)) == 42
    assert calls == [21, 21, 21]
    with app.test_request_context(method="POST"):
        caching.retire(caching.INSIGHTS)
        make_user()
    assert caching.memoize("double", compute, 21, scopes=(caching.SEARCH,)) == 42
    assert calls == [21, 21, 21]  # insights moved, search did not


def test_the_cache_can_be_switched_off(app, client):
    make_story(title="Passed Step 2 CK with a plan")
    app.config["FORUM_PAGE_CACHE"] = False
    try:
        client.get("/stories")
        assert len(statements_for(client, "/stories")) > 1
    finally:
        app.config["FORUM_PAGE_CACHE"] = True


def test_a_deleted_story_leaves_the_cached_listing(app, client):
    author = make_user("wren")
    story = make_story(author, title="Soon to be deleted")
    make_comment(story)
    assert "Soon to be deleted" in client.get("/stories").get_data(as_text=True)
    sign_in(client, author)
    response = post_form(client, f"/stories/{story.id}/delete", {}, token_from=f"/stories/{story.id}-{story.slug}")
    assert response.status_code == 302
    assert fresh(story).status == "deleted"
    assert "Soon to be deleted" not in app.test_client().get("/stories").get_data(as_text=True)


def test_no_page_writes_on_a_get(app, client):
    """A GET that wrote would raise the generation, and retire every cached page each time it is read."""
    author = make_user("plover")
    story = make_story(author, title="Passed Step 2 CK with a plan")
    make_comment(story)
    pages = CACHED_PAGES + [f"/stories/{story.id}-{story.slug}", f"/u/{author.username}", "/insights.csv",
                            "/sitemap.xml", "/healthz", "/readyz"]
    before = all_versions()
    for url in pages:
        assert client.get(url).status_code == 200, url
    assert all_versions() == before
    sign_in(client, make_user("reader"))
    before = all_versions()
    for url in pages + ["/settings", "/saved", "/notifications"]:
        assert client.get(url).status_code == 200, url
    assert all_versions() == before


@pytest.mark.parametrize("url", ["/search?q=passed", "/insights"])
def test_a_page_and_the_values_it_memoises_read_the_versions_once(client, url):
    make_story(title="Passed Step 2 CK with a plan")
    first = statements_for(client, url)  # a miss: the page and its memoised search or aggregates
    assert sum("cache_versions" in statement for statement in first) == 1


def test_a_value_built_on_a_stale_one_is_not_kept_and_a_refresh_job_builds_on_fresh_ones(app):
    """/predict memoises an answer built from the memoised insights: after a write, while the insights job is still
    to run, the answer built on the previous insights must not be kept under the new version."""
    from forum import jobs

    inner_calls, outer_calls, refreshes = [], [], []

    def inner():
        inner_calls.append(1)
        return len(inner_calls)

    def outer():
        outer_calls.append(1)
        return ("built on", caching.memoize("inner", inner, scopes=(caching.INSIGHTS,), refresh_later=refresh))

    @jobs.job
    def refresh():
        refreshes.append(1)  # queued, not run yet: the inner value stays the one from before the write

    def ask():
        return caching.memoize("outer", outer, scopes=(caching.INSIGHTS,))

    def write():
        with app.test_request_context(method="POST"):
            caching.retire(caching.INSIGHTS)
            make_user()

    assert ask() == ("built on", 1)
    write()
    assert ask() == ("built on", 1) and refreshes == [1]  # the inner value from before the write, a job asked
    assert ask() == ("built on", 1) and len(outer_calls) == 3  # ... and not kept: asked again, built again
    caching.remember("inner", inner, scopes=(caching.INSIGHTS,))  # what the queued job does
    assert ask() == ("built on", 2)
    assert ask() == ("built on", 2) and len(outer_calls) == 4  # built on fresh values: kept
    write()
    assert caching.remember("outer", outer, scopes=(caching.INSIGHTS,)) == ("built on", 3)  # a job: fresh inside
