"""Insights as figures: for each chart its heading, one plain sentence, the SVG, and the table (and CSV) beneath.

Pure functions of an `Insights`: no database, no request. The chart, the table and the CSV of a figure are drawn
from the same rounded numbers, so what a reader hovers, reads and downloads always agree. Hidden counts arrive
here as None (forum.insights.data applied the small-group rule) and stay hidden: no bar, "hidden" in the table,
an empty CSV cell, and no sentence that mentions them.
"""
from dataclasses import dataclass

from markupsafe import Markup, escape

from .. import exam
from ..insight_charts import bar_chart, xy_chart
from . import data
from .stats import MIN_GROUP

CAVEAT = (f"Self-reported by the people who chose to write these stories, so not a sample of all candidates; "
          f"groups of fewer than {MIN_GROUP} stories are hidden.")
HIDDEN = "hidden"
OUTCOME_SERIES = ("Passed", "Failed", "Awaiting result")
WIDTH = 480  # viewBox width: on a phone the SVG shrinks to ~360 px, and labels must stay readable

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
    note: str = ""  # why a figure has nothing to draw
    row_ids: tuple[str, ...] = ()  # what each row is about, where the page links a row somewhere (a slug)


def show(value: Value) -> str:
    """A cell as the table prints it."""
    if value is None:
        return HIDDEN
    return value if isinstance(value, str) else _number(value)


