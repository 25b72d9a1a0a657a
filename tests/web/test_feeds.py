"""Atom feeds, the sitemap, OpenGraph and canonical links, and the similar stories under a story."""
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest

from forum import similar
from forum.feeds.routes import FEED_SIZE
from forum.models import utcnow
from tests.builders import make_resource, make_story, make_user

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
RFC3339_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
FEEDS = ["/feeds/stories.atom", "/feeds/steps/step-2-ck.atom", "/feeds/resources/amboss.atom",
         "/feeds/users/alice.atom"]


@pytest.fixture
def shelf(app):
    amboss = make_resource("AMBOSS", steps=["step1", "step2ck"])
    alice = make_user("alice")
    now = utcnow()
    stories = {
        "published": make_story(alice, title="CK with AMBOSS & <Anki>", resources=[amboss],
                                body="I did **two** passes of AMBOSS.", created_at=now),
        "older": make_story(alice, title="My first CK attempt", resources=[amboss],
                            created_at=now - timedelta(days=2)),
        "deleted": make_story(alice, title="Deleted CK story", resources=[amboss], status="deleted",
                              created_at=now - timedelta(hours=1)),
        "removed": make_story(alice, title="Removed CK story", resources=[amboss], status="removed",
                              created_at=now - timedelta(hours=2)),
    }
    return stories


