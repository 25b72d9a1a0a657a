"""State of the site as a whole, shared by every process that serves it."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CacheVersion(db.Model):
    """A number per cache scope ("site", "listings", "search", "insights", "story:17"): a write raises the scopes
    it changed, in its own transaction, and a cached page is keyed by the numbers of the scopes it shows
    (forum/caching.py). A scope without a row is at 0.

    It lives in the database, not in the cache, because the default cache is per process: a write in one
    gunicorn worker must retire the pages every other worker (and host) holds.
    """

    __tablename__ = "cache_versions"

    scope: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
