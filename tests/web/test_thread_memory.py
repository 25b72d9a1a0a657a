"""A gunicorn worker runs Python's cyclic garbage collector between requests, never inside one (gunicorn.conf.py).

The SIGSEGVs under load (story page, "Garbage-collecting", the driver's fetch, SQLAlchemy building objects): a
rendered page leaves its template context in a reference cycle, so the ORM objects it showed (a thread's comments,
their authors, the story) are freed by the cyclic collector, and each one's SQLAlchemy weakref callback
(InstanceState._cleanup, which writes to the state) runs wherever that collection starts. On Python 3.11 it starts
inside whatever allocation crosses the threshold, among them CPython building an object's __dict__ out of its inline
values; a callback writing to that same object frees those values, and the interrupted store then installs a dict
over freed memory. Python 3.12 runs the collector only between bytecodes; the worker hooks run it only between
requests.

A collector that starts at every allocation (threshold 1) makes the crash certain within one request of a 40-comment
thread, so the request runs in a forked child, as in a worker: a crash fails the test instead of ending the run.
"""
import gc
import importlib.util
import os
import signal
import weakref
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import has_request_context

from forum.extensions import db
from forum.models import Comment
from tests.builders import make_comment, make_story, make_user

GUNICORN_CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def gunicorn_conf():
    spec = importlib.util.spec_from_file_location("gunicorn_conf_under_test", GUNICORN_CONF)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def no_hook(*_args) -> None:
    return None


def in_a_worker(work) -> None:
    """Run work() in a forked child, as a gunicorn worker runs requests; fail with what it raised or how it died."""
    db.session.commit()
    db.session.close()
    db.engine.dispose()  # no connection is open across the fork: the child opens its own
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into pytest
        os.close(read_end)
        code, message = 0, ""
        try:
            work()
        except BaseException as error:  # noqa: BLE001 (everything is reported to the parent)
            code, message = 1, f"{type(error).__name__}: {error}"
        os.write(write_end, message.encode()[:60_000])
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        message = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        pytest.fail(f"the worker died of {signal.Signals(os.WTERMSIG(status)).name} while serving the thread "
                    "(its faulthandler trace is in the captured stderr)")
    assert os.WEXITSTATUS(status) == 0, message


@pytest.fixture
def thread_page(app):
    """A story whose thread (40 comments, replies three deep) the page shows, and its address."""
    story = make_story()
    people = [make_user() for _ in range(4)]
    for top in range(10):
        parent = make_comment(story, people[top % 4], body=f"Top-level comment {top}")
        for depth in range(3):
            parent = make_comment(story, people[depth], body=f"Reply {depth} under {top}", parent=parent)
    return f"/stories/{story.id}-{story.slug}"


def test_a_worker_never_collects_inside_a_request_and_frees_the_thread_after_it(client, thread_page):
    def serve():
        conf = gunicorn_conf()
        # What gunicorn does in a worker: load the app, post_worker_init, then post_request after each response.
        getattr(conf, "post_worker_init", no_hook)(None)
        gc.set_threshold(1, 10**6, 10**6)  # left to itself, the collector starts at every allocation (gen0 only)
        started = []  # per collection: whether a request was being handled when it started
        gc.callbacks.append(lambda phase, _info: started.append(has_request_context()) if phase == "start" else None)
        shown, loads = weakref.WeakSet(), []  # the Comment objects the ORM builds, held weakly; how many

        def note(target, _context):
            shown.add(target)
            loads.append(target.id)

        sa.event.listen(Comment, "load", note)
        response = client.get(thread_page)
        sa.event.remove(Comment, "load", note)
        assert response.status_code == 200 and "Reply 2 under 9" in response.get_data(as_text=True)
        assert len(loads) == 40
        inside = sum(started)
        assert inside == 0, f"the cyclic collector started {inside} times while the request was being handled"

        getattr(conf, "post_request", no_hook)(None, None, {}, None)
        assert len(shown) == 0, f"{len(shown)} of the page's 40 comments outlived the end of the request"
        assert started and not any(started)  # freed by a collection that started outside the request

    in_a_worker(serve)


def test_between_requests_the_worker_collects_what_the_interpreter_would_have(app):
    def policy():
        conf = gunicorn_conf()
        conf.post_worker_init(None)
        assert not gc.isenabled()

        class Node:
            pass

        def cycle():
            node = Node()
            node.me = node
            return weakref.ref(node)

        gc.set_threshold(1000, 10**6, 10**6)
        few = cycle()
        assert conf.collect_between_requests() == 0 and few() is not None  # below the threshold: not yet
        many = [cycle() for _ in range(1000)]
        assert conf.collect_between_requests() > 0
        assert few() is None and not any(ref() for ref in many)
        gc.enable()
        assert conf.collect_between_requests() == 0  # an interpreter that collects by itself is left to it

    in_a_worker(policy)
