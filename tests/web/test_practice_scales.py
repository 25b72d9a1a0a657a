"""A scale per practice score: the story form decides it by the assessment and the day it was taken (forum.scales),
stores it with the score, offers only the story's step's assessments in natural order, and the migration that
corrected stored rows reports what it changed. Runs on the catalogue as shipped (forum/data/resources.json)."""
import json
import logging
import os
import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from forum import catalogue
from forum.extensions import db
from forum.models import PracticeScore, Resource, ResourceScale, Story
from tests.builders import make_user, post_form, sign_in


@pytest.fixture
def shipped(app) -> dict[str, Resource]:
    """The real catalogue, by slug."""
    catalogue.load()
    db.session.commit()
    return {r.slug: r for r in db.session.scalars(sa.select(Resource))}


@pytest.fixture
def writer(client):
    user = make_user("scaled_writer", background="img", created_at=datetime(2020, 1, 1))
    sign_in(client, user)
    return user


def step_1_story(practice: list[tuple[Resource, str, str]], **overrides) -> dict:
    """A pass/fail Step 1 story (August 2023, passed) with the given (assessment, score, day) practice rows."""
    data = {"title": "Passed Step 1 on percent NBMEs", "step": "step1", "exam_month": "2023-08", "attempt": "1",
            "outcome": "passed", "score": "", "background": "img", "prep_weeks": "8",
            "resources-0-name": "", "resources-0-rating": "", "resources-0-note": "",
            "body": "Questions every morning, review every afternoon, flashcards at night.",
            "submission_key": "scales-key-1", "publish": "Publish"}
    for i, (resource, score, taken_on) in enumerate(practice):
        data.update({f"practice-{i}-assessment": str(resource.id), f"practice-{i}-score": score,
                     f"practice-{i}-taken_on": taken_on})
    data.update(overrides)
    return data


def error_of(response, field: str) -> str:
    match = re.search(rf'id="{field}-error">([^<]*)<', response.get_data(as_text=True))
    return match.group(1) if match else ""


def stored() -> list[tuple[str, float, str]]:
    db.session.rollback()
    return [(p.resource.slug, p.score, p.scale)
            for p in db.session.scalars(sa.select(PracticeScore).order_by(PracticeScore.taken_on))]


# The catalogue


def test_the_catalogue_loads_dated_scales_and_a_second_load_changes_nothing(shipped):
    periods = sorted(((p.valid_from or date.min), p.scale) for p in shipped["nbme-cbssa-30"].scale_periods)
    assert periods == [(date.min, "three_digit"), (date(2022, 2, 1), "either"), (date(2022, 3, 1), "percent")]
    assert all(p.source for p in shipped["nbme-cbssa-30"].scale_periods)
    assert shipped["nbme-cbssa-30"].scale == "percent"  # what it reports today
    count = db.session.scalar(sa.select(sa.func.count()).select_from(ResourceScale))
    assert catalogue.load()["updated"] == 0
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ResourceScale)) == count


def test_loading_follows_the_file_by_start_day_and_reads_dates_and_sources(shipped, tmp_path):
    entries = json.loads(catalogue.CATALOGUE_PATH.read_text(encoding="utf-8"))
    entry = next(e for e in entries if e["slug"] == "nbme-cbssa-30")
    path = tmp_path / "resources.json"

    def load_with(**changes) -> int:
        entry.update(changes)
        path.write_text(json.dumps(entries), encoding="utf-8")
        updated = catalogue.load(path)["updated"]
        db.session.commit()
        return updated

    assert load_with(scales=[{"from": None, "scale": "three_digit", "source": "test: before"},
                             {"from": "2022-03-01", "scale": "percent", "source": "test: after"}]) == 1
    resource = db.session.scalar(sa.select(Resource).where(Resource.slug == "nbme-cbssa-30"))
    assert sorted(((p.valid_from or date.min), p.scale, p.source) for p in resource.scale_periods) == [
        (date.min, "three_digit", "test: before"), (date(2022, 3, 1), "percent", "test: after")]
    assert load_with(released="2021-03-02", retired=None, source="test: NBME notice") == 1
    db.session.refresh(resource)
    assert (resource.released_on, resource.retired_on, resource.source) == (date(2021, 3, 2), None,
                                                                            "test: NBME notice")


# The form decides and stores the scale


