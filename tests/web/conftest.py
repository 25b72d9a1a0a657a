"""Fixtures for the web tests."""
import pytest

from tests.builders import QueryCounter


@pytest.fixture
def page_queries(app, client, monkeypatch):
    """page_queries(url) -> (cold, warm): the SQL statements the page itself runs on a first and a repeated GET.

    The page cache is off while the test runs: with it on, a repeated anonymous GET is answered from the cache in
    one query (the cache generation), and memoised values (similar stories, search, insights) skip their queries,
    so a count would say nothing about the page. Counting both requests also catches work done only once.
    """
    monkeypatch.setitem(app.config, "FORUM_PAGE_CACHE", False)

    def count(url: str) -> tuple[int, int]:
        counts = []
        for _ in range(2):
            with QueryCounter() as counter:
                response = client.get(url)
            assert response.status_code == 200, url
            assert not any("cache_generation" in s for s in counter.statements), "the page cache answered"
            counts.append(counter.count)
        return counts[0], counts[1]

    return count
