"""The predictor over JSON: /calibrations (each self-assessment's line against the real result, Step 1's pass
bands, the predictor's measured error) and /predict (what /predict answers for the practice scores given).

Both read the same modules as the pages (forum.insights.data, .people_like_me, .validation) and follow the same
rule: a line, median or rate from fewer than MIN_GROUP stories is null, its count is still given. /predict checks
its parameters with the /predict page's own form (forum.insights.predict_form), so the API and the page refuse the
same input, here as a 400 that names the parameter.
"""
from types import SimpleNamespace

from flask import request
from werkzeug.datastructures import MultiDict

from .. import caching, exam
from ..caching import cached_page
from ..insights import data, people_like_me, predict, predict_form, stats, validation
from ..insights.figures import CAVEAT
from ..models import BACKGROUNDS, utcnow
from ..urls import story_url
from . import bp, schema
from .routes import bad, cacheable, one

CALIBRATION_METHOD = (
    f"For each self-assessment and scale: the least-squares line of the real 3-digit score (y = intercept + "
    f"slope·x) on each story's latest score on the form, over the stories with exams in the practice years that "
    f"gave both; half_width is half the 95% prediction interval for one new candidate at the mean practice score "
    f"(95% of candidates within ± half_width of the line there). Lines, medians and rates need {stats.MIN_GROUP} "
    f"or more stories; below that they are null and the counts are still given.")
BAND_METHOD = ("Step 1 (pass/fail): stories grouped by the band of the percent on their last NBME form before the "
               "exam, with the share that passed and its 95% Wilson interval.")
PREDICT_PARAMS = ("step", "background", "month", "verified", "practice")


@bp.route("/calibrations")
@cached_page(scopes=(caching.INSIGHTS,), params=("step", "verified"))
def calibrations():
    step = required("step", exam.STEP_CODES)
    verified = one("verified", schema.VERIFIED) == "1"
    ins = data.compute(step, verified=verified)
    return cacheable({
        "step": step,
        "verified": verified,
        "practice_years": list(ins.practice_years) if ins.practice_years else None,
        "assessments": [calibration(row) for row in ins.practice],
        "pass_bands": [pass_band(band) for band in ins.pass_bands],
        "measured": measured_entry(validation.measured(step, verified=verified)),
        "method": CALIBRATION_METHOD + (" " + BAND_METHOD if step == "step1" else ""),
        "caveat": CAVEAT,
    })


@bp.route("/predict", endpoint="predict")
@cached_page(scopes=(caching.INSIGHTS,), params=PREDICT_PARAMS)
def predict_result():
    step = required("step", predict_form.PREDICTABLE)
    background = one("background", BACKGROUNDS)
    verified = one("verified", schema.VERIFIED) == "1"
    today = utcnow().date()
    form = predict_form.PredictForm(_form_args(step, background), predict_form.self_assessments(), today=today)
    if not form.validate():
        _refuse(form)
    answer = people_like_me.answer(step, background, form.planned, form.entries, verified=verified, today=today)
    return cacheable(prediction(answer))


def required(name: str, allowed) -> str:
    value = one(name, allowed)
    if not value:
        bad(f"{name}: required, one of {', '.join(allowed)}.")
    return value


def _form_args(step: str, background: str) -> MultiDict:
    """The API's parameters as the /predict form's fields: practice=slug:score[:YYYY-MM-DD] becomes a row."""
    given = request.args.getlist("practice")
    if not given:
        bad("practice: give at least one, as slug:score or slug:score:YYYY-MM-DD.")
    if len(given) > schema.MAX_PRACTICE:
        bad(f"practice: at most {schema.MAX_PRACTICE}.")
    args = MultiDict({"step": step, "background": background, "month": one("month")})
    for n, value in enumerate(given):
        parts = value.split(":")
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            bad(f"practice: {value!r} is not slug:score or slug:score:YYYY-MM-DD.")
        args.update({f"practice-{n}-form": parts[0], f"practice-{n}-score": parts[1],
                     f"practice-{n}-taken": parts[2] if len(parts) == 3 else ""})
    return args


def _refuse(form: predict_form.PredictForm):
    """A 400 naming the parameter of the form's first complaint (a practice row's names the value given)."""
    name, messages = next(iter(form.errors.items()))
    match = predict_form.ROW_KEY.match(name)
    if match is None:
        bad(f"{name}: {messages[0]}")
    given = request.args.getlist("practice")[int(match.group(1))]
    bad(f"practice: {given!r}: {messages[0]}")


