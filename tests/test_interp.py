"""The reference interpreter on hand-worked cases: each value here is worked out from docs/semantics.md."""

import math

import numpy as np
import pytest

from policyc.backend import runtime
from policyc.backend.interp import Reader, cut_point, evaluate, round_half_up
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import check_source
from policyc.syntax.source import Source

HEADER = """policy "T"
org types acute, ambulance, community, mental_health
cohort mhc: community, mental_health
"""


def compile_policy(body: str, header: str = HEADER) -> ir.Program:
    result = check_source(Source("t.policy", header + body))
    assert result.ok, [(d.code, d.message) for d in result.diagnostics.sorted()]
    return lower(result.checked)


def run(program: ir.Program, types: list[str], period=None, org=None, **columns) -> dict[str, list]:
    """Evaluate on rows of the given org types; columns are lists with None for an empty cell."""
    n = len(types)
    frame = runtime.Frame(
        org=tuple(org) if org is not None else tuple(f"org{i}" for i in range(n)),
        org_type=np.array([program.org_types.index(t) for t in types], dtype=np.int64),
        period=None if period is None else np.array(period, dtype=np.int64),
        columns={
            name: np.array([np.nan if v is None else v for v in values], dtype=float)
            for name, values in columns.items()
        },
    )
    return evaluate(program, frame)


def one(program: ir.Program, **cells) -> dict:
    """One acute row: each value's single cell."""
    out = run(program, ["acute"], **{k: [v] for k, v in cells.items()})
    return {k: v[0] for k, v in out.items()}


# ---------------------------------------------------------------- ranked scoring (methodology manual, step 1)


def test_a_metric_with_a_standard():
    p = compile_policy('metric m "M" percent, higher is better, for acute\n  ranked, standard 80\n')
    out = run(p, ["acute"] * 6, m=[85, 80, 79, 75, 70, 60])
    # 85 and 80 meet the standard; the other four score 2 + 2 * r / 3
    assert out["m.score"] == [1.0, 1.0, 2.0, 2.67, 3.33, 4.0]


