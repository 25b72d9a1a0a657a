"""Verified outcomes: an author uploads a score report, only moderators can fetch it, and a moderator's decision
deletes it whatever the decision is (forum/verification.py)."""
import io
from datetime import date

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from forum import verification
from forum.extensions import db
from forum.models import ModAction, ScoreReport, Story
from tests.builders import fresh, get_csrf, make_story, make_user, post_form, sign_in

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
HTML = b"<!doctype html><html><script>alert(document.cookie)</script></html>"


@pytest.fixture
def author(app):
    return make_user("the_author")


@pytest.fixture
def story(author):
    return make_story(author, title="Passed CK with a 245")


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def upload(client, story, content: bytes, *, filename: str = "report.pdf", declared: str = "application/pdf",
           token: bool = True):
    """POST the file as a browser does. The body is encoded here, in memory: the test client would spool a large
    one to a temporary file it never closes (a ResourceWarning, an error under -W error)."""
    fields = {"report": FileStorage(io.BytesIO(content), filename=filename, content_type=declared)}
    if token:
        fields["csrf_token"] = get_csrf(client, f"/stories/{story.id}/verify")
    boundary, body = encode_multipart(fields)
    return client.post(f"/stories/{story.id}/verify", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def pending_reports() -> list[ScoreReport]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(ScoreReport)))


def stored_content(report_id: int) -> bytes:
    db.session.rollback()
    return db.session.scalar(sa.select(ScoreReport.content).where(ScoreReport.id == report_id))


def decide(client, report_id: int, decision: str, reason: str = "matches the record", *, seen: str | None = None,
           token: bool = True):
    data = {"decision": decision, "reason": reason, "seen": seen or review_token_of(report_id)}
    if token:
        data["csrf_token"] = get_csrf(client, f"/mod/verifications/{report_id}")
    return client.post(f"/mod/verifications/{report_id}/decide", data=data)


def review_token_of(report_id: int) -> str:
    db.session.rollback()
    return verification.review_token(db.session.get(ScoreReport, report_id))


@pytest.fixture
def moderator(app):
    return signed_in(app, make_user("a_moderator", role="moderator"))


@pytest.fixture
def pending(app, author, story):
    """A PDF waiting for a moderator on the author's story; its id."""
    assert upload(signed_in(app, author), story, PDF).status_code == 302
    return pending_reports()[0].id


# Uploading: what is taken, what is refused

@pytest.mark.parametrize(("content", "content_type"), [(PDF, "application/pdf"), (PNG, "image/png"),
                                                       (JPEG, "image/jpeg")], ids=["pdf", "png", "jpeg"])
def test_author_uploads_a_score_report_kept_in_the_database(app, author, story, content, content_type):
    response = upload(signed_in(app, author), story, content, filename="my report", declared="text/plain")
    assert response.status_code == 302
    [report] = pending_reports()
    assert (report.story_id, report.uploader_id, report.size) == (story.id, author.id, len(content))
    assert report.content_type == content_type  # read from the bytes, not from what the browser declared
    assert stored_content(report.id) == content


@pytest.mark.parametrize(("content", "filename", "declared"), [
    (SVG, "report.png", "image/png"), (HTML, "report.pdf", "application/pdf"),
    (b"PK\x03\x04 a zip or a Word file", "report.pdf", "application/pdf"), (b"GIF89a", "report.jpg", "image/jpeg"),
], ids=["svg-named-png", "html-named-pdf", "zip-named-pdf", "gif-named-jpeg"])
def test_type_is_judged_by_content_never_by_name(app, author, story, content, filename, declared):
    response = upload(signed_in(app, author), story, content, filename=filename, declared=declared)
    assert response.status_code == 400
    assert "not a PDF, PNG or JPEG" in response.get_data(as_text=True)
    assert pending_reports() == []


def test_an_empty_file_is_refused(app, author, story):
    response = upload(signed_in(app, author), story, b"")
    assert response.status_code == 400
    assert "The file is empty" in response.get_data(as_text=True)
    assert pending_reports() == []


def test_a_file_one_byte_over_the_limit_is_refused_with_the_limit_named(app, author, story):
    too_large = PDF + b"0" * (verification.UPLOAD_MAX_BYTES + 1 - len(PDF))
    response = upload(signed_in(app, author), story, too_large)
    assert response.status_code == 413
    assert "larger than 5 MB" in response.get_data(as_text=True)
    assert pending_reports() == []


def test_a_file_at_the_limit_is_taken(app, author, story):
    at_limit = PDF + b"0" * (verification.UPLOAD_MAX_BYTES - len(PDF))
    assert upload(signed_in(app, author), story, at_limit).status_code == 302
    assert [r.size for r in pending_reports()] == [verification.UPLOAD_MAX_BYTES]


