"""Work that leaves the request: it runs once the transaction that asked for it commits, and never if it rolls back.

A mail cannot announce a reply that was not saved, and no SMTP conversation holds a worker, a database lock or the
reader's wait. `@job` registers a module-level function under its dotted name; `enqueue(fn, *args, **kwargs)` asks
for a call. Arguments are plain JSON values (ids, strings), so a job loads its rows afresh when it runs, and runs
the same wherever it runs:

- Without Redis, the web process runs it once the response has been sent (the server closes the response body), so
  a single host needs no other process; outside a request (a command, another job) it runs right after the commit.
  A failure is logged and not retried.
- With Redis (JOBS_REDIS_URL, or REDIS_URL) it goes to an RQ queue that `flask jobs worker` works through, retried
  after RETRY_INTERVALS; a job that fails every try is logged and kept in RQ's failed registry (`flask jobs failed`).

Each job runs in an app context of its own (its own database session) and a request context on FORUM_BASE_URL, so
render_template and forum.urls work as in a view.
"""
import importlib
import json
import logging
from collections.abc import Callable, Iterable
from typing import NamedTuple

import sqlalchemy as sa
from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy.orm import Session, SessionTransaction
from werkzeug.wsgi import ClosingIterator

from .extensions import db

log = logging.getLogger(__name__)

RETRY_INTERVALS = (30, 300, 1800)  # seconds before each retry: a relay down for half an hour loses no mail
JOB_TIMEOUT_SECONDS = 120  # a job past this is stopped and retried; an SMTP conversation has a 10 s timeout per step
FAILED_KEPT_SECONDS = 7 * 24 * 3600  # a week to notice and retry; args (addresses, links) do not linger longer
PENDING = "forum_jobs_pending"  # Session.info: [(transaction, call)] waiting for their transaction to commit
AFTER_RESPONSE = "forum.jobs.after_response"  # WSGI environ: calls to run once this request's response is sent

_jobs: dict[str, Callable] = {}


class Call(NamedTuple):
    name: str
    args: list
    kwargs: dict


def job(fn: Callable) -> Callable:
    """Register fn (a module-level function) as a job under its dotted name, the name a worker finds it by."""
    _jobs[_name(fn)] = fn
    return fn


def enqueue(fn: Callable, *args, **kwargs) -> None:
    """Run fn(*args, **kwargs) later, only if the current database transaction commits (at once when none is open).

    The arguments go through JSON here, in the caller, so a row passed instead of its id fails where it was passed
    and a job receives exactly what a worker in another process would.
    """
    call = _call(fn, args, kwargs)
    session = db.session()
    if session.in_transaction():
        transaction = session.get_nested_transaction() or session.get_transaction()
        session.info.setdefault(PENDING, []).append((transaction, call))
    else:
        _dispatch([call])


def enqueue_from_read(fn: Callable, *args, **kwargs) -> None:
    """Run fn(*args, **kwargs) later, whatever becomes of the current transaction: work a read asks for (a cached
    value to refresh), which no commit will announce."""
    _dispatch([_call(fn, args, kwargs)])


def _call(fn: Callable, args: tuple, kwargs: dict) -> Call:
    name = _name(fn)
    if _jobs.get(name) is not fn:
        raise ValueError(f"{name} is not a job: decorate it with @forum.jobs.job")
    args, kwargs = json.loads(json.dumps([args, kwargs]))
    return Call(name, args, kwargs)


def init_app(app: Flask) -> None:
    app.wsgi_app = _RunAfterResponse(app.wsgi_app)


@sa.event.listens_for(Session, "after_commit")
def _dispatch_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint was released: its jobs wait for the transaction around it
    calls = [call for _, call in session.info.pop(PENDING, [])]
    if calls:
        _dispatch(calls)


@sa.event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(PENDING)
    if pending:
        session.info[PENDING] = [(t, call) for t, call in pending if not _within(t, previous_transaction)]


@sa.event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(PENDING, None)  # closed without a commit: nothing it asked for happened


