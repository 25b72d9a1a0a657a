"""With REDIS_URL, separate app processes (hosts) share one set of rate-limit counters and one page cache.

Two gunicorns, each its own master and worker, stand in for two hosts behind a proxy: they share the database
and the Redis server and nothing else. With the in-process defaults each would count and cache on its own.
"""
import uuid

import pytest
import redis

from tests.builders import csrf_token_from, make_story, make_user
from tests.concurrency.conftest import running_server

PUBLIC_HOST = "forum.example"  # behind a proxy every host sees the site's public name


@pytest.fixture
def redis_prefix(redis_url):
    """This test's own key space: counters or pages left by another run on the same server cannot leak in."""
    prefix = f"sstest{uuid.uuid4().hex[:8]}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    try:
        for key in client.scan_iter(match=f"*{prefix}*"):  # the limits library puts its own LIMITS: first
            client.delete(key)
    finally:
        client.close()


@pytest.fixture
def two_hosts(forum_db, redis_url, redis_prefix, tmp_path):
    shared = {"REDIS_URL": redis_url, "FORUM_REDIS_PREFIX": redis_prefix, "FORUM_TRUSTED_HOSTS": PUBLIC_HOST}
    with (running_server(forum_db.url, tmp_path / "a.log", workers=1, **shared) as a,
          running_server(forum_db.url, tmp_path / "b.log", workers=1, **shared) as b):
        yield a, b


def failed_sign_in(visitor, username: str):
    page = visitor.request("/auth/login", headers={"Host": PUBLIC_HOST})
    return visitor.request("/auth/login", {"csrf_token": csrf_token_from(page.body), "login": username,
                                           "password": "not the password at all"}, headers={"Host": PUBLIC_HOST})


def test_two_hosts_count_one_sign_in_limit(forum_db, two_hosts):
    """Ten failures per account and address per 15 minutes, however they are spread over the hosts."""
    from forum.auth.login_limits import FAILURES_PER_ACCOUNT_AND_ADDRESS

    allowed = FAILURES_PER_ACCOUNT_AND_ADDRESS.amount
    username = f"target{uuid.uuid4().hex[:8]}"  # the limit's key: a fresh account, so no earlier run counts
    with forum_db.app.app_context():
        make_user(username)
    a, b = two_hosts
    visitors = [a.visitor(), b.visitor()]
    statuses = [failed_sign_in(visitors[n % 2], username).status for n in range(allowed)]
    assert statuses == [200] * allowed  # the form again, with "wrong username or password"
    assert failed_sign_in(visitors[allowed % 2], username).status == 429
    assert failed_sign_in(visitors[(allowed + 1) % 2], username).status == 429


def test_two_hosts_share_the_page_cache_and_a_write_on_one_retires_it_on_both(forum_db, redis_url, redis_prefix,
                                                                             two_hosts):
    with forum_db.app.app_context():
        author = make_user(f"author{uuid.uuid4().hex[:8]}")
        make_story(author, title="Shared cache story")
    a, b = two_hosts
    host = {"Host": PUBLIC_HOST}
    first = a.visitor().request("/stories", headers=host)
    assert first.status == 200 and "Shared cache story" in first.body
    client = redis.Redis.from_url(redis_url)
    try:
        # page:<viewer class>:<path>?<query>:<scopes>=<versions> (forum/caching.py); "?" is a wildcard to Redis
        cached = [key for key in client.scan_iter(match=f"{redis_prefix}page:anonymous:/stories\\?:*")]
    finally:
        client.close()
    assert cached, "host A's page is not in Redis"
    assert b.visitor().request("/stories", headers=host).body == first.body

    with forum_db.app.app_context():
        make_story(title="Written after the cache was filled")
    for server in (a, b):
        assert "Written after the cache was filled" in server.visitor().request("/stories", headers=host).body
