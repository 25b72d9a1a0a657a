"""Votes stay exact when many requests race through a real gunicorn with 4 worker processes.

The order in which parallel requests reach the database is not fixed, so these tests never assert who ends up
voting; they assert what must hold for every order: each request is answered 200, and the cached counts (the
item's `votes`, the author's `karma`) equal the vote rows.
"""
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from forum import markup
from forum.extensions import db
from forum.models import Comment, CommentVote, Story, StoryVote, User, path_segment
from tests.builders import make_story, make_user

from .conftest import Answer

pytestmark = pytest.mark.slow

VOTERS = 20
TOGGLES_PER_VOTER = 50  # half upvotes, half take-backs, in a random order per voter
THREADS = 32  # more requests in flight than workers, so every worker always has a queue behind it
UPVOTES_FROM_ONE_USER = 100
PARALLEL_PHASE_SECONDS = 240  # 1,000 short requests take seconds; this only stops a hung server hanging the suite
SEED = 20250601  # a fixed shuffle: a failure can be replayed with the same request order


@dataclass
class Seeded:
    author_id: int
    story_id: int
    comment_id: int
    voter_names: list[str]


def seed(forum_db, *, voters: int) -> Seeded:
    """An author with a story and a comment on it, and `voters` other members."""
    with forum_db.app.app_context():
        author = make_user()
        story = make_story(author)
        comment = Comment(story=story, author=author, body="Good luck, everyone.",
                          body_html=markup.render("Good luck, everyone."), path="", depth=0)
        db.session.add(comment)
        db.session.flush()
        comment.path = path_segment(comment.id)
        story.comment_count = 1
        db.session.commit()
        names = [make_user().username for _ in range(voters)]
        return Seeded(author_id=author.id, story_id=story.id, comment_id=comment.id, voter_names=names)


def run_in_parallel(calls, *, threads: int) -> list:
    """Run every call on a pool of threads; results in the order of `calls`. A transport failure (refused,
    reset, timed out) is kept as an Answer with status 0, so it is counted with the rest, not raised."""

    def attempt(call):
        try:
            return call()
        except OSError as error:
            return Answer(status=0, body=f"{type(error).__name__}: {error}")

    pool = ThreadPoolExecutor(max_workers=threads)
    try:
        futures = [pool.submit(attempt, call) for call in calls]
        _done, pending = wait(futures, timeout=PARALLEL_PHASE_SECONDS)
        assert not pending, f"{len(pending)} of {len(futures)} requests unanswered after {PARALLEL_PHASE_SECONDS} s"
        return [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def sign_in_all(server, names: list[str]) -> list:
    return run_in_parallel([lambda name=name: server.visitor().sign_in(name) for name in names], threads=THREADS)


def assert_all_ok(answers: list[Answer], server) -> None:
    """Every answer a 200, and nothing in the server's log that a 200 could hide (a traceback, a killed worker)."""
    statuses = Counter(answer.status for answer in answers)
    samples = {answer.status: answer.body[:300] for answer in answers if answer.status != 200}
    assert statuses == {200: len(answers)}, \
        f"statuses {dict(statuses)}; a body per status: {samples}{server.log_tail()}"
    log = server.log()
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log, f"the server logged an error{server.log_tail()}"


def vote_rows(forum_db, kind: str, item_id: int) -> int:
    model, column = (StoryVote, StoryVote.story_id) if kind == "story" else (CommentVote, CommentVote.comment_id)
    return forum_db.read(sa.select(sa.func.count()).select_from(model).where(column == item_id))


def cached_votes(forum_db, kind: str, item_id: int) -> int:
    model = Story if kind == "story" else Comment
    return forum_db.read(sa.select(model.votes).where(model.id == item_id))


def karma(forum_db, user_id: int) -> int:
    return forum_db.read(sa.select(User.karma).where(User.id == user_id))


def rows_on_items_by(forum_db, user_id: int) -> int:
    """Every vote on anything the user wrote: what their karma must be."""
    on_stories = forum_db.read(sa.select(sa.func.count()).select_from(StoryVote).join(Story)
                               .where(Story.author_id == user_id))
    on_comments = forum_db.read(sa.select(sa.func.count()).select_from(CommentVote).join(Comment)
                                .where(Comment.author_id == user_id))
    return on_stories + on_comments


@pytest.mark.parametrize("kind", ["story", "comment"])
def test_parallel_vote_toggles_keep_counts_exact(forum_db, server, kind):
    seeded = seed(forum_db, voters=VOTERS)
    item_id = seeded.story_id if kind == "story" else seeded.comment_id
    path = f"/stories/{item_id}/vote" if kind == "story" else f"/comments/{item_id}/vote"
    visitors = sign_in_all(server, seeded.voter_names)
    rng = random.Random(SEED)
    requests = []
    for visitor in visitors:
        values = ["1", "0"] * (TOGGLES_PER_VOTER // 2)
        rng.shuffle(values)
        requests += [(visitor, value) for value in values]
    rng.shuffle(requests)  # interleave the voters, not one voter's burst after another's

    answers = run_in_parallel([lambda v=visitor, x=value: v.vote(path, x) for visitor, value in requests],
                              threads=THREADS)

    assert_all_ok(answers, server)
    rows = vote_rows(forum_db, kind, item_id)
    assert {"votes": cached_votes(forum_db, kind, item_id), "karma": karma(forum_db, seeded.author_id)} == \
        {"votes": rows, "karma": rows_on_items_by(forum_db, seeded.author_id)}, f"{rows} {kind} vote rows"
    for (_visitor, value), answer in zip(requests, answers, strict=True):
        data = answer.json()
        assert data["voted"] is (value == "1") and 0 <= data["votes"] <= VOTERS, (value, data)


def test_hundred_parallel_upvotes_from_one_user_make_one_vote(forum_db, server):
    seeded = seed(forum_db, voters=1)
    [visitor] = sign_in_all(server, seeded.voter_names)
    path = f"/stories/{seeded.story_id}/vote"

    answers = run_in_parallel([lambda: visitor.vote(path, "1")] * UPVOTES_FROM_ONE_USER, threads=THREADS)

    assert_all_ok(answers, server)
    answered = Counter((answer.json()["votes"], answer.json()["voted"]) for answer in answers)
    assert {"rows": vote_rows(forum_db, "story", seeded.story_id),
            "votes": cached_votes(forum_db, "story", seeded.story_id),
            "karma": karma(forum_db, seeded.author_id),
            "answered (votes, voted)": dict(answered)} == \
        {"rows": 1, "votes": 1, "karma": 1, "answered (votes, voted)": {(1, True): UPVOTES_FROM_ONE_USER}}
