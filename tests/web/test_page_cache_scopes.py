"""What a write retires, how stale a listing may be, and members' cached pages (forum/caching.py, forum/personal.py).

"Served from the cache" is measured by SQL: a page answered from the cache runs one statement (the versions of
the scopes it shows) for an anonymous reader; a rebuilt page runs many.
"""
import re

import pytest
import sqlalchemy as sa

from forum import caching
from forum.extensions import db
from forum.models import CacheVersion
from tests.builders import QueryCounter, csrf_token_from, make_comment, make_story, make_user, post_form, sign_in


def versions() -> dict[str, int]:
    db.session.rollback()
    return dict(db.session.execute(sa.select(CacheVersion.scope, CacheVersion.value)).tuples().all())


def served_from_cache(client, url: str) -> bool:
    with QueryCounter() as counter:
        response = client.get(url)
    assert response.status_code == 200, url
    return counter.count == 1 and "cache_versions" in counter.statements[0]


def url_of(story) -> str:
    return f"/stories/{story.id}-{story.slug}"


@pytest.fixture
def site(app):
    """Two stories, a comment, an author with a profile, a voter, and the pages that could show them."""
    author = make_user("osprey")
    one = make_story(author, title="Passed Step 1 with UWorld twice")
    two = make_story(author, title="Passed Step 2 CK with a plan", step="step2ck")
    comment = make_comment(one, body="Which block did you start with?")
    make_user("voter")  # made now: making an account later would raise "site" and retire every page
    pages = {"one": url_of(one), "two": url_of(two), "listing": "/stories", "front": "/", "search": "/search?q=passed",
             "insights": "/insights", "profile": "/u/osprey", "feed": "/feeds/stories.atom",
             "api": f"/api/v1/stories/{two.id}"}
    return {"one": one, "two": two, "comment": comment, "pages": pages}


def warm(app, pages: dict) -> object:
    reader = app.test_client()
    for url in pages.values():
        reader.get(url)
        assert served_from_cache(reader, url), url
    return reader


@pytest.mark.parametrize("write", ["vote on the story", "comment on it", "vote on its comment"])
def test_a_vote_or_comment_retires_its_story_page_and_nothing_else(app, client, site, write):
    """The list of entries a write retires: story one's page. Listings, search, insights, profiles, feeds and the
    other story keep theirs (their counts may lag STALE_SECONDS; see the next tests)."""
    reader = warm(app, site["pages"])
    sign_in(client, "voter")
    before = versions()
    one = site["one"]
    if write == "vote on the story":
        response = post_form(client, f"/stories/{one.id}/vote", {"value": "1"}, token_from=url_of(one))
    elif write == "comment on it":
        response = post_form(client, f"/stories/{one.id}/comments", {"body": "Start with the weakest system."},
                             token_from=url_of(one))
    else:
        response = post_form(client, f"/comments/{site['comment'].id}/vote", {"value": "1"}, token_from=url_of(one))
    assert response.status_code in (200, 302)
    after = versions()
    changed = {scope for scope in after if after[scope] != before.get(scope, 0)}
    assert changed == {f"story:{one.id}"}
    retired = {name for name, url in site["pages"].items() if not served_from_cache(reader, url)}
    assert retired == {"one"}


def test_a_new_story_retires_every_listing_at_once(app, client, site):
    reader = warm(app, site["pages"])
    author = make_user("tern")
    sign_in(client, author)
    make_story(author, title="Brand new Step 3 story")  # the builder commits with no declaration: "site"
    retired = {name for name, url in site["pages"].items() if not served_from_cache(reader, url)}
    assert retired == set(site["pages"])
    assert "Brand new Step 3 story" in reader.get("/stories").get_data(as_text=True)


class Clock:
    """Stands in for the time module in forum.caching, so the stale bound is tested without sleeping."""

    def __init__(self, real):
        self.real, self.offset = real, 0.0

    def monotonic(self) -> float:
        return self.real.monotonic() + self.offset

    def time(self) -> float:
        return self.real.time() + self.offset


def count_on(html: str, story) -> str:
    card = html[html.index(story.title):]
    return re.search(r"· (\d+) upvotes?", card).group(1)


def comments_on(html: str, story) -> int:
    card = html[html.index(story.title):]
    return int(re.search(r"· (\d+) comments?", card).group(1))


