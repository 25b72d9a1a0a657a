"""The shipped data files: the resource catalogue and the demo stories keep their shape and respect USMLE rules.

Self-contained on purpose: it reads the JSON directly and re-states the rules it checks, so it does not depend on the
modules that load these files.
"""
import json
import re
import unicodedata
from calendar import monthrange
from datetime import date, timedelta
from pathlib import Path

import pytest

import forum

DATA = Path(forum.__file__).parent / "data"

RESOURCE_KEYS = {"slug", "name", "kind", "steps", "aliases", "scale", "description"}
# Optional: release and retirement days ("YYYY-MM-DD" or null: unknown), where they come from, and the dated scales.
OPTIONAL_RESOURCE_KEYS = {"released", "retired", "source", "scales"}
KINDS = {"qbank", "book", "video", "flashcards", "self-assessment", "podcast", "course", "other"}
STEPS = {"step1", "step2ck", "step2cs", "step3"}
SCALES = {"three_digit", "percent"}
PERIOD_SCALES = SCALES | {"either"}  # "either": the sources leave the scale open, the value decides (forum.scales)
PERCENT_MAX = 100  # a value above it can only be a 3-digit score, at or below it only a percent (forum.scales)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

STORY_KEYS = {"author", "title", "step", "exam_month", "attempt", "outcome", "score", "background", "prep_weeks",
              "resources", "practice", "body"}
AUTHORS = {"maya_img": "img", "dr_okafor": "img", "jules_md": "us_md", "sam_do": "us_do", "priya_r": "img",
           "ben_t": "us_md", "lucia_m": "img", "kwame_a": "other", "hannah_do": "us_do", "arjun_s": "us_md"}
OUTCOMES = {"passed", "failed", "pending"}
FEATURED = {"What Is the Toughest Exam in the USA?": "maya_img",
            "Hardest Medical License Exam: Which One Tops the List?": "dr_okafor"}
MAX_UNKNOWN_NAMES = 3

# Minimum passing scores by exam month (first month the value applies). Checked from 2018 on.
PASSING = {
    "step1": [("2018-01", 194), ("2022-01", 196)],
    "step2ck": [("2018-01", 209), ("2022-07", 214), ("2025-07", 218)],
    "step3": [("2018-01", 198), ("2024-01", 200)],
}


def key(name: str) -> str:
    """How the app compares typed names: case, spacing and punctuation do not matter."""
    return re.sub(r"[^0-9a-z&+]+", "", unicodedata.normalize("NFKC", name).casefold())


def month(text: str) -> date:
    return date.fromisoformat(f"{text}-01")


def passing_score(step: str, exam_month: str) -> int | None:
    value = None
    for start, score in PASSING.get(step, []):
        if exam_month >= start:
            value = score
    return value


