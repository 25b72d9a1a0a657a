"""Faults a real deployment meets: a worker killed mid-write, a long mixed load, the database going away.

Run alone with `make test PYTEST_ARGS="-m faults"`. Each test drives a real gunicorn on its own database (SQLite
file, or a PostgreSQL database of its own) from threads of stdlib HTTP visitors, then checks the database from
outside: every request the server acknowledged (a redirect after a POST) has its row, no row is half-written,
and `flask recount --check` finds every cached count equal to the rows.
"""
import http.client
import itertools
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum.models import Comment, Story
from tests.builders import make_story, make_user
from tests.concurrency.conftest import PROJECT_ROOT, SECRET_KEY, Answer, running_server

pytestmark = [pytest.mark.faults, pytest.mark.slow]

VISITORS = 8
LOAD_SECONDS = int(os.environ.get("FORUM_FAULT_LOAD_SECONDS", "120"))
WORDS = ["uworld", "amboss", "anki", "nbme", "plan", "weeks", "passed"]


def worker_pids(master_pid: int) -> list[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def recount_check(database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY, "FLASK_APP": "wsgi.py"}
    flask = str(Path(sys.executable).parent / "flask")
    return subprocess.run([flask, "recount", "--check"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def assert_counts_exact(forum_db) -> None:
    result = recount_check(forum_db.url)
    assert result.returncode == 0, f"flask recount --check found differences:\n{result.stdout}{result.stderr}"


def assert_nothing_half_written(forum_db) -> None:
    """Every comment has its thread path, every story its slug, and SQLite's own check passes."""
    assert forum_db.read(sa.select(sa.func.count()).select_from(Comment)
                         .where(sa.or_(Comment.path.is_(None), Comment.path == ""))) == 0
    assert forum_db.read(sa.select(sa.func.count()).select_from(Story)
                         .where(sa.or_(Story.slug.is_(None), Story.slug == ""))) == 0
    if forum_db.backend == "sqlite":
        assert forum_db.read(sa.text("PRAGMA integrity_check")) == "ok"


def seed(forum_db, visitors: int) -> tuple[int, list[str]]:
    with forum_db.app.app_context():
        story = make_story(title="A story everybody comments on")
        return story.id, [make_user().username for _ in range(visitors)]


def story_form(visitor, marker: str) -> dict:
    return {"csrf_token": visitor.csrf_token, "title": f"Story {marker}", "step": "step2ck", "exam_month": "2025-06",
            "attempt": "1", "outcome": "passed", "score": "245", "background": "img", "prep_weeks": "8",
            "body": f"Eight weeks of questions. Marker {marker}.", "submission_key": f"key-{marker}",
            "publish": "Publish"}


class Burst:
    """Visitors posting stories and comments from threads; every answer is kept with what it was for."""

    def __init__(self, server, story_id: int, names: list[str]):
        self.visitors = [server.visitor().sign_in(name) for name in names]
        self.story_id = story_id
        self.answers: list[tuple[str, str, Answer]] = []
        self.lock = threading.Lock()
        self.counter = itertools.count()

    def post(self, visitor) -> None:
        marker = f"m{next(self.counter):05d}"
        kind = "story" if int(marker[1:]) % 2 else "comment"
        try:
            if kind == "story":
                answer = visitor.request("/stories/new", story_form(visitor, marker))
            else:
                answer = visitor.request(f"/stories/{self.story_id}/comments",
                                         {"csrf_token": visitor.csrf_token, "body": f"Comment {marker}"})
        except (OSError, http.client.HTTPException) as error:  # died with the worker, even mid-body: not acknowledged
            answer = Answer(status=0, body=f"{type(error).__name__}: {error}")
        with self.lock:
            self.answers.append((kind, marker, answer))

    def run(self, per_visitor: int) -> None:
        threads = [threading.Thread(target=lambda v=v: [self.post(v) for _ in range(per_visitor)])
                   for v in self.visitors]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)

    def acknowledged(self) -> list[tuple[str, str]]:
        return [(kind, marker) for kind, marker, answer in self.answers if answer.status == 302]


def row_exists(forum_db, kind: str, marker: str) -> int:
    if kind == "story":
        return forum_db.read(sa.select(sa.func.count()).select_from(Story).where(Story.title == f"Story {marker}"))
    return forum_db.read(sa.select(sa.func.count()).select_from(Comment).where(Comment.body == f"Comment {marker}"))


def test_killing_a_worker_mid_burst_loses_nothing_acknowledged(forum_db, tmp_path):
    story_id, names = seed(forum_db, VISITORS)
    with running_server(forum_db.url, tmp_path / "gunicorn.log", FORUM_DISABLE_RATELIMITS="1") as server:
        burst = Burst(server, story_id, names)
        killed = []

        def killer():
            while len(burst.answers) < 30:
                time.sleep(0.01)
            for _ in range(2):  # two workers, a moment apart, each while requests are in flight
                pid = random.choice(worker_pids(server.process.pid))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                time.sleep(0.5)

        thread = threading.Thread(target=killer)
        thread.start()
        burst.run(per_visitor=20)
        thread.join(timeout=60)
        log = server.log()

    statuses = Counter(answer.status for _k, _m, answer in burst.answers)
    assert len(killed) == 2, f"the killer did not run; statuses {dict(statuses)}"
    assert set(statuses) <= {302, 0}, f"statuses {dict(statuses)}\n{log[-3000:]}"
    assert statuses[302] >= len(burst.answers) // 2, f"too few requests were answered to mean anything: {statuses}"
    missing = [(kind, marker) for kind, marker in burst.acknowledged() if row_exists(forum_db, kind, marker) != 1]
    assert not missing, f"acknowledged but not stored exactly once: {missing}"
    assert_nothing_half_written(forum_db)
    assert_counts_exact(forum_db)


def test_two_minutes_of_mixed_load_give_no_server_error_and_exact_counts(forum_db, tmp_path):
    story_id, names = seed(forum_db, VISITORS)
    with forum_db.app.app_context():
        for n in range(20):
            make_story(title=f"Background story {n} with uworld and nbme")
    story_ids = [story_id] + list(range(story_id + 1, story_id + 21))
    statuses: Counter = Counter()
    errors: list[str] = []
    lock = threading.Lock()
    with running_server(forum_db.url, tmp_path / "gunicorn.log", FORUM_DISABLE_RATELIMITS="1") as server:
        burst = Burst(server, story_id, names)
        deadline = time.monotonic() + LOAD_SECONDS

        def act(visitor, rng: random.Random) -> Answer:
            choice = rng.random()
            target = rng.choice(story_ids)
            if choice < 0.35:
                return visitor.request(rng.choice(["/", "/stories", "/stories?sort=new", f"/stories/{target}"]))
            if choice < 0.55:
                return visitor.request(f"/search?q={rng.choice(WORDS)}")
            if choice < 0.8:
                return visitor.vote(f"/stories/{target}/vote", rng.choice("01"))
            if choice < 0.95:
                return visitor.request(f"/stories/{target}/comments",
                                       {"csrf_token": visitor.csrf_token, "body": f"Mixed load {rng.random()}"})
            return visitor.request("/api/v1/stories?sort=new")

        def loop(visitor, seed_value: int) -> None:
            rng = random.Random(seed_value)
            while time.monotonic() < deadline:
                try:
                    answer = act(visitor, rng)
                except (OSError, http.client.HTTPException) as error:
                    answer = Answer(status=0, body=f"{type(error).__name__}: {error}")
                with lock:
                    statuses[answer.status] += 1
                    if answer.status >= 500 or answer.status == 0:
                        errors.append(answer.body[:300])

        threads = [threading.Thread(target=loop, args=(v, n)) for n, v in enumerate(burst.visitors)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 120)
        log = server.log()

    assert sum(statuses.values()) > LOAD_SECONDS * 5, f"too little load to mean anything: {dict(statuses)}"
    assert not errors, f"statuses {dict(statuses)}; first errors {errors[:3]}\n{log[-3000:]}"
    assert set(statuses) <= {200, 301, 302}, f"statuses {dict(statuses)}"  # 301: /stories/ID to its slug
    assert "Traceback" not in log, log[-3000:]
    assert_nothing_half_written(forum_db)
    assert_counts_exact(forum_db)


def set_connections_allowed(forum_db, allowed: bool) -> None:
    """Open or close the door of this test's own PostgreSQL database; closing also ends every session in it."""
    base = sa.make_url(os.environ["TEST_DATABASE_URL"])
    name = sa.make_url(forum_db.url).database
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'))
            if not allowed:
                conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    finally:
        engine.dispose()


def test_a_database_outage_gives_503s_and_the_site_recovers_by_itself(forum_db, tmp_path):
    if forum_db.backend != "postgresql":
        pytest.skip("SQLite is a file on the web host: it cannot be unreachable while the host serves "
                    "(tests/web covers the 503 page for an unreadable SQLite file)")
    story_id, names = seed(forum_db, VISITORS)
    with running_server(forum_db.url, tmp_path / "gunicorn.log", FORUM_DISABLE_RATELIMITS="1") as server:
        burst = Burst(server, story_id, names)
        burst.run(per_visitor=2)
        reader = server.visitor()
        assert reader.request("/stories").status == 200
        set_connections_allowed(forum_db, False)
        try:
            during = [reader.request(path) for path in ["/stories", f"/stories/{story_id}", "/search?q=plan",
                                                        "/readyz", "/api/v1/stories"] * 2]
            posting = burst.visitors[0].request(f"/stories/{story_id}/comments",
                                                {"csrf_token": burst.visitors[0].csrf_token, "body": "In the dark"})
        finally:
            set_connections_allowed(forum_db, True)
        deadline = time.monotonic() + 15
        after = reader.request("/stories")
        while after.status != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            after = reader.request("/stories")
        burst.run(per_visitor=2)
        log = server.log()

    assert {answer.status for answer in during} == {503}, [(a.status, a.body[:120]) for a in during]
    assert all("Traceback" not in answer.body for answer in during)
    assert posting.status == 503
    assert after.status == 200, f"the site did not recover within 15 s\n{log[-3000:]}"
    assert Counter(answer.status for _k, _m, answer in burst.answers) == {302: len(burst.answers)}
    missing = [(kind, marker) for kind, marker in burst.acknowledged() if row_exists(forum_db, kind, marker) != 1]
    assert not missing
    assert forum_db.read(sa.select(sa.func.count()).select_from(Comment).where(Comment.body == "In the dark")) == 0
    assert_nothing_half_written(forum_db)
    assert_counts_exact(forum_db)
