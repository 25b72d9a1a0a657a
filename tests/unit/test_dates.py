"""The machine-readable times the pages print: to the second, in UTC, never with microseconds."""
import re
from datetime import date, datetime
from pathlib import Path

from forum.dates import datetime_attr

TEMPLATES = Path(__file__).resolve().parents[2] / "forum" / "templates"
VALID_DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def test_the_datetime_attribute_never_carries_microseconds():
    for moment in (datetime(2026, 12, 1, 3, 4, 5, 678901), datetime(2026, 12, 1, 3, 4, 5, 1),
                   datetime(2026, 12, 1, 3, 4, 5), datetime(2026, 12, 1)):
        assert VALID_DATETIME.fullmatch(datetime_attr(moment)), datetime_attr(moment)
    assert datetime_attr(datetime(2026, 12, 1, 3, 4, 5, 678901)) == "2026-12-01T03:04:05Z"
    assert datetime_attr(date(2026, 12, 1)) == "2026-12-01"


def test_templates_write_datetime_attributes_through_the_filter():
    """isoformat() in a template would print the microseconds the database keeps: vnu refuses them."""
    pattern = re.compile(r'datetime="\{\{(?![^}]*\|datetime_attr \}\}")')
    offenders = [f"{path.relative_to(TEMPLATES)}:{number}" for path in TEMPLATES.rglob("*.html")
                 for number, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []
