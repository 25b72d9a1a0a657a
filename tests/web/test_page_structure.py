"""Every page the site links to, crawled from the front page, is well-formed for browsers and screen readers.

Each template is tested for what it shows elsewhere; this checks what they share, on the demo data and for each
kind of visitor: one <main> and one <h1>, a plain-text <title>, unique ids that labels and ARIA references
resolve to, a label for every control, alt text for every image, and nothing the Content-Security-Policy would
block (inline script, style or event handlers).
"""
import re
from collections import Counter
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import HTTPException

from forum import demo
from forum.extensions import db
from forum.models import Comment, User
from tests.builders import sign_in

PAGES_PER_SHAPE = 3  # pages of one view (with or without a query): three say what the other 480 stories would
MAX_PAGES = 200
SKIPPED = ("/static/", "/api/", "/feeds/", "/auth/logout", "/auth/reset/")
SKIPPED_SUFFIXES = (".atom", ".csv", ".xml", ".txt", ".json")
NOT_CONTROLS = {"hidden", "submit", "button", "image", "reset"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Page(HTMLParser):
    """The facts the checks need, gathered in one pass."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.counts = Counter()
        self.ids = Counter()
        self.label_for = set()
        self.references = []  # (attribute, id) from for=, aria-labelledby, aria-describedby, aria-controls
        self.controls = []  # (tag, id, has its own name, inside a <label>)
        self.links = []
        self.problems = []
        self.html_lang = None
        self.title = None
        self._stack = []
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.counts[tag] += 1
        if tag == "html":
            self.html_lang = attrs.get("lang")
        if tag == "title" and "svg" not in self._stack:  # a chart's <title> names the chart, not the page
            self.counts["page title"] += 1
            self._in_title, self.title = True, ""
        if "id" in attrs:
            self.ids[attrs["id"]] += 1
        if tag == "label" and attrs.get("for"):
            self.label_for.add(attrs["for"])
        for name in ("for", "aria-labelledby", "aria-describedby", "aria-controls"):
            for ref in (attrs.get(name) or "").split():
                self.references.append((f"{tag}[{name}]", ref))
        if tag in {"input", "select", "textarea"} and attrs.get("type", "text") not in NOT_CONTROLS:
            named = bool(attrs.get("aria-label") or attrs.get("aria-labelledby"))
            self.controls.append((f"{tag} name={attrs.get('name')!r}", attrs.get("id"), named, "label" in self._stack))
        if tag == "img" and attrs.get("alt") is None:
            self.problems.append(f"<img src={attrs.get('src')!r}> has no alt text")
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if "style" in attrs:
            self.problems.append(f"<{tag}> has an inline style attribute (the CSP blocks it)")
        if any(name.startswith("on") for name in attrs):
            self.problems.append(f"<{tag}> has an inline event handler (the CSP blocks it)")
        if tag == "script" and not attrs.get("src") and attrs.get("type") != "application/ld+json":
            self.problems.append("an inline <script> (the CSP blocks it)")
        if tag == "style":
            self.problems.append("a <style> element (the CSP blocks it)")
        if tag not in VOID:
            self._stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def check(url: str, html: str) -> tuple[list[str], list[str]]:
    """The problems on one page, and the links it offers."""
    page = Page()
    page.feed(html)
    page.close()
    problems = list(page.problems)
    if page.html_lang != "en":
        problems.append(f"<html lang> is {page.html_lang!r}")
    if page.counts["page title"] != 1 or not page.title or not page.title.strip().endswith("· Step Stories") \
            or "<" in page.title:
        problems.append(f"the <title> is {page.title!r} ({page.counts['page title']} page title elements)")
    for tag in ("main", "h1"):
        if page.counts[tag] != 1:
            problems.append(f"{page.counts[tag]} <{tag}> elements, not one")
    problems += [f"id {name!r} is used {n} times" for name, n in page.ids.items() if n > 1]
    problems += [f"{where} points at id {ref!r}, which is not on the page"
                 for where, ref in page.references if ref not in page.ids]
    for what, control_id, named, wrapped in page.controls:
        if not (named or wrapped or (control_id and control_id in page.label_for)):
            problems.append(f"<{what}> has no label")
    return [f"{url}: {problem}" for problem in problems], page.links


def shape(app, link: str) -> str:
    """The view that answers link (one template), and whether it has a query."""
    parts = urlsplit(link)
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:  # a redirect or a 404: the page itself will say
        endpoint = parts.path
    return endpoint + ("?" if parts.query else "")


def crawl(client, *starts: str) -> tuple[list[str], set[str]]:
    """Follow the site's own links breadth first from starts ("/" by default); return every problem and the
    paths visited."""
    queue = list(starts or ["/"])
    seen, visited, per_shape, problems = set(queue), set(), Counter(), []
    while queue and len(visited) < MAX_PAGES:
        url = queue.pop(0)
        response = client.get(url, follow_redirects=True)  # a permalink or a slug-less story URL redirects
        if response.status_code != 200 or response.mimetype != "text/html":
            assert response.status_code < 500, f"{url} answered {response.status_code}"
            continue
        if response.history:
            landed = response.request
            url = landed.path + (f"?{landed.query_string.decode()}" if landed.query_string else "")
            if url in visited:
                continue
        visited.add(url)
        found, links = check(url, response.get_data(as_text=True))
        problems += found
        for link in links:
            link = urldefrag(link).url
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or not link.startswith("/") or link in seen:
                continue
            if link.startswith(SKIPPED) or parts.path.endswith(SKIPPED_SUFFIXES):
                continue
            seen.add(link)
            key = shape(client.application, link)
            if per_shape[key] < PAGES_PER_SHAPE:
                per_shape[key] += 1
                queue.append(link)
    return problems, visited


@pytest.fixture
def demo_site(sqlite_app):
    """The demo content (stories with threads, featured cards, resources, insights with figures)."""
    demo.seed()
    db.session.remove()
    return sqlite_app


def test_every_page_a_visitor_can_reach_is_well_formed(demo_site):
    problems, visited = crawl(demo_site.test_client())
    assert not problems, "\n".join(problems)
    for expected in ("/", "/stories", "/resources", "/insights", "/moderation-log", "/auth/login"):
        assert expected in visited
    assert any(re.fullmatch(r"/stories/\d+-[\w-]+", path) for path in visited)
    assert any(path.startswith("/steps/") for path in visited) and any(path.startswith("/u/") for path in visited)


@pytest.mark.parametrize("username", ["jules_md", "dr_okafor", "maya_img"])  # member, moderator, admin
def test_every_page_a_member_or_moderator_can_reach_is_well_formed(demo_site, username):
    client = demo_site.test_client()
    sign_in(client, username, demo.DEMO_PASSWORD)
    # Also from a story where they commented, so the reply and edit pages are reached too.
    own = db.session.scalars(sa.select(Comment).join(User).where(User.username == username)).first()
    problems, visited = crawl(client, "/", f"/comments/{own.id}/edit")
    assert not problems, "\n".join(problems)
    assert {"/settings", "/stories/new", f"/comments/{own.id}/edit"} <= visited
    assert any(re.fullmatch(r"/comments/\d+/reply", path) for path in visited)
    if username != "jules_md":
        assert {"/mod/reports", "/mod/queue"} <= visited
