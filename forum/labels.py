"""What templates call things. Every label is owned by the domain module of its idea (steps and outcomes by exam,
backgrounds by the user model, orders by the listing, search and threads, windows by ranking, dates by dates);
this module only hands them to Jinja, so no template restates a label or formats a date itself."""
from . import dates, exam, ranking, record_filters, search, threads, verification
from .models import BACKGROUNDS
from .stories import listing


def step_label(code: str) -> str:
    return exam.STEPS[code].label


def outcome_label(code: str) -> str:
    return exam.OUTCOMES[code]


def background_label(code: str | None) -> str:
    return BACKGROUNDS.get(code or "", "")


FILTERS = {f.__name__: f for f in (step_label, outcome_label, background_label, dates.month_label,
                                   dates.short_month_label, dates.short_day_label, dates.moment_label,
                                   dates.datetime_attr, verification.size_label, verification.file_kind_label)}
GLOBALS = {"OUTCOMES": exam.OUTCOMES, "BACKGROUNDS": BACKGROUNDS, "STORY_SORTS": listing.SORTS,
           "SEARCH_SORTS": search.SORTS, "COMMENT_SORTS": threads.COMMENT_SORTS,
           "TOP_WINDOW_LABELS": ranking.TOP_WINDOW_LABELS, "JOURNEYS": record_filters.JOURNEYS}
