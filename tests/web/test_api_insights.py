"""/api/v1/calibrations and /api/v1/predict: figures equal the ones computed here from the points, small groups are
null, every bad parameter is a 400 naming it, both are in the OpenAPI document and their responses match it.

The data are test_insights_validate's: 13 Step 2 CK stories on UWSA 2 (and 3 on NBME 12, too few for a line), and
Step 1 stories in three last-NBME bands of 12, 11 and 5 stories.
"""
import math
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import schemathesis

from forum.api import insights as api_insights
from forum.insights import data
from forum.models import utcnow
from tests.builders import make_resource, make_story
from tests.web.test_api import api_rate_limit, get_json
from tests.web.test_insights_validate import EXAM, expected_ck, least_squares, make_ck_set, make_step1_set, practice

T_975_11 = 2.2010  # Student's t, 97.5th percentile, 11 degrees of freedom (a printed table): 13 points
Z = 1.959964  # the normal 97.5th percentile


def wilson(part, n):
    """Wilson's interval in percent, written out."""
    p = part / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return 100 * (centre - half), 100 * (centre + half)


@pytest.fixture
def calibrated(app):
    points = make_ck_set()
    make_step1_set()
    return points


def test_calibrations_give_each_forms_line_equal_to_least_squares(client, calibrated):
    body = get_json(client, "/api/v1/calibrations?step=step2ck")
    uwsa, nbme = body["assessments"]
    intercept, slope, sd, n, mean_x, sxx = least_squares(calibrated)
    assert (uwsa["slug"], uwsa["name"], uwsa["scale"], uwsa["n"]) == ("uwsa-2", "UWSA 2", "three_digit", 13)
    assert uwsa["intercept"] == pytest.approx(intercept)
    assert uwsa["slope"] == pytest.approx(slope)
    assert uwsa["residual_sd"] == pytest.approx(sd)
    assert uwsa["half_width"] == pytest.approx(T_975_11 * sd * math.sqrt(1 + 1 / 13), rel=1e-4)
    ys = [y for _, y in calibrated]
    mean_y = sum(ys) / n
    r = sum((x - mean_x) * (y - mean_y) for x, y in calibrated) / math.sqrt(sxx * sum((y - mean_y) ** 2 for y in ys))
    assert uwsa["r"] == pytest.approx(r) and uwsa["r_low"] < r < uwsa["r_high"]
    # Every practice test 20 days before 1 June, counted to the 15th: 34 days.
    assert uwsa["days_before"] == {"n": 13, "median": 34, "median_low": 34, "median_high": 34}


def test_a_form_under_ten_stories_has_its_count_and_no_line(client, calibrated):
    nbme = get_json(client, "/api/v1/calibrations?step=step2ck")["assessments"][1]
    assert nbme["slug"] == "nbme-12" and nbme["n"] == 3
    assert [nbme[key] for key in ("intercept", "slope", "r", "r_low", "r_high", "residual_sd", "half_width")] == \
        [None] * 7
    assert nbme["days_before"] == {"n": 3, "median": None, "median_low": None, "median_high": None}


def test_calibrations_carry_the_measured_error_method_and_caveat(client, calibrated):
    body = get_json(client, "/api/v1/calibrations?step=step2ck")
    mean_error, coverage = expected_ck(calibrated)
    assert body["measured"]["n"] == 13
    assert body["measured"]["mean_abs_error"] == pytest.approx(mean_error)
    assert body["measured"]["coverage"] == pytest.approx(coverage)
    assert body["measured"]["brier"] is None and body["pass_bands"] == []
    assert "least-squares" in body["method"] and "Self-reported" in body["caveat"]
    assert body["step"] == "step2ck" and body["verified"] is False
    assert body["practice_years"] == [utcnow().year - 2, utcnow().year]