def test_other_readers_see_a_new_count_in_listings_within_the_stale_bound(app, client, site, monkeypatch):
    clock = Clock(caching.time)
    monkeypatch.setattr(caching, "time", clock)
    one = site["one"]
    reader = app.test_client()
    assert count_on(reader.get("/stories").get_data(as_text=True), one) == "0"
    sign_in(client, "voter")
    post_form(client, f"/stories/{one.id}/vote", {"value": "1"}, token_from=url_of(one))
    assert count_on(reader.get("/stories").get_data(as_text=True), one) == "0"  # kept: at most STALE_SECONDS old
    assert "1 upvote" in reader.get(url_of(one)).get_data(as_text=True) or \
        'class="vote-count">1<' in reader.get(url_of(one)).get_data(as_text=True)  # the story's own page: at once
    clock.offset = caching.STALE_SECONDS + 1
    assert count_on(reader.get("/stories").get_data(as_text=True), one) == "1"


def test_the_writer_sees_their_own_vote_and_comment_on_the_next_request(app, client, site):
    one = site["one"]
    warm(app, site["pages"])
    sign_in(client, "voter")
    client.get("/stories")  # the members' listing is cached too
    post_form(client, f"/stories/{one.id}/vote", {"value": "1"}, token_from=url_of(one))
    listing = client.get("/stories").get_data(as_text=True)
    assert count_on(listing, one) == "1"
    comments_before = comments_on(listing, one)
    post_form(client, f"/stories/{one.id}/comments", {"body": "My own fresh comment"}, token_from=url_of(one))
    page = client.get(url_of(one)).get_data(as_text=True)
    assert "My own fresh comment" in page
    assert re.search(r'aria-pressed="true"[^>]*>\s*<span class="visually-hidden">Upvote this story', page)
    assert comments_on(client.get("/stories").get_data(as_text=True), one) == comments_before + 1


def test_members_share_a_page_but_each_sees_their_own_name_votes_and_controls(app, site):
    one, comment = site["one"], site["comment"]
    first, second = app.test_client(), app.test_client()
    sign_in(first, make_user("heron"))
    sign_in(second, make_user("egret"))
    post_form(first, f"/comments/{comment.id}/vote", {"value": "1"}, token_from=url_of(one))
    post_form(first, f"/stories/{one.id}/comments", {"body": "Heron's own comment"}, token_from=url_of(one))
    heron_page = first.get(url_of(one)).get_data(as_text=True)  # built and stored for the class "member"
    with QueryCounter() as counter:
        egret_page = second.get(url_of(one)).get_data(as_text=True)
    assert not any("FROM comments" in s and "ORDER BY comments.path" in s for s in counter.statements)  # stored
    assert "heron" in heron_page and "egret" not in heron_page
    assert "egret" in egret_page and '<summary>heron</summary>' not in egret_page
    mine = re.compile(r'href="/comments/\d+/edit"')
    assert len(mine.findall(heron_page)) == 1 and not mine.findall(egret_page)
    voted = f'action="/comments/{comment.id}/vote"'
    assert 'aria-pressed="true"' in heron_page[heron_page.index(voted):][:900]
    assert 'aria-pressed="false"' in egret_page[egret_page.index(voted):][:900]
    egret_id = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'egret'"))
    assert f'data-draft-user="{egret_id}"' in egret_page  # the comment form keeps egret's draft, not heron's
    assert "\x1f" not in egret_page and "<!--" not in egret_page.split("<body>", 1)[1]
    # The token in the stored page is each reader's own: egret's posts, heron's would not for egret.
    token = csrf_token_from(egret_page)
    assert token != csrf_token_from(heron_page)
    response = second.post(f"/stories/{one.id}/comments", data={"csrf_token": token, "body": "Egret replies"})
    assert response.status_code == 302


def test_a_moderators_page_is_never_a_members(app, site):
    one = site["one"]
    moderator, member = app.test_client(), app.test_client()
    sign_in(moderator, make_user("kite", role="moderator"))
    sign_in(member, make_user("finch"))
    assert "Feature</a>" in moderator.get(url_of(one)).get_data(as_text=True)
    page = member.get(url_of(one)).get_data(as_text=True)
    assert "Feature</a>" not in page and "/mod/" not in page