@pytest.fixture(scope="module")
def resources() -> list[dict]:
    return json.loads((DATA / "resources.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stories() -> list[dict]:
    return json.loads((DATA / "demo_stories.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def by_key(resources) -> dict[str, list[dict]]:
    """Every name, slug and alias, normalised, to the resources it names (an alias may name several)."""
    index: dict[str, list[dict]] = {}
    for resource in resources:
        for name in {resource["name"], resource["slug"], *resource["aliases"]}:
            entries = index.setdefault(key(name), [])
            if resource not in entries:
                entries.append(resource)
    return index


def resolve(by_key: dict[str, list[dict]], name: str, step: str) -> dict | None:
    """The resource a typed name means for a story's step: one serving that step wins, as in the app."""
    options = by_key.get(key(name), [])
    if not options:
        return None
    return min(options, key=lambda r: (step not in r["steps"], key(r["name"]) != key(name)))


# --- resources.json


def test_catalogue_entries_have_the_expected_shape(resources):
    assert len(resources) >= 45
    for resource in resources:
        assert RESOURCE_KEYS <= set(resource) <= RESOURCE_KEYS | OPTIONAL_RESOURCE_KEYS, resource.get("slug")
        assert isinstance(resource["name"], str) and resource["name"].strip()
        assert resource["kind"] in KINDS, resource["slug"]
        assert resource["steps"] and set(resource["steps"]) <= STEPS, resource["slug"]
        assert len(resource["steps"]) == len(set(resource["steps"])), resource["slug"]
        assert isinstance(resource["description"], str) and resource["description"].strip(), resource["slug"]


def test_slugs_are_unique_and_well_formed(resources):
    slugs = [r["slug"] for r in resources]
    assert len(slugs) == len(set(slugs))
    for slug in slugs:
        assert SLUG.match(slug) and len(slug) <= 80, slug


def test_names_are_unique(resources):
    names = [key(r["name"]) for r in resources]
    assert len(names) == len(set(names))


def test_scale_is_set_exactly_for_self_assessments(resources):
    for resource in resources:
        if resource["kind"] == "self-assessment":
            assert resource["scale"] in SCALES, resource["slug"]
        else:
            assert resource["scale"] is None, resource["slug"]


def day_or_none(text) -> date | None:
    """A "YYYY-MM-DD" day of the calendar, or None (unknown)."""
    if text is None:
        return None
    assert isinstance(text, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", text), text
    try:
        return date.fromisoformat(text)
    except ValueError:
        pytest.fail(f"not a day of the calendar: {text}")


def test_release_and_retirement_days_are_real_days_in_order_with_a_source(resources):
    for resource in resources:
        released, retired = day_or_none(resource.get("released")), day_or_none(resource.get("retired"))
        if released and retired:
            assert released <= retired, resource["slug"]
        if released or retired:
            assert isinstance(resource.get("source"), str) and resource["source"].strip(), resource["slug"]


def test_scale_periods_belong_to_self_assessments_and_each_has_a_known_scale_a_day_and_a_source(resources):
    for resource in resources:
        rows = resource.get("scales")
        if rows is None:
            continue
        slug = resource["slug"]
        assert resource["kind"] == "self-assessment" and isinstance(rows, list) and rows, slug
        for row in rows:
            assert set(row) == {"from", "scale", "source"}, slug
            day_or_none(row["from"])
            assert row["scale"] in PERIOD_SCALES, slug
            assert isinstance(row["source"], str) and row["source"].strip(), slug
        starts = [row["from"] for row in rows]
        assert len(starts) == len(set(starts)), f"{slug}: two periods start on one day"
        assert starts == sorted(starts, key=lambda s: (s is not None, s or "")), f"{slug}: periods out of order"


def test_an_assessments_scale_is_the_one_its_latest_period_reports(resources):
    for resource in resources:
        rows = resource.get("scales")
        if rows and rows[-1]["scale"] != "either":
            assert resource["scale"] == rows[-1]["scale"], resource["slug"]


def test_aliases_are_lower_case_unique_and_never_another_resources_slug(resources):
    slug_keys = {key(r["slug"]): r["slug"] for r in resources}
    for resource in resources:
        aliases = resource["aliases"]
        assert isinstance(aliases, list)
        assert len(aliases) == len(set(aliases)), resource["slug"]
        for alias in aliases:
            assert isinstance(alias, str) and alias.strip() and key(alias), (resource["slug"], alias)
            assert alias == alias.lower(), (resource["slug"], alias)
            other = slug_keys.get(key(alias))
            assert other in (None, resource["slug"]), f"{resource['slug']} alias {alias!r} is the slug of {other}"


def test_step_2_cs_resources_are_only_for_step_2_cs(resources):
    for resource in resources:
        if "step2cs" in resource["steps"]:
            assert resource["steps"] == ["step2cs"], resource["slug"]


def test_required_self_assessments_are_catalogued(resources, by_key):
    def find(name: str, step: str) -> dict:
        found = resolve(by_key, name, step)
        assert found is not None and found["kind"] == "self-assessment", name
        assert step in found["steps"], name
        return found

    for form in range(25, 32):  # a percent correct since February 2022 (forum.scales)
        assert find(f"NBME CBSSA Form {form}", "step1")["scale"] == "percent"
    for form in range(9, 16):
        assert find(f"NBME CCSSA Form {form}", "step2ck")["scale"] == "three_digit"
    assert find("ccmsa", "step3")["scale"] == "three_digit"
    for name, step in [("uwsa1", "step1"), ("uwsa2", "step1"), ("uwsa1", "step2ck"), ("uwsa2", "step2ck"),
                       ("uwsa3", "step2ck"), ("amboss sa", "step1"), ("amboss sa", "step2ck")]:
        assert find(name, step)["scale"] == "three_digit"
    for step in ("step1", "step2ck"):
        assert find("free 120", step)["scale"] == "percent"


def test_shared_aliases_resolve_by_step(by_key):
    assert resolve(by_key, "UW", "step1")["slug"] == "uworld-step-1"
    assert resolve(by_key, "uworld", "step2ck")["slug"] == "uworld-step-2-ck"
    assert resolve(by_key, "UWorld", "step3")["slug"] == "uworld-step-3"
    assert resolve(by_key, "FA", "step2cs")["slug"] == "first-aid-step-2-cs"


def test_every_self_assessment_says_when_it_was_offered_and_where_that_comes_from(resources):
    """Released and retired are always stated, null meaning "unknown": a reader sees the gap, never a guess."""
    for resource in resources:
        if resource["kind"] == "self-assessment":
            assert "released" in resource and "retired" in resource, resource["slug"]
            assert isinstance(resource.get("source"), str) and resource["source"].strip(), resource["slug"]


def test_a_month_only_date_says_so_in_its_source(resources):
    """A source that gives only a month is stored on the 1st, and the source line must admit it."""
    for resource in resources:
        for field in ("released", "retired"):
            day = day_or_none(resource.get(field))
            if day is not None and "day not given" in resource.get("source", ""):
                assert day.day == 1, resource["slug"]


def test_step_3_forms_never_take_the_step_2_ck_form_names(resources, by_key):
    """Step 3 NBME forms share numbers with CCSSA forms: their names say "step 3" (or CCMSA), so "nbme 6" stays
    CCSSA 6 wherever the step is not Step 3, and a Step 3 story names its form unambiguously."""
    assert resolve(by_key, "nbme 6", "step2ck")["slug"] == "nbme-ccssa-6"
    assert resolve(by_key, "NBME 7", "step2ck")["slug"] == "nbme-ccssa-7"
    assert resolve(by_key, "step 3 nbme 6", "step3")["slug"] == "nbme-ccmsa-6"
    assert resolve(by_key, "Step 3 NBME 7", "step3")["slug"] == "nbme-ccmsa-7"
    step2_names = {key(name) for r in resources if "step2ck" in r["steps"] for name in [r["name"], *r["aliases"]]}
    step3_forms = [r for r in resources if r["slug"].startswith("nbme-ccmsa-")]
    assert step3_forms
    for resource in step3_forms:
        assert not step2_names & {key(a) for a in resource["aliases"]}, resource["slug"]


def test_older_versions_resolve_by_step_beside_the_current_set(by_key):
    assert resolve(by_key, "old 120", "step1")["slug"] == "free-120-step-1-older"
    assert resolve(by_key, "old 120", "step2ck")["slug"] == "free-120-step-2-ck-older"
    assert resolve(by_key, "free 120", "step1")["slug"] == "free-120-step-1"
    assert resolve(by_key, "Free 137", "step3")["slug"] == "usmle-step-3-practice"
    assert resolve(by_key, "CCS cases", "step3")["slug"] == "ccscases"


# --- demo_stories.json


def test_stories_have_the_expected_shape(stories):
    assert len(stories) >= 64
    for story in stories:
        title = story.get("title")
        assert set(story) - {"journey"} == STORY_KEYS, title  # "journey": optional, links a retake pair
        assert isinstance(title, str) and 0 < len(title) <= 150
        assert story["author"] in AUTHORS, title
        assert story["background"] == AUTHORS[story["author"]], title
        assert story["step"] in STEPS, title
        assert story["outcome"] in OUTCOMES, title
        assert re.fullmatch(r"\d{4}-\d{2}", story["exam_month"]), title
        assert "2015-01" <= story["exam_month"] <= "2026-10", title
        month(story["exam_month"])  # a real month
        assert isinstance(story["attempt"], int) and 1 <= story["attempt"] <= 4, title
        assert story["score"] is None or (isinstance(story["score"], int) and 1 <= story["score"] <= 300), title
        assert story["prep_weeks"] is None or (isinstance(story["prep_weeks"], int)
                                               and 0 <= story["prep_weeks"] <= 52), title
        assert isinstance(story["body"], str) and len(story["body"].split()) >= 100, title
        for row in story["resources"]:
            assert set(row) == {"name", "rating", "note"}, title
            assert row["rating"] is None or (isinstance(row["rating"], int) and 1 <= row["rating"] <= 5), title
            assert isinstance(row["note"], str) and len(row["note"]) <= 200, title
        for row in story["practice"]:
            assert set(row) == {"assessment", "score", "taken_on"}, title


def test_titles_are_unique(stories):
    titles = [s["title"] for s in stories]
    assert len(titles) == len(set(titles))


def test_every_step_and_outcome_is_covered(stories):
    assert {s["step"] for s in stories} == STEPS
    assert {s["outcome"] for s in stories} == OUTCOMES
    assert {s["author"] for s in stories} == set(AUTHORS)


def test_featured_stories_exist(stories):
    by_title = {s["title"]: s for s in stories}
    for title, author in FEATURED.items():
        assert title in by_title, title
        assert by_title[title]["author"] == author
        assert len(by_title[title]["body"].split()) >= 300, title


def test_step_1_has_no_score_in_the_pass_fail_era(stories):
    for story in stories:
        if story["step"] == "step1" and story["exam_month"] >= "2022-02":
            assert story["score"] is None, story["title"]


def test_step_2_cs_is_unscored_and_ended_in_2020(stories):
    for story in stories:
        if story["step"] == "step2cs":
            assert story["score"] is None, story["title"]
            assert story["exam_month"] <= "2020-03", story["title"]


def test_pending_stories_have_no_score(stories):
    for story in stories:
        if story["outcome"] == "pending":
            assert story["score"] is None, story["title"]


def test_scores_agree_with_the_outcome(stories):
    for story in stories:
        minimum = passing_score(story["step"], story["exam_month"])
        if story["score"] is None or minimum is None:
            continue
        if story["outcome"] == "passed":
            assert story["score"] >= minimum, story["title"]
        elif story["outcome"] == "failed":
            assert story["score"] < minimum, story["title"]


def test_resource_names_resolve_except_a_few_suggestions(stories, by_key):
    unknown = []
    for story in stories:
        names = [key(row["name"]) for row in story["resources"]]
        assert len(names) == len(set(names)), f"duplicate resource in {story['title']!r}"
        for row in story["resources"]:
            if resolve(by_key, row["name"], story["step"]) is None:
                unknown.append(row["name"])
    # A few deliberately unknown names exercise the suggestion path; more would be a typo.
    assert 1 <= len(unknown) <= MAX_UNKNOWN_NAMES, unknown


def scale_on(resource: dict, day: date, value: float) -> str:
    """The scale a practice score is on: the assessment's latest period started on or before the day (or its own
    scale before any), where a period leaves it open ("either") the value's."""
    scale = resource["scale"]
    for row in resource.get("scales") or []:
        if row["from"] is None or date.fromisoformat(row["from"]) <= day:
            scale = row["scale"]
    if scale == "either":
        return "percent" if value <= PERCENT_MAX else "three_digit"
    return scale


def test_practice_scores_name_self_assessments_on_their_scale(stories, by_key):
    for story in stories:
        start = month(story["exam_month"])
        end = start.replace(day=monthrange(start.year, start.month)[1])
        for row in story["practice"]:
            resource = resolve(by_key, row["assessment"], story["step"])
            where = f"{story['title']!r}: {row['assessment']!r}"
            assert resource is not None and resource["kind"] == "self-assessment", where
            assert story["step"] in resource["steps"], where
            score = row["score"]
            assert isinstance(score, (int, float)) and not isinstance(score, bool), where
            taken_on = date.fromisoformat(row["taken_on"])
            if scale_on(resource, taken_on, score) == "percent":
                assert 0 <= score <= PERCENT_MAX, where
            else:
                assert isinstance(score, int) and PERCENT_MAX < score <= 300, where
            assert start - timedelta(weeks=10) <= taken_on <= end, where


def test_pass_fail_step_1_stories_have_percent_nbme_scores_for_passes_and_fails(stories, by_key):
    """Step 1 insights need percent-scale data from the pass/fail era, from stories that passed and that failed."""
    outcomes = set()
    for story in stories:
        if story["step"] != "step1" or story["exam_month"] < "2022-03":
            continue
        for row in story["practice"]:
            resource = resolve(by_key, row["assessment"], story["step"])
            if resource["slug"].startswith("nbme-cbssa-"):
                assert scale_on(resource, date.fromisoformat(row["taken_on"]), row["score"]) == "percent"
                outcomes.add(story["outcome"])
    assert outcomes >= {"passed", "failed"}


def test_every_demo_story_obeys_the_apps_exam_rules(stories):
    """The demo must pass the same checks a writer's form does (as of the day it was written)."""
    from datetime import date

    from forum import exam

    for story in stories:
        year, month = map(int, story["exam_month"].split("-"))
        problems = exam.validate_exam_record(step=story["step"], exam_month=date(year, month, 1),
                                             attempt=story["attempt"], outcome=story["outcome"],
                                             score=story["score"], prep_weeks=story["prep_weeks"],
                                             today=date(2026, 11, 24))
        assert problems == {}, (story["title"], problems)
