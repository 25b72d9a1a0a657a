"""One function per table, in foreign-key order (TABLES). Each streams its rows to rows.insert and leaves what
later tables need in the Context."""
import heapq
import random
import secrets
import sys
from array import array
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from argon2 import PasswordHasher

from forum import exam, markup, practice_model, ranking, scales
from forum.models.accounts import username_fold
from forum.models.stories import slugify

try:
    from forum.search import story_text  # the words a story is also found by (stories.search_extra)
except ImportError:  # search not built yet
    story_text = None

from . import text
from .rows import (
    BIG_THREADS,
    Context,
    add_months,
    fit_rows,
    insert,
    later,
    months_between,
    pick_author,
    spread,
    weighted,
)

BODY_POOL = 400  # distinct story bodies, rendered once and reused by index
COMMENT_POOL = 300
ORDINARY_THREAD_CAP = 150  # no other story comes near the 200-comment one, so "the 200-comment story" is unique
MAX_DEPTH = 12  # generated replies nest at most this deep (the forum shows 8 levels and stores more)
PATH_DIGITS = 10  # as forum.models.threads.PATH_DIGITS: text order of the paths is thread order
STORY_HISTORY = timedelta(days=730)  # stories were written over the last two years
USER_HISTORY = timedelta(days=1095)  # accounts over three, so the first stories have authors
FIRST_EXAM_MONTH = date(2015, 1, 1)
FEATURES_PER_HUB = 6  # the front page shows a row of featured cards; each step hub its own
FEATURE_WINDOW_DAYS = 30  # moderators feature recent stories

STEP_WEIGHTS_BEFORE_CS_END = {"step1": 40, "step2ck": 33, "step2cs": 12, "step3": 15}
STEP_WEIGHTS = {"step1": 38, "step2ck": 42, "step3": 20}
SCORE_MEANS = {"step1": 232, "step2ck": 247, "step3": 226}  # reported national means, roughly
# Practice scores follow forum.practice_model (shared with the demo), around the middle of the days drawn here.
BIAS_DAYS_BEFORE = 39  # the middle of the practice days drawn below (3-75), so a form's mean gap is its bias
PREP_WEEKS_MEANS = {"step1": 8, "step2ck": 6, "step2cs": 2, "step3": 3}
BACKGROUNDS = {"img": 42, "us_md": 28, "us_do": 17, "other": 6, None: 7}
RATINGS = {None: 30, 1: 2, 2: 5, 3: 14, 4: 24, 5: 25}
# Most used first (forum polls and r/step1 / r/step2 surveys, roughly); the rest follow in catalogue order. A story's
# picks then fall off as 1/rank among the resources serving its step: Zipf-like, UWorld in nearly every story.
POPULARITY = ["uworld-step-1", "uworld-step-2-ck", "uworld-step-3", "first-aid-step-1", "anking-step-1",
              "anking-step-2", "amboss-qbank", "pathoma", "boards-and-beyond", "sketchy", "divine-intervention",
              "uworld-ccs", "first-aid-step-2-cs", "emma-holliday-ramos", "mehlman-medical", "bootcamp",
              "onlinemeded", "step-up-to-medicine", "master-the-boards-step-3", "usmle-step-2-cs-orientation"]




def users(ctx: Context) -> None:
    rng, n = ctx.rng, ctx.counts.users
    start = ctx.now - USER_HISTORY
    ctx.user_created = sorted(start + (ctx.now - start) * rng.random() for _ in range(n))
    ctx.user_created[0] = start  # someone exists before the first story
    ctx.user_background = [weighted(rng, BACKGROUNDS) for _ in range(n)]
    # One real argon2id hash (the app's cost) of a password nobody knows, shared by all: nobody signs in during
    # the bench, and hashing 20,000 passwords would take longer than the rest of the generation.
    password_hash = PasswordHasher(time_cost=2, memory_cost=19 * 1024).hash(secrets.token_urlsafe(24))

    def rows():
        for i in range(n):
            name = text.username(rng, i + 1)
            banned = rng.random() < 0.003
            yield {"id": i + 1, "username": name, "username_key": name.casefold(), "username_fold": username_fold(name),
                   "email": f"user{i + 1}@bench.invalid",
                   "password_hash": password_hash, "role": "admin" if i == 0 else "moderator" if i <= 10 else "member",
                   "background": ctx.user_background[i], "bio": "" if rng.random() < 0.8 else text.resource_note(rng),
                   "created_at": ctx.user_created[i], "banned_until": ctx.now + timedelta(days=30) if banned else None,
                   "ban_reason": "spam" if banned else "", "karma": 0, "auth_version": 1}

    insert(ctx, "users", rows(), n)


