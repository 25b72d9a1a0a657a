"""Insights as figures: for each chart its heading, one plain sentence, the SVG, and the table (and CSV) beneath.

Pure functions of an `Insights`: no database, no request. The chart, the table and the CSV of a figure are drawn
from the same rounded numbers, so what a reader hovers, reads and downloads always agree. Every count is shown. A
rate, median or line arrives from forum.insights.stats as None for a group under MIN_GROUP: the table says "fewer
than 10 stories", the chart draws nothing for it (never a bar of 0), and no sentence quotes it.
"""
from dataclasses import dataclass

from markupsafe import Markup, escape

from .. import exam
from ..insight_charts import bar_chart, xy_chart
from . import data
from .stats import FEWER, MIN_GROUP, Rate, Spread, rate

CAVEAT = (f"Self-reported by the people who chose to write these stories, so not a sample of all candidates: people "
          f"who passed write more often than people who failed. Rates and medians are shown for groups of "
          f"{MIN_GROUP} or more stories, with 95% intervals.")
TOO_FEW = f"fewer than {MIN_GROUP}, too few"  # "7 with a result is fewer than 10, too few for a pass rate"
PAGE_TABLE_ROWS = 100  # a scatter's table on the page lists this many of its stories; the CSV lists every one drawn
WIDTH = 480  # viewBox width: on a phone the SVG shrinks to ~360 px, and labels must stay readable
OUTCOME_CLASSES = {"passed": "chart-passed", "failed": "chart-failed", "pending": "chart-pending"}

Value = int | float | str | None


@dataclass(frozen=True)
class Figure:
    key: str  # the CSV's chart column, and the id of the figure on the page
    heading: str
    sentence: str
    svg: Markup | None
    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    facts: tuple[tuple[str, Value], ...] = ()  # summary figures shown beside the table (and in the CSV)
    note: str = ""  # why a figure has nothing to draw, or what it leaves out
    row_ids: tuple[str, ...] = ()  # what each row is about, where the page links a row somewhere (a slug)


def show(value: Value) -> str:
    """A cell as the table prints it: None is a figure from too few stories."""
    if value is None:
        return FEWER
    return value if isinstance(value, str) else _number(value)


# What a spreadsheet reads as the start of a formula (OWASP, "CSV injection"): a resource's name like
# `=HYPERLINK(...)` would run when the download is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value: Value) -> str:
    """A cell as the CSV holds it: a figure from too few stories is empty, numbers stay numbers, and text that a
    spreadsheet would run as a formula gets a leading quote, which makes it plain text there."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return _number(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def rows_html(figure: Figure, href=None) -> Markup:
    """The table body: built here, not by a Jinja loop, because a page holds hundreds of cells and this is several
    times faster. `href(row_id)` links a row's first cell (the calibration table links each form's scatter)."""
    rows = []
    for index, row in enumerate(figure.rows):
        first = escape(show(row[0]))
        if href and figure.row_ids and figure.row_ids[index]:  # an empty id: nothing to link to
            first = Markup('<a href="{}">{}</a>').format(href(figure.row_ids[index]), first)
        cells = "".join(_cell(value) for value in row[1:])
        rows.append(f'<tr><th scope="row">{first}</th>{cells}</tr>')
    return Markup("".join(rows))


def _cell(value: Value) -> str:
    if value is None:
        return f'<td class="too-few">{FEWER}</td>'
    if isinstance(value, str):
        return f"<td>{escape(value)}</td>"
    return f"<td>{_number(value)}</td>"  # digits, a point and a minus: nothing to escape


def _number(value: float) -> str:
    return f"{value:,}".replace(",", "") if isinstance(value, int) else f"{value:g}"


def percent(rate: Rate | None) -> int | None:
    return None if rate is None else round(rate.value)


def interval(rate: Rate | None) -> str | None:
    """'66–92%': a rate's 95% interval as the table prints it."""
    return None if rate is None else f"{rate.low:.0f}–{rate.high:.0f}%"


def rate_text(rate: Rate) -> str:
    """'82% (95% CI 66–92%)'."""
    return f"{rate.value:.0f}% (95% CI {rate.low:.0f}–{rate.high:.0f}%)"


