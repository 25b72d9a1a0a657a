"""flask commands for the people who run the site."""
import sys
from contextlib import ExitStack, contextmanager

import click
import sqlalchemy as sa
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from . import exam, passwords
from .auth.forms import normalise_email, username_clash
from .extensions import db
from .models import ROLES, USERNAME_PATTERN, User, username_key

users_cli = AppGroup("users", help="Create accounts, change roles, ban and unban.")


def _get_user(username: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.username_key == username_key(username)))
    if user is None:
        raise click.ClickException(f"No user called {username!r}.")
    return user


BAR_STEPS = 200  # redraws of a progress bar: smooth to the eye, and 100,000 stories do not mean 100,000 redraws


@contextmanager
def progress_bar(label: str):
    """Yields progress(done, total) for a domain function to call; Click draws the bar on stderr, so what a command
    prints on stdout stays the same. The bar appears at the first call (pg_dump, which tells nothing, shows none);
    off a terminal Click prints only the label, once, where a bar would fill a log with redraws."""
    with ExitStack() as stack:
        bar, shown = None, 0

        def progress(done: int, total: int) -> None:
            nonlocal bar, shown
            if bar is None:
                bar = stack.enter_context(click.progressbar(length=total, label=label, file=sys.stderr,
                                                            update_min_steps=max(total // BAR_STEPS, 1)))
            bar.update(done - shown)
            shown = done

        yield progress


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\n")


@users_cli.command("create")
@click.argument("username")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), default="member", show_default=True)
def create_user(username: str, email: str, role: str) -> None:
    """Create an account; the password comes from a prompt, or the first line of stdin when piped."""
    import re

    if not re.fullmatch(USERNAME_PATTERN, username):
        raise click.ClickException("Usernames are 3-30 letters, digits, - or _.")
    try:
        email = normalise_email(email)
    except ValueError as error:
        raise click.ClickException(f"Not a valid email address: {error}") from None
    if clash := username_clash(username):
        raise click.ClickException(clash)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise click.ClickException("An account already uses that email address.")
    password = _read_password()
    if not passwords.MIN_LENGTH <= len(password) <= passwords.MAX_LENGTH:
        raise click.ClickException(f"Passwords are {passwords.MIN_LENGTH} to {passwords.MAX_LENGTH} characters.")
    if passwords.is_common(password):
        raise click.ClickException("That password is on the common-passwords list.")
    user = User(username=username, username_key=username_key(username), email=email, role=role,
                password_hash=passwords.hash_password(password))
    db.session.add(user)
    db.session.commit()
    click.echo(f"Created {role} {username}.")


@users_cli.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
def set_role(username: str, role: str) -> None:
    """Make someone a member, moderator or admin (recorded in the moderation log)."""
    from . import moderator_actions

    user = _get_user(username)
    moderator_actions.set_role(user, role=role, actor=None)
    db.session.commit()
    click.echo(f"{user.username} is now {role}.")


@users_cli.command("ban")
@click.argument("username")
@click.option("--days", type=click.IntRange(min=1), help="Length of the ban; without it the ban is permanent.")
@click.option("--reason", required=True, help="Shown to the user and in the public moderation log.")
def ban_user(username: str, days: int | None, reason: str) -> None:
    """Stop someone posting, commenting and voting; they can still read."""
    from . import moderator_actions

    user = _get_user(username)
    moderator_actions.ban(user, actor=None, days=days, reason=reason)
    db.session.commit()
    click.echo(f"{user.username} is banned {'for ' + str(days) + ' days' if days else 'permanently'}.")


@users_cli.command("unban")
@click.argument("username")
@click.option("--reason", required=True, help="Shown in the public moderation log.")
def unban_user(username: str, reason: str) -> None:
    """Lift a ban before it ends (a permanent one too); the member may post again."""
    from . import moderator_actions

    user = _get_user(username)
    if not user.is_banned:
        raise click.ClickException(f"{user.username} is not banned.")
    moderator_actions.unban(user, actor=None, reason=reason)
    db.session.commit()
    click.echo(f"{user.username} is no longer banned.")


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Fill a local database with demo accounts and stories (safe to run again)."""
    from flask import current_app

    from . import demo

    if current_app.config["FORUM_ENV"] == "production":
        raise click.ClickException("seed-demo creates accounts with a published password: not in production.")
    with progress_bar("Seeding the demo") as progress:
        counts = demo.seed(progress=progress)
    click.echo("Demo content ready: " + ", ".join(f"{n} {what}" for what, n in counts.items())
               + f". Every demo account's password is {demo.DEMO_PASSWORD!r}.")


resources_cli = AppGroup("resources", help="The resource catalogue.")
stories_cli = AppGroup("stories", help="Story maintenance.")


@resources_cli.command("load")
def load_resources() -> None:
    """Upsert the catalogue shipped in forum/data/resources.json (safe to run again)."""
    from . import catalogue

    with progress_bar("Loading the catalogue") as progress:
        counts = catalogue.load(progress=progress)
    db.session.commit()
    click.echo(f"Catalogue: {counts['created']} added, {counts['updated']} updated, {counts['total']} in the file.")


@stories_cli.command("rerender")
def rerender_stories() -> None:
    """Render every story's Markdown again, after a change to the markup policy."""
    from .stories import writing

    with progress_bar("Rendering stories") as progress:
        changed = writing.rerender_all(progress=progress)
    db.session.commit()
    click.echo(f"Re-rendered stories: {changed} changed.")


@click.command("recount")
@click.option("--check", is_flag=True, help="Only report counts that differ from their rows; exit 1 if any do.")
@with_appcontext
def recount_command(check: bool) -> None:
    """Compare every cached count (votes, hot, comment counts, karma ...) with the rows, and repair them."""
    from . import recount

    if check:
        with progress_bar("Checking counters") as progress:
            mismatches = recount.check(progress=progress)
        for mismatch in mismatches:
            click.echo(mismatch.describe())
        if mismatches:
            raise click.exceptions.Exit(1)
        click.echo(f"All {len(recount.COUNTERS)} cached counters match their rows.")
        return
    with progress_bar("Recounting") as progress:
        mismatches = recount.repair(progress=progress)
    db.session.commit()
    for mismatch in mismatches:
        click.echo("repaired " + mismatch.describe())
    click.echo(f"Checked {len(recount.COUNTERS)} cached counters: {len(mismatches)} repaired.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--verify", is_flag=True, help="Check an existing backup instead: restore it into a scratch database.")
@with_appcontext
def backup_command(path: str, verify: bool) -> None:
    """Copy the database to PATH while the site serves, or with --verify prove that PATH restores."""
    from . import backup

    try:
        if not verify:
            with progress_bar("Copying pages") as progress:
                written = backup.make_backup(path, progress=progress)
            click.echo(f"Backup written to {written} ({written.stat().st_size:,} bytes). "
                       f"Check it with: flask backup --verify {written}")
            return
        result = backup.verify_backup(path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from None
    for line in backup.describe(result):
        click.echo(line)
    if not result.ok:
        raise click.exceptions.Exit(1)


@click.command("clear-cache")
@with_appcontext
def clear_cache_command() -> None:
    """Forget every cached page and memoised value (after restoring a backup, with Redis)."""
    from . import caching

    caching.cache.clear()
    click.echo("Cache cleared: every page is built afresh on its next request.")


jobs_cli = AppGroup("jobs", help="Background jobs (mail) on the Redis queue.")


def _job_queue_app() -> Flask:
    from flask import current_app

    if not current_app.config["JOBS_REDIS_URL"]:
        raise click.ClickException("No Redis is configured (REDIS_URL or JOBS_REDIS_URL): jobs then run in the web "
                                   "process after each response, and there is no queue to work or list.")
    return current_app._get_current_object()


@jobs_cli.command("worker")
@click.option("--burst", is_flag=True, help="Run what is queued, then exit.")
def jobs_worker(burst: bool) -> None:
    """Run queued jobs as they come, retrying failures on schedule (deploy/stepstories-worker.service)."""
    from . import jobs

    jobs.work(_job_queue_app(), burst=burst)


@jobs_cli.command("failed")
@click.option("--retry", is_flag=True, help="Put every failed job back on the queue.")
def jobs_failed(retry: bool) -> None:
    """List the jobs that failed every try, with their last error; --retry queues them again."""
    from . import jobs

    app = _job_queue_app()
    if retry:
        click.echo(f"Failed jobs queued again: {jobs.retry_failed(app)}.")
        return
    failed = jobs.failed(app)
    for entry in failed:
        result = entry.latest_result()
        error = (result.exc_string if result else "").strip().splitlines() or ["(no error recorded)"]
        ended = f"{entry.ended_at:%Y-%m-%d %H:%M:%S}Z" if entry.ended_at else "at an unknown time"
        click.echo(f"{entry.id} {entry.description} failed {ended}: {error[-1]}")
    click.echo(f"Failed jobs: {len(failed)}.")


notifications_cli = AppGroup("notifications", help="Notification mail.")


@notifications_cli.command("digest")
def notifications_digest() -> None:
    """Queue one digest mail for each member who chose a daily digest and has news since their last one. Run it
    once a day (deploy/stepstories-digest.timer); the mail leaves through the job queue."""
    from . import notifications

    queued = notifications.queue_digests()
    db.session.commit()  # writes nothing: it releases the jobs
    click.echo(f"Digests queued: {queued}.")


insights_cli = AppGroup("insights", help="The insights and the predictor.")


@insights_cli.command("validate")
@click.option("--step", type=click.Choice(exam.STEP_CODES), help="Only this step; without it, every step with data.")
@click.option("--verified", is_flag=True, help="Only stories whose outcome a moderator verified.")
def validate_predictor(step: str | None, verified: bool) -> None:
    """Measure the predictor: predict each story from all the others (leave one out) and compare with its result."""
    from .insights import validation

    records = {code: validation.measured(code, verified=verified) for code in ([step] if step else exam.STEP_CODES)}
    shown = {code: record for code, record in records.items() if record is not None or step}
    for code, record in shown.items():
        click.echo(validation.describe(code, record))
    if not shown:
        click.echo("No step has enough stories with practice scores and a result to predict any of them.")


def register(app: Flask) -> None:
    app.cli.add_command(users_cli)
    app.cli.add_command(seed_demo)
    app.cli.add_command(resources_cli)
    app.cli.add_command(stories_cli)
    app.cli.add_command(recount_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(clear_cache_command)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(insights_cli)
    from .hubs.cli import hubs_cli
    app.cli.add_command(hubs_cli)
