"""The shape of a bench dataset (Counts), what the table functions share (Context), and how rows are written."""
import bisect
import random
import sys
import time
from array import array
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import click
import sqlalchemy as sa

BATCH = 5_000  # rows per executemany: large enough to amortise the round trip, small enough to stream
BIG_THREADS = (1_000, 200)  # the two stories the load runner reads with their whole thread


@dataclass
class Counts:
    """The issue's numbers at 100,000 stories, scaled linearly: 3 comments, 10 votes, 0.2 users per story."""

    stories: int
    users: int
    comments: int
    story_votes: int
    comment_votes: int

    @classmethod
    def for_scale(cls, scale: int) -> "Counts":
        votes = 10 * scale
        story_votes = int(votes * 0.7)  # the rest are comment votes; both kinds are "votes" in the issue
        return cls(stories=scale, users=max(scale // 5, 50), comments=max(3 * scale, sum(BIG_THREADS) * 2),
                   story_votes=story_votes, comment_votes=votes - story_votes)

@dataclass
class Context:
    """What one table's function leaves for the next: compact per-row arrays, index i is id i + 1."""

    engine: sa.Engine
    counts: Counts
    rng: random.Random
    now: datetime
    tables: dict[str, sa.Table]
    user_created: list = field(default_factory=list)
    user_background: list = field(default_factory=list)
    story_author: array = field(default_factory=lambda: array("i"))
    story_created: list = field(default_factory=list)
    story_step: list = field(default_factory=list)
    story_month: list = field(default_factory=list)
    story_score: list = field(default_factory=list)
    story_outcome: list = field(default_factory=list)
    story_status: list = field(default_factory=list)
    story_picks: list = field(default_factory=list)  # the resources of each story, as catalogue entries
    story_vote_counts: array = field(default_factory=lambda: array("i"))
    story_comment_counts: array = field(default_factory=lambda: array("i"))
    comment_author: array = field(default_factory=lambda: array("i"))
    comment_vote_counts: array = field(default_factory=lambda: array("i"))
    comment_created: list = field(default_factory=list)
    big_threads: dict = field(default_factory=dict)  # comments -> story id
    seconds: dict = field(default_factory=dict)

    def has(self, table: str) -> bool:
        return table in self.tables



def batched(rows, size: int = BATCH):
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert(ctx: Context, table: str, rows, total: int) -> None:
    """Bulk-insert with Core executemany in batches, in one transaction per table, with Click's progress bar on
    stderr (off a terminal, just the table's name); ctx.seconds[table] is how long it took, commit included."""
    started = time.monotonic()
    with click.progressbar(length=total, label=f"  {table:<16}", file=sys.stderr, show_pos=True) as bar, \
            ctx.engine.begin() as conn:
        for batch in batched(rows):
            conn.execute(sa.insert(ctx.tables[table]), batch)
            bar.update(len(batch))
    ctx.seconds[table] = round(time.monotonic() - started, 1)


def fit_rows(table: sa.Table, rows, aliases: dict[str, tuple[str, ...]] | None = None):
    """Rename and drop keys so rows match the columns the table really has (the model may differ from DESIGN.md).

    A required column the generator knows nothing about stops the run with its name, rather than failing in the
    middle of an insert.
    """
    aliases = aliases or {}
    first = next(rows, None)
    if first is None:
        return
    names = {}
    for key in first:
        for candidate in (key, *aliases.get(key, ())):
            if candidate in table.c:
                names[key] = candidate
                break
    missing = [c.name for c in table.c if c.name not in names.values() and not c.nullable
               and c.server_default is None and not (c.primary_key and c.autoincrement in (True, "auto"))]
    if missing:
        raise SystemExit(f"{table.name} has required columns the generator does not fill: {', '.join(missing)}. "
                         f"Add them to bench/generate.py ({table.name}).")
    for row in ([first], rows):
        for r in row:
            yield {column: r[key] for key, column in names.items()}


def weighted(rng: random.Random, options: dict):
    return rng.choices(list(options), weights=list(options.values()))[0]


def spread(rng: random.Random, weights: list[float], total: int, cap: int) -> array:
    """Whole counts in proportion to weights, summing to total, none above cap (heavy tails, exact totals)."""
    total = min(total, cap * len(weights))
    scale = total / (sum(weights) or 1)
    counts = array("i", (min(cap, int(w * scale)) for w in weights))
    short = total - sum(counts)
    cumulative = list(_accumulate(weights))
    while short > 0:
        for i in rng.choices(range(len(weights)), cum_weights=cumulative, k=short):
            if counts[i] < cap and short > 0:
                counts[i] += 1
                short -= 1
    return counts


def _accumulate(values):
    running = 0.0
    for value in values:
        running += value
        yield running


def add_months(d: date, months: int) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def pick_author(ctx: Context, when: datetime, power: float = 1.0) -> int:
    """A user id whose account existed at `when`; power > 1 favours older accounts (the regulars)."""
    existing = max(bisect.bisect_right(ctx.user_created, when), 1)
    return int(existing * ctx.rng.random() ** power) + 1


def later(rng: random.Random, start: datetime, now: datetime, within: timedelta) -> datetime:
    """A moment after start, most of them soon after, never in the future."""
    span = min((now - start).total_seconds(), within.total_seconds())
    return start + timedelta(seconds=span * rng.random() ** 2.5)
