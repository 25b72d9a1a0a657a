"""The words of the generated demo stories (forum/demo_sample.py): a title and a first-person body for each, put
together from fragments chosen by the story's own record (step, outcome, score, attempt, weeks, background), the
resources it links with their ratings, and the practice scores it holds, whose real numbers the body states.

Fiction, like all demo content, and deterministic: every choice comes from the seeded `random.Random` the caller
passes, so `flask seed-demo` writes the same stories every time.
"""
import random
import re

from . import exam, scales
from .models import Story

# How a candidate names what they used, in a sentence ("the Mehlman PDFs"), by catalogue slug.
SPOKEN = {
    "uworld-step-1": "UWorld", "uworld-step-2-ck": "UWorld", "uworld-step-3": "UWorld", "amboss-qbank": "AMBOSS",
    "uworld-ccs": "the UWorld CCS cases", "first-aid-step-1": "First Aid",
    "master-the-boards-step-3": "Master the Boards",
    "pathoma": "Pathoma", "boards-and-beyond": "Boards and Beyond", "sketchy": "Sketchy", "onlinemeded": "OnlineMedEd",
    "emma-holliday-ramos": "Emma Holliday's review", "mehlman-medical": "the Mehlman PDFs",
    "divine-intervention": "Divine Intervention", "anking-step-1": "AnKing", "anking-step-2": "AnKing",
}
# What a resource did for the writer, by its kind and the rating the story gives it (3-5).
USE = {
    "qbank": {5: ["{name} was the backbone: {passes}, and I read every explanation, right or wrong.",
                  "If I could keep one resource it would be {name}. {Passes}, and it showed on test day."],
              4: ["{name} did most of the work: {passes}.", "Most of my days were built around {name}, {passes}."],
              3: ["{name} was fine, not magic: {passes}, and my percentages sat flat for weeks."]},
    "book": {5: ["{name} was my reference; I annotated it every time a question caught me out."],
             4: ["I read {name} next to the questions, one system at a time."],
             3: ["{name} I mostly used to look things up; reading it cover to cover never stuck."]},
    "video": {5: ["{name} was worth every hour, especially in the first weeks."],
              4: ["I watched {name} for the systems I was weakest in, at 1.5x."],
              3: ["{name} I started and did not finish: too slow once dedicated began."]},
    "flashcards": {5: ["{name} every single day, about {cards} new cards plus reviews, no exceptions."],
                   4: ["I kept up with {name} reviews, though I stopped adding new cards in the last two weeks."],
                   3: ["{name} took more time than it gave back for me, and I suspended most of the deck halfway."]},
    "podcast": {5: ["{name} went with me on every commute; the rapid reviews in the last week were gold."],
                4: ["I listened to {name} at the gym and on walks."],
                3: ["{name} was background noise more than learning, honestly."]},
    "other": {5: ["{name} in the last ten days were the best quick review I found."],
              4: ["{name} filled the gaps at the end."],
              3: ["{name} I skimmed once and did not go back to."]},
}
PASSES = ["one full pass, timed and random", "one pass plus my incorrects", "about 80% of the bank, timed",
          "two passes, the second one only my incorrects", "one pass in tutor mode first, then timed blocks"]
PLACES = ["Lahore", "Cairo", "Manila", "Lagos", "Kathmandu", "Bogotá", "Hyderabad", "Tehran", "Karachi", "Dhaka",
          "Nairobi", "Damascus", "Lima", "Yerevan", "Chennai"]
OPENINGS = {
    "img": ["I'm an IMG from {place}.", "IMG here: I graduated in {place} and came to the USMLE a few years later.",
            "I studied medicine in {place}, so like every IMG I needed this exam to even apply."],
    "us_md": ["I'm at a US MD school.", "US MD student here.", "I go to an MD school in the Midwest."],
    "us_do": ["I'm a DO student, so I had COMLEX to think about as well.", "OMS-III here, taking USMLE next to COMLEX.",
              "As a DO I wasn't required to take the USMLE, but the programmes I wanted look at it."],
    "other": ["I went to a Caribbean school.", "I trained at an offshore school, which shaped how I prepared."],
}
STEP3_OPENINGS = ["I took it during intern year, between {rotation} blocks.", "PGY-1 on {rotation} while I studied.",
                  "I fitted it into intern year; my schedule was {rotation} most of that time."]
