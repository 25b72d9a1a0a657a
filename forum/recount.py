"""Cached counters checked against the rows they count, and repaired.

The forum keeps counts in columns so listings never count rows (stories.votes, users.karma ...). Each is moved by
`x = x + 1` in the transaction that adds the row, so they should never drift; this module is how we know, and the
way back if a bug or a hand edit makes them drift. Every counter is one aggregate over its rows, compared with the
column in one statement (check) or written back with one UPDATE ... FROM that aggregate (repair): set-based SQL
that stays fast at 100,000 stories and 1,000,000 votes, on SQLite and PostgreSQL alike.
"""
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from . import ranking
from .extensions import db
from .models import Comment, CommentVote, Follow, Notification, Resource, Story, StoryResource, StoryVote, User

EXAMPLES = 3  # mismatches shown per counter: enough to look one up, few enough to read
HOT_TOLERANCE = 1e-6  # hot is stored rounded to 7 places; SQL and Python may round the last place differently
# Repair locks these against writers, so no vote or comment lands between counting the rows and writing the count.
COUNTED_TABLES = ("stories", "comments", "story_votes", "comment_votes", "story_resources", "notifications",
                  "follows")


@dataclass
class Mismatch:
    counter: str  # "stories.votes"
    noun: str  # what one row is: "story"
    rows: int  # how many rows differ
    examples: list[tuple[int, float, float]] = field(default_factory=list)  # (id, cached, actual)

    def describe(self) -> str:
        shown = ", ".join(f"{self.noun} {key}: cached {_number(cached)}, actual {_number(actual)}"
                          for key, cached, actual in self.examples)
        return f"{self.counter}: {self.rows} {'row differs' if self.rows == 1 else 'rows differ'}, e.g. {shown}"


def _number(value) -> str:
    return f"{value:.7f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Counter:
    """A cached column and the SELECT of (id, n) that says what it should hold, for every row of its table."""

    name: str
    noun: str
    model: type
    column: str
    actual: Callable[[], sa.Subquery]
    tolerance: float = 0

    def differs(self, actual: sa.Subquery):
        cached = getattr(self.model, self.column)
        if self.tolerance:
            return sa.func.abs(cached - actual.c.n) > self.tolerance
        return cached != actual.c.n


def _per_row(model, grouped: sa.Select, key) -> sa.Subquery:
    """Every row of model with the count from `grouped` (key, n), 0 where it has none.

    The outer join runs on an alias of the table, so an UPDATE of the table itself can use this FROM."""
    row = aliased(model)
    counts = grouped.subquery()
    return (sa.select(row.id.label("id"), sa.func.coalesce(counts.c.n, 0).label("n"))
            .outerjoin(counts, counts.c.key == getattr(row, key)).subquery())


def _count_by(column) -> sa.Select:
    return sa.select(column.label("key"), sa.func.count().label("n")).group_by(column)


def story_votes() -> sa.Subquery:
    return _per_row(Story, _count_by(StoryVote.story_id), "id")


def story_hot() -> sa.Subquery:
    """What ranking.hot gives for each story's real vote count (see hot_sql)."""
    votes = story_votes()
    row = aliased(Story)
    return (sa.select(row.id.label("id"), hot_sql(votes.c.n, row.created_at).label("n"))
            .join(votes, votes.c.id == row.id).subquery())


def story_comment_count() -> sa.Subquery:
    # Every comment row counts, deleted and removed ones too: their place stays in the thread, and
    # threads.add_comment counts each one once, for good.
    return _per_row(Story, _count_by(Comment.story_id), "id")


def comment_votes() -> sa.Subquery:
    return _per_row(Comment, _count_by(CommentVote.comment_id), "id")


def user_karma() -> sa.Subquery:
    """Every upvote a person's stories and comments have received, whatever became of them since.

    Counted per item first (an index scan each), then summed per author: far fewer rows to join than the votes."""
    per_story = _count_by(StoryVote.story_id).subquery()
    per_comment = _count_by(CommentVote.comment_id).subquery()
    received = sa.union_all(
        sa.select(Story.author_id.label("user_id"), per_story.c.n).join(per_story, per_story.c.key == Story.id),
        sa.select(Comment.author_id.label("user_id"), per_comment.c.n)
        .join(per_comment, per_comment.c.key == Comment.id),
    ).subquery()
    grouped = sa.select(received.c.user_id.label("key"), sa.func.sum(received.c.n).label("n")) \
        .group_by(received.c.user_id)
    return _per_row(User, grouped, "id")


def resource_story_count() -> sa.Subquery:
    """Published stories naming each resource, as catalogue.refresh_story_counts counts them."""
    grouped = (_count_by(StoryResource.resource_id).join(Story, Story.id == StoryResource.story_id)
               .where(Story.status == "published"))
    return _per_row(Resource, grouped, "id")


def user_unread_notifications() -> sa.Subquery:
    grouped = _count_by(Notification.user_id).where(Notification.read_at.is_(None))
    return _per_row(User, grouped, "id")


def user_follow_count() -> sa.Subquery:
    """What each member follows (the Follow button skips its query for a member whose count is 0)."""
    return _per_row(User, _count_by(Follow.user_id), "id")


