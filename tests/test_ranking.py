"""Ranked scores by counting and by sorting: the path each cohort takes, its boundaries, and the integer rounding.

The compiled evaluator ranks a cohort by counting integer codes of its keys when every key is a decimal
of at most COUNT_PLACES places, and by sorting otherwise; both are held to the reference interpreter
here, value for value and bit for bit, on tables built to reach both paths and the edges between them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import compile_text
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from policyc.backend import interp, ranked
from policyc.backend import runtime as rt
from policyc.backend.codegen import generate

NAN = np.nan

POLICY = """policy "Ranking paths"
org types alpha, beta, gamma, delta
cohort pair: beta, gamma
metric up "Up" number, higher is better, for all
  ranked
metric down "Down" number, lower is better, for all
  ranked
metric meets "Meets" number, higher is better, for all
  ranked, standard 2.675
metric floored "Floored" number, lower is better, for all
  ranked, floor 0
metric both "Both" number, higher is better, for all
  ranked, standard 0.0000002, floor -0.5
"""
METRICS = ("up", "down", "meets", "floored", "both")
# The policy's standards and floors and their neighbours, so that keys land on either side of each and on it.
THRESHOLDS = [2.675, 2.6750000000000003, 2.6749999999999994, 0.0, -0.0, 2e-7, 1e-7, 3e-7, -0.5, -0.5000000000000001]


@pytest.fixture(scope="module")
def engines():
    program = compile_text(POLICY)
    namespace: dict = {}
    exec(compile(generate(program), "<ranking>", "exec"), namespace)
    return program, namespace["evaluate"]


def context(org_types, cohorts=(0, 1), periods=None) -> rt.Context:
    n = len(org_types)
    period = None if periods is None else np.array(periods, dtype=np.int64)
    frame = rt.Frame(tuple(f"o{i}" for i in range(n)), np.array(org_types, dtype=np.int64), period, {})
    return rt.Context(frame, cohorts, ())


def rank_one(t: rt.Context, values, higher=True, standard=None, floor=None) -> np.ndarray:
    (scores,) = t.ranked((np.asarray(values, dtype=float),), (higher,), (standard,), (floor,))
    return scores


def paths(t: rt.Context) -> list[tuple[str, str]]:
    return [(p.path, p.reason) for p in t.ranking]


def same(actual, expected) -> None:
    np.testing.assert_array_equal(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float))


# ---------------------------------------------------------------- tables that reach both paths


def keys_of(style: str, draw, n: int) -> list[float]:
    """`n` keys of one cohort group, in one of the styles the paths divide on."""
    if style == "decimal":  # exact to `places`: counted
        places = draw(st.integers(0, ranked.COUNT_PLACES))
        base = draw(st.integers(-(10**6), 10**6))
        codes = draw(st.lists(st.integers(-40, 40), min_size=n, max_size=n))
        return [(base + c) / 10**places for c in codes]
    if style == "too_many_places":  # one place more than counting allows: sorted
        base = draw(st.integers(-(10**7), 10**7))
        codes = draw(st.lists(st.integers(-40, 40), min_size=n, max_size=n))
        return [(base + c) / 10 ** (ranked.COUNT_PLACES + 1) for c in codes]
    if style == "wide":  # integers spanning more codes than bins allow: sorted
        return draw(st.lists(st.sampled_from([-(10**6), 0, 1, 10**6, 3 * 10**6]), min_size=n, max_size=n))
    if style == "large":  # codes near and past 2**53, and infinities: sorted
        pool = [2.0**53, 2.0**53 - 1, 2.0**52 + 0.5, 1e15 + 0.1, 1e300, -1e300, math.inf, -math.inf, 9e15]
        return draw(st.lists(st.sampled_from(pool), min_size=n, max_size=n))
    if style == "floats":
        return draw(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=n, max_size=n))
    if style == "thresholds":
        return draw(st.lists(st.sampled_from(THRESHOLDS + [1.0, 5.0, -3.0]), min_size=n, max_size=n))
    if style == "ties":
        return [draw(st.sampled_from(THRESHOLDS + [7.25, -1e-7]))] * n
    return [NAN] * n  # missing


STYLES = ("decimal", "too_many_places", "wide", "large", "floats", "thresholds", "ties", "missing")


@st.composite
def tables(draw):
    n = draw(st.integers(1, 40))
    org_type = draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    period = draw(st.none() | st.lists(st.sampled_from([8100, 8101]), min_size=n, max_size=n))
    cohort = [(0, 1, 1, 2)[o] for o in org_type]  # beta and gamma share a cohort
    group = [(c, None if period is None else period[i]) for i, c in enumerate(cohort)]
    columns = {}
    for name in METRICS:
        column = np.full(n, NAN)
        for g in sorted(set(group), key=str):
            rows = [i for i in range(n) if group[i] == g]
            keys = keys_of(draw(st.sampled_from(STYLES)), draw, len(rows))
            gaps = draw(st.lists(st.booleans(), min_size=len(rows), max_size=len(rows)))
            for i, key, gap in zip(rows, keys, gaps, strict=True):
                column[i] = NAN if gap and draw(st.booleans()) else key
        columns[name] = column
    orgs = tuple(f"org{i}" for i in range(n))
    period_column = None if period is None else np.array(period, dtype=np.int64)
    return rt.Frame(orgs, np.array(org_type, dtype=np.int64), period_column, columns)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # inf - inf among the keys, on purpose
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(tables())
def test_both_paths_give_the_interpreters_scores_bit_for_bit(engines, frame):
    program, evaluate = engines
    for name in METRICS:
        note(f"{name} = {frame.columns[name].tolist()!r}")
    note(f"org_type = {frame.org_type.tolist()!r}, period = {None if frame.period is None else frame.period.tolist()}")
    compiled = evaluate(frame)
    expected = interp.evaluate(program, frame)
    for name in METRICS:
        ours = [None if math.isnan(x) else float(x) for x in compiled[f"{name}.score"]]
        theirs = expected[f"{name}.score"]
        assert ours == theirs, name


# ---------------------------------------------------------------- the path each cohort takes, and why


def test_keys_exact_to_one_place_are_counted_in_every_cohort() -> None:
    t = context([0, 0, 0, 1, 1])
    same(rank_one(t, [70.5, 90.1, 90.1, 3.0, NAN]), [4.0, 1.0, 1.0, 1.0, NAN])
    assert paths(t) == [("counting", "keys exact to 1 decimal place, 872 codes")] * 2


def test_a_cohort_with_a_key_of_seven_places_is_sorted_and_the_others_counted_with_the_places_they_need() -> None:
    t = context([0, 0, 0, 1, 1, 1])
    scores = rank_one(t, [0.1234567, 0.1234568, 0.5, 1.0, 2.0, NAN])
    same(scores, [4.0, 2.5, 1.0, 4.0, 1.0, NAN])
    assert paths(t) == [
        ("sorting", "a key with more than 6 decimal places (0.1234567)"),
        ("counting", "keys exact to 0 decimal places, 2 codes"),
    ]


def test_six_places_are_counted_and_seven_sorted() -> None:
    t = context([0] * 4)
    same(rank_one(t, [(123456 + k) / 10**6 for k in range(4)], higher=False), [1.0, 2.0, 3.0, 4.0])
    assert paths(t) == [("counting", "keys exact to 6 decimal places, 4 codes")]
    t = context([0] * 4)
    same(rank_one(t, [(1234560 + 10 * k + 1) / 10**7 for k in range(4)], higher=False), [1.0, 2.0, 3.0, 4.0])
    assert paths(t) == [("sorting", "a key with more than 6 decimal places (0.1234561)")]


def test_keys_too_large_for_exact_codes_are_sorted() -> None:
    t = context([0, 0, 1, 1])
    same(rank_one(t, [2.0**53, 2.0**53 - 1, 1e300, math.inf]), [1.0, 4.0, 4.0, 1.0])
    assert paths(t) == [
        ("sorting", "a key too large to count (9007199254740992.0)"),
        ("sorting", "a key too large to count (1e+300)"),
    ]


def test_codes_spanning_more_bins_than_rows_allow_are_sorted() -> None:
    t = context([0, 0, 0])
    same(rank_one(t, [0.0, 70_000.0, 1.0]), [4.0, 1.0, 2.5])
    assert paths(t) == [("sorting", "keys to 0 places span 70,001 codes, more bins than 65,539")]


def test_a_cohort_of_one_all_ties_and_all_missing() -> None:
    t = context([0, 1, 1, 1, 2, 2], cohorts=(0, 1, 2))
    same(rank_one(t, [5.0, 2.675, 2.675, 2.675, NAN, NAN], standard=None), [1.0, 1.0, 1.0, 1.0, NAN, NAN])
    assert [p.ranked for p in t.ranking] == [1, 3, 0]
    assert {p.path for p in t.ranking} == {"counting"}
    t = context([0, 0])
    same(rank_one(t, [NAN, NAN]), [NAN, NAN])
    assert paths(t) == [("counting", "no value to rank")]  # a column left empty is not ranked at all


def test_negative_keys_and_negative_zero_tie_with_zero() -> None:
    t = context([0] * 5)
    same(rank_one(t, [-0.0, 0.0, -2.5, -0.001, 3.0]), [1.75, 1.75, 4.0, 3.25, 1.0])
    assert paths(t) == [("counting", "keys exact to 3 decimal places, 5,501 codes")]


def test_the_standard_and_the_floor_are_compared_on_the_keys_themselves() -> None:
    keys = [2.675, 2.67, 2.68, -0.5, -0.49, -0.51]
    t = context([0] * 6)
    same(rank_one(t, keys, standard=2.675, floor=-0.5), [1.0, 2.0, 1.0, 3.0, 2.5, 4.0])
    assert paths(t)[0][0] == "counting"
    # a double on either side of the decimal: 2.675 falls short of the standard, -0.5 clears the floor
    t = context([0] * 6)
    scores = rank_one(t, keys, standard=np.nextafter(2.675, 3), floor=np.nextafter(-0.5, -1))
    same(scores, [2.0, 2.33, 1.0, 3.0, 2.67, 4.0])
    assert paths(t)[0][0] == "counting"


def test_cohorts_are_grouped_by_period_and_the_listing_names_them(monkeypatch, capsys) -> None:
    monkeypatch.setenv("POLICYC_DEBUG_RANKING", "1")
    t = context([0, 0, 0, 0], cohorts=(0,), periods=[8100, 8100, 8101, 8101])
    same(rank_one(t, [1.0, 2.0, 0.25, 0.5]), [4.0, 1.0, 4.0, 1.0])
    assert capsys.readouterr().err.splitlines() == [
        "ranked metric 1, cohort 0 in 2025Q1: 2 rows, 2 ranked; counting, keys exact to 2 decimal places, "
        "176 codes; rounded in integers",
        "ranked metric 1, cohort 0 in 2025Q2: 2 rows, 2 ranked; counting, keys exact to 2 decimal places, "
        "176 codes; rounded in integers",
    ]


def test_without_the_variable_nothing_is_printed(monkeypatch, capsys) -> None:
    monkeypatch.delenv("POLICYC_DEBUG_RANKING", raising=False)
    rank_one(context([0, 0]), [1.0, 2.0])
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- rounding the spread in integers

BOUNDS = [(1.0, 4.0), (2.0, 4.0), (1.0, 3.0), (2.0, 3.0)]


def guarded(r: np.ndarray, n: int, lo: float, hi: float) -> np.ndarray:
    """The spread as a double, rounded by `round`'s guarded decimal: what the integers must give."""
    return rt.round_half(lo + (hi - lo) * r.astype(float) / (n - 1), 2)


