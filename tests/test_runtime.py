"""Each runtime primitive against hand-worked cases, the methodology manual's among them."""

from __future__ import annotations

import numpy as np
import pytest

from policyc.backend import runtime as rt

NAN = np.nan


def context(org_types, periods=None, cohorts=(0, 1, 2), orgs=None) -> rt.Context:
    n = len(org_types)
    orgs = orgs or tuple(f"o{i}" for i in range(n))
    frame = rt.Frame(tuple(orgs), np.array(org_types), None if periods is None else np.array(periods), {})
    return rt.Context(frame, cohorts, ())


def same(actual, expected) -> None:
    np.testing.assert_array_equal(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float))


@pytest.mark.parametrize(
    ("x", "places", "expected"),
    [
        (2.675, 2, 2.68),
        (0.125, 2, 0.13),
        (-1.5, 0, -2.0),
        (1.005, 2, 1.01),
        (2.5, 0, 3.0),
        (-0.125, 2, -0.13),
        (1.53, 2, 1.53),
        (16.83 / 11, 2, 1.53),
        (2.0449999, 2, 2.04),
        (123456.785, 2, 123456.79),
        (0.1 + 0.2, 1, 0.3),
        ((1 + 4 / 3) / (1 + 1 / 3), 1, 1.8),
        (1.7499999999999998, 1, 1.8),
        (1.7499999, 1, 1.7),
        (1e30, 2, 1e30),
        (2.5e-6, 6, 3e-6),
        (12.5, 40, 12.5),
        (1e307, 2, 1e307),
        (12345678901.234, 2, 12345678901.23),
        (123456789012.345, 2, 123456789012.35),
        (-1.7e308, 0, -1.7e308),
    ],
)
def test_rounding_is_half_away_from_zero_on_the_decimal_written(x, places, expected) -> None:
    assert rt.round_half(np.array([x]), places)[0] == expected


def test_rounding_keeps_missing_values_missing_and_takes_a_constant() -> None:
    same(rt.round_half(np.array([NAN, 1.25]), 1), [NAN, 1.3])
    assert rt.round_half(2.675, 2) == 2.68


def test_a_standard_of_80_scores_meeting_it_1_the_best_below_2_and_the_worst_4() -> None:
    t = context([0] * 5)
    (scores,) = t.ranked((np.array([85.0, 80.0, 79.0, 70.0, 60.0]),), (True,), (80.0,), (None,))
    same(scores, [1.0, 1.0, 2.0, 3.0, 4.0])


def test_a_cluster_of_ties_is_scored_at_its_best() -> None:
    t = context([0] * 5)
    (scores,) = t.ranked((np.array([70.0, 90.0, 90.0, 90.0, NAN]),), (True,), (None,), (None,))
    # Four values: 90, 90, 90 share position 0 (1.00); 70 has three better: 1 + 3 * 3 / 3 = 4.00.
    same(scores, [4.0, 1.0, 1.0, 1.0, NAN])


def test_lower_is_better_with_a_floor_scores_failing_it_4_and_the_rest_1_to_3() -> None:
    t = context([0] * 4)
    (scores,) = t.ranked((np.array([5.0, 10.0, 12.0, 30.0]),), (False,), (None,), (20.0,))
    # 30 fails the floor of 20; 5, 10, 12 spread over 1..3: 1.00, 2.00, 3.00.
    same(scores, [1.0, 2.0, 3.0, 4.0])


def test_ranked_scores_are_rounded_and_cohorts_are_scored_apart() -> None:
    t = context([0, 0, 0, 0, 1, 1], cohorts=(0, 1))
    (scores,) = t.ranked((np.array([4.0, 3.0, 2.0, 1.0, 7.0, 9.0]),), (True,), (None,), (None,))
    same(scores, [1.0, 2.0, 3.0, 4.0, 4.0, 1.0])
    t = context([0] * 8)
    (scores,) = t.ranked((np.arange(8.0),), (False,), (None,), (None,))
    same(scores, [1.0, 1.43, 1.86, 2.29, 2.71, 3.14, 3.57, 4.0])  # 1 + 3r/7, to 2 places


