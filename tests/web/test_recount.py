"""flask recount: every cached counter against its rows, found and repaired with set-based SQL."""
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from forum import catalogue, ranking, recount, threads, votes
from forum.extensions import db
from forum.models import Comment, Resource, Story, User
from tests.builders import QueryCounter, make_resource, make_story, make_user


def run(app, *args):
    return app.test_cli_runner().invoke(args=["recount", *args])


def forum_with_activity():
    """Stories, comments, votes, notifications and resources, written the way the site writes them."""
    uworld = make_resource("UWorld")
    author, reader, other = make_user("author"), make_user("reader"), make_user("other")
    story = make_story(author, resources=[uworld])
    second = make_story(other, title="Step 1 after two attempts")
    make_story(other, title="A removed story", resources=[uworld], status="removed")
    comment = threads.add_comment(story=story, author=reader, body="Which NBMEs?", parent=None, submission_key=None)
    threads.add_comment(story=story, author=author, body="All of them", parent=comment, submission_key=None)
    db.session.flush()
    votes.vote_story(user=reader, story=story, up=True)
    votes.vote_story(user=other, story=story, up=True)
    votes.vote_story(user=reader, story=second, up=True)
    votes.vote_comment(user=author, comment=comment, up=True)
    catalogue.refresh_story_counts()
    db.session.commit()
    return {"story": story, "second": second, "comment": comment, "author": author, "reader": reader,
            "uworld": uworld}


def drift(model, row_id: int, **values) -> None:
    db.session.execute(sa.update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def test_a_forum_written_through_the_site_has_no_mismatches(app):
    forum_with_activity()
    assert recount.check() == []


DRIFTS = [
    ("stories.votes", lambda f: (Story, f["story"].id, {"votes": 7}), "story {id}: cached 7, actual 2"),
    ("stories.hot", lambda f: (Story, f["second"].id, {"hot": 1.5}), "story {id}: cached 1.5, actual "),
    ("stories.comment_count", lambda f: (Story, f["story"].id, {"comment_count": 0}), "story {id}: cached 0, actual 2"),
    ("comments.votes", lambda f: (Comment, f["comment"].id, {"votes": 3}), "comment {id}: cached 3, actual 1"),
    ("users.karma", lambda f: (User, f["author"].id, {"karma": 0}), "user {id}: cached 0, actual 2"),
    ("users.unread_notifications", lambda f: (User, f["author"].id, {"unread_notifications": 5}),
     "user {id}: cached 5, actual 1"),
    ("users.follow_count", lambda f: (User, f["author"].id, {"follow_count": 4}), "user {id}: cached 4, actual 0"),
    ("resources.story_count", lambda f: (Resource, f["uworld"].id, {"story_count": 9}),
     "resource {id}: cached 9, actual 1"),
]


@pytest.mark.parametrize(("counter", "change", "example"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_each_drifted_counter_is_reported_then_repaired(app, counter, change, example):
    model, row_id, values = change(forum_with_activity())
    drift(model, row_id, **values)

    found = recount.check()
    assert [m.counter for m in found] == [counter]
    assert found[0].rows == 1
    assert found[0].describe().startswith(f"{counter}: 1 row differs, e.g. {example.format(id=row_id)}")

    repaired = recount.repair()
    db.session.commit()
    assert [m.counter for m in repaired] == [counter]
    assert recount.check() == []


def test_a_wrong_vote_count_is_repaired_with_its_hot_score(app):
    f = forum_with_activity()
    drift(Story, f["story"].id, votes=40, hot=99.0)
    assert [m.counter for m in recount.check()] == ["stories.votes", "stories.hot"]
    recount.repair()
    db.session.commit()
    story = db.session.get(Story, f["story"].id)
    db.session.refresh(story)
    assert story.votes == 2
    assert story.hot == pytest.approx(ranking.hot(2, story.created_at), abs=1e-7)


def test_the_report_counts_every_row_and_shows_the_first_few(app):
    stories = [make_story(title=f"Story {n}") for n in range(5)]
    db.session.execute(sa.update(Story).values(comment_count=Story.comment_count + 1))
    db.session.commit()
    [mismatch] = recount.check()
    assert mismatch.rows == 5
    assert [example[0] for example in mismatch.examples] == [s.id for s in stories[:recount.EXAMPLES]]
    assert mismatch.describe().startswith("stories.comment_count: 5 rows differ, e.g. story")


def test_check_and_repair_take_the_same_few_statements_however_many_rows_differ(app):
    for n in range(12):
        make_story(title=f"Story {n}")
    db.session.execute(sa.update(Story).values(votes=3))
    db.session.commit()
    with QueryCounter() as checking:
        recount.check()
    with QueryCounter() as repairing:
        recount.repair()
    db.session.commit()
    # One statement per counter to look, one more per drifted counter to write (plus PostgreSQL's LOCK): no loops.
    assert checking.count == len(recount.COUNTERS)
    assert repairing.count <= len(recount.COUNTERS) + 2 + 1
    assert recount.check() == []


@pytest.mark.parametrize("vote_count", [-3, -1, 0, 1, 2, 9, 10, 11, 12345])
def test_hot_in_sql_matches_ranking_hot(app, vote_count):
    created = [datetime(2019, 3, 4, 5, 6, 7, 890123), datetime(2025, 1, 1), datetime(2031, 12, 31, 23, 59, 59)]
    for created_at in created:
        sql = db.session.scalar(sa.select(recount.hot_sql(sa.literal(vote_count), sa.literal(created_at))))
        assert sql == pytest.approx(ranking.hot(vote_count, created_at), abs=1e-7), created_at
    base = created[1]
    assert ranking.hot(vote_count, base + timedelta(seconds=1)) > ranking.hot(vote_count, base)


def test_cli_check_exits_1_and_names_the_mismatch(app):
    f = forum_with_activity()
    drift(Story, f["story"].id, votes=5)
    result = run(app, "--check")
    assert result.exit_code == 1
    assert f"stories.votes: 1 row differs, e.g. story {f['story'].id}: cached 5, actual 2" in result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(Story.votes).where(Story.id == f["story"].id)) == 5  # --check changes nothing


def test_cli_check_exits_0_when_clean(app):
    forum_with_activity()
    result = run(app, "--check")
    assert result.exit_code == 0, result.output
    assert "match" in result.output


def test_cli_repairs_and_commits(app):
    f = forum_with_activity()
    drift(User, f["reader"].id, karma=100)
    result = run(app)
    assert result.exit_code == 0, result.output
    assert "repaired users.karma: 1 row differs" in result.output
    db.session.rollback()
    assert db.session.scalar(sa.select(User.karma).where(User.id == f["reader"].id)) == 1  # their comment's vote
    assert run(app, "--check").exit_code == 0


def test_hot_in_sql_keeps_the_microseconds(app):
    """A millisecond moves hot by 2e-8, enough to flip its 7th decimal one time in ten: the SQL must read the stored
    time to the microsecond, as Python does, to store what ranking.hot would."""
    author = make_user()
    times = [datetime(2026, 11, 24, 20, 51, 10, 123456) + timedelta(microseconds=7919 * n) for n in range(40)]
    stories = [make_story(author, title=f"Story {n}", created_at=when) for n, when in enumerate(times)]
    computed = dict(db.session.execute(sa.select(Story.id, recount.hot_sql(sa.literal(7), Story.created_at))).all())
    assert [computed[story.id] for story in stories] == [ranking.hot(7, when) for when in times]