@pytest.mark.parametrize(("lo", "hi"), BOUNDS)
def test_the_integer_spread_equals_the_guarded_rounding_for_every_r_of_small_cohorts(lo, hi) -> None:
    for n in range(2, 80):
        r = np.arange(n)
        same(ranked.spread(r, n, lo, hi), guarded(r, n, lo, hi))
        oracle = [interp.round_half_up(lo + (hi - lo) * k / (n - 1), 2) for k in range(n)]
        assert ranked.spread(r, n, lo, hi).tolist() == oracle


@pytest.mark.parametrize(("lo", "hi"), BOUNDS)
def test_the_integer_spread_is_exact_up_to_the_largest_cohort_it_is_used_for(lo, hi) -> None:
    n = ranked.EXACT_ROUNDING + 1
    r = np.arange(n)
    ours, theirs = ranked.spread(r, n, lo, hi), guarded(r, n, lo, hi)
    same(ours, theirs)
    # the values nearest a half, to the oracle's decimal rounding
    hundredths = (lo + (hi - lo) * r / (n - 1)) * 100
    near = np.flatnonzero(np.abs(hundredths - np.floor(hundredths) - 0.5) < 1e-4)
    assert near.size > 100
    for k in near:
        assert ours[k] == interp.round_half_up(lo + (hi - lo) * int(k) / (n - 1), 2), k


def test_past_that_size_the_guard_decides_and_the_spread_follows_it() -> None:
    n = 2_000_004  # m = 2,000,003: 300 r / m can fall within the guard places of a half without being on it
    m = n - 1
    r = (m - 1) // 2 * pow(300, -1, m) % m  # 300 r = (m - 1) / 2 (mod m): half a hundredth, less 1 / (2 m)
    exact = 100 + (600 * r + m) // (2 * m)
    expected = interp.round_half_up(1 + 3 * r / m, 2)
    assert expected == (exact + 1) / 100  # the guarded decimal rounds up what the exact quotient rounds down
    assert ranked.spread(np.array([r]), n, 1.0, 4.0)[0] == expected


def test_a_cohort_past_that_size_is_rounded_in_decimal() -> None:
    n = ranked.EXACT_ROUNDING + 3
    t = context([0] * n, cohorts=(0,))
    scores = rank_one(t, np.arange(n, dtype=float), higher=False)
    assert t.ranking[0].rounding == "in decimal: over 999,999 ranked"
    same(scores, guarded(np.arange(n), n, 1.0, 4.0))
