"""flask users create / set-role / ban."""
import sqlalchemy as sa

from forum.extensions import db
from forum.models import ModAction, User
from tests.builders import make_user, sign_in


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


def test_seed_demo_is_idempotent(app):
    first = run(app, "seed-demo")
    assert first.exit_code == 0, first.output
    count = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    assert run(app, "seed-demo").exit_code == 0
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == count > 0
