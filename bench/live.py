"""The live scenario: readers on a mix of ~60 pages, anonymous or signed in, while members vote and comment.

    python -m bench.run --live-only [--live-duration 10] [--writes-per-second 2] [--rounds 3]

Readers are wrk with a generated Lua script that cycles through the mix (each wrk thread from its own offset) and,
signed in, sends a different member's session cookie with each request. Writers are Python threads, one member
(one cookie jar) each, that do what a browser does: load the story page, take the CSRF token from its form, and post
the vote (as site.js does: Accept: application/json, X-CSRFToken) or the comment (a plain form post, then the
redirect it answers with). Every member signs in through the real sign-in form. Each scenario run is measured
between runs of the bare 25-row page, as the per-page table is, and judged by its ratio to it.
"""
import heapq
import html
import http.client
import itertools
import math
import os
import queue
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa
from argon2 import PasswordHasher

from forum import exam

from . import text, wrk
from .servers import Gunicorn

SEED = 20_261_130  # which stories and members the mix uses: the same on every run at a scale
STORY_PAGES = 40  # story pages in the mix, the two big threads among them
READERS = 24  # signed-in readers whose cookies wrk rotates through (at least 20: no per-member shortcut passes)
MIN_WRITERS = 16  # members who vote and comment; more at higher rates, so none waits on another (see writer_count)
MEMBER_MIN_AGE = timedelta(days=8)  # older than a week: the established members' posting limits
PASSWORD = "bench live reader password 7f3a"  # given to the chosen members only; they exist only in the bench data
DEFAULT_DURATION = 10  # seconds per scenario run
DEFAULT_WRITES_PER_SECOND = 2.0  # votes a second; comments come at a tenth of it
COMMENTS_PER_VOTE = 0.1
WARMUP_SECONDS = 10  # per kind of reader: every worker has built each page and search once (a count is seconds)
P99_BUDGET_MS = 250.0
LATE_SECONDS = 1.0  # a write that starts this long after its moment is counted as late (the server fell behind)
HTTP_TIMEOUT = 60
# Sent by the writers, the sign-ins and wrk alike. Flask-Login ("basic" session protection) keeps a hash of the
# address and User-Agent in the session: a request with another User-Agent would mark the session not fresh and
# send a new cookie with every page, which no browser does and which no page cache may store.
BROWSER_HEADERS = {"User-Agent": "Mozilla/5.0 (bench-live)", "Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@dataclass(frozen=True)
class Scenario:
    key: str
    label: str
    signed_in: bool
    writes: bool
    min_ratio: float
    max_p99_ms: float = P99_BUDGET_MS


SCENARIOS = [
    Scenario("anonymous_quiet", "anonymous quiet", signed_in=False, writes=False, min_ratio=0.9),
    Scenario("anonymous_writes", "anonymous + writes", signed_in=False, writes=True, min_ratio=0.5),
    Scenario("signed_in_quiet", "signed-in quiet", signed_in=True, writes=False, min_ratio=0.3),
    Scenario("signed_in_writes", "signed-in + writes", signed_in=True, writes=True, min_ratio=0.25),
]


class LiveError(RuntimeError):
    """The live scenario cannot be measured honestly (a page, a sign-in or a cookie is broken)."""


# --- what is read -------------------------------------------------------------------------------------------------

@dataclass
class Mix:
    paths: list[str]
    stories: list[tuple[int, str]]  # (id, path) of the story pages in the mix: where votes go
    comment_stories: list[tuple[int, str]]  # the same without the two big threads: where comments go
    notes: dict[str, str] = field(default_factory=dict)


def pick_mix(url: str, meta: dict, targets: dict) -> Mix:
    """~62 addresses: front page, listings with filters, hubs, 40 story pages (both big threads), searches for a
    common and a rare word, resource pages, /insights. Deterministic for a given dataset."""
    rng = random.Random(SEED)
    big = {int(story_id) for story_id in meta["big_threads"].values()}
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            published = conn.execute(sa.text(
                "SELECT id, slug, locked FROM stories WHERE status = 'published' ORDER BY id")).all()
            by_id = {row.id: row for row in published}
            others = [row for row in published if row.id not in big]
            chosen = [by_id[i] for i in sorted(big) if i in by_id]
            chosen += rng.sample(others, min(STORY_PAGES - len(chosen), len(others)))
            popular = conn.execute(sa.text(
                "SELECT slug FROM resources ORDER BY story_count DESC, slug LIMIT 3")).scalars().all()
            # The rarest attempt ordinal with a story ("fifth", "sixth"): a word that few stories are found by.
            attempt, rare_count = conn.execute(sa.text(
                "SELECT attempt, count(*) AS n FROM stories WHERE status = 'published' GROUP BY attempt "
                "ORDER BY n, attempt LIMIT 1")).one()
    finally:
        engine.dispose()
    rare_word = exam.ordinal_attempt(attempt).split()[0]
    step, resource = targets["step"], targets["resource"]
    slugs = {code: s.slug for code, s in exam.STEPS.items()}
    second_step = next(code for code in ("step2ck", "step1", "step3") if code != step)
    stories = [(row.id, f"/stories/{row.id}-{row.slug}") for row in chosen]
    paths = [
        "/", "/stories", f"/stories?step={step}&resource={resource}", "/stories?outcome=failed",
        "/stories?background=img", f"/stories?step={second_step}&outcome=passed", "/stories?page=2",
        "/stories?sort=new", "/stories?sort=top", f"/stories?resource={resource}&page=2",
        "/stories?background=us_md&sort=new", f"/steps/{slugs[step]}", f"/steps/{slugs[second_step]}",
        *(path for _, path in stories),
        f"/search?q={text.COMMON_WORD}", f"/search?q={rare_word}",
        f"/search?q={text.COMMON_WORD}&step={step}&outcome=passed", f"/search?q={text.COMMON_WORD}&page=2",
        "/resources", *(f"/resources/{slug}" for slug in popular), "/insights",
    ]
    notes = {"rare_word": f"{rare_word!r} ({rare_count} stories)", "common_word": repr(text.COMMON_WORD)}
    return Mix(paths=paths, stories=stories,
               comment_stories=[(i, p) for (i, p), row in zip(stories, chosen, strict=True)
                                if i not in big and not row.locked],
               notes=notes)


# --- members ------------------------------------------------------------------------------------------------------

@dataclass
class Member:
    id: int
    username: str
    browser: "Browser | None" = None


def writer_count(writes_per_second: float) -> int:
    """Enough writers that each write's page load and post (a second or two under load) never waits for a member."""
    return max(MIN_WRITERS, math.ceil(3 * writes_per_second * (1 + COMMENTS_PER_VOTE)))


def pick_members(url: str, count: int, mix: Mix) -> list[Member]:
    """Members (not moderators), not banned, whose accounts are older than a week, who wrote none of the mix's
    stories (a member cannot vote on their own); the same ones on every run. Then they get PASSWORD."""
    now = datetime.now(UTC).replace(tzinfo=None)
    story_ids = [story_id for story_id, _ in mix.stories]
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            authors = set(conn.execute(sa.text("SELECT author_id FROM stories WHERE id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": story_ids}).scalars())
            eligible = [row for row in conn.execute(sa.text(
                "SELECT id, username FROM users WHERE role = 'member' AND created_at < :before "
                "AND (banned_until IS NULL OR banned_until < :now) ORDER BY id"),
                {"before": now - MEMBER_MIN_AGE, "now": now}) if row.id not in authors]
            if len(eligible) < count:
                raise LiveError(f"only {len(eligible)} members are eligible, the live scenario needs {count}")
            chosen = random.Random(SEED).sample(eligible, count)
            # One hash for all, at the app's cost (as bench/tables.py makes the shared unknown one).
            password_hash = PasswordHasher(time_cost=2, memory_cost=19 * 1024).hash(PASSWORD)
            conn.execute(sa.text("UPDATE users SET password_hash = :hash WHERE id = :id"),
                         [{"hash": password_hash, "id": row.id} for row in chosen])
    finally:
        engine.dispose()
    return [Member(row.id, row.username) for row in chosen]


# --- a small browser ----------------------------------------------------------------------------------------------

@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str


class Browser:
    """One member's browser: a cookie jar and plain HTTP/1.1 requests to the forum, no redirects followed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, *, form: list[tuple[str, str]] | None = None,
                headers: dict[str, str] | None = None) -> Answer:
        sent = dict(BROWSER_HEADERS)
        body = None
        if form is not None:
            body = urlencode(form)
            sent.update({"Content-Type": "application/x-www-form-urlencoded", "Origin": self.origin})
        if self.cookies:
            sent["Cookie"] = self.cookie_header()
        sent.update(headers or {})
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=HTTP_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for value in response.headers.get_all("Set-Cookie") or []:
            self._store(value)
        return Answer(response.status, response.headers, data.decode("utf-8", errors="replace"))

    def get(self, path: str, **kwargs) -> Answer:
        return self.request("GET", path, **kwargs)

    def _store(self, set_cookie: str) -> None:
        pair, _, attributes = set_cookie.partition(";")
        name, _, value = pair.strip().partition("=")
        attributes = attributes.lower()
        gone = re.search(r"max-age=0\b", attributes) or "expires=thu, 01 jan 1970" in attributes
        if gone:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]]

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.fields if n == name), None)

    def filled(self, **values: str) -> list[tuple[str, str]]:
        """The fields a browser submits, with the named ones typed in."""
        fields = [(n, values.get(n, v)) for n, v in self.fields]
        return fields + [(n, v) for n, v in values.items() if n not in {f for f, _ in self.fields}]


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._textarea: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = Form(action=a.get("action", ""), method=(a.get("method") or "get").lower(), fields=[])
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input":
            kind = a.get("type", "text").lower()
            if kind in {"submit", "button", "image", "file", "reset"} or (
                    kind in {"checkbox", "radio"} and "checked" not in a):
                return
            self._form.fields.append((a["name"], a.get("value", "on" if kind in {"checkbox", "radio"} else "")))
        elif tag == "textarea":
            self._textarea = (a["name"], [])

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1].append(data)

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None and self._form is not None:
            name, parts = self._textarea
            self._form.fields.append((name, "".join(parts).removeprefix("\n")))
            self._textarea = None
        elif tag == "form":
            self._form = None


def find_form(page: str, action_path: str, here: str) -> Form | None:
    """The form posting to action_path (a form without action posts to the page it is on)."""
    parser = _FormParser()
    parser.feed(page)
    for form in parser.forms:
        target = form.action or here
        if urlsplit(html.unescape(target)).path == action_path and form.method == "post":
            form.action = html.unescape(target)
            return form
    return None


def sign_in(member: Member, port: int) -> Browser:
    """GET the sign-in page, post its form with the member's name and password, keep the cookies it sets."""
    browser = Browser(port)
    page = browser.get("/auth/login")
    if page.status != 200:
        raise LiveError(f"GET /auth/login: HTTP {page.status}")
    form = find_form(page.text, "/auth/login", "/auth/login")
    if form is None or form.value("csrf_token") is None:
        raise LiveError("the sign-in page has no form with a csrf_token")
    answer = browser.request("POST", form.action, form=form.filled(login=member.username, password=PASSWORD),
                             headers={"Referer": f"{browser.origin}/auth/login"})
    if answer.status not in (302, 303):
        errors = re.findall(r'class="[^"]*error[^"]*"[^>]*>([^<]+)<', answer.text)
        raise LiveError(f"sign-in of {member.username}: HTTP {answer.status} {'; '.join(errors)[:200]}")
    return browser


def signed_in_as(browser: Browser, member: Member) -> tuple[bool, bool]:
    """(whether the front page shows the member's name and a sign-out form, whether it changed the cookie)."""
    before = dict(browser.cookies)
    page = browser.get("/")
    shown = page.status == 200 and f">{html.escape(member.username)}<" in page.text and \
        'action="/auth/logout"' in page.text
    return shown, browser.cookies != before


def sign_in_all(members: list[Member], port: int) -> None:
    for member in members:
        member.browser = sign_in(member, port)


def verify(members: list[Member], what: str) -> bool:
    """Fail loudly unless every member's cookie is signed in. Two front pages each: the first lets the session
    settle (the CSRF secret a page's forms need), the second shows whether it has. Returns whether every cookie is
    settled, i.e. whether wrk's fixed cookie is what a browser would send from now on."""
    settled = True
    for member in members:
        shown, _ = signed_in_as(member.browser, member)
        shown_again, changed = signed_in_as(member.browser, member)
        if not (shown and shown_again):
            raise LiveError(f"{what}: {member.username}'s cookie is not signed in (the front page shows no "
                            "user menu); a redirect to the sign-in page would pass unnoticed in wrk's counts")
        settled = settled and not changed
    return settled


def cookies_kept(readers: list[Member], mix: Mix) -> list[str]:
    """Pages of the mix on which a reader's cookie would change (a Set-Cookie): wrk sends the same cookie all run
    long, which matches a browser only while the site does not hand out a new one."""
    changed = []
    for i, member in enumerate(readers):
        path = mix.paths[(i * 7) % len(mix.paths)]
        before = dict(member.browser.cookies)
        answer = member.browser.get(path)
        if answer.status != 200:
            raise LiveError(f"GET {path} as {member.username}: HTTP {answer.status}")
        if member.browser.cookies != before:
            changed.append(path)
            member.browser.cookies = before  # wrk sends what the browser held; the change is reported
    return changed


# --- writers ------------------------------------------------------------------------------------------------------

@dataclass
class WriteStats:
    rate: float
    seconds: float = 0.0
    planned: dict[str, int] = field(default_factory=lambda: {"vote": 0, "comment": 0})
    ok: dict[str, int] = field(default_factory=lambda: {"vote": 0, "comment": 0})
    failures: list[str] = field(default_factory=list)
    late: int = 0  # started more than LATE_SECONDS after their moment
    not_sent: int = 0  # still waiting for a free writer when the run ended
    write_ms: list[float] = field(default_factory=list)  # page load + post (+ redirect) per write
    slowest: dict = field(default_factory=dict)  # the slowest write, step by step

    @property
    def successes(self) -> int:
        return sum(self.ok.values())


class Writers:
    """Votes at `rate` a second and comments at a tenth of it, each at its moment (an open loop: a slow server
    does not slow the writes down, they queue), by members taking turns, each with their own cookie jar."""

    def __init__(self, members: list[Member], mix: Mix, rate: float, seed: int) -> None:
        self.members, self.mix, self.rate = members, mix, rate
        self.rng = random.Random(seed)
        self.tasks: queue.Queue = queue.Queue()
        self.stop_event = threading.Event()
        self.stats = WriteStats(rate=rate)
        self.lock = threading.Lock()
        self.threads: list[threading.Thread] = []

    def _schedule(self) -> Iterator[tuple[float, str]]:
        votes = (((i + 0.5) / self.rate, "vote") for i in itertools.count())
        comments = (((j + 0.5) / (self.rate * COMMENTS_PER_VOTE), "comment") for j in itertools.count())
        return heapq.merge(votes, comments)

    def start(self) -> None:
        self.started = time.monotonic()
        self.threads = [threading.Thread(target=self._dispatch, daemon=True)] + [
            threading.Thread(target=self._write, args=(member,), daemon=True) for member in self.members]
        for thread in self.threads:
            thread.start()

    def stop(self) -> WriteStats:
        self.stop_event.set()
        self.threads[0].join()
        while True:  # what no writer took in time is not sent: the run is over
            try:
                self.tasks.get_nowait()
                self.stats.not_sent += 1
            except queue.Empty:
                break
        for _ in self.members:
            self.tasks.put(None)
        for thread in self.threads[1:]:
            thread.join(HTTP_TIMEOUT * 3)
        self.stats.seconds = round(time.monotonic() - self.started, 1)
        return self.stats

    def _dispatch(self) -> None:
        for at, kind in self._schedule():
            if self.stop_event.wait(max(0.0, self.started + at - time.monotonic())):
                return
            stories = self.mix.stories if kind == "vote" else self.mix.comment_stories
            story = self.rng.choice(stories)
            body = text.comment_body(self.rng, words=self.rng.randint(8, 60)) if kind == "comment" else ""
            with self.lock:
                self.stats.planned[kind] += 1
            self.tasks.put((kind, story, body, self.started + at))

    def _write(self, member: Member) -> None:
        while True:
            task = self.tasks.get()
            if task is None:
                return
            kind, story, body, due = task
            started = time.monotonic()
            steps: list[tuple[str, float]] = []
            try:
                problem = (vote if kind == "vote" else comment)(member.browser, story, body, steps)
            except OSError as error:
                problem = f"{type(error).__name__}: {error}"
            took = round((time.monotonic() - started) * 1000, 1)
            with self.lock:
                self.stats.late += started - due > LATE_SECONDS
                self.stats.write_ms.append(took)
                if took > self.stats.slowest.get("ms", -1):
                    self.stats.slowest = {"ms": took, "kind": kind, "story": story[1],
                                          "steps": [f"{what} {ms:.0f} ms" for what, ms in steps]}
                if problem is None:
                    self.stats.ok[kind] += 1
                else:
                    self.stats.failures.append(f"{kind} on {story[1]} by {member.username}: {problem}")


def _timed(steps: list, what: str, call: Callable[[], Answer]) -> Answer:
    started = time.monotonic()
    try:
        return call()
    finally:
        steps.append((what, (time.monotonic() - started) * 1000))


def _story_form(browser: Browser, story: tuple[int, str], action: str,
                steps: list) -> tuple[Form | None, str | None]:
    page = _timed(steps, f"GET {story[1]}", lambda: browser.get(story[1]))
    if page.status != 200:
        return None, f"GET {story[1]}: HTTP {page.status}"
    form = find_form(page.text, action, story[1])
    if form is None or not form.value("csrf_token"):
        return None, f"no form posting to {action} with a csrf_token on the story page (signed out?)"
    return form, None


def vote(browser: Browser, story: tuple[int, str], _body: str, steps: list) -> str | None:
    """Press the story's upvote button as site.js does: the form's fields, JSON asked for, the token in a header.
    The form says value=0 when the member voted already, so a second press takes the vote back, as on the site."""
    form, problem = _story_form(browser, story, f"/stories/{story[0]}/vote", steps)
    if form is None:
        return problem
    headers = {"Accept": "application/json", "X-CSRFToken": form.value("csrf_token"),
               "Referer": f"{browser.origin}{story[1]}"}
    answer = _timed(steps, f"POST {form.action}",
                    lambda: browser.request("POST", form.action, form=form.fields, headers=headers))
    if answer.status != 200 or '"votes"' not in answer.text:
        return f"POST {form.action}: HTTP {answer.status} {answer.text[:120]!r}"
    return None


def comment(browser: Browser, story: tuple[int, str], body: str, steps: list) -> str | None:
    """Write into the comment form and send it (a plain form post), then load the page it redirects to."""
    form, problem = _story_form(browser, story, f"/stories/{story[0]}/comments", steps)
    if form is None:
        return problem
    answer = _timed(steps, f"POST {form.action}", lambda: browser.request(
        "POST", form.action, form=form.filled(body=body), headers={"Referer": f"{browser.origin}{story[1]}"}))
    if answer.status not in (302, 303):
        return f"POST {form.action}: HTTP {answer.status}"
    location = urlsplit(answer.headers.get("Location", ""))
    target = location.path + (f"?{location.query}" if location.query else "")
    shown = _timed(steps, f"GET {target}", lambda: browser.get(target))
    if shown.status != 200:
        return f"GET {target} after the comment: HTTP {shown.status}"
    return None


# --- readers: the wrk script --------------------------------------------------------------------------------------

def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def lua_script(paths: list[str], cookies: list[str], threads: int) -> str:
    """A wrk script: every request the next address of the mix and, signed in, the next member's cookie, so
    consecutive requests on a connection come from different members and pages. Thread n starts n/threads of the
    way round. The requests are formatted once, in init, so the script costs wrk nothing per request."""
    return f"""-- generated by bench/live.py
local paths = {{ {", ".join(map(_lua_string, paths))} }}
local browser_headers = {{ {", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in BROWSER_HEADERS.items())} }}
local cookies = {{ {", ".join(map(_lua_string, cookies))} }}
local threads = {threads}
local started = 0
local requests = {{}}
local at = 0

function setup(thread)
  thread:set("thread_index", started)
  started = started + 1
end

function init(args)
  local total = #paths * math.max(#cookies, 1)
  for i = 0, total - 1 do
    local headers = {{}}
    for name, value in pairs(browser_headers) do headers[name] = value end
    if #cookies > 0 then
      headers["Cookie"] = cookies[((i + math.floor(i / #paths)) % #cookies) + 1]
    end
    requests[i + 1] = wrk.format("GET", paths[(i % #paths) + 1], headers)
  end
  at = math.floor((thread_index or 0) * total / threads) % total
end

function request()
  at = at + 1
  if at > #requests then at = 1 end
  return requests[at]
end
"""


# --- crashed workers ----------------------------------------------------------------------------------------------

CRASH_LINE = re.compile(r"Worker \(pid:(\d+)\) (?:was sent \w+|exited with code \d+)|WORKER TIMEOUT \(pid:(\d+)\)")
BOOT_LINE = "Booting worker with pid"
ACCESS_LINE = re.compile(
    r' forum\.access .*?method=(\S+) path=("(?:[^"\\]|\\.)*"|\S+) status=(\d+) duration_ms=([\d.]+)')
SLOWEST_SHOWN = 3


class LogWatch:
    """Reads the forum gunicorn's log from where it was last read: worker replacements and faulthandler output."""

    def __init__(self, server: Gunicorn) -> None:
        self.path = Path(server.log.name)
        self.offset = 0
        self.initial_boots = self.read()["boots"]  # the workers gunicorn started with

    def read(self) -> dict:
        with self.path.open("rb") as log:
            log.seek(self.offset)
            chunk = log.read().decode(errors="replace")
            self.offset = log.tell()
        lines = chunk.splitlines()
        boots = sum(BOOT_LINE in line for line in lines)
        events = [line.strip() for line in lines if CRASH_LINE.search(line) or "Fatal Python error" in line]
        tracebacks = []
        for i, line in enumerate(lines):
            if "Fatal Python error" in line:
                block = []
                for following in lines[i:i + 40]:
                    if following.startswith("Extension modules") or (block and BOOT_LINE in following):
                        break
                    block.append(following.rstrip())
                tracebacks.append("\n".join(block))
        pids = {match.group(1) or match.group(2) for line in lines if (match := CRASH_LINE.search(line))}
        fatal = sum("Fatal Python error" in line for line in lines)
        return {"boots": boots, "crashed": max(boots, len(pids), fatal), "events": events, "tracebacks": tracebacks,
                **server_times(lines)}


def server_times(lines: list[str]) -> dict:
    """From the forum's access lines: how many requests it answered with 4xx/5xx (writers' included), and the
    addresses (paths, without query strings) that took longest on the server, which wrk cannot tell apart."""
    durations: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    for line in lines:
        match = ACCESS_LINE.search(line)
        if match is None:
            continue
        method, path, status, duration = match.groups()
        key = f"{method} {path.strip(chr(34))}"
        durations.setdefault(key, []).append(float(duration))
        if int(status) >= 400:
            kind = re.sub(r"/\d+(-[^/]*)?", "/<id>", key) + f" {status}"  # one count per route and status
            errors[kind] = errors.get(kind, 0) + 1
    slowest = sorted(durations.items(), key=lambda item: max(item[1]), reverse=True)[:SLOWEST_SHOWN]
    return {"server_errors": errors,
            "slowest": [{"request": key, "max_ms": max(ms), "median_ms": statistics.median(ms), "count": len(ms)}
                        for key, ms in slowest]}


# --- the run ------------------------------------------------------------------------------------------------------

@dataclass
class Run:
    measurement: wrk.Measurement
    writes: WriteStats | None
    crashed: int
    crash_events: list[str]
    tracebacks: list[str]
    server_errors: dict[str, int]
    slowest: list[dict]


def run(*, servers: dict[str, Gunicorn], url: str, meta: dict, targets: dict, rounds: int, seconds: int,
        reference_seconds: int, reference_path: str, writes_per_second: float, connections: int, threads: int,
        reference_at: Callable[[list[wrk.Measurement], float], float]) -> dict:
    """Sign the members in, check every page and cookie, then measure each scenario `rounds` times between runs of
    the bare page. Returns the record for results.json (without verdicts: see summarise)."""
    forum, baseline = servers["forum"], servers["baseline"]
    log = LogWatch(forum)
    mix = pick_mix(url, meta, targets)
    dropped = preflight(mix, forum.port)
    writers_needed = writer_count(writes_per_second)
    members = pick_members(url, READERS + writers_needed, mix)
    readers, writer_members = members[:READERS], members[READERS:]
    started = time.monotonic()
    sign_in_all(members, forum.port)
    print(f"  live: {len(mix.paths)} addresses ({len(mix.stories)} story pages; rare word {mix.notes['rare_word']}"
          f"{'; not built yet: ' + ', '.join(dropped) if dropped else ''}); {len(members)} members signed in "
          f"through /auth/login in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)

    scripts = {}
    script_dir = tempfile.mkdtemp(prefix="bench-live-")
    try:
        # Warm-up, unmeasured: templates and caches for both kinds of reader.
        for signed_in in (False, True):
            settled = verify(readers + writer_members, "before the run") if signed_in else True
            cookies = [member.browser.cookie_header() for member in readers] if signed_in else []
            path = Path(script_dir) / f"{'signed_in' if signed_in else 'anonymous'}.lua"
            path.write_text(lua_script(mix.paths, cookies, threads))
            scripts[signed_in] = str(path)
            wrk.measure(f"http://127.0.0.1:{forum.port}/", seconds=WARMUP_SECONDS, connections=connections,
                        threads=threads, script=scripts[signed_in])
            forum.wait_until_idle()
        unsettled = cookies_kept(readers, mix)
        print(f"  live: {READERS} reader cookies and {len(writer_members)} writer cookies signed in"
              f"{'' if settled else '; a cookie still changed on its second front page'}"
              f"{'; the site sent readers a new cookie on ' + ', '.join(unsettled) if unsettled else ''}",
              file=sys.stderr, flush=True)
        boot_check = log.read()

        references: list[wrk.Measurement] = []
        runs: dict[str, list[Run]] = {s.key: [] for s in SCENARIOS}
        tty = sys.stderr.isatty()
        for round_number in range(1, rounds + 1):
            for index, scenario in enumerate(SCENARIOS):
                label = f"round {round_number}/{rounds}: {scenario.label}"
                print(f"\r  live {label:<44}" if tty else f"  live {label} ...", end="" if tty else "\n",
                      file=sys.stderr, flush=True)
                references.append(reference_run(baseline, reference_path, reference_seconds, connections, threads))
                runs[scenario.key].append(measure(scenario, forum, log, scripts[scenario.signed_in], seconds,
                                                  connections, threads, writer_members, mix, writes_per_second,
                                                  seed=SEED + round_number * 10 + index))
        references.append(reference_run(baseline, reference_path, reference_seconds, connections, threads))
        if tty:
            print(file=sys.stderr)
        signed_out = [member.username for member in readers if not signed_in_as(member.browser, member)[0]]
    finally:
        for path in scripts.values():
            Path(path).unlink(missing_ok=True)
        os.rmdir(script_dir)

    return {
        "settings": {"rounds": rounds, "duration_seconds": seconds, "reference_duration_seconds": reference_seconds,
                     "writes_per_second": writes_per_second, "votes_per_second": writes_per_second,
                     "comments_per_second": round(writes_per_second * COMMENTS_PER_VOTE, 3),
                     "readers": READERS, "writers": len(writer_members), "rate_limits": "off",
                     "connections": connections, "wrk_threads": threads},
        "paths": mix.paths, "dropped_paths": dropped, "notes": mix.notes,
        "reader_cookies_settled": settled and not unsettled, "pages_changing_reader_cookies": unsettled,
        "readers_signed_out_after_run": signed_out,
        "crashed_during_setup": boot_check["crashed"], "setup_crash_events": boot_check["events"],
        "setup_tracebacks": boot_check["tracebacks"],
        "references": [asdict(m) for m in references],
        "scenarios": summarise(runs, references, reference_at),
    }


def preflight(mix: Mix, port: int) -> list[str]:
    """One anonymous GET per address: 404 = not built yet (left out of the mix, and said), other non-200 = broken."""
    browser, dropped = Browser(port), []
    for path in list(mix.paths):
        try:
            answer = browser.get(path)
        except (OSError, http.client.HTTPException) as error:
            raise LiveError(f"GET {path}: the server dropped the connection ({error!r}): a worker crashed?") from error
        browser.cookies.clear()
        if answer.status == 404:
            dropped.append(path)
            mix.paths.remove(path)
        elif answer.status != 200:
            raise LiveError(f"GET {path}: HTTP {answer.status} before the live run")
    if any(path in dropped for _, path in mix.stories):
        raise LiveError(f"a story page of the mix answers 404: {dropped}")
    return dropped


def reference_run(baseline: Gunicorn, path: str, seconds: int, connections: int, threads: int) -> wrk.Measurement:
    measurement = wrk.measure(f"http://127.0.0.1:{baseline.port}{path}", seconds=seconds, connections=connections,
                              threads=threads)
    measurement.busy_after_s = baseline.wait_until_idle()
    return measurement


def measure(scenario: Scenario, forum: Gunicorn, log: LogWatch, script: str, seconds: int, connections: int,
            threads: int, writer_members: list[Member], mix: Mix, writes_per_second: float, *, seed: int) -> Run:
    writers = Writers(writer_members, mix, writes_per_second, seed) if scenario.writes else None
    if writers:
        writers.start()
    try:
        measurement = wrk.measure(f"http://127.0.0.1:{forum.port}/", seconds=seconds, connections=connections,
                                  threads=threads, script=script)
    finally:
        stats = writers.stop() if writers else None
    measurement.busy_after_s = forum.wait_until_idle()
    seen = log.read()
    return Run(measurement, stats, seen["crashed"], seen["events"], seen["tracebacks"], seen["server_errors"],
               seen["slowest"])


def summarise(runs: dict[str, list[Run]], references: list[wrk.Measurement],
              reference_at: Callable[[list[wrk.Measurement], float], float]) -> list[dict]:
    rows = [{"key": "reference", "label": "bare Flask: 25 rows", "rps": statistics.median(m.rps for m in references),
             "p50_ms": statistics.median(m.p50_ms for m in references),
             "p99_ms": statistics.median(m.p99_ms for m in references), "ratio": 1.0,
             "http_errors": sum(m.http_errors for m in references),
             "socket_errors": sum(m.socket_errors for m in references)}]
    for scenario in SCENARIOS:
        done = runs[scenario.key]
        measured = [r.measurement for r in done]
        writes = [r.writes for r in done if r.writes is not None]
        row = {"key": scenario.key, "label": scenario.label, "min_ratio": scenario.min_ratio,
               "max_p99_ms": scenario.max_p99_ms,
               "rps": statistics.median(m.rps for m in measured),
               "p50_ms": statistics.median(m.p50_ms for m in measured),
               "p99_ms": statistics.median(m.p99_ms for m in measured),
               "ratio": statistics.median(m.rps / reference_at(references, m.at) for m in measured),
               "requests": sum(m.requests for m in measured),
               "http_errors": sum(m.http_errors for m in measured),
               "socket_errors": sum(m.socket_errors for m in measured),
               "busy_after_s": statistics.median(m.busy_after_s for m in measured),
               "crashed_workers": sum(r.crashed for r in done),
               "crash_events": [e for r in done for e in r.crash_events],
               "tracebacks": [t for r in done for t in r.tracebacks],
               "server_errors": {k: sum(r.server_errors.get(k, 0) for r in done)
                                 for k in sorted({k for r in done for k in r.server_errors})},
               "slowest_on_server": sorted((s for r in done for s in r.slowest), key=lambda s: s["max_ms"],
                                           reverse=True)[:SLOWEST_SHOWN],
               "rounds": [asdict(m) for m in measured]}
        if writes:
            row["writes"] = {
                "planned": {k: sum(w.planned[k] for w in writes) for k in ("vote", "comment")},
                "ok": {k: sum(w.ok[k] for w in writes) for k in ("vote", "comment")},
                "failures": [f for w in writes for f in w.failures],
                "late": sum(w.late for w in writes), "not_sent": sum(w.not_sent for w in writes),
                "write_ms_p50": statistics.median(ms) if (ms := [x for w in writes for x in w.write_ms]) else None,
                "write_ms_max": max(ms) if ms else None,
                "slowest": max((w.slowest for w in writes if w.slowest), key=lambda s: s["ms"], default=None)}
        rows.append(row)
    return rows


def judge(record: dict, *, budgets_apply: bool) -> tuple[list[str], list[str]]:
    """Sets each row's result; returns (what had errors, what was over budget). Errors (non-2xx, failed writes,
    crashed workers) fail any run; the ratio and p99 budgets count where they apply (see run.py)."""
    failed, over_budget = [], []
    for row in record["scenarios"]:
        if row["key"] == "reference":
            row["result"] = "reference"
            continue
        errors = []
        if row["http_errors"]:
            errors.append(f"{row['http_errors']} non-2xx")
        if row["socket_errors"] > row["requests"] / 100:
            errors.append(f"{row['socket_errors']} socket errors")
        if row.get("writes", {}).get("failures"):
            errors.append(f"{len(row['writes']['failures'])} writes failed")
        if row["crashed_workers"]:
            errors.append(f"{row['crashed_workers']} workers crashed")
        over = row["ratio"] < row["min_ratio"] or row["p99_ms"] > row["max_p99_ms"]
        if errors:
            row["result"] = "FAIL (" + ", ".join(errors) + ")"
            failed.append(f"live {row['label']}")
        elif budgets_apply:
            row["result"] = "FAIL" if over else "OK"
            if over:
                over_budget.append(f"live {row['label']}")
        else:
            row["result"] = "(over)" if over else "(within)"
    if record.get("crashed_during_setup"):
        failed.append("live: workers crashed while signing in and warming up")
    if record.get("readers_signed_out_after_run"):
        failed.append(f"live: {len(record['readers_signed_out_after_run'])} reader cookies no longer signed in "
                      "after the run (their requests may have been read as anonymous)")
    return failed, over_budget


def print_table(record: dict) -> None:
    settings = record["settings"]
    print(f"\nlive scenario: {len(record['paths'])} addresses, {settings['readers']} signed-in readers' cookies "
          f"rotated per request, {settings['writers']} writers; votes {settings['votes_per_second']:g}/s, comments "
          f"{settings['comments_per_second']:g}/s; rate limits: off; {settings['rounds']} x "
          f"{settings['duration_seconds']}s per scenario")
    print(f"{'scenario':<22} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'ratio':>6} {'non-2xx':>7} "
          f"{'writes ok/fail':>14} {'crashed':>7}  {'budget':<15} result")
    for row in record["scenarios"]:
        writes = row.get("writes")
        write_text = f"{sum(writes['ok'].values())}/{len(writes['failures'])}" if writes else "-"
        budget = f">={row['min_ratio']:.2f} p99<={row['max_p99_ms']:.0f}" if "min_ratio" in row else ""
        crashed = row.get("crashed_workers", "-")
        print(f"{row['label']:<22} {row['rps']:>8.1f} {row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} "
              f"{row['ratio']:>6.2f} {row['http_errors']:>7} {write_text:>14} {crashed:>7}  {budget:<15} "
              f"{row.get('result', '')}")
    for row in record["scenarios"]:
        writes = row.get("writes")
        if writes:
            print(f"  {row['label']}: votes {writes['ok']['vote']}/{writes['planned']['vote']}, comments "
                  f"{writes['ok']['comment']}/{writes['planned']['comment']} succeeded; a write (page, post"
                  f"{', redirect' if writes['ok']['comment'] else ''}) took {writes['write_ms_p50'] or 0:.0f} ms "
                  f"median, {writes['write_ms_max'] or 0:.0f} ms at most"
                  + (f"; {writes['late']} started over {LATE_SECONDS:g}s late" if writes["late"] else "")
                  + (f"; {writes['not_sent']} not sent (no writer free)" if writes["not_sent"] else ""))
            for failure in writes["failures"][:10]:
                print(f"    failed: {failure}")
            if writes.get("slowest"):
                slowest = writes["slowest"]
                print(f"    slowest write: {slowest['kind']} on {slowest['story']}: {', '.join(slowest['steps'])}")
        if row.get("slowest_on_server"):
            print(f"  {row['label']}: slowest on the server: " + "; ".join(
                f"{s['request']} {s['max_ms']:.0f} ms (median {s['median_ms']:.0f} ms of {s['count']})"
                for s in row["slowest_on_server"]))
        if row.get("server_errors"):
            print(f"  {row['label']}: answered with errors: " + ", ".join(
                f"{k} x{n}" for k, n in list(row["server_errors"].items())[:8]))
        if row.get("busy_after_s", 0) >= 1:
            print(f"  {row['label']}: server busy {row['busy_after_s']:.0f}s after each run")
        for event in row.get("crash_events", [])[:10]:
            print(f"  {row['label']}: {event}")
        for traceback in row.get("tracebacks", [])[:3]:
            print(f"  {row['label']}: faulthandler:\n" + "\n".join("    " + line for line in traceback.splitlines()))
    if record.get("pages_changing_reader_cookies"):
        print("  note: the site sent signed-in readers a new cookie on "
              f"{', '.join(record['pages_changing_reader_cookies'])}: wrk kept sending the old one")
    for event in record.get("setup_crash_events", [])[:10]:
        print(f"  setup: {event}")
    for traceback in record.get("setup_tracebacks", [])[:3]:
        print("  setup: faulthandler:\n" + "\n".join("    " + line for line in traceback.splitlines()))
    if record.get("readers_signed_out_after_run"):
        print(f"  signed out after the run: {', '.join(record['readers_signed_out_after_run'])}")