def test_step1_pass_bands_have_wilson_rates_and_null_under_ten(client, calibrated):
    body = get_json(client, "/api/v1/calibrations?step=step1")
    bands = {band["low"]: band for band in body["pass_bands"]}
    (top, top_high, top_label), (bottom, _, _) = data.band_of(72), data.band_of(52)
    assert sorted(bands) == [bottom, data.band_of(62)[0], top]
    low, high = wilson(9, 12)
    assert bands[top] == {"label": top_label, "low": top, "high": top_high, "n": 12, "passed": 9, "rate": 75.0,
                          "rate_low": pytest.approx(low), "rate_high": pytest.approx(high)}
    assert (bands[bottom]["n"], bands[bottom]["passed"]) == (5, 3)
    assert (bands[bottom]["rate"], bands[bottom]["rate_low"], bands[bottom]["rate_high"]) == (None, None, None)
    assert body["measured"]["n"] == 23 and body["measured"]["mean_abs_error"] is None
    assert "last NBME" in body["method"]


def test_a_pass_fail_form_counts_its_stories_for_the_days(client, calibrated):
    """No real scores on a pass/fail exam: the line's n is 0 and the days are counted over every story."""
    free = make_resource("Free 120", slug="free-120", kind="self-assessment", steps=("step1",), scale="percent")
    for _ in range(3):
        story = make_story(step="step1", exam_month=EXAM, score=None)
        practice(story, free, 70, EXAM - timedelta(days=5), scale="percent")
    rows = {row["slug"]: row for row in get_json(client, "/api/v1/calibrations?step=step1")["assessments"]}
    assert (rows["free-120"]["n"], rows["free-120"]["slope"]) == (0, None)
    assert rows["free-120"]["days_before"] == {"n": 3, "median": None, "median_low": None, "median_high": None}
    assert (rows["nbme-cbssa-30"]["n"], rows["nbme-cbssa-30"]["days_before"]["n"]) == (0, 29)  # pending too


def test_verified_calibrations_count_only_verified_stories(client, calibrated):
    body = get_json(client, "/api/v1/calibrations?step=step2ck&verified=1")
    assert body["verified"] is True and body["assessments"] == [] and body["measured"] is None


def test_predict_reads_the_score_off_the_line_with_its_range(client, calibrated):
    taken = (utcnow().date() - timedelta(days=3)).isoformat()
    body = get_json(client, f"/api/v1/predict?step=step2ck&background=img&practice=uwsa-2:230:{taken}")
    intercept, slope, sd, n, mean_x, sxx = least_squares(calibrated)
    half = T_975_11 * sd * math.sqrt(1 + 1 / n + (230 - mean_x) ** 2 / sxx)
    found = body["score_range"]
    assert found["predicted"] == pytest.approx(intercept + slope * 230)
    assert (found["low"], found["high"]) == (pytest.approx(intercept + slope * 230 - half, rel=1e-4),
                                             pytest.approx(intercept + slope * 230 + half, rel=1e-4))
    assert [(f["slug"], f["n"]) for f in found["forms"]] == [("uwsa-2", 13)]
    assert body["practice"] == [{"slug": "uwsa-2", "scale": "three_digit", "score": 230.0, "taken_on": taken}]
    assert body["scored"] is True and body["pass_chance"] is None and body["unused"] == []
    assert body["measured"]["n"] == 13 and body["measured"]["note"].startswith("13 stories predicted")
    assert body["method"].startswith("Each practice score") and "Self-reported" in body["caveat"]
    assert body["passing_standard"]["score"] > 200
    assert (body["background"], body["month"], body["verified"]) == ("img", None, False)


