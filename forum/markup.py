"""User text in, safe HTML out: the one writer of rendered Markdown, and the only module that imports bleach or
the Markdown parser.

Two layers, each enough on its own for the cases it covers:
1. markdown-it-py (CommonMark, tables, strikethrough) with raw HTML disabled, so `<script>` typed by a user is
   rendered as text, and with links limited to http, https, mailto and relative addresses.
2. bleach with a small allowlist over the parser's output, which catches anything the parser lets through.

Both are pure Python, and each element costs each of them tens of microseconds, so a render is bounded: text is
rendered as Markdown up to the first place where it would pass a cap (table rows, list items, links, emphasis,
nesting, elements in all), and from there on it is shown as plain text, escaped and never dropped. That rest never
meets the parser, so it needs neither layer: html.escape leaves no markup in it. bench/markup_worst.py times the
worst text the forms accept.

bleach is deprecated upstream (maintenance only, no new features). It is pinned in requirements.txt and kept
behind this module, so replacing it (with nh3, say) touches this file and its tests and nothing else.
"""
import html
import re
import threading
from collections.abc import Mapping

import bleach
from bleach.html5lib_shim import Filter
from markdown_it import MarkdownIt
from markdown_it.token import Token

ALLOWED_TAGS = frozenset({
    "p", "br", "strong", "em", "del", "a", "code", "pre", "blockquote", "ul", "ol", "li",
    "h2", "h3", "h4", "hr", "table", "thead", "tbody", "tr", "th", "td",
})
# No style (the CSP forbids inline style), no class, no table alignment: the site's CSS decides how things look.
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "ol": ["start"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"  # user links earn no search ranking and get no handle on our window

# The story's title is the page's h1, so every Markdown heading moves one level down, and h4 is the floor.
HEADING_TAGS = {"h1": "h2", "h2": "h3", "h3": "h4", "h4": "h4", "h5": "h4", "h6": "h4"}
ELLIPSIS = "…"

# C0 controls other than tab, newline and carriage return, DEL, and lone surrogates: none means anything in a
# story, HTML calls the controls parse errors, and a lone surrogate cannot be encoded into the UTF-8 response.
# CommonMark already turns NUL into U+FFFD; the rest get the same treatment so nothing vanishes silently.
_UNWANTED_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_NEWLINES = re.compile(r"\r\n?")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# @name as people type it in a comment: not inside a word or an email address, a username's 3-30 characters.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_-]{3,30})\b")
_WHITESPACE = re.compile(r"\s+")

# --- Bounds: how much of a text renders as Markdown -------------------------------------------------------------
# The scan counts work in units of some 15-20 us of parsing and cleaning on a quiet machine (about twice that on a
# busy one): two for each line and for each list item or quote it opens, two for a table cell, three for a link
# (bleach checks its address and rewrites its rel), one for each emphasis mark (*a* and **a** are two, ***a***
# four), a code span's backticks, a character escaped as an entity, or a blank line after another. The total is set
# by the slowest text the forms accept, which must render in under 100 ms on this 2-core machine under load
# (bench/markup_worst.py; the slowest is about 55 ms quiet). The demo stories one after another render as Markdown
# for their first 39,000 characters (test_a_long_real_story_renders_as_markdown_for_30000_characters); a
# story as dense as the densest demo story (a table on every screen) reaches the cap at about 14,000 characters.
# The rest of such a story is plain text: every word there, its line breaks kept.
MAX_ELEMENTS = 1_400  # units, all kinds together: what the parser's and bleach's time grows with
MAX_TABLE_ROWS = 200  # in one table; the parser's time on a table grows faster than its rows
MAX_TABLE_COLUMNS = 20  # a table wider than this is unreadable on any screen
MAX_LIST_ITEMS = 500  # a checklist of every topic runs to a few hundred
MAX_LINKS = 300  # links, images, autolinks and mentions; a story cites a few dozen at most
# Runs of *, _ or ~ (two to a bold word): the parser pairs them up per paragraph, costlier than their count says.
MAX_EMPHASIS = 500
# Quotes and lists inside each other. The parser silently drops whatever lies past its own limit (20 levels, a
# list taking two), so the text must stop being Markdown well before that to be shown at all.
MAX_NESTING = 8
_LINE, _CONTAINER, _CELL, _LINK, _INLINE = 2, 2, 2, 3, 1  # the costs, in those units
# What the scan recognises on a line before it is parsed. Each count is an upper bound (a `[` may never become a
# link, `_` inside a word never emphasis), so a cap can come early, never late.
_INDENT = re.compile(r"[ \t]*")
_CONTAINER_MARKER = re.compile(r"(?:>|(?:[-+*]|\d{1,9}[.)])(?=[ \t]|$))[ \t]*")  # a quote's >, a list item's bullet
_TABLE_DELIMITER_CELL = re.compile(r"[ \t]*:?-+:?[ \t]*")
# An emphasis run, a code span's backticks, what may open a link (an image's [, an autolink's <, a mention's @),
# a character escaped as an entity, a character the parser stops at.
_INLINE_MARK = re.compile(r"(?P<emphasis>[*_~]+)|`+|(?P<link>[\[<@])|[>&\"!\\\]]")


def _is_allowed_link(url: str) -> bool:
    """Whether markdown-it may turn `[text](url)` into a link; it passes the url already percent-encoded.

    An address with no scheme (`/s/12`, `#part`) is relative to this site and allowed. Anything refused stays
    as the literal text the user typed, as markdown-it does for javascript: on its own.
    """
    match = _SCHEME.match(url)
    return match is None or match.group(1).lower() in ALLOWED_PROTOCOLS


def _make_parser() -> MarkdownIt:
    parser = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    parser.enable(["table", "strikethrough"])
    parser.validateLink = _is_allowed_link
    # The inline parser stops at each of these to try its rules; by default it also stops at characters kept for
    # plugins we do not use (- : % + = @ $ # ^ { }), a few microseconds each, which a line of dashes multiplies.
    # Only the rules enabled above start at the characters kept here, so the output is the same.
    parser.inline.terminator_re = re.compile(r"[\n!&*<\[\\\]_`~]")
    return parser


_parser = _make_parser()


def _prepare(source: str) -> str:
    """Replace the unwanted characters, and end every line with \\n as the parser would (the scan splits on it)."""
    return _NEWLINES.sub("\n", _UNWANTED_CHARS.sub("\ufffd", source))


class _Scan:
    """One pass over a text, line by line, counting what rendering it would cost until a count passes its cap."""

    def __init__(self):
        self.elements = self.list_items = self.links = self.emphasis = 0
        self.columns = self.rows = 0  # the table being read, if any
        self.header = -1  # where the last line holding a | starts: a table's header, if a delimiter row follows
        self.blank = False  # whether the last line was blank

    def spend(self, *, elements: int, list_items: int = 0, links: int = 0, emphasis: int = 0) -> bool:
        """Add to the counts; False once any of them is past its cap."""
        self.elements += elements
        self.list_items += list_items
        self.links += links
        self.emphasis += emphasis
        return (self.elements <= MAX_ELEMENTS and self.list_items <= MAX_LIST_ITEMS and self.links <= MAX_LINKS
                and self.emphasis <= MAX_EMPHASIS)

    def past_caps(self, line: str, start: int) -> int:
        """Count one line (starting at offset `start`); where the Markdown must stop, or -1 to read on."""
        if not line.strip():
            self.columns, self.header = 0, -1  # a blank line ends a table, and parts a header from its delimiter
            again, self.blank = self.blank, True
            # Blank lines in a row mean no more than one, yet the parser reads each.
            return start if again and not self.spend(elements=_INLINE) else -1
        self.blank = False
        nesting, markers, bullets, content_start = _containers(line)
        content = line[content_start:]
        if self.columns:
            self.rows += 1
            cost = _LINE + _CELL * self.columns
            if self.rows > MAX_TABLE_ROWS:
                return start
        elif self.header >= 0 and (columns := _delimiter_columns(content)):
            if columns > MAX_TABLE_COLUMNS:
                return self.header
            self.columns, self.rows = columns, 0
            cost = 2 * _LINE + _CELL * columns  # the header row's cells; <thead> and <tbody>
        else:
            cost = _LINE + _CONTAINER * markers
        if nesting > MAX_NESTING or not self.spend(elements=cost, list_items=bullets):
            return start
        self.header = start if "|" in content and not self.columns else -1
        past = self._inline_past_caps(content)
        return start + content_start + past if past >= 0 else -1

    def _inline_past_caps(self, content: str) -> int:
        """Count a line's inline marks; the offset of the first one past a cap, or -1."""
        for mark in _INLINE_MARK.finditer(content):
            kind = mark.lastgroup
            cost = _LINK if kind == "link" else (len(mark.group()) + 1) // 2 if kind == "emphasis" else _INLINE
            if not self.spend(elements=cost, links=kind == "link", emphasis=kind == "emphasis"):
                return mark.start()
        return -1


def _containers(line: str) -> tuple[int, int, int, int]:
    """(nesting, markers, bullets, where the content starts) for a line's leading quote markers and list bullets.

    Nesting counts the markers, and a level for every two columns of indentation before them, the least a
    nested list item needs. Counting stops past MAX_NESTING, so a line of 30,000 markers costs no more.
    """
    indent = _INDENT.match(line).end()
    position, markers, bullets = indent, 0, 0
    while markers <= MAX_NESTING and (match := _CONTAINER_MARKER.match(line, position)):
        markers += 1
        bullets += line[position] != ">"
        position = match.end()
    nesting = markers + len(line[:indent].expandtabs(4)) // 2 if markers else 0
    return nesting, markers, bullets, position


def _delimiter_columns(content: str) -> int:
    """How many columns a table's delimiter row (| --- | :-: |) has; 0 if the line is not one."""
    stripped = content.strip()
    if "-" not in stripped or stripped.strip("|-: \t"):
        return 0
    cells = stripped.strip("|").split("|")
    return len(cells) if all(_TABLE_DELIMITER_CELL.fullmatch(cell) for cell in cells) else 0


def _markdown_length(source: str) -> int:
    """How much of the source renders as Markdown: all of it, or what comes before the first line (or inline
    mark) past a cap. Regular expressions over the lines up to that place: cheap next to parsing them."""
    scan = _Scan()
    start = 0
    for line in source.split("\n"):
        past = scan.past_caps(line, start)
        if past >= 0:
            return past
        start += len(line) + 1
    return len(source)


def _image_as_link(image: Token, inside_link: bool) -> list[Token]:
    """A link to the picture, labelled with its alt text, in place of an <img>.

    Pictures would load from anywhere the author likes (tracking pixels, oversized files) and the CSP allows
    images from this site only, so a reader gets a link to follow instead. Inside a link the label alone is
    kept, because links cannot nest.
    """
    label = image.children or [Token("text", "", 0, content=image.attrGet("src") or "")]
    if inside_link:
        return label
    link_open = Token("link_open", "a", 1, attrs={"href": image.attrGet("src") or ""})
    return [link_open, *label, Token("link_close", "a", -1)]


def _mention_links(text: Token, mentions: Mapping[str, str]) -> list[Token]:
    """Split a text token so each @name in `mentions` (typed name -> username) becomes a link to the profile."""
    pieces: list[Token] = []
    position = 0
    for match in MENTION.finditer(text.content):
        username = mentions.get(match.group(1))
        if username is None:
            continue
        if match.start() > position:
            pieces.append(Token("text", "", 0, content=text.content[position:match.start()]))
        pieces += [Token("link_open", "a", 1, attrs={"href": f"/u/{username}"}),
                   Token("text", "", 0, content=match.group(0)), Token("link_close", "a", -1)]
        position = match.end()
    if not pieces:
        return [text]
    if position < len(text.content):
        pieces.append(Token("text", "", 0, content=text.content[position:]))
    return pieces


def _adjust_inline(children: list[Token], mentions: Mapping[str, str]) -> list[Token]:
    adjusted: list[Token] = []
    link_depth = 0
    for child in children:
        if child.type == "link_open":
            link_depth += 1
        elif child.type == "link_close":
            link_depth -= 1
        elif child.type in ("s_open", "s_close"):
            child.tag = "del"  # struck-out text in a story is a correction: <del> says so, <s> only draws a line
        if child.type == "image":
            adjusted.extend(_image_as_link(child, inside_link=link_depth > 0))
        elif child.type == "text" and mentions and link_depth == 0:
            adjusted.extend(_mention_links(child, mentions))
        else:
            adjusted.append(child)
    return adjusted


def _adjust(tokens: list[Token], mentions: Mapping[str, str]) -> list[Token]:
    """Fit the parser's tokens to the allowlist: demote headings, drop table style, turn images into links;
    link the mentions."""
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = HEADING_TAGS[token.tag]
        elif token.type in ("th_open", "td_open"):
            token.attrs.pop("style", None)
        elif token.type == "inline" and token.children:
            token.children = _adjust_inline(token.children, mentions)
    return tokens


class _LinkRelFilter(Filter):
    """Give every <a> the same rel, overwriting whatever was there, so no link escapes the policy."""

    def __iter__(self):
        for token in super().__iter__():
            if token["type"] in ("StartTag", "EmptyTag") and token["name"] == "a":
                token["data"][(None, "rel")] = LINK_REL
            yield token


_cleaners = threading.local()  # a bleach Cleaner keeps parser state between calls, so one per thread


def _cleaner() -> bleach.Cleaner:
    if not hasattr(_cleaners, "cleaner"):
        # strip=False: a tag outside the allowlist is escaped and shown as text, not deleted. Raw HTML never
        # reaches this point (the parser escapes it), so such a tag would be a mistake in _adjust; escaping
        # keeps the author's words and makes the mistake visible, where stripping would drop text silently.
        # It is also bleach's default, and so its most exercised path.
        _cleaners.cleaner = bleach.Cleaner(
            tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
            strip=False, strip_comments=True, filters=[_LinkRelFilter],
        )
    return _cleaners.cleaner


def _clean(html: str) -> str:
    """The bleach pass on its own, exposed so tests can check that cleaning rendered output changes nothing."""
    return _cleaner().clean(html)


def _as_plain_text(text: str) -> str:
    """Text past a cap, as it was typed: escaped, its line breaks kept, in one paragraph (string methods only,
    however many lines)."""
    text = text.strip()
    if not text:
        return ""
    lines = html.escape(text, quote=False).replace("\n", "<br>\n")
    return f"<p>{lines}</p>\n"


def render(source: str, mentions: Mapping[str, str] | None = None) -> str:
    """Markdown to HTML that is safe to mark as Markup; the same source always gives the same HTML.

    `mentions` maps each @name typed in the source that belongs to a member to that member's username; those
    become links to the profile (outside code and links). The caller looks them up, so this module stays pure.
    Past a cap (see Bounds above) the text is shown as plain text.
    """
    source = _prepare(source)
    length = _markdown_length(source)
    env: dict = {}
    tokens = _adjust(_parser.parse(source[:length], env), mentions or {})
    return _clean(_parser.renderer.render(tokens, _parser.options, env)) + _as_plain_text(source[length:])


def _inline_text(children: list[Token]) -> str:
    parts = []
    for child in children:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
        elif child.type == "image":
            parts.append(_inline_text(child.children or []))
    return "".join(parts)


def _plain_text(source: str) -> str:
    source = _prepare(source)
    length = _markdown_length(source)
    parts = []
    for token in _parser.parse(source[:length]):
        if token.type == "inline":
            parts.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        parts.append(" ")  # every block boundary is a word boundary
    parts.append(source[length:])
    return _WHITESPACE.sub(" ", "".join(parts)).strip()


def render_plain_excerpt(source: str, max_chars: int = 280) -> str:
    """The words of a story without its markup, at most max_chars long, for teasers and search snippets.

    Plain text, not HTML: nothing is escaped here, the template's autoescaping does that. A cut falls at the
    last space that fits and ends with an ellipsis, which counts toward max_chars.
    """
    text = _plain_text(source)
    if len(text) <= max_chars:
        return text
    if max_chars < 1:
        return ""
    cut = text[:max_chars - 1]
    if text[max_chars - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return (cut.rstrip(" ,;:.-–—") or cut) + ELLIPSIS