def exam_record(rng: random.Random, written: datetime, today: date) -> dict:
    """A believable exam record for a story written at `written`: most exams a few months before, some years."""
    written_month = date(written.year, written.month, 1)
    roll = rng.random()
    if roll < 0.7:
        month = add_months(written_month, -rng.randint(0, 6))
    elif roll < 0.9:
        month = add_months(written_month, -rng.randint(6, 24))
    else:  # a look back at an old exam, as far as the bench's first month
        month = add_months(FIRST_EXAM_MONTH, rng.randint(0, months_between(FIRST_EXAM_MONTH, written_month)))
    month = max(month, FIRST_EXAM_MONTH)
    step = weighted(rng, STEP_WEIGHTS_BEFORE_CS_END if month <= exam.STEPS["step2cs"].last_exam_month
                    else STEP_WEIGHTS)
    may_pend = months_between(month, today) <= exam.PENDING_MAX_MONTHS
    outcome = weighted(rng, {"passed": 84, "failed": 12, "pending": 4 if may_pend else 0})
    attempt = weighted(rng, {1: 70, 2: 22, 3: 6, 4: 2} if outcome == "failed" else {1: 88, 2: 9, 3: 2, 4: 1})
    if month <= exam.FIFTH_ATTEMPT_LAST_MONTH and rng.random() < 0.003:
        attempt = rng.choice((5, 6))
    score = None
    if outcome != "pending" and exam.score_allowed(step, month) and rng.random() < 0.85:
        standard = exam.passing_score(step, month) or 190
        if outcome == "passed":
            score = min(max(round(rng.gauss(SCORE_MEANS[step], 15)), standard), 285)
        else:
            score = standard - rng.randint(1, 18)
    prep = None if rng.random() < 0.1 else min(max(round(rng.gauss(PREP_WEEKS_MEANS[step], 3)), 0), 104)
    return {"step": step, "exam_month": month, "attempt": attempt, "outcome": outcome, "score": score,
            "prep_weeks": prep}


