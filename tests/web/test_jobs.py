"""Background jobs (forum/jobs.py): a job runs only if its transaction commits, and only once the response is sent;
with Redis it goes through an RQ queue, whose worker retries it and keeps what failed for good."""
import json
import logging
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask import Blueprint, request

from forum import create_app, jobs
from forum.extensions import db
from forum.urls import external_url
from tests.builders import make_story, make_user, post_form, sign_in
from tests.conftest import IsolatedClient

RAN: list[dict] = []  # what the test jobs saw when they ran, in order


@jobs.job
def remember(label: str) -> None:
    RAN.append({"label": label, "base": request.host_url, "home": external_url("hubs.home")})


@jobs.job
def explode(label: str) -> None:
    RAN.append({"label": label})
    raise RuntimeError("the relay is down")


probe = Blueprint("jobs_probe", __name__)


@probe.route("/jobs-probe/<outcome>")
def enqueue_then(outcome: str):
    """Ask for a job in a transaction, then end it as told; the body says what had run by the end of the view."""
    db.session.execute(sa.text("SELECT 1"))  # a transaction is open
    if outcome == "savepoint":
        with db.session.begin_nested() as savepoint:
            jobs.enqueue(remember, "inside a rolled-back savepoint")
            savepoint.rollback()
        jobs.enqueue(remember, "after the savepoint")
        db.session.commit()
    elif outcome == "released-savepoint":
        with db.session.begin_nested():
            jobs.enqueue(remember, "inside a released savepoint")
        db.session.rollback()  # the transaction around it decides
    else:
        jobs.enqueue(explode if outcome == "fail" else remember, outcome)
        if outcome == "rollback":
            db.session.rollback()  # as a view does after an IntegrityError, before it writes something else
            db.session.execute(sa.text("SELECT 1"))
            db.session.commit()
        elif outcome == "error":
            raise RuntimeError("the view failed after asking for a job")
        else:
            db.session.commit()
    return json.dumps([entry["label"] for entry in RAN])


@pytest.fixture
def probe_app(app):
    """The suite's app settings on the same database, plus the probe view (the shared app is already serving)."""
    settings = {key: app.config[key] for key in ("TESTING", "SECRET_KEY", "SQLALCHEMY_DATABASE_URI", "MAIL_OUTBOX",
                                                 "RATELIMIT_STORAGE_URI", "FORUM_BASE_URL")}
    fresh_app = create_app({**settings, "FORUM_BASE_URL": "https://stepstories.example"})
    fresh_app.register_blueprint(probe)
    fresh_app.test_client_class = IsolatedClient  # closes each response, as a server does once it is sent
    RAN.clear()
    yield fresh_app
    RAN.clear()
    with fresh_app.app_context():
        db.engine.dispose()  # its own pool: close the connections now, not when the app is collected


def test_a_job_runs_only_once_the_response_has_been_sent(probe_app):
    response = probe_app.test_client().get("/jobs-probe/commit", buffered=False)
    assert json.loads(response.get_data()) == []  # the whole body is out, and nothing has run
    assert RAN == []
    response.close()  # the server closes the response after sending it
    assert [entry["label"] for entry in RAN] == ["commit"]


def test_a_job_of_a_rolled_back_transaction_never_runs_even_when_the_next_one_commits(probe_app):
    probe_app.test_client().get("/jobs-probe/rollback")
    assert RAN == []


def test_a_job_of_a_view_that_failed_never_runs(probe_app):
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False
    assert probe_app.test_client().get("/jobs-probe/error").status_code == 500
    assert RAN == []


def test_a_job_asked_for_in_a_rolled_back_savepoint_never_runs(probe_app):
    probe_app.test_client().get("/jobs-probe/savepoint")
    assert [entry["label"] for entry in RAN] == ["after the savepoint"]


def test_a_job_asked_for_in_a_released_savepoint_waits_for_the_transaction_around_it(probe_app):
    probe_app.test_client().get("/jobs-probe/released-savepoint")
    assert RAN == []


def test_a_job_runs_on_the_base_url_whatever_host_the_request_named(probe_app):
    probe_app.test_client().get("/jobs-probe/commit", headers={"Host": "evil.example"})
    assert RAN == [{"label": "commit", "base": "https://stepstories.example/",
                    "home": "https://stepstories.example/"}]


def test_outside_a_request_a_job_runs_right_after_the_commit(app):
    RAN.clear()
    db.session.execute(sa.text("SELECT 1"))
    jobs.enqueue(remember, "from a command")
    assert RAN == []
    db.session.commit()
    assert [entry["label"] for entry in RAN] == ["from a command"]
    RAN.clear()