def test_a_2023_step_1_nbme_percent_is_accepted_and_stored_as_a_percent(client, writer, shipped):
    response = post_form(client, "/stories/new", step_1_story([(shipped["nbme-cbssa-30"], "68", "2023-07-15")]))
    assert response.status_code == 302, error_of(response, "practice-0-score")
    assert stored() == [("nbme-cbssa-30", 68.0, "percent")]


def test_a_percent_on_a_2021_nbme_form_is_refused_naming_its_scale(client, writer, shipped):
    data = step_1_story([(shipped["nbme-cbssa-30"], "68", "2021-05-01")], exam_month="2021-06", score="238")
    response = post_form(client, "/stories/new", data)
    assert response.status_code == 400
    assert error_of(response, "practice-0-score") == (
        "NBME CBSSA Form 30 taken before 1 February 2022 reports a 3-digit score: enter it like 231.")
    assert stored() == []


def test_a_three_digit_value_on_a_2023_nbme_form_is_refused_naming_its_scale_and_the_day(client, writer, shipped):
    response = post_form(client, "/stories/new", step_1_story([(shipped["nbme-cbssa-30"], "221", "2023-07-15")]))
    assert response.status_code == 400
    assert error_of(response, "practice-0-score") == (
        "NBME CBSSA Form 30 taken on or after 1 March 2022 reports a percent correct: enter it like 68.")


def test_in_the_month_of_the_switch_the_value_decides_the_scale(client, writer, shipped):
    data = step_1_story([(shipped["nbme-cbssa-28"], "231", "2022-02-05"),
                         (shipped["nbme-cbssa-29"], "68", "2022-02-26")], exam_month="2022-03")
    response = post_form(client, "/stories/new", data)
    assert response.status_code == 302, error_of(response, "practice-0-score") + error_of(response, "practice-1-score")
    assert stored() == [("nbme-cbssa-28", 231.0, "three_digit"), ("nbme-cbssa-29", 68.0, "percent")]


def test_uwsa_keeps_its_three_digit_score_beside_percent_nbme_forms(client, writer, shipped):
    data = step_1_story([(shipped["nbme-cbssa-31"], "71", "2023-07-08"),
                         (shipped["uwsa-2-step-1"], "232", "2023-07-22"),
                         (shipped["free-120-step-1"], "77", "2023-07-29")])
    assert post_form(client, "/stories/new", data).status_code == 302
    assert stored() == [("nbme-cbssa-31", 71.0, "percent"), ("uwsa-2-step-1", 232.0, "three_digit"),
                        ("free-120-step-1", 77.0, "percent")]


def test_a_percent_typed_for_a_uwsa_is_refused(client, writer, shipped):
    response = post_form(client, "/stories/new", step_1_story([(shipped["uwsa-2-step-1"], "64", "2023-07-22")]))
    assert response.status_code == 400
    assert error_of(response, "practice-0-score") == "UWSA 2 (Step 1) reports a 3-digit score: enter it like 231."


def test_a_ck_form_on_a_step_1_story_is_refused(client, writer, shipped):
    response = post_form(client, "/stories/new", step_1_story([(shipped["nbme-ccssa-10"], "231", "2023-07-15")]))
    assert response.status_code == 400
    assert error_of(response, "practice-0-assessment") == (
        "NBME CCSSA Form 10 is a Step 2 CK assessment; choose one for Step 1.")
    assert stored() == []


def test_an_assessment_for_two_steps_is_valid_for_either(client, writer, shipped):
    response = post_form(client, "/stories/new", step_1_story([(shipped["amboss-self-assessment"], "226",
                                                                 "2023-07-01")]))
    assert response.status_code == 302
    assert stored() == [("amboss-self-assessment", 226.0, "three_digit")]


# The select


def assessment_select(html: str) -> str:
    return re.search(r'<select[^>]*name="practice-0-assessment".*?</select>', html, re.S).group(0)


def test_assessments_are_grouped_by_step_in_natural_order(client, writer, shipped):
    select = assessment_select(client.get("/stories/new").get_data(as_text=True))
    assert re.findall(r'<optgroup label="([^"]+)">', select) == ["Step 1", "Step 2 CK", "Step 3"]
    groups = dict(re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select, re.S))
    ck = re.findall(r">([^<]+)</option>", groups["Step 2 CK"])
    forms = [name for name in ck if name.startswith("NBME CCSSA")]
    assert forms == sorted(forms, key=lambda name: int(name.rsplit(" ", 1)[1]))
    assert forms.index("NBME CCSSA Form 6") < forms.index("NBME CCSSA Form 10")
    step_1 = re.findall(r">([^<]+)</option>", groups["Step 1"])
    assert "NBME CCSSA Form 10" not in step_1 and "NBME CBSSA Form 30" in step_1
    assert "AMBOSS Self-Assessment" in step_1 and "AMBOSS Self-Assessment" in ck
    assert all(f'data-step="{code}"' in groups[label] for code, label in
               [("step1", "Step 1"), ("step2ck", "Step 2 CK"), ("step3", "Step 3")])


