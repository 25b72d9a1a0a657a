"""State of the site as a whole, shared by every process that serves it."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


class CacheGeneration(db.Model):
    """One row: a number every committed write raises, so cached pages of an older number are never served.

    It lives in the database, not in the cache, because the default cache is per process: a write in one
    gunicorn worker must retire the pages every other worker (and host) holds.
    """

    __tablename__ = "cache_generation"

    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