def test_a_body_far_over_the_limit_gets_the_413_page_not_a_500(app, author, story):
    response = upload(signed_in(app, author), story, PDF + b"0" * (8 * 2**20))
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "Too large" in page and "5 MB" in page
    assert pending_reports() == []


def test_the_site_wide_body_limit_still_holds_elsewhere(app, author, story):
    """The upload's larger limit is for its own address only."""
    client = signed_in(app, author)
    token = get_csrf(client, f"/stories/{story.id}/edit")
    response = client.post(f"/stories/{story.id}/edit", data={"csrf_token": token, "body": "x" * (2 * 2**20)})
    assert response.status_code == 413


def test_a_new_upload_replaces_the_pending_one(app, author, story):
    client = signed_in(app, author)
    upload(client, story, PDF)
    assert upload(client, story, PNG, filename="clearer.png").status_code == 302
    [report] = pending_reports()
    assert (report.filename, report.content_type) == ("clearer.png", "image/png")


def test_only_the_author_may_upload(app, story):
    response = upload(signed_in(app, make_user("someone_else")), story, PDF)
    assert response.status_code == 403
    assert pending_reports() == []


def test_a_story_awaiting_its_result_has_nothing_to_verify(app, author):
    waiting = make_story(author, outcome="pending", score=None, exam_month=date.today().replace(day=1))
    client = signed_in(app, author)
    assert "awaiting its result" in client.get(f"/stories/{waiting.id}/verify").get_data(as_text=True)
    assert upload(client, waiting, PDF).status_code == 403
    assert pending_reports() == []


def test_an_upload_without_a_csrf_token_is_refused(app, author, story):
    response = upload(signed_in(app, author), story, PDF, token=False)
    assert response.status_code == 400
    assert pending_reports() == []


def test_uploads_are_rate_limited(app, author, story):
    client = signed_in(app, author)
    for _ in range(6):
        assert upload(client, story, PDF).status_code == 302
    response = upload(client, story, PNG)
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert [r.content_type for r in pending_reports()] == ["application/pdf"]


def test_the_author_sees_the_pending_report_and_can_delete_it(app, author, story, pending):
    client = signed_in(app, author)
    page = client.get(f"/stories/{story.id}/verify").get_data(as_text=True)
    assert "Waiting for a moderator" in page and "report.pdf" in page
    assert f"/mod/verifications/{pending}/file" not in page  # the author is never offered the file
    response = post_form(client, f"/stories/{story.id}/verify/withdraw", {}, token_from=f"/stories/{story.id}/verify")
    assert response.status_code == 302
    assert pending_reports() == []


def test_the_story_page_links_the_author_to_the_upload_page_only(app, author, story):
    link, url = f'href="/stories/{story.id}/verify"', f"/stories/{story.id}-{story.slug}"
    assert link not in app.test_client().get(url).get_data(as_text=True)  # cached first, for the stand-ins
    assert link not in signed_in(app, make_user("a_reader")).get(url).get_data(as_text=True)
    assert link in signed_in(app, author).get(url).get_data(as_text=True)


# Fetching: moderators only, as a download

@pytest.mark.parametrize("who", ["anonymous", "the author", "another member"])
def test_nobody_but_a_moderator_can_fetch_an_upload(app, author, pending, who):
    client = {"anonymous": app.test_client, "the author": lambda: signed_in(app, author),
              "another member": lambda: signed_in(app, make_user("curious"))}[who]()
    for url in (f"/mod/verifications/{pending}/file", f"/mod/verifications/{pending}", "/mod/verifications"):
        response = client.get(url)
        assert response.status_code == 403, (who, url)
        assert PDF not in response.get_data()


def test_a_moderator_fetches_the_file_as_an_attachment_with_nosniff(app, moderator, pending):
    response = moderator.get(f"/mod/verifications/{pending}/file")
    assert response.status_code == 200
    assert response.get_data() == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_queue_and_review_page_show_the_record_beside_the_file(moderator, story, pending):
    queue = moderator.get("/mod/verifications").get_data(as_text=True)
    assert f'href="/mod/verifications/{pending}"' in queue and "Passed CK with a 245" in queue
    review = moderator.get(f"/mod/verifications/{pending}").get_data(as_text=True)
    assert f'href="/mod/verifications/{pending}/file"' in review
    assert "245" in review and "June 2025" in review and "Passed" in review


# Deciding: the file never outlives the decision

def test_verifying_marks_the_story_deletes_the_file_and_logs_it(app, moderator, story, pending):
    reader, url = app.test_client(), f"/stories/{story.id}-{story.slug}"
    assert "Outcome verified" not in reader.get(url).get_data(as_text=True)  # now in the page cache
    response = decide(moderator, pending, "verify", "score report shows 245, passed, June 2025")
    assert response.status_code == 302
    assert pending_reports() == []
    assert fresh(story).verified_at is not None and story.verified_by_id is not None
    entry = db.session.scalar(sa.select(ModAction))
    assert (entry.action, entry.target_id) == ("verify_outcome", story.id)
    assert entry.reason == "score report shows 245, passed, June 2025 (the uploaded score report was deleted)"
    assert "Outcome verified by a moderator on" in reader.get(url).get_data(as_text=True)
    assert "verify outcome" in app.test_client().get("/moderation-log").get_data(as_text=True)


