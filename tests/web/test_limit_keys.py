"""The counters that views spend themselves (stories, comments, votes, sign-in failures...) live under the site's
key prefix, like Flask-Limiter's own: two sites, or two test runs, on one Redis never share an allowance.

Before, they were stored under bare ids ("story/12"): a member of one site spent another site's member 12's
allowance, and counters left by an earlier run on the same Redis refused a fresh run's first sign-in.
"""
import uuid

import pytest
import redis

from forum import create_app, posting_limits


@pytest.fixture
def shared_redis(redis_url):
    client = redis.Redis.from_url(redis_url)
    prefixes = [f"sstest{uuid.uuid4().hex[:8]}:" for _ in range(2)]
    yield prefixes
    for prefix in prefixes:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
    client.close()


def site(prefix: str, redis_url: str, tmp_path):
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-not-for-production",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'limits.db'}",
                       "RATELIMIT_STORAGE_URI": redis_url, "FORUM_REDIS_PREFIX": prefix,
                       "RATELIMIT_KEY_PREFIX": f"{prefix}limit", "MAIL_OUTBOX": str(tmp_path)})


def test_two_sites_on_one_redis_keep_their_own_allowances(shared_redis, redis_url, tmp_path):
    first, second = (site(prefix, redis_url, tmp_path) for prefix in shared_redis)
    item = posting_limits.STORY_LIMIT_NEW_ACCOUNT
    with first.app_context():
        spent = [posting_limits.spend(item, "story", "12") for _ in range(item.amount + 1)]
    assert spent[:item.amount] == [0] * item.amount and spent[-1] > 0  # the first site's member 12 is paused
    with second.app_context():
        assert posting_limits.wait(item, "story", "12") == 0  # another site's member 12 is not
        assert posting_limits.spend(item, "story", "12") == 0
