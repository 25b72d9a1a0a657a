"""Search does bounded work for a common word: every sort orders only the newest SEARCH_CANDIDATES matches, the
facet counts and the total are counted once per words and filters and kept, and both backends agree.

The cap is lowered to 5 (and the page to 2 stories) so a few stories stand for a word in most of the table.
"""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum import caching, search
from forum.extensions import db, limiter
from forum.models import Story, utcnow
from forum.search import SearchRequest
from tests.builders import make_comment, make_story, make_user, post_form, sign_in
from tests.conftest import BACKENDS, app_for, delete_all_rows

CAP, PAGE = 5, 2
WORD = "zephyr"  # in no builder's default text


@pytest.fixture(autouse=True)
def small_cap(monkeypatch):
    monkeypatch.setattr(search, "SEARCH_CANDIDATES", CAP)
    monkeypatch.setattr(search, "PAGE_SIZE", PAGE)


def build() -> dict[str, int]:
    """Seven stories match WORD, one of them through a comment only; the two oldest, both Step 1, are outside the
    newest five, and the oldest has the title hit and the most votes of all. Ids by name."""
    start = utcnow() - timedelta(days=30)
    specs = [  # oldest first: (name, title, body mentions WORD, fields)
        ("old_star", f"A {WORD} plan that worked", True, dict(step="step1", votes=50)),
        ("old_plain", "Step 1 in ten weeks", True, dict(step="step1", votes=1)),
        ("third", "Third story", True, dict(votes=7)),
        ("via_comment", "Fourth story", False, dict(votes=3)),
        ("title_hit", f"My {WORD} in brief", True, dict(votes=0)),
        ("most_votes", "Sixth story", True, dict(votes=9)),
        ("newest", "Seventh story", True, dict(votes=2)),
        ("unrelated", "Nothing to see", False, dict(votes=100)),
        ("removed", "Removed story", True, dict(votes=40, status="removed")),
    ]
    author = make_user()
    ids = {}
    for n, (name, title, mentions, fields) in enumerate(specs):
        body = f"Week by week with a {WORD} schedule. " if mentions else "Question banks every morning. "
        ids[name] = make_story(author, title=title, body=body * 3, created_at=start + timedelta(days=n), **fields).id
    make_comment(db.session.get(Story, ids["via_comment"]), body=f"The {WORD} method helped me too.")
    return ids


@pytest.fixture
def stories(app) -> dict[str, int]:
    return build()


def names(ids: dict[str, int], found: list[int]) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[i] for i in found]


def every_page(q: SearchRequest) -> list[int]:
    found, page = [], 1
    while True:
        result = search.search(SearchRequest(**{**q.__dict__, "page": page}))
        found += [s.id for s in result.stories]
        if not result.has_next:
            return found
        page += 1


@pytest.mark.parametrize(("sort", "expected"), [
    ("relevance", ["title_hit", "most_votes", "third", "via_comment", "newest"]),
    ("top", ["most_votes", "third", "via_comment", "newest", "title_hit"]),
    ("new", ["newest", "most_votes", "title_hit", "via_comment", "third"]),
])
def test_every_sort_orders_only_the_newest_matches(stories, sort, expected):
    """The oldest match has the title hit and 50 votes, and is still not reachable: it is not among the newest."""
    assert names(stories, every_page(SearchRequest(text=WORD, sort=sort))) == expected


def test_the_total_and_the_facets_count_every_match_not_only_the_candidates(stories):
    result = search.search(SearchRequest(text=WORD))
    assert result.total == 7 and result.capped and result.ranked == CAP
    assert {f.value: f.count for f in result.facets["step"]} == {"step1": 2, "step2ck": 5}


def test_paging_stops_at_the_cap(stories):
    pages = [search.search(SearchRequest(text=WORD, page=n)) for n in (1, 2, 3, 4)]
    assert [len(p.stories) for p in pages] == [2, 2, 1, 0]
    assert [p.has_next for p in pages] == [True, True, False, False]


def test_filters_apply_before_the_cap_so_narrowing_reaches_older_stories(stories):
    result = search.search(SearchRequest(text=WORD, steps=["step1"]))
    assert names(stories, [s.id for s in result.stories]) == ["old_star", "old_plain"]
    assert result.total == 2 and not result.capped


def test_the_page_says_when_matches_are_beyond_the_cap(client, stories):
    capped = client.get(f"/search?q={WORD}").get_data(as_text=True)
    assert "7 stories" in capped and f"Only the newest {CAP} of these" in capped
    narrowed = client.get(f"/search?q={WORD}&step=step1").get_data(as_text=True)
    assert "2 stories" in narrowed and "Only the newest" not in narrowed


