"""Following: a member follows a story (its new comments), a step, a resource or a search (new stories that match).

Who hears of a new story is worked out by a job once the publishing request has committed (`match_new_story`),
never inside it: a step may have thousands of followers and every saved search is one more statement, none of
which the writer should wait for. New comments on a followed story go the same way (`notify_comment_followers`).
Each follower gets one notification per story, whatever number of their follows it matches, and never for their
own story or comment.

The Follow button is personal on pages cached for everyone (forum/caching.py), so it is a hole: `follow_button`
draws the stand-in's "Follow" into the stored page, and forum/personal.py puts "Following" in its place for a
reader who follows.
"""
from urllib.parse import parse_qsl, urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy.orm import joinedload, selectinload
from werkzeug.datastructures import MultiDict

from . import caching, exam, notifications, search
from .database import insert_ignoring_duplicates
from .extensions import db
from .jobs import job
from .models import FOLLOW_KINDS, Comment, Follow, MailPreference, Resource, Story, User, utcnow
from .models.following import FOLLOW_KEY_MAX, FOLLOW_NOTIFICATION
from .security import safe_next_url
from .urls import resource_url, step_url, story_url
from .vote_buttons import wants_up

bp = Blueprint("following", __name__)

MAX_FOLLOWS = 300  # per member: the list stays one page, and a script cannot make one member follow everything
MAX_SEARCH_FOLLOWS = 20  # per member: each distinct saved search is one statement in every new story's job
# The search words a saved search keeps, in this order; sort and page say how to show results, not which.
SEARCH_KEY_PARAMS = ("q", "step", "resource", "outcome", "background", "attempt", "year", "score_min", "score_max",
                     "verified", "journey")


# --- keys ---------------------------------------------------------------------------------------------------

def search_key(q: search.SearchRequest) -> str:
    """A search as a follow keeps it: a query string of what selects stories, each value list sorted and the words'
    spacing collapsed, so the same search typed twice is one follow. "" for a search of everything."""
    values = {"q": [" ".join(q.text.split())], "step": sorted(set(q.steps)), "resource": sorted(set(q.resources)),
              "outcome": sorted(set(q.outcomes)), "background": sorted(set(q.backgrounds)), "attempt": [q.attempt],
              "year": [q.year], "score_min": [q.score_min], "score_max": [q.score_max],
              "verified": ["1" if q.verified else ""], "journey": [q.journey]}
    return urlencode([(name, value) for name in SEARCH_KEY_PARAMS for value in values[name]
                      if value not in ("", None)])


def search_request(key: str) -> search.SearchRequest:
    return search.SearchRequest.from_args(MultiDict(parse_qsl(key)))


def target_key(kind: str, target: str) -> str | None:
    """The key a follow of `kind` stores for what a form named, or None when there is no such thing to follow."""
    target = (target or "").strip()
    if kind == "story":
        story = db.session.get(Story, int(target)) if target.isdigit() and len(target) < 12 else None
        return str(story.id) if story is not None and story.status == "published" else None
    if kind == "step":
        return target if target in exam.STEPS else None
    if kind == "resource":
        found = db.session.get(Resource, int(target)) if target.isdigit() and len(target) < 12 else None
        return str(found.id) if found is not None else None
    if kind == "search":
        key = search_key(search_request(target))
        return key if key and len(key) <= FOLLOW_KEY_MAX else None
    return None


def target_url(kind: str, key: str) -> str:
    """Where a follow's page is: the story, the step's hub, the resource or the search."""
    if kind == "story":
        story = db.session.get(Story, int(key))
        return story_url(story) if story else url_for("stories.index")
    if kind == "step":
        return step_url(key)
    if kind == "resource":
        resource = db.session.get(Resource, int(key))
        return resource_url(resource) if resource else url_for("resources.index")
    return f"{url_for('stories.search_page')}?{key}"


def is_following(user_id: int, kind: str, key: str) -> bool:
    return db.session.scalar(sa.select(Follow.id).where(Follow.user_id == user_id, Follow.kind == kind,
                                                        Follow.key == key)) is not None


# --- the button ---------------------------------------------------------------------------------------------