@pytest.mark.parametrize("comments", [3, 40])
def test_a_members_cached_story_page_costs_the_same_queries_however_long_the_thread(app, client, comments):
    story = make_story(title="A long thread")
    for n in range(comments):
        make_comment(story, body=f"Comment number {n}")
    sign_in(client, make_user("reader"))
    client.get(url_of(story))
    with QueryCounter() as counter:
        client.get(url_of(story))
    # the login session, the versions, the story, its voted and saved marks, the reader's comments and votes
    assert counter.count <= 8, counter.statements


def test_junk_query_parameters_share_one_entry_and_never_reach_the_view(app, client, site):
    backend = caching.cache.cache
    client.get("/stories")
    entries = len(backend._entries)
    for n in range(30):
        assert served_from_cache(client, f"/stories?utm_source=x{n}&junk={n}")
    assert len(backend._entries) == entries


def test_the_in_process_cache_is_bounded_in_bytes_and_forgets_the_least_recent():
    small = caching.BoundedMemoryCache(max_entries=100, max_bytes=10_000, max_entry_bytes=4_000)
    for n in range(10):
        small.set(f"k{n}", "x" * 3_000)
        small.get("k0")  # the oldest, kept in use
    assert small.size_bytes <= 10_000
    assert small.get("k0") is not None and small.get("k9") is not None and small.get("k1") is None
    assert small.set("huge", "y" * 5_000) is False and small.get("huge") is None


def test_a_view_sees_only_the_parameters_its_key_holds(sqlite_app, tmp_path):
    from flask import request

    from forum import create_app

    other = create_app({**{k: sqlite_app.config[k] for k in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI")},
                        "MAIL_OUTBOX": str(tmp_path)})

    @other.route("/_test_params")
    @caching.cached_page(params=("page", "step"))
    def params_page():
        return repr(sorted(request.args.items(multi=True)))

    client = other.test_client()
    assert client.get("/_test_params?junk=1&step=step1&page=2&step=step2").get_data(as_text=True) == \
        "[('page', '2'), ('step', 'step1'), ('step', 'step2')]"
    with other.app_context():
        db.engine.dispose()


def test_a_page_not_marked_for_members_is_built_afresh_for_each_member(app, site):
    """Only views marked members=True keep their personal parts in holes; any other page a member asks for is
    built for them (profiles, feeds, the API: anonymous readers are their audience)."""
    member = app.test_client()
    sign_in(member, "voter")
    member.get("/u/osprey")
    with QueryCounter() as counter:
        page = member.get("/u/osprey").get_data(as_text=True)
    assert counter.count > 3 and "<summary>voter</summary>" in page


MEMBERS_PAGES = ["/", "/stories", "/stories?step=step1", "/steps/step-1", "/search?q=passed", "/resources",
                 "/insights"]


@pytest.mark.parametrize("url", MEMBERS_PAGES)
def test_a_members_warm_page_costs_the_sign_in_and_the_versions(app, client, site, url):
    """With the cache on, a member's repeated visit runs two statements: their sign-in and the versions. (Each
    page's own queries, with the cache off, are counted by the page_queries tests of its module.)"""
    sign_in(client, "voter")
    client.get(url)
    with QueryCounter() as counter:
        page = client.get(url).get_data(as_text=True)
    assert "<summary>voter</summary>" in page
    assert counter.count == 2 and "cache_versions" in counter.statements[1], counter.statements


def test_the_author_gets_their_edit_and_delete_controls_on_a_page_a_member_cached(app, site):
    one = site["one"]
    member, author = app.test_client(), app.test_client()
    sign_in(member, "voter")
    sign_in(author, "osprey")
    theirs = member.get(url_of(one)).get_data(as_text=True)
    mine = author.get(url_of(one)).get_data(as_text=True)
    edit, delete = f'href="/stories/{one.id}/edit"', f'action="/stories/{one.id}/delete"'
    assert edit not in theirs and delete not in theirs and "Upvote this story" in theirs
    assert edit in mine and delete in mine and "Upvote this story" not in mine  # no voting on your own story


def test_a_members_page_that_is_not_stored_is_still_filled_for_them(app, site):
    """A page built for the stand-in but not kept (here a 410 for a removed story) is the reader's all the same."""
    one = site["one"]
    db.session.execute(sa.text("UPDATE stories SET status = 'removed' WHERE id = :id"), {"id": one.id})
    db.session.commit()
    member = app.test_client()
    sign_in(member, "voter")
    response = member.get(url_of(one))
    page = response.get_data(as_text=True)
    assert response.status_code == 410
    assert "<summary>voter</summary>" in page and "\x1f" not in page
