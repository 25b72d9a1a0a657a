"""Demo content for `make run`: a living forum on a new database. Idempotent: running it twice adds nothing."""
import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from . import catalogue, curation, journeys, markup, passwords, ranking, scales, search, threads, votes
from .demo_sample import SAMPLE_STORIES, seed_sample
from .extensions import db
from .models import Feature, Hub, PracticeScore, Resource, Story, StoryVote, User, username_key
from .models.stories import slugify
from .stories.writing import set_resources

# Local-only accounts; the README lists them. `flask seed-demo` refuses to run in production.
DEMO_PASSWORD = "step stories demo"
DEMO_STORIES_PATH = Path(__file__).parent / "data" / "demo_stories.json"
DEMO_THREADS_PATH = Path(__file__).parent / "data" / "demo_threads.json"
DEMO_USERS = [
    ("maya_img", "img", "admin", "IMG from Pune. Took Step 1 and Step 2 CK while doing research in Ohio."),
    ("dr_okafor", "img", "moderator", "Lagos graduate, now PGY-2 in internal medicine."),
    ("jules_md", "us_md", "member", "MS4 in Michigan, applying EM."),
    ("sam_do", "us_do", "member", "OMS-III. Took COMLEX and USMLE in the same summer."),
    ("priya_r", "img", "member", "Step 2 CK retaker: failed once, passed with 248 the second time."),
    ("ben_t", "us_md", "member", "Step 3 during intern year, on nights."),
    ("lucia_m", "img", "member", "Buenos Aires graduate; Step 1 pass/fail era."),
    ("kwame_a", "other", "member", "Caribbean school graduate."),
    ("hannah_do", "us_do", "member", "DO, family medicine resident."),
    ("arjun_s", "us_md", "member", "Dual-degree MD/PhD, back on the wards."),
]
# The front page's featured cards in ../shared/hub-seed.txt: each demo story of that title, with the seed's teaser.
DEMO_FEATURES = [
    ("What Is the Toughest Exam in the USA?",
     "The USMLE Step 1 is widely considered the toughest exam in the USA due to its high stakes, intense "
     "preparation, and life-altering consequences. Learn why it's harder than the Bar Exam, MCAT, or CPA and how "
     "students survive it."),
    ("Hardest Medical License Exam: Which One Tops the List?",
     "Cracking a medical license exam is never a walk in the park, but some tests stand out as truly tough. This "
     "article breaks down which medical licensing exam is considered the hardest, what makes it so intense, and how "
     "it stacks up against others around the world. You’ll get practical tips, real-life examples, and a peek into "
     "what candidates actually face. If you’re preparing for one of these beastly tests, you’ll want to know where "
     "it sits on the difficulty scale. Get ready for honest insights, not just the usual textbook talk."),
]
DEMO_CURATOR = "maya_img"  # the demo admin; the log shows her featuring the cards
# The seed's progress-bar steps besides the generated stories: accounts, written stories, journeys, cards, threads.
SEED_STAGES = 5


def holds_demo_content() -> bool:
    """Whether `flask seed-demo` filled this database: its admin is there, at the address only the demo gives her
    (.invalid is a reserved domain, so no real member has it). One indexed lookup; the front page is cached."""
    return db.session.scalar(sa.select(sa.literal(True)).where(
        User.username_key == username_key(DEMO_CURATOR), User.email == f"{DEMO_CURATOR}@demo.invalid")) is not None


def seed_users() -> dict[str, User]:
    """Create the demo accounts that do not exist yet; return all of them by name."""
    users = {}
    password_hash = None
    for username, background, role, bio in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.username_key == username_key(username)))
        if user is None:
            password_hash = password_hash or passwords.hash_password(DEMO_PASSWORD)
            user = User(username=username, username_key=username_key(username), email=f"{username}@demo.invalid",
                        password_hash=password_hash, role=role, background=background, bio=bio,
                        created_at=datetime(2024, 1, 1))
            db.session.add(user)
        users[username] = user
    db.session.flush()
    return users


def seed_stories(users: dict[str, User], now: datetime) -> int:
    """Create each demo story unless its author already has one with that title.

    Creation times are spread over the last weeks, in exam order (the file is sorted by exam month), so the
    newest stories are about recent exams and listings look lived-in.
    """
    entries = json.loads(DEMO_STORIES_PATH.read_text())
    existing = set(db.session.execute(sa.select(Story.author_id, Story.title)).all())
    assessments = {}  # (step, typed name) -> resource: "Free 120" is a different assessment for each step
    created = 0
    for index, entry in enumerate(entries):
        author = users[entry["author"]]
        if (author.id, entry["title"]) in existing:
            continue
        created_at = now - timedelta(hours=7 * (len(entries) - index) + 3)
        year, month = (int(part) for part in entry["exam_month"].split("-"))
        story = Story(author=author, title=entry["title"], slug=slugify(entry["title"]), body=entry["body"],
                      body_html=markup.render(entry["body"]), step=entry["step"], exam_month=date(year, month, 1),
                      attempt=entry["attempt"], outcome=entry["outcome"], score=entry["score"],
                      background=entry["background"], prep_weeks=entry["prep_weeks"], created_at=created_at,
                      votes=0, hot=ranking.hot(0, created_at), resource_links=[], practice_scores=[])
        db.session.add(story)
        set_resources(story, [(r["name"], r["rating"], r["note"]) for r in entry["resources"]])
        story.search_extra = search.story_text(story, [link.resource for link in story.resource_links])
        step = entry["step"]
        missing = [p["assessment"] for p in entry["practice"] if (step, p["assessment"]) not in assessments]
        assessments.update({(step, name): found for name, found in catalogue.resolve(missing, step).items()})
        story.practice_scores = [practice_score(assessments[step, p["assessment"]], p)
                                 for p in entry["practice"] if assessments.get((step, p["assessment"])) is not None]
        created += 1
    db.session.flush()
    return created


