"""Each idea has one home: URLs come from forum/urls.py, labels and dates from the domain modules (through
forum/labels.py). These read the source, so a template or view that restates one fails here, not in review."""
import re
from pathlib import Path

import pytest

FORUM = Path(__file__).resolve().parents[2] / "forum"
TEMPLATES = sorted((FORUM / "templates").rglob("*.html")) + sorted((FORUM / "templates").rglob("*.xml"))
SOURCES = sorted(p for p in FORUM.rglob("*.py") if p.name != "urls.py")

# Endpoints that have a builder in forum/urls.py: nothing else spells them out.
BUILT = ("stories.show", "comments.permalink", "users.profile", "resources.show", "hubs.step")


@pytest.mark.parametrize("path", TEMPLATES + SOURCES, ids=lambda p: str(p.relative_to(FORUM)))
def test_pages_with_a_builder_are_linked_through_it(path):
    text = path.read_text()
    for endpoint in BUILT:
        assert not re.search(rf"url_for\(\s*['\"]{re.escape(endpoint)}['\"]", text), \
            f"use forum.urls ({endpoint}) instead of url_for"


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(FORUM)))
def test_templates_restate_no_label_and_format_no_date(path):
    text = path.read_text()
    assert not re.search(r"strftime\(['\"][^'\"]*%[aAbBdpI]", text), "use a date filter from forum.labels"
    assert ".split(" not in text, "take the value from the domain module, not from a rendered line"
    for label in ("'Awaiting result'", "'US MD'", "'This week'", "'Relevance'"):
        assert label not in text, f"{label} belongs to its domain module"
