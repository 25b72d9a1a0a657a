"""How the site writes dates and times: English month names from a table, never strftime's %B or %b, which
follow the process locale (a worker started under de_DE would write "Juni"). Times are naive UTC throughout."""
from datetime import date, datetime

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")


def month_label(d: date) -> str:
    """'June 2025': how a story names its exam month."""
    return f"{MONTH_NAMES[d.month - 1]} {d.year}"


def short_month_label(d: date) -> str:
    """'Jun 2025', for chips where space is short."""
    return f"{MONTH_NAMES[d.month - 1][:3]} {d.year}"


def day_label(d: date) -> str:
    """'3 June 2025', in sentences (rules and error messages)."""
    return f"{d.day} {month_label(d)}"


def short_day_label(d: date) -> str:
    """'03 Jun 2025', in listings and tables."""
    return f"{d.day:02d} {short_month_label(d)}"


def moment_label(moment: datetime) -> str:
    """'03 Jun 2025 14:05' (UTC), for comments, notifications and the moderation log."""
    return f"{short_day_label(moment)} {moment:%H:%M}"


def datetime_attr(moment: date | datetime) -> str:
    """'2025-06-03T14:05:09Z' (or '2025-06-03' for a date): the value of a <time datetime> attribute, to the second.
    The W3C validator refuses the microseconds isoformat() writes for the values the database keeps."""
    if isinstance(moment, datetime):
        return f"{moment.isoformat(timespec='seconds')}Z"
    return moment.isoformat()
