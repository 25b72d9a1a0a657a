"""The parts of bounded search that need no database: what a query's kept counts are keyed by, and when the page
must say that only the newest matches are sorted."""
from forum import search
from forum.search import SearchRequest, SearchResult


def key(q: SearchRequest) -> str:
    return repr(search._facets_only(q))


def test_the_counts_are_keyed_by_the_filters_alone_whatever_the_page_sort_or_order():
    first = SearchRequest(text="uworld", steps=["step1", "step2ck"], resources=["amboss", "uworld"], sort="top", page=7)
    same = SearchRequest(text="UWorld", steps=["step2ck", "step1"], resources=["uworld", "amboss"], page=2)
    assert key(first) == key(same)
    assert key(first) != key(SearchRequest(steps=["step1"], resources=["amboss", "uworld"]))
    assert key(first) != key(SearchRequest(steps=["step1", "step2ck"], resources=["amboss", "uworld"], year=2024))


def result(total: int) -> SearchResult:
    return SearchResult(stories=[], snippets={}, facets={}, total=total, page=1, has_next=False)


def test_only_a_total_past_the_cap_is_capped():
    assert not result(search.SEARCH_CANDIDATES).capped
    assert result(search.SEARCH_CANDIDATES).ranked == search.SEARCH_CANDIDATES
    assert result(search.SEARCH_CANDIDATES + 1).capped
    assert result(search.SEARCH_CANDIDATES + 1).ranked == search.SEARCH_CANDIDATES
    assert result(3).ranked == 3
