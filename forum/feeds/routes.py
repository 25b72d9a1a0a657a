"""Atom 1.0 feeds of new stories (all, per step, per resource, per writer) and sitemap.xml.

Feeds and the sitemap are read by programs that follow links out of context, so every address in them is
absolute. Entry ids are the story's short address (/stories/<id>), which outlives a change of title; the
address with the slug is the entry's link.
"""
import re
from collections.abc import Iterator
from datetime import datetime

import sqlalchemy as sa
from flask import Blueprint, Response, redirect, render_template, request, stream_with_context, url_for
from markupsafe import escape

from .. import exam, loaders, markup
from ..caching import cached_page
from ..extensions import db
from ..models import Resource, Story, StoryResource
from ..stories import listing
from ..urls import external_url, resource_url, step_url, story_url, user_url
from . import bp

FEED_SIZE = 30  # a reader polling hourly misses nothing unless 30 stories arrive in an hour
ATOM_TYPE = "application/atom+xml; charset=utf-8"
# An empty feed still needs an <updated>; a fixed instant says "nothing has changed", which is true.
EMPTY_FEED_UPDATED = datetime(2025, 1, 1)
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit for one file
SITEMAP_CHUNK = 500  # URLs per chunk written to the client: few writes, little memory
# XML 1.0 allows tab, newline, carriage return and most of Unicode; nothing else may appear, even escaped.
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

sitemap_bp = Blueprint("sitemap", __name__)


def xml_text(value: str) -> str:
    """Text that can go into an XML document: characters XML 1.0 cannot carry become U+FFFD (escaping is Jinja's)."""
    return _NOT_XML_CHAR.sub("\ufffd", value)


def rfc3339(moment: datetime) -> str:
    """A stored naive-UTC time as Atom and sitemaps want it: 2025-06-01T12:00:00Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def atom_response(*, title: str, page_url: str, stories: list[Story]) -> Response:
    """Render the feed of `stories` (newest first) whose HTML page is page_url."""
    updated = max((story.edited_at or story.created_at for story in stories), default=EMPTY_FEED_UPDATED)
    self_url = external_url(request.endpoint, **request.view_args)  # also the feed's id
    body = render_template("feeds/atom.xml", title=title, self_url=self_url, page_url=page_url, stories=stories,
                           updated=updated, steps=exam.STEPS, text=xml_text, rfc3339=rfc3339,
                           excerpt=markup.render_plain_excerpt)
    return Response(body, content_type=ATOM_TYPE)


def newest(**filters) -> list[Story]:
    """The feed's stories in one query, as the listing finds them; authors come joined (lazy="joined")."""
    query = listing.stories_query(listing.Filters(sort="new", **filters))
    return list(db.session.scalars(query.limit(FEED_SIZE)))


@bp.route("/stories.atom")
@cached_page()
def stories():
    return atom_response(title="New stories · Step Stories",
                         page_url=external_url("stories.index", sort="new"), stories=newest())


@bp.route("/steps/<slug>.atom")
@cached_page()
def step(slug: str):
    found = loaders.step_or_404(slug)
    return atom_response(title=f"New {found.label} stories · Step Stories",
                         page_url=step_url(found.code, external=True),
                         stories=newest(step=found.code))


@bp.route("/resources/<slug>.atom")
@cached_page()
def resource(slug: str):
    found = loaders.resource_or_404(slug)
    return atom_response(title=f"New stories using {found.name} · Step Stories",
                         page_url=resource_url(found, external=True),
                         stories=newest(resources=[found.slug]))


@bp.route("/users/<username>.atom")
@cached_page()
def user(username: str):
    found = loaders.user_or_404(username)
    if found.username != username:
        return redirect(url_for("feeds.user", username=found.username), 301)
    stories = list(db.session.scalars(
        sa.select(Story).where(Story.author_id == found.id, Story.status == "published")
        .order_by(Story.created_at.desc(), Story.id.desc()).limit(FEED_SIZE)))
    return atom_response(title=f"Stories by {found.username} · Step Stories",
                         page_url=user_url(found, external=True), stories=stories)


@sitemap_bp.route("/sitemap.xml")
def sitemap():
    """Every page worth a search engine's visit, streamed: 50,000 stories are never held in memory at once."""
    return Response(stream_with_context(_chunks(_sitemap_lines())), content_type="application/xml; charset=utf-8")


def _sitemap_lines() -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    newest_by_step = dict(db.session.execute(
        sa.select(Story.step, sa.func.max(Story.created_at)).where(Story.status == "published").group_by(Story.step))
        .tuples().all())
    newest_overall = max(newest_by_step.values(), default=None)
    fixed = [(external_url("hubs.home"), newest_overall),
             (external_url("stories.index"), newest_overall),
             (external_url("resources.index"), None)]
    fixed += [(step_url(code, external=True), newest_by_step.get(code)) for code in exam.STEPS]
    used = (sa.select(Resource.slug, sa.func.max(Story.created_at).label("lastmod"))
            .outerjoin(StoryResource, StoryResource.resource_id == Resource.id)
            .outerjoin(Story, sa.and_(Story.id == StoryResource.story_id, Story.status == "published"))
            .group_by(Resource.id, Resource.slug).order_by(Resource.slug))
    fixed += [(resource_url(row, external=True), row.lastmod) for row in db.session.execute(used)]
    fixed = fixed[:SITEMAP_MAX_URLS]
    for loc, lastmod in fixed:
        yield _url_entry(loc, lastmod)
    stories = (sa.select(Story.id, Story.slug, sa.func.coalesce(Story.edited_at, Story.created_at).label("lastmod"))
               .where(Story.status == "published").order_by(Story.created_at.desc(), Story.id.desc())
               .limit(SITEMAP_MAX_URLS - len(fixed)).execution_options(yield_per=1000))
    for row in db.session.execute(stories):
        yield _url_entry(story_url(row, external=True), row.lastmod)
    yield "</urlset>\n"


def _url_entry(loc: str, lastmod: datetime | None) -> str:
    stamp = f"<lastmod>{rfc3339(lastmod)}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(xml_text(loc))}</loc>{stamp}</url>\n"


def _chunks(lines: Iterator[str]) -> Iterator[str]:
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= SITEMAP_CHUNK:
            yield "".join(batch)
            batch = []
    yield "".join(batch)
