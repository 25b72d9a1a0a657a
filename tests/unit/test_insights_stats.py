"""forum.insights.stats: the small-group rule, medians from histograms, least-squares fits from sums."""
import math
import statistics

import pytest

from forum.insights.stats import MIN_GROUP, Sums, fit, rate, shown_share, shown_total, spread, suppress, suppress_lines


def test_counts_of_ten_or_more_are_shown():
    assert suppress({"passed": 40, "failed": 12}) == {"passed": 40, "failed": 12}


def test_a_count_of_exactly_ten_is_shown():
    assert suppress({"passed": 40, "failed": 10}) == {"passed": 40, "failed": 10}


def test_a_count_under_ten_is_hidden_with_its_smallest_companion():
    assert suppress({"passed": 40, "failed": 12, "pending": 3}) == {"passed": 40, "failed": None, "pending": None}


def test_two_hidden_counts_need_no_companion():
    assert suppress({"passed": 40, "failed": 4, "pending": 3}) == {"passed": 40, "failed": None, "pending": None}


def test_zero_describes_nobody_and_is_shown():
    assert suppress({"passed": 40, "failed": 15, "pending": 0}) == {"passed": 40, "failed": 15, "pending": 0}


def test_a_zero_is_not_chosen_as_the_companion_while_a_real_count_is_there():
    assert suppress({"passed": 40, "failed": 3, "pending": 0}) == {"passed": None, "failed": None, "pending": 0}


@pytest.mark.parametrize("small", range(1, MIN_GROUP))
def test_no_count_from_one_to_nine_survives(small):
    result = suppress({"a": small, "b": 50, "c": 70})
    assert result["a"] is None
    assert all(v is None or v == 0 or v >= MIN_GROUP for v in result.values())


def test_crossing_lines_spread_the_hiding_until_no_line_has_a_lone_hidden_count():
    # A 2 x 2 table with row and column totals: hiding one cell forces a rectangle of four.
    counts = {"a1": 3, "a2": 30, "b1": 20, "b2": 40, "a": 33, "b": 60, "1": 23, "2": 70, "all": 93}
    lines = [["a1", "a2", "a"], ["b1", "b2", "b"], ["a1", "b1", "1"], ["a2", "b2", "2"], ["a", "b", "all"],
             ["1", "2", "all"]]
    result = suppress_lines(counts, lines, keep=("all",))
    assert {k for k, v in result.items() if v is None} == {"a1", "a2", "b1", "b2"}
    for line in lines:
        assert sum(result[k] is None for k in line) != 1


def test_hiding_a_companion_reopens_the_lines_already_checked():
    # The first line looks safe until the second hides b; then c must go too, or b = s1 - c.
    counts = {"a": 3, "b": 20, "c": 50, "s1": 70, "s2": 23}
    result = suppress_lines(counts, [["b", "c", "s1"], ["a", "b", "s2"]])
    assert result == {"a": None, "b": None, "c": None, "s1": 70, "s2": 23}


@pytest.mark.parametrize("counts", [{"b": 20, "a": 20, "c": 3}, {"a": 20, "b": 20, "c": 3}])
def test_between_equal_companions_the_first_by_name_is_hidden_whatever_the_order(counts):
    assert suppress(counts) == {"a": None, "b": 20, "c": None}


def test_a_group_keyed_none_is_not_taken_for_the_total():
    assert suppress({None: 12, "x": 40}) == {None: 12, "x": 40}


def test_shown_total_hides_a_group_under_ten():
    assert shown_total(9) is None
    assert shown_total(10) == 10


def test_a_share_needs_ten_who_did_and_ten_who_did_not():
    assert shown_share(30, 40) == 30
    assert shown_share(31, 40) is None  # only 9 did not
    assert shown_share(9, 40) is None
    assert shown_share(30, None) is None
    assert shown_share(0, 40) == 0


@pytest.mark.parametrize("count", [1, MIN_GROUP - 1])
def test_a_share_of_one_to_nine_is_hidden(count):
    assert shown_share(count, 40) is None


def test_a_share_of_exactly_ten_is_shown():
    assert shown_share(MIN_GROUP, 40) == MIN_GROUP


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


def test_rate_is_the_part_as_a_percentage_of_the_whole():
    assert rate(30, 40) == 75.0


@pytest.mark.parametrize(("part", "whole"), [(None, 40), (3, None), (3, 0), (None, None)])
def test_rate_of_a_hidden_part_or_an_empty_whole_is_not_given(part, whole):
    assert rate(part, whole) is None
