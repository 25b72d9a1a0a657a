"""`make bench`: serve the bench database with gunicorn as production does, and measure each page with wrk.

    python -m bench.run [--scale 100000] [--regenerate] [--postgres URL [--drop-schema]]
                        [--duration 5] [--rounds 3] [--live-only | --no-live] [--live-duration 10]
                        [--writes-per-second 2]

Each page is measured next to a bare Flask app under the identical gunicorn setup, interleaved round by round, and
judged by its ratio to the bare 25-row page, so the budgets hold on a slow laptop and a fast server alike. Then the
live scenario (bench/live.py): a mix of pages read by anonymous and signed-in readers, with and without members
voting and commenting meanwhile.
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from . import dataset, generate, live, text, wrk
from .servers import Gunicorn, fetch

WORKERS = 2  # as production; the same for the baseline
CONNECTIONS = 8
WRK_THREADS = 2
WARMUP_SECONDS = 2  # per page before the rounds: templates compiled, caches warm, not measured
MAX_DURATION_SECONDS = 120  # per wrk run; a bound, so a typo cannot hold the machine for hours
BUDGET_SCALE = 100_000  # the budgets are set for this many stories; other scales print them for information
P99_BUDGET_MS = 100.0
RSS_BUDGET_MB = 150.0
BUSY_LOAD_AVERAGE = 1.5  # above this before the run, something else competes for the CPUs: say so
REFERENCE = "bare_rows"
RESULTS_PATH = dataset.BENCH_DIR / "results.json"


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str  # {placeholders} are filled from the generated database (see pick_targets)
    min_ratio: float | None = None  # budget: requests/s of this page over that of the bare 25-row page
    max_p99_ms: float | None = P99_BUDGET_MS
    server: str = "forum"


# Measured in this order in every round; the bare pages bracket the forum's so noise hits both.
PAGES = [
    Page(REFERENCE, "bare Flask: 25 rows", "/rows", max_p99_ms=None, server="baseline"),
    Page("front", "front page", "/", 0.6),
    Page("stories", "/stories (hot)", "/stories", 0.5),
    Page("stories_filtered", "/stories step+resource", "/stories?step={step}&resource={resource}", 0.5),
    Page("story_200", "story, 200 comments", "{story_200}", 0.2),
    Page("story_1000", "story, 1,000 comments", "{story_1000}", 0.05, max_p99_ms=None),
    Page("search", "/search common word", "/search?q={word}", 0.3),
    Page("search_facets", "/search 3 facets", "/search?q={word}&step={step}&resource={resource}&outcome=passed",
         0.3),
    Page("api_stories", "API story list", "/api/v1/stories", 0.6),
    Page("insights", "/insights", "/insights", 0.3),
    Page("bare_hello", "bare Flask: hello", "/hello", max_p99_ms=None, server="baseline"),
]


def pick_targets(url: str, meta: dict) -> tuple[dict, dict]:
    """Concrete values for the page paths, read from the database, and a note per page where one is due."""
    engine = sa.create_engine(url)
    notes = {}
    try:
        with engine.connect() as conn:
            has_comments = sa.inspect(conn).has_table("comments")
            # The step and resource pair that most stories have: the filter people use most.
            slug, step = conn.execute(sa.text(
                "SELECT r.slug, s.step FROM story_resources sr JOIN stories s ON s.id = sr.story_id "
                "JOIN resources r ON r.id = sr.resource_id GROUP BY r.slug, s.step ORDER BY count(*) DESC LIMIT 1"
            )).one()
            targets = {"resource": slug, "step": step, "word": text.COMMON_WORD}
            for comments, story_id in meta["big_threads"].items():
                story_slug = conn.execute(sa.text("SELECT slug FROM stories WHERE id = :id"), {"id": story_id}).scalar()
                targets[f"story_{comments}"] = f"/stories/{story_id}-{story_slug}"
                if has_comments:
                    count = conn.execute(sa.text("SELECT count(*) FROM comments WHERE story_id = :id"),
                                         {"id": story_id}).scalar()
                    notes[f"story_{comments}"] = f"{count:,} comments"
                else:
                    notes[f"story_{comments}"] = "comments table not present yet: 0 comments"
    finally:
        engine.dispose()
    return targets, notes


def start_servers(url: str, workers: int, *, page_cache: bool = True) -> dict[str, Gunicorn]:
    # PYTHONFAULTHANDLER costs nothing until a worker crashes; then the log says where (seen: SIGSEGV under load).
    env = dataset.forum_env(url, FORUM_ENV="production", FORUM_DISABLE_RATELIMITS="1", PYTHONFAULTHANDLER="1",
                            FORUM_PAGE_CACHE="1" if page_cache else "0")
    env.pop("FLASK_DEBUG", None)
    servers = {"forum": Gunicorn("forum", "wsgi:app", env=env, workers=workers),
               "baseline": Gunicorn("baseline", "bench.baseline_app:app", env=env, workers=workers)}
    for name, server in servers.items():
        server.start("/" if name == "forum" else "/hello")
    return servers


def warm_up(pages: list[Page], servers: dict[str, Gunicorn], paths: dict[str, str], seconds: int) -> dict:
    """One request per page (404 = not built yet; anything but 200 = broken), then a short unmeasured run."""
    states = {}
    for page in pages:
        server = servers[page.server]
        status, body = fetch(server.port, paths[page.key])
        if status == 404:
            states[page.key] = "not built yet"
        elif status != 200:
            states[page.key] = f"HTTP {status}"
            print(f"  {page.label}: HTTP {status} at {paths[page.key]}\n{server.log_tail()}", file=sys.stderr)
        else:
            states[page.key] = "ok"
            wrk.measure(f"http://127.0.0.1:{server.port}{paths[page.key]}", seconds=seconds,
                        connections=CONNECTIONS, threads=WRK_THREADS)
            server.wait_until_idle()
        print(f"  warm-up {page.label:<24} {states[page.key]} ({len(body):,} bytes)", file=sys.stderr, flush=True)
    return states


def measure_rounds(pages: list[Page], servers: dict[str, Gunicorn], paths: dict[str, str], *, rounds: int,
                   seconds: int) -> dict[str, list[wrk.Measurement]]:
    """Every round runs each page once, the reference first; one more reference run closes the last round, so
    every page run sits between two reference runs (see reference_at)."""
    runs: dict[str, list[wrk.Measurement]] = {page.key: [] for page in pages}
    schedule = [(r, page) for r in range(1, rounds + 1) for page in pages] + [(rounds, pages[0])]
    tty = sys.stderr.isatty()
    for done, (round_number, page) in enumerate(schedule, 1):
        if tty:
            print(f"\r  round {round_number}/{rounds}  run {done:>3}/{len(schedule)}  {page.label:<26}", end="",
                  file=sys.stderr, flush=True)
        elif page.key == REFERENCE:
            what = "closing reference run" if done == len(schedule) else f"round {round_number}/{rounds}"
            print(f"  {what} ...", file=sys.stderr, flush=True)
        server = servers[page.server]
        measurement = wrk.measure(f"http://127.0.0.1:{server.port}{paths[page.key]}", seconds=seconds,
                                  connections=CONNECTIONS, threads=WRK_THREADS)
        # Each run starts on idle servers: a slow page's leftover requests must not slow the next page down.
        measurement.busy_after_s = server.wait_until_idle()
        runs[page.key].append(measurement)
    if tty:
        print(file=sys.stderr)
    return runs


def reference_at(references: list[wrk.Measurement], at: float) -> float:
    """The bare page's requests/s at a moment, interpolated between the reference runs either side of it.

    The machine's speed drifts (other processes, CPU clocks); comparing a page with the reference measured
    around the same moment cancels most of that drift, where one reference figure for the whole run would not.
    """
    for before, after in zip(references, references[1:], strict=False):
        if before.at <= at <= after.at:
            return before.rps + (after.rps - before.rps) * (at - before.at) / (after.at - before.at)
    return statistics.median(r.rps for r in references)


def summarise(pages: list[Page], states: dict, runs: dict, notes: dict, *, budgets_apply: bool) -> list[dict]:
    """Medians over rounds; the ratio is the median of per-run ratios to the reference at that moment."""
    references = runs[REFERENCE]
    rows = []
    for page in pages:
        row = {"key": page.key, "label": page.label, "state": states[page.key],
               "min_ratio": page.min_ratio, "max_p99_ms": page.max_p99_ms}
        measured = runs.get(page.key) or []
        remarks = [notes[page.key]] if page.key in notes else []
        if measured:
            row.update(rps=statistics.median(m.rps for m in measured),
                       p50_ms=statistics.median(m.p50_ms for m in measured),
                       p99_ms=statistics.median(m.p99_ms for m in measured),
                       requests=sum(m.requests for m in measured),
                       http_errors=sum(m.http_errors for m in measured),
                       socket_errors=sum(m.socket_errors for m in measured),
                       busy_after_s=statistics.median(m.busy_after_s for m in measured),
                       ratio=1.0 if page.key == REFERENCE else
                       statistics.median(m.rps / reference_at(references, m.at) for m in measured),
                       rounds=[asdict(m) for m in measured])
            if any(m.requests == 0 for m in measured):
                remarks.append("a run finished no request: latency shown = run length")
            if row["busy_after_s"] >= 1:
                remarks.append(f"server busy {row['busy_after_s']:.0f}s after each run")
            if row["socket_errors"]:
                remarks.append(f"{row['socket_errors']} socket errors")
        row["note"] = ", ".join(remarks)
        row["result"] = verdict(row, budgets_apply=budgets_apply)
        rows.append(row)
    return rows


def verdict(row: dict, *, budgets_apply: bool) -> str:
    if row["state"] == "not built yet":
        return "not built yet"
    # Any HTTP error fails a page; a stray socket error (one in hundreds of requests) is noted, not failed.
    if row["state"] != "ok" or row.get("http_errors") or row.get("socket_errors", 0) > row.get("requests", 0) / 100:
        return "FAIL (errors)"
    if row["min_ratio"] is None and row["max_p99_ms"] is None:
        return "reference" if row["key"] == REFERENCE else ""
    failed = (row["min_ratio"] is not None and row["ratio"] < row["min_ratio"]) or (
        row["max_p99_ms"] is not None and row["p99_ms"] >= row["max_p99_ms"])
    if not budgets_apply:
        return "(over)" if failed else "(within)"
    return "FAIL" if failed else "OK"


def budget_text(row: dict) -> str:
    parts = []
    if row["min_ratio"] is not None:
        parts.append(f">={row['min_ratio']:.2f}")
    if row["max_p99_ms"] is not None:
        parts.append(f"p99<{row['max_p99_ms']:.0f}")
    return " ".join(parts)


def print_table(rows: list[dict], rss: dict, budgets_apply: bool) -> None:
    print(f"\n{'page':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}  {'budget':<15} result")
    for row in rows:
        if "rps" in row:
            numbers = f"{row['rps']:>8.1f} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['ratio']:>6.2f}"
        else:
            numbers = f"{'-':>8} {'-':>8} {'-':>8} {'-':>6}"
        note = f"  [{row['note']}]" if row["note"] else ""
        print(f"{row['label']:<26} {numbers}  {budget_text(row):<15} {row['result']}{note}")
    print_rss(rss, budgets_apply)
    if not budgets_apply:
        print(f"(budgets apply at {BUDGET_SCALE:,} stories with the page cache on, as production runs; "
              "here they are shown for information)")


def print_rss(rss: dict, budgets_apply: bool) -> None:
    over = any(mb >= RSS_BUDGET_MB for mb in rss["forum"])
    result = ("FAIL" if over else "OK") if budgets_apply else "(over)" if over else "(within)"
    print(f"{'RSS per forum worker':<26} {', '.join(f'{mb:.0f} MB' for mb in rss['forum']):>33}  "
          f"{f'<{RSS_BUDGET_MB:.0f} MB':<15} {result}")
    print(f"{'RSS per bare worker':<26} {', '.join(f'{mb:.0f} MB' for mb in rss['baseline']):>33}")


def write_results(backend: str, record: dict, *, live_only: bool = False) -> None:
    """bench/results.json keeps the latest run per backend, so a PostgreSQL run does not erase SQLite's. A
    --live-only run replaces the "live" part of that record and leaves its pages as the last full run left them."""
    try:
        results = json.loads(RESULTS_PATH.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        results = {}
    if live_only and isinstance(results.get(backend), dict) and results[backend].get("pages"):
        results[backend]["live"] = record["live"]
        results[backend]["live_finished_at"] = record["finished_at"]
    else:
        results[backend] = record
    RESULTS_PATH.write_text(json.dumps(results, indent=2, default=str) + "\n")


def postgres_url(url: str) -> str:
    """Accept postgresql://... and postgres://... and use the driver the forum ships (psycopg 3)."""
    parsed = sa.engine.make_url(url.replace("postgres://", "postgresql://", 1))
    if not parsed.drivername.startswith("postgresql"):
        raise SystemExit(f"--postgres wants a PostgreSQL URL, got {dataset.shown(url)}")
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=generate.DEFAULT_SCALE, help="stories (default %(default)s)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild the dataset even if one matches")
    parser.add_argument("--postgres", metavar="URL", help="run against this PostgreSQL database instead of SQLite; "
                        "it must be empty or hold an earlier bench dataset (its public schema is then recreated)")
    parser.add_argument("--drop-schema", action="store_true",
                        help="with --postgres: allow DROP SCHEMA public CASCADE although it holds other tables")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds, median taken (default %(default)s)")
    parser.add_argument("--no-cache", action="store_true",
                        help="switch the anonymous-page cache off (FORUM_PAGE_CACHE=0) to measure the pages' own "
                        "cost; budgets are then shown for information, since production runs with the cache")
    live_options = parser.add_mutually_exclusive_group()
    live_options.add_argument("--live-only", action="store_true",
                              help="run only the live scenario (with its bare-page reference runs)")
    live_options.add_argument("--no-live", action="store_true", help="skip the live scenario")
    parser.add_argument("--live-duration", type=int, default=live.DEFAULT_DURATION,
                        help="seconds per live scenario run (default %(default)s)")
    parser.add_argument("--writes-per-second", type=float, default=live.DEFAULT_WRITES_PER_SECOND,
                        help="live writers: votes a second, and a tenth as many comments (default %(default)s)")
    args = parser.parse_args(argv)
    if not 1 <= args.live_duration <= MAX_DURATION_SECONDS:
        parser.error(f"--live-duration must be 1-{MAX_DURATION_SECONDS} seconds")
    if not 0.1 <= args.writes_per_second <= 50:
        parser.error("--writes-per-second must be 0.1-50")
    if not 1 <= args.duration <= MAX_DURATION_SECONDS:
        parser.error(f"--duration must be 1-{MAX_DURATION_SECONDS} seconds")
    if not 1 <= args.rounds <= 15:
        parser.error("--rounds must be 1-15")
    if args.scale < 1_000:
        parser.error("--scale must be at least 1000")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if not wrk.available():
        print(wrk.INSTALL_HINT, file=sys.stderr)
        return 2
    url = postgres_url(args.postgres) if args.postgres else dataset.sqlite_url()
    backend = sa.engine.make_url(url).get_backend_name()
    started = time.monotonic()
    meta = generate.ensure(url, args.scale, regenerate=args.regenerate, drop_schema=args.drop_schema)
    generation_seconds = round(time.monotonic() - started, 1)
    targets, notes = pick_targets(url, meta)
    paths = {page.key: page.path.format(**targets) for page in PAGES}
    budgets_apply = args.scale == BUDGET_SCALE and not args.no_cache
    # The live budgets are set for the default write rate; other rates show them for information.
    live_budgets_apply = budgets_apply and args.writes_per_second == live.DEFAULT_WRITES_PER_SECOND
    pages = [PAGES[0]] if args.live_only else PAGES  # --live-only: the bare page, for its reference runs
    if not args.live_only:
        print(f"gunicorn -w {WORKERS} on 127.0.0.1, FORUM_ENV=production, no debug; wrk -t{WRK_THREADS} "
              f"-c{CONNECTIONS} -d{args.duration}s x {args.rounds} rounds per page.", flush=True)
    if not args.no_live:
        print(f"live scenario: wrk -t{WRK_THREADS} -c{CONNECTIONS} -d{args.live_duration}s x {args.rounds} rounds "
              f"per scenario, {args.writes_per_second:g} votes/s and {args.writes_per_second / 10:g} comments/s "
              "while writing.", flush=True)
    print("rate limits: off (FORUM_DISABLE_RATELIMITS=1): one client at 8 connections would otherwise be throttled "
          "like an attacker.", flush=True)
    load_before = os.getloadavg()
    if load_before[0] > BUSY_LOAD_AVERAGE:
        print(f"note: load average {load_before[0]:.1f} before the run: other processes are busy, so figures will "
              "be noisier than on a quiet machine (ratios cancel part of it)", flush=True)
    load_started = time.monotonic()
    servers = {}
    runs, live_record, page_crashes = {}, None, None
    try:
        servers = start_servers(url, WORKERS, page_cache=not args.no_cache)
        states = warm_up(pages, servers, paths, WARMUP_SECONDS)
        if states[REFERENCE] != "ok":
            raise SystemExit("the bare 25-row page does not answer; nothing to compare against")
        if not args.live_only:
            page_log = live.LogWatch(servers["forum"])
            measured = [page for page in PAGES if states[page.key] == "ok"]
            runs = measure_rounds(measured, servers, paths, rounds=args.rounds, seconds=args.duration)
            if any(m.http_errors or m.socket_errors for key, ms in runs.items() for m in ms):
                print(f"errors during the run; the forum's gunicorn log ends:\n{servers['forum'].log_tail()}",
                      file=sys.stderr)
            page_crashes = page_log.read()
        if not args.no_live:
            try:
                live_record = live.run(
                    servers=servers, url=url, meta=meta, targets=targets, rounds=args.rounds,
                    seconds=args.live_duration, reference_seconds=args.duration, reference_path=paths[REFERENCE],
                    writes_per_second=args.writes_per_second, connections=CONNECTIONS, threads=WRK_THREADS,
                    reference_at=reference_at)
            except live.LiveError as error:
                print(f"live scenario: {error}", file=sys.stderr)
                live_record = {"error": str(error)}
            if live_record.get("error") or any(row.get("http_errors") or row.get("crashed_workers")
                                               for row in live_record.get("scenarios", [])):
                print(f"the forum's gunicorn log ends:\n{servers['forum'].log_tail()}", file=sys.stderr)
        rss = {name: server.worker_rss_mb() for name, server in servers.items()}
    except KeyboardInterrupt:
        print("\ninterrupted: gunicorn stopped, nothing written", file=sys.stderr)
        return 130
    finally:
        for server in servers.values():
            server.stop()
    load_seconds = round(time.monotonic() - load_started, 1)
    rows = summarise(pages, states, runs, notes, budgets_apply=budgets_apply) if not args.live_only else []
    failed = [row["label"] for row in rows if row["result"].startswith("FAIL")]
    if rows:
        print_table(rows, rss, budgets_apply)
        if page_crashes and page_crashes["crashed"]:
            print(f"forum workers crashed during the page runs: {page_crashes['crashed']}")
            for line in page_crashes["events"][:10] + page_crashes["tracebacks"][:3]:
                print("  " + line.replace("\n", "\n  "))
    live_errors = []
    if live_record is not None:
        if live_record.get("error"):
            live_errors = [f"live: {live_record['error']}"]
            print(f"\nlive scenario: FAIL ({live_record['error']})")
        else:
            live_errors, live_over = live.judge(live_record, budgets_apply=live_budgets_apply)
            failed += live_errors + live_over
            live.print_table(live_record)
        if not rows:
            print_rss(rss, budgets_apply)
        if not live_budgets_apply and not live_record.get("error"):
            why = (f"at {args.writes_per_second:g} writes/s the write budgets are set for "
                   f"{live.DEFAULT_WRITES_PER_SECOND:g}" if budgets_apply else
                   f"budgets apply at {BUDGET_SCALE:,} stories with the page cache on")
            print(f"(live budgets shown for information: {why}; errors, failed writes and crashed workers fail "
                  "any run)")
    memory_over = any(mb >= RSS_BUDGET_MB for mb in rss["forum"])
    failed += ["RSS"] if memory_over else []
    # One entry per backend, cache setting and scale, so a run never erases another kind of run.
    key = backend + ("-uncached" if args.no_cache else "") + ("" if args.scale == BUDGET_SCALE else f"-{args.scale}")
    write_results(key, {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "backend": backend,
        "database": dataset.shown(url),
        "scale": args.scale, "budgets_apply": budgets_apply,
        "failed": failed if budgets_apply else live_errors,
        "settings": {"workers": WORKERS, "connections": CONNECTIONS, "wrk_threads": WRK_THREADS,
                     "duration_seconds": args.duration, "rounds": args.rounds, "rate_limits": "disabled",
                     "forum_env": "production", "page_cache": not args.no_cache, "wrk": wrk.version()},
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                    "load_average_before": load_before, "load_average_after": os.getloadavg()},
        "dataset": meta, "generation_seconds": generation_seconds, "load_seconds": load_seconds,
        "paths": paths, "pages": rows, "rss_mb": rss, "rss_budget_mb": RSS_BUDGET_MB,
        "page_run_crashes": page_crashes, "live": live_record,
    }, live_only=args.live_only)
    print(f"\ndataset {'reused' if meta.get('reused') else 'generated'} in {generation_seconds:.0f}s, "
          f"load run {load_seconds:.0f}s; results in {RESULTS_PATH.relative_to(dataset.ROOT)}")
    if live_errors:
        print(f"failed: {', '.join(live_errors)}")
        return 1
    if budgets_apply and failed:
        print(f"over budget: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit("\ninterrupted")
