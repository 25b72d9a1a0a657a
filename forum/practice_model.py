"""How generated practice scores relate to the real result: one model for the demo (forum/demo_sample.py) and the
bench (bench/tables.py), so the predictor's measured error means the same on both.

After the practice-vs-real tables candidates build (usmle-research.md 2.1 item 2): residencyadvisor.com's (NBME
forms r≈0.75-0.85, UWSA 2 r≈0.80-0.90, UWSA 1 over-predicting by +3 to +8, the newer Free 120 within about ±5) and
nbmecalc.com's Free 120 percent -> CK score table. A 3-digit practice score is the real score + its form's bias +
gaussian noise of its form's SD; the first matching slug prefix wins. The SDs put r in those ranges on the
generated real scores (SD about 20 with the fails in; r is lower among passes). People improve towards the exam: a
form's bias is its gap at the generator's middle practice day, less per week earlier, more per week later.

Each function gives a mean (and SD): the generators draw from their own seeded rng and clamp to their own bounds,
so each keeps its draws in the order it always had.
"""
import math
import random
import zlib

FORM_BEHAVIOUR = [  # (slug prefix, bias: practice - real in points, noise SD)
    ("uwsa-1-", 5, 12),  # over-predicts: residencyadvisor's +3 to +8
    ("uwsa-2-", 1, 10),  # the closest: r≈0.80-0.90
    ("uwsa-3-", 0, 12),  # no source found: between the two
    ("nbme-", None, 12),  # r≈0.75-0.85; each form its own bias (NBME_BIASES)
    ("amboss-", -4, 13),  # reads low ("AMBOSS SA 240 ... actual 263", the r/Step2 write-up of 2.1 item 1)
]
OTHER_FORM = (0, 12)  # bias, SD of an assessment the table does not name
NBME_BIASES = (-3, -2, -1, 0, 1, 2)  # one per form, by a hash of its slug: forms differ, each the same every run
POINTS_PER_WEEK = 1.0  # 3-digit points gained per week nearer the exam
PERCENT_PER_WEEK = 0.25  # percent points: a point or two over the weeks of practice
# A percent form for a scored exam (Free 120 for CK and for scored Step 1, Free 137 for Step 3):
# percent ≈ intercept + slope * (real - the step's mean) ± PERCENT_SD; CK's from nbmecalc's table, the others alike.
PERCENT_FOR_SCORE = {"step1": (72, 0.55), "step2ck": (72, 0.55), "step3": (70, 0.5)}
PERCENT_SD = 6  # "wide" (residencyadvisor), as 120 questions must be: sampling alone is ±4 (√(0.7·0.3/120))
# Pass/fail Step 1 has no score to be near. The candidate's equated percent correct (EPC, the "ability") comes first;
# the chance to pass is logistic in it: even at PASS_EVEN_PERCENT, about 96% at 65% (NBME's report gives EPC and a
# pass probability, and 60-65% EPC reads as a high one: usmle-research.md 2.1 item 3). The story's outcome is drawn
# before its practice scores, so the ability is drawn given the outcome (ability_given). Each percent form is the
# ability + its lift + noise: candidates report Free 120 a few points above their NBMEs ("66% on form 31 and 72% on
# the old 120", SDN, usmle-research.md 1.4).
ABILITY_MEAN, ABILITY_SD = 66, 8
EPC_SD = 4  # a form's noise around the ability
PASS_EVEN_PERCENT, PASS_SPREAD = 52, 4  # the logistic's centre and scale
FREE_120_LIFT = 5


def form_behaviour(slug: str) -> tuple[int, float]:
    """(bias, noise SD) of a 3-digit self-assessment, from FORM_BEHAVIOUR; an NBME form's bias from its slug's hash
    (crc32, not hash(), which Python salts per run)."""
    for prefix, bias, noise in FORM_BEHAVIOUR:
        if slug.startswith(prefix):
            if bias is None:
                bias = NBME_BIASES[zlib.crc32(slug.encode()) % len(NBME_BIASES)]
            return bias, noise
    return OTHER_FORM


def three_digit(slug: str, real: int, weeks_early: float) -> tuple[float, float]:
    """(mean, SD) of a 3-digit practice score: the real score + the form's bias, lower the earlier it was taken."""
    bias, noise = form_behaviour(slug)
    return real + bias - POINTS_PER_WEEK * weeks_early, noise


def percent_for_score(step: str, real: int, step_mean: int, weeks_early: float) -> tuple[float, float]:
    """(mean, SD) of a percent form taken for a scored exam: linear in the real score (PERCENT_FOR_SCORE)."""
    intercept, slope = PERCENT_FOR_SCORE[step]
    return intercept + slope * (real - step_mean) - PERCENT_PER_WEEK * weeks_early, PERCENT_SD


def percent_for_ability(ability: float, slug: str, weeks_early: float) -> tuple[float, float]:
    """(mean, SD) of a pass/fail Step 1 percent form: the ability + Free 120's lift, a little lower when earlier."""
    lift = FREE_120_LIFT if slug.startswith("free-120") else 0
    return ability + lift - PERCENT_PER_WEEK * weeks_early, EPC_SD


def pass_chance(percent: float) -> float:
    """The chance to pass pass/fail Step 1 at an equated percent correct: logistic, even at PASS_EVEN_PERCENT."""
    return 1 / (1 + math.exp(-(percent - PASS_EVEN_PERCENT) / PASS_SPREAD))


def ability_given(rng: random.Random, outcome: str) -> float:
    """A pass/fail Step 1 candidate's ability (EPC) given the outcome already drawn: rejection sampling from the
    population (ABILITY_MEAN, ABILITY_SD), keeping a draw with the chance of that outcome at it. So among stories,
    the outcome follows the ability as pass_chance says, though the outcome was drawn first. Pending: any draw."""
    while True:
        ability = rng.gauss(ABILITY_MEAN, ABILITY_SD)
        if outcome == "pending":
            return ability
        keep = pass_chance(ability) if outcome == "passed" else 1 - pass_chance(ability)
        if rng.random() < keep:
            return ability
