"""The whole record of a story or comment as it stood, and what changed from one version to the next.

Candidates trust a number when they can see how it came to be: a score edited from 240 to 262 must show as that
edit, not as a quietly different story. So every edit keeps the version it replaces whole (Revision.snapshot, the
JSON made here), and the revisions pages show, for each version, what the edit that replaced it changed. Versions
saved before snapshots existed kept the title and text only: those are compared on what they kept, and say so.

Nothing here renders HTML: the changes are plain text, escaped by the templates like any other text.
"""
import difflib
import json
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from . import dates, exam
from .extensions import db
from .models import BACKGROUNDS, Comment, Revision, Story
from .models.stories import alias_key

# The exam record, in the order a reader scans it, with the label a change is written under.
RECORD_FIELDS = {"title": "Title", "step": "Step", "exam_month": "Exam month", "attempt": "Attempt",
                 "outcome": "Outcome", "score": "Score", "prep_weeks": "Dedicated prep", "background": "Background"}
LISTS = ("resources", "practice")
CONTEXT_LINES = 2  # unchanged lines kept around a change in the text; longer unchanged runs are folded
NOT_GIVEN = "not given"


# --- versions ----------------------------------------------------------------------------------------------------

def snapshot(story: Story) -> dict:
    """Every field a reader of the story sees, as plain JSON values. Needs the story's resource links, typed
    resources and practice scores loaded (loaders.story_or_404(details=True)); resources in the writer's order,
    practice scores by date, so two saves of the same record compare equal."""
    known = [(link.position, {"name": link.resource.name, "rating": link.rating, "note": link.note or "",
                              "in_catalogue": True}) for link in story.resource_links]
    typed = [(s.position, {"name": s.name, "rating": s.rating, "note": s.note or "", "in_catalogue": False})
             for s in story.resource_suggestions]
    practice = [{"assessment": p.resource.name, "scale": p.scale, "score": p.score,
                 "taken_on": p.taken_on.isoformat()} for p in story.practice_scores]
    return {
        "title": story.title, "body": story.body, "step": story.step,
        "exam_month": f"{story.exam_month.year:04d}-{story.exam_month.month:02d}", "attempt": story.attempt,
        "outcome": story.outcome, "score": story.score, "prep_weeks": story.prep_weeks,
        "background": story.background,
        "resources": [row for _, row in sorted(known + typed, key=lambda pair: pair[0])],
        "practice": sorted(practice, key=lambda row: (row["taken_on"], row["assessment"], row["score"])),
    }


def comment_snapshot(comment: Comment) -> dict:
    return {"body": comment.body}


def dumps(version: dict) -> str:
    """What Revision.snapshot holds."""
    return json.dumps(version, ensure_ascii=False)


def version_of(revision: Revision) -> dict:
    """A stored version as a snapshot; one saved before snapshots existed knows its title and text only."""
    if revision.snapshot:
        return json.loads(revision.snapshot)
    return {"title": revision.title, "body": revision.body} if revision.item_type == "story" \
        else {"body": revision.body}


def revisions_of(item_type: str, item_id: int) -> list[Revision]:
    """The kept versions of a story or comment, newest first, with what their pages show of them loaded."""
    return list(db.session.scalars(sa.select(Revision).where(Revision.item_type == item_type,
                                                             Revision.item_id == item_id)
                                   .options(joinedload(Revision.hidden_by))
                                   .order_by(Revision.created_at.desc(), Revision.id.desc())))


# --- how values read ---------------------------------------------------------------------------------------------

def _month(value: str) -> str:
    year, month = value.split("-")
    return dates.month_label(date(int(year), int(month), 1))


def _weeks(value: int) -> str:
    return f"{value} week{'' if value == 1 else 's'}"


SHOW = {
    "step": lambda code: exam.STEPS[code].label if code in exam.STEPS else code,
    "exam_month": _month,
    "outcome": lambda code: exam.OUTCOMES.get(code, code),
    "prep_weeks": _weeks,
    "background": lambda code: BACKGROUNDS.get(code, code),
}


