"""`make run` (flask run in development): one log line per request, and the address on a line of its own."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # starts a real `flask run`: about two seconds

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_SECONDS = 15  # the app imports in about two; a loaded CI machine may take several


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        return connection.getresponse().status
    except OSError:
        return None


def test_the_development_server_logs_each_request_once_and_shows_its_address_plainly(tmp_path):
    port = free_port()
    env = {**os.environ, "FLASK_APP": "wsgi.py", "FORUM_ENV": "development", "PYTHONUNBUFFERED": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'dev.db'}"}
    flask = str(Path(sys.executable).parent / "flask")
    server = subprocess.Popen([flask, "run", "--host", "127.0.0.1", "--port", str(port)], cwd=PROJECT_ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        status = None
        while status is None and time.monotonic() < deadline and server.poll() is None:
            time.sleep(0.2)
            status = get(port, "/healthz")  # touches no database, so the empty one needs no migrations
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=10)
    assert status == 200, output
    assert output.count("/healthz") == 1, output
    assert "forum.access" in output and "path=/healthz status=200" in output
    assert f" * Running on http://127.0.0.1:{port}" in output.splitlines(), output
