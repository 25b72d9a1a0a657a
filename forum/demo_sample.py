"""Generated sample stories for `make run`, so /insights has groups of ten and more to show.

The 65 written demo stories read like a forum; they are too few for insights, which give a rate only from ten.
These add SAMPLE_STORIES more from SAMPLE_AUTHORS accounts, drawn from a fixed seed (the same every time) and
kept inside forum/exam.py's rules: scores only where the exam reported one, at or above the month's passing
standard for a pass and below it for a fail, practice scores in the weeks before the exam, on the scale each
assessment reported that day, near the real score as each form runs (or, for pass/fail Step 1, near the
candidate's ability, which the outcome follows).
Their titles and first-person text come from forum/demo_text.py, from each story's own record, resources and
practice scores. They are fiction, like all demo content, and never run in production (`flask seed-demo` refuses).
"""
import random
from collections.abc import Callable
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from . import demo_text, exam, markup, practice_model, ranking, scales, search
from .extensions import db
from .models import PracticeScore, Resource, Story, StoryResource, User, username_key
from .models.stories import slugify

SAMPLE_STORIES = 420
SAMPLE_AUTHORS = 40
SEED = 20261124
STEP_WEIGHTS = {"step1": 35, "step2ck": 45, "step3": 20}
BACKGROUND_WEIGHTS = {"img": 45, "us_md": 30, "us_do": 20, "other": 5}
SCORE_MEANS = {"step1": 232, "step2ck": 247, "step3": 226}
# Practice scores follow forum.practice_model (shared with the bench), around the middle of the days drawn here.
BIAS_DAYS_BEFORE = 24  # the middle of the practice days drawn below (7-42), so a form's mean gap is its bias
PREP_WEEKS = {"step1": 8, "step2ck": 6, "step3": 3}
# The resources most stories name, by step, most used first; each is picked with a falling chance.
FAVOURITES = {
    "step1": ["uworld-step-1", "first-aid-step-1", "anking-step-1", "pathoma", "boards-and-beyond", "sketchy",
              "amboss-qbank"],
    "step2ck": ["uworld-step-2-ck", "anking-step-2", "amboss-qbank", "divine-intervention", "emma-holliday-ramos",
                "mehlman-medical", "onlinemeded"],
    "step3": ["uworld-step-3", "uworld-ccs", "master-the-boards-step-3", "amboss-qbank"],
}
# A sample account's profile line, by background: the n-th account of a background takes the n-th (cycling).
BIOS = {
    "img": ["IMG, applying to internal medicine.", "Graduated abroad; now an observer in New Jersey.",
            "IMG and new mother, studying at night.", "Research fellow, IMG, aiming for neurology."],
    "us_md": ["MS3, thinking about surgery.", "MD student in Ohio.", "Fourth year, applying pediatrics."],
    "us_do": ["OMS-III, COMLEX and USMLE.", "DO student, family medicine bound."],
    "other": ["Caribbean school graduate.", "Offshore school, now in clinicals in Florida."],
}


