"""Settings read from the environment, with defaults that are safe for a laptop.

Every setting a deployment may change is an environment variable; nothing secret is committed.
"""
import os
import secrets
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    """The environment asks for something the app refuses to run with."""


MIN_SECRET_LENGTH = 32
DEFAULT_BASE_URL = "http://127.0.0.1:5000"  # where `make run` serves
# How mail reaches the relay, and the port each way uses unless MAIL_PORT says otherwise (RFC 8314, RFC 6409).
MAIL_SECURITY_PORTS = {"starttls": 587, "tls": 465, "none": 25}
# MAIL_SECURITY=none sends the SMTP password and every reset link in clear: only to a relay on this host.
LOCAL_MAIL_HOSTS = {"localhost", "127.0.0.1", "::1"}
PER_PROCESS_RATELIMIT_STORAGE = "memory://"


def _flag(name: str, default: str = "0", environ: Mapping[str, str] = os.environ) -> bool:
    return environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


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
    # An LRU bounded in bytes as well as entries: one page can weigh a megabyte (forum/caching.py).
    return {**common, "CACHE_TYPE": "forum.caching.bounded_memory_cache", "CACHE_THRESHOLD": 2000,
            "CACHE_MAX_BYTES": int(os.environ.get("FORUM_CACHE_MAX_MB", "48")) * 2**20,
            "CACHE_MAX_ENTRY_BYTES": 2 * 2**20}


def _base_url(production: bool) -> str:
    """FORUM_BASE_URL, checked: every link that leaves the site (mail, feeds, sitemap, API) is built on it, never on
    the Host a request claims, so it must be given where the default (the `make run` address) is wrong."""
    value = os.environ.get("FORUM_BASE_URL", "").strip()
    if not value:
        if production:
            raise ConfigError(
                "FORUM_ENV=production needs FORUM_BASE_URL, the address readers use (https://stepstories.example): "
                "links in mail, feeds and the sitemap are built on it, and other Host names are refused.")
        return DEFAULT_BASE_URL
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username or parts.query or parts.fragment:
        raise ConfigError(f"FORUM_BASE_URL={value!r} is not a site address like https://stepstories.example "
                          "(http or https, a host, optionally a port and a path; nothing else).")
    return value.rstrip("/")


def _trusted_hosts(base_url: str) -> list[str]:
    """The Host names production answers (Flask's TRUSTED_HOSTS): the base URL's, plus FORUM_TRUSTED_HOSTS
    (comma-separated; e.g. the address an internal health check uses). Any other Host gets a 400."""
    extra = [host.strip() for host in os.environ.get("FORUM_TRUSTED_HOSTS", "").split(",") if host.strip()]
    return [urlsplit(base_url).hostname, *extra]


def _mail_settings() -> dict:
    """MAIL_SECURITY: `starttls` (the default; port 587), `tls` (implicit TLS, port 465, the default when MAIL_PORT
    is 465) or `none` (only to a relay on this host). The server's certificate is always verified, against the
    system's CAs or MAIL_CA_FILE."""
    server = os.environ.get("MAIL_SERVER", "")
    port = os.environ.get("MAIL_PORT", "")
    security = os.environ.get("MAIL_SECURITY", "").strip().lower() or ("tls" if port == "465" else "starttls")
    if security not in MAIL_SECURITY_PORTS:
        raise ConfigError(f"MAIL_SECURITY={security!r}: use one of {', '.join(MAIL_SECURITY_PORTS)}.")
    if security == "none" and server and server not in LOCAL_MAIL_HOSTS:
        raise ConfigError(f"MAIL_SECURITY=none would send the SMTP password and reset links in clear to {server}; "
                          "it is allowed only for a relay on this host (localhost). Use starttls or tls.")
    return {
        "MAIL_SERVER": server,
        "MAIL_SECURITY": security,
        "MAIL_PORT": int(port or MAIL_SECURITY_PORTS[security]),
        "MAIL_CA_FILE": os.environ.get("MAIL_CA_FILE", ""),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Step Stories <no-reply@stepstories.local>"),
    }


def ratelimit_storage(environ: Mapping[str, str] = os.environ) -> str:
    return environ.get("RATELIMIT_STORAGE_URI") or environ.get("REDIS_URL") or PER_PROCESS_RATELIMIT_STORAGE


def several_workers_problem(workers: int, environ: Mapping[str, str] = os.environ) -> str | None:
    """Why `workers` server processes must not start with these settings, or None when they may.

    Rate-limit counters in memory:// live in each process, so N workers would each allow the full limit: N times
    what the site advertises. The app cannot count its server's workers; gunicorn.conf.py asks this at start-up.
    Development (`make run`, one process) and production without limits are free to run as they like.
    """
    if workers <= 1 or environ.get("FORUM_ENV") != "production" or _flag("FORUM_DISABLE_RATELIMITS", environ=environ):
        return None
    storage = ratelimit_storage(environ)
    if not storage.startswith(PER_PROCESS_RATELIMIT_STORAGE):
        return None
    return (f"FORUM_ENV=production with {workers} workers and rate-limit counters kept in each worker "
            f"({storage}) would multiply every limit by {workers}. Set REDIS_URL (or RATELIMIT_STORAGE_URI) to a "
            "Redis server the workers share, run one worker, or set FORUM_DISABLE_RATELIMITS=1 to run without limits.")


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
    base_url = _base_url(production)

    return {
        "FORUM_ENV": "production" if production else "development",
        "FORUM_BASE_URL": base_url,
        # Flask answers any other Host with a 400; development answers every Host (links never use it anyway).
        "TRUSTED_HOSTS": _trusted_hosts(base_url) if production else None,
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
        "RATELIMIT_STORAGE_URI": ratelimit_storage(),
        "RATELIMIT_KEY_PREFIX": f"{redis_prefix}limit",
        "RATELIMIT_HEADERS_ENABLED": True,
        "RATELIMIT_ENABLED": not _flag("FORUM_DISABLE_RATELIMITS"),
        "PROXY_HOPS": int(os.environ.get("FORUM_PROXY_HOPS", "0")),
        **_mail_settings(),
        "MAIL_OUTBOX": str(instance / "outbox"),
        # Background jobs (forum/jobs.py): an RQ queue on this Redis, or, without one, after the response.
        "JOBS_REDIS_URL": os.environ.get("JOBS_REDIS_URL") or os.environ.get("REDIS_URL") or "",
        "JOBS_QUEUE": f"{redis_prefix}jobs",
        # argon2id cost; OWASP's second recommended set (19 MiB, 2 passes). Tests lower it for speed.
        "ARGON2_TIME_COST": 2,
        "ARGON2_MEMORY_COST": 19 * 1024,
    }