def follow_button(kind: str, target) -> Markup:
    """`{{ follow_button('step', step.code) }}`: the Follow button of a story (id), a step (code), a resource (the
    row) or a search (the SearchRequest). In a page recorded for the cache it is the stand-in's, in a hole; drawn
    for a reader at once, it is theirs."""
    key, number = _hole_args(kind, target)

    def draw() -> str:
        followed = not g.get("cache_recording_holes") and current_user.is_authenticated and \
            reader_follows(kind, key, number)
        return render_button(kind, key, followed=followed)

    return caching.hole("follow_button", FOLLOW_KINDS.index(kind), number, caller=draw)


def _hole_args(kind: str, target) -> tuple[str, int]:
    """The key, and the number the hole carries to find it again (holes carry numbers only)."""
    if kind == "story":
        return str(int(target)), int(target)
    if kind == "step":
        return target, exam.STEP_CODES.index(target)
    if kind == "resource":
        return str(target.id), target.id
    return search_key(target), 0  # the filler reads the search from the request, whose address it is


def key_from_hole(kind: str, number: int) -> str:
    if kind in ("story", "resource"):
        return str(number)
    if kind == "step":
        return exam.STEP_CODES[number]
    return search_key(search.SearchRequest.from_args(request.args))


def reader_follows(kind: str, key: str, number: int) -> bool:
    if not getattr(current_user, "follow_count", 0):
        return False  # follows nothing (or the stand-in): no query, so a warm cached page costs what it did
    if kind == "story":
        from . import personal

        return personal.reader_follows_story(number)  # read with the story's other personal state, one statement
    return bool(key) and is_following(current_user.id, kind, key)


def render_button(kind: str, key: str, *, followed: bool) -> str:
    here = request.full_path.rstrip("?")
    return render_template("_partials/follow_button.html", kind=kind, key=key, followed=followed, here=here)


# --- pages --------------------------------------------------------------------------------------------------

@bp.route("/follow", methods=["POST"])
@login_required
def follow():
    """Follow (value=1) or stop following (value=0) a story, step, resource or search; idempotent either way."""
    kind, target = request.form.get("kind", ""), request.form.get("target", "")
    key = target_key(kind, target) if kind in FOLLOW_KINDS else None
    following = wants_up()
    if key is None and not following and kind in ("story", "resource") and target.isdigit() and len(target) < 12:
        key = target  # unfollowing what can no longer be followed (a removed story): the key as stored
    if key is None:
        abort(400)
    back = safe_next_url(request.form.get("next")) or target_url(kind, key)
    caching.retire()  # whether you follow something shows only to you, in a hole filled per request
    if not following:
        db.session.execute(sa.delete(Follow).where(Follow.user_id == current_user.id, Follow.kind == kind,
                                                   Follow.key == key))
    elif refusal := _over_limit(kind):
        flash(refusal, "error")
        return redirect(back)
    else:
        db.session.execute(insert_ignoring_duplicates(Follow, user_id=current_user.id, kind=kind, key=key,
                                                      created_at=utcnow()))
    _recount(current_user.id)
    db.session.commit()
    return redirect(back)


def _recount(user_id: int) -> None:
    """Set the member's follow_count from the rows, in one statement: a repeated press or a race still counts
    exactly."""
    counted = sa.select(sa.func.count()).select_from(Follow).where(Follow.user_id == user_id).scalar_subquery()
    db.session.execute(sa.update(User).where(User.id == user_id).values(follow_count=counted))


def _over_limit(kind: str) -> str | None:
    counts = dict(db.session.execute(sa.select(Follow.kind, sa.func.count()).where(
        Follow.user_id == current_user.id).group_by(Follow.kind)).all())
    if sum(counts.values()) >= MAX_FOLLOWS:
        return f"You follow {MAX_FOLLOWS} things already; unfollow some first."
    if kind == "search" and counts.get("search", 0) >= MAX_SEARCH_FOLLOWS:
        return f"You follow {MAX_SEARCH_FOLLOWS} searches already; unfollow one first."
    return None


