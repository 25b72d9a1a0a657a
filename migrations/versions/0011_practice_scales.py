"""practice scales: every stored practice score on the scale its value makes sense on, and a report of each change

Revision ID: 0011_practice_scales
Revises: 0010_trustworthy_record

0010 gave each practice score its assessment's scale, and before it the form took every value on an NBME Step 1
form as a 3-digit score: a 2023 "68" (a percent correct, as NBME has reported since February 2022) was stored as a
3-digit 68. The two scales do not overlap in practice (no self-assessment reports a 3-digit score of 100 or less;
no percent exceeds 100), so the value says which scale a row is on:

- a 3-digit row with a value of 100 or less becomes a percent (a CBSSA taken after the switch, or a UWSA whose
  percent correct was typed instead of its 3-digit score);
- a percent row above 100 becomes a 3-digit score (it cannot be a percent).

Every change is logged per assessment with the row ids. Rows whose value contradicts what the assessment reported
on that day (a 3-digit value on a Step 1 NBME form taken after the switch) keep their value's scale, since only
their writer knows what was meant, and are listed for moderators. Downgrade leaves the rows as they are: the old
scales were the error.
"""
import logging
from collections import defaultdict
from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0011_practice_scales"
down_revision = "0010_trustworthy_record"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# Copies of forum.scales and forum/data/resources.json as they were when this migration was written: a migration
# must give the same result whatever the code and the catalogue later become.
PERCENT_MAX = 100  # at or below: only a percent makes sense; above: only a 3-digit score
# NBME Step 1 forms (CBSSA): 3-digit before February 2022, percent correct from March 2022 (the month between is
# the announced "mid to late February" switch with no exact day: either). Form 31 came out after the switch.
SWITCHED_FORMS = tuple(f"nbme-cbssa-{form}" for form in range(13, 31))  # 13-19 retired before, kept for old stories
PERCENT_ONLY_FORMS = ("nbme-cbssa-31",)
SURE_THREE_DIGIT_UNTIL = date(2022, 2, 1)  # not included
SURE_PERCENT_FROM = date(2022, 3, 1)
IDS_SHOWN = 50  # a log line names at most this many ids, then says how many more

practice = sa.table("practice_scores", sa.column("id", sa.Integer), sa.column("resource_id", sa.Integer),
                    sa.column("score", sa.Float), sa.column("scale", sa.String), sa.column("taken_on", sa.Date))
resources = sa.table("resources", sa.column("id", sa.Integer), sa.column("slug", sa.String),
                     sa.column("name", sa.String))


def sensible_scale(value: float) -> str:
    return "percent" if value <= PERCENT_MAX else "three_digit"


def reported_scale(slug: str, taken_on: date) -> str | None:
    """What the assessment reported that day, where a switch is known; None where the value alone decides."""
    if slug in PERCENT_ONLY_FORMS:
        return "percent"
    if slug in SWITCHED_FORMS:
        if taken_on < SURE_THREE_DIGIT_UNTIL:
            return "three_digit"
        if taken_on >= SURE_PERCENT_FROM:
            return "percent"
    return None


def id_list(ids: list[int]) -> str:
    shown = ", ".join(str(i) for i in ids[:IDS_SHOWN])
    return shown + (f" and {len(ids) - IDS_SHOWN} more" if len(ids) > IDS_SHOWN else "")


def report(message: str) -> None:
    """To the alembic log, and to the terminal of whoever runs the upgrade."""
    log.warning("%s", message)
    print(f"0011_practice_scales: {message}")


def upgrade():
    connection = op.get_bind()
    wrong_side = sa.or_(sa.and_(practice.c.scale != "percent", practice.c.score <= PERCENT_MAX),
                        sa.and_(practice.c.scale == "percent", practice.c.score > PERCENT_MAX))
    moves: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for row_id, score, scale, name in connection.execute(
            sa.select(practice.c.id, practice.c.score, practice.c.scale, resources.c.name)
            .join(resources, resources.c.id == practice.c.resource_id).where(wrong_side).order_by(practice.c.id)):
        moves[(name, scale, sensible_scale(score))].append(row_id)
    for (name, old, new), ids in sorted(moves.items()):
        for start in range(0, len(ids), 500):  # bounded IN lists
            connection.execute(sa.update(practice).where(practice.c.id.in_(ids[start:start + 500])).values(scale=new))
        report(f"{name}: {len(ids)} practice score(s) moved from {old} to {new}, the only scale their value "
               f"makes sense on: ids {id_list(ids)}")
    if not moves:
        log.info("practice scores: every one was already on the scale its value makes sense on")

    doubtful: dict[str, list[int]] = defaultdict(list)
    for row_id, score, taken_on, slug, name in connection.execute(
            sa.select(practice.c.id, practice.c.score, practice.c.taken_on, resources.c.slug, resources.c.name)
            .join(resources, resources.c.id == practice.c.resource_id)
            .where(resources.c.slug.in_(SWITCHED_FORMS + PERCENT_ONLY_FORMS)).order_by(practice.c.id)):
        reported = reported_scale(slug, taken_on)
        if reported is not None and reported != sensible_scale(score):
            doubtful[name].append(row_id)
    for name, ids in sorted(doubtful.items()):
        report(f"{name}: {len(ids)} practice score(s) kept on their value's scale although NBME reported the other "
               f"one that day; for moderators to check: ids {id_list(ids)}")


def downgrade():
    pass  # the scales 0010 set were the error; nothing to restore
