"""gunicorn as production runs it, started and always stopped by the bench; only on 127.0.0.1."""
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .dataset import ROOT

GUNICORN = Path(sys.executable).parent / "gunicorn"
START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 15
IDLE_TIMEOUT_SECONDS = 300  # the longest wait for requests a run left behind
OPEN_STATES = {"01", "03", "08"}  # /proc/net/tcp: ESTABLISHED, SYN_RECV, CLOSE_WAIT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str, timeout: float = 60) -> tuple[int, bytes]:
    """One GET without following redirects, so a 301 or 404 is seen as what it is."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Gunicorn:
    """`gunicorn -w N -b 127.0.0.1:PORT module:app` in its own session, so stopping it takes its workers along."""

    def __init__(self, name: str, app: str, *, env: dict[str, str], workers: int) -> None:
        self.name, self.app, self.env, self.workers = name, app, env, workers
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix=f"bench-{name}-", suffix=".log", delete=False)

    @property
    def command(self) -> list[str]:
        # No control socket: gunicorn's default path is one per user, shared by every gunicorn on the machine (two
        # here, and the test suite's), and one stopping would remove another's. It plays no part in serving.
        return [str(GUNICORN), "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}", "--no-control-socket",
                self.app]

    def start(self, ready_path: str) -> None:
        # Production refuses a Host other than FORUM_BASE_URL's; the bench asks for 127.0.0.1:PORT.
        env = {"FORUM_BASE_URL": f"http://127.0.0.1:{self.port}", **self.env}
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=env, stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} gunicorn exited at start:\n{self.log_tail()}")
            try:
                fetch(self.port, ready_path, timeout=5)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name} gunicorn did not answer within {START_TIMEOUT_SECONDS}s:\n{self.log_tail()}")

    def open_connections(self) -> int:
        """TCP connections to this server not yet closed by it: requests queued or being served.

        wrk stops sending when its time is up, but what it already sent is still served (a sync worker does not
        notice the client left), so a slow page can keep the workers busy long after its run. Those connections
        wait in CLOSE_WAIT until a worker answers and closes them.
        """
        port = f":{self.port:04X}"
        with open("/proc/net/tcp") as table:
            return sum(1 for line in table.readlines()[1:]
                       if line.split()[1].endswith(port) and line.split()[3] in OPEN_STATES)

    def wait_until_idle(self, timeout: float = IDLE_TIMEOUT_SECONDS) -> float:
        """Wait until nothing is queued or in progress; returns the seconds it took."""
        started = time.monotonic()
        while self.open_connections() and time.monotonic() - started < timeout:
            time.sleep(0.1)
        return round(time.monotonic() - started, 1)

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker (not the master), in MB."""
        if self.process is None:
            return []
        result = subprocess.run(["ps", "-o", "rss=", "--ppid", str(self.process.pid)], capture_output=True,
                                text=True, timeout=10)
        return [round(int(kb) / 1024, 1) for kb in result.stdout.split()]

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's log without the lines every request or new worker repeats (access lines,
        start-up lines), so what went wrong is not scrolled away by thousands of 200s."""
        text = Path(self.log.name).read_text(errors="replace").splitlines()
        noise = ("alembic.runtime.plugins", " forum.access ")
        return "\n".join([line for line in text if not any(n in line for n in noise)][-lines:])

    def stop(self) -> None:
        """SIGTERM to the master (a graceful stop), then SIGKILL to its whole process group if it lingers."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT_SECONDS)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)
