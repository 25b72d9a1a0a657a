"""forum.insights.stats: the disclosure rule (a rate from 10 stories, with its Wilson interval), medians and their
interval from histograms, least-squares fits and their prediction interval from sums."""
import math
import statistics

import pytest

from forum.insights.stats import MIN_GROUP, Sums, fit, median_ranks, rate, spread, t_quantile, wilson


def expand(histogram):
    return [value for value, count in histogram.items() for _ in range(count)]


@pytest.mark.parametrize("histogram", [
    {4: 20, 6: 15, 8: 10, 10: 10},
    {1: 1, 2: 1, 3: 1, 4: 1, 5: 1, 6: 1, 7: 1, 8: 1, 9: 1, 10: 1},
    {230: 3, 240: 4, 241: 1, 250: 2, 260: 7},
])
def test_spread_matches_the_statistics_module_on_the_expanded_values(histogram):
    values = expand(histogram)
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    result = spread(histogram)
    assert (result.n, result.q1, result.median, result.q3) == (len(values), q1, median, q3)
    assert result.median == statistics.median(values)


def test_spread_of_a_group_under_ten_is_not_given():
    assert spread({8: 9}) is None


def sums_of(points):
    total = Sums()
    for x, y in points:
        total += Sums(1, x, y, x * x, y * y, x * y)
    return total


def test_fit_matches_an_ordinary_least_squares_line():
    points = [(200 + 3 * i, 205 + 2.5 * i + (4 if i % 3 else -6)) for i in range(25)]
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    slope, intercept = statistics.linear_regression(xs, ys)
    residuals = [y - (intercept + slope * x) for x, y in points]
    result = fit(sums_of(points))
    assert result.n == 25
    assert result.slope == pytest.approx(slope)
    assert result.intercept == pytest.approx(intercept)
    assert result.r == pytest.approx(statistics.correlation(xs, ys))
    assert result.residual_sd == pytest.approx(math.sqrt(sum(r * r for r in residuals) / (25 - 2)))
    assert result.predict(230) == pytest.approx(intercept + slope * 230)


def test_sums_of_cells_add_up_to_the_sums_of_all_points():
    points = [(200 + i, 210 + 2 * i) for i in range(12)]
    assert sums_of(points[:5]) + sums_of(points[5:]) == sums_of(points)


def test_no_fit_under_ten_points_or_without_spread():
    assert fit(sums_of([(200 + i, 210 + i) for i in range(9)])) is None
    assert fit(sums_of([(230, 210 + i) for i in range(12)])) is None


def test_a_fit_through_exactly_ten_points_is_given():
    assert fit(sums_of([(200 + i, 210 + 2 * i) for i in range(MIN_GROUP)])).n == MIN_GROUP


def test_points_on_a_line_leave_no_residual_spread():
    assert fit(sums_of([(200 + 3 * i, 205 + 2.5 * i) for i in range(12)])).residual_sd == pytest.approx(0, abs=1e-6)


def test_a_fit_gives_the_mean_and_the_sample_standard_deviation_of_x():
    points = [(200 + 3 * i, 205 + 2.5 * i + (4 if i % 3 else -6)) for i in range(12)]
    xs = [x for x, _ in points]
    result = fit(sums_of(points))
    assert (result.mean_x, result.sd_x) == (pytest.approx(statistics.mean(xs)), pytest.approx(statistics.stdev(xs)))


def test_no_fit_when_every_x_is_the_same_though_rounding_leaves_a_crumb():
    # 200.1 is not exact in binary: Σx² - (Σx)²/n comes out near 3e-10, not 0.
    assert fit(sums_of([(200.1, 210 + i) for i in range(12)])) is None


def test_no_fit_when_every_y_is_the_same_though_rounding_leaves_a_crumb():
    assert fit(sums_of([(210 + i, 200.1) for i in range(12)])) is None


# Newcombe (1998), "Two-sided confidence intervals for the single proportion", Table I, method 3 (Wilson, no
# continuity correction): published to four decimals.
@pytest.mark.parametrize(("part", "n", "low", "high"), [
    (81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718),
])
def test_wilson_matches_newcombes_published_intervals(part, n, low, high):
    assert wilson(part, n) == pytest.approx((low, high), abs=0.00006)


