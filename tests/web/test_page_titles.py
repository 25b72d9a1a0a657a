"""A filtered listing says what it shows, in its <title> and its <h1>: "Step 1 stories", not "Stories"."""
import html
import re

from tests.builders import make_listing_shelf

SITE = " · Step Stories"

# (url, the <title> before the site's name, the <h1>)
CASES = [
    ("/stories", "Stories", "Stories"),
    ("/stories?step=step1", "Step 1 stories", "Step 1 stories"),
    ("/stories?step=step2ck&outcome=passed", "Step 2 CK stories that passed", "Step 2 CK stories that passed"),
    ("/stories?outcome=pending&background=img", "IMG stories that await a result",
     "IMG stories that await a result"),
    ("/stories?background=other", "Other-background stories", "Other-background stories"),
    ("/stories?verified=1&journey=failed-then-passed&resource=uworld-step-2-ck",
     "Verified stories that failed, then passed, using UWorld Step 2 CK QBank",
     "Verified stories that failed, then passed, using UWorld Step 2 CK QBank"),
    ("/stories?q=nbme&sort=new", "Stories mentioning “nbme”", "Stories mentioning “nbme”"),
    ("/stories?step=nonsense&outcome=maybe", "Stories", "Stories"),  # what is ignored is not named
    ("/search", "Search", "Search stories"),
    ("/search?q=uworld", "Search: uworld", "Search: uworld"),
    ("/search?q=uworld&step=step1&outcome=failed", "Search: uworld in Step 1 stories that failed",
     "Search: uworld in Step 1 stories that failed"),
    ("/search?step=step1&step=step3&attempt=retake", "Search: Step 1 or Step 3 retake stories",
     "Search: Step 1 or Step 3 retake stories"),
    ("/search?resource=amboss&year=2023&score_min=230&score_max=250",
     "Search: stories, using AMBOSS from 2023, scoring 230–250",
     "Search: stories, using AMBOSS from 2023, scoring 230–250"),
    ("/search?verified=1&score_min=240", "Search: verified stories, scoring 240 or more",
     "Search: verified stories, scoring 240 or more"),
]


def test_titles_and_headings_say_what_is_filtered(app, client):
    make_listing_shelf()
    for url, title, heading in CASES:
        page = client.get(url).get_data(as_text=True)
        assert re.findall(r"<title>(.*?)</title>", page)[:1] == [html.escape(title + SITE, quote=False)], url
        h1 = re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)
        assert [html.unescape(re.sub(r"<[^>]+>", "", h).strip()) for h in h1] == [heading], url


def test_a_search_for_markup_is_named_as_text(app, client):
    page = client.get("/search?q=<b>bold</b>").get_data(as_text=True)
    assert "<title>Search: &lt;b&gt;bold&lt;/b&gt;" + SITE + "</title>" in page