def test_rejecting_deletes_the_file_logs_it_and_shows_no_mark(app, moderator, story, pending):
    assert decide(moderator, pending, "reject", "the name on the report is cut off").status_code == 302
    assert pending_reports() == []
    assert fresh(story).verified_at is None
    entry = db.session.scalar(sa.select(ModAction))
    assert entry.action == "reject_verification" and entry.reason.endswith("(the uploaded score report was deleted)")
    page = app.test_client().get(f"/stories/{story.id}", follow_redirects=True).get_data(as_text=True)
    assert "Outcome verified" not in page


@pytest.mark.parametrize("decision", ["verify", "reject"])
def test_a_decided_file_can_no_longer_be_fetched(moderator, pending, decision):
    decide(moderator, pending, decision)
    assert moderator.get(f"/mod/verifications/{pending}/file").status_code == 404
    assert moderator.get(f"/mod/verifications/{pending}").status_code == 404


def test_a_decision_needs_a_reason(moderator, story, pending):
    response = decide(moderator, pending, "verify", "")
    assert response.status_code == 400
    assert "Say why" in response.get_data(as_text=True)
    assert len(pending_reports()) == 1 and fresh(story).verified_at is None


def test_a_decision_without_a_csrf_token_is_refused(moderator, story, pending):
    assert decide(moderator, pending, "verify", token=False).status_code == 400
    assert len(pending_reports()) == 1 and fresh(story).verified_at is None


def test_a_moderator_cannot_decide_on_their_own_story(app):
    moderator_author = make_user("mod_author", role="moderator")
    own = make_story(moderator_author)
    client = signed_in(app, moderator_author)
    upload(client, own, PDF)
    [report] = pending_reports()
    assert decide(client, report.id, "verify").status_code == 403
    assert len(pending_reports()) == 1 and fresh(own).verified_at is None


def test_a_record_edited_while_the_moderator_looked_needs_another_look(moderator, story, pending):
    seen = review_token_of(pending)
    db.session.execute(sa.update(Story).where(Story.id == story.id).values(score=262))
    db.session.commit()
    response = decide(moderator, pending, "verify", seen=seen)
    assert response.status_code == 409
    assert "changed since you opened this page" in response.get_data(as_text=True)
    assert len(pending_reports()) == 1 and fresh(story).verified_at is None


# Deletion and edits

def test_deleting_the_story_deletes_its_pending_report(app, author, story, pending):
    client = signed_in(app, author)
    response = post_form(client, f"/stories/{story.id}/delete", {}, token_from=f"/stories/{story.id}")
    assert response.status_code == 302
    assert pending_reports() == []


def test_a_moderator_removing_the_story_deletes_its_pending_report(moderator, story, pending):
    response = post_form(moderator, f"/mod/story/{story.id}/remove", {"reason": "spam"}, token_from="/mod/reports")
    assert response.status_code == 302
    assert pending_reports() == []


def edit_data(**overrides) -> dict:
    data = {"title": "Passed CK with a 245", "step": "step2ck", "exam_month": "2025-06", "attempt": "1",
            "outcome": "passed", "score": "245", "background": "", "prep_weeks": "8",
            "resources-0-name": "", "resources-0-rating": "", "resources-0-note": "",
            "practice-0-assessment": "", "practice-0-score": "", "practice-0-taken_on": "",
            "body": "It went well. " * 5}
    return {**data, **overrides}


@pytest.fixture
def verified(app, moderator, story, pending):
    decide(moderator, pending, "verify")
    assert fresh(story).verified_at is not None
    return story


@pytest.mark.parametrize("change", [{"score": "262"}, {"outcome": "failed", "score": "200"}, {"attempt": "2"},
                                    {"exam_month": "2025-05"}], ids=["score", "outcome", "attempt", "month"])
def test_editing_the_record_after_verification_lapses_it(app, author, verified, change):
    reader, url = app.test_client(), f"/stories/{verified.id}-{verified.slug}"
    assert "Outcome verified" in reader.get(url).get_data(as_text=True)
    client = signed_in(app, author)
    response = post_form(client, f"/stories/{verified.id}/edit", edit_data(**change))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert fresh(verified).verified_at is None and verified.verified_by_id is None
    assert "Outcome verified" not in reader.get(url).get_data(as_text=True)


def test_editing_only_the_text_keeps_the_verification(app, author, verified):
    client = signed_in(app, author)
    response = post_form(client, f"/stories/{verified.id}/edit", edit_data(title="Passed CK: the long version"))
    assert response.status_code == 302
    assert fresh(verified).verified_at is not None