def stories(ctx: Context) -> None:
    rng, n, now = ctx.rng, ctx.counts.stories, ctx.now
    ctx.story_created = sorted(now - STORY_HISTORY * rng.random() for _ in range(n))
    statuses = [weighted(rng, {"published": 970, "deleted": 20, "removed": 10}) for _ in range(n)]
    # The two big threads are among the newest published stories, so they are on the front page too.
    recent = [i for i in range(max(0, n - 500), n) if statuses[i] == "published"]
    for comments, i in zip(BIG_THREADS, rng.sample(recent, len(BIG_THREADS)), strict=True):
        ctx.big_threads[comments] = i + 1
    weights = [rng.lognormvariate(0, 1.3) for _ in range(n)]
    for i in ctx.big_threads.values():
        weights[i - 1] = max(weights) / 2  # popular threads are popular stories
    # Without a story_votes table there are no vote rows, so the cached count stays 0 to agree with them.
    ctx.story_vote_counts = (spread(rng, weights, ctx.counts.story_votes, cap=ctx.counts.users - 1)
                             if ctx.has("story_votes") else array("i", bytes(4 * n)))
    plan_comment_counts(ctx, weights)
    # Like forum.threads.add_comment, the cached count counts every comment row (a deleted one keeps its place).
    comment_counts = ctx.story_comment_counts if ctx.has("comments") else array("i", bytes(4 * n))
    choices = resource_choices(ctx)
    with_search_text = story_text is not None and "search_extra" in ctx.tables["stories"].c
    bodies = [text.story_body(rng, words=rng.randint(100, 400)) for _ in range(BODY_POOL)]
    print(f"  rendering {BODY_POOL} distinct bodies with forum.markup ...", file=sys.stderr, flush=True)
    rendered = [markup.render(body) for body in bodies]
    today = now.date()

    def rows():
        for i in range(n):
            created = ctx.story_created[i]
            author = pick_author(ctx, created, power=1.6)
            record = exam_record(rng, created, today)
            problems = exam.validate_exam_record(**record, today=today)
            if problems:
                raise AssertionError(f"generated an exam record forum.exam refuses: {record} {problems}")
            ctx.story_author.append(author)
            ctx.story_step.append(record["step"])
            ctx.story_month.append(record["exam_month"])
            ctx.story_score.append(record["score"])
            ctx.story_outcome.append(record["outcome"])
            title = text.story_title(rng, step_label=exam.STEPS[record["step"]].label, outcome=record["outcome"],
                                     score=record["score"], weeks=record["prep_weeks"])
            body = rng.randrange(BODY_POOL)
            status = statuses[i]
            ctx.story_status.append(status)
            background = ctx.user_background[author - 1] if rng.random() < 0.9 else weighted(rng, BACKGROUNDS)
            # Resources are picked here because the story's search text names them, and that is written with it.
            serving, weights = choices[record["step"]]
            count = min(rng.randint(2, 6), len(serving))
            # Efraimidis-Spirakis: a weighted sample without replacement in one pass.
            picks = [serving[j] for j in heapq.nlargest(count, range(len(serving)),
                                                        key=lambda j: rng.random() ** (1 / weights[j]))]
            ctx.story_picks.append(picks)
            row = {"id": i + 1, "author_id": author, "title": title, "slug": slugify(title), "body": bodies[body],
                   "body_html": rendered[body], **record, "background": background, "created_at": created,
                   "edited_at": later(rng, created, now, timedelta(days=30)) if rng.random() < 0.08 else None,
                   "votes": ctx.story_vote_counts[i], "comment_count": comment_counts[i],
                   "hot": ranking.hot(ctx.story_vote_counts[i], created),
                   "status": status, "status_reason": {"published": "", "deleted": "deleted by its author",
                                                       "removed": "spam"}[status],
                   "locked": rng.random() < 0.003, "submission_key": None}
            if with_search_text:
                row["search_extra"] = story_text(SimpleNamespace(**record, background=background), picks)
            yield row

    insert(ctx, "stories", rows(), n)


def plan_comment_counts(ctx: Context, story_weights: list[float]) -> None:
    """Comments per story: the two big threads, the rest following popularity, none near the big ones."""
    rest = ctx.counts.comments - sum(BIG_THREADS)
    weights = [w ** 0.7 * ctx.rng.lognormvariate(0, 0.8) for w in story_weights]
    for i in ctx.big_threads.values():
        weights[i - 1] = 0.0
    ctx.story_comment_counts = spread(ctx.rng, weights, rest, cap=ORDINARY_THREAD_CAP)
    for comments, story_id in ctx.big_threads.items():
        ctx.story_comment_counts[story_id - 1] = comments


def resource_choices(ctx: Context) -> dict[str, tuple[list, list[float]]]:
    """Per step, the resources serving it, most used first, and weights falling off as 1/rank (Zipf-like)."""
    order = {slug: rank for rank, slug in enumerate(POPULARITY)}
    choices = {}
    for step in exam.STEP_CODES:
        serving = sorted((r for r in load_catalogue(ctx) if step in r.steps.split()),
                         key=lambda r: (order.get(r.slug, len(order)), r.id))
        # Self-assessments mostly appear as practice scores instead.
        choices[step] = (serving, [(0.3 if r.kind == "self-assessment" else 1.0) / (rank + 1)
                                   for rank, r in enumerate(serving)])
    return choices


