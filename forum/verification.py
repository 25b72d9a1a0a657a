"""Verified outcomes: an author uploads their score report, a moderator compares it with the story's record and
marks the outcome verified or not, and the upload is deleted in the transaction that records the decision, whatever
it is. A verified badge then means a moderator saw a report that no longer exists here.

The file lives in the database (score_reports), not on one host's disk: every worker on every host can serve it,
and deleting the row deletes the file. The price, said in the README: a backup taken while a report waits holds a
copy, and after the decision that copy is the only one.

The type is read from the bytes, never from the name or the Content-Type the browser sent (the uploader chooses
both): only the PDF, PNG and JPEG signatures pass, so SVG and HTML, which a browser would run as a page of this
site, never do. The file is served to moderators only, as a download with nosniff and the type found here.

The views own the transaction: nothing here commits.
"""
import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from limits import parse

from . import caching, moderation, posting_limits
from .extensions import db
from .models import ScoreReport, Story, User, utcnow

UPLOAD_MAX_BYTES = 5 * 1024 * 1024  # a USMLE score report PDF is 100-300 KB; a phone photo of one 2-4 MB
# The request may be larger than the file by this much: the CSRF token, the multipart boundaries, part headers.
MULTIPART_ALLOWANCE_BYTES = 64 * 1024
UPLOAD_REQUEST_MAX_BYTES = UPLOAD_MAX_BYTES + MULTIPART_ALLOWANCE_BYTES
UPLOAD_LIMIT = parse("6 per day")  # a wrong file retried a few times; at most 30 MB a day per member stored
FILENAME_MAX = 120  # the column; the name is shown to the moderator only, never used to serve the file


@dataclass(frozen=True)
class Kind:
    content_type: str
    extension: str
    label: str


# What the first bytes of an accepted file are (each format's specification puts its signature at offset 0).
SIGNATURES = (
    (b"%PDF-", Kind("application/pdf", "pdf", "PDF")),  # ISO 32000: the header line "%PDF-1.n"
    (b"\x89PNG\r\n\x1a\n", Kind("image/png", "png", "PNG")),  # PNG's 8-byte signature
    (b"\xff\xd8\xff", Kind("image/jpeg", "jpg", "JPEG")),  # JPEG: start-of-image marker, then the next marker's 0xFF
)
KINDS = {kind.content_type: kind for _, kind in SIGNATURES}
# What a moderator compares with the report; a later edit of any of them lapses the verification.
RECORD_FIELDS = ("step", "exam_month", "attempt", "outcome", "score")
DELETED_NOTE = " (the uploaded score report was deleted)"  # ends every decision's line in the public log
ACTIONS = {True: "verify_outcome", False: "reject_verification"}  # the log's names for the two decisions