def atom(client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    assert response.mimetype == "application/atom+xml"
    assert response.mimetype_params["charset"] == "utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == f"{ATOM}feed"
    return root


def entry_titles(feed: ET.Element) -> list[str]:
    return [entry.findtext(f"{ATOM}title") for entry in feed.findall(f"{ATOM}entry")]


def sitemap_urls(client) -> dict[str, str | None]:
    # buffered: the sitemap streams, and the test client runs each request in a context of its own that must
    # still be current while the body is read.
    response = client.get("/sitemap.xml", buffered=True)
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{SITEMAP}urlset"
    return {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in root.findall(f"{SITEMAP}url")}


def is_absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@pytest.mark.parametrize("url", FEEDS)
def test_feed_is_atom_with_the_required_elements(client, shelf, url):
    feed = atom(client, url)
    assert is_absolute(feed.findtext(f"{ATOM}id"))
    assert feed.findtext(f"{ATOM}title")
    assert RFC3339_UTC.match(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert urlsplit(links["self"]).path == url
    assert is_absolute(links["alternate"])
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        assert is_absolute(entry.findtext(f"{ATOM}id"))
        assert entry.findtext(f"{ATOM}title")
        assert RFC3339_UTC.match(entry.findtext(f"{ATOM}updated"))
        assert RFC3339_UTC.match(entry.findtext(f"{ATOM}published"))
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "alice"
        assert entry.findtext(f"{ATOM}summary")
        assert entry.find(f"{ATOM}content").get("type") == "html"


@pytest.mark.parametrize("url", FEEDS)
def test_feed_links_are_absolute_and_resolve(client, shelf, url):
    feed = atom(client, url)
    hrefs = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    hrefs += [entry.findtext(f"{ATOM}id") for entry in feed.findall(f"{ATOM}entry")]
    assert hrefs
    for href in hrefs:
        assert is_absolute(href), href
        parts = urlsplit(href)
        response = client.get(parts.path + (f"?{parts.query}" if parts.query else ""), follow_redirects=True)
        assert response.status_code == 200, href


@pytest.mark.parametrize("url", FEEDS)
def test_deleted_and_removed_stories_are_not_in_feeds(client, shelf, url):
    body = client.get(url).get_data(as_text=True)
    assert entry_titles(atom(client, url)) == ["CK with AMBOSS & <Anki>", "My first CK attempt"]
    assert "Deleted CK story" not in body and "Removed CK story" not in body


def test_feed_carries_the_story_as_escaped_html_and_a_plain_summary(client, shelf):
    story = shelf["published"]
    entry = atom(client, "/feeds/stories.atom").find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}content") == story.body_html  # escaped in the XML, the same HTML once parsed
    assert entry.findtext(f"{ATOM}summary") == "I did two passes of AMBOSS."
    assert entry.find(f"{ATOM}link").get("href") == f"http://localhost/stories/{story.id}-{story.slug}"


def test_feed_lists_the_newest_stories_only(client, app):
    author = make_user()
    start = utcnow() - timedelta(days=100)
    for n in range(FEED_SIZE + 5):
        make_story(author, title=f"Story {n:02d}", created_at=start + timedelta(hours=n))
    titles = entry_titles(atom(client, "/feeds/stories.atom"))
    assert len(titles) == FEED_SIZE
    assert titles[0] == f"Story {FEED_SIZE + 4:02d}" and titles[-1] == "Story 05"


def test_step_feed_holds_only_its_step(client, shelf):
    make_story(title="A Step 1 story", step="step1", exam_month=date(2023, 5, 1), score=None)
    assert "A Step 1 story" not in entry_titles(atom(client, "/feeds/steps/step-2-ck.atom"))
    assert entry_titles(atom(client, "/feeds/steps/step-1.atom")) == ["A Step 1 story"]


def test_empty_feed_is_still_valid_atom(client, app):
    make_resource("Unused book", kind="book")
    feed = atom(client, "/feeds/resources/unused-book.atom")
    assert feed.findall(f"{ATOM}entry") == []
    assert RFC3339_UTC.match(feed.findtext(f"{ATOM}updated"))
    assert feed.find(f"{ATOM}author/{ATOM}name").text


def test_characters_xml_cannot_carry_do_not_break_the_feed(client, app):
    make_story(title="Noncharacter \uffff in a title")
    assert entry_titles(atom(client, "/feeds/stories.atom")) == ["Noncharacter \ufffd in a title"]


def test_user_feed_redirects_to_the_username_as_written(client, shelf):
    response = client.get("/feeds/users/ALICE.atom")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/feeds/users/alice.atom")


@pytest.mark.parametrize("url", ["/feeds/steps/step-9.atom", "/feeds/resources/no-such-thing.atom",
                                 "/feeds/users/nobody.atom", "/feeds/steps/step1.atom", "/feeds/stories.rss"])
def test_unknown_feed_is_404(client, shelf, url):
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("name", ["a%00b", "x" * 5000, "\u202eevil\u202c", "..%2F..%2Fetc", "%FF%FE", "' OR 1=1 --",
                                  "\U0001F600" * 40])
@pytest.mark.parametrize("kind", ["steps", "resources", "users"])
def test_hostile_feed_names_are_refused_not_errors(client, shelf, kind, name):
    assert client.get(f"/feeds/{kind}/{name}.atom").status_code in (400, 404)


def test_sitemap_lists_pages_and_published_stories_only(client, shelf):
    urls = sitemap_urls(client)
    published = shelf["published"]
    assert f"http://localhost/stories/{published.id}-{published.slug}" in urls
    for gone in ("deleted", "removed"):
        assert not any(f"/stories/{shelf[gone].id}-" in url for url in urls)
    for path in ("/", "/stories", "/resources", "/resources/amboss", "/steps/step-1", "/steps/step-2-ck"):
        assert f"http://localhost{path}" in urls, path
    assert all(is_absolute(url) for url in urls)
    assert RFC3339_UTC.match(urls[f"http://localhost/stories/{published.id}-{published.slug}"])
    assert RFC3339_UTC.match(urls["http://localhost/steps/step-2-ck"])


def test_sitemap_urls_resolve(client, shelf):
    for url in sitemap_urls(client):
        assert client.get(urlsplit(url).path).status_code == 200, url


@pytest.mark.parametrize(("page", "feed"), [
    ("/", "/feeds/stories.atom"),
    ("/stories", "/feeds/stories.atom"),
    ("/steps/step-2-ck", "/feeds/steps/step-2-ck.atom"),
    ("/resources/amboss", "/feeds/resources/amboss.atom"),
    ("story", "/feeds/users/alice.atom"),
])
def test_pages_link_their_feeds(client, shelf, page, feed):
    story = shelf["published"]
    url = f"/stories/{story.id}-{story.slug}" if page == "story" else page
    body = client.get(url).get_data(as_text=True)
    links = re.findall(r'<link rel="alternate" type="application/atom\+xml"[^>]*href="([^"]+)"', body)
    assert f"http://localhost{feed}" in links
    assert "http://localhost/feeds/stories.atom" in links
    for link in links:
        atom(client, urlsplit(link).path)


def test_story_page_carries_canonical_and_opengraph(client, shelf):
    story = shelf["published"]
    body = client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)
    canonical = f"http://localhost/stories/{story.id}-{story.slug}"
    assert f'<link rel="canonical" href="{canonical}">' in body
    assert '<meta property="og:title" content="CK with AMBOSS &amp; &lt;Anki&gt;">' in body
    assert f'<meta property="og:url" content="{canonical}">' in body
    assert '<meta property="og:type" content="article">' in body
    assert '<meta property="og:site_name" content="Step Stories">' in body
    assert re.search(r'<meta property="og:description" content="Step 2 CK · June 2025[^"]+">', body)


# Similar stories


@pytest.fixture
def library(app):
    return {
        "uw": make_resource("UWorld CK", slug="uw-ck", steps=["step2ck"]),
        "amboss": make_resource("AMBOSS", steps=["step1", "step2ck"]),
        "anki": make_resource("Anki", kind="flashcards", steps=["step1", "step2ck"]),
    }


def titles_of(stories) -> list[str]:
    return [story.title for story in stories]


def test_stories_sharing_more_resources_rank_first(library):
    uw, amboss, anki = library["uw"], library["amboss"], library["anki"]
    this = make_story(title="Mine", resources=[uw, amboss, anki])
    make_story(title="Shares nothing", created_at=utcnow() + timedelta(hours=1))
    make_story(title="Shares one", resources=[anki], votes=40)
    make_story(title="Shares two", resources=[uw, amboss])
    make_story(title="Shares three", resources=[anki, uw, amboss])
    assert titles_of(similar.similar_stories(this)) == ["Shares three", "Shares two", "Shares one", "Shares nothing"]


