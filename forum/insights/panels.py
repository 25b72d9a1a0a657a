"""The insights panels on step hubs and resource pages: a few figures from the same memoisable computation.

They call `data.compute` through the module, so wrapping that one function in a cache serves these too.
"""
from dataclasses import dataclass

from . import data, figures


@dataclass(frozen=True)
class Panel:
    heading: str
    figures: tuple[figures.Figure, ...]
    more_args: dict  # the /insights query that shows everything behind this panel
    caveat: str = figures.CAVEAT


def step_panel(step: str) -> Panel:
    """Outcomes by background and weeks of preparation for one step, with a link to the full page."""
    ins = data.compute(step)
    shown = (figures.outcomes_figure(ins), figures.prep_figure(ins)) if ins.shown else ()
    return Panel(heading="What the stories say", figures=shown, more_args={"step": step})


def resource_panel(slug: str, step_codes: list[str]) -> Panel:
    """For each step the resource serves: who used it among those who passed and failed, and, for a
    self-assessment, its practice score against the real one."""
    shown = []
    for step in step_codes:
        ins = data.compute(step)
        if not ins.shown:
            continue
        usage = figures.resource_usage_figure(ins, slug)
        if usage:
            shown.append(usage)
        fit = ins.practice_fit(slug)
        if fit and fit.fit:
            shown.append(figures.practice_figure(ins, fit))
    return Panel(heading="What the stories say", figures=tuple(shown),
                 more_args={"step": step_codes[0]} if step_codes else {})