def test_eleven_scores_summing_to_16_83_average_1_53() -> None:
    scores = [1.0, 1.0, 1.5, 1.25, 2.0, 1.75, 1.33, 1.0, 2.5, 2.0, 1.5]
    assert round(sum(scores), 2) == 16.83
    mean = rt.aggregate("mean", [np.array([s]) for s in scores], None, 1)
    same(rt.round_half(mean, 2), [1.53])


def test_an_infection_metric_weighted_one_third() -> None:
    mean = rt.aggregate("mean", (np.array([1.0, 1.0]), np.array([4.0, NAN])), (1.0, 1 / 3), 2)
    # (1 + 4/3) / (1 + 1/3) = 1.75 (to the last bit of a double, 1.7499999999999998, so the manual's
    # rounding to 2 places matters); with the infection score missing, the other score alone.
    np.testing.assert_allclose(mean, [1.75, 1.0], rtol=1e-15)
    same(rt.round_half(mean, 2), [1.75, 1.0])


def test_aggregates_skip_missing_and_give_missing_when_nothing_is_present() -> None:
    args = (np.array([1.0, NAN, NAN]), np.array([3.0, 2.0, NAN]))
    same(rt.aggregate("mean", args, None, 3), [2.0, 2.0, NAN])
    same(rt.aggregate("sum", args, None, 3), [4.0, 2.0, NAN])
    same(rt.aggregate("min", args, None, 3), [1.0, 2.0, NAN])
    same(rt.aggregate("max", args, None, 3), [3.0, 2.0, NAN])
    same(rt.aggregate("count", (np.array([1.0, 0.0, NAN]), np.array([1.0, NAN, NAN])), None, 3), [2.0, 0.0, NAN])


def test_logic_is_three_valued() -> None:
    yes, no, unknown = 1.0, 0.0, NAN
    a = np.array([yes, yes, yes, no, no, unknown])
    b = np.array([yes, no, unknown, no, unknown, unknown])
    same(rt.and_(a, b), [yes, no, unknown, no, no, unknown])
    same(rt.or_(a, b), [yes, yes, yes, no, unknown, unknown])
    same(rt.not_(a), [no, no, no, yes, yes, unknown])


def test_a_decision_table_stops_at_a_missing_condition() -> None:
    first = np.array([1.0, 0.0, NAN, 0.0])
    second = np.array([0.0, 1.0, 1.0, 0.0])
    same(rt.choose(((first, 10.0), (second, 20.0)), 30.0), [10.0, 20.0, NAN, 30.0])
    same(rt.choose(((first, 10.0),), rt.MISSING), [10.0, NAN, NAN, NAN])


def test_adjustments_cap_lift_and_replace_and_a_missing_condition_is_missing() -> None:
    value = np.array([0.0, 4.0, 0.0, 1.0])
    condition = np.array([1.0, 1.0, 0.0, NAN])
    same(rt.no_better_than(value, 2.0, condition), [2.0, 4.0, 0.0, NAN])
    same(rt.no_worse_than(value, 2.0, condition), [0.0, 2.0, 0.0, 1.0])  # 1 is no worse than 2 either way
    same(rt.becomes(value, 3.0, condition), [3.0, 3.0, 0.0, NAN])


def test_a_missing_condition_keeps_a_value_the_adjustment_would_not_change() -> None:
    value = np.array([3.0, 1.0, 2.0, NAN])
    condition = np.full(4, NAN)
    same(rt.no_better_than(value, 2.0, condition), [3.0, NAN, 2.0, NAN])
    same(rt.no_worse_than(value, 2.0, condition), [NAN, 1.0, 2.0, NAN])
    same(rt.becomes(value, 2.0, condition), [NAN, NAN, 2.0, NAN])


def test_division_by_zero_is_missing() -> None:
    same(rt.div(np.array([1.0, 1.0, NAN]), np.array([2.0, 0.0, 1.0])), [0.5, NAN, NAN])


def test_steps_stop_at_the_ends_of_the_scale() -> None:
    same(rt.step(np.array([0.0, 3.0, 4.0, NAN]), 1, 5), [1.0, 4.0, 4.0, NAN])
    same(rt.step(np.array([0.0, 3.0]), -2, 5), [0.0, 1.0])