# Shapes: one function per schema in forum/api/schema.py, named alike.

def calibration(row: data.PracticeFit) -> dict:
    fit, days = row.fit, row.days
    r_low, r_high = fit.r_interval if fit else (None, None)
    return {
        "slug": row.slug,
        "name": row.name,
        "scale": row.scale,
        "n": row.n,
        "intercept": fit.intercept if fit else None,
        "slope": fit.slope if fit else None,
        "r": fit.r if fit else None,
        "r_low": r_low,
        "r_high": r_high,
        "residual_sd": fit.residual_sd if fit else None,
        "half_width": fit.typical_half_width if fit else None,
        # Days are counted over the stories with both scores, or all the form's stories on a pass/fail exam.
        "days_before": {"n": days.n if days else (row.n or len(row.points)),
                        "median": days.median if days else None,
                        "median_low": days.median_low if days else None,
                        "median_high": days.median_high if days else None},
    }


def rate_fields(rate: stats.Rate | None) -> dict:
    return {"rate": rate.value if rate else None, "rate_low": rate.low if rate else None,
            "rate_high": rate.high if rate else None}


def pass_band(band: data.PassBand) -> dict:
    return {"label": band.label, "low": band.low, "high": band.high, "n": band.n, "passed": band.passed,
            **rate_fields(band.rate)}


def measured_entry(record: validation.Measured | None) -> dict | None:
    if record is None:
        return None
    return {"n": record.n, "mean_abs_error": record.mean_abs_error, "coverage": record.coverage,
            "brier": record.brier, "accuracy": record.accuracy, "note": record.note}


def prediction(answer: people_like_me.Answer) -> dict:
    return {
        "step": answer.step,
        "background": answer.background or None,
        "month": f"{answer.month:%Y-%m}" if answer.month else None,
        "verified": answer.verified,
        "practice": [practice_entry(entry) for entry in answer.entries],
        "scored": answer.scored,
        "score_range": score_range(answer.score_range),
        "pass_chance": pass_chance(answer.pass_chance),
        "unused": list(answer.unused),
        "passing_standard": passing_standard(answer.standard),
        "stories": answer.stories,
        "practice_years": list(answer.practice_years) if answer.practice_years else None,
        "measured": measured_entry(answer.measured),
        "method": predict.SCORE_METHOD if answer.scored else predict.PASS_METHOD,
        "caveat": CAVEAT,
        "similar_stories": [similar_story(n) for n in answer.neighbours],
    }


def practice_entry(entry: predict.Entry) -> dict:
    return {"slug": entry.slug, "scale": entry.scale, "score": entry.score,
            "taken_on": entry.taken_on.isoformat() if entry.taken_on else None}


def score_range(found: predict.ScoreRange | None) -> dict | None:
    if found is None:
        return None
    return {"predicted": found.predicted, "low": found.low, "high": found.high,
            "forms": [{"slug": e.slug, "name": e.name, "score": e.x, "n": e.fit.n, "predicted": e.predicted,
                       "half_width": e.half_width} for e in found.estimates]}


def pass_chance(found: predict.PassChance | None) -> dict | None:
    if found is None:
        return None
    return {"last": practice_entry(found.last), "band": pass_band(found.band)}


def passing_standard(standard: people_like_me.Standard | None) -> dict | None:
    if standard is None:
        return None
    return {"score": standard.score, "since": standard.since.isoformat(), "secondary_only": standard.secondary_only}


def similar_story(neighbour) -> dict:
    """A similar story, with its page's address."""
    return {
        "id": neighbour.story_id,
        "url": story_url(SimpleNamespace(id=neighbour.story_id, slug=neighbour.slug), external=True),
        "title": neighbour.title,
        "outcome": neighbour.outcome,
        "score": neighbour.score,
        "exam_month": f"{neighbour.exam_month:%Y-%m}",
        "background": neighbour.background,
        "verified": neighbour.verified,
        "distance": neighbour.distance,
        "shared": [{"name": s.name, "theirs": s.theirs, "yours": s.yours, "scale": s.scale}
                   for s in neighbour.shared],
    }