def show_value(key: str, value) -> str:
    if value is None or value == "":
        return NOT_GIVEN
    return SHOW.get(key, str)(value)


def _rating(row: dict) -> str:
    return f"{row['rating']} of 5" if row.get("rating") else "not rated"


def show_resource(row: dict) -> str:
    """'Zebra Notes (4 of 5, not in our catalogue yet): the note'."""
    details = [_rating(row)] + ([] if row.get("in_catalogue", True) else ["not in our catalogue yet"])
    return f"{row['name']} ({', '.join(details)})" + (f": {row['note']}" if row.get("note") else "")


def _score(row: dict) -> str:
    return f"{row['score']:g}%" if row.get("scale") == "percent" else f"{row['score']:g}"


def _day(iso: str) -> str:
    return dates.short_day_label(date.fromisoformat(iso))


def show_practice(row: dict) -> str:
    """'NBME CCSSA Form 11, 02 May 2025: 231'."""
    return f"{row['assessment']}, {_day(row['taken_on'])}: {_score(row)}"


@dataclass
class Described:
    """A version laid out for reading: the current version at the top of a revisions page."""
    fields: list[tuple[str, str]]
    resources: list[str]
    practice: list[str]
    body: str


def describe(version: dict) -> Described:
    return Described(fields=[(label, show_value(key, version[key])) for key, label in RECORD_FIELDS.items()
                             if key in version and key != "title"],
                     resources=[show_resource(row) for row in version.get("resources", [])],
                     practice=[show_practice(row) for row in version.get("practice", [])],
                     body=version.get("body", ""))


# --- what changed ------------------------------------------------------------------------------------------------

@dataclass
class FieldChange:
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}: {self.old} → {self.new}"


@dataclass
class DiffLine:
    kind: str  # same | added | removed | folded (text says how many unchanged lines)
    text: str


@dataclass
class Changes:
    fields: list[FieldChange] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)
    practice: list[str] = field(default_factory=list)
    body: list[DiffLine] = field(default_factory=list)  # empty: the text did not change
    # One of the two versions was saved before whole records were kept: only title and text were compared.
    unrecorded: bool = False

    @property
    def empty(self) -> bool:
        return not (self.fields or self.resources or self.practice or self.body)


def diff(older: dict, newer: dict) -> Changes:
    """What an edit changed, from the version it replaced to the one it made: each field as old -> new with its
    label, resources and practice scores added, removed or changed, the text as a line diff."""
    recorded = [key for key in (*RECORD_FIELDS, *LISTS) if key != "title"]
    changes = Changes(unrecorded=any((key in older) != (key in newer) for key in recorded))
    for key, label in RECORD_FIELDS.items():
        if key in older and key in newer and older[key] != newer[key]:
            changes.fields.append(FieldChange(label, show_value(key, older[key]), show_value(key, newer[key])))
    if "resources" in older and "resources" in newer:
        changes.resources = resource_changes(older["resources"], newer["resources"])
    if "practice" in older and "practice" in newer:
        changes.practice = practice_changes(older["practice"], newer["practice"])
    changes.body = line_diff(older.get("body", ""), newer.get("body", ""))
    return changes


def resource_changes(old: list[dict], new: list[dict]) -> list[str]:
    """Resources are one per name, compared as names are typed ("U-World" = "uworld")."""
    old_by = {alias_key(row["name"]): row for row in old}
    new_by = {alias_key(row["name"]): row for row in new}
    lines = [f"Added resource: {show_resource(row)}" for key, row in new_by.items() if key not in old_by]
    lines += [f"Removed resource: {show_resource(row)}" for key, row in old_by.items() if key not in new_by]
    for key, after in new_by.items():
        before = old_by.get(key)
        if before is None:
            continue
        if before.get("rating") != after.get("rating"):
            lines.append(f"{after['name']} rating: {_rating(before)} → {_rating(after)}")
        if (before.get("note") or "") != (after.get("note") or ""):
            lines.append(f"{after['name']} note: “{before.get('note') or NOT_GIVEN}” → "
                         f"“{after.get('note') or NOT_GIVEN}”")
        if not before.get("in_catalogue", True) and after.get("in_catalogue", True):
            lines.append(f"{before['name']} is now in our catalogue as {after['name']}")
    if [k for k in old_by if k in new_by] != [k for k in new_by if k in old_by]:
        lines.append("Resources reordered")
    return lines