class Statements:
    """The SQL statements and their parameters sent while active."""

    def __init__(self):
        self.sent: list[tuple[str, list]] = []

    def __enter__(self):
        sa.event.listen(db.engine, "before_cursor_execute", self._remember)
        return self

    def __exit__(self, *exc):
        sa.event.remove(db.engine, "before_cursor_execute", self._remember)

    def _remember(self, conn, cursor, statement, parameters, *args):
        values = list(parameters.values()) if isinstance(parameters, dict) else list(parameters or ())
        self.sent.append((statement, values))

    def counting(self) -> list[tuple[str, list]]:
        return [(s, p) for s, p in self.sent if "matched AS" in s]


def test_the_counting_statement_carries_the_candidate_limit(app, stories, monkeypatch):
    monkeypatch.setitem(app.config, "FORUM_PAGE_CACHE", False)
    with Statements() as sent:
        search.search(SearchRequest(text=WORD))
    [(statement, parameters)] = sent.counting()
    assert "LIMIT" in statement.upper() and CAP in parameters


def test_the_ranking_statement_reads_only_the_candidates(app, stories, monkeypatch):
    """The page is ordered over the candidates' ids, by primary key: it never evaluates the match again."""
    monkeypatch.setitem(app.config, "FORUM_PAGE_CACHE", False)
    for sort in search.SORTS:
        with Statements() as sent:
            search.search(SearchRequest(text=WORD, sort=sort))
        [(statement, parameters)] = [(s, p) for s, p in sent.sent
                                     if "ORDER BY" in s and "LIMIT" in s and "matched AS" not in s]
        for body_index in ("search_stories ", "search_comments", "stories.search_vector", "comments.search_vector"):
            assert body_index not in statement, sort
        newest = {stories[n] for n in ("newest", "most_votes", "title_hit", "via_comment", "third")}
        assert newest <= set(parameters), sort


def test_the_number_of_statements_does_not_depend_on_the_matches(page_queries, stories):
    urls = [f"/search?q={WORD}", f"/search?q={WORD}&sort=top&page=2", f"/search?q={WORD}&sort=new&step=step1",
            "/search?q=brief", "/search?q=method", "/search"]
    counts = {url: page_queries(url) for url in urls}
    assert len(set(counts.values())) == 1, counts


def test_the_facets_are_counted_once_for_every_page_and_sort_and_kept_across_votes(app, client, stories):
    member = make_user()  # before the first search: a builder's write declares nothing, which retires everything

    def counted(url: str) -> int:
        with Statements() as sent:
            assert client.get(url).status_code == 200
        return len(sent.counting())

    assert counted(f"/search?q={WORD}") == 1
    assert counted(f"/search?q={WORD}&sort=top") == 0
    assert counted(f"/search?q={WORD}&page=2&sort=new") == 0
    assert counted(f"/search?q={WORD}&step=step1") == 1  # other filters, another matched set
    voter = app.test_client()
    sign_in(voter, member)
    assert post_form(voter, f"/stories/{stories['third']}/vote", {"value": "1"},
                     token_from="/auth/register").status_code in (200, 302)
    db.session.commit()
    assert db.session.get(Story, stories["third"]).votes == 8
    assert counted(f"/search?q={WORD}&page=3") == 0


QUERIES = [SearchRequest(text=WORD), SearchRequest(text=WORD, sort="top", page=2),
           SearchRequest(text=WORD, sort="new", page=3), SearchRequest(text=WORD, steps=["step1"]),
           SearchRequest(text=f"{WORD} -brief"), SearchRequest(text="brief OR weeks"), SearchRequest(),
           SearchRequest(sort="top", page=2), SearchRequest(text="method")]


def answers() -> list:
    ids = build()
    out = []
    for q in QUERIES:
        result = search.search(q)
        out.append((q, names(ids, [s.id for s in result.stories]), result.total, result.has_next,
                    {name: [(f.value, f.count) for f in values] for name, values in result.facets.items()}))
    return out


def test_sqlite_and_postgresql_give_the_same_ids_totals_and_facets(tmp_path_factory):
    if "postgresql" not in BACKENDS:
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL to compare SQLite with")
    found = {}
    for backend in ("sqlite", "postgresql"):
        app = app_for(backend, tmp_path_factory)
        with app.app_context():
            delete_all_rows()
            limiter.reset()
            caching.reset()
            try:
                found[backend] = answers()
            finally:
                db.session.remove()
    for on_sqlite, on_postgresql in zip(found["sqlite"], found["postgresql"], strict=True):
        assert on_sqlite == on_postgresql
    assert [len(a[1]) for a in found["sqlite"]][:4] == [2, 2, 1, 2]