def story_resources(ctx: Context) -> None:
    """The 2-6 resources stories() picked for each story, with ratings and notes."""
    rng = ctx.rng

    def rows():
        for i, picks in enumerate(ctx.story_picks):
            for position, resource in enumerate(picks):
                yield {"story_id": i + 1, "resource_id": resource.id, "rating": weighted(rng, RATINGS),
                       "note": text.resource_note(rng) if rng.random() < 0.4 else "", "position": position}

    insert(ctx, "story_resources", rows(), sum(len(picks) for picks in ctx.story_picks))


def load_catalogue(ctx: Context) -> list[SimpleNamespace]:
    """The catalogue as `flask resources load` wrote it, aliases included, shaped like forum.models.Resource."""
    resources, aliases = ctx.tables["resources"], ctx.tables["resource_aliases"]
    with ctx.engine.connect() as conn:
        keys = {}
        for resource_id, key in conn.execute(sa.select(aliases.c.resource_id, aliases.c.alias_key)):
            keys.setdefault(resource_id, []).append(SimpleNamespace(alias_key=key))
        periods = {}  # the dated scales (forum.scales), where the schema has them
        if ctx.has("resource_scales"):
            scale_table = ctx.tables["resource_scales"]
            for row in conn.execute(sa.select(scale_table)):
                periods.setdefault(row.resource_id, []).append(row)
        return [SimpleNamespace(**row._asdict(), aliases=keys.get(row.id, []), scale_periods=periods.get(row.id, []))
                for row in conn.execute(sa.select(resources).order_by(resources.c.id))]


def practice_scores(ctx: Context) -> None:
    """0-4 self-assessments per story in the weeks before the exam, each on the scale its assessment reported that
    day (forum.scales), each near the real score as that form runs (forum.practice_model) and lower the earlier it was
    taken. A pass/fail Step 1 story has no score to be near: its percent-correct NBME forms and Free 120 follow the
    candidate's ability, drawn given the outcome, so Step 1 insights get both sides."""
    rng, n, today = ctx.rng, ctx.counts.stories, ctx.now.date()
    assessments = [r for r in load_catalogue(ctx) if r.kind == "self-assessment" and r.scale]
    periods = {r.id: scales.periods_of(r) for r in assessments}
    by_step = {step: [r for r in assessments if step in r.steps.split()] for step in exam.STEP_CODES}
    counts = [min(weighted(rng, {0: 30, 1: 20, 2: 20, 3: 15, 4: 15}), len(by_step[step])) for step in ctx.story_step]
    with_scale = "scale" in ctx.tables["practice_scores"].c

    def rows():
        next_id = 1
        for i in range(n):
            step, month = ctx.story_step[i], ctx.story_month[i]
            chosen = rng.sample(by_step[step], counts[i])
            days = sorted((rng.randint(3, 75) for _ in chosen), reverse=True)
            target = ctx.story_score[i] or SCORE_MEANS.get(step, 230)
            if ctx.story_score[i] is None and ctx.story_outcome[i] == "failed":  # a fail without a score: below
                target = (exam.passing_standard(step, month) or 196) - 8  # the line, like the fails that have one
            pass_fail = step == "step1" and month >= exam.STEP1_PASS_FAIL_FROM
            ability = None  # drawn at the story's first percent form, if it has one
            for resource, before in zip(chosen, days, strict=True):
                taken_on = month - timedelta(days=before)
                reported = scales.period_on(periods[resource.id], taken_on).scale
                if reported == scales.EITHER:  # the month of NBME's switch: what the story's era would have seen
                    reported = scales.PERCENT if pass_fail else scales.THREE_DIGIT
                if reported == scales.PERCENT and pass_fail:
                    if ability is None:
                        ability = practice_model.ability_given(rng, ctx.story_outcome[i])
                    score = float(percent_from_ability(rng, ability=ability, slug=resource.slug, days_before=before))
                elif reported == scales.PERCENT:
                    score = percent_from_score(rng, step=step, real=target, days_before=before)
                else:
                    score = three_digit_practice(rng, slug=resource.slug, real=target, days_before=before)
                scale = scales.decide(reported, score)
                if next_id % 97 == 0:  # a sample, checked against the form's own rules
                    period = scales.period_on(periods[resource.id], taken_on)
                    problems = exam.validate_practice_score(scale=scale, score=score, taken_on=taken_on,
                                                            exam_month=month, today=today)
                    mismatch = scales.mismatch(resource.name, period, score)
                    if problems or mismatch:
                        raise AssertionError(f"generated a practice score the form refuses: {problems} {mismatch}")
                row = {"id": next_id, "story_id": i + 1, "resource_id": resource.id, "score": score,
                       "taken_on": taken_on}
                if with_scale:
                    row["scale"] = scale
                yield row
                next_id += 1

    insert(ctx, "practice_scores", rows(), sum(counts))


