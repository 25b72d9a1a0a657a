"""Generated sample stories for `make run`, so /insights has groups of ten and more to show.

The 65 written demo stories read like a forum; they are too few for insights, which give a rate only from ten.
These add SAMPLE_STORIES more from SAMPLE_AUTHORS accounts, drawn from a fixed seed (the same every time) and
kept inside forum/exam.py's rules: scores only where the exam reported one, at or above the month's passing
standard for a pass and below it for a fail, practice scores in the weeks before the exam, on the scale each
assessment reported that day, near the real score as each form runs (or, for pass/fail Step 1, near the
candidate's ability, which the outcome follows).
They are fiction, like all demo content, and never run in production (`flask seed-demo` refuses).
"""
import math
import random
import zlib
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from . import exam, markup, ranking, scales, search
from .extensions import db
from .models import PracticeScore, Resource, Story, StoryResource, User, username_key
from .models.stories import slugify

SAMPLE_STORIES = 420
SAMPLE_AUTHORS = 40
SEED = 20261124
STEP_WEIGHTS = {"step1": 35, "step2ck": 45, "step3": 20}
BACKGROUND_WEIGHTS = {"img": 45, "us_md": 30, "us_do": 20, "other": 5}
SCORE_MEANS = {"step1": 232, "step2ck": 247, "step3": 226}
# Practice to real, per self-assessment, after the practice-vs-real tables candidates build (usmle-research.md 2.1
# item 2): residencyadvisor.com's (NBME forms r≈0.75-0.85, UWSA 2 r≈0.80-0.90, UWSA 1 over-predicting by +3 to +8,
# the newer Free 120 within about ±5) and nbmecalc.com's Free 120 percent -> CK score table. A 3-digit practice score
# is the real score + its form's bias + gaussian noise of its form's SD; the first matching slug prefix wins. The
# SDs put r in those ranges on the generated real scores (SD about 20 with the fails in; r is lower among passes).
FORM_BEHAVIOUR = [  # (slug prefix, bias: practice - real in points, noise SD)
    ("uwsa-1-", 5, 12),  # over-predicts: residencyadvisor's +3 to +8
    ("uwsa-2-", 1, 10),  # the closest: r≈0.80-0.90
    ("uwsa-3-", 0, 12),  # no source found: between the two
    ("nbme-", None, 12),  # r≈0.75-0.85; each form its own bias (NBME_BIASES)
    ("amboss-", -4, 13),  # reads low ("AMBOSS SA 240 ... actual 263", the r/Step2 write-up of 2.1 item 1)
]
OTHER_FORM = (0, 12)  # bias, SD of an assessment the table does not name
NBME_BIASES = (-3, -2, -1, 0, 1, 2)  # one per form, by a hash of its slug: forms differ, each the same every run
# People improve towards the exam: a form's bias is its gap when taken BIAS_DAYS_BEFORE the exam, less per week
# earlier, more per week later.
BIAS_DAYS_BEFORE = 24  # the middle of the practice days drawn below (7-42), so a form's mean gap is its bias
POINTS_PER_WEEK = 1.0  # 3-digit points
PERCENT_PER_WEEK = 0.25  # percent points: a point or so over the six weeks of practice
# A percent form for a scored exam (Free 120 for CK and for scored Step 1, Free 137 for Step 3):
# percent ≈ intercept + slope * (real - the step's mean) ± PERCENT_SD; CK's from nbmecalc's table, the others alike.
PERCENT_FOR_SCORE = {"step1": (72, 0.55), "step2ck": (72, 0.55), "step3": (70, 0.5)}
PERCENT_SD = 6  # "wide" (residencyadvisor), as 120 questions must be: sampling alone is ±4 (√(0.7·0.3/120))
# Pass/fail Step 1 has no score to be near. The candidate's equated percent correct (EPC, the "ability") comes first;
# the chance to pass is logistic in it: even at PASS_EVEN_PERCENT, about 96% at 65% (NBME's report gives EPC and a
# pass probability, and 60-65% EPC reads as a high one: usmle-research.md 2.1 item 3). The story's outcome is drawn
# before its practice scores, so the ability is drawn given the outcome (_ability). Each percent form is the
# ability + its lift + noise: candidates report Free 120 a few points above their NBMEs ("66% on form 31 and 72% on
# the old 120", SDN, usmle-research.md 1.4).
ABILITY_MEAN, ABILITY_SD = 66, 8
EPC_SD = 4  # a form's noise around the ability
PASS_EVEN_PERCENT, PASS_SPREAD = 52, 4  # the logistic's centre and scale
FREE_120_LIFT = 5
PREP_WEEKS = {"step1": 8, "step2ck": 6, "step3": 3}
# The resources most stories name, by step, most used first; each is picked with a falling chance.
FAVOURITES = {
    "step1": ["uworld-step-1", "first-aid-step-1", "anking-step-1", "pathoma", "boards-and-beyond", "sketchy",
              "amboss-qbank"],
    "step2ck": ["uworld-step-2-ck", "anking-step-2", "amboss-qbank", "divine-intervention", "emma-holliday-ramos",
                "mehlman-medical", "onlinemeded"],
    "step3": ["uworld-step-3", "uworld-ccs", "master-the-boards-step-3", "amboss-qbank"],
}
PARAGRAPHS = [
    "I kept a strict schedule: questions in the morning, review in the afternoon, flashcards at night.",
    "The first practice test was humbling, but the trend mattered more than any single score.",
    "I took one full day off every week, which kept me from burning out in the last month.",
    "Reviewing every explanation, right or wrong, was where most of my learning happened.",
    "Timed random blocks from the start made the real exam feel familiar.",
    "Sleep and exercise were non-negotiable for me; my scores dropped in the weeks I skipped them.",
]


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
    that day (forum.scales): near the real score as that form runs (FORM_BEHAVIOUR), lower the earlier it was taken;
    for a pass/fail Step 1 exam, percent-correct NBME forms and Free 120 following the candidate's ability, drawn
    given the outcome (_ability), so Step 1 insights have data from both sides of the line.

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
            intercept, slope = PERCENT_FOR_SCORE[record["step"]]
            mean = (intercept + slope * (record["score"] - SCORE_MEANS[record["step"]])
                    - PERCENT_PER_WEEK * _weeks_early(before))
            value = float(min(max(round(rng.gauss(mean, PERCENT_SD)), 30), 99))
        elif scored:
            bias, noise = _form_behaviour(resource.slug)
            mean = record["score"] + bias - POINTS_PER_WEEK * _weeks_early(before)
            value = float(min(max(round(rng.gauss(mean, noise)), 150), 290))
        elif reported == scales.PERCENT:  # pass/fail Step 1: no score to be near, the ability instead
            if ability is None:
                ability = _ability(random.Random(repr(rng.getstate())), record["outcome"])
            lift = FREE_120_LIFT if resource.slug.startswith("free-120") else 0
            mean = ability + lift - PERCENT_PER_WEEK * _weeks_early(before)
            value = float(min(max(round(rng.gauss(mean, EPC_SD)), 35), 95))
        else:
            continue  # a 3-digit report with nothing to be near
        scale = scales.decide(reported, value)
        if not exam.validate_practice_score(scale=scale, score=value, taken_on=taken_on,
                                            exam_month=record["exam_month"], today=today):
            scores.append(PracticeScore(resource=resource, score=value, taken_on=taken_on, scale=scale))
    return scores