def practice_changes(old: list[dict], new: list[dict]) -> list[str]:
    """A practice score is known by its assessment and day; the same form twice on one day pairs in order."""
    def grouped(rows: list[dict]) -> dict[tuple[str, str], list[dict]]:
        groups: dict[tuple[str, str], list[dict]] = {}
        for row in rows:
            groups.setdefault((row["assessment"], row["taken_on"]), []).append(row)
        return groups

    old_groups, new_groups = grouped(old), grouped(new)
    lines = []
    for key in sorted(old_groups.keys() | new_groups.keys(), key=lambda k: (k[1], k[0])):
        before, after = old_groups.get(key, []), new_groups.get(key, [])
        for a, b in zip(before, after, strict=False):  # the longer list's rest was added or removed
            if (a["score"], a.get("scale")) != (b["score"], b.get("scale")):
                lines.append(f"{b['assessment']}, {_day(b['taken_on'])}: {_score(a)} → {_score(b)}")
        lines += [f"Added practice score: {show_practice(b)}" for b in after[len(before):]]
        lines += [f"Removed practice score: {show_practice(a)}" for a in before[len(after):]]
    return lines


def line_diff(old: str, new: str) -> list[DiffLine]:
    """The text line by line: removed and added lines, with CONTEXT_LINES of unchanged text around them."""
    if old == new:
        return []
    a, b = old.splitlines(), new.splitlines()
    rows: list[DiffLine] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b).get_opcodes():
        if tag == "equal":
            rows += _folded(a[i1:i2], at_start=i1 == 0, at_end=i2 == len(a))
        else:
            rows += [DiffLine("removed", line) for line in a[i1:i2]]
            rows += [DiffLine("added", line) for line in b[j1:j2]]
    return rows


def _folded(lines: list[str], *, at_start: bool, at_end: bool) -> list[DiffLine]:
    head = [] if at_start else lines[:CONTEXT_LINES]
    tail = [] if at_end else lines[-CONTEXT_LINES:]
    if len(lines) <= len(head) + len(tail) + 1:
        return [DiffLine("same", line) for line in lines]
    hidden = len(lines) - len(head) - len(tail)
    return ([DiffLine("same", line) for line in head]
            + [DiffLine("folded", f"{hidden} unchanged line{'' if hidden == 1 else 's'}")]
            + [DiffLine("same", line) for line in tail])


# --- a page of versions ------------------------------------------------------------------------------------------

@dataclass
class Entry:
    """One kept version on a revisions page, and what the edit that replaced it changed."""
    revision: Revision
    changes: Changes | None  # None: hidden from this reader
    # Compared with a newer version than the one that replaced it: those between are hidden from this reader,
    # and comparing with them would show what the redaction took out.
    past_hidden: bool = False

    @property
    def concealed(self) -> bool:
        return self.changes is None


def timeline(current: dict, revisions: list[Revision], *, show_hidden: bool) -> list[Entry]:
    """The kept versions, newest first, each compared with the next newer version this reader may see (the current
    version is always one). A version a moderator hid is shown to moderators only, and never leaks through its
    neighbours' comparisons."""
    entries, newer, adjacent = [], current, True
    for revision in revisions:
        if revision.is_hidden and not show_hidden:
            entries.append(Entry(revision, None))
            adjacent = False
            continue
        version = version_of(revision)
        entries.append(Entry(revision, diff(version, newer), past_hidden=not adjacent))
        newer, adjacent = version, True
    return entries