def test_a_rate_is_the_part_of_ten_or_more_with_its_wilson_interval():
    r = rate(7, 10)
    assert (r.part, r.n, r.value) == (7, 10, 70.0)
    assert (r.low, r.high) == pytest.approx((39.68, 89.22), abs=0.01)  # by hand: (0.7 + z²/20 ± ...) / (1 + z²/10)
    assert rate(10, 10).high == 100.0 and rate(0, 12).low == 0.0


def test_no_rate_from_fewer_than_ten_stories():
    assert rate(9, MIN_GROUP - 1) is None and rate(0, 0) is None
    assert rate(9, MIN_GROUP) is not None


@pytest.mark.parametrize(("n", "ranks"), [(10, (2, 9)), (20, (6, 15)), (100, (40, 61)), (1001, (470, 532))])
def test_median_interval_ranks_match_the_binomial_tables(n, ranks):
    # Conover's table A3 / any binomial table: P(B < j) <= 2.5% for B ~ Binomial(n, 1/2).
    assert median_ranks(n) == ranks
    j, k = ranks
    below = sum(math.comb(n, i) for i in range(j)) / 2 ** n
    assert below <= 0.025 < below + math.comb(n, j) / 2 ** n
    assert k == n + 1 - j


@pytest.mark.parametrize("n", [1001, 5000, 30000])
def test_large_samples_get_the_exact_ranks_too(n):
    j, k = median_ranks(n)
    below = sum(math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2))
                for i in range(j))
    assert below <= 0.025 < below + math.exp(math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1)
                                              - n * math.log(2))
    assert k == n + 1 - j


def test_a_median_comes_with_the_order_statistics_that_bound_it():
    s = spread({value: 1 for value in range(1, 21)})  # 1..20
    assert (s.median, s.median_low, s.median_high) == (10.5, 6, 15)


@pytest.mark.parametrize(("df", "value"), [(8, 2.3060), (10, 2.2281), (20, 2.0860), (30, 2.0423), (100, 1.9840),
                                           (1000, 1.9623)])
def test_t_quantile_matches_the_t_table(df, value):
    assert t_quantile(0.975, df) == pytest.approx(value, abs=0.0001)


def test_the_prediction_interval_matches_the_textbook_formula():
    xs = [200, 210, 215, 220, 228, 233, 240, 245, 251, 260, 262, 270]
    ys = [205, 219, 214, 231, 230, 241, 239, 252, 250, 266, 259, 281]
    line = fit(sum((Sums.of(x, y) for x, y in zip(xs, ys, strict=True)), Sums()))
    slope, intercept = statistics.linear_regression(xs, ys)
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    s = math.sqrt(sum(r * r for r in residuals) / (len(xs) - 2))
    mean = statistics.fmean(xs)
    sxx = sum((x - mean) ** 2 for x in xs)
    expected = 2.2281 * s * math.sqrt(1 + 1 / 12 + (250 - mean) ** 2 / sxx)  # t(0.975, 10) from the table
    assert line.half_width(250) == pytest.approx(expected, rel=1e-4)
    assert line.typical_half_width < line.half_width(250) < line.half_width(290)  # wider away from the mean
    x, low, high = line.band(200, 270, steps=2)[1]
    assert (x, low, high) == pytest.approx((235, line.predict(235) - line.half_width(235),
                                            line.predict(235) + line.half_width(235)))


def test_r_interval_by_fishers_z():
    line = fit(sum((Sums.of(x, 2 * x + (3 if x % 2 else -3)) for x in range(10, 40)), Sums()))
    low, high = line.r_interval
    z = math.atanh(line.r)
    assert (low, high) == pytest.approx((math.tanh(z - 1.959964 / math.sqrt(27)), math.tanh(z + 1.959964 / 27 ** .5)))
    assert low < line.r < high


def test_a_point_taken_out_of_the_sums_leaves_the_sums_of_the_others():
    points = [(x, 3 * x - 5) for x in range(12)]
    everything = sum((Sums.of(x, y) for x, y in points), Sums())
    assert everything - Sums.of(*points[4]) == sum((Sums.of(x, y) for x, y in points[:4] + points[5:]), Sums())