def _form_behaviour(slug: str) -> tuple[int, float]:
    """(bias, noise SD) of a 3-digit self-assessment, from FORM_BEHAVIOUR; an NBME form's bias from its slug's hash
    (crc32, not hash(), which Python salts per run)."""
    for prefix, bias, noise in FORM_BEHAVIOUR:
        if slug.startswith(prefix):
            if bias is None:
                bias = NBME_BIASES[zlib.crc32(slug.encode()) % len(NBME_BIASES)]
            return bias, noise
    return OTHER_FORM


def _weeks_early(days_before: int) -> float:
    """How many weeks before the forms' reference day (BIAS_DAYS_BEFORE) a test was taken; negative: after it."""
    return (days_before - BIAS_DAYS_BEFORE) / 7


def _pass_chance(percent: float) -> float:
    """The chance to pass pass/fail Step 1 at an equated percent correct: logistic, even at PASS_EVEN_PERCENT."""
    return 1 / (1 + math.exp(-(percent - PASS_EVEN_PERCENT) / PASS_SPREAD))


def _ability(rng: random.Random, outcome: str) -> float:
    """A pass/fail Step 1 candidate's ability (EPC) given the outcome already drawn: rejection sampling from the
    population (ABILITY_MEAN, ABILITY_SD), keeping a draw with the chance of that outcome at it. So among stories
    the outcome follows the ability as _pass_chance says, though the outcome was drawn first."""
    while True:
        ability = rng.gauss(ABILITY_MEAN, ABILITY_SD)
        keep = _pass_chance(ability) if outcome == "passed" else 1 - _pass_chance(ability)
        if rng.random() < keep:
            return ability


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
        if user is None:
            user = User(username=name, username_key=username_key(name), email=f"{name}@demo.invalid",
                        password_hash=password_hash, role="member", background=_weighted(rng, BACKGROUND_WEIGHTS),
                        bio="A generated sample account: its stories feed the demo's insights.",
                        created_at=datetime(2024, 1, 1))
            db.session.add(user)
        authors.append(user)
    db.session.flush()
    return authors


def seed_sample(password_hash: str, now: datetime) -> int:
    """Add the sample stories once; a second run finds them by their authors and adds nothing."""
    authors = _authors(password_hash)
    if db.session.scalar(sa.select(sa.func.count()).select_from(Story)
                         .where(Story.author_id.in_([a.id for a in authors]))):
        return 0
    today = now.date()
    resources = {r.slug: r for r in db.session.scalars(sa.select(Resource))}
    assessments = {step: [r for r in resources.values() if r.kind == "self-assessment" and step in r.step_codes]
                   for step in STEP_WEIGHTS}
    rng = random.Random(SEED)
    for index in range(SAMPLE_STORIES):
        author = authors[index % len(authors)]
        record = _record(rng, today)
        step = exam.STEPS[record["step"]]
        picks = [slug for rank, slug in enumerate(FAVOURITES[record["step"]]) if slug in resources
                 and rng.random() < 0.9 / (1 + 0.5 * rank)]
        headline = f"{record['score']}" if record["score"] else exam.OUTCOMES[record["outcome"]].lower()
        title = f"Sample: {step.short} {headline} after {record['prep_weeks']} weeks"
        body = "\n\n".join(rng.sample(PARAGRAPHS, 3))
        created_at = now - timedelta(days=rng.randint(1, 400), minutes=index)
        story = Story(author=author, title=title, slug=slugify(title), body=body, body_html=markup.render(body),
                      background=author.background, created_at=created_at, votes=0, hot=ranking.hot(0, created_at),
                      **record)
        story.resource_links = [StoryResource(resource=resources[slug], resource_id=resources[slug].id,
                                              rating=rng.randint(3, 5), note="", position=position)
                                for position, slug in enumerate(picks)]
        story.practice_scores = _practice(rng, record, assessments[record["step"]], today)
        story.search_extra = search.story_text(story, [resources[slug] for slug in picks])
        db.session.add(story)
    db.session.flush()
    return SAMPLE_STORIES
