"""The catalogue as candidates know it: each form's page says when it was released and retired, the scale it
reported when, and the source; an unsourced date reads "unknown"; the index marks retired forms; loading the
catalogue file again changes nothing."""
import html
import json
import re

import pytest
import sqlalchemy as sa

from forum import catalogue
from forum.extensions import db
from forum.models import Resource, ResourceAlias, ResourceScale
from tests.builders import make_resource


@pytest.fixture
def loaded(app):
    catalogue.load()
    db.session.commit()


def page_text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def fact_lines(client, url: str) -> list[str]:
    """The lines of the page's Released / Retired / Scale list, as text."""
    page = client.get(url).get_data(as_text=True)
    block = re.search(r'<ul class="fact-list">(.*?)</ul>', page, re.S)
    assert block, url
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
            for item in re.findall(r"<li>(.*?)</li>", block.group(1), re.S)]


def test_a_retired_form_shows_its_dates_its_source_and_that_old_stories_may_name_it(client, loaded):
    assert fact_lines(client, "/resources/nbme-cbssa-20")[:2] == ["Released 25 March 2019", "Retired 2 March 2021"]
    text = page_text(client, "/resources/nbme-cbssa-20")
    assert "Retired forms stay valid for stories of their time" in text
    assert "Source: Released 25 March 2019: NBME's announcement" in text
    assert "elitemedicalprep.com/how-reliable-will-the-new-nbme-forms-be" in text


def test_a_date_no_source_gives_reads_unknown(client, loaded):
    assert fact_lines(client, "/resources/nbme-cbssa-31")[:2] == ["Released: unknown", "Retired: unknown"]
    text = page_text(client, "/resources/nbme-cbssa-31")
    assert "Retired forms stay valid" not in text
    assert "Source: Release date: unknown (no source dates it)." in text


def test_the_page_tells_the_scale_history_of_a_step_1_form(client, loaded):
    text = page_text(client, "/resources/nbme-cbssa-26")
    assert ("Scale: 3-digit score until 31 January 2022; 3-digit score or percent correct in February 2022 "
            "(no source says which: the value decides); percent correct from 1 March 2022") in text
    assert "blog.blueprintprep.com/medical/nbme-step-1-cbse-cbssa-score-report-changes" in text


def test_a_form_with_one_scale_names_it_alone(client, loaded):
    text = page_text(client, "/resources/nbme-ccssa-16")
    assert "Scale: 3-digit score" in text and "Scale: 3-digit score until" not in text


def test_a_resource_with_nothing_dated_or_sourced_shows_no_dates(client):
    make_resource("Pathoma", kind="video")
    text = page_text(client, "/resources/pathoma")
    assert "Released" not in text and "Retired" not in text


def test_the_index_marks_retired_forms_only(client, loaded):
    index = client.get("/resources").get_data(as_text=True)
    cards = dict(re.findall(r'<li class="card">\s*<a href="/resources/([a-z0-9-]+)">(.*?)</li>', index, re.S))
    assert "Retired" in cards["nbme-cbssa-20"] and "02 Mar 2021" in cards["nbme-cbssa-20"]
    assert "Retired" in cards["nbme-cbssa-13"] and "25 Mar 2019" in cards["nbme-cbssa-13"]
    assert "Retired" not in cards["nbme-cbssa-26"]


def test_a_page_with_three_scale_periods_runs_as_many_queries_as_one_with_one(loaded, page_queries):
    assert page_queries("/resources/nbme-cbssa-26") == page_queries("/resources/uwsa-1-step-1")


def catalogue_state() -> tuple:
    resources = db.session.execute(sa.select(
        Resource.slug, Resource.name, Resource.kind, Resource.steps, Resource.description, Resource.scale,
        Resource.released_on, Resource.retired_on, Resource.source).order_by(Resource.slug)).all()
    periods = db.session.execute(sa.select(Resource.slug, ResourceScale.valid_from, ResourceScale.scale,
                                           ResourceScale.source).join(Resource)
                                 .order_by(Resource.slug, ResourceScale.scale, ResourceScale.source)).all()
    aliases = db.session.execute(sa.select(Resource.slug, ResourceAlias.alias_key).join(Resource)
                                 .order_by(Resource.slug, ResourceAlias.alias_key)).all()
    return resources, periods, aliases


def test_loading_the_catalogue_twice_changes_nothing_the_second_time(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["resources", "load"])
    assert first.exit_code == 0, first.output
    before = catalogue_state()
    second = runner.invoke(args=["resources", "load"])
    assert second.exit_code == 0, second.output
    assert "0 added, 0 updated" in second.output
    db.session.expire_all()
    assert catalogue_state() == before
    assert len(before[0]) == len(json.loads(catalogue.CATALOGUE_PATH.read_text(encoding="utf-8")))
