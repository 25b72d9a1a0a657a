"""Run wrk (Debian's package) against one URL and read its --latency report."""
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

WRK = shutil.which("wrk") or "/usr/bin/wrk"
INSTALL_HINT = "wrk is not installed. On Debian or Ubuntu: sudo apt-get install wrk"
TIMEOUT = "30s"  # wrk's default of 2 s would leave the slowest requests out of the latency figures
_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Measurement:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    http_errors: int  # answers with status 400 or above
    socket_errors: int  # connect, read and write errors and timeouts
    at: float = 0.0  # time.monotonic() at the middle of the run, to line runs up against each other
    busy_after_s: float = 0.0  # how long the server kept serving requests sent before the run ended


def available() -> bool:
    return shutil.which(WRK) is not None


def version() -> str:
    result = subprocess.run([WRK, "--version"], capture_output=True, text=True, timeout=10)
    return (result.stdout or result.stderr).splitlines()[0].strip()


def measure(url: str, *, seconds: int, connections: int, threads: int, script: str | None = None) -> Measurement:
    """One wrk run; with `script` (a Lua file, see live.lua_script) the script chooses each request."""
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", TIMEOUT,
               *(["-s", script] if script else []), url]
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=True)
    measurement = parse(result.stdout)
    measurement.at = (started + time.monotonic()) / 2
    if measurement.requests == 0:  # nothing finished within the run: its latency is at least the run's length
        measurement.p50_ms = measurement.p99_ms = seconds * 1000.0
    return measurement


def parse(output: str) -> Measurement:
    def number(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, output, re.MULTILINE)
        if match is None:
            if default is None:
                raise ValueError(f"wrk output without {pattern!r}:\n{output}")
            return default
        return match.group(1)

    def percentile(p: int) -> float:
        match = re.search(rf"^\s+{p}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
        if match is None:
            raise ValueError(f"wrk output without the {p}% latency:\n{output}")
        return float(match.group(1)) * _UNITS_MS[match.group(2)]

    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return Measurement(rps=float(number(r"^Requests/sec:\s+([\d.]+)")), p50_ms=percentile(50), p99_ms=percentile(99),
                       requests=int(number(r"^\s+(\d+) requests in")),
                       http_errors=int(number(r"Non-2xx or 3xx responses:\s+(\d+)", "0")),
                       socket_errors=sum(map(int, socket.groups())) if socket else 0)