def _weighted(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _month(rng: random.Random, step: str, today: date) -> date:
    """An exam month in the last eight years that the step was given in, never in the future."""
    while True:
        months_ago = rng.randint(1, 96)
        year, month = divmod(today.year * 12 + today.month - 1 - months_ago, 12)
        candidate = date(year, month + 1, 1)
        if not exam.validate_exam_record(step=step, exam_month=candidate, attempt=1, outcome="passed", score=None,
                                         prep_weeks=None, today=today):
            return candidate


def _record(rng: random.Random, today: date) -> dict:
    step = _weighted(rng, STEP_WEIGHTS)
    month = _month(rng, step, today)
    outcome = _weighted(rng, {"passed": 85, "failed": 15})
    attempt = 1 if outcome == "passed" and rng.random() < 0.9 else rng.choice((1, 1, 2))
    score = None
    standard = exam.passing_score(step, month)
    if standard is not None:
        if outcome == "passed":
            score = min(max(round(rng.gauss(SCORE_MEANS[step], 14)), standard), 280)
        else:
            score = standard - rng.randint(1, 15)
    prep = min(max(round(rng.gauss(PREP_WEEKS[step], 3)), 1), 40)
    return {"step": step, "exam_month": month, "attempt": attempt, "outcome": outcome, "score": score,
            "prep_weeks": prep}


def _practice(rng: random.Random, record: dict, assessments: list[Resource], today: date) -> list[PracticeScore]:
    """Up to three self-assessments of the step, in the six weeks before the exam, each on the scale it reported
    that day (forum.scales): near the real score as that form runs (forum.practice_model), lower the earlier it was
    taken; for a pass/fail Step 1 exam, percent-correct NBME forms and Free 120 following the candidate's ability, drawn
    given the outcome, so Step 1 insights have data from both sides of the line.

    Each score takes one draw from `rng`, and the ability draws from an rng of its own: the sample stories keep the
    forms and days they had before this model (and /insights its counts per form)."""
    scored = record["score"] is not None
    ability = None  # drawn at the first percent form of a pass/fail exam
    scores = []
    for resource in rng.sample(assessments, min(len(assessments), rng.randint(1, 3))):
        before = rng.randint(7, 42)
        taken_on = record["exam_month"] - timedelta(days=before)
        if not _offered(resource, taken_on):
            continue
        reported = scales.period_on(scales.periods_of(resource), taken_on).scale
        if reported == scales.EITHER:
            reported = scales.THREE_DIGIT if scored else scales.PERCENT
        if scored and reported == scales.PERCENT:
            mean, sd = practice_model.percent_for_score(record["step"], record["score"], SCORE_MEANS[record["step"]],
                                                        _weeks_early(before))
            value = float(min(max(round(rng.gauss(mean, sd)), 30), 99))
        elif scored:
            mean, sd = practice_model.three_digit(resource.slug, record["score"], _weeks_early(before))
            value = float(min(max(round(rng.gauss(mean, sd)), 150), 290))
        elif reported == scales.PERCENT:  # pass/fail Step 1: no score to be near, the ability instead
            if ability is None:
                ability = practice_model.ability_given(random.Random(repr(rng.getstate())), record["outcome"])
            mean, sd = practice_model.percent_for_ability(ability, resource.slug, _weeks_early(before))
            value = float(min(max(round(rng.gauss(mean, sd)), 35), 95))
        else:
            continue  # a 3-digit report with nothing to be near
        scale = scales.decide(reported, value)
        if not exam.validate_practice_score(scale=scale, score=value, taken_on=taken_on,
                                            exam_month=record["exam_month"], today=today):
            scores.append(PracticeScore(resource=resource, score=value, taken_on=taken_on, scale=scale))
    return scores


def _weeks_early(days_before: int) -> float:
    """How many weeks before the forms' reference day (BIAS_DAYS_BEFORE) a test was taken; negative: after it."""
    return (days_before - BIAS_DAYS_BEFORE) / 7


def _offered(resource: Resource, day: date) -> bool:
    """Whether the catalogue says the assessment could be taken that day (an unknown date does not rule it out)."""
    return ((resource.released_on is None or resource.released_on <= day)
            and (resource.retired_on is None or day < resource.retired_on))


def _authors(password_hash: str) -> list[User]:
    names = [f"sample_candidate_{n:02d}" for n in range(1, SAMPLE_AUTHORS + 1)]
    existing = {u.username: u for u in db.session.scalars(sa.select(User).where(User.username.in_(names)))}
    rng = random.Random(SEED)
    authors = []
    for name in names:
        user = existing.get(name)
        background = _weighted(rng, BACKGROUND_WEIGHTS)
        if user is None:
            bios = BIOS[background]
            user = User(username=name, username_key=username_key(name), email=f"{name}@demo.invalid",
                        password_hash=password_hash, role="member", background=background,
                        bio=bios[sum(a.background == background for a in authors) % len(bios)],
                        created_at=datetime(2024, 1, 1))
            db.session.add(user)
        authors.append(user)
    db.session.flush()
    return authors


def _words(index: int, story: Story, themes: list[int], bodies: set[str]) -> tuple[str, str]:
    """The story's title and body (forum.demo_text), from an rng of its own: the main draw stays as it was, so the
    records and practice scores do not move when the words change. A body another story already has is written
    again from the next seed."""
    for attempt in range(100):
        title, body = demo_text.write(random.Random(f"{SEED}:{index}:{attempt}"), story, themes)
        if body not in bodies:
            bodies.add(body)
            return title, body
    raise RuntimeError(f"sample story {index}: no body of its own in 100 tries")


def seed_sample(password_hash: str, now: datetime, progress: Callable[[int], None] = lambda done: None) -> int:
    """Add the sample stories once; a second run finds them by their authors and adds nothing. progress(done)
    hears of each story added."""
    authors = _authors(password_hash)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Story)
                         .where(Story.author_id.in_([a.id for a in authors]))):
        return 0
    today = now.date()
    resources = {r.slug: r for r in db.session.scalars(sa.select(Resource))}
    assessments = {step: [r for r in resources.values() if r.kind == "self-assessment" and step in r.step_codes]
                   for step in STEP_WEIGHTS}
    rng = random.Random(SEED)
    bodies: set[str] = set()
    for index in range(SAMPLE_STORIES):
        author = authors[index % len(authors)]
        record = _record(rng, today)
        picks = [slug for rank, slug in enumerate(FAVOURITES[record["step"]]) if slug in resources
                 and rng.random() < 0.9 / (1 + 0.5 * rank)]
        themes = rng.sample(range(len(demo_text.THEMES)), 3)  # the draw that picked three paragraphs before
        created_at = now - timedelta(days=rng.randint(1, 400), minutes=index)
        story = Story(author=author, background=author.background, created_at=created_at, votes=0,
                      hot=ranking.hot(0, created_at), **record)
        story.resource_links = [StoryResource(resource=resources[slug], resource_id=resources[slug].id,
                                              rating=rng.randint(3, 5), note="", position=position)
                                for position, slug in enumerate(picks)]
        story.practice_scores = _practice(rng, record, assessments[record["step"]], today)
        story.title, story.body = _words(index, story, themes, bodies)
        story.slug, story.body_html = slugify(story.title), markup.render(story.body)
        story.search_extra = search.story_text(story, [resources[slug] for slug in picks])
        db.session.add(story)
        progress(index + 1)
    db.session.flush()
    return SAMPLE_STORIES
