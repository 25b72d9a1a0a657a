"""Words for the bench data: titles, story bodies (Markdown) and comments assembled from phrase lists.

Only a few hundred distinct bodies are built (see generate.BODY_POOL) and reused by index, so rendering them with
forum.markup stays a second of work however many stories there are. The phrases mention resources by the names
people type, so a search for a common word ("uworld") matches a large share of stories, as on the real forum.
"""
import random

COMMON_WORD = "uworld"  # in most bodies: the bench's "search for a common word"

RESOURCE_NAMES = ["UWorld", "UWorld", "UWorld", "AMBOSS", "First Aid", "Pathoma", "Boards and Beyond", "Sketchy",
                  "Anki", "AnKing", "Divine Intervention", "the NBMEs", "the UWSAs", "Mehlman", "Bootcamp",
                  "OnlineMedEd", "Emma Holliday", "the Free 120", "Step Up to Medicine", "Costanzo"]
SUBJECTS = ["biostats", "ethics", "cardio", "renal", "pharm", "micro", "biochem", "neuro", "OB/GYN", "peds",
            "psych", "surgery", "endocrine", "GI", "heme/onc", "immunology", "pulm", "MSK", "derm", "repro"]
FEELINGS = ["anxious", "exhausted", "calm", "burnt out", "confident", "nervous", "steady", "overwhelmed"]
DURATIONS = ["two weeks", "three weeks", "four weeks", "six weeks", "eight weeks", "ten weeks", "three months",
             "a month", "five weeks", "twelve weeks"]
NUMBERS = ["40", "60", "80", "120", "200", "2,000", "3,500", "20", "10", "30"]

INTRO = [
    "I took the exam after {duration} of dedicated study and wanted to write down what worked for me.",
    "This forum helped me a lot, so here is my story in return.",
    "I was {feeling} for most of dedicated, and that is part of the story.",
    "I am an IMG and studied while working part time, so my schedule was not the usual one.",
    "Long post, sorry. The short version: {resource} and spaced repetition carried me.",
    "I failed my first attempt, and I want to explain what I changed the second time.",
    "My school gave us {duration} of dedicated time, which turned out to be about right.",
    "I started {resource} early in second year and finished it twice before the exam.",
    "Everyone told me {subject} would be high yield; it was, but not the way I expected.",
    "I kept a spreadsheet of every practice score and every block, which I will summarise below.",
]
METHOD = [
    "I did {number} questions a day from {resource}, timed and random, and reviewed every explanation.",
    "Every wrong answer went into Anki as a card, and I kept the daily reviews under {number}.",
    "I watched {resource} at double speed and annotated First Aid as I went.",
    "Mornings were questions, afternoons were review, and evenings were {resource} for weak areas.",
    "I kept a notebook of {subject} facts that I got wrong more than once.",
    "Once a week I took a full practice block under exam conditions, breaks included.",
    "I redid my incorrects in UWorld during the last {duration} instead of starting a new bank.",
    "I used {resource} only for {subject}, which it covers better than anything else.",
    "Every Sunday was off. I think that is the only reason I did not burn out.",
    "I read the UWorld explanations for right answers too, because half of my right answers were guesses.",
]
TEST_DAY = [
    "On test day the questions were longer than UWorld and the {subject} stems were dense.",
    "I felt like I was failing during the exam, which apparently is normal.",
    "The exam felt closest to the newest NBMEs, and the Free 120 was a good warm-up.",
    "I took a break after every block and ate something small each time.",
    "There was more {subject} than I expected and less {subject2} than the forums suggested.",
    "Time was tight in the first two blocks and fine after that.",
]
ADVICE = [
    "Do UWorld, do it carefully, and do not worry about finishing a second bank.",
    "Take the NBMEs seriously: they predicted my score within a few points.",
    "Protect your sleep in the last week.",
    "Do not compare your schedule with anyone else's.",
    "Start Anki early and never skip reviews.",
    "If your practice scores are below passing, postpone. A fail costs more than a month.",
    "Review {subject} in the last week: it is easy points.",
    "Use {resource} for what it is good at and ignore the rest.",
    "Talk to someone when it gets hard. I did not, and I regret it.",
    "Book the exam date first, then plan backwards from it.",
]
RESOURCE_NOTES = ["did it twice", "first pass random timed", "only the high-yield chapters",
                  "explanations are the real value", "at double speed", "for {subject} only",
                  "daily reviews under 300", "finished about 70%", "worth every cent", "too long for dedicated",
                  "great for weak areas", "used it as my main text", "the last week only", ""]
