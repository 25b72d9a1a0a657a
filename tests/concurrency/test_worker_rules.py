"""A real gunicorn started from the checkout loads gunicorn.conf.py, which refuses several workers whose rate-limit
counters would each be their own (production, memory://) and says what to set; one worker starts."""
import os
import signal
import subprocess

import pytest

from tests.concurrency.conftest import GUNICORN, PROJECT_ROOT, SECRET_KEY, free_port, running_server

REFUSAL_SECONDS = 20  # the refusal comes before any worker boots, in a second or two


def production_env(database_url: str) -> dict:
    env = {name: value for name, value in os.environ.items()
           if name not in {"REDIS_URL", "RATELIMIT_STORAGE_URI", "FORUM_DISABLE_RATELIMITS"}}
    return {**env, "FORUM_ENV": "production", "SECRET_KEY": SECRET_KEY, "DATABASE_URL": database_url,
            "FORUM_BASE_URL": "http://127.0.0.1"}


def test_production_with_two_workers_and_per_process_counters_refuses_to_start(forum_db, tmp_path):
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen([GUNICORN, "-w", "2", "-b", f"127.0.0.1:{free_port()}", "--no-control-socket",
                                    "wsgi:app"], cwd=PROJECT_ROOT, env=production_env(forum_db.url),
                                   stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        returncode = process.wait(timeout=REFUSAL_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # the group is this gunicorn's own: start_new_session
        process.wait()
        pytest.fail(f"gunicorn started with 2 workers and per-process counters:\n{log_path.read_text()[-2000:]}")
    output = log_path.read_text()
    assert returncode != 0
    assert "2 workers" in output and "REDIS_URL" in output and "FORUM_DISABLE_RATELIMITS=1" in output


def test_production_with_one_worker_starts(forum_db, tmp_path, monkeypatch):
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "FORUM_DISABLE_RATELIMITS"):
        monkeypatch.delenv(name, raising=False)
    with running_server(forum_db.url, tmp_path / "gunicorn.log", workers=1) as server:
        assert server.visitor().request("/healthz").status == 200
