"""On a phone the results come before the facets and filters, on /search and /stories; on a wide screen the facets
stand beside the results."""
import pytest

from forum.extensions import db

pytestmark = pytest.mark.e2e

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# (page, its first result, its facets or filters)
LISTINGS = [("/search?step=step2ck", ".search-hit", "aside.facets"), ("/stories", "article.story-card", "form.filters")]


def test_results_come_before_the_facets_on_a_phone_and_beside_them_on_a_desktop(page, live_server):
    from tests.builders import make_story, make_user

    with live_server["app"].app_context():
        author = make_user("e2e_layout_writer")
        for n in range(3):
            make_story(author, title=f"CK story number {n} for the layout")
        db.session.remove()

    for url, result, facets in LISTINGS:
        page.set_viewport_size(PHONE)
        page.goto(url)
        first, aside = page.locator(result).first.bounding_box(), page.locator(facets).bounding_box()
        assert first["y"] + first["height"] <= aside["y"], (url, "phone", first, aside)
        page.set_viewport_size(DESKTOP)
        first, aside = page.locator(result).first.bounding_box(), page.locator(facets).bounding_box()
        assert aside["x"] >= first["x"] + first["width"] and aside["y"] < first["y"] + first["height"], (
            url, "desktop", first, aside)
    assert page.problems == []