def test_ranked_in_between_score_is_the_formula_rounded():
    p = compile_policy('metric m "M" number, higher is better, for acute\n  ranked\n')
    out = run(p, ["acute"] * 7, m=[7, 6, 5, 4, 3, 2, 1])
    assert out["m.score"] == [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    out = run(p, ["acute"] * 4, m=[10, 20, 30, 40])
    assert out["m.score"] == [4.0, 3.0, 2.0, 1.0]


def test_tied_values_share_the_best_score_of_their_cluster():
    p = compile_policy('metric m "M" number, higher is better, for acute\n  ranked\n')
    out = run(p, ["acute"] * 5, m=[90, 80, 80, 80, 70])
    assert out["m.score"] == [1.0, 1.75, 1.75, 1.75, 4.0]
    low = compile_policy('metric m "M" days, lower is better, for acute\n  ranked\n')
    assert run(low, ["acute"] * 4, m=[10, 5, 20, 10])["m.score"] == [2.0, 1.0, 4.0, 2.0]


def test_floor_model_scores_one_to_three_and_four():
    p = compile_policy('metric m "M" percent, higher is better, for acute\n  ranked, floor 50\n')
    out = run(p, ["acute"] * 5, m=[90, 70, 60, 40, 50])
    # 40 fails the floor; 50 does not (failing is strictly below); the other four from 1 to 3
    assert out["m.score"] == [1.0, 1.67, 2.33, 4.0, 3.0]


def test_standard_and_floor_score_two_to_three():
    p = compile_policy('metric m "M" percent, higher is better, for acute\n  ranked, standard 80, floor 50\n')
    out = run(p, ["acute"] * 5, m=[85, 75, 65, 55, 45])
    assert out["m.score"] == [1.0, 2.0, 2.5, 3.0, 4.0]
    # one row between standard and floor scores the low end
    assert run(p, ["acute"] * 3, m=[90, 60, 10])["m.score"] == [1.0, 2.0, 4.0]


def test_lower_is_better_standard_and_floor():
    p = compile_policy('metric m "M" days, lower is better, for acute\n  ranked, standard 10, floor 30\n')
    out = run(p, ["acute"] * 5, m=[10, 31, 12, 20, None])
    assert out["m.score"] == [1.0, 4.0, 2.0, 3.0, None]


# ---------------------------------------------------------------- averages, weights and rounding (steps 2)


def eleven_metrics(weights: dict[str, str] | None = None) -> str:
    weights = weights or {}
    text = ""
    for k in range(11):
        text += f'metric m{k} "M{k}" number, higher is better, for all\n  ranked\n'
        if f"m{k}" in weights:
            text += f"  weight {weights[f'm{k}']}\n"
    return text


def test_eleven_scores_summing_to_16_83_average_1_53():
    p = compile_policy(eleven_metrics() + "average_score = round(mean(metric scores), 2)\n")
    scores = [1.0, 1.0, 1.33, 1.67, 2.0, 1.0, 1.5, 1.83, 1.5, 2.0, 2.0]
    assert math.isclose(sum(scores), 16.83)
    cells = {f"m{k}.score": s for k, s in enumerate(scores)}
    assert one(p, **cells)["average_score"] == 1.53


def test_a_metric_weighted_one_third():
    text = (
        'metric a "A" number, higher is better, for acute\n  ranked\n'
        'metric b "B" number, higher is better, for acute\n  ranked\n  weight 1/3\n'
        "w = weighted_mean(metric scores)\nws = weighted_sum(metric scores)\nu = mean(metric scores)\n"
    )
    p = compile_policy(text)
    out = one(p, **{"a.score": 1, "b.score": 4})
    assert out["w"] == (1 * 1.0 + 4 * (1 / 3)) / (1.0 + 1 / 3) == pytest.approx(1.75)
    assert out["ws"] == 1.0 + 4 * (1 / 3)
    assert out["u"] == 2.5
    # the weighted mean is 1.7499999999999998 as a double; written to 6 guard places it is the 1.75 it means
    p = compile_policy(text + "r1 = round(w, 1)\nr2 = round(w, 2)\n")
    rounded = one(p, **{"a.score": 1, "b.score": 4})
    assert (rounded["r1"], rounded["r2"]) == (1.8, 1.75)
    # a missing score drops out of both sums
    assert one(p, **{"a.score": None, "b.score": 4})["w"] == 4.0


def test_rounding_halves_away_from_zero_on_the_value_written_to_6_guard_places():
    p = compile_policy("input x: number for all\nr2 = round(x, 2)\nr0 = round(x, 0)\n")
    assert one(p, x=2.675)["r2"] == 2.68  # Python's round gives 2.67
    assert one(p, x=0.125)["r2"] == 0.13
    assert one(p, x=1.005)["r2"] == 1.01
    assert one(p, x=-1.5)["r0"] == -2.0
    assert one(p, x=2.5)["r0"] == 3.0
    assert one(p, x=None)["r2"] is None
    assert round_half_up(1.7499999, 1) == 1.7
    assert round_half_up(12345678901.234, 2) == 12345678901.23
    assert round_half_up(0.1 + 0.2, 1) == 0.3
    assert round_half_up(123456.785, 2) == 123456.79
    assert round_half_up(16.83 / 11, 2) == 1.53
    assert round_half_up(1e300, 2) == 1e300
    assert round_half_up(-0.004, 2) == 0.0


# ---------------------------------------------------------------- quantiles and quartiles

NUMPY = {
    "linear": "linear",
    "exclusive": "weibull",
    "lower": "lower",
    "higher": "higher",
    "nearest": "nearest",
    "midpoint": "midpoint",
}


def test_quartile_linear_cut_points_of_the_manual():
    p = compile_policy(
        "input avg: number for all\nq = quartile(avg, method: linear)\n"
        "q1 = quantile(avg, 0.25)\nq3 = quantile(avg, 0.75, method: linear)\n"
    )
    out = run(p, ["acute"] * 4, avg=[1.5, 2.0, 2.5, 3.0])
    assert out["q"] == [1.0, 2.0, 3.0, 4.0]
    assert out["q1"] == [1.875] * 4
    assert out["q3"] == [2.625] * 4
    assert out["q1"][0] == pytest.approx(np.quantile([1.5, 2.0, 2.5, 3.0], 0.25, method="linear"))


@pytest.mark.parametrize("method", sorted(NUMPY))
@pytest.mark.parametrize("values", [[3.0, 1.0, 7.5, 2.0, 4.0, 9.0, 5.5], [2.0, 1.0], [4.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
def test_every_quantile_method_agrees_with_numpy(method, values):
    text = (
        "input x: number for all\n"
        + "".join(f"q{k} = quantile(x, 0.{k}, method: {method})\n" for k in (1, 25, 5, 75, 9))
        + f"qt = quartile(x, method: {method})\n"
    )
    p = compile_policy(text)
    out = run(p, ["acute"] * len(values), x=values)
    for k in (1, 25, 5, 75, 9):
        expected = float(np.quantile(values, float(f"0.{k}"), method=NUMPY[method]))
        assert out[f"q{k}"] == [pytest.approx(expected, rel=1e-12, abs=1e-12)] * len(values)
    cuts = [float(np.quantile(values, q, method=NUMPY[method])) for q in (0.25, 0.5, 0.75)]
    assert out["qt"] == [float(1 + sum(v > c for c in cuts)) for v in values]


def test_cut_point_by_hand():
    v = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    # h = 6 * 0.25 = 1.5: nearest rounds half to even (2), midpoint halves v[1] and v[2]
    assert cut_point(v, 0.25, "nearest") == 3.0
    assert cut_point(v, 0.25, "midpoint") == 2.5
    assert cut_point(v, 0.25, "lower") == 2.0
    assert cut_point(v, 0.25, "higher") == 3.0
    # exclusive: h = 8 * 0.25 - 1 = 1; clamped at both ends
    assert cut_point(v, 0.25, "exclusive") == 2.0
    assert cut_point(v, 0.05, "exclusive") == 1.0
    assert cut_point(v, 0.99, "exclusive") == 7.0


def test_quartile_skips_missing_and_gives_missing_for_it():
    p = compile_policy("input x: number for all\nqt = quartile(x)\nq = quantile(x, 0.5)\n")
    out = run(p, ["acute"] * 5, x=[1.0, None, 2.0, 3.0, 4.0])
    assert out["qt"] == [1.0, None, 2.0, 3.0, 4.0]
    assert out["q"] == [2.5] * 5
    assert run(p, ["acute"] * 2, x=[None, None])["q"] == [None, None]


# ---------------------------------------------------------------- cohorts


def test_two_org_types_of_one_cohort_are_ranked_together_and_others_apart():
    p = compile_policy('metric m "M" number, higher is better, for all\n  ranked\nr = rank(m)\n')
    types = ["community", "mental_health", "acute", "community", "acute", "mental_health", "ambulance"]
    out = run(p, types, m=[10, 30, 10, 20, 5, 40, 1])
    # community + mental_health: 10, 30, 20, 40; acute: 10, 5; ambulance alone
    assert out["r"] == [1.0, 3.0, 2.0, 2.0, 1.0, 4.0, 1.0]
    assert out["m.score"] == [4.0, 2.0, 1.0, 3.0, 4.0, 1.0, 1.0]


def test_two_periods_are_ranked_apart():
    p = compile_policy('metric m "M" number, higher is better, for all\n  ranked\nr = rank(m)\n')
    out = run(p, ["acute"] * 4, period=[8000, 8001, 8000, 8001], org=["a", "a", "b", "b"], m=[1, 1, 2, 0])
    assert out["r"] == [1.0, 2.0, 2.0, 1.0]
    assert out["m.score"] == [4.0, 1.0, 1.0, 4.0]


def test_rank_percentile_mean_and_sd():
    p = compile_policy(
        "input x: number for all\nr = rank(x)\npr = percentile_rank(x)\nmu = cohort_mean(x)\nsd = cohort_sd(x)\n"
    )
    out = run(p, ["acute"] * 5, x=[3.0, 1.0, None, 3.0, 5.0])
    assert out["r"] == [2.0, 1.0, None, 2.0, 4.0]
    assert out["pr"] == [(2 - 1) / 3 * 100, 0.0, None, (2 - 1) / 3 * 100, 100.0]
    assert out["mu"] == [3.0] * 5  # to every row of the cohort, the missing one too
    assert out["sd"] == [math.sqrt(8 / 3)] * 5
    single = run(p, ["acute", "ambulance"], x=[7.0, 2.0])
    assert single["pr"] == [0.0, 0.0]
    assert single["sd"] == [None, None]
    assert single["mu"] == [7.0, 2.0]


def test_fails_more_than_k_sd_below_mean():
    p = compile_policy(
        'metric u "U" score, higher is better, for acute\n  fails more than 1 sd below mean\n'
        'metric v "V" number, lower is better, for acute\n  fails more than 1 sd above mean\n'
    )
    # mean 50, sample sd sqrt(2000/3) = 25.8: 20 < 24.2 fails; 80 > 75.8 fails
    out = run(p, ["acute"] * 5, u=[20, 50, 50, 80, None], v=[20, 50, 50, 80, None])
    assert out["u.score"] == [0, 1, 1, 1, None]
    assert out["v.score"] == [1, 1, 1, 0, None]
    assert run(p, ["acute", "acute"], u=[20, None], v=[1, 2])["u.score"] == [None, None]


# ---------------------------------------------------------------- bands and mapped scores


def test_bands_respect_inclusive_bounds():
    text = (
        "scale achievement: achieved > underachieved > failed\n"
        'metric m "M" percent, higher is better, for acute\n  bands\n'
        "    98 <= value: achieved\n    95 <= value < 98: underachieved\n    value < 95: failed\n"
        'metric n "N" days, lower is better, for acute\n  bands\n'
        "    value <= 2: 3\n    2 < value <= 5: 1\n    value > 5: 0\n"
    )
    p = compile_policy(text)
    out = run(p, ["acute"] * 5, m=[98, 97.99, 95, 94.9, None], n=[2, 2.01, 5, 5.5, None])
    assert out["m.score"] == [0, 1, 1, 2, None]
    assert out["n.score"] == [3.0, 1.0, 1.0, 0.0, None]


def test_mapped_scores():
    p = compile_policy(
        'metric cqc "CQC" one of outstanding / good / poor, for acute\n  scores outstanding 1, good 2, poor 4\n'
    )
    assert run(p, ["acute"] * 4, cqc=[0, 1, 2, None])["cqc.score"] == [1.0, 2.0, 4.0, None]


# ---------------------------------------------------------------- missing values


def test_kleene_and_or_not():
    p = compile_policy(
        "input a: yes/no for all\ninput b: yes/no for all\nboth = a and b\neither = a or b\nneither = not a\n"
    )
    a = [1, 1, 1, 0, 0, 0, None, None, None]
    b = [1, 0, None, 1, 0, None, 1, 0, None]
    out = run(p, ["acute"] * 9, a=a, b=b)
    assert out["both"] == [1, 0, None, 0, 0, 0, None, 0, None]
    assert out["either"] == [1, 1, 1, 1, 0, None, 1, None, None]
    assert out["neither"] == [0, 0, 0, 1, 1, 1, None, None, None]


def test_arithmetic_comparison_and_division_by_zero():
    p = compile_policy(
        "input x: number for all\ninput y: number for all\n"
        "q = x / y\nd = x - y\nlt = x < y\neq = x is y\nm = x is missing\nn = x is not missing\n"
        "neg = -x\nab = abs(x)\n"
    )
    out = run(p, ["acute"] * 4, x=[1.0, 0.0, None, -3.0], y=[0.0, 0.0, 2.0, 2.0])
    assert out["q"] == [None, None, None, -1.5]
    assert out["d"] == [1.0, 0.0, None, -5.0]
    assert out["lt"] == [0, 0, None, 1]
    assert out["eq"] == [0, 1, None, 0]
    assert out["m"] == [0, 0, 1, 0]
    assert out["n"] == [1, 1, 0, 1]
    assert out["neg"] == [-1.0, 0.0, None, 3.0]
    assert out["ab"] == [1.0, 0.0, None, 3.0]


def test_decision_table_with_a_missing_condition():
    p = compile_policy(
        "input a: yes/no for all\ninput b: yes/no for all\n"
        "t = when a: 1 when b: 2 otherwise: 3\nu = when a: 1 when b: 2\n"
    )
    out = run(p, ["acute"] * 5, a=[1, 0, 0, None, 0], b=[None, 1, 0, 1, None])
    assert out["t"] == [1.0, 2.0, 3.0, None, None]
    assert out["u"] == [1.0, 2.0, None, None, None]


def test_aggregates_over_the_arguments_present():
    p = compile_policy(
        "input x: number for all\ninput y: number for all\ninput a: yes/no for all\n"
        "input b: yes/no for all\n"
        "s = sum(x, y)\nmu = mean(x, y)\nlo = min(x, y)\nhi = max(x, y)\nc = count(a, b)\n"
        "f = if_missing(x, y)\n"
    )
    out = run(
        p, ["acute"] * 4, x=[1.0, None, None, 4.0], y=[2.0, 5.0, None, 3.0], a=[1, 1, None, 0], b=[1, None, None, 0]
    )
    assert out["s"] == [3.0, 5.0, None, 7.0]
    assert out["mu"] == [1.5, 5.0, None, 3.5]
    assert out["lo"] == [1.0, 5.0, None, 3.0]
    assert out["hi"] == [2.0, 5.0, None, 4.0]
    assert out["c"] == [2.0, 1.0, None, 0.0]
    assert out["f"] == [1.0, 5.0, None, 4.0]


def test_worst_best_worsen_improve():
    p = compile_policy(
        "scale cat: good > fair > poor\ninput a: cat for all\ninput b: cat for all\n"
        "w = worst(a, b)\nbt = best(a, b)\nws = worsen(a, 1)\nim = improve(a, 2)\n"
        "ahead = a better than b\n"
    )
    out = run(p, ["acute"] * 4, a=[0, 2, None, 1], b=[1, 0, 1, None])
    assert out["w"] == [1, 2, 1, 1]
    assert out["bt"] == [0, 0, 1, 1]
    assert out["ws"] == [1, 2, None, 2]
    assert out["im"] == [0, 0, None, 0]
    assert out["ahead"] == [1, 0, None, None]


# ---------------------------------------------------------------- adjustments

ADJUSTED = """scale seg: 1 > 2 > 3 > 4 > 5
input d: number for all
input cap: yes/no for all
input lift: yes/no for all
input jump: yes/no for all
s = d as seg
  no better than 3 when cap
  no worse than 2 when lift
  becomes 5 when jump and s is 4
"""


def test_adjustments_in_order():
    p = compile_policy(ADJUSTED)
    out = run(
        p,
        ["acute"] * 7,
        d=[1, 4, 1, 4, 4, None, 1],
        cap=[1, 0, 0, None, 1, 1, 0],
        lift=[0, 1, 0, 0, 0, 0, None],
        jump=[0, 0, 0, 0, 1, 1, 0],
    )
    # positions: 1 -> 0 ... 5 -> 4; rows 4 and 7 have a missing condition on an adjustment that changes nothing
    assert out["s"] == [2, 1, 0, 3, 4, None, 0]
    out = run(p, ["acute"] * 2, d=[1, 2], cap=[None, None], lift=[0, 0], jump=[0, 0])
    assert out["s"] == [None, None]


def test_becomes_gives_its_value_even_over_missing():
    p = compile_policy(
        "scale seg: 1 > 2 > 3 > 4\ninput x: number for all\ninput c: yes/no for all\n"
        "v = x as seg\n  becomes 2 when c\n  no better than 3 when c\n  becomes x as seg when c\n"
    )
    assert run(p, ["acute"] * 3, x=[None, 1.0, None], c=[0, 0, 1])["v"] == [None, 0, None]
    # becomes 2 over a missing value, then capped at 3; a value already worse than the cap keeps its place
    p = compile_policy(
        "scale seg: 1 > 2 > 3 > 4\ninput x: number for all\ninput c: yes/no for all\n"
        "v = x as seg\n  becomes 2 when c\n  no better than 3 when x is missing\n"
    )
    assert run(p, ["acute"] * 3, x=[None, 4.0, 1.0], c=[1, 0, 0])["v"] == [2, 3, 0]


def test_adjustments_see_the_value_so_far_on_every_row():
    p = compile_policy(
        "input x: number for all\nv = x\n  becomes 0 when rank(v) <= 1\n  becomes 10 when v < 1\n"
        "  becomes 20 when rank(v) is 3\n"
    )
    # 3, 1, 2 -> (rank 3, 1, 2) 3, 0, 2 -> 3, 10, 2 -> (rank 2, 3, 1) 3, 20, 2
    assert run(p, ["acute"] * 3, x=[3.0, 1.0, 2.0])["v"] == [3.0, 20.0, 2.0]


def test_labels_taken_to_a_wider_set():
    p = compile_policy(
        "input a: one of p / q / r for all\ninput b: one of q / r for all\n"
        "same = b is a\nt = when b is q: p otherwise: b\n"
    )
    out = run(p, ["acute"] * 4, a=[0, 1, 2, 1], b=[0, 0, 1, None])
    # `a` read as a label of q / r: p has no place there, so it equals no value of `b`
    assert out["same"] == [0, 1, 1, None]
    assert out["t"] == [0, 0, 2, None]


# ---------------------------------------------------------------- periods


def test_previous_and_run_across_a_gap():
    p = compile_policy(
        "input x: number for all\ninput c: yes/no for all\npx = previous(x)\nr = run(c)\nrr = run(r >= 2)\n"
    )
    # org a: periods 0, 1, 2, 4 (3 is absent); org b: 0, 1; rows out of period order on purpose
    org = ["a", "b", "a", "a", "b", "a"]
    period = [8002, 8001, 8000, 8001, 8000, 8004]
    x = [3.0, 20.0, 1.0, 2.0, 10.0, 5.0]
    c = [1, None, 1, 1, 1, 1]
    out = run(p, ["acute"] * 6, period=period, org=org, x=x, c=c)
    assert out["px"] == [2.0, 10.0, None, 1.0, None, None]
    assert out["r"] == [3.0, None, 1.0, 2.0, 1.0, 1.0]
    assert out["rr"] == [2.0, None, 0.0, 1.0, 0.0, 0.0]
    c2 = [0, 1, 1, None, 1, 1]
    assert run(p, ["acute"] * 6, period=period, org=org, x=x, c=c2)["r"] == [0.0, 2.0, 1.0, None, 1.0, 1.0]


def test_previous_without_periods_is_missing_and_run_counts_one():
    p = compile_policy("input x: number for all\ninput c: yes/no for all\npx = previous(x)\nr = run(c)\n")
    out = run(p, ["acute"] * 2, x=[1.0, 2.0], c=[1, 0])
    assert out["px"] == [None, None]
    assert out["r"] == [1.0, 0.0]


# ---------------------------------------------------------------- overrides and applicability


def test_override_of_a_derived_value_feeds_later_values_and_skips_adjustments():
    p = compile_policy(
        "input x: number for all\ninput c: yes/no for all\n"
        "v = x * 2\n  becomes 100 when c\nw = v + 1\nmu = cohort_mean(v)\n"
    )
    out = run(p, ["acute"] * 3, x=[1.0, 2.0, 3.0], c=[1, 1, 0], v=[None, 50.0, None])
    assert out["v"] == [100.0, 50.0, 6.0]
    assert out["w"] == [101.0, 51.0, 7.0]
    assert out["mu"] == [52.0] * 3


def test_override_of_a_metric_score_feeds_later_values():
    p = compile_policy(
        'metric m "M" number, higher is better, for acute\n  ranked\n'
        'metric n "N" number, higher is better, for acute, ambulance\n  ranked\n'
        "avg = mean(metric scores)\n"
    )
    out = run(
        p,
        ["acute", "acute", "ambulance"],
        m=[10, 5, 9],
        n=[1, 2, 3],
        **{"m.score": [None, 2.5, 3.0], "n.score": [None, None, 2.0]},
    )
    assert out["m.score"] == [1.0, 2.5, 3.0]  # a given score counts, even where m does not apply
    assert out["n.score"] == [4.0, 1.0, 2.0]
    assert out["avg"] == [2.5, 1.75, 2.5]


def test_an_input_that_does_not_apply_is_missing_whatever_its_cell():
    p = compile_policy(
        'input x: number for acute\nmetric m "M" number, higher is better, for acute\n  ranked\n'
        "y = if_missing(x, -1)\nt = org_type is ambulance\n"
    )
    out = run(p, ["acute", "ambulance", "acute"], x=[1.0, 2.0, None], m=[1.0, 9.0, 2.0])
    assert out["x"] == [1.0, None, None]
    assert out["y"] == [1.0, -1.0, -1.0]
    assert out["m"] == [1.0, None, 2.0]
    assert out["m.score"] == [4.0, None, 1.0]  # the ambulance cell is not ranked with the acute rows
    assert out["t"] == [0, 1, 0]


def test_a_column_the_table_lacks_is_missing():
    p = compile_policy("input x: number for all\ny = x + 1\n")
    assert run(p, ["acute"] * 2) == {"x": [None, None], "y": [None, None]}


def test_values_keep_their_encoding():
    p = compile_policy(
        "scale cat: good > poor\ninput a: cat for all\ninput b: yes/no for all\ninput n: number for all\n"
    )
    out = one(p, a=1, b=1, n=3)
    assert (type(out["a"]), type(out["b"]), type(out["n"])) == (int, int, float)


# ---------------------------------------------------------------- errors


def test_a_number_not_on_the_scale_names_the_policy_line_and_row():
    p = compile_policy("scale seg: 1 > 2 > 3\ninput x: number for all\ns = x as seg\n")
    assert run(p, ["acute"] * 3, x=[1.0, None, 3.0])["s"] == [0, None, 2]
    with pytest.raises(runtime.EvalError) as caught:
        run(p, ["acute"] * 3, x=[1.0, 2.5, 7.0])
    assert caught.value.message == "2.5 is not a value of scale `seg`"
    assert caught.value.row == 1
    assert caught.value.where == ("t.policy", 6, 5)


def test_an_error_in_a_table_row_not_chosen_is_still_an_error():
    p = compile_policy("scale seg: 1 > 2 > 3\ninput x: number for all\ns = when x > 100: x as seg otherwise: 1\n")
    with pytest.raises(runtime.EvalError, match="50 is not a value of scale `seg`"):
        run(p, ["acute"], x=[50.0])


# ---------------------------------------------------------------- the shipped policy's own tests


def test_the_oversight_policy_quartiles_and_finance_override():
    from pathlib import Path

    path = Path(__file__).parent.parent / "policies" / "oversight_2025.policy"
    p = compile_policy(path.read_text(), header="")
    out = run(
        p,
        ["acute"] * 4,
        average_score=[1.5, 2.0, 2.5, 3.0],
        in_deficit=[0, 0, 1, 0],
        rsp_entry=[0, 1, 0, 1],
        in_rsp=[0, 0, 0, 0],
    )
    assert out["delivery_score"] == [1.0, 2.0, 3.0, 4.0]
    # segment positions: 1 -> 0; deficit caps segment 3 at 3; segment 4 with rsp_entry becomes 5
    assert out["segment"] == [0, 1, 2, 4]
    assert out["rsp_entry_outside_segment_4"] == [0, 1, 0, 0]


def test_the_program_gives_each_declaration_as_its_own_kind_and_names_a_wrong_one():
    p = compile_policy(
        'metric m "M" number, higher is better, for acute\n  ranked\ninput flag: yes/no for all\nworst_case = m.score\n'
    )
    assert p.column("m").kind == "metric" and p.column("flag").kind == "input"
    assert p.score("m.score").metric == "m"
    assert p.derived("worst_case").name == "worst_case"
    assert [d.name for d in p.scores] == ["m.score"] and [d.name for d in p.derived_values] == ["worst_case"]
    with pytest.raises(TypeError, match="'flag' in the policy 'T' is an input, not a metric score"):
        p.score("flag")
    with pytest.raises(TypeError, match="'m.score' in the policy 'T' is a metric score, not a derived value"):
        p.derived("m.score")
    with pytest.raises(KeyError, match="the policy 'T' declares no value 'nothing'"):
        p.decl("nothing")


def test_the_reader_gives_the_condition_and_result_that_chose():
    p = compile_policy("input x: number for all\nband = when x > 1: 2\n  when x > 0: 1\n  otherwise: 0\n")
    frame = runtime.Frame(
        org=("a", "b", "c", "d"),
        org_type=np.zeros(4, dtype=np.int64),
        period=None,
        columns={"x": np.array([5.0, 0.5, -1.0, np.nan])},
    )
    table = p.derived("band").expr
    assert isinstance(table, ir.Table)
    values = {name: [np.nan if v is None else v for v in column] for name, column in evaluate(p, frame).items()}
    reader = Reader(p, frame, values)
    assert reader.chosen(table, 0) == table.rows[0]
    assert reader.chosen(table, 1) == table.rows[1]
    assert reader.chosen(table, 2) == (None, table.otherwise)
    assert reader.chosen(table, 3) is None  # a missing condition decides nothing
