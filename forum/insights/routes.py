"""/insights and its CSV: validate the filter, compute once, show figures (or the same figures as rows)."""
import csv
import io

from flask import Response, render_template, request, url_for

from .. import exam
from ..caching import INSIGHTS, cached_page
from . import bp, data, figures
from .forms import InsightsFilter

PARAMS = ("step", "background", "year", "assessment")  # InsightsFilter's fields


@bp.app_template_filter("insight_value")
def insight_value(value) -> str:
    """A table cell of a figure: a figure from fewer than 10 stories says so in words."""
    return figures.show(value)


@bp.app_template_global("insight_rows")
def insight_rows(figure: figures.Figure, link_args: dict | None = None):
    """A figure's table rows; with link_args, row ids link to /insights showing that self-assessment."""
    if link_args is None:
        return figures.rows_html(figure)
    # Built once per table: row ids are slugs ([a-z0-9-]), safe in a query string and an id as they are.
    template = url_for("insights.index", **link_args, assessment="ROW-ID", _anchor="practice-ROW-ID")

    def href(row_id: str) -> str:
        return template.replace("ROW-ID", row_id)

    return figures.rows_html(figure, href)


@bp.route("/insights")
@cached_page(scopes=(INSIGHTS,), params=PARAMS, members=True)
def index():
    form = InsightsFilter(request.args)
    if not form.validate():
        return render_template("insights/index.html", form=form, ins=None, figures=[], steps=exam.STEPS,
                               caveat=figures.CAVEAT), 400
    ins = data.compute(*form.selection)
    form.offer(ins.years, ins.backgrounds)
    return render_template("insights/index.html", form=form, ins=ins,
                           figures=figures.page_figures(ins, form.assessment.data or ""), steps=exam.STEPS,
                           caveat=figures.CAVEAT, selection=figures.selection_label(ins))


@bp.route("/insights.csv")
@cached_page(scopes=(INSIGHTS,), params=PARAMS)
def download():
    """Every figure of the page as rows of chart, group, measure, value: exactly what the tables show."""
    form = InsightsFilter(request.args)
    if not form.validate():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return Response(f"Bad filter: {problems}\n", status=400, mimetype="text/plain")
    ins = data.compute(*form.selection)
    out = io.StringIO()
    # CRLF rows (RFC 4180): the writer then quotes a lone CR or LF inside a cell, which a spreadsheet would
    # otherwise read as the start of a new row, one whose first cell escaped the formula check below.
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("chart", "group", "measure", "value"))
    for figure in figures.csv_figures(ins):
        rows = [(figure.key, "", "note", figures.CAVEAT)]
        rows += [(figure.key, "all", label, value) for label, value in figure.facts]
        rows += [(figure.key, row[0], column, value)
                 for row in figure.rows for column, value in zip(figure.columns[1:], row[1:], strict=True)]
        writer.writerows(tuple(figures.csv_value(cell) for cell in row) for row in rows)
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{form.csv_name()}"'})