def bar(rate: Rate | None) -> tuple[float, float, float] | None:
    """A rate as a bar with its whisker, or no bar at all."""
    return None if rate is None else (round(rate.value), round(rate.low), round(rate.high))


def median_interval(s: Spread | None) -> str | None:
    return None if s is None else f"{s.median_low:g}–{s.median_high:g}"


def page_figures(ins: data.Insights, assessment: str = "") -> list[Figure]:
    """What /insights shows for one selection, in page order: one practice scatter at a time (the chosen
    self-assessment, else the most reported), since a step has a dozen."""
    if not ins.shown:
        return []
    chosen = ins.practice_fit(assessment) if assessment else None
    chosen = chosen if chosen and chosen.fit else (ins.calibrated[0] if ins.calibrated else None)
    return [outcomes_figure(ins), resources_figure(ins), prep_figure(ins), scores_figure(ins),
            practice_summary_figure(ins), *([pass_bands_figure(ins)] if ins.step == "step1" else []),
            *([practice_figure(ins, chosen, table_rows=PAGE_TABLE_ROWS)] if chosen else []), trend_figure(ins)]


def csv_figures(ins: data.Insights) -> list[Figure]:
    """What the CSV holds: the page's figures with every self-assessment's scatter."""
    if not ins.shown:
        return []
    return [outcomes_figure(ins), resources_figure(ins), prep_figure(ins), scores_figure(ins),
            practice_summary_figure(ins), *([pass_bands_figure(ins)] if ins.step == "step1" else []),
            *practice_figures(ins), trend_figure(ins)]


def selection_label(ins: data.Insights) -> str:
    """'Step 2 CK stories from IMG candidates with exams in 2024'."""
    label = f"{exam.STEPS[ins.step].label}{' verified' if ins.verified else ''} stories"
    if ins.background:
        label += f" from {data.BACKGROUND_LABELS[ins.background]} candidates"
    if ins.year:
        label += f" with exams in {ins.year}"
    return label


def outcomes_sentence(ins: data.Insights) -> str:
    o = ins.outcomes
    counts = f"Of {o.total:,} {selection_label(ins)}, {o.passed:,} passed" + (
        f", {o.failed:,} failed and {o.pending:,} {'awaits' if o.pending == 1 else 'await'} a result" if o.pending
        else f" and {o.failed:,} failed")
    if o.pass_rate is None:
        return f"{counts}; {o.passed + o.failed} with a result is {TOO_FEW} for a pass rate."
    return f"{counts}: {rate_text(o.pass_rate)} of those with a result passed."


def outcomes_figure(ins: data.Insights) -> Figure:
    o = ins.outcomes
    sentence = outcomes_sentence(ins)
    rows = tuple((row.label, row.outcomes.total, row.outcomes.passed, row.outcomes.failed, row.outcomes.pending,
                  percent(row.outcomes.pass_rate), interval(row.outcomes.pass_rate)) for row in ins.by_background)
    left_out = [row[0] for row in rows if row[5] is None]
    note = (f"No bar for {', '.join(left_out)}: {FEWER} with a result." if left_out else "")
    svg = bar_chart([(row.label, [bar(row.outcomes.pass_rate)]) for row in ins.by_background],
                    series=["Passed (% of those with a result)"], series_classes=["chart-passed"],
                    title=f"Pass rate by background: {selection_label(ins)}",
                    description=f"{sentence} Each bar is a background's pass rate, its whisker the 95% interval. "
                                f"{note} {CAVEAT}", value_label="Passed (% of those with a result)", unit="%",
                    value_max=100, width=WIDTH)
    return Figure(key="outcomes", heading="Outcomes by background", sentence=sentence, svg=svg, note=note,
                  columns=("Background", "Stories", "Passed", "Failed", "Awaiting result", "Passed (% of results)",
                           "95% interval"),
                  rows=rows, facts=(("Stories", o.total), ("Passed", o.passed), ("Failed", o.failed),
                                    ("Awaiting result", o.pending), ("Passed (% of results)", percent(o.pass_rate)),
                                    ("95% interval", interval(o.pass_rate))))


