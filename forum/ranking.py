"""Ranking: the hot score, stored in an indexed column and recomputed on each vote.

Reddit's form: log10 of the votes plus the age in 12.5-hour units. Because the time term grows for every new story
instead of decaying old ones, a story's score only changes when its votes do, so an index on it stays valid.
"""
import math
from datetime import datetime, timedelta

HOT_EPOCH = datetime(2025, 1, 1)  # any fixed moment; only differences matter. Recent, to keep floats small.
HOT_WINDOW_SECONDS = 45_000  # 12.5 h of age is worth one tenfold of votes
TOP_WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30),
               "year": timedelta(days=365), "all": None}
TOP_WINDOW_LABELS = {"day": "Today", "week": "This week", "month": "This month", "year": "This year",
                     "all": "All time"}


def hot(votes: int, created_at: datetime) -> float:
    """sign(s)·log10(max(|s|, 1)) + seconds/45000: newer wins ties, tenfold votes buy 12.5 hours."""
    order = math.log10(max(abs(votes), 1))
    sign = (votes > 0) - (votes < 0)
    seconds = (created_at - HOT_EPOCH).total_seconds()
    return round(sign * order + seconds / HOT_WINDOW_SECONDS, 7)


def top_since(window: str, now: datetime) -> datetime | None:
    """The earliest creation time a story may have to count in a Top window; None for all time."""
    span = TOP_WINDOWS[window]
    return None if span is None else now - span