ROTATIONS = ["wards", "night float", "ICU", "clinic", "an elective"]
# The six things the stories talk about (the sample draws three per story from these, by index: see demo_sample).
THEMES = [
    ["I kept a strict schedule: questions in the morning, review in the afternoon, flashcards at night.",
     "Every day had the same shape: two timed blocks before lunch, review until dinner, cards before bed.",
     "I wrote the plan for all {weeks} on one page and crossed off each day. Boring, and it worked."],
    ["The first practice test was humbling, but the trend mattered more than any single score.",
     "My first self-assessment was a shock. I stopped reading each score as a verdict and watched the line instead.",
     "I nearly moved my date after the first practice test. Watching the trend instead of that number kept me going."],
    ["I took one full day off every week, which kept me from burning out in the last month.",
     "Sundays were off, phone and all. Without that I would not have lasted {weeks}.",
     "A day off a week felt like a luxury I couldn't afford. It turned out to be the thing I could not do without."],
    ["Reviewing every explanation, right or wrong, was where most of my learning happened.",
     "I spent longer reviewing a block than doing it, and kept a notebook of every concept I missed twice.",
     "Questions I got right by guessing went into my notes too. Those were the ones that came back."],
    ["Timed random blocks from the start made the real exam feel familiar.",
     "I did everything timed and random from day one. On test day the pace felt normal.",
     "Two full-length practice days, seven blocks each, taught me more about stamina than any question did."],
    ["Sleep and exercise were non-negotiable for me; my scores dropped in the weeks I skipped them.",
     "Seven hours of sleep, a run most days. The one week I cut sleep to study more, my blocks got worse.",
     "I walked an hour every evening without notes. It was the only time my head was quiet."],
]
# Theme 1 (the practice tests) as told by someone who took one, or none.
ONE_PRACTICE_TEST = ["One practice test was all I took. A second would have shown me a trend instead of a number.",
                     "I took a single self-assessment and treated it as gospel; one number is not much to plan on."]
NO_PRACTICE_TEST = ["I judged myself by my question-bank percentages alone, and they were a poor guide.",
                    "Without practice tests I had no idea where I stood; I went by how the blocks felt."]
NUMBERS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def write(rng: random.Random, story: Story, themes: list[int]) -> tuple[str, str]:
    """(title, body) for a generated story whose record, resource links (each with its resource) and practice
    scores are set; `themes` are indexes into THEMES, the ones its draw picked."""
    practice = sorted(story.practice_scores, key=lambda p: p.taken_on)
    parts = [_opening(rng, story), _resources(rng, story), _practice(rng, story, practice)]
    told = {1: ONE_PRACTICE_TEST, 0: NO_PRACTICE_TEST}.get(len(practice))
    parts += [rng.choice(told if t == 1 and told else THEMES[t]).format(weeks=_weeks(story.prep_weeks))
              for t in themes]
    parts.append(_closing(rng, story, practice))
    return _title(rng, story, practice), "\n\n".join(p for p in parts if p)


def _opening(rng: random.Random, story: Story) -> str:
    step = exam.STEPS[story.step]
    who = (rng.choice(STEP3_OPENINGS).format(rotation=rng.choice(ROTATIONS)) if story.step == "step3"
           else rng.choice(OPENINGS[story.background or "other"]).format(place=rng.choice(PLACES)))
    month = f"{story.exam_month:%B %Y}"
    if story.outcome == "passed":
        result = (f"I took {step.label} in {month} and scored {story.score}." if story.score
                  else f"I passed {step.label} in {month}.")
    elif story.score:
        standard = exam.passing_score(story.step, story.exam_month)
        result = f"I failed {step.label} in {month} with a {story.score}; passing was {standard}."
    else:
        result = f"I failed {step.label} in {month}."
    if story.attempt > 1:
        result += (" That was my second attempt, after failing the first." if story.outcome == "passed"
                   else " It was my second attempt.")
    prep = rng.choice(["I had {w} of dedicated study.", "Dedicated was {w}.", "I gave it {w}, full time."])
    return " ".join([who, result, prep.format(w=_weeks(story.prep_weeks))])


