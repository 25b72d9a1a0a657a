"""The flask commands: users, seed-demo, clear-cache."""
import re

import sqlalchemy as sa

from forum.extensions import db
from forum.models import ModAction, User
from tests.builders import make_story, make_user, sign_in


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=list(args), input=input)


def test_create_user_reads_password_from_stdin(app, client):
    result = run(app, "users", "create", "Admina", "admina@example.org", "--role", "admin",
                 input="a long admin passphrase\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.username == "Admina"))
    assert user.role == "admin"
    sign_in(client, "admina", "a long admin passphrase")


def test_create_user_refuses_bad_input(app):
    make_user("taken")
    assert run(app, "users", "create", "TAKEN", "t2@example.org", input="a long admin passphrase\n").exit_code == 1
    assert run(app, "users", "create", "x", "x@example.org", input="a long admin passphrase\n").exit_code == 1
    assert run(app, "users", "create", "okname", "not-an-email", input="a long admin passphrase\n").exit_code == 1
    result = run(app, "users", "create", "okname", "ok@example.org", input="password123\n")
    assert result.exit_code == 1 and "common" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


def test_set_role_is_logged(app):
    make_user("mona")
    result = run(app, "users", "set-role", "mona", "moderator")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(User.role).where(User.username == "mona")) == "moderator"
    entry = db.session.scalar(sa.select(ModAction))
    assert (entry.action, entry.target_label) == ("set_role", "mona")
    assert run(app, "users", "set-role", "mona", "emperor").exit_code == 2
    assert run(app, "users", "set-role", "ghost", "admin").exit_code == 1


def test_ban_for_days_and_permanently(app):
    make_user("ned")
    assert run(app, "users", "ban", "ned", "--days", "7", "--reason", "spam").exit_code == 0
    db.session.expire_all()
    user = db.session.scalar(sa.select(User).where(User.username == "ned"))
    assert user.is_banned and user.ban_reason == "spam"
    assert run(app, "users", "ban", "ned", "--reason", "repeat spam").exit_code == 0
    db.session.expire_all()
    assert user.banned_until.year == 9999
    assert run(app, "users", "ban", "ned").exit_code == 2  # a reason is required
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ModAction)) == 2


def test_seed_demo_is_idempotent_and_its_summary_counts_what_it_added(app):
    """The summary's story votes are the rows added (it said "0 new story votes" while the pages showed votes);
    the progress bar is on stderr, so stdout is the summary alone."""
    from forum.models import StoryVote

    first = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    assert first.stderr == "Seeding the demo\n"  # off a terminal Click prints the bar's label only, once
    votes = db.session.scalar(sa.select(sa.func.count()).select_from(StoryVote))
    accounts = db.session.scalar(sa.select(sa.func.count()).select_from(User))  # the demo's only accounts here
    assert re.fullmatch(rf"Demo content ready: \d+ resources, {accounts} demo accounts, .*, {votes} new story votes\. "
                        r"Every demo account's password is "
                        r"'step stories demo'\.\n", first.stdout) and votes > 0, first.stdout
    count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    again = run(app, "seed-demo")
    assert again.exit_code == 0 and ", 0 new stories, " in again.stdout and "0 new story votes" in again.stdout
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == count > 0


