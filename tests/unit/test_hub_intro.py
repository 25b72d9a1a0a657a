"""forum.hubs.intro: a hub's intro cut after its opening paragraph, both halves well formed."""
from forum import markup
from forum.hubs.intro import split_intro


def test_the_opening_paragraph_is_shown_and_the_rest_kept_for_the_details():
    lead, rest = split_intro(markup.render("First *one*.\n\nSecond.\n\n- a list\n- of two"))
    assert lead == "<p>First <em>one</em>.</p>"
    assert rest.startswith("<p>Second.</p>") and rest.endswith("</ul>")


def test_an_intro_of_one_paragraph_has_nothing_to_fold():
    assert split_intro(markup.render("Only this.")) == ("<p>Only this.</p>", "")


def test_an_intro_that_opens_with_anything_but_a_paragraph_is_shown_whole():
    html = markup.render("## Welcome\n\nThen a paragraph.\n\nAnd another.")
    assert split_intro(html) == (html.strip(), "")
