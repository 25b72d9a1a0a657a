"""One URL builder per kind of page, used by views, templates, mail, feeds and the API alike (Lobsters keeps its
routes helpers in one file for the same reason): a page that moves changes here, nowhere else.

`external=True` gives an absolute URL, for anything read away from the site (mail, feeds, the sitemap, the API,
OpenGraph). Each builder takes the object, or any row with the same attributes (`id`, `slug`, `username`).
"""
from flask import url_for

from . import exam
from .curation import HOME as HOME_HUB  # the front page is the hub of this slug


def story_url(story, *, external: bool = False, comment_id: int | None = None, short: bool = False, **args) -> str:
    """A story's page; with comment_id, that comment's place in the thread (#c<id>). short=True leaves the slug
    out (/stories/<id>, which redirects): an address that outlives a change of title, as feed entry ids need."""
    slug = {} if short else {"slug": story.slug}
    url = url_for("stories.show", story_id=story.id, _external=external, **slug, **args)
    return url + (f"#c{comment_id}" if comment_id else "")


def comment_url(comment, *, external: bool = False) -> str:
    """A comment's permalink, which redirects to its place in the story's thread; takes a comment or its id."""
    comment_id = comment if isinstance(comment, int) else comment.id
    return url_for("comments.permalink", comment_id=comment_id, _external=external)


def user_url(user, *, external: bool = False) -> str:
    return url_for("users.profile", username=user.username, _external=external)


def resource_url(resource, *, external: bool = False) -> str:
    return url_for("resources.show", slug=resource.slug, _external=external)


def step_url(step_code: str, *, external: bool = False) -> str:
    """A step's hub, from the step's code (step2ck -> /steps/step-2-ck)."""
    return url_for("hubs.step", slug=exam.STEPS[step_code].slug, _external=external)


def hub_url(hub_slug: str, *, external: bool = False) -> str:
    """Where a hub lives: `home` is the front page, a step hub is its step's page."""
    if hub_slug == HOME_HUB:
        return url_for("hubs.home", _external=external)
    return step_url(hub_slug, external=external)


TEMPLATE_GLOBALS = {f.__name__: f for f in (story_url, comment_url, user_url, resource_url, step_url, hub_url)}
