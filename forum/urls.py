"""One URL builder per kind of page, used by views, templates, mail, feeds and the API alike (Lobsters keeps its
routes helpers in one file for the same reason): a page that moves changes here, nowhere else.

`external=True` gives an absolute URL, for anything read away from the site (mail, feeds, the sitemap, the API,
OpenGraph). It is built on FORUM_BASE_URL and never on the Host the request names: a forged Host would otherwise
put an attacker's address into a reset mail or a feed. Each builder takes the object, or any row with the same
attributes (`id`, `slug`, `username`).
"""
from urllib.parse import urlsplit

from flask import current_app, url_for

from . import exam
from .curation import HOME as HOME_HUB  # the front page is the hub of this slug


def story_url(story, *, external: bool = False, comment_id: int | None = None, short: bool = False, **args) -> str:
    """A story's page; with comment_id, that comment's place in the thread (#c<id>). short=True leaves the slug
    out (/stories/<id>, which redirects): an address that outlives a change of title, as feed entry ids need."""
    slug = {} if short else {"slug": story.slug}
    url = _url("stories.show", external, story_id=story.id, **slug, **args)
    return url + (f"#c{comment_id}" if comment_id else "")


def comment_url(comment, *, external: bool = False) -> str:
    """A comment's permalink, which redirects to its place in the story's thread; takes a comment or its id."""
    comment_id = comment if isinstance(comment, int) else comment.id
    return _url("comments.permalink", external, comment_id=comment_id)


def user_url(user, *, external: bool = False) -> str:
    return _url("users.profile", external, username=user.username)


def resource_url(resource, *, external: bool = False) -> str:
    return _url("resources.show", external, slug=resource.slug)


def step_url(step_code: str, *, external: bool = False) -> str:
    """A step's hub, from the step's code (step2ck -> /steps/step-2-ck)."""
    return _url("hubs.step", external, slug=exam.STEPS[step_code].slug)


def hub_url(hub_slug: str, *, external: bool = False) -> str:
    """Where a hub lives: `home` is the front page, a step hub is its step's page."""
    if hub_slug == HOME_HUB:
        return _url("hubs.home", external)
    return step_url(hub_slug, external=external)


def external_url(endpoint: str, **values) -> str:
    """The absolute address of any page, on FORUM_BASE_URL: for pages without a builder above (feeds, listings,
    a reset link). Works without a request, in a job or a command."""
    app = current_app
    app.inject_url_defaults(endpoint, values)
    base = urlsplit(app.config["FORUM_BASE_URL"])
    adapter = app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def _url(endpoint: str, external: bool, **values) -> str:
    return external_url(endpoint, **values) if external else url_for(endpoint, **values)


TEMPLATE_GLOBALS = {f.__name__: f for f in (story_url, comment_url, user_url, resource_url, step_url, hub_url,
                                            external_url)}