def test_the_form_loads_the_script_that_hides_other_steps(client, writer, shipped):
    page = client.get("/stories/new").get_data(as_text=True)
    assert re.search(r'<script src="/static/js/practice\.js[^"]*" defer></script>', page)
    assert "data-step" in client.get("/static/js/practice.js").get_data(as_text=True)


# Editing


def typed_score(html: str, row: int) -> str:
    return re.search(rf'<input[^>]*name="practice-{row}-score"[^>]*value="([^"]*)"', html).group(1)


def test_editing_shows_each_score_on_its_scale_and_saves_them_unchanged(client, writer, shipped):
    data = step_1_story([(shipped["nbme-cbssa-30"], "68.5", "2023-07-01"), (shipped["uwsa-2-step-1"], "232",
                                                                          "2023-07-22")])
    post_form(client, "/stories/new", data)
    story = db.session.scalar(sa.select(Story))
    page = client.get(f"/stories/{story.id}/edit").get_data(as_text=True)
    assert typed_score(page, 0) == "68.5" and typed_score(page, 1) == "232"
    edit = {**data, "practice-0-score": "68.5", "title": "Passed Step 1 on percent NBME forms",
            "publish": "Save changes"}
    response = post_form(client, f"/stories/{story.id}/edit", edit)
    assert response.status_code == 302, error_of(response, "practice-0-score")
    assert stored() == [("nbme-cbssa-30", 68.5, "percent"), ("uwsa-2-step-1", 232.0, "three_digit")]


# The migration that corrected stored rows


def migration_url(backend: str, tmp_path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'scales.db'}"
    return os.environ["TEST_DATABASE_URL"].rsplit("/", 1)[0] + "/test_practice_scales"


