"""Rate limits hold across workers: several gunicorn workers with per-process counters refuse to start in production
(forum.config.several_workers_problem, asked by gunicorn.conf.py; tests/concurrency/test_worker_rules.py starts a
real gunicorn)."""
import pytest

from forum.config import several_workers_problem

PRODUCTION = {"FORUM_ENV": "production"}


@pytest.mark.parametrize("workers", [2, 4])
@pytest.mark.parametrize("storage", [{}, {"RATELIMIT_STORAGE_URI": "memory://"},
                                     {"REDIS_URL": "redis://r:6379/0", "RATELIMIT_STORAGE_URI": "memory://"}])
def test_production_refuses_several_workers_with_per_process_counters(workers, storage):
    problem = several_workers_problem(workers, {**PRODUCTION, **storage})
    assert f"{workers} workers" in problem
    for remedy in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "FORUM_DISABLE_RATELIMITS=1"):
        assert remedy in problem


@pytest.mark.parametrize(("workers", "environ"), [
    (1, PRODUCTION),  # one process counts for itself, which is every count there is
    (4, {**PRODUCTION, "REDIS_URL": "redis://r:6379/0"}),
    (4, {**PRODUCTION, "RATELIMIT_STORAGE_URI": "redis://r:6379/1"}),
    (4, {**PRODUCTION, "FORUM_DISABLE_RATELIMITS": "1"}),  # no limits, nothing to share
    (4, {}),  # development: `make run` is one process; a developer's gunicorn is their business
    (4, {"FORUM_ENV": "development"}),
])
def test_shared_counters_one_worker_no_limits_or_development_may_start(workers, environ):
    assert several_workers_problem(workers, environ) is None