# What a spreadsheet reads as the start of a formula (OWASP, "CSV injection"): a resource's name like
# `=HYPERLINK(...)` would run when the download is opened.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_value(value: Value) -> str:
    """A cell as the CSV holds it: hidden counts are empty, numbers stay numbers, and text that a spreadsheet would
    run as a formula gets a leading quote, which makes it plain text there."""
    if value is None:
        return ""
    if not isinstance(value, str):
        return _number(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def rows_html(figure: Figure, href=None) -> Markup:
    """The table body: built here, not by a Jinja loop, because a page holds hundreds of cells and this is several
    times faster. `href(row_id)` links a row's first cell (the practice summary links each form's scatter)."""
    rows = []
    for index, row in enumerate(figure.rows):
        first = escape(show(row[0]))
        if href and figure.row_ids:
            first = Markup('<a href="{}">{}</a>').format(href(figure.row_ids[index]), first)
        cells = "".join(_cell(value) for value in row[1:])
        rows.append(f'<tr><th scope="row">{first}</th>{cells}</tr>')
    return Markup("".join(rows))


def _cell(value: Value) -> str:
    if value is None:
        return '<td class="hidden-count">hidden</td>'
    if isinstance(value, str):
        return f"<td>{escape(value)}</td>"
    return f"<td>{_number(value)}</td>"  # digits, a point and a minus: nothing to escape


def _number(value: float) -> str:
    return f"{value:,}".replace(",", "") if isinstance(value, int) else f"{value:g}"


def page_figures(ins: data.Insights, assessment: str = "") -> list[Figure]:
    """What /insights shows for one selection, in page order: one practice scatter at a time (the chosen
    self-assessment, else the most reported), since a step has a dozen and each is a few kilobytes."""
    if not ins.shown:
        return []
    chosen = ins.practice_fit(assessment) or (ins.practice[0] if ins.practice else None)
    return [outcomes_figure(ins), resources_figure(ins), prep_figure(ins), scores_figure(ins),
            practice_summary_figure(ins), *([practice_figure(ins, chosen)] if chosen else []), trend_figure(ins)]


def csv_figures(ins: data.Insights) -> list[Figure]:
    """What the CSV holds: the page's figures with every self-assessment's scatter."""
    if not ins.shown:
        return []
    return [outcomes_figure(ins), resources_figure(ins), prep_figure(ins), scores_figure(ins),
            practice_summary_figure(ins), *practice_figures(ins), trend_figure(ins)]


def selection_label(ins: data.Insights) -> str:
    """'Step 2 CK stories from IMG candidates with exams in 2024'."""
    label = f"{exam.STEPS[ins.step].label} stories"
    if ins.background:
        label += f" from {data.BACKGROUND_LABELS[ins.background]} candidates"
    if ins.year:
        label += f" with exams in {ins.year}"
    return label


def _percent(part: int | None, whole: int | None) -> int | None:
    return None if part is None or not whole else round(100 * part / whole)


def outcomes_figure(ins: data.Insights) -> Figure:
    o = ins.outcomes
    rate = None if o.pass_rate is None else round(o.pass_rate)
    if rate is not None:
        sentence = (f"Of {o.total:,} {selection_label(ins)}, {o.passed:,} passed and {o.failed:,} failed: "
                    f"{rate}% of those with a result passed.")
    else:
        sentence = (f"There are {o.total:,} {selection_label(ins)}; some outcome counts are hidden because "
                    f"they would describe fewer than {MIN_GROUP} stories.")
    rows = tuple((row.label, row.outcomes.total, row.outcomes.passed, row.outcomes.failed, row.outcomes.pending,
                  None if row.outcomes.pass_rate is None else round(row.outcomes.pass_rate))
                 for row in ins.by_background)
    svg = bar_chart([(row[0], list(row[2:5])) for row in rows], series=list(OUTCOME_SERIES),
                           title=f"Outcomes by background: {selection_label(ins)}", description=f"{sentence} {CAVEAT}",
                           value_label="Stories", width=WIDTH)
    return Figure(key="outcomes", heading="Outcomes by background", sentence=sentence, svg=svg,
                  columns=("Background", "Stories", "Passed", "Failed", "Awaiting result", "Passed (% of results)"),
                  rows=rows, facts=(("Stories", o.total), ("Passed", o.passed), ("Failed", o.failed),
                                    ("Awaiting result", o.pending), ("Passed (% of results)", rate)))


def resources_figure(ins: data.Insights, *, limit: int = data.TOP_RESOURCES) -> Figure:
    passed, failed = ins.outcomes.passed, ins.outcomes.failed
    rows = tuple((r.name, r.passed, _percent(r.passed, passed), r.failed, _percent(r.failed, failed))
                 for r in ins.resources[:limit])
    if rows and rows[0][1] is not None:
        top = rows[0]
        sentence = (f"Among the {passed:,} {selection_label(ins)} that passed, {top[1]:,} ({top[2]}%) used "
                    f"{top[0]}" + (f"; among the {failed:,} that failed, {top[3]:,} ({top[4]}%) did."
                                   if top[3] is not None else "."))
    elif rows:
        sentence = f"The resources used by the {selection_label(ins)} that passed, and by those that failed."
    else:
        sentence = f"No resource was used by {MIN_GROUP} or more of the {selection_label(ins)} with a result."
    svg = bar_chart([(row[0], [row[2], row[4]]) for row in rows],
                           series=["Of those who passed", "Of those who failed"],
                           title=f"Resources used, by outcome: {selection_label(ins)}",
                           description=f"{sentence} {CAVEAT}", value_label="Used it (%)", unit="%", value_max=100,
                           width=WIDTH)
    return Figure(key="resources", heading="Resources used by those who passed and those who failed",
                  sentence=sentence, svg=svg if rows else None,
                  columns=("Resource", "Passed and used it", "% of passed", "Failed and used it", "% of failed"),
                  rows=rows, facts=(("Passed", passed), ("Failed", failed)))


def prep_figure(ins: data.Insights) -> Figure:
    rows = tuple((row.label, row.spread.n, row.spread.median, row.spread.q1, row.spread.q3) for row in ins.prep)
    everyone = next((row.spread for row in ins.prep if row.group == "all"), None)
    if everyone:
        sentence = (f"Among {everyone.n:,} {selection_label(ins)} that gave their weeks of preparation, the median "
                    f"was {everyone.median:g} weeks, and half prepared for between {everyone.q1:g} and "
                    f"{everyone.q3:g} weeks.")
    else:
        sentence = f"Too few {selection_label(ins)} gave their weeks of preparation to show."
    svg = bar_chart([(row[0], [row[2]]) for row in rows], series=["Median weeks"],
                           title=f"Median weeks of preparation: {selection_label(ins)}",
                           description=f"{sentence} {CAVEAT}", value_label="Median weeks of preparation", width=WIDTH)
    return Figure(key="prep", heading="Weeks of preparation", sentence=sentence, svg=svg if rows else None,
                  columns=("Group", "Stories", "Median weeks", "Lower quartile", "Upper quartile"), rows=rows)


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
        sentence = (f"Among {s.n:,} {selection_label(ins)} that gave a 3-digit score, the median was {s.median:g}, "
                    f"and half scored between {s.q1:g} and {s.q3:g}.")
    else:
        sentence = f"Fewer than {MIN_GROUP} {selection_label(ins)} gave a 3-digit score."
    svg = bar_chart([(row[0], [row[1]]) for row in rows], series=["Stories"],
                           title=f"Score distribution: {selection_label(ins)}", description=f"{sentence} {CAVEAT}",
                           value_label="Stories", width=WIDTH) if rows else None
    facts = (("Stories with a score", s.n), ("Median", s.median), ("Lower quartile", s.q1),
             ("Upper quartile", s.q3)) if s else ()
    return Figure(key="scores", heading="Score distribution", sentence=sentence if ins.scored else note, svg=svg,
                  columns=("Score", "Stories"), rows=rows, facts=facts, note=note if ins.scored else "")


def practice_summary_figure(ins: data.Insights) -> Figure:
    """One row per self-assessment: how closely it tracked the real score, from the least-squares fit."""
    first, last = ins.practice_years
    years = str(first) if first == last else f"{first}–{last}"
    rows = tuple((row.name, row.fit.n, round(row.fit.slope, 2), round(row.fit.intercept, 1), round(row.fit.r, 2),
                  round(row.fit.residual_sd, 1)) for row in ins.practice)
    if rows:
        sentence = (f"Among {selection_label(ins)} from {years}, {len(rows)} self-assessment"
                    f"{' was' if len(rows) == 1 else 's were'} reported beside a real score by {MIN_GROUP} or more "
                    f"stories; the real score was typically within {min(r[5] for r in rows):g} to "
                    f"{max(r[5] for r in rows):g} points of each one's fitted line.")
    elif not ins.scored:
        sentence = f"{exam.STEPS[ins.step].label} reported no 3-digit score for these exams: nothing to compare."
    else:
        sentence = (f"Fewer than {MIN_GROUP} {selection_label(ins)} from {years} gave both a practice and a real "
                    f"score for any one self-assessment.")
    return Figure(key="practice", heading="Practice tests against the real score", sentence=sentence, svg=None,
                  columns=("Self-assessment", "Stories", "Slope", "Intercept", "r", "Residual SD (points)"),
                  rows=rows, row_ids=tuple(row.slug for row in ins.practice))


def practice_figures(ins: data.Insights) -> list[Figure]:
    return [practice_figure(ins, row) for row in ins.practice]


def practice_figure(ins: data.Insights, row: data.PracticeFit) -> Figure:
    fit, step = row.fit, exam.STEPS[ins.step]
    first, last = ins.practice_years
    years = str(first) if first == last else f"{first}–{last}"
    unit = "%" if row.scale == "percent" else ""
    at = round(fit.mean_x / 5) * 5
    sentence = (f"Among {fit.n:,} {selection_label(ins)} from {years} that gave both, a score of {at:g}{unit} on "
                f"{row.name} went with a real score of about {fit.predict(at):.0f}, give or take "
                f"{fit.residual_sd:.0f} points (r = {fit.r:.2f}).")
    width = data.PRACTICE_BIN
    rows = tuple((f"{c.x_low:g}–{c.x_low + width - (0.1 if unit else 1):g}{unit}", f"{c.y_low}–{c.y_low + width - 1}",
                  c.count) for c in row.cells)
    points = [(c.x_low + width / 2, c.y_low + width / 2, f"{row.name} {label} · {step.label} {real}: {c.count} stories",
               c.count) for c, (label, real, _) in zip(row.cells, rows, strict=True)]
    low_x, high_x = fit.mean_x - 2 * fit.sd_x, fit.mean_x + 2 * fit.sd_x
    xs = [c.x_low for c in row.cells] + [low_x, high_x]
    ys = [c.y_low for c in row.cells] + [fit.predict(low_x), fit.predict(high_x)]
    x_range = (max(0, (min(xs) // 10) * 10), (max(xs) // 10) * 10 + 10)
    y_range = (max(1, (min(ys) // 10) * 10), min(300, (max(ys) // 10) * 10 + 10))
    line = (f"Least-squares line: real = {fit.intercept:.1f} + {fit.slope:.2f} × practice", fit.slope, fit.intercept,
            low_x, high_x)
    svg = xy_chart([(row.name, points)], title=f"{row.name} against the real {step.label} score",
                          description=f"{sentence} Each point is a {width}-point square holding {MIN_GROUP} or more "
                                      f"stories; the line is fitted to all {fit.n:,}. {CAVEAT}",
                          x_label=f"{row.name} ({'percent' if unit else '3-digit score'})",
                          y_label=f"{step.label} score", x_range=x_range, y_range=y_range, lines=[line],
                          width=WIDTH)
    return Figure(key=f"practice-{row.slug}", heading=f"{row.name} against the real score", sentence=sentence,
                  svg=svg, columns=(f"{row.name}", f"{step.label} score", "Stories"), rows=rows,
                  facts=(("Stories", fit.n), ("Slope", round(fit.slope, 2)), ("Intercept", round(fit.intercept, 1)),
                         ("r", round(fit.r, 2)), ("Residual SD (points)", round(fit.residual_sd, 1))))


def trend_figure(ins: data.Insights) -> Figure:
    rows = tuple((row.year, row.outcomes.total, row.outcomes.passed, row.outcomes.failed, row.outcomes.pending,
                  None if row.outcomes.pass_rate is None else round(row.outcomes.pass_rate), row.median_score)
                 for row in ins.trend)
    rated = [(year, rate) for year, *_, rate, _ in rows if rate is not None]
    if len(rated) > 1:
        sentence = (f"Among {selection_label(ins)}, the share that passed was {rated[0][1]}% for exams in "
                    f"{rated[0][0]} and {rated[-1][1]}% in {rated[-1][0]}.")
    elif rated:
        sentence = f"Among {selection_label(ins)}, {rated[0][1]}% passed in {rated[0][0]}."
    else:
        sentence = f"Too few {selection_label(ins)} per exam year to show a trend."
    points = [(year, rate, f"{year}: {rate}% passed", 1) for year, rate in rated]
    years = [year for year, _ in rated] or [0]
    svg = xy_chart([("Passed (% of results)", points)], title=f"Pass rate by exam year: {selection_label(ins)}",
                          description=f"{sentence} {CAVEAT}", x_label="Exam year", y_label="Passed (%)",
                          x_range=(min(years) - 0.5, max(years) + 0.5), y_range=(0, 100), connect=True,
                          integer_x=True, width=WIDTH) if len(rated) > 1 else None
    return Figure(key="trend", heading="Trend by exam year", sentence=sentence, svg=svg,
                  columns=("Exam year", "Stories", "Passed", "Failed", "Awaiting result", "Passed (% of results)",
                           "Median score"), rows=rows)


def resource_usage_figure(ins: data.Insights, slug: str) -> Figure | None:
    """The resource page's panel: for one step, how many who passed and who failed used this resource."""
    row = ins.resource(slug)
    if row is None:
        return None
    passed, failed = ins.outcomes.passed, ins.outcomes.failed
    if row.total is not None:
        sentence = (f"Among {row.total:,} {selection_label(ins)} with a result that used {row.name}, {row.passed:,} "
                    f"({_percent(row.passed, row.total)}%) passed.")
    else:
        sentence = (f"Among the {passed:,} {selection_label(ins)} that passed, {row.passed:,} "
                    f"({_percent(row.passed, passed)}%) used {row.name}." if row.passed is not None else
                    f"Among the {failed:,} {selection_label(ins)} that failed, {row.failed:,} "
                    f"({_percent(row.failed, failed)}%) used {row.name}.")
    rows = ((row.name, row.passed, _percent(row.passed, passed), row.failed, _percent(row.failed, failed)),)
    svg = bar_chart([(f"{exam.STEPS[ins.step].label}", [rows[0][2], rows[0][4]])],
                           series=["Of those who passed", "Of those who failed"],
                           title=f"{row.name} among {selection_label(ins)}", description=f"{sentence} {CAVEAT}",
                           value_label="Used it (%)", unit="%", value_max=100, width=WIDTH)
    return Figure(key=f"resource-{ins.step}", heading=f"{exam.STEPS[ins.step].label}", sentence=sentence, svg=svg,
                  columns=("Resource", "Passed and used it", "% of passed", "Failed and used it", "% of failed"),
                  rows=rows, facts=(("Passed", passed), ("Failed", failed)))