class UploadRefused(ValueError):
    """The file cannot be taken; the message says why, in words for the uploader."""

    def __init__(self, message: str, *, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def kind_of(content: bytes) -> Kind:
    """The accepted type these bytes are, or UploadRefused. `content` may be one byte longer than the limit (the
    view reads no further), which is how a file that is too large is told apart."""
    if not content:
        raise UploadRefused("The file is empty. Choose the score report itself: a PDF, PNG or JPEG.")
    if len(content) > UPLOAD_MAX_BYTES:
        raise UploadRefused(f"The file is larger than {UPLOAD_MAX_BYTES // 2**20} MB. Upload the PDF of your "
                            "score report, or a screenshot or photo saved at a smaller size.", status=413)
    for signature, kind in SIGNATURES:
        if content.startswith(signature):
            return kind
    raise UploadRefused("This file is not a PDF, PNG or JPEG (whatever its name says), so it cannot be taken. "
                        "Upload the PDF of your score report, or a screenshot of it saved as PNG or JPEG.")


def upload_limit_exceeded(user: User) -> int:
    """Spend one upload from the member's allowance; seconds to wait if it was spent, else 0."""
    return posting_limits.spend(UPLOAD_LIMIT, "score_report", str(user.id))


def pending(story_id: int) -> ScoreReport | None:
    """The report waiting for a moderator on this story (its content not loaded), if any."""
    return db.session.scalar(sa.select(ScoreReport).where(ScoreReport.story_id == story_id))


def store(*, story: Story, uploader: User, filename: str, content: bytes) -> ScoreReport:
    """Keep an upload for a moderator, replacing the story's pending one: one report per story, the latest."""
    kind = kind_of(content)
    db.session.execute(sa.delete(ScoreReport).where(ScoreReport.story_id == story.id))
    report = ScoreReport(story=story, uploader=uploader, filename=_shown_name(filename), size=len(content),
                         content_type=kind.content_type, content=content, created_at=utcnow())
    db.session.add(report)
    caching.retire()  # a pending report shows on no page anyone else sees (the upload page is never cached)
    return report


def withdraw(story: Story) -> bool:
    """The uploader takes the pending report back; whether there was one."""
    caching.retire()
    return discard_pending(story.id)


def discard_pending(story_id: int) -> bool:
    """Delete the story's pending report, if any: a deleted or removed story is no longer checked. The caller
    declares what its own write retires."""
    deleted = db.session.execute(sa.delete(ScoreReport).where(ScoreReport.story_id == story_id)
                                 .returning(ScoreReport.id))
    return bool(deleted.all())


def decide(report: ScoreReport, *, verified: bool, actor: User, reason: str) -> None:
    """A moderator's decision: mark the outcome verified (or not), log it publicly, and delete the report in the
    same transaction, so no file outlives a decision."""
    story = report.story
    if verified:
        story.verified_at, story.verified_by_id = utcnow(), actor.id
    moderation.record(actor=actor, action=ACTIONS[verified], target_type="story", target_id=story.id,
                      target_label=story.title if story.status == "published" else "",
                      reason=reason[:500 - len(DELETED_NOTE)] + DELETED_NOTE)
    db.session.delete(report)
    # The story's badge, listings and search (they filter on verified) and the public log, which is keyed by the
    # site alone: so the site, which retires the rest too. Decisions are rare; narrow this when the log has a scope.
    caching.retire(caching.SITE, caching.story(story.id), caching.LISTINGS, caching.SEARCH)


def review_token(report: ScoreReport) -> str:
    """What the moderator looked at: this upload and the record as it stood. The decision form carries it back;
    a replaced report or an edited record in between makes the decision wait for another look."""
    seen = [report.id, report.created_at.isoformat(), *(str(v) for v in record_of(report.story).values())]
    return hashlib.sha256("|".join(map(str, seen)).encode()).hexdigest()[:32]


def record_of(story: Story) -> dict:
    """The fields a verification vouches for, as they stand, as plain values in forum.history.snapshot's form
    (exam_month "YYYY-MM"), so either one can be the `before` of lapse_if_record_changed."""
    record = {name: getattr(story, name) for name in RECORD_FIELDS}
    record["exam_month"] = f"{story.exam_month.year:04d}-{story.exam_month.month:02d}"
    return record


def lapse_if_record_changed(story: Story, before: Mapping) -> bool:
    """After an edit (forum.stories.writing.update_story, with its history snapshot as `before`): a verified story
    whose step, exam month, attempt, outcome or score changed is no longer what the moderator saw, so it is not
    verified any more, whoever edited it. Whether it lapsed. A pending report stays: it is compared with the record
    as it stands when a moderator decides.

    Nothing is declared to the cache here: the edit's own transaction retires the story's pages and listings."""
    if story.verified_at is None or record_of(story) == {name: before.get(name) for name in RECORD_FIELDS}:
        return False
    story.verified_at = story.verified_by_id = None
    return True


def download_name(report: ScoreReport) -> str:
    """The name the moderator's browser saves the file under: ours, never the uploader's."""
    kind = KINDS.get(report.content_type)
    return f"score-report-story-{report.story_id}.{kind.extension if kind else 'bin'}"


def size_label(size: int) -> str:
    """'84 KB', '2.3 MB': how the upload and review pages give a file's size."""
    return f"{max(1, round(size / 1024))} KB" if size < 2**20 else f"{size / 2**20:.1f} MB"


def file_kind_label(content_type: str) -> str:
    """'PDF', 'PNG', 'JPEG': what a stored report is, for the moderator's pages."""
    kind = KINDS.get(content_type)
    return kind.label if kind else "unknown type"


def _shown_name(filename: str) -> str:
    """The uploader's file name for the moderator's page: printable characters only, at most the column's length."""
    name = "".join(ch for ch in (filename or "") if unicodedata.category(ch)[0] != "C").strip()
    return name[-FILENAME_MAX:] or "(no name)"