def _within(transaction: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is outer:
            return True
        transaction = transaction.parent
    return False


def _dispatch(calls: list[Call]) -> None:
    """Hand committed calls to the queue, or keep them for after the response, or (with neither) run them now."""
    app = current_app._get_current_object()
    origin = g.get("request_id", "-") if has_request_context() else "-"
    if app.config["JOBS_REDIS_URL"]:
        calls = [call for call in calls if not _pushed(app, call, origin)]
    after_response = request.environ.get(AFTER_RESPONSE) if has_request_context() else None
    if after_response is not None:
        after_response.extend((app, call, origin) for call in calls)
    else:
        _run_here((app, call, origin) for call in calls)


class _RunAfterResponse:
    """WSGI middleware: run the jobs a request committed once the server has sent its response and closes it."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        waiting = environ[AFTER_RESPONSE] = []
        return ClosingIterator(self.wsgi_app(environ, start_response), lambda: _run_here(waiting))


def _run_here(calls: Iterable[tuple[Flask, Call, str]]) -> None:
    """Run calls in this process, one after another; a failure (already logged) stops none of the others, and is
    raised only where exceptions propagate (tests, debug), so a test sees it."""
    for app, call, origin in calls:
        try:
            _execute(app, call, origin)
        except Exception:
            propagate = app.config["PROPAGATE_EXCEPTIONS"]
            if propagate or (propagate is None and (app.testing or app.debug)):
                raise


def run(name: str, args: list, kwargs: dict, origin: str = "-") -> None:
    """What the RQ worker runs (`flask jobs worker` provides the app)."""
    _execute(current_app._get_current_object(), Call(name, args, kwargs), origin)


def _execute(app: Flask, call: Call, origin: str) -> None:
    """One job in a fresh app context (a request context alone would share the caller's database session) and a
    request on FORUM_BASE_URL; its log lines carry the id of the request that asked for it."""
    fn = _jobs.get(call.name) or _import_job(call.name)
    with app.app_context(), app.test_request_context(base_url=app.config["FORUM_BASE_URL"]):
        g.request_id = origin
        try:
            fn(*call.args, **call.kwargs)
        except Exception:
            log.exception("job %s failed", call.name)  # not its arguments: they may hold an address or a link
            raise


def _import_job(name: str) -> Callable:
    """A worker has imported the app, not necessarily every module with jobs: import the job's own."""
    importlib.import_module(name.rpartition(".")[0])
    if name not in _jobs:
        raise LookupError(f"no job called {name}")
    return _jobs[name]


def _name(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


# The RQ side: only imported where Redis is configured.

def queue(app: Flask):
    """This site's RQ queue (JOBS_QUEUE, under FORUM_REDIS_PREFIX), one per process and URL."""
    from redis import Redis
    from rq import Queue

    key = (app.config["JOBS_REDIS_URL"], app.config["JOBS_QUEUE"])
    queues = app.extensions.setdefault("forum_job_queues", {})
    if key not in queues:
        queues[key] = Queue(key[1], connection=Redis.from_url(key[0]))
    return queues[key]


def _pushed(app: Flask, call: Call, origin: str) -> bool:
    """Put call on the queue; False, logged, when Redis cannot take it: the commit stands, so the job then runs in
    this process rather than being lost."""
    from redis import RedisError
    from rq import Retry

    try:
        queue(app).enqueue_call(run, args=(call.name, call.args, call.kwargs, origin), description=call.name,
                                timeout=JOB_TIMEOUT_SECONDS, result_ttl=0, failure_ttl=FAILED_KEPT_SECONDS,
                                retry=Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS)))
    except RedisError:
        log.exception("job queue unreachable: running %s in this process", call.name)
        return False
    return True


def work(app: Flask, *, burst: bool = False) -> None:
    """Work through the queue until stopped (or, with burst, until it is empty), retrying failed jobs on schedule.

    A SimpleWorker runs each job in this process rather than a fork per job: the app and its database pool are
    made once, and a fork would inherit pooled connections it must not share.
    """
    from rq import SimpleWorker

    worker_queue = queue(app)
    SimpleWorker([worker_queue], connection=worker_queue.connection).work(burst=burst, with_scheduler=True)


def failed(app: Flask) -> list:
    """Jobs that failed every try, oldest first, as RQ keeps them."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    registry = FailedJobRegistry(queue=queue(app))
    return [entry for entry in Job.fetch_many(registry.get_job_ids(), connection=registry.connection) if entry]


def retry_failed(app: Flask) -> int:
    """Put every failed job back on the queue; returns how many."""
    from rq.registry import FailedJobRegistry

    registry = FailedJobRegistry(queue=queue(app))
    ids = registry.get_job_ids()
    for job_id in ids:
        registry.requeue(job_id)
    return len(ids)