def test_a_failed_job_is_logged_and_the_page_stands(probe_app, caplog):
    probe_app.config["PROPAGATE_EXCEPTIONS"] = False
    with caplog.at_level(logging.ERROR, logger="forum.jobs"):
        response = probe_app.test_client().get("/jobs-probe/fail")
    assert response.status_code == 200
    assert "job tests.web.test_jobs.explode failed" in caplog.text


def test_only_registered_functions_with_plain_arguments_can_be_enqueued(app):
    with pytest.raises(ValueError, match="not a job"):
        jobs.enqueue(print, "hello")
    with pytest.raises(TypeError):
        jobs.enqueue(remember, make_user())  # a row: pass its id


def test_a_reply_mail_is_sent_after_the_response_not_during_the_view(client, outbox):
    wants = make_user("wants_mail", email_on_reply=True)
    sign_in(client, make_user("replier", created_at=datetime(2024, 1, 1)))
    story = make_story(wants)
    response = post_form(client, f"/stories/{story.id}/comments", {"body": "A reply that mails"},
                         token_from=f"/stories/{story.id}-{story.slug}", buffered=False)
    assert response.status_code == 302
    response.get_data()
    assert list(outbox.glob("*.eml")) == []
    response.close()
    assert len(list(outbox.glob("*.eml"))) == 1


def test_a_reply_mail_links_to_the_base_url_not_to_the_forged_host(client, outbox, monkeypatch, app):
    """The attacker replies through a forged Host; the member's notification mail must still link to the site."""
    monkeypatch.setitem(app.config, "FORUM_BASE_URL", "https://stepstories.example")
    wants = make_user("wants_mail", email_on_reply=True)
    story = make_story(wants)
    client.environ_base["HTTP_HOST"] = "evil.example"  # every request of this attacker names that Host
    sign_in(client, make_user("attacker", created_at=datetime(2024, 1, 1)))
    post_form(client, f"/stories/{story.id}/comments", {"body": "Click my link"},
              token_from=f"/stories/{story.id}-{story.slug}")
    (mail,) = [path.read_text() for path in outbox.glob("*.eml")]
    assert "https://stepstories.example/comments/" in mail
    assert "evil.example" not in mail


def test_an_unreachable_queue_loses_no_job(probe_app, caplog):
    probe_app.config.update(JOBS_REDIS_URL="redis://127.0.0.1:1/0", PROPAGATE_EXCEPTIONS=False)
    with caplog.at_level(logging.ERROR, logger="forum.jobs"):
        probe_app.test_client().get("/jobs-probe/commit")
    assert [entry["label"] for entry in RAN] == ["commit"]
    assert "job queue unreachable" in caplog.text


# With Redis: an RQ queue of this test's own, worked by an RQ worker in this process.

@pytest.fixture
def redis_queue(probe_app, redis_url):
    import redis

    url = redis_url
    client = redis.Redis.from_url(url)
    probe_app.config.update(JOBS_REDIS_URL=url, JOBS_QUEUE=f"sstest{uuid.uuid4().hex[:8]}:jobs")
    queue = jobs.queue(probe_app)
    yield queue
    for key in client.scan_iter(match=f"*{queue.name}*"):
        client.delete(key)
    client.close()


def work_in_burst(probe_app):
    with probe_app.app_context():
        jobs.work(probe_app, burst=True)


def test_with_redis_a_committed_job_waits_in_the_queue_for_the_worker(probe_app, redis_queue):
    probe_app.test_client().get("/jobs-probe/commit")
    assert RAN == [] and redis_queue.count == 1
    work_in_burst(probe_app)
    assert [entry["label"] for entry in RAN] == ["commit"] and redis_queue.count == 0
    assert RAN[0]["base"] == "https://stepstories.example/"


def test_with_redis_a_rolled_back_job_never_reaches_the_queue(probe_app, redis_queue):
    probe_app.test_client().get("/jobs-probe/rollback")
    assert redis_queue.count == 0


def test_with_redis_a_failing_job_is_retried_then_kept_as_failed(probe_app, redis_queue, monkeypatch):
    from rq.registry import FailedJobRegistry

    monkeypatch.setattr(jobs, "RETRY_INTERVALS", (0, 0))  # retry at once, so one burst sees every try
    probe_app.test_client().get("/jobs-probe/fail")
    work_in_burst(probe_app)
    assert [entry["label"] for entry in RAN] == ["fail"] * 3  # the first try and two retries
    assert FailedJobRegistry(queue=redis_queue).count == 1
    with probe_app.app_context():  # the command's app, not the suite's
        listing = probe_app.test_cli_runner().invoke(args=["jobs", "failed"])
        assert "tests.web.test_jobs.explode" in listing.output and "the relay is down" in listing.output
        retried = probe_app.test_cli_runner().invoke(args=["jobs", "failed", "--retry"])
    assert retried.exit_code == 0 and redis_queue.count == 1