def test_predict_lists_the_similar_stories_with_their_addresses(client, calibrated):
    similar = get_json(client, "/api/v1/predict?step=step2ck&practice=uwsa-2:230")["similar_stories"]
    assert len(similar) == 10
    assert similar[0]["shared"] == [{"name": "UWSA 2", "theirs": 230.0, "yours": 230.0, "scale": "three_digit"}]
    # Two gave 230: the pending story (newest, no score) and the seventh (e = -2); then 235 and 225 (newest first)
    assert [(story["distance"], story["score"]) for story in similar[:4]] == [(0, None), (0, 238), (0.5, 246),
                                                                              (0.5, 237)]
    for story in similar:
        assert story["url"].startswith("http") and f"/stories/{story['id']}-" in story["url"]  # the page itself
    assert client.get(urlsplit(similar[0]["url"]).path).status_code == 200  # the story page itself


def test_predict_gives_step1_the_pass_chance_of_the_band(client, calibrated):
    taken = (EXAM - timedelta(days=7)).isoformat()
    body = get_json(client, f"/api/v1/predict?step=step1&month={EXAM:%Y-%m}&practice=nbme-cbssa-29:40:{taken}"
                            f"&practice=nbme-cbssa-30:73:{taken}")
    chance = body["pass_chance"]
    assert chance["last"]["slug"] == "nbme-cbssa-30" and chance["last"]["scale"] == "percent"
    low, high = wilson(9, 12)
    assert chance["band"]["n"] == 12 and chance["band"]["rate"] == 75.0
    assert chance["band"]["rate_low"] == pytest.approx(low) and chance["band"]["rate_high"] == pytest.approx(high)
    assert body["scored"] is False and body["score_range"] is None and body["passing_standard"] is None
    assert body["unused"] == ["nbme-cbssa-29"]
    assert body["measured"]["brier"] is not None and "NBME" in body["method"]


def test_a_band_under_ten_gives_its_count_and_no_rate(client, calibrated):
    chance = get_json(client, "/api/v1/predict?step=step1&practice=nbme-cbssa-30:52")["pass_chance"]
    assert (chance["band"]["n"], chance["band"]["passed"], chance["band"]["rate"]) == (5, 3, None)


def test_unknown_parameters_are_ignored(client, calibrated):
    assert client.get("/api/v1/calibrations?step=step3&junk=1").status_code == 200
    assert client.get("/api/v1/predict?step=step2ck&practice=uwsa-2:230&junk=1").status_code == 200


TWENTY_ONE = "&".join(["practice=uwsa-2:230"] * 21)
FUTURE = (utcnow().date() + timedelta(days=30)).isoformat()


BAD_CALIBRATION_QUERIES = [
    ("", "step"),
    ("step=step9", "step"),
    ("step=step2ck&step=step1", "step"),
    ("verified=yes&step=step2ck", "verified"),
]
BAD_PREDICT_QUERIES = [
    ("practice=uwsa-2:230", "step"),  # no step
    ("step=step9&practice=uwsa-2:230", "step"),  # unknown step
    ("step=step2cs&practice=uwsa-2:230", "step"),  # no self-assessments
    ("step=step2ck&background=martian&practice=uwsa-2:230", "background"),
    ("step=step2ck&verified=2&practice=uwsa-2:230", "verified"),
    ("step=step2ck&month=2026-13&practice=uwsa-2:230", "month"),
    ("step=step2ck&month=0000-01&practice=uwsa-2:230", "month"),
    ("step=step2ck&month=1980-01&practice=uwsa-2:230", "month"),  # before Step 2 existed
    ("step=step2ck&month=2999-01&practice=uwsa-2:230", "month"),  # too far ahead
    ("step=step2ck&month=June&practice=uwsa-2:230", "month"),
    ("step=step2ck", "practice"),  # none given
    ("step=step2ck&practice=", "practice"),
    ("step=step2ck&practice=uwsa-2", "practice"),  # no score
    ("step=step2ck&practice=uwsa-2:230:2025-01-01:x", "practice"),  # junk
    ("step=step2ck&practice=no-such-form:230", "practice"),  # unknown form
    ("step=step2ck&practice=nbme-cbssa-30:72", "practice"),  # a Step 1 form
    ("step=step2ck&practice=uwsa-2:72", "practice"),  # a percent on a 3-digit form
    ("step=step2ck&practice=uwsa-2:301", "practice"),  # off the scale
    ("step=step2ck&practice=uwsa-2:230.5", "practice"),  # 3-digit scores are whole
    ("step=step2ck&practice=uwsa-2:abc", "practice"),
    ("step=step2ck&practice=uwsa-2:230:2025-02-30", "practice"),  # no such day
    (f"step=step2ck&practice=uwsa-2:230:{FUTURE}", "practice"),  # still to come
    (f"step=step2ck&{TWENTY_ONE}", "practice"),  # more than 20
]