def resources_figure(ins: data.Insights, *, limit: int = data.TOP_RESOURCES) -> Figure:
    passed, failed = ins.outcomes.passed, ins.outcomes.failed
    shown = ins.resources[:limit]
    shares = [(rate(r.passed, passed), rate(r.failed, failed)) for r in shown]
    rows = tuple((r.name, r.passed, percent(p), interval(p), r.failed, percent(f), interval(f))
                 for r, (p, f) in zip(shown, shares, strict=True))
    if shown and shares[0][0] is not None:
        top, (p, f) = shown[0], shares[0]
        sentence = (f"Among the {passed:,} {selection_label(ins)} that passed, {top.passed:,} used {top.name}: "
                    f"{rate_text(p)}" + (f"; among the {failed:,} that failed, {top.failed:,}: {rate_text(f)}."
                                         if f is not None else
                                         f"; {failed:,} failed, {TOO_FEW} for a share."))
    elif shown:
        sentence = (f"{passed:,} {selection_label(ins)} passed and {failed:,} failed: {TOO_FEW} for shares; the "
                    f"counts are in the table.")
    else:
        sentence = f"None of the {selection_label(ins)} with a result named a resource."
    note = f"No “failed” bars: {failed} stories failed, {TOO_FEW} for a share." if (
        shown and 0 < failed < MIN_GROUP) else ""
    svg = bar_chart([(r.name, [bar(p), bar(f)]) for r, (p, f) in zip(shown, shares, strict=True)],
                    series=["Of those who passed", "Of those who failed"],
                    series_classes=["chart-passed", "chart-failed"],
                    title=f"Resources used, by outcome: {selection_label(ins)}",
                    description=f"{sentence} Whiskers are 95% intervals. {note} {CAVEAT}", value_label="Used it (%)",
                    unit="%", value_max=100, width=WIDTH)
    return Figure(key="resources", heading="Resources used by those who passed and those who failed",
                  sentence=sentence, svg=svg if shown else None, note=note,
                  columns=("Resource", "Passed and used it", "% of passed", "95% interval", "Failed and used it",
                           "% of failed", "95% interval"),
                  rows=rows, facts=(("Passed", passed), ("Failed", failed)))


def prep_figure(ins: data.Insights) -> Figure:
    rows = tuple((row.label, row.n, *((row.spread.median, median_interval(row.spread), row.spread.q1, row.spread.q3)
                                      if row.spread else (None, None, None, None))) for row in ins.prep)
    everyone = next((row for row in ins.prep if row.group == "all"), None)
    if everyone and everyone.spread:
        s = everyone.spread
        sentence = (f"Among {s.n:,} {selection_label(ins)} that gave their weeks of preparation, the median was "
                    f"{s.median:g} weeks (95% CI {s.median_low:g}–{s.median_high:g}), and half prepared for between "
                    f"{s.q1:g} and {s.q3:g} weeks.")
    else:
        given = everyone.n if everyone else 0
        sentence = f"{given} {selection_label(ins)} gave their weeks of preparation: {TOO_FEW} for a median."
    svg = bar_chart([(row.label, [None if row.spread is None else
                                  (row.spread.median, row.spread.median_low, row.spread.median_high)])
                     for row in ins.prep], series=["Median weeks"], series_classes=["chart-rate"],
                    title=f"Median weeks of preparation: {selection_label(ins)}",
                    description=f"{sentence} Whiskers are the medians' 95% intervals. {CAVEAT}",
                    value_label="Median weeks of preparation", width=WIDTH)
    return Figure(key="prep", heading="Weeks of preparation", sentence=sentence,
                  svg=svg if any(row.spread for row in ins.prep) else None,
                  columns=("Group", "Stories", "Median weeks", "95% interval", "Lower quartile", "Upper quartile"),
                  rows=rows)