def test_equal_sharing_ranks_by_votes_then_newest(library):
    uw = library["uw"]
    this = make_story(title="Mine", resources=[uw])
    now = utcnow()
    make_story(title="Old, no votes", resources=[uw], created_at=now - timedelta(days=3))
    make_story(title="New, no votes", resources=[uw], created_at=now - timedelta(days=1))
    make_story(title="Voted", resources=[uw], votes=5, created_at=now - timedelta(days=9))
    assert titles_of(similar.similar_stories(this)) == ["Voted", "New, no votes", "Old, no votes"]


def test_same_step_comes_before_other_steps(library):
    amboss = library["amboss"]
    this = make_story(title="Mine", resources=[amboss])
    make_story(title="Step 1, same resource", resources=[amboss], step="step1", exam_month=date(2023, 5, 1),
               score=None, votes=99)
    make_story(title="CK, nothing shared")
    make_story(title="CK, same resource", resources=[amboss])
    assert titles_of(similar.similar_stories(this)) == ["CK, same resource", "CK, nothing shared",
                                                        "Step 1, same resource"]


def test_other_steps_appear_only_when_they_share_resources(library):
    this = make_story(title="Mine", resources=[library["amboss"]])
    make_story(title="Step 3, nothing shared", step="step3", score=230)
    assert similar.similar_stories(this) == []


def test_fill_prefers_titles_that_share_words(library):
    this = make_story(title="Passed CK after failing with Anki flashcards")
    now = utcnow()
    make_story(title="A newer unrelated story", created_at=now + timedelta(hours=2))
    make_story(title="After failing once", created_at=now - timedelta(days=5))
    make_story(title="Anki flashcards carried me", created_at=now - timedelta(days=9))
    assert titles_of(similar.similar_stories(this, limit=2)) == ["Anki flashcards carried me", "After failing once"]


def test_never_itself_never_twice_and_never_removed(library):
    uw = library["uw"]
    this = make_story(title="Mine shares uw", resources=[uw])
    make_story(title="Removed shares uw", resources=[uw], status="removed")
    make_story(title="Deleted shares uw", resources=[uw], status="deleted")
    make_story(title="Removed unrelated", status="removed")
    kept = make_story(title="Published shares uw", resources=[uw])
    found = similar.similar_stories(this)
    assert [story.id for story in found] == [kept.id]


def test_limit_is_respected(library):
    this = make_story(title="Mine", resources=[library["uw"]])
    for n in range(4):
        make_story(title=f"Sharing {n}", resources=[library["uw"]])
    for n in range(4):
        make_story(title=f"Same step {n}")
    found = similar.similar_stories(this, limit=6)
    assert len(found) == 6 and len({story.id for story in found}) == 6
    assert all(story.title.startswith("Sharing") for story in found[:4])


def test_title_words_skip_common_ones():
    assert similar.title_words("How I passed Step 2 CK with UWorld and Anki flashcards") == [
        "flashcards", "uworld", "anki"]
    assert similar.title_words("My story: 100%_wild") == ["_wild", "100"]


def test_title_words_with_like_wildcards_match_literally(library):
    this = make_story(title="q_bank")
    make_story(title="qxbank notes", created_at=utcnow() - timedelta(days=1))  # would match an unescaped q_bank
    make_story(title="Unrelated notes")
    assert titles_of(similar.similar_stories(this)) == ["Unrelated notes", "qxbank notes"]


def test_story_page_shows_similar_stories(client, library):
    this = make_story(title="Mine", resources=[library["uw"]])
    make_story(title="Also used UWorld", resources=[library["uw"], library["anki"]])
    make_story(title="Removed UWorld story", resources=[library["uw"]], status="removed")
    body = client.get(f"/stories/{this.id}-{this.slug}").get_data(as_text=True)
    section = body.split('id="similar-heading"', 1)[1]
    assert "Also used UWorld" in section and "Removed UWorld story" not in section
    assert 'href="/resources/anki"' in section  # the card's resource chips


def test_story_page_queries_do_not_grow_with_similar_candidates(client, library, page_queries):
    """One similar story or five picked from a dozen candidates: the same statements, cold and warm, cache off."""
    uw, amboss = library["uw"], library["amboss"]
    this = make_story(title="Mine with UWorld", resources=[uw, amboss])
    url = f"/stories/{this.id}-{this.slug}"

    def similar_shown() -> int:
        section = client.get(url).get_data(as_text=True).split('id="similar-heading"', 1)[1]
        return section.split("</section>", 1)[0].count('class="story-card-title"')

    make_story(title="Another with UWorld", resources=[uw])
    one = page_queries(url)
    assert similar_shown() == 1
    for n in range(12):
        make_story(make_user(), title=f"UWorld story {n}", resources=[uw, amboss])
    assert page_queries(url) == one
    assert similar_shown() == 5