def weeks_early(days_before: int) -> float:
    """How many weeks before the forms' reference day (BIAS_DAYS_BEFORE) a test was taken; negative: after it."""
    return (days_before - BIAS_DAYS_BEFORE) / 7


def three_digit_practice(rng: random.Random, *, slug: str, real: int, days_before: int) -> int:
    """A 3-digit practice score (forum.practice_model.three_digit), within 120-290."""
    mean, sd = practice_model.three_digit(slug, real, weeks_early(days_before))
    return min(max(round(rng.gauss(mean, sd)), 120), 290)


def percent_from_score(rng: random.Random, *, step: str, real: int, days_before: int) -> float:
    """A percent form taken for a scored exam (forum.practice_model.percent_for_score), to one decimal."""
    mean, sd = practice_model.percent_for_score(step, real, SCORE_MEANS[step], weeks_early(days_before))
    return round(min(max(rng.gauss(mean, sd), 30), 99), 1)


def percent_from_ability(rng: random.Random, *, ability: float, slug: str, days_before: int) -> int:
    """A pass/fail Step 1 percent form (forum.practice_model.percent_for_ability), within 30-95."""
    mean, sd = practice_model.percent_for_ability(ability, slug, weeks_early(days_before))
    return min(max(round(rng.gauss(mean, sd)), 30), 95)


def comment_path(parent_path: str | None, comment_id: int) -> str:
    """The thread sort path as forum.threads.add_comment writes it: ancestors' zero-padded ids joined by dots."""
    own = f"{comment_id:0{PATH_DIGITS}d}"
    return f"{parent_path}.{own}" if parent_path else own


def comments(ctx: Context) -> None:
    """Threads: about 40% top-level, the rest replies, the story's author answering a fifth of the time."""
    rng, now = ctx.rng, ctx.now
    total = sum(ctx.story_comment_counts)
    bodies = [text.comment_body(rng, words=int(5 + 115 * rng.random() ** 2)) for _ in range(COMMENT_POOL)]
    rendered = [markup.render(body) for body in bodies]
    vote_weights = [rng.lognormvariate(0, 1.2) for _ in range(total)]
    votes = (spread(rng, vote_weights, ctx.counts.comment_votes, cap=ctx.counts.users - 1)
             if ctx.has("comment_votes") else array("i", bytes(4 * total)))
    ctx.comment_vote_counts = votes

    def rows():
        comment_id = 0
        for story in range(1, ctx.counts.stories + 1):
            count = ctx.story_comment_counts[story - 1]
            if not count:
                continue
            created = ctx.story_created[story - 1]
            times = sorted(later(rng, created, now, timedelta(days=30)) for _ in range(count))
            first_id = comment_id + 1
            parents, depths, paths = [], [], []
            for j, when in enumerate(times):
                comment_id += 1
                parent = None if j == 0 or rng.random() < 0.4 else j - 1 - int(j * rng.random() ** 2)
                while parent is not None and depths[parent] >= MAX_DEPTH:
                    parent = parents[parent]
                parents.append(parent)
                depths.append(0 if parent is None else depths[parent] + 1)
                paths.append(comment_path(None if parent is None else paths[parent], comment_id))
                author = ctx.story_author[story - 1] if rng.random() < 0.2 else pick_author(ctx, when)
                status = weighted(rng, {"published": 975, "deleted": 15, "removed": 10})
                ctx.comment_author.append(author)
                ctx.comment_created.append(when)
                body = rng.randrange(COMMENT_POOL)
                yield {"id": comment_id, "story_id": story, "author_id": author,
                       "parent_id": None if parent is None else first_id + parent, "depth": depths[-1],
                       "path": paths[-1], "body": bodies[body], "body_html": rendered[body],
                       "votes": votes[comment_id - 1], "status": status, "created_at": when, "edited_at": None,
                       "status_reason": ""}

    insert(ctx, "comments", fit_rows(ctx.tables["comments"], rows(), {"author_id": ("user_id",)}), total)