def test_bands_give_the_first_band_holding_the_value() -> None:
    rows = ((98.0, True, None, False, 1.0), (95.0, True, 98.0, False, 2.0), (None, False, 95.0, False, 3.0))
    same(rt.bands(np.array([99.0, 98.0, 97.9, 95.0, 10.0, NAN]), rows), [1.0, 1.0, 2.0, 2.0, 3.0, NAN])


@pytest.mark.parametrize(
    ("method", "numpy_method"),
    [
        ("linear", "linear"),
        ("exclusive", "weibull"),
        ("lower", "lower"),
        ("higher", "higher"),
        ("nearest", "nearest"),
        ("midpoint", "midpoint"),
    ],
)
def test_cut_points_follow_numpy_for_every_method(method, numpy_method) -> None:
    values = np.array([1.2, 3.5, 2.0, 2.0, 4.75, 1.9, 3.0])
    for p in (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0):
        expected = np.quantile(values, p, method=numpy_method)
        assert rt.cut_point(np.sort(values), p, method) == pytest.approx(expected, rel=1e-12), p


def test_quartiles_take_each_value_to_its_quarter_within_the_cohort() -> None:
    t = context([0, 0, 0, 0, 0, 1])
    scores = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 9.0])
    # Cut points of 1..5 (linear): 2, 3, 4; a cohort of one: every cut point is its value.
    same(t.quartile(scores, "linear"), [1.0, 1.0, 2.0, 3.0, 4.0, 1.0])


def test_rank_and_percentile_rank_share_the_best_position_among_ties() -> None:
    t = context([0, 0, 0, 0, 1])
    values = np.array([5.0, 3.0, 3.0, NAN, 8.0])
    same(t.rank(values), [3.0, 1.0, 1.0, NAN, 1.0])
    same(t.percentile_rank(values), [100.0, 0.0, 0.0, NAN, 0.0])


def test_cohort_mean_and_sample_sd_reach_every_row_of_the_cohort() -> None:
    t = context([0, 0, 0, 1])
    values = np.array([2.0, 4.0, NAN, 7.0])
    same(t.cohort_mean(values), [3.0, 3.0, 3.0, 7.0])
    same(t.cohort_sd(values), [np.sqrt(2.0)] * 3 + [NAN])


def test_more_than_one_sd_below_the_mean_fails() -> None:
    t = context([0] * 4)
    values = np.array([80.0, 82.0, 84.0, 60.0])  # mean 76.5, sd 11.09...: 60 < 65.4 fails
    same(t.relative(values, 1.0, True), [1.0, 1.0, 1.0, 0.0])


def test_previous_and_runs_follow_each_organisation_and_a_gap_breaks_the_run() -> None:
    orgs = ("a", "a", "a", "a", "b", "b")
    periods = [8100, 8101, 8103, 8104, 8100, 8101]  # a misses 8102
    t = context([0] * 6, periods, orgs=orgs)
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    same(t.previous(values), [NAN, 1.0, NAN, 3.0, NAN, 5.0])
    condition = np.array([1.0, 1.0, 1.0, 1.0, 1.0, NAN])
    same(t.run(condition), [1.0, 2.0, 1.0, 2.0, 1.0, NAN])
    same(t.run(np.array([1.0, 0.0, 1.0, 1.0, NAN, 1.0])), [1.0, 0.0, 1.0, 2.0, NAN, 1.0])


def test_a_given_column_replaces_the_value_where_its_cell_is_not_empty() -> None:
    frame = rt.Frame(("a", "b"), np.array([0, 0]), None, {"v": np.array([NAN, 9.0])})
    t = rt.Context(frame, (0,), ())
    same(t.given("v", np.array([1.0, 2.0])), [1.0, 9.0])
    same(t.given("w", 3.0), [3.0, 3.0])


def test_a_column_is_missing_where_it_does_not_apply() -> None:
    frame = rt.Frame(("a", "b"), np.array([0, 1]), None, {"x": np.array([1.0, 2.0])})
    t = rt.Context(frame, (0, 1), ())
    same(t.column("x", (1,)), [NAN, 2.0])
    same(t.column("absent", (0, 1)), [NAN, NAN])