def scores_figure(ins: data.Insights) -> Figure:
    step = exam.STEPS[ins.step]
    rows = tuple((f"{b.low}–{b.high}", b.count) for b in ins.score_bins)
    note = ""
    if not ins.scored:
        note = (f"{step.label} reported pass or fail only"
                + (" for these exams" if ins.step == "step1" else "") + ": there is no score to show.")
    elif ins.step == "step1":
        note = "Step 1 has been pass/fail since 26 January 2022, so these are scores from earlier exams."
    s = ins.scores
    if s:
        sentence = (f"Among {s.n:,} {selection_label(ins)} that gave a 3-digit score, the median was {s.median:g} "
                    f"(95% CI {s.median_low:g}–{s.median_high:g}), and half scored between {s.q1:g} and {s.q3:g}.")
    else:
        sentence = f"{ins.scored_n} {selection_label(ins)} gave a 3-digit score: {TOO_FEW} for a median."
    svg = bar_chart([(row[0], [row[1]]) for row in rows], series=["Stories"], series_classes=["chart-rate"],
                    title=f"Score distribution: {selection_label(ins)}", description=f"{sentence} {CAVEAT}",
                    value_label="Stories", width=WIDTH) if rows else None
    facts = (("Stories with a score", ins.scored_n), ("Median", None if s is None else s.median),
             ("95% interval", median_interval(s)), ("Lower quartile", None if s is None else s.q1),
             ("Upper quartile", None if s is None else s.q3)) if ins.scored else ()
    return Figure(key="scores", heading="Score distribution", sentence=sentence if ins.scored else note, svg=svg,
                  columns=("Score", "Stories"), rows=rows, facts=facts, note=note if ins.scored else "")


def _years(ins: data.Insights) -> str:
    first, last = ins.practice_years
    return str(first) if first == last else f"{first}–{last}"


def calibration_text(row: data.PracticeFit) -> str:
    """'real ≈ 38.2 + 0.86 × practice'."""
    return f"real ≈ {row.fit.intercept:.1f} + {row.fit.slope:.2f} × practice"


def practice_summary_figure(ins: data.Insights) -> Figure:
    """The calibration per self-assessment: its line, how far 95% of candidates fell from it, and how long before
    the exam the test was taken."""
    rows = []
    for row in ins.practice:
        fit, days = row.fit, row.days
        low_r, high_r = fit.r_interval if fit else (None, None)
        rows.append((f"{row.name}{' (percent)' if row.scale == 'percent' else ''}", row.n,
                     calibration_text(row) if fit else None,
                     f"±{fit.typical_half_width:.0f}" if fit else None,
                     f"{fit.r:.2f} ({low_r:.2f}–{high_r:.2f})" if fit else None,
                     None if days is None else f"{days.median:g} ({days.median_low:g}–{days.median_high:g})"))
    lines = [row for row in ins.practice if row.fit]
    if lines:
        widths = sorted(row.fit.typical_half_width for row in lines)
        sentence = (f"Among {selection_label(ins)} from {_years(ins)}, {len(lines)} self-assessment"
                    f"{' was' if len(lines) == 1 else 's were'} reported beside a real score by {MIN_GROUP} or more "
                    f"stories; 95% of candidates scored within ±{widths[0]:.0f} to ±{widths[-1]:.0f} points of "
                    f"what each one's line predicts.")
    elif not ins.scored or ins.step == "step1":
        sentence = (f"{exam.STEPS[ins.step].label} reported no 3-digit score for these exams: practice tests are "
                    f"calibrated against the outcome instead" + (" (below)." if ins.step == "step1" else "."))
    else:
        sentence = (f"No self-assessment was reported beside a real score by {MIN_GROUP} or more "
                    f"{selection_label(ins)} from {_years(ins)}.")
    return Figure(key="practice", heading="Calibration per self-assessment", sentence=sentence, svg=None,
                  columns=("Self-assessment", "Stories with both scores", "Line", "95% of candidates within",
                           "r (95% CI)", "Median days before the exam (95% CI)"),
                  rows=tuple(rows), row_ids=tuple(row.slug if row.fit else "" for row in ins.practice))


def practice_figures(ins: data.Insights) -> list[Figure]:
    return [practice_figure(ins, row) for row in ins.calibrated]