def test_bad_parameters_are_a_400_naming_them(client, calibrated):
    # One test over every case, against one dataset: a fixture per case cost a minute of the suite on PostgreSQL.
    cases = ([("calibrations", query, name) for query, name in BAD_CALIBRATION_QUERIES]
             + [("predict", query, name) for query, name in BAD_PREDICT_QUERIES])
    wrong = []
    for path, query, name in cases:
        response = client.get(f"/api/v1/{path}?{query}")
        body = response.get_json(silent=True) or {}
        if response.status_code != 400 or body.get("status") != 400 or not body.get("error", "").startswith(
                f"{name}:"):
            wrong.append((path, query[:60], response.status_code, body.get("error")))
    assert wrong == []


def test_a_bad_practice_value_is_named_in_the_error(client, calibrated):
    body = get_json(client, "/api/v1/predict?step=step2ck&practice=uwsa-2:230&practice=no-such-form:230",
                    status=400)
    assert body["error"].startswith("practice: 'no-such-form:230': ")


@pytest.mark.parametrize(("url", "shape"), [("/api/v1/calibrations?step=step2ck", "calibration"),
                                           ("/api/v1/predict?step=step2ck&practice=uwsa-2:230", "prediction")])
def test_answers_are_cached_until_a_story_is_written(client, calibrated, monkeypatch, url, shape):
    built = []
    original = getattr(api_insights, shape)
    monkeypatch.setattr(api_insights, shape, lambda *args: built.append(1) or original(*args))
    first = get_json(client, url)
    calls = len(built)
    assert get_json(client, url) == first and len(built) == calls > 0  # from the page cache
    make_story(step="step2ck", exam_month=EXAM, score=250)
    get_json(client, url)
    assert len(built) > calls


def test_the_openapi_document_describes_both(client, app):
    document = get_json(client, "/api/v1/openapi.json")
    calibrations, predict = document["paths"]["/calibrations"]["get"], document["paths"]["/predict"]["get"]
    assert [(p["name"], p["required"]) for p in calibrations["parameters"]] == [("step", True), ("verified", False)]
    assert [(p["name"], p["required"]) for p in predict["parameters"]] == [
        ("step", True), ("background", False), ("month", False), ("verified", False), ("practice", True)]
    assert predict["parameters"][-1]["schema"]["maxItems"] == 20
    assert calibrations["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Calibrations"}
    assert predict["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Prediction"}
    assert {"Calibration", "PassBand", "Measured", "Prediction", "SimilarStory"} <= set(
        document["components"]["schemas"])


def test_populated_answers_match_the_openapi_document(client, calibrated):
    with api_rate_limit(client.application, "100000 per minute"):
        served = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", client.application)
        cases = [
            served["/calibrations"]["GET"].Case(query={"step": "step2ck"}),
            served["/calibrations"]["GET"].Case(query={"step": "step1"}),
            served["/predict"]["GET"].Case(query={"step": "step2ck", "background": "img",
                                                  "practice": ["uwsa-2:230", "nbme-12:240"]}),
            served["/predict"]["GET"].Case(query={"step": "step1", "practice": ["nbme-cbssa-30:73"]}),
        ]
        statuses = [case.call_and_validate(session=client).status_code for case in cases]
    assert statuses == [200, 200, 200, 200]
