"""gunicorn's settings file, loaded by every `gunicorn wsgi:app` started from this directory (without --config).

It adds a start-up check and, in each worker, runs Python's cyclic garbage collector between requests only (below);
the serving options stay on the command line (deploy/stepstories.service).
"""
import gc
import os


def on_starting(server):
    """Refuse to start several workers that would each keep their own rate-limit counters: the rule and its
    message live in forum.config (several_workers_problem); gunicorn prints a RuntimeError and exits with 1."""
    from forum.config import several_workers_problem

    problem = several_workers_problem(server.cfg.workers, os.environ)
    if problem:
        raise RuntimeError(problem)


# --- the cyclic garbage collector runs between requests, never inside one ------------------------------------------
#
# Why: on Python 3.11 the collector runs inside whatever allocation crosses its threshold, and whatever the collected
# objects' weakref callbacks do runs there too. A rendered page leaves its template context in a reference cycle
# (Jinja macros imported `with context` or defined in a template close over that context), so every ORM object the
# page showed (the 1,000 comments of a big thread, their authors, the story) is freed by the collector, at some
# allocation in a later request, and each one's SQLAlchemy InstanceState weakref callback (_cleanup) then writes to
# its state. When that allocation is CPython building the same state's __dict__ from its inline values (an attribute
# store that needs a new key), the callback frees those values and the interrupted store installs a dict over the
# freed memory: heap corruption, and a SIGSEGV later, in the collector ("Garbage-collecting"), in the driver's fetch
# or while SQLAlchemy builds objects, wherever the memory is touched next. Python 3.12 runs the collector only
# between bytecodes, which is what these hooks do for a worker: collection is switched off while requests run and
# done here, after each response, where no C code is half-way through anything.

def post_worker_init(worker):
    """After the app is loaded in the worker: what exists now lives as long as the worker (the app, its
    templates and metadata), so it is frozen out of every later collection; then automatic collection stops."""
    gc.collect()
    gc.freeze()
    gc.disable()


def post_request(worker, req, environ, resp):
    """After each response (and the jobs that run once it is sent): collect what the request left in cycles."""
    collect_between_requests()


def collect_between_requests() -> int:
    """The collection the interpreter would have started by itself (same thresholds, same generations), started
    here instead; nothing while the collector is enabled, since it then runs by itself. Returns the objects freed."""
    if gc.isenabled():
        return 0
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if counts[0] < thresholds[0]:
        return 0
    generation = 2 if counts[2] >= thresholds[2] else 1 if counts[1] >= thresholds[1] else 0
    return gc.collect(generation)