# In repair order: stories.hot is computed from the vote rows, but listed after stories.votes so a reader of the
# report sees the cause before the consequence.
COUNTERS = (
    Counter("stories.votes", "story", Story, "votes", story_votes),
    Counter("stories.hot", "story", Story, "hot", story_hot, tolerance=HOT_TOLERANCE),
    Counter("stories.comment_count", "story", Story, "comment_count", story_comment_count),
    Counter("comments.votes", "comment", Comment, "votes", comment_votes),
    Counter("users.karma", "user", User, "karma", user_karma),
    Counter("users.unread_notifications", "user", User, "unread_notifications", user_unread_notifications),
    Counter("users.follow_count", "user", User, "follow_count", user_follow_count),
    Counter("resources.story_count", "resource", Resource, "story_count", resource_story_count),
)


def hot_sql(votes, created_at):
    """ranking.hot as a SQL expression, for the database to compute over every story at once.

    sign(s)·log10(max(|s|, 1)) + seconds since HOT_EPOCH / HOT_WINDOW_SECONDS, rounded to 7 places like
    ranking.hot. Times are naive UTC text on SQLite and timestamps on PostgreSQL.
    tests/web/test_recount.py holds this to ranking.hot on both databases."""
    sign = sa.case((votes > 0, 1), (votes < 0, -1), else_=0)
    magnitude = sa.case((sa.func.abs(votes) > 1, sa.func.abs(votes)), else_=1)
    epoch = ranking.HOT_EPOCH.strftime("%Y-%m-%d %H:%M:%S")
    if _dialect() == "postgresql":
        seconds = sa.cast(sa.extract("epoch", created_at - sa.cast(epoch, sa.DateTime)), sa.Float)
        score = sign * sa.func.log10(sa.cast(magnitude, sa.Float)) + seconds / ranking.HOT_WINDOW_SECONDS
        return sa.cast(sa.func.round(sa.cast(score, sa.Numeric), 7), sa.Float)
    # julianday keeps milliseconds only, so whole seconds come from it and the microseconds from the text itself
    # (SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff"): a millisecond is 2e-8 of hot, enough to flip the 7th place.
    whole = (sa.func.julianday(sa.func.substr(created_at, 1, 19)) - sa.func.julianday(epoch)) * 86400
    seconds = sa.func.round(whole) + sa.cast(sa.func.substr(created_at, 20), sa.Float)
    score = sign * sa.func.log10(magnitude) + seconds / ranking.HOT_WINDOW_SECONDS
    return sa.func.round(score, 7)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def check_counter(counter: Counter, *, examples: int = EXAMPLES) -> Mismatch | None:
    """One statement: the rows whose cached value differs, how many, and the first few by id.

    The differing rows are MATERIALIZED first: asked for "ORDER BY id LIMIT 3" directly, PostgreSQL's planner
    expects to stop early and picks a nested loop over the aggregate, which took minutes at 100,000 stories."""
    cached = getattr(counter.model, counter.column)
    actual = counter.actual()
    differing = (sa.select(counter.model.id.label("id"), cached.label("cached"), actual.c.n.label("actual"))
                 .join(actual, actual.c.id == counter.model.id).where(counter.differs(actual))
                 .cte("differing").prefix_with("MATERIALIZED"))
    total = sa.select(sa.func.count()).select_from(differing).scalar_subquery()
    rows = db.session.execute(
        sa.select(differing.c.id, differing.c.cached, differing.c.actual, total)
        .order_by(differing.c.id).limit(examples)).all()
    if not rows:
        return None
    return Mismatch(counter=counter.name, noun=counter.noun, rows=rows[0][3],
                    examples=[(key, cached_value, actual_value) for key, cached_value, actual_value, _ in rows])


def check(*, progress: Callable[[int, int], None] | None = None) -> list[Mismatch]:
    """Every counter that differs from its rows; an empty list when all agree. Changes nothing.

    progress(done, total), when given, hears of each counter checked: each is a scan of a whole table."""
    found = []
    for done, counter in enumerate(COUNTERS, 1):
        if (mismatch := check_counter(counter)) is not None:
            found.append(mismatch)
        if progress:
            progress(done, len(COUNTERS))
    return found


def repair(*, progress: Callable[[int, int], None] | None = None) -> list[Mismatch]:
    """Write every counter back from its rows, in the caller's transaction (the caller commits); progress as for
    check.

    Returns what differed before the repair. On PostgreSQL the counted tables are locked against writers first
    (SHARE mode: reads go on, writes wait a few seconds): under READ COMMITTED a vote committed between the
    aggregate and the UPDATE would otherwise be overwritten with the count from before it. SQLite's single writer
    lock gives the same guarantee once the transaction writes (the CLI's transactions BEGIN IMMEDIATE)."""
    if _dialect() == "postgresql":
        db.session.execute(sa.text(f"LOCK TABLE {', '.join(COUNTED_TABLES)} IN SHARE MODE"))
    found = []
    for done, counter in enumerate(COUNTERS, 1):
        if (mismatch := check_counter(counter)) is not None:
            found.append(mismatch)
            actual = counter.actual()
            db.session.execute(
                sa.update(counter.model).values({counter.column: actual.c.n})
                .where(counter.model.id == actual.c.id, counter.differs(actual))
                .execution_options(synchronize_session=False))
        if progress:
            progress(done, len(COUNTERS))
    return found