def voters(rng: random.Random, users: int, count: int, exclude: int) -> list[int]:
    """`count` distinct user ids, never the author (nobody upvotes themselves)."""
    chosen = rng.sample(range(1, users + 1), min(count + 1, users))
    if exclude in chosen:
        chosen.remove(exclude)
    return chosen[:count]


def _votes(ctx: Context, table: str, item_column: str, counts, authors, created, window: timedelta) -> None:
    """Each item i+1 gets counts[i] upvotes from distinct users other than its author, after it was written."""
    rng, now = ctx.rng, ctx.now

    def rows():
        for i, count in enumerate(counts):
            for user in voters(rng, ctx.counts.users, count, authors[i]):
                yield {"user_id": user, item_column: i + 1, "created_at": later(rng, created[i], now, window)}

    insert(ctx, table, fit_rows(ctx.tables[table], rows()), sum(counts))


def story_votes(ctx: Context) -> None:
    _votes(ctx, "story_votes", "story_id", ctx.story_vote_counts, ctx.story_author, ctx.story_created,
           timedelta(days=14))


def comment_votes(ctx: Context) -> None:
    _votes(ctx, "comment_votes", "comment_id", ctx.comment_vote_counts, ctx.comment_author, ctx.comment_created,
           timedelta(days=7))


def features(ctx: Context) -> None:
    """Moderators' picks on each hub (loaded by `flask hubs load`): the best-voted recent stories, with teasers."""
    with ctx.engine.connect() as conn:
        hubs = list(conn.execute(sa.select(ctx.tables["hubs"].c.id, ctx.tables["hubs"].c.slug)))
    if not hubs:
        print("skipped: features (no hubs: `flask hubs load` has not run)", file=sys.stderr, flush=True)
        return
    recent = ctx.now - timedelta(days=FEATURE_WINDOW_DAYS)
    candidates = [i for i in range(ctx.counts.stories)
                  if ctx.story_status[i] == "published" and ctx.story_created[i] >= recent]
    picks = []
    for hub_id, slug in hubs:
        mine = [i for i in candidates if slug not in exam.STEPS or ctx.story_step[i] == slug]
        best = sorted(mine, key=lambda i: (-ctx.story_vote_counts[i], -i))[:FEATURES_PER_HUB]
        picks += [(hub_id, position, i + 1) for position, i in enumerate(best)]
    stories_table = ctx.tables["stories"]
    with ctx.engine.connect() as conn:
        texts = dict((row.id, row) for row in conn.execute(
            sa.select(stories_table.c.id, stories_table.c.title, stories_table.c.body)
            .where(stories_table.c.id.in_({story for _, _, story in picks}))))

    def rows():
        for number, (hub_id, position, story) in enumerate(picks, 1):
            yield {"id": number, "hub_id": hub_id, "story_id": story, "position": position,
                   "headline": texts[story].title[:150], "teaser": markup.render_plain_excerpt(texts[story].body),
                   "featured_by_id": ctx.rng.randint(2, 11), "created_at": ctx.now - timedelta(days=position),
                   "expires_at": None}

    insert(ctx, "features", fit_rows(ctx.tables["features"], rows()), len(picks))


TABLES = [("users", users), ("stories", stories), ("story_resources", story_resources),
          ("practice_scores", practice_scores), ("comments", comments), ("story_votes", story_votes),
          ("comment_votes", comment_votes), ("features", features)]
