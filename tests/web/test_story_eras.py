"""A story shows the era it was taken in, where it matters."""
from datetime import date

from tests.builders import make_story


def page(client, story) -> str:
    return client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)


def test_a_ck_story_under_218_says_the_standard_is_known_from_secondary_sources_only(client):
    story = make_story(step="step2ck", exam_month=date(2025, 9, 1), score=240)
    html = page(client, story)
    assert "Passing standard then: 218, in force from 1 July 2025" in html
    assert "known from secondary sources only; not yet confirmed on usmle.org" in html


def test_a_pass_fail_step1_story_says_so_and_shows_the_new_software(client):
    story = make_story(step="step1", exam_month=date(2026, 6, 1), score=None)
    html = page(client, story)
    assert "Pass/fail era: Step 1 has reported pass or fail only since 26 January 2022" in html
    assert "New exam software: 30-minute blocks, from 14 May 2026" in html


def test_a_scored_step1_story_says_it_was_scored(client):
    html = page(client, make_story(step="step1", exam_month=date(2019, 6, 1), score=231))
    assert "Scored era: Step 1 reported a 3-digit score and pass/fail" in html
    assert "secondary sources" not in html