def _resources(rng: random.Random, story: Story) -> str:
    if not story.resource_links:
        return "I kept it simple: my school's question bank and the free official material, nothing bought."
    lines = []
    for link in story.resource_links:
        name = SPOKEN.get(link.resource.slug, link.resource.name)
        kind = link.resource.kind if link.resource.kind in USE else "other"
        passes = rng.choice(PASSES)
        line = rng.choice(USE[kind][link.rating]).format(name=name, passes=passes, Passes=_cap(passes),
                                                          cards=rng.choice([60, 80, 100, 150]))
        lines.append(_cap(line))
    if len(lines) > 2 and rng.random() < 0.5:
        return rng.choice(["**What I used**", "What I used, in order of how much it helped:"]) + "\n\n" + "\n".join(
            f"- {line}" for line in lines)
    return " ".join(lines)


def _practice(rng: random.Random, story: Story, practice: list) -> str:
    """The practice scores as taken, with what the writer makes of them next to the real result."""
    if not practice:
        return rng.choice(["I didn't take a single self-assessment, which I would not repeat.",
                           "No practice tests: I was afraid of the numbers. I would not do that again."])
    taken = [f"{_form(p.resource)} {_weeks_out((story.exam_month - p.taken_on).days)}: {_shown(p)}"
             for p in practice]
    listing = (f"My practice tests: {'; '.join(taken)}." if len(taken) > 1
               else rng.choice(["My only practice test was {}.", "One practice test: {}."]).format(taken[0]))
    return listing + " " + _reading(rng, story, practice)


def _reading(rng: random.Random, story: Story, practice: list) -> str:
    three_digit = [p.score for p in practice if p.scale == scales.THREE_DIGIT]
    percent = [p.score for p in practice if p.scale == scales.PERCENT]
    if story.score and three_digit and story.outcome == "failed":
        last, standard = round(three_digit[-1]), exam.passing_score(story.step, story.exam_month)
        if last < standard:
            return f"My last practice test, {last}, was under the passing line of {standard}, and I sat it anyway."
        return f"My last practice test was {last}, over the {standard} line, so the fail came as a shock."
    if story.score and three_digit:
        gap = story.score - round(three_digit[-1])
        if gap >= 5:
            return f"The real score came in {gap} points above my last practice test, which I did not expect."
        if gap <= -5:
            return (f"The real exam came in {-gap} points below my last practice test. Nerves or the test, "
                    "I can't say.")
        return "The real score landed within a few points of my last practice test: the forms were honest for me."
    if percent:
        best = round(max(percent))
        if story.outcome == "passed":
            return f"{best}% was my best, and it was enough."
        return (f"I never got past {best}%, and I told myself it was close enough. It wasn't."
                if best < 65 else f"My best was {best}%, so the fail surprised me; the last weeks were the weakest.")
    return "Without a three-digit score to compare, I went in not knowing where I stood."


def _closing(rng: random.Random, story: Story, practice: list) -> str:
    if story.outcome == "failed":
        return rng.choice([
            "For the retake I'm starting self-assessments in week one and moving my date if they say so.",
            "What I'd change: fewer resources, more review, and an honest look at the practice numbers.",
            "If your practice scores are where mine were, please believe them. I'm writing this so someone does."])
    if story.attempt > 1:
        return rng.choice(["If you failed once: it is recoverable. Change the method, not just the hours.",
                           "The fail felt like the end. It wasn't; the second time I simply studied differently."])
    advice = ["If I did it again, I'd start self-assessments earlier.", "Trust the trend, not any one score.",
              "Happy to answer questions in the comments.", "Pick your resources early and stop shopping for more."]
    if not practice:
        advice = advice[2:]
    return rng.choice(advice)


