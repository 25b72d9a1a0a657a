"""One load-or-404-or-403 per kind of object, used by every view that takes an id or a name from its URL
(flaskr's get_post). A view asks here instead of querying inline, so "missing", "not yours" and "too large an
id" answer the same way everywhere.

`check` is a predicate from forum.permissions, asked of the current user and the object: False is a 403.
"""
import re
from collections.abc import Callable

import sqlalchemy as sa
from flask import abort
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from . import curation, exam
from .extensions import db
from .models import USERNAME_PATTERN, Comment, Resource, ResourceSuggestion, Story, User, username_key

MAX_ID = 2**31 - 1  # ids are 32-bit integers on PostgreSQL: a larger one would be a database error, not a 404

Check = Callable[[object, object], bool]


def _id_or_404(item_id: int, missing: str | None = None) -> int:
    if not 1 <= item_id <= MAX_ID:
        abort(404, description=missing)
    return item_id


def _checked(item, check: Check | None, missing: str | None = None):
    if item is None:
        abort(404, description=missing)
    if check is not None and not check(current_user, item):
        abort(403)
    return item


def story_or_404(story_id: int, *, details: bool = False, published_only: bool = False,
                 check: Check | None = None, missing: str | None = None) -> Story:
    """A story, deleted and removed ones included (their pages show a notice) unless published_only.
    details=True loads the resources (known and typed) and practice scores its page and edit form show, in three
    more queries;
    `missing` is the 404's description (the API shows it)."""
    query = sa.select(Story).where(Story.id == _id_or_404(story_id, missing))
    if published_only:
        query = query.where(Story.status == "published")
    if details:
        query = query.options(selectinload(Story.resource_links), selectinload(Story.practice_scores),
                              selectinload(Story.resource_suggestions))
    return _checked(db.session.scalar(query), check, missing)


def comment_or_404(comment_id: int, *, check: Check | None = None) -> Comment:
    """A comment with its author and story, which every comment view shows or links.

    Inner joins, as the keys are never null: an outer join to stories (whose author is joined too) is one SQLite
    answers by scanning every story (see tests/web/test_query_plans.py)."""
    comment = db.session.scalar(sa.select(Comment).where(Comment.id == _id_or_404(comment_id))
                                .options(joinedload(Comment.author, innerjoin=True),
                                         joinedload(Comment.story, innerjoin=True)))
    return _checked(comment, check)


REPORTABLE = {"story": story_or_404, "comment": comment_or_404}


def report_target_or_404(target_type: str, target_id: int, *, check: Check | None = None) -> Story | Comment:
    """The story or comment a report or a moderator's action names."""
    return REPORTABLE[target_type](target_id, check=check)


def suggestion_or_404(suggestion_id: int) -> ResourceSuggestion:
    """An open suggestion (a resolved one has moved onto the catalogue: nothing left to do with it)."""
    return _checked(db.session.scalar(sa.select(ResourceSuggestion).where(
        ResourceSuggestion.id == _id_or_404(suggestion_id), ResourceSuggestion.resolved.is_(False))), None)


def resource_or_404(slug: str) -> Resource:
    return _checked(db.session.scalar(sa.select(Resource).where(Resource.slug == slug)), None)


def user_or_404(username: str) -> User:
    """A member by username, ignoring case (the page then redirects to the spelling they chose)."""
    if not re.fullmatch(USERNAME_PATTERN, username):
        abort(404)
    return _checked(db.session.scalar(sa.select(User).where(User.username_key == username_key(username))), None)


def step_or_404(slug: str) -> exam.Step:
    """The step a hub or feed address names (/steps/step-2-ck)."""
    return _checked(exam.step_for_slug(slug), None)


def hub_slug_or_404(slug: str) -> str:
    """A hub that can be curated: `home` or a step code."""
    return _checked(slug if slug in curation.HUB_SLUGS else None, None)


def feature_or_404(feature_id: int):
    return _checked(curation.get_feature(_id_or_404(feature_id)), None)
