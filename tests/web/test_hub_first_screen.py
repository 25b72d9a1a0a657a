"""A hub's first screen: the intro's opening paragraph, the rest one click away in a <details> (no script), then
the featured cards; the front page keeps the seed page's intro word for word."""
import html as entities
import re

from forum import curation
from forum.extensions import db
from tests.builders import make_story


def page_text(html: str) -> str:
    return " ".join(entities.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_front_page_shows_the_opening_paragraph_then_the_cards_with_the_rest_one_click_away(client):
    curation.ensure_hubs()
    curation.feature(hub=curation.get_hub("home"), story=make_story(title="Passed CK after a fail"), actor=None)
    db.session.commit()
    html = client.get("/").get_data(as_text=True)
    intro = curation.hub_texts()["home"]["intro"]
    first, second = (paragraph[:60] for paragraph in intro.split("\n\n")[:2])
    details = html.index('<details class="hub-intro-more">')
    assert html.index(first) < details < html.index("<summary>Read the full introduction</summary>") \
        < html.index(second) < html.index("</details>") < html.index('class="feature-card"')
    assert html.index("</p>", html.index(first)) < details  # the opening paragraph is outside the fold, whole
    # Word for word: every word of the shipped intro, in order (the seed page's text, hub-seed.txt)
    text, at = page_text(html), 0
    for word in intro.split():
        at = text.index(word, at) + len(word)
    assert "When you hear USMLE, the United States Medical Licensing Examination, a three-step test" in text
    assert "who’ve walked this path. They break down how to prep smart" in text


def test_a_step_hub_folds_its_intro_the_same_way(client):
    html = client.get("/steps/step-1").get_data(as_text=True)
    lead, rest = curation.hub_texts()["step1"]["intro"].split("\n\n", 1)
    assert html.index(lead[:50]) < html.index("<summary>Read the full introduction</summary>") \
        < html.index(rest[:50])