TITLE_HOOKS = ["what actually worked", "my full schedule", "how I studied while working",
               "UWorld twice, NBMEs and a lot of Anki", "lessons from a failed first attempt",
               "an IMG's path", "study plan and practice scores", "six weeks of dedicated",
               "what I would do differently", "the resources I would keep", "from failing NBMEs to a pass",
               "long post with every practice score", "studying with a newborn at home",
               "the short version", "a retaker's plan"]
COMMENT_SENTENCES = [
    "Congrats, and thank you for writing this up!",
    "How many UWorld blocks did you do per day in the last {duration}?",
    "This is really helpful. I am in week {week} of dedicated and panicking a little.",
    "Did you find {resource} worth it for {subject}?",
    "Same experience here: the exam felt much harder than the NBMEs.",
    "Could you share your Anki settings?",
    "I had almost the same practice scores and ended up close to your score.",
    "Thank you. Saving this for when I start dedicated.",
    "I disagree about {resource}; it helped me more than {resource2} did.",
    "What did you do for {subject}? That is my weakest area.",
    "Well deserved. The retake section is going to help a lot of people.",
    "Did you do the Free 120 at the end or earlier?",
    "How long were your breaks on test day?",
    "Congrats! Was your school's comp exam a good predictor?",
]


def _fill(template: str, rng: random.Random) -> str:
    subject, subject2 = rng.sample(SUBJECTS, 2)
    resource, resource2 = rng.sample(RESOURCE_NAMES, 2)
    return template.format(duration=rng.choice(DURATIONS), feeling=rng.choice(FEELINGS), resource=resource,
                           resource2=resource2, subject=subject, subject2=subject2, number=rng.choice(NUMBERS),
                           week=rng.randint(1, 8))


def _paragraph(pool: list[str], rng: random.Random, sentences: int) -> str:
    return " ".join(_fill(t, rng) for t in rng.sample(pool, min(sentences, len(pool))))


def story_body(rng: random.Random, *, words: int) -> str:
    """A Markdown story of about `words` words: intro, a resource list, how it went, numbered advice."""
    parts = [_paragraph(INTRO, rng, rng.randint(2, 3)), "## What I used"]
    parts.append("\n".join(f"- **{name}**: {_fill(rng.choice(METHOD), rng)}"
                           for name in rng.sample(RESOURCE_NAMES[2:], rng.randint(2, 4))))
    parts.append("## How I studied")
    while sum(len(p.split()) for p in parts) < words - 60:
        parts.append(_paragraph(METHOD, rng, rng.randint(2, 4)))
    parts += ["## Test day", _paragraph(TEST_DAY, rng, 2), "## Advice"]
    parts.append("\n".join(f"{i}. {_fill(t, rng)}" for i, t in enumerate(rng.sample(ADVICE, 3), 1)))
    return "\n\n".join(parts)


def comment_body(rng: random.Random, *, words: int) -> str:
    """A comment of about `words` words; some quote the story, as replies do."""
    sentences = []
    while sum(len(s.split()) for s in sentences) < words:
        sentences.append(_fill(rng.choice(COMMENT_SENTENCES + METHOD), rng))
    text = " ".join(sentences)
    if rng.random() < 0.15:
        text = f"> {_fill(rng.choice(METHOD), rng)}\n\n{text}"
    return text


def story_title(rng: random.Random, *, step_label: str, outcome: str, score: int | None, weeks: int | None) -> str:
    hook = rng.choice(TITLE_HOOKS)
    verb = {"passed": "Passed", "failed": "Failed", "pending": "Just took"}[outcome]
    options = [f"{verb} {step_label}: {hook}", f"{step_label} experience: {hook}"]
    if score is not None:
        options.append(f"{step_label} {score}: {hook}")
    if weeks:
        options.append(f"{verb} {step_label} after {weeks} weeks: {hook}")
    return rng.choice(options)[:150]


def resource_note(rng: random.Random) -> str:
    return _fill(rng.choice(RESOURCE_NOTES), rng)


USERNAME_PARTS = (["future", "tired", "night", "coffee", "anki", "step", "path", "neuro", "cardio", "derm", "peds",
                   "surg", "img", "do", "md", "ms3", "ms4", "pgy1", "quiet", "lucky"],
                  ["doc", "owl", "student", "grinder", "learner", "resident", "intern", "reader", "runner", "fox",
                   "bear", "panda", "walker", "writer", "hopeful", "medic", "scholar", "cat", "dreamer", "nerd"])


def username(rng: random.Random, index: int) -> str:
    """Unique by the index suffix; 3-30 characters of the allowed alphabet."""
    first, second = (rng.choice(part) for part in USERNAME_PARTS)
    return f"{first}_{second}{index}"
