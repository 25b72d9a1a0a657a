"""User text in, safe HTML out: the one writer of rendered Markdown, and the only module that imports bleach or
the Markdown parser.

Two layers, each enough on its own for the cases it covers:
1. markdown-it-py (CommonMark, tables, strikethrough) with raw HTML disabled, so `<script>` typed by a user is
   rendered as text, and with links limited to http, https, mailto and relative addresses.
2. bleach with a small allowlist over the parser's output, which catches anything the parser lets through.

bleach is deprecated upstream (maintenance only, no new features). It is pinned in requirements.txt and kept
behind this module, so replacing it (with nh3, say) touches this file and its tests and nothing else.
"""
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
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
# @name as people type it in a comment: not inside a word or an email address, a username's 3-30 characters.
MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9_-]{3,30})\b")
_WHITESPACE = re.compile(r"\s+")


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
    return parser


_parser = _make_parser()


def _prepare(source: str) -> str:
    return _UNWANTED_CHARS.sub("\ufffd", source)


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


def render(source: str, mentions: Mapping[str, str] | None = None) -> str:
    """Markdown to HTML that is safe to mark as Markup; the same source always gives the same HTML.

    `mentions` maps each @name typed in the source that belongs to a member to that member's username; those
    become links to the profile (outside code and links). The caller looks them up, so this module stays pure.
    """
    source = _prepare(source)
    env: dict = {}
    tokens = _adjust(_parser.parse(source, env), mentions or {})
    return _clean(_parser.renderer.render(tokens, _parser.options, env))


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
    parts = []
    for token in _parser.parse(_prepare(source)):
        if token.type == "inline":
            parts.append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content)
        parts.append(" ")  # every block boundary is a word boundary
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