@bp.route("/following")
@login_required
def index():
    """What the member follows, each with its page and an Unfollow button; a few statements however many."""
    follows = list(db.session.scalars(sa.select(Follow).where(Follow.user_id == current_user.id)
                                      .order_by(Follow.kind, Follow.created_at.desc())))
    ids = {kind: [int(f.key) for f in follows if f.kind == kind] for kind in ("story", "resource")}
    stories = {s.id: s for s in db.session.scalars(sa.select(Story).where(Story.id.in_(ids["story"])))} \
        if ids["story"] else {}
    resources = {r.id: r for r in db.session.scalars(sa.select(Resource).where(Resource.id.in_(ids["resource"])))} \
        if ids["resource"] else {}
    rows = []
    for item in follows:
        if item.kind == "story":
            story = stories.get(int(item.key))
            label, link = (story.title, story_url(story)) if story else ("A story no longer shown", None)
        elif item.kind == "step":
            step = exam.STEPS.get(item.key)
            label, link = (step.label if step else item.key), step_url(item.key) if step else None
        elif item.kind == "resource":
            resource = resources.get(int(item.key))
            label, link = (resource.name, resource_url(resource)) if resource else ("A removed resource", None)
        else:
            label, link = describe_search(item.key), target_url("search", item.key)
        rows.append((item, label, link))
    preference = db.session.get(MailPreference, current_user.id)
    return render_template("users/following.html", rows=rows, mail=preference.follow_mail if preference else "off")


def describe_search(key: str) -> str:
    """A saved search in words: its text, then its filters (`step: step1`)."""
    pairs = parse_qsl(key)
    words = " ".join(value for name, value in pairs if name == "q")
    filters = ", ".join(f"{name.replace('_', ' ')}: {value}" for name, value in pairs if name != "q")
    return " · ".join(part for part in (f"“{words}”" if words else "", filters) if part) or "Every story"


# --- the jobs -----------------------------------------------------------------------------------------------

@job
def match_new_story(story_id: int) -> None:
    """Notify who follows the new story's step, one of its resources, or a search it matches: once each, the
    first of those reasons named, never its author. Enqueued by the publishing view; runs after its commit."""
    story = db.session.scalar(sa.select(Story).where(Story.id == story_id)
                              .options(joinedload(Story.author), selectinload(Story.resource_links)))
    if story is None or story.status != "published":
        return
    reasons: dict[int, str] = {}  # follower -> the kind of follow that reached them first
    for kind, keys in (("step", [story.step]),
                       ("resource", [str(link.resource_id) for link in story.resource_links if link.resource_id]),
                       ("search", _matching_searches(story.id))):
        if keys:
            for user_id in db.session.scalars(sa.select(Follow.user_id).where(Follow.kind == kind,
                                                                               Follow.key.in_(keys))):
                reasons.setdefault(user_id, kind)
    reasons.pop(story.author_id, None)
    _notify_all(reasons, actor=story.author, story=story)


def _matching_searches(story_id: int) -> list[str]:
    """The saved searches (each distinct one once) that find the story: one statement each, narrowed to its id."""
    keys = db.session.scalars(sa.select(Follow.key).where(Follow.kind == "search").distinct()).all()
    return [key for key in keys if search.story_matches(search_request(key), story_id)]


@job
def notify_comment_followers(comment_id: int, already: list[int]) -> None:
    """Notify who follows the comment's story, except its writer and `already` (told of it as a reply or a
    mention in the commenting request)."""
    comment = db.session.scalar(sa.select(Comment).where(Comment.id == comment_id)
                                .options(joinedload(Comment.author), joinedload(Comment.story)))
    if comment is None or comment.status != "published" or comment.story.status != "published":
        return
    skip = {comment.author_id, *already}
    followers = db.session.scalars(sa.select(Follow.user_id).where(Follow.kind == "story",
                                                                   Follow.key == str(comment.story_id)))
    _notify_all({user_id: "story" for user_id in followers if user_id not in skip}, actor=comment.author,
                story=comment.story, comment=comment)


def _notify_all(reasons: dict[int, str], *, actor, story: Story, comment: Comment | None = None) -> None:
    if not reasons:
        return
    each = set(db.session.scalars(sa.select(MailPreference.user_id).where(
        MailPreference.user_id.in_(list(reasons)), MailPreference.follow_mail == "each")))
    caching.retire()  # the count shows only in each reader's own menu, a hole filled per request
    for user_id, kind in sorted(reasons.items()):
        notifications.notify(user_id=user_id, kind=FOLLOW_NOTIFICATION[kind], actor=actor, story=story, comment=comment,
                             mail=user_id in each)
    db.session.commit()
