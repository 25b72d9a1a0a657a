"""How writers rated a resource (1-5, "how much it helped"): the mean with its n, overall and split by outcome.

The insights' one disclosure rule holds here too (forum/insights/stats.py, README "Insights"): every count is
shown; a mean is shown for MIN_GROUP or more ratings, always with its n and a 95% interval, and a smaller group
says "n ratings, fewer than 10" instead. The interval is Student's t on the ratings' own spread,
mean ± t(0.975, n − 1)·s/√n, kept inside the 1-5 scale. Ratings are self-reported by the people who chose to
write, so the page says "writers rated it", not "it is rated".
"""
import math
from dataclasses import dataclass

import sqlalchemy as sa

from ..extensions import db
from ..insights.stats import MIN_GROUP, t_quantile
from ..models import Story, StoryResource

RATING_MIN, RATING_MAX = 1, 5  # the story form's choices (forum/stories/forms.py RATING_CHOICES)
SPLIT = ("passed", "failed")  # awaiting results count towards the overall mean only


@dataclass(frozen=True)
class Mean:
    """The mean of n ratings with its 95% interval; value, low and high are None under MIN_GROUP ratings."""

    n: int
    value: float | None = None
    low: float | None = None
    high: float | None = None

    @property
    def label(self) -> str:
        """'4.2 of 5 (95% CI 3.9-4.5), 23 ratings', '7 ratings, fewer than 10', 'no ratings yet'."""
        if self.n == 0:
            return "no ratings yet"
        if self.value is None:
            return f"{self.n} rating{'' if self.n == 1 else 's'}, fewer than {MIN_GROUP}"
        return f"{self.value:.1f} of {RATING_MAX} (95% CI {self.low:.1f}–{self.high:.1f}), {self.n} ratings"

    @property
    def short(self) -> str:
        """The catalogue row's form: '4.3 (95% CI 4.0-4.6, n=15)', '6 ratings, fewer than 10', 'no ratings'."""
        if self.n == 0:
            return "no ratings"
        if self.value is None:
            return self.label
        return f"{self.value:.1f} (95% CI {self.low:.1f}–{self.high:.1f}, n={self.n})"


@dataclass(frozen=True)
class Ratings:
    overall: Mean
    passed: Mean
    failed: Mean


NO_RATINGS = Ratings(overall=Mean(0), passed=Mean(0), failed=Mean(0))


def mean(n: int, total: int, squares: int) -> Mean:
    """The Mean of n ratings from their sum and sum of squares (integers, so the variance is exact)."""
    if n < MIN_GROUP:
        return Mean(n)
    value = total / n
    variance = max(0.0, (squares - total * total / n) / (n - 1))
    half = t_quantile(0.975, n - 1) * math.sqrt(variance / n)
    return Mean(n=n, value=value, low=max(RATING_MIN, value - half), high=min(RATING_MAX, value + half))


def for_resources(resource_ids: list[int]) -> dict[int, Ratings]:
    """Each resource's Ratings in one grouped query over published stories; a resource nobody rated gets
    NO_RATINGS. Grouped by (resource, outcome) so a whole catalogue page costs one statement."""
    if not resource_ids:
        return {}
    rating = StoryResource.rating
    rows = db.session.execute(
        sa.select(StoryResource.resource_id, Story.outcome, sa.func.count(rating), sa.func.sum(rating),
                  sa.func.sum(rating * rating))
        .join(Story, Story.id == StoryResource.story_id)
        .where(StoryResource.resource_id.in_(resource_ids), Story.status == "published", rating.is_not(None))
        .group_by(StoryResource.resource_id, Story.outcome))
    sums: dict[int, dict[str, tuple[int, int, int]]] = {}
    for resource_id, outcome, n, total, squares in rows:
        sums.setdefault(resource_id, {})[outcome] = (n, int(total or 0), int(squares or 0))
    return {resource_id: _ratings(sums.get(resource_id, {})) for resource_id in resource_ids}


def _ratings(by_outcome: dict[str, tuple[int, int, int]]) -> Ratings:
    if not by_outcome:
        return NO_RATINGS
    overall = tuple(sum(parts) for parts in zip(*by_outcome.values(), strict=True))
    return Ratings(overall=mean(*overall), passed=mean(*by_outcome.get("passed", (0, 0, 0))),
                   failed=mean(*by_outcome.get("failed", (0, 0, 0))))
