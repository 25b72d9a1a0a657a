"""forum.verification without a request: which bytes pass as a score report, and when a verification lapses."""
from datetime import date, datetime

import pytest

from forum import verification
from forum.models import ScoreReport, Story
from forum.verification import UPLOAD_MAX_BYTES, UploadRefused, kind_of, lapse_if_record_changed, record_of


@pytest.mark.parametrize(("content", "content_type"), [
    (b"%PDF-1.4\n", "application/pdf"), (b"\x89PNG\r\n\x1a\n\x00", "image/png"), (b"\xff\xd8\xff\xdb", "image/jpeg"),
])
def test_the_three_signatures_are_taken(content, content_type):
    assert kind_of(content).content_type == content_type


@pytest.mark.parametrize("content", [
    b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"<?xml version='1.0'?><svg/>", b"<!DOCTYPE html><p>",
    b" %PDF-1.4", b"\n%PDF-1.4",  # a signature not at the very start is not one
    b"%PDF", b"\x89PNG", b"\xff\xd8",  # a signature cut short
    b"GIF89a", b"RIFF\x00\x00\x00\x00WEBP", b"PK\x03\x04",
])
def test_anything_else_is_refused(content):
    with pytest.raises(UploadRefused, match="not a PDF, PNG or JPEG") as refused:
        kind_of(content)
    assert refused.value.status == 400


def test_empty_is_refused():
    with pytest.raises(UploadRefused, match="empty"):
        kind_of(b"")


def test_the_size_limit_is_inclusive_and_one_byte_more_is_a_413():
    assert kind_of(b"%PDF-" + b"0" * (UPLOAD_MAX_BYTES - 5)).extension == "pdf"
    with pytest.raises(UploadRefused, match="larger than 5 MB") as refused:
        kind_of(b"%PDF-" + b"0" * (UPLOAD_MAX_BYTES - 4))
    assert refused.value.status == 413


def test_the_download_name_is_ours_never_the_uploaders():
    report = ScoreReport(story_id=17, filename='"; evil.html', content_type="image/png")
    assert verification.download_name(report) == "score-report-story-17.png"


@pytest.mark.parametrize(("size", "label"), [(1, "1 KB"), (84 * 1024, "84 KB"), (int(2.3 * 2**20), "2.3 MB")])
def test_sizes_read_as_people_say_them(size, label):
    assert verification.size_label(size) == label


def verified_story(**fields) -> Story:
    values = {"step": "step2ck", "exam_month": date(2025, 6, 1), "attempt": 1, "outcome": "passed", "score": 245,
              "verified_at": datetime(2026, 1, 5), "verified_by_id": 3, **fields}
    return Story(**values)


@pytest.mark.parametrize("change", [{"score": 262}, {"outcome": "failed"}, {"attempt": 2}, {"step": "step1"},
                                    {"exam_month": date(2025, 7, 1)}])
def test_a_changed_record_lapses_the_verification(change):
    story = verified_story()
    before = record_of(story)
    for name, value in change.items():
        setattr(story, name, value)
    assert lapse_if_record_changed(story, before) is True
    assert story.verified_at is None and story.verified_by_id is None


def test_an_unchanged_record_keeps_it_and_a_history_snapshot_serves_as_before():
    story = verified_story()
    history_like = {"title": "Another title", "step": "step2ck", "exam_month": "2025-06", "attempt": 1,
                    "outcome": "passed", "score": 245, "body": "changed text"}
    assert lapse_if_record_changed(story, history_like) is False
    assert story.verified_at == datetime(2026, 1, 5)
