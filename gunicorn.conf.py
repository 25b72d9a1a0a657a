"""gunicorn's settings file, loaded by every `gunicorn wsgi:app` started from this directory (without --config).

It only adds a start-up check; the serving options stay on the command line (deploy/stepstories.service).
"""
import os


def on_starting(server):
    """Refuse to start several workers that would each keep their own rate-limit counters: the rule and its
    message live in forum.config (several_workers_problem); gunicorn prints a RuntimeError and exits with 1."""
    from forum.config import several_workers_problem

    problem = several_workers_problem(server.cfg.workers, os.environ)
    if problem:
        raise RuntimeError(problem)