@pytest.fixture(params=["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else []))
def empty_database(request, tmp_path):
    """A database of its own, so migrating it step by step disturbs no other test's schema."""
    url = migration_url(request.param, tmp_path)
    if request.param == "postgresql":
        admin = sa.create_engine(os.environ["TEST_DATABASE_URL"], isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS test_practice_scales"))
            conn.execute(sa.text("CREATE DATABASE test_practice_scales"))
        yield url
        with admin.connect() as conn:
            conn.execute(sa.text("DROP DATABASE IF EXISTS test_practice_scales WITH (FORCE)"))
        admin.dispose()
    else:
        yield url


def test_the_scales_migration_moves_rows_to_the_scale_their_value_makes_sense_on_and_reports_them(
        empty_database, tmp_path, caplog):
    from flask_migrate import upgrade

    from forum import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret-key-not-for-production",
                      "SQLALCHEMY_DATABASE_URI": empty_database, "MAIL_OUTBOX": str(tmp_path)})
    table = lambda name, *columns: sa.table(name, *(sa.column(c) for c in columns))  # noqa: E731
    with app.app_context():
        upgrade(revision="0010_trustworthy_record")
        with db.engine.begin() as conn:
            conn.execute(table("users", "id", "username", "username_key", "username_fold", "email", "password_hash",
                               "created_at").insert().values(
                id=1, username="old_writer", username_key="old_writer", username_fold="old-writer",
                email="old@example.org", password_hash="x", created_at=datetime(2020, 1, 1)))
            conn.execute(table("resources", "id", "slug", "name", "kind", "steps", "scale").insert(), [
                {"id": 1, "slug": "nbme-cbssa-30", "name": "NBME CBSSA Form 30", "kind": "self-assessment",
                 "steps": "step1", "scale": "three_digit"},
                {"id": 2, "slug": "uwsa-2-step-1", "name": "UWSA 2 (Step 1)", "kind": "self-assessment",
                 "steps": "step1", "scale": "three_digit"},
                {"id": 3, "slug": "free-120-step-1", "name": "USMLE Step 1 Free 120", "kind": "self-assessment",
                 "steps": "step1", "scale": "percent"}])
            conn.execute(table("stories", "id", "author_id", "title", "slug", "body", "body_html", "step",
                               "exam_month", "attempt", "outcome", "created_at").insert(), [
                {"id": 1, "author_id": 1, "title": "Scored era", "slug": "scored-era", "body": "b", "body_html": "b",
                 "step": "step1", "exam_month": date(2021, 6, 1), "attempt": 1, "outcome": "passed",
                 "created_at": datetime(2021, 7, 1)},
                {"id": 2, "author_id": 1, "title": "Pass/fail era", "slug": "pass-fail-era", "body": "b",
                 "body_html": "b", "step": "step1", "exam_month": date(2023, 8, 1), "attempt": 1,
                 "outcome": "passed", "created_at": datetime(2023, 9, 1)}])
            conn.execute(table("practice_scores", "id", "story_id", "resource_id", "score", "scale",
                               "taken_on").insert(), [
                {"id": 1, "story_id": 1, "resource_id": 1, "score": 221, "scale": "three_digit",
                 "taken_on": date(2021, 5, 1)},  # a 3-digit score on the 3-digit report: right as it is
                {"id": 2, "story_id": 2, "resource_id": 1, "score": 68, "scale": "three_digit",
                 "taken_on": date(2023, 7, 15)},  # NBME's percent stored as a 3-digit 68
                {"id": 3, "story_id": 2, "resource_id": 2, "score": 64, "scale": "three_digit",
                 "taken_on": date(2023, 7, 22)},  # a UWSA's percent correct typed for its 3-digit score
                {"id": 4, "story_id": 2, "resource_id": 3, "score": 77, "scale": "percent",
                 "taken_on": date(2023, 7, 29)},  # a percent on a percent report: right as it is
                {"id": 5, "story_id": 2, "resource_id": 3, "score": 231, "scale": "percent",
                 "taken_on": date(2023, 7, 30)},  # cannot be a percent
                {"id": 6, "story_id": 2, "resource_id": 1, "score": 215, "scale": "three_digit",
                 "taken_on": date(2023, 7, 1)}])  # a 3-digit value where NBME reported a percent: kept, listed
        with caplog.at_level(logging.WARNING, logger="alembic.runtime.migration"):
            upgrade(revision="0011_practice_scales")
        with db.engine.connect() as conn:
            scales_now = dict(conn.execute(sa.text("SELECT id, scale FROM practice_scores ORDER BY id")).all())
            scores_now = dict(conn.execute(sa.text("SELECT id, score FROM practice_scores ORDER BY id")).all())
        db.engine.dispose()
    assert scales_now == {1: "three_digit", 2: "percent", 3: "percent", 4: "percent", 5: "three_digit",
                          6: "three_digit"}
    assert scores_now == {1: 221, 2: 68, 3: 64, 4: 77, 5: 231, 6: 215}  # values are never touched
    log = [record.getMessage() for record in caplog.records if record.name == "alembic.runtime.migration"]
    assert ("NBME CBSSA Form 30: 1 practice score(s) moved from three_digit to percent, the only scale their value "
            "makes sense on: ids 2") in log
    assert any(line.startswith("UWSA 2 (Step 1): 1 practice score(s) moved from three_digit to percent")
               and line.endswith("ids 3") for line in log)
    assert any(line.startswith("USMLE Step 1 Free 120: 1 practice score(s) moved from percent to three_digit")
               and line.endswith("ids 5") for line in log)
    assert any(line.startswith("NBME CBSSA Form 30: 1 practice score(s) kept on their value's scale")
               and line.endswith("ids 6") for line in log)


# Insights


def test_the_practice_fit_reads_each_scores_own_scale_not_what_the_assessment_reports_today(app):
    """A Step 1 NBME form reports a percent today; the 3-digit scores of the scored era stay 3-digit in insights."""
    from datetime import timedelta

    from forum.insights import data
    from forum.models import utcnow
    from tests.builders import make_resource, make_story

    form = make_resource("NBME CBSSA Form 30", slug="nbme-cbssa-30", kind="self-assessment", steps=("step2ck",),
                         scale="percent")  # on CK stories only so that a recent exam year still has a score
    month = date(utcnow().year - 1, 6, 1)
    author = make_user()
    for i in range(12):
        story = make_story(author, step="step2ck", exam_month=month, outcome="passed", score=230 + i)
        db.session.add(PracticeScore(story_id=story.id, resource_id=form.id, score=220 + i, scale="three_digit",
                                     taken_on=month - timedelta(days=10)))
    db.session.commit()
    assert data.compute("step2ck").practice_fit("nbme-cbssa-30").scale == "three_digit"