def _title(rng: random.Random, story: Story, practice: list) -> str:
    step = exam.STEPS[story.step]
    label, weeks = step.label, _weeks(story.prep_weeks)
    main = next((SPOKEN.get(link.resource.slug, link.resource.name) for link in story.resource_links), None)
    three_digit = [round(p.score) for p in practice if p.scale == scales.THREE_DIGIT]
    nbme = any(p.resource.slug.startswith("nbme") for p in practice)
    if story.outcome == "failed":
        standard = exam.passing_score(story.step, story.exam_month)
        titles = [f"Failed {label} after {weeks}: what I'm changing",
                  f"I failed {label}. What my practice scores were saying" if practice else
                  f"I failed {label} without a single practice test"]
        if story.score and standard:
            gap = standard - story.score
            titles += [f"Failed {label} by {gap} point{'s' if gap != 1 else ''}: what I got wrong",
                       f"I failed {label} with a {story.score}. Here is my post-mortem."]
        if story.attempt > 1:
            titles = [f"Failed {label} twice: what is different now",
                      f"Second {label} fail{f' ({story.score})' if story.score else ''}, and what I do next",
                      f"Failed {label} again in {story.exam_month:%B %Y}"]
    elif story.attempt > 1:
        titles = [f"Passed {label} after a failed first attempt",
                  f"Second attempt at {label}: passed{f' with {story.score}' if story.score else ''}"]
    elif story.score:
        titles = [f"{label} {story.score} after {weeks}", f"{story.score} on {label}: {weeks}, one schedule"]
        if len(three_digit) > 1 and three_digit[-1] > three_digit[0] and nbme:
            titles.append(f"{step.short if story.step == 'step2ck' else label} {story.score}: what moved my NBMEs")
        if three_digit:
            titles.append(f"From {three_digit[0]} to {story.score}: my {label} practice tests and the real thing")
        if main and len(story.resource_links) <= 2:
            titles.append(f"{story.score} on {label} with {_cap(main)} and not much else")
        if story.background == "img":
            titles.append(f"IMG, {weeks}, {story.score} on {label}")
    else:
        titles = [f"Passed {label} after {weeks} of dedicated", f"{label} pass: how my {weeks} went",
                  f"{label} passed in {story.exam_month:%B %Y}: my {weeks}"]
        percent = [p for p in practice if p.scale == scales.PERCENT]
        if percent:
            best = max(percent, key=lambda p: p.score)
            first, last = round(percent[0].score), round(percent[-1].score)
            titles += [f"{label} pass: my practice percentages went from {first}% to {last}%" if len(percent) > 1
                       else f"{label} pass with one practice test at {first}%",
                       f"Passed {label} with a best of {round(best.score)}% on {_form(best.resource)}"]
        if story.background == "img":
            titles.append(f"Passed {label} as an IMG, {weeks} of dedicated")
        if main:
            titles.append(f"Passed {label} in {weeks}: {main}, a schedule, and sleep")
    return rng.choice(titles)


def _form(resource) -> str:
    """A self-assessment as candidates name it: "NBME 28", "UWSA 2", "the Free 120"."""
    slug = resource.slug
    if match := re.fullmatch(r"nbme-c[bc]ssa-(\d+)", slug):
        return f"NBME {match[1]}"
    if match := re.fullmatch(r"uwsa-(\d)-.*", slug):
        return f"UWSA {match[1]}"
    if match := re.fullmatch(r"nbme-ccmsa-(\d+)", slug):
        return f"CCMSA form {match[1]}"
    named = {"nbme-ccmsa": "the CCMSA", "amboss-self-assessment": "the AMBOSS self-assessment"}
    if slug in named:
        return named[slug]
    if slug.startswith("free-120"):
        return "the old Free 120" if slug.endswith("older") else "the Free 120"
    return "the official practice questions" if slug.startswith("usmle-step-3") else resource.name


def _shown(practice) -> str:
    return f"{round(practice.score)}%" if practice.scale == scales.PERCENT else f"{round(practice.score)}"


def _weeks_out(days: int) -> str:
    weeks = round(days / 7)
    return "the week of the exam" if weeks < 1 else f"{NUMBERS[weeks] if weeks <= 10 else weeks} week" + (
        "s out" if weeks > 1 else " out")


def _weeks(n: int) -> str:
    return f"{NUMBERS[n] if n <= 10 else n} week{'s' if n != 1 else ''}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]
