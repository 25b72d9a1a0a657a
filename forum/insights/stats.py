"""The arithmetic behind the insights, and the small-group rule: plain functions over numbers the database counted.

Everything the insights publish passes through `suppress` or `shown_share` here, in the aggregate layer, before it
reaches a dataclass; templates, charts and the CSV only ever see what survived, so none of them can leak a small
group by mistake.
"""
import math
from dataclasses import dataclass

MIN_GROUP = 10  # fewer stories than this and a group is not shown: a reader could tell who is in it


def suppress_lines(counts: dict, lines: list[list], *, keep: tuple = ()) -> dict:
    """The counts that may be published: each from 1 to MIN_GROUP - 1 becomes None, and so do enough others that
    no hidden count can be worked out by subtraction.

    `lines` lists the sets of keys that add up (the cells of a row with the row's total, the totals of the rows
    with the grand total ...). Whenever exactly one count of a line is hidden, its smallest shown companion
    (preferring non-zero ones, and never a key in `keep` while another will do) is hidden too, until no line has
    a lone hidden count. This is the classical cell-suppression heuristic: it stops subtraction within a line
    and, since lines cross, most two-step sums; it does not claim to stop every linear combination of several
    published views. A count of 0 describes nobody and is shown.
    """
    result = {key: (None if 0 < count < MIN_GROUP else count) for key, count in counts.items()}
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = [key for key in line if result[key] is None]
            shown = [key for key in line if result[key] is not None]
            if len(hidden) == 1 and shown:
                partner = min(shown, key=lambda key: (key in keep, counts[key] == 0, counts[key], str(key)))
                result[partner] = None
                changed = True
    return result


def suppress(counts: dict) -> dict:
    """`suppress_lines` for one set of counts published beside their total (the total itself is left to the
    caller, which shows nothing when it is under MIN_GROUP)."""
    total = object()
    result = suppress_lines({**counts, total: sum(counts.values())}, [[*counts, total]], keep=(total,))
    result.pop(total)
    return result


def shown_total(count: int) -> int | None:
    """A group's size, or None when the group is too small to show at all."""
    return count if count >= MIN_GROUP else None


def shown_share(count: int, total: int | None) -> int | None:
    """How many of a shown total have some property, when both those who do and those who do not are MIN_GROUP or
    more ("380 of the 412 who passed used UWorld" also says 32 did not, and that must be a group of 10 too).
    None of them (0) describes nobody and is shown."""
    if total is None or 0 < count < MIN_GROUP or total - count < MIN_GROUP:
        return None
    return count


@dataclass(frozen=True)
class Spread:
    """Median and quartiles of a group of at least MIN_GROUP values."""

    n: int
    median: float
    q1: float
    q3: float


def spread(histogram: dict[float, int]) -> Spread | None:
    """Median and quartiles from {value: how many}, the small grouped histogram the database returns.

    Quantiles use the same rule as Python's statistics.quantiles(method="inclusive") (and PostgreSQL's
    percentile_cont): the position (n - 1)·p in the sorted values, interpolated between neighbours.
    None when the group is under MIN_GROUP.
    """
    n = sum(histogram.values())
    if n < MIN_GROUP:
        return None
    values = sorted(histogram.items())
    return Spread(n=n, median=_quantile(values, n, 0.5), q1=_quantile(values, n, 0.25), q3=_quantile(values, n, 0.75))


def _quantile(values: list[tuple[float, int]], n: int, p: float) -> float:
    position = (n - 1) * p
    below, fraction = int(math.floor(position)), position - math.floor(position)
    low, high = _nth(values, below), _nth(values, min(below + 1, n - 1))
    return low + (high - low) * fraction


def _nth(values: list[tuple[float, int]], index: int) -> float:
    """The index-th (0-based) value of the sorted sample the histogram stands for."""
    seen = 0
    for value, count in values:
        seen += count
        if index < seen:
            return value
    raise IndexError(index)


@dataclass(frozen=True)
class Fit:
    """Least-squares line y = intercept + slope·x, with r and the residual standard deviation (n - 2 dof)."""

    n: int
    slope: float
    intercept: float
    r: float
    residual_sd: float
    mean_x: float
    sd_x: float

    def predict(self, x: float) -> float:
        return self.intercept + self.slope * x


@dataclass(frozen=True)
class Sums:
    """What SQL adds up for a fit: n, Σx, Σy, Σx², Σy², Σxy. Sums of cells add up to the sums of their union."""

    n: int = 0
    x: float = 0.0
    y: float = 0.0
    xx: float = 0.0
    yy: float = 0.0
    xy: float = 0.0

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(self.n + other.n, self.x + other.x, self.y + other.y, self.xx + other.xx, self.yy + other.yy,
                    self.xy + other.xy)


def fit(sums: Sums) -> Fit | None:
    """The least-squares line through the points the sums describe; None under MIN_GROUP points or when every x or
    every y is the same (no line, or no correlation, to speak of)."""
    n = sums.n
    if n < MIN_GROUP:
        return None
    sxx = sums.xx - sums.x * sums.x / n
    syy = sums.yy - sums.y * sums.y / n
    sxy = sums.xy - sums.x * sums.y / n
    # Relative tolerance: the sums are of squares near 60,000, so rounding leaves crumbs where a spread is zero.
    if sxx <= 1e-9 * max(sums.xx, 1) or syy <= 1e-9 * max(sums.yy, 1):
        return None
    slope = sxy / sxx
    residual = max(syy - slope * sxy, 0.0)
    return Fit(n=n, slope=slope, intercept=(sums.y - slope * sums.x) / n, r=sxy / math.sqrt(sxx * syy),
               residual_sd=math.sqrt(residual / (n - 2)), mean_x=sums.x / n, sd_x=math.sqrt(sxx / (n - 1)))


def rate(part: int | None, whole: int | None) -> float | None:
    """part / whole as a percentage, when both are shown."""
    if part is None or not whole:
        return None
    return 100.0 * part / whole