def practice_score(resource: Resource, row: dict) -> PracticeScore:
    """A demo practice score on the scale its assessment reported that day (forum.scales), as the form stores it."""
    taken_on = date.fromisoformat(row["taken_on"])
    return PracticeScore(resource=resource, score=row["score"], taken_on=taken_on,
                         scale=scales.scale_for(resource, taken_on, row["score"]))


def seed_journeys(users: dict[str, User]) -> int:
    """Link the demo's retake stories (their "journey" key: a group name and what changed) as their authors would,
    through forum.journeys and its rules; a group already linked is left alone."""
    groups: dict[str, list[dict]] = {}
    for entry in json.loads(DEMO_STORIES_PATH.read_text()):
        if "journey" in entry:
            groups.setdefault(entry["journey"]["key"], []).append(entry)
    created = 0
    for entries in groups.values():
        author = users[entries[0]["author"]]
        stories = {s.title: s for s in db.session.scalars(sa.select(Story).where(
            Story.author_id == author.id, Story.title.in_([e["title"] for e in entries])))}
        if len(stories) < len(entries) or all(s.journey_id is not None for s in stories.values()):
            continue
        journeys.link(author, list(stories.values()),
                      notes={stories[e["title"]].id: e["journey"].get("note", "") for e in entries})
        created += 1
    return created


def seed_features(users: dict[str, User]) -> int:
    """Feature the seed's two stories on the front page, those not there yet, as the demo admin."""
    curation.ensure_hubs()
    home = db.session.scalar(sa.select(Hub).where(Hub.slug == curation.HOME))
    titles = [title for title, _ in DEMO_FEATURES]
    stories = {s.title: s for s in db.session.scalars(
        sa.select(Story).where(Story.title.in_(titles), Story.status == "published").order_by(Story.id))}
    shown = set(db.session.scalars(sa.select(Feature.story_id).where(Feature.hub_id == home.id)))
    created = 0
    for title, teaser in DEMO_FEATURES:
        story = stories.get(title)
        if story is None or story.id in shown:
            continue
        curation.feature(hub=home, story=story, actor=users[DEMO_CURATOR], teaser=teaser,
                         reason="Demo content: the cards of the hub page.")
        created += 1
    return created


def seed_discussion(users: dict[str, User]) -> tuple[int, int]:
    """Threads on some written stories and upvotes from the demo accounts, through the same functions the site
    uses, so every cached count (votes, hot, karma, comment counts, unread notifications) is what it would be.

    A thread is added to a story that has no comments yet; a vote already cast is not cast again."""
    stories = {s.title: s for s in db.session.scalars(
        sa.select(Story).where(Story.author_id.in_([u.id for u in users.values()]), Story.status == "published")
        .order_by(Story.id))}
    comments = 0

    def add(story: Story, entry: dict, parent) -> None:
        nonlocal comments
        comment = threads.add_comment(story=story, author=users[entry["author"]], body=entry["body"], parent=parent,
                                      submission_key=None)
        comment.created_at = story.created_at + timedelta(hours=2 + comments % 5, minutes=17 * comments % 60)
        comments += 1
        for voter in entry.get("voters", []):
            votes.vote_comment(user=users[voter], comment=comment, up=True)
        for reply in entry.get("replies", []):
            add(story, reply, comment)

    for thread in json.loads(DEMO_THREADS_PATH.read_text()):
        story = stories.get(thread["story"])
        if story is not None and story.comment_count == 0:
            for entry in thread["comments"]:
                add(story, entry, None)
    # Each account upvotes about a third of the others' stories: a fixed pattern, so hot and top differ from new.
    # The new votes are counted as rows: votes.vote_story updates each story's count in the session as it goes, so
    # the stories' counts before and after would be the same numbers (the summary said "0 new story votes").
    before = db.session.scalar(sa.select(sa.func.count()).select_from(StoryVote))
    for u, user in enumerate(users.values()):
        for s, story in enumerate(stories.values()):
            if story.author_id != user.id and (3 * s + u) % 7 < 3:
                votes.vote_story(user=user, story=story, up=True)
    return comments, db.session.scalar(sa.select(sa.func.count()).select_from(StoryVote)) - before


def seed(now: datetime | None = None, progress: Callable[[int, int], None] | None = None) -> dict:
    """Add what the database lacks and commit; progress(done, total), when given, hears of each generated story and
    of each other stage (the CLI draws a bar with it). Returns what was added, by kind."""
    from .models import utcnow

    total = SEED_STAGES + SAMPLE_STORIES
    report = progress or (lambda done, total: None)
    counts = catalogue.load()
    users = seed_users()
    report(1, total)
    now = now or utcnow()
    stories = seed_stories(users, now)
    report(2, total)
    stories += seed_sample(users[DEMO_CURATOR].password_hash, now, progress=lambda done: report(2 + done, total))
    catalogue.refresh_story_counts()
    linked = seed_journeys(users)
    report(total - 2, total)
    features = seed_features(users)
    report(total - 1, total)
    comments, story_votes = seed_discussion(users)
    db.session.commit()
    report(total, total)
    accounts = db.session.scalar(sa.select(sa.func.count()).select_from(User)
                                 .where(User.email.like("%@demo.invalid")))  # written and generated authors alike
    return {"resources": counts["total"], "demo accounts": accounts, "new stories": stories, "new journeys": linked,
            "new featured cards": features, "new comments": comments, "new story votes": story_votes}