def practice_figure(ins: data.Insights, row: data.PracticeFit, *, table_rows: int | None = None) -> Figure:
    """One self-assessment against the real score: each story a point (passed and failed apart), the line, and
    the band where 95% of candidates fall."""
    fit, step = row.fit, exam.STEPS[ins.step]
    unit = "%" if row.scale == "percent" else ""
    at = round(fit.mean_x / 5) * 5
    sentence = (f"Among {fit.n:,} {selection_label(ins)} from {_years(ins)} that gave both, a score of {at:g}{unit} on "
                f"{row.name} went with a real score of about {fit.predict(at):.0f}; 95% of candidates fell within "
                f"±{fit.half_width(at):.0f} points of the line (r = {fit.r:.2f}).")
    scored = [p for p in row.points if p.y is not None]
    series = []
    for outcome, label, shape in (("passed", "Passed", "circle"), ("failed", "Failed", "square")):
        points = [(p.x, p.y, f"{row.name} {p.x:g}{unit} · {step.label} {p.y} ({label.lower()})", 1)
                  for p in scored if p.outcome == outcome]
        if points:
            series.append((label, points, OUTCOME_CLASSES[outcome], shape))
    xs = [p.x for p in scored]
    low_x, high_x = min(xs), max(xs)
    band = fit.band(low_x, high_x)
    ys = [p.y for p in scored] + [b[1] for b in band] + [b[2] for b in band]
    x_range = (max(0, (low_x // 10) * 10), (high_x // 10) * 10 + 10)
    y_range = (max(1, (min(ys) // 10) * 10), min(300, (max(ys) // 10) * 10 + 10))
    line = (f"Least-squares line: real = {fit.intercept:.1f} + {fit.slope:.2f} × practice", fit.slope, fit.intercept,
            low_x, high_x)
    drawn = f"{len(scored):,} of them, an even sample" if row.sampled else f"all {fit.n:,}"
    svg = xy_chart(series, title=f"{row.name} against the real {step.label} score",
                   description=f"{sentence} Each point is one story ({drawn}); the line is fitted to all {fit.n:,}, "
                               f"and the shaded band is its 95% prediction interval. {CAVEAT}",
                   x_label=f"{row.name} ({'percent correct' if unit else '3-digit score'})",
                   y_label=f"{step.label} score", x_range=x_range, y_range=y_range, lines=[line],
                   bands=[("95% of candidates (prediction band)", band)], width=WIDTH)
    low_r, high_r = fit.r_interval
    rows = tuple((f"{p.x:g}{unit}", p.y, p.outcome) for p in scored)
    listed = rows if table_rows is None or len(rows) <= table_rows else rows[::-(-len(rows) // table_rows)]
    note = (f"The table lists {len(listed):,} of the {len(rows):,} stories drawn, evenly spread; the CSV has them all."
            if len(listed) < len(rows) else "")
    return Figure(key=f"practice-{row.slug}", heading=f"{row.name} against the real score", sentence=sentence,
                  svg=svg, columns=(row.name, f"{step.label} score", "Outcome"), rows=listed, note=note,
                  facts=(("Stories", fit.n), ("Line", calibration_text(row)),
                         ("95% of candidates within", f"±{fit.typical_half_width:.0f} points"),
                         ("r (95% CI)", f"{fit.r:.2f} ({low_r:.2f}–{high_r:.2f})"),
                         ("Median days before the exam", None if row.days is None else row.days.median)))


def pass_bands_figure(ins: data.Insights) -> Figure:
    """Step 1: the pass rate by the band of the last NBME form before the exam, with intervals."""
    bands = ins.pass_bands
    rows = tuple((b.label, b.n, b.passed, b.n - b.passed, percent(b.rate), interval(b.rate)) for b in bands)
    rated = [b for b in bands if b.rate]
    if rated:
        best = max(rated, key=lambda b: b.n)
        sentence = (f"Of {best.n:,} {selection_label(ins)} from {_years(ins)} whose last NBME form before the exam "
                    f"was {best.label}, {best.passed:,} passed: {rate_text(best.rate)}.")
    elif bands:
        sentence = (f"{sum(b.n for b in bands)} {selection_label(ins)} from {_years(ins)} gave a last NBME percent "
                    f"and a result: no band holds {MIN_GROUP} or more.")
    else:
        sentence = f"No {selection_label(ins)} from {_years(ins)} gave an NBME percent score and a result."
    left_out = [b.label for b in bands if b.rate is None]
    note = f"No bar for {', '.join(left_out)}: {FEWER}." if left_out else ""
    svg = bar_chart([(b.label, [bar(b.rate)]) for b in bands], series=["Passed (%)"], series_classes=["chart-passed"],
                    title=f"Pass rate by last NBME score: {selection_label(ins)}",
                    description=f"{sentence} Whiskers are 95% Wilson intervals. {note} {CAVEAT}",
                    value_label="Passed (%)", unit="%", value_max=100, width=WIDTH) if rated else None
    return Figure(key="pass-bands", heading="Pass rate by the last NBME form before the exam", sentence=sentence,
                  svg=svg, note=note, columns=("Last NBME (percent correct)", "Stories", "Passed", "Failed",
                                               "Passed (%)", "95% interval"), rows=rows)


def trend_figure(ins: data.Insights) -> Figure:
    rows = tuple((row.year, row.outcomes.total, row.outcomes.passed, row.outcomes.failed, row.outcomes.pending,
                  percent(row.outcomes.pass_rate), interval(row.outcomes.pass_rate),
                  None if row.scores is None else row.scores.median, median_interval(row.scores))
                 for row in ins.trend)
    rated = [(row.year, row.outcomes.pass_rate) for row in ins.trend if row.outcomes.pass_rate]
    if len(rated) > 1:
        (y0, r0), (y1, r1) = rated[0], rated[-1]
        sentence = (f"Among {selection_label(ins)}, the share that passed was {rate_text(r0)} for exams in {y0} and "
                    f"{rate_text(r1)} in {y1}.")
    elif rated:
        sentence = f"Among {selection_label(ins)}, {rate_text(rated[0][1])} passed in {rated[0][0]}."
    else:
        sentence = f"No exam year has {MIN_GROUP} or more {selection_label(ins)} with a result: the counts are below."
    left_out = [str(row.year) for row in ins.trend if row.outcomes.pass_rate is None]
    note = f"Not drawn ({FEWER} with a result): {', '.join(left_out)}." if left_out and rated else ""
    points = [(year, round(r.value), f"{year}: {rate_text(r)} of {r.n} passed", 1, r.low, r.high)
              for year, r in rated]
    years = [year for year, _ in rated] or [0]
    svg = xy_chart([("Passed (% of results)", points, "chart-passed", "circle")],
                   title=f"Pass rate by exam year: {selection_label(ins)}",
                   description=f"{sentence} Whiskers are 95% intervals. {note} {CAVEAT}", x_label="Exam year",
                   y_label="Passed (%)", x_range=(min(years) - 0.5, max(years) + 0.5), y_range=(0, 100),
                   connect=True, integer_x=True, width=WIDTH) if len(rated) > 1 else None
    return Figure(key="trend", heading="Trend by exam year", sentence=sentence, svg=svg, note=note,
                  columns=("Exam year", "Stories", "Passed", "Failed", "Awaiting result", "Passed (% of results)",
                           "95% interval", "Median score", "95% interval"), rows=rows)


def resource_usage_figure(ins: data.Insights, slug: str) -> Figure | None:
    """The resource page's panel: for one step, how many who passed and who failed used this resource."""
    row = ins.resource(slug)
    if row is None:
        return None
    passed, failed = ins.outcomes.passed, ins.outcomes.failed
    p, f = rate(row.passed, passed), rate(row.failed, failed)
    among = rate(row.passed, row.total)
    if among is not None:
        sentence = (f"Among {row.total:,} {selection_label(ins)} with a result that used {row.name}, {row.passed:,} "
                    f"passed: {rate_text(among)}.")
    else:
        sentence = (f"{row.total:,} {selection_label(ins)} with a result used {row.name} ({row.passed:,} passed, "
                    f"{row.failed:,} failed): {TOO_FEW} for a pass rate.")
    rows = ((row.name, row.passed, percent(p), interval(p), row.failed, percent(f), interval(f)),)
    svg = bar_chart([(exam.STEPS[ins.step].label, [bar(p), bar(f)])],
                    series=["Of those who passed", "Of those who failed"],
                    series_classes=["chart-passed", "chart-failed"],
                    title=f"{row.name} among {selection_label(ins)}", description=f"{sentence} {CAVEAT}",
                    value_label="Used it (%)", unit="%", value_max=100, width=WIDTH)
    return Figure(key=f"resource-{ins.step}", heading=f"{exam.STEPS[ins.step].label}", sentence=sentence, svg=svg,
                  columns=("Resource", "Passed and used it", "% of passed", "95% interval", "Failed and used it",
                           "% of failed", "95% interval"),
                  rows=rows, facts=(("Passed", passed), ("Failed", failed)))
