"""Fixtures for the web tests."""
import pytest
from flask import before_render_template, has_request_context, request

from forum import markup
from forum.database import holds_write_lock
from tests.builders import QueryCounter


@pytest.fixture(autouse=True)
def nothing_rendered_while_writing(monkeypatch):
    """Every web test checks, at each template and Markdown render, that the request does not hold SQLite's write
    lock: from a transaction's first write to its commit every other writer waits, so rendering belongs before the
    writes or after the commit (forum/database.py). Builders and CLI commands, outside requests, may. On PostgreSQL
    there is no such lock and nothing to check."""
    renders_inside_writes = set()

    def check(what: str) -> None:
        if has_request_context() and holds_write_lock():
            renders_inside_writes.add(f"{what} in {request.method} {request.path}")

    def on_template(_app, template, **_context):
        check(f"template {template.name}")

    render = markup.render

    def checked_render(source, *args, **kwargs):
        check("Markdown")
        return render(source, *args, **kwargs)

    before_render_template.connect(on_template, weak=False)
    monkeypatch.setattr(markup, "render", checked_render)
    try:
        yield
    finally:
        before_render_template.disconnect(on_template)
    assert not renders_inside_writes, f"rendered while holding the SQLite write lock: {sorted(renders_inside_writes)}"


@pytest.fixture
def page_queries(app, client, monkeypatch):
    """page_queries(url) -> (cold, warm): the SQL statements the page itself runs on a first and a repeated GET.

    The page cache is off while the test runs: with it on, a repeated anonymous GET is answered from the cache in
    one query (the cache versions), and memoised values (similar stories, search, insights) skip their queries,
    so a count would say nothing about the page. Counting both requests also catches work done only once.
    """
    monkeypatch.setitem(app.config, "FORUM_PAGE_CACHE", False)

    def count(url: str) -> tuple[int, int]:
        counts = []
        for _ in range(2):
            with QueryCounter() as counter:
                response = client.get(url)
            assert response.status_code == 200, url
            assert not any("cache_versions" in s for s in counter.statements), "the page cache answered"
            counts.append(counter.count)
        return counts[0], counts[1]

    return count