def test_the_demo_sample_follows_the_exam_rules_and_fills_the_insights(app, client):
    """The generated sample stories are believable records, and give /insights groups of ten to show."""
    import statistics

    from sqlalchemy.orm import selectinload

    from forum import exam, scales
    from forum.demo_sample import SAMPLE_STORIES
    from forum.models import PracticeScore, Story, utcnow

    assert run(app, "seed-demo").exit_code == 0
    db.session.rollback()
    sample_authors = sa.select(User.id).where(User.username.startswith("sample_candidate_"))
    samples = list(db.session.scalars(sa.select(Story).where(Story.author_id.in_(sample_authors))
                                      .options(selectinload(Story.practice_scores).joinedload(PracticeScore.resource))))
    assert len(samples) == SAMPLE_STORIES
    today = utcnow().date()
    for story in samples:
        assert exam.validate_exam_record(step=story.step, exam_month=story.exam_month, attempt=story.attempt,
                                         outcome=story.outcome, score=story.score, prep_weeks=story.prep_weeks,
                                         today=today) == {}, story.title
        for practice in story.practice_scores:  # each on the scale its assessment reported that day
            period = scales.period_on(scales.periods_of(practice.resource), practice.taken_on)
            assert scales.mismatch(practice.resource.name, period, practice.score) is None
            assert practice.scale == scales.decide(period.scale, practice.score)
            assert exam.validate_practice_score(scale=practice.scale, score=practice.score,
                                                taken_on=practice.taken_on, exam_month=story.exam_month,
                                                today=today) == {}
    assert any(story.practice_scores for story in samples)
    # Pass/fail Step 1 stories that passed and that failed have percent NBME scores, for Step 1 insights: passers
    # mostly 60-80%, failers lower
    nbme_percent = {outcome: [p.score for story in samples if story.step == "step1" and story.score is None
                              and story.outcome == outcome for p in story.practice_scores
                              if p.scale == "percent" and p.resource.slug.startswith("nbme-cbssa")]
                    for outcome in ("passed", "failed")}
    assert nbme_percent["passed"] and nbme_percent["failed"]
    assert 60 <= statistics.median(nbme_percent["passed"]) <= 80
    assert statistics.median(nbme_percent["failed"]) < 60
    written = list(db.session.scalars(sa.select(PracticeScore).join(Story)
                                      .where(Story.author_id.not_in(sample_authors))))
    assert written and all(p.scale == scales.scale_for(p.resource, p.taken_on, p.score) for p in written)
    # "Free 120" on a Step 1 story is the Step 1 Free 120, not the first one some other story resolved
    from forum.models import Resource

    rows = db.session.execute(sa.select(Story.step, Resource.steps)
                              .join(PracticeScore, PracticeScore.story_id == Story.id)
                              .join(Resource, Resource.id == PracticeScore.resource_id)).all()
    assert rows and [(step, steps) for step, steps in rows if step not in steps.split()] == []
    assert any(p.scale == "percent" and p.resource.slug.startswith("nbme-cbssa") for p in written)
    page = client.get("/insights?step=step2ck").get_data(as_text=True)
    assert "Step 2 CK stories that passed" in page


def test_clear_cache_forgets_pages_a_restored_database_could_be_served(app, client):
    """After a restore the versions go back, and the writes since count them up to numbers pages were stored
    under before the restore: those pages must go."""
    from forum.models import CacheVersion

    def site():
        return db.session.get(CacheVersion, "site").value

    make_story(title="Written before the backup")
    make_story(title="Written after the backup")
    assert "Written after the backup" in client.get("/stories").get_data(as_text=True)
    db.session.rollback()
    cached_under = site()
    # The restore: the story is gone, and the site version is back at an older number that writes raise again.
    db.session.execute(sa.text("DELETE FROM stories WHERE title = 'Written after the backup'"))
    db.session.execute(sa.update(CacheVersion).where(CacheVersion.scope == "site").values(value=cached_under - 1))
    db.session.commit()  # this write raises it to cached_under again, with different data
    assert site() == cached_under
    assert "Written after the backup" in client.get("/stories").get_data(as_text=True)  # the stale page

    assert run(app, "clear-cache").exit_code == 0
    assert "Written after the backup" not in client.get("/stories").get_data(as_text=True)


def test_the_demo_discussion_keeps_every_cached_count_true(app, client):
    """Threads and votes go through the site's own functions: flask recount --check finds nothing to repair."""
    from forum import recount
    from forum.models import Comment, CommentVote, Story, StoryVote

    assert run(app, "seed-demo").exit_code == 0
    db.session.rollback()
    assert recount.check() == []
    replies = db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.depth == 2))
    assert replies > 0 and db.session.scalar(sa.select(sa.func.count()).select_from(CommentVote)) > 0
    votes = db.session.scalar(sa.select(sa.func.count()).select_from(StoryVote))
    assert votes > 0
    story = db.session.scalar(sa.select(Story).where(Story.comment_count > 3).order_by(Story.id))
    page = client.get(f"/stories/{story.id}-{story.slug}").get_data(as_text=True)
    assert page.count('<li class="comment-item') == story.comment_count

    assert run(app, "seed-demo").exit_code == 0  # again: nothing doubles
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(StoryVote)) == votes
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Comment).where(Comment.depth == 2)) == replies
    assert recount.check() == []
