"""The arithmetic behind the insights and the predictor, and the one disclosure rule: plain functions over numbers.

The rule (README, "Insights"): every story is public and countable through search facets, so a count hides
nobody and every count is shown. A rate, median or fitted line is shown for a group of MIN_GROUP or more stories,
always with its n and a 95% interval; for a smaller group `rate`, `spread` and `fit` return None, and what is None
is said in words ("fewer than 10 stories") and never drawn. The intervals:

- a proportion: Wilson's score interval (Wilson 1927; Agresti and Coull 1998 recommend it over the normal one);
- a median: the distribution-free interval between the order statistics X(j) and X(n + 1 − j), j the largest rank
  with P(Binomial(n, ½) < j) ≤ 2.5%, so at least 95% coverage whatever the distribution (Conover, "Practical
  Nonparametric Statistics", 3.2);
- a least-squares line: the 95% prediction interval for one new candidate, t(0.975, n − 2)·s·√(1 + 1/n +
  (x − x̄)²/Sxx), and r's interval by Fisher's z.
"""
import math
from dataclasses import dataclass
from statistics import NormalDist

MIN_GROUP = 10  # a rate, median or line from fewer stories than this says more about the few than the many
Z95 = NormalDist().inv_cdf(0.975)  # 1.95996...
FEWER = f"fewer than {MIN_GROUP} stories"


def wilson(part: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson's score interval for part/n, as proportions between 0 and 1."""
    if n <= 0:
        raise ValueError("an interval needs at least one story")
    p = part / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Rate:
    """part of n, as a percentage with its 95% Wilson interval (percentages too)."""

    part: int
    n: int
    value: float
    low: float
    high: float


def rate(part: int, n: int) -> Rate | None:
    """part / n with its interval, or None when n is under MIN_GROUP (the count itself is still shown)."""
    if n < MIN_GROUP:
        return None
    low, high = wilson(part, n)
    return Rate(part=part, n=n, value=100.0 * part / n, low=100.0 * low, high=100.0 * high)


@dataclass(frozen=True)
class Spread:
    """Median, quartiles and the median's 95% interval of a group of at least MIN_GROUP values."""

    n: int
    median: float
    q1: float
    q3: float
    median_low: float
    median_high: float


def spread(histogram: dict[float, int]) -> Spread | None:
    """Median, quartiles and the median's interval from {value: how many}, the grouped histogram the database returns.

    Quantiles use the same rule as Python's statistics.quantiles(method="inclusive") (and PostgreSQL's
    percentile_cont): the position (n - 1)·p in the sorted values, interpolated between neighbours.
    None when the group is under MIN_GROUP.
    """
    n = sum(histogram.values())
    if n < MIN_GROUP:
        return None
    values = sorted(histogram.items())
    low_rank, high_rank = median_ranks(n)
    return Spread(n=n, median=_quantile(values, n, 0.5), q1=_quantile(values, n, 0.25),
                  q3=_quantile(values, n, 0.75), median_low=_nth(values, low_rank - 1),
                  median_high=_nth(values, high_rank - 1))


def median_ranks(n: int) -> tuple[int, int]:
    """The 1-based ranks (j, n + 1 - j) of the order statistics that bound the median's 95% interval: j is the
    largest rank with P(Binomial(n, 1/2) < j) <= 2.5%, summed exactly (in logs, each term from the one before)."""
    # Start 8 standard deviations (√n / 2 each) below the middle: what lies below is under 1e-15 and changes nothing.
    j = max(0, int(n / 2 - 4 * math.sqrt(n)))
    below = 0.0
    log_term = math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) - n * math.log(2)  # log P(B = j)
    while j < n:
        below += math.exp(log_term)  # now P(B < j + 1)
        if below > 0.025:
            break
        log_term += math.log(n - j) - math.log(j + 1)
        j += 1
    j = max(j, 1)
    return j, n + 1 - j


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


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile by the Cornish-Fisher expansion (Abramowitz and Stegun 26.7.5): within 0.0001 of the
    exact value from 8 degrees of freedom on, which every line here has (MIN_GROUP points, n - 2 dof)."""
    if df < 1:
        raise ValueError("t needs at least one degree of freedom")
    z = NormalDist().inv_cdf(p)
    terms = ((z ** 3 + z) / 4,
             (5 * z ** 5 + 16 * z ** 3 + 3 * z) / 96,
             (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / 384,
             (79 * z ** 9 + 776 * z ** 7 + 1482 * z ** 5 - 1920 * z ** 3 - 945 * z) / 92160)
    return z + sum(term / df ** power for power, term in enumerate(terms, start=1))


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
    sxx: float  # Σ(x - x̄)²: how far a new x is from the data, for the prediction interval

    def predict(self, x: float) -> float:
        return self.intercept + self.slope * x

    def half_width(self, x: float) -> float:
        """Half the 95% prediction interval for one new candidate whose practice score is x."""
        t = t_quantile(0.975, self.n - 2)
        return t * self.residual_sd * math.sqrt(1 + 1 / self.n + (x - self.mean_x) ** 2 / self.sxx)

    @property
    def typical_half_width(self) -> float:
        """The prediction interval's half width at the mean practice score: "95% of candidates within ±k"."""
        return self.half_width(self.mean_x)

    def band(self, x_from: float, x_to: float, steps: int = 24) -> list[tuple[float, float, float]]:
        """(x, low, high) of the 95% prediction band at steps + 1 points from x_from to x_to (it curves)."""
        xs = [x_from + (x_to - x_from) * i / steps for i in range(steps + 1)]
        return [(x, self.predict(x) - self.half_width(x), self.predict(x) + self.half_width(x)) for x in xs]

    @property
    def r_interval(self) -> tuple[float, float]:
        """r's 95% interval by Fisher's z transformation."""
        z, spread_ = math.atanh(max(min(self.r, 0.999999), -0.999999)), Z95 / math.sqrt(self.n - 3)
        return math.tanh(z - spread_), math.tanh(z + spread_)


@dataclass(frozen=True)
class Sums:
    """What a fit needs: n, Σx, Σy, Σx², Σy², Σxy. Sums add up, and a point can be taken out again (leave one out)."""

    n: int = 0
    x: float = 0.0
    y: float = 0.0
    xx: float = 0.0
    yy: float = 0.0
    xy: float = 0.0

    @classmethod
    def of(cls, x: float, y: float) -> "Sums":
        return cls(1, x, y, x * x, y * y, x * y)

    @classmethod
    def of_points(cls, points: list[tuple[float, float]]) -> "Sums":
        """The sums of many points at once (one object, not one per point: a form can have thousands)."""
        return cls(len(points), sum(x for x, _ in points), sum(y for _, y in points), sum(x * x for x, _ in points),
                   sum(y * y for _, y in points), sum(x * y for x, y in points))

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(self.n + other.n, self.x + other.x, self.y + other.y, self.xx + other.xx, self.yy + other.yy,
                    self.xy + other.xy)

    def __sub__(self, other: "Sums") -> "Sums":
        return Sums(self.n - other.n, self.x - other.x, self.y - other.y, self.xx - other.xx, self.yy - other.yy,
                    self.xy - other.xy)


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
               residual_sd=math.sqrt(residual / (n - 2)), mean_x=sums.x / n, sd_x=math.sqrt(sxx / (n - 1)), sxx=sxx)
