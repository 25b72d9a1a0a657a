"""Settings read from the environment, with defaults that are safe for a laptop.

Every setting a deployment may change is an environment variable; nothing secret is committed.
"""
import os
import secrets
from datetime import timedelta
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment asks for something the app refuses to run with."""


MIN_SECRET_LENGTH = 32


def _flag(name: str, default: str = "0") -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance_path: Path) -> str:
    """A secret generated once per checkout into instance/, so local sessions survive restarts."""
    path = instance_path / "secret_key"
    if not path.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _cache_settings(redis_url: str | None, prefix: str) -> dict:
    common = {"CACHE_DEFAULT_TIMEOUT": int(os.environ.get("FORUM_CACHE_SECONDS", "300")), "CACHE_KEY_PREFIX": prefix}
    if redis_url:
        return {**common, "CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": redis_url}
    return {**common, "CACHE_TYPE": "SimpleCache", "CACHE_THRESHOLD": 2000}


def from_environment(instance_path: str) -> dict:
    """Build the Flask config mapping for this process from os.environ."""
    instance = Path(instance_path)
    production = os.environ.get("FORUM_ENV", "development") == "production"
    https = _flag("FORUM_HTTPS")

    secret = os.environ.get("SECRET_KEY")
    if not secret:
        if production:
            raise ConfigError(
                "FORUM_ENV=production needs SECRET_KEY: a key generated on one host would differ "
                "between hosts and sign everyone out on every restart."
            )
        secret = _instance_secret(instance)
    elif production and len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"SECRET_KEY is {len(secret)} characters; production needs at least {MIN_SECRET_LENGTH} random ones "
            "(python -c 'import secrets; print(secrets.token_urlsafe(48))'): it signs every session cookie."
        )

    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'forum.db'}"
    # Every key this site writes to Redis starts with it: two sites (or two test runs) can share one server.
    redis_prefix = os.environ.get("FORUM_REDIS_PREFIX", "ss:")

    return {
        "FORUM_ENV": "production" if production else "development",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # 1 MiB is far above the longest story (60,000 characters of Markdown) and far below anything abusive.
        "MAX_CONTENT_LENGTH": 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": https,
        "REMEMBER_COOKIE_DURATION": timedelta(days=30),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": https,
        "FORUM_HTTPS": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        # A CSRF token lives as long as the session: a story written over an afternoon still posts.
        "WTF_CSRF_TIME_LIMIT": None,
        # The anonymous-page cache (forum/caching.py): per process unless Redis is configured.
        "FORUM_PAGE_CACHE": _flag("FORUM_PAGE_CACHE", "1"),
        **_cache_settings(os.environ.get("CACHE_REDIS_URL") or os.environ.get("REDIS_URL"), redis_prefix),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI")
        or os.environ.get("REDIS_URL")
        or "memory://",
        "RATELIMIT_KEY_PREFIX": f"{redis_prefix}limit",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": not _flag("FORUM_DISABLE_RATELIMITS"),
        "PROXY_HOPS": int(os.environ.get("FORUM_PROXY_HOPS", "0")),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "587")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Step Stories <no-reply@stepstories.local>"),
        "MAIL_OUTBOX": str(instance / "outbox"),
        # argon2id cost; OWASP's second recommended set (19 MiB, 2 passes). Tests lower it for speed.
        "ARGON2_TIME_COST": 2,
        "ARGON2_MEMORY_COST": 19 * 1024,
    }
