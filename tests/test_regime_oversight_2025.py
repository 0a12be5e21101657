"""The NHS Oversight Framework 2025/26 policy (policies/oversight_2025.policy) held to its contract.

The contract is shared/design/regimes.md (section `policies/oversight_2025.policy`) and the NHS England
methodology manual it cites (shared/reference/nof_2025_26_methodology_manual.md). Part A runs the
manual's worked examples through the real policy; part B states the regime's rules as properties over
generated cohorts. Every evaluation runs the compiled (numpy) evaluator, and the reference interpreter
on the same frame as a cross-check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, note
from hypothesis import strategies as st

from policyc.backend import interp, runtime
from policyc.backend.compile import compile_file
from policyc.data import results
from policyc.ir import nodes as ir

POLICY = Path(__file__).resolve().parent.parent / "policies" / "oversight_2025.policy"


# ================================================================ the compiled policy, once per module


def _compile() -> tuple[ir.Program, Any]:
    result, compiled = compile_file(POLICY)
    assert compiled is not None, [d.message for d in result.diagnostics.sorted() if d.is_error]
    return compiled.program, compiled.module()


PROGRAM, MODULE = _compile()
ORG_TYPES: tuple[str, ...] = PROGRAM.org_types
SCORES: dict[str, ir.Score] = {d.metric: d for d in PROGRAM.decls if isinstance(d, ir.Score)}  # metric -> score
METRICS: tuple[str, ...] = tuple(SCORES)
INPUTS: tuple[str, ...] = tuple(c.name for c in PROGRAM.columns if c.kind != "metric")
COLUMNS: tuple[str, ...] = tuple(c.name for c in PROGRAM.columns)
DOMAINS: tuple[str, ...] = tuple(d.name for d in PROGRAM.decls if d.name.startswith("domain_"))


def applies(metric: str, org_type: str) -> bool:
    column = PROGRAM.decl(metric)
    assert isinstance(column, ir.Column)
    return ORG_TYPES.index(org_type) in column.applies


def cohort_of(org_type: str) -> int:
    return PROGRAM.cohorts[ORG_TYPES.index(org_type)]


# ================================================================ frames and evaluation

Org = Mapping[str, Any]  # "org_type" (a name), "org" (optional), and any column: number, True/False, label, None


def encode(name: str, value: Any) -> float:
    """A value as the frame holds it: NaN for missing, yes/no as 1/0, a label as its position on its scale."""
    if value is None:
        return math.nan
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        return float(PROGRAM.decl(name).type.labels.index(value))
    return float(value)


def frame_of(orgs: Sequence[Org]) -> runtime.Frame:
    """One row per organisation; every input and metric column is present (missing where not given)."""
    names = dict.fromkeys(COLUMNS)
    for org in orgs:
        names.update(dict.fromkeys(k for k in org if k not in ("org", "org_type")))
    columns = {name: np.array([encode(name, org.get(name)) for org in orgs], dtype=np.float64) for name in names}
    return runtime.Frame(
        org=tuple(str(org.get("org", f"org{i}")) for i, org in enumerate(orgs)),
        org_type=np.array([ORG_TYPES.index(org["org_type"]) for org in orgs], dtype=np.int64),
        period=None,
        columns=columns,
    )


def _agree(compiled: float, interpreted: float | None) -> bool:
    if interpreted is None or math.isnan(compiled):
        return interpreted is None and math.isnan(compiled)
    return math.isclose(compiled, interpreted, rel_tol=1e-12, abs_tol=1e-12)


def evaluate(orgs: Sequence[Org]) -> list[dict[str, Any]]:
    """Each organisation's decoded values (results.rows), from the compiled module, checked against the interpreter."""
    frame = frame_of(orgs)
    values = MODULE.evaluate(frame)
    reference = interp.evaluate(PROGRAM, frame)
    for name, column in values.items():
        for row, cell in enumerate(column.tolist()):
            assert _agree(cell, reference[name][row]), (name, frame.org[row], cell, reference[name][row])
    return [row["values"] for row in results.rows(PROGRAM, frame, values)]


def column(out: list[dict[str, Any]], name: str) -> list[Any]:
    return [row[name] for row in out]


def acute(**values: Any) -> dict[str, Any]:
    return {"org_type": "acute", **values}


# ================================================================ the regime's rules, written out independently


def half_up(x: Fraction, places: int = 2) -> Fraction:
    """Rounded half away from zero, exactly (regimes.md: scores and averages to 2 decimal places)."""
    scale = 10**places
    magnitude = math.floor(abs(x) * scale + Fraction(1, 2))
    return Fraction(magnitude if x >= 0 else -magnitude, scale)


def standard_model(
    values: Sequence[float | None], higher: bool, standard: float | None, floor: float | None
) -> list[Fraction | None]:
    """regimes.md, step 2, for one cohort: standard met 1, floor failed 4, the rest spread from lo to hi."""

    def met(v: float) -> bool:
        return standard is not None and (v >= standard if higher else v <= standard)

    def failed(v: float) -> bool:
        return floor is not None and (v < floor if higher else v > floor)

    lo = Fraction(1 if standard is None else 2)
    hi = Fraction(4 if floor is None else 3)
    rest = [v for v in values if v is not None and not met(v) and not failed(v)]
    out: list[Fraction | None] = []
    for v in values:
        if v is None:
            out.append(None)
        elif met(v):
            out.append(Fraction(1))
        elif failed(v):
            out.append(Fraction(4))
        elif len(rest) == 1:
            out.append(lo)
        else:
            r = sum(1 for w in rest if (w > v if higher else w < v))  # strictly better
            out.append(half_up(lo + (hi - lo) * Fraction(r, len(rest) - 1)))
    return out


def quartile_of(x: float, cohort: Sequence[float]) -> int:
    """regimes.md, step 4: cut points by linear interpolation (QUARTILE.INC), a value on a cut point the better."""
    ordered = sorted(Fraction(v) for v in cohort)
    cuts = []
    for p in (Fraction(1, 4), Fraction(1, 2), Fraction(3, 4)):
        h = (len(ordered) - 1) * p
        lo, hi = math.floor(h), math.ceil(h)
        cuts.append(ordered[lo] + (ordered[hi] - ordered[lo]) * (h - lo))
    return next((k for k, cut in enumerate(cuts, start=1) if Fraction(x) <= cut), 4)


# ================================================================ A. the manual's worked examples


def test_worked_example_1_a_metric_with_a_standard_of_80():
    """Manual, example 1 (cancer_28_days, standard 80): met 1.00; the rest from 2.00 to 4.00; ties share the best."""
    assert SCORES["cancer_28_days"].scoring == ir.Ranked(higher=True, standard=80.0, floor=None)
    values = [92.5, 80.0, 79.0, 76.0, 76.0, 74.0, 70.0, 65.0, 60.0, None]
    out = evaluate(
        [acute(cancer_28_days=v) for v in values]
        # an ICB's value is not scored and takes no place in the acute cohort
        + [{"org_type": "icb", "cancer_28_days": 10.0}]
    )
    # 7 trusts miss the standard: r strictly better of them scores 2 + 2 * r / 6, to 2 places.
    assert column(out, "cancer_28_days.score") == [1.0, 1.0, 2.0, 2.33, 2.33, 3.0, 3.33, 3.67, 4.0, None, None]


def test_worked_example_1_a_single_trust_below_the_standard_scores_2():
    """With n = 1 below the standard, that trust is the best below it and scores the bookend 2.00."""
    out = evaluate([acute(cancer_28_days=50.0), acute(cancer_28_days=99.0)])
    assert column(out, "cancer_28_days.score") == [2.0, 1.0]


def test_worked_example_2_cannot_run_the_policy_declares_no_floor():
    """Manual, example 2 (a floor) is skipped: no metric of this policy declares a floor, so the model is unused."""
    # The 2025/26 sources publish no floor (baseline) for any metric, and the policy must not invent one;
    # example 2 can only be run once a metric declares `floor`. Until then, check that none does.
    floors = [m for m, s in SCORES.items() if isinstance(s.scoring, ir.Ranked) and s.scoring.floor is not None]
    assert floors == []


def test_worked_example_3_no_standard_or_floor_higher_is_better():
    """Manual, example 3 (staff_engagement): best 1.00, worst 4.00, evenly between, ties share the best."""
    assert SCORES["staff_engagement"].scoring == ir.Ranked(higher=True, standard=None, floor=None)
    values = [7.6, 7.4, 7.3, 7.3, 7.1, 6.9, 6.8, 6.2]
    out = evaluate([acute(staff_engagement=v) for v in values])
    # 1 + 3 * r / 7 for r = 0, 1, 2, 2, 4, 5, 6, 7
    assert column(out, "staff_engagement.score") == [1.0, 1.43, 1.86, 1.86, 2.71, 3.14, 3.57, 4.0]


def test_worked_example_3_lower_is_better():
    """The same spread when lower is better (shmi): the lowest value scores 1.00."""
    assert SCORES["shmi"].scoring == ir.Ranked(higher=False, standard=None, floor=None)
    out = evaluate([acute(shmi=v) for v in (1.3, 1.0, 0.9, 1.1, 1.0)])
    assert column(out, "shmi.score") == [4.0, 1.75, 1.0, 3.25, 1.75]


def test_ranked_scores_round_half_away_from_zero():
    """1 + 3 * r / 8 ends in 5 at the third place for odd r: rounded up (2.125 is 2.13, not 2.12)."""
    out = evaluate([acute(staff_engagement=float(v)) for v in range(9, 0, -1)])
    assert column(out, "staff_engagement.score") == [1.0, 1.38, 1.75, 2.13, 2.5, 2.88, 3.25, 3.63, 4.0]


def test_a_single_trust_with_a_value_scores_the_best_bookend():
    """n = 1 with no standard: the only trust scores 1.00."""
    out = evaluate([acute(staff_engagement=3.0), acute()])
    assert column(out, "staff_engagement.score") == [1.0, None]


def test_scores_are_ranked_within_the_cohort_only():
    """Each org type is its own cohort, except mental health and community trusts, scored together."""
    out = evaluate(
        [
            acute(sickness_absence=3.0),
            acute(sickness_absence=6.0),
            {"org_type": "icb", "sickness_absence": 9.0},
            {"org_type": "icb", "sickness_absence": 1.0},
            {"org_type": "mental_health", "sickness_absence": 5.0},
            {"org_type": "community", "sickness_absence": 4.0},
            {"org_type": "ambulance", "sickness_absence": 8.0},
        ]
    )
    assert column(out, "sickness_absence.score") == [1.0, 4.0, 4.0, 1.0, 4.0, 1.0, 1.0]


@pytest.mark.parametrize("org_type", ["acute", "mental_health", "community", "ambulance"])
def test_bespoke_cqc_safe_rating_maps_straight_to_a_score(org_type):
    """Manual, bespoke scoring: CQC safe rating outstanding 1, good 2, requires improvement 3, inadequate 4."""
    cqc = next(m for m, s in SCORES.items() if PROGRAM.decl(m).type.scale == "cqc_rating")
    assert cqc == "cqc_safe"
    ratings = ["outstanding", "good", "requires_improvement", "inadequate"]
    out = evaluate([{"org_type": org_type, cqc: r} for r in ratings])
    assert column(out, "cqc_safe.score") == [1.0, 2.0, 3.0, 4.0]
    # no ranking: one trust alone scores by its rating too
    assert column(evaluate([{"org_type": org_type, cqc: "inadequate"}]), "cqc_safe.score") == [4.0]


FIGURE_1_SCORED_BY_STANDARD = {  # values the policy scores 1.00 by itself: each meets its standard
    "rtt_52_weeks": 0.7,  # standard 1, lower is better
    "cancer_28_days": 81.5,  # standard 80
    "cancer_62_days": 82.6,  # standard 75
    "ae_4_hours": 80.4,  # standard 78
    "planned_surplus_deficit": 0.0,  # standard 0
}
FIGURE_1_RANKED = {  # (value, the figure's score): ranked within a cohort the figure does not show, so given
    "rtt_18_weeks": (59.0, 2.62),
    "ae_12_hours": (3.1, 1.4),
    "variance_to_plan": (-0.73, 3.0),  # "latest surplus or deficit"
    "staff_engagement": (7.17, 1.36),
    "staff_raising_concerns": (6.70, 1.45),  # "NHS staff survey safety score"
}


def figure_1_trust() -> dict[str, Any]:
    trust: dict[str, Any] = acute(
        org="figure_1", cqc_safe="good", in_deficit=False, rsp_entry=False, in_rsp=False, **FIGURE_1_SCORED_BY_STANDARD
    )
    for metric, (value, score) in FIGURE_1_RANKED.items():
        trust[metric] = value
        trust[f"{metric}.score"] = score
    return trust


def test_figure_1_average_score_is_1_53():
    """Manual, Figure 1: the 11 metric scores sum to 16.83; their mean, to 2 places, is 1.53."""
    (out,) = evaluate([figure_1_trust()])
    scored = {m: out[f"{m}.score"] for m in METRICS if out[f"{m}.score"] is not None}
    assert scored == {
        **dict.fromkeys(FIGURE_1_SCORED_BY_STANDARD, 1.0),
        "cqc_safe": 2.0,
        **{m: score for m, (_, score) in FIGURE_1_RANKED.items()},
    }
    assert sum(scored.values()) == pytest.approx(16.83)
    assert out["average_score"] == 1.53


def test_figure_1_lowest_quartile_gives_delivery_score_1():
    """Manual, Figure 1, step 3: 1.53 in the lowest quartile of its cohort gives delivery score 1 (segment 1)."""
    others = [
        acute(org=f"t{k}", average_score=a, in_deficit=False, rsp_entry=False, in_rsp=False)
        for k, a in enumerate((2.0, 2.5, 3.0, 1.9, 2.7))
    ]
    out = evaluate([figure_1_trust(), *others])
    assert out[0]["average_score"] == 1.53
    assert out[0]["delivery_score"] == 1
    assert out[0]["segment"] == 1


def test_infection_rates_each_weigh_one_third():
    """Manual, weighting: MRSA, C. difficile and E. coli each count 1/3 in average_score."""
    assert {m: SCORES[m].weight for m in ("mrsa_rate", "cdiff_rate", "ecoli_rate")} == pytest.approx(
        dict.fromkeys(("mrsa_rate", "cdiff_rate", "ecoli_rate"), 1 / 3)
    )
    assert all(s.weight == 1.0 for m, s in SCORES.items() if m not in ("mrsa_rate", "cdiff_rate", "ecoli_rate"))
    out = evaluate(
        [
            # 1.00 on cancer_28_days (standard met) and the worst (4.00) of two on each infection rate:
            # (1 * 1 + 3 * (1/3) * 4) / (1 + 3 * (1/3)) = 5 / 2 = 2.50 (unweighted it would be 13 / 4 = 3.25)
            acute(cancer_28_days=85.0, mrsa_rate=5.0, cdiff_rate=30.0, ecoli_rate=40.0),
            # only the best (1.00) on each infection rate: 1.00
            acute(mrsa_rate=1.0, cdiff_rate=10.0, ecoli_rate=20.0),
        ]
    )
    assert [column(out, f"{m}.score") for m in ("mrsa_rate", "cdiff_rate", "ecoli_rate")] == [[4.0, 1.0]] * 3
    assert column(out, "average_score") == [2.5, 1.0]
    out = evaluate(
        [
            # 1.00 and one infection rate at 4.00: (1 + 4/3) / (4/3) = 1.75, which is 1.7499999999999998 as a double
            acute(cancer_28_days=90.0, mrsa_rate=9.0),
            acute(mrsa_rate=1.0),
        ]
    )
    assert column(out, "mrsa_rate.score") == [4.0, 1.0]
    assert column(out, "average_score") == [1.75, 1.0]


def test_delivery_score_quartiles_a_value_on_a_cut_point_takes_the_better_score():
    """Step 4: averages 1.0 .. 3.0 have cut points 1.5, 2.0, 2.5 exactly; a value on one scores the better side."""
    averages = [2.5, 1.0, 3.0, 1.5, 2.0]
    out = evaluate([acute(average_score=a) for a in averages])
    assert column(out, "delivery_score") == [3, 1, 4, 1, 2]


def test_delivery_score_quartiles_by_linear_interpolation():
    """Step 4: with 4 averages the cut points interpolate (1.5, 1.85, 2.3), as numpy's default quantile."""
    averages = [1.2, 2.9, 1.6, 2.1]
    assert np.quantile(averages, [0.25, 0.5, 0.75]) == pytest.approx([1.5, 1.85, 2.3])
    out = evaluate([acute(average_score=a) for a in averages])
    # 1.6 is above q1 (1.5; the `higher` method would put q1 on 1.6) and 2.1 above q2 (1.85; `nearest` gives 2.1)
    assert column(out, "delivery_score") == [1, 4, 2, 3]


def test_delivery_score_quartiles_within_the_cohort_and_ties():
    """Quartiles are per cohort (acute apart from ICBs); equal averages share a delivery score."""
    out = evaluate(
        [
            acute(average_score=2.0),
            acute(average_score=2.0),
            acute(average_score=2.0),
            {"org_type": "icb", "average_score": 3.9},
            {"org_type": "icb", "average_score": 1.1},
        ]
    )
    assert column(out, "delivery_score") == [1, 1, 1, 4, 1]


@pytest.mark.parametrize(
    ("delivery", "in_deficit", "segment"),
    [
        (1, True, 3),
        (2, True, 3),
        (3, True, 3),
        (4, True, 4),
        (1, False, 1),
        (2, False, 2),
        (3, False, 3),
        (4, False, 4),
    ],
)
def test_finance_override(delivery, in_deficit, segment):
    """Step 3: a trust in deficit with delivery score 1 or 2 is in segment 3; 3 and 4 are unchanged."""
    (out,) = evaluate([acute(delivery_score=delivery, in_deficit=in_deficit, rsp_entry=False, in_rsp=False)])
    assert out["segment"] == segment
    assert out["rsp_entry_outside_segment_4"] is False


@pytest.mark.parametrize(
    ("delivery", "in_deficit", "rsp_entry", "segment", "outside"),
    [
        (4, False, True, 5, False),
        (4, True, True, 5, False),  # the finance override leaves 4 alone, so the trust is in segment 4 and enters
        (4, False, False, 4, False),
        (3, False, True, 3, True),
        (2, False, True, 2, True),
        (1, False, True, 1, True),
        (1, True, True, 3, True),  # in deficit: segment 3, still not 4
    ],
)
def test_recovery_support_programme(delivery, in_deficit, rsp_entry, segment, outside):
    """Step 4: segment 4 with rsp_entry is segment 5; rsp_entry elsewhere changes nothing and is flagged."""
    (out,) = evaluate([acute(delivery_score=delivery, in_deficit=in_deficit, rsp_entry=rsp_entry, in_rsp=False)])
    assert out["segment"] == segment
    assert out["rsp_entry_outside_segment_4"] is outside


def test_an_organisation_with_no_metric_score_has_no_average_delivery_score_or_segment():
    """Step 2: no scored metric at all: average_score, delivery_score and segment are missing, not an error."""
    out = evaluate(
        [
            acute(org="empty", in_deficit=False, rsp_entry=False, in_rsp=False),
            acute(org="a", staff_engagement=7.0, in_deficit=False, rsp_entry=False, in_rsp=False),
            acute(org="b", staff_engagement=6.0, in_deficit=True, rsp_entry=False, in_rsp=False),
        ]
    )
    assert [out[0][k] for k in ("average_score", "delivery_score", "segment")] == [None, None, None]
    assert out[0]["rsp_entry_outside_segment_4"] is False
    assert all(out[0][f"{m}.score"] is None for m in METRICS)
    assert all(out[0][d] is None for d in DOMAINS)
    # the others are quartiled among themselves: the empty trust takes no place in the cohort
    assert column(out[1:], "average_score") == [1.0, 4.0]
    assert column(out[1:], "delivery_score") == [1, 4]
    assert column(out[1:], "segment") == [1, 4]
    # alone in its cohort, too
    (alone,) = evaluate([{"org_type": "ambulance", "in_deficit": False, "rsp_entry": False, "in_rsp": False}])
    assert (alone["average_score"], alone["delivery_score"], alone["segment"]) == (None, None, None)


# ================================================================ B. properties over generated cohorts

VALUE_RANGES = {
    "percent": (0.0, 100.0),
    "score": (0.0, 10.0),
    "ratio": (0.5, 1.5),
    "weeks": (0.0, 104.0),
    "minutes": (5.0, 90.0),
    "days": (0.0, 30.0),
    "years": (50.0, 75.0),
}
SIGNED = {"planned_surplus_deficit": (-10.0, 10.0), "variance_to_plan": (-10.0, 10.0)}  # a deficit is negative
YES_NO = st.sampled_from([True, False, True, False, None])  # missing less often, so segments are mostly present


def _values(metric: str) -> st.SearchStrategy:
    """Realistic-ish values of a metric: a small grid (ties, the standard itself) or one decimal place."""
    score, decl = SCORES[metric], PROGRAM.decl(metric)
    if isinstance(score.scoring, ir.Mapped):
        return st.sampled_from(decl.type.labels)
    assert isinstance(score.scoring, ir.Ranked)
    standard = score.scoring.standard
    if metric in SIGNED:
        lo, hi = SIGNED[metric]
    elif standard is not None:
        lo, hi = max(0.0, standard - 25.0), standard + 25.0
    else:
        lo, hi = VALUE_RANGES.get(decl.type.unit or "", (0.0, 200.0))
    grid = {lo, hi, lo + (hi - lo) / 4, lo + (hi - lo) / 2}
    if standard is not None:
        grid |= {standard, standard - 1.0, standard + 0.5}
    return st.sampled_from(sorted(grid)) | st.floats(lo, hi).map(lambda x: round(x, 1))


VALUES = {m: _values(m) for m in METRICS}


@st.composite
def cohorts(draw, everywhere: bool = False) -> list[dict[str, Any]]:
    """1-12 organisations of one to three org types, each with values for some of a few metrics.

    A cohort draws a few metrics and each organisation a value (or not) for each of them, so that
    organisations share metrics and their ranks interact. With `everywhere`, every organisation gets a
    value for every drawn metric, also those that do not apply to its org type.
    """
    kinds = draw(st.lists(st.sampled_from(ORG_TYPES), min_size=1, max_size=3, unique=True))
    types = draw(st.lists(st.sampled_from(kinds), min_size=1, max_size=12))
    candidates = METRICS if everywhere else [m for m in METRICS if any(applies(m, k) for k in kinds)]
    metrics = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=8, unique=True))
    orgs = []
    for i, org_type in enumerate(types):
        org: dict[str, Any] = {"org": f"o{i}", "org_type": org_type}
        for m in metrics:
            if everywhere:
                org[m] = draw(VALUES[m])
            elif applies(m, org_type):
                org[m] = draw(st.none() | VALUES[m])
        for name in INPUTS:
            org[name] = draw(YES_NO)
        orgs.append(org)
    return orgs


def scored_pairs(orgs: Sequence[Org]) -> list[tuple[int, str]]:
    """(organisation, metric) where the organisation has a value of a metric that applies to it."""
    return [
        (i, m) for i, org in enumerate(orgs) for m in METRICS if org.get(m) is not None and applies(m, org["org_type"])
    ]


def better_values(metric: str, value: Any, orgs: Sequence[Org]) -> list[Any]:
    """Values strictly better than `value` by the metric's direction: other organisations' values, the
    standard, and small steps (ties and the standard are where a ranking goes wrong)."""
    scoring = SCORES[metric].scoring
    if isinstance(scoring, ir.Mapped):
        labels = PROGRAM.decl(metric).type.labels
        return list(labels[: labels.index(value)])  # best first
    assert isinstance(scoring, ir.Ranked)
    pool = {org.get(metric) for org in orgs} - {None}
    pool |= {value + d if scoring.higher else value - d for d in (0.1, 1.0, 7.5)}
    if scoring.standard is not None:
        pool.add(scoring.standard)
    return sorted(v for v in pool if (v > value if scoring.higher else v < value))


@given(cohorts())
def test_property_metric_scores_follow_the_standard_model(orgs):
    """Every metric score is regimes.md step 2 (standard model or bespoke mapping), computed independently."""
    out = evaluate(orgs)
    for metric, score in SCORES.items():
        actual = column(out, f"{metric}.score")
        expected: list[Fraction | None] = [None] * len(orgs)
        if isinstance(score.scoring, ir.Mapped):
            labels = PROGRAM.decl(metric).type.labels
            for i, org in enumerate(orgs):
                if org.get(metric) is not None and applies(metric, org["org_type"]):
                    expected[i] = Fraction(score.scoring.scores[labels.index(org[metric])])
        else:
            assert isinstance(score.scoring, ir.Ranked)
            for group in {cohort_of(o["org_type"]) for o in orgs}:
                rows = [i for i, o in enumerate(orgs) if cohort_of(o["org_type"]) == group]
                values = [orgs[i].get(metric) if applies(metric, orgs[i]["org_type"]) else None for i in rows]
                s = score.scoring
                for i, e in zip(rows, standard_model(values, s.higher, s.standard, s.floor), strict=True):
                    expected[i] = e
        assert actual == [None if e is None else pytest.approx(float(e), abs=1e-12) for e in expected], metric


@given(cohorts())
def test_property_average_and_delivery_score_follow_steps_2_and_4(orgs):
    """average_score is the weighted mean of the present scores to 2 places; delivery_score its cohort quartile."""
    out = evaluate(orgs)
    for row in out:
        # scores are 2-place decimals, weights 1 or 1/3: the mean the regime means, exactly
        parts = [
            (Fraction(SCORES[m].weight).limit_denominator(3), Fraction(round(row[f"{m}.score"] * 100), 100))
            for m in METRICS
            if row[f"{m}.score"] is not None
        ]
        if not parts:
            assert row["average_score"] is None
            continue
        mean = sum(w * x for w, x in parts) / sum(w for w, _ in parts)
        assert row["average_score"] == pytest.approx(float(half_up(mean)), abs=1e-12)
    for i, row in enumerate(out):
        if row["average_score"] is None:
            assert row["delivery_score"] is None
            continue
        cohort = [
            out[j]["average_score"]
            for j, o in enumerate(orgs)
            if cohort_of(o["org_type"]) == cohort_of(orgs[i]["org_type"]) and out[j]["average_score"] is not None
        ]
        assert row["delivery_score"] == quartile_of(row["average_score"], cohort)


@given(cohorts())
def test_property_1_an_organisation_in_deficit_is_never_in_segment_1_or_2(orgs):
    """Step 3: in_deficit means segment 3 or worse (or no segment)."""
    out = evaluate(orgs)
    for org, row in zip(orgs, out, strict=True):
        if org["in_deficit"] is True:
            assert row["segment"] not in (1, 2)


@given(cohorts())
def test_property_2_segment_5_comes_only_from_the_programme(orgs):
    """Step 4: with `base` the segment when no one enters or is in the programme, segment 5 iff in_rsp, or
    base 4 and rsp_entry; the adjusted segment is `base` whatever the programme says."""
    out = evaluate(orgs)
    # rsp_entry and in_rsp are read on their own row only, so clearing them everywhere gives each row's
    # segment before step 4
    base = column(evaluate([{**org, "rsp_entry": False, "in_rsp": False} for org in orgs]), "segment")
    assert 5 not in base
    assert column(out, "adjusted_segment") == base
    for org, row, before in zip(orgs, out, base, strict=True):
        rsp, member = org["rsp_entry"], org["in_rsp"]
        note(f"{org['org']}: base {before}, rsp_entry {rsp}, in_rsp {member}, segment {row['segment']}")
        if member is True:
            assert row["segment"] == 5
        if row["segment"] == 5:
            assert member is True or (rsp is True and before == 4)
        if member is False and rsp is True and before == 4:
            assert row["segment"] == 5
        if member is False and (rsp is False or (before is not None and before != 4)):
            assert row["segment"] == before
        if rsp is True and before is not None:
            assert row["rsp_entry_outside_segment_4"] is (before != 4)
        if rsp is False:
            assert row["rsp_entry_outside_segment_4"] is False


@given(cohorts(), st.data())
def test_property_3_a_better_value_never_gives_a_worse_score(orgs, data):
    """Monotonicity: one organisation's value of one metric made better, all else fixed, never scores worse."""
    pairs = scored_pairs(orgs)
    assume(pairs)
    i, metric = data.draw(st.sampled_from(pairs), label="organisation and metric")
    better = better_values(metric, orgs[i][metric], orgs)
    assume(better)
    value = data.draw(st.sampled_from(better), label="better value")
    before = evaluate(orgs)[i][f"{metric}.score"]
    changed = [dict(org) for org in orgs]
    changed[i][metric] = value
    after = evaluate(changed)[i][f"{metric}.score"]
    assert before is not None and after is not None
    assert after <= before, (metric, orgs[i][metric], value, before, after)


@given(cohorts())
def test_property_4_every_score_and_average_lies_between_1_and_4(orgs):
    """Metric scores, average_score and the domain scores are in [1, 4] when present."""
    for row in evaluate(orgs):
        for name in [f"{m}.score" for m in METRICS] + ["average_score", *DOMAINS]:
            if row[name] is not None:
                assert 1.0 <= row[name] <= 4.0, (name, row[name])


@given(cohorts(), st.data())
def test_property_5_a_missing_metric_leaves_the_other_scores_unchanged(orgs, data):
    """One organisation's value of metric m made missing: its scores on every other metric are the same."""
    pairs = scored_pairs(orgs)
    assume(pairs)
    i, metric = data.draw(st.sampled_from(pairs), label="organisation and metric")
    before = evaluate(orgs)[i]
    changed = [dict(org) for org in orgs]
    changed[i][metric] = None
    after = evaluate(changed)[i]
    assert after[f"{metric}.score"] is None
    for m in METRICS:
        if m != metric:
            assert after[f"{m}.score"] == before[f"{m}.score"], m


@given(cohorts(everywhere=True))
def test_property_6_a_metric_never_scores_an_org_type_it_does_not_apply_to(orgs):
    """A value in a metric's column on a row of another org type gives no score, and no place in the ranking."""
    out = evaluate(orgs)
    for org, row in zip(orgs, out, strict=True):
        for m in METRICS:
            if not applies(m, org["org_type"]):
                assert row[m] is None and row[f"{m}.score"] is None, (m, org["org_type"])
    # the stray values change nothing: the same cohort without them scores every row alike
    clean = [{k: v for k, v in org.items() if k not in METRICS or applies(k, org["org_type"])} for org in orgs]
    assert evaluate(clean) == out


@given(cohorts())
def test_property_7_segment_is_never_better_than_delivery_score(orgs):
    """Every step after the delivery score only worsens (ICB adjustment, finance cap, RSP): segment >= delivery.
    A member of the programme is in segment 5 even with no delivery score."""
    for org, row in zip(orgs, evaluate(orgs), strict=True):
        if org["in_rsp"] is True:
            assert row["segment"] == 5
        elif row["segment"] is not None:
            assert row["delivery_score"] is not None
            assert row["segment"] >= row["delivery_score"]


# ================================================================ C. the rules of the issue "real data is partial"


def _provenance(name: str, kind: str) -> list[str]:
    return [p.text for p in PROGRAM.decl(name).provenance if p.kind == kind]


@pytest.mark.parametrize(
    ("delivery", "in_deficit", "rsp_entry", "in_rsp", "adjusted", "segment", "outside"),
    [
        (1, False, False, True, 1, 5, False),  # in the programme: segment 5 though its score gives 1
        (2, True, False, True, 3, 5, False),  # in deficit: 3, then 5
        (3, False, True, True, 3, 5, True),  # entry outside segment 4 is flagged; membership gives 5
        (4, False, False, True, 4, 5, False),
        (2, False, False, False, 2, 2, False),  # out of the programme (transition criteria met): its score
        (4, False, True, False, 4, 5, False),  # entering from segment 4
        (4, False, False, False, 4, 4, False),
        (2, False, True, False, 2, 2, True),  # entry recommended outside segment 4: nothing, flagged
    ],
)
def test_segment_5_persists_while_the_organisation_is_in_the_programme(
    delivery, in_deficit, rsp_entry, in_rsp, adjusted, segment, outside
):
    """Seed, Segmentation approach: organisations in RSP "automatically transition into segment 5"; Table 2:
    "Transition out of segment 5 requires transition criteria to be met"; manual, step 4: "All providers in
    the PIP will be placed in segment 5"."""
    (out,) = evaluate([acute(delivery_score=delivery, in_deficit=in_deficit, rsp_entry=rsp_entry, in_rsp=in_rsp)])
    assert (out["adjusted_segment"], out["segment"]) == (adjusted, segment)
    assert out["rsp_entry_outside_segment_4"] is outside


def test_a_trust_whose_score_improves_stays_in_segment_5_while_in_the_programme():
    """A trust in the programme whose average moves from the worst to the best quartile stays in segment 5;
    once out of it, its score gives the segment."""
    cohort = [
        acute(org=f"t{k}", average_score=a, in_deficit=False, rsp_entry=False, in_rsp=False)
        for k, a in enumerate((2.0, 2.2, 2.4))
    ]
    # The trust at 3.0 is the worst of four: q3 = 2.4 + (3.0 - 2.4) * 0.25 = 2.55 < 3.0, so 4, entering: 5.
    worst = evaluate([*cohort, acute(org="x", average_score=3.0, in_deficit=False, rsp_entry=True, in_rsp=False)])
    assert worst[-1]["segment"] == 5
    # Improved to 1.5, the best of four (q1 = 1.5 + (2.0 - 1.5) * 0.75 = 1.875): delivery score 1.
    better = evaluate([*cohort, acute(org="x", average_score=1.5, in_deficit=False, rsp_entry=False, in_rsp=True)])
    assert (better[-1]["delivery_score"], better[-1]["adjusted_segment"], better[-1]["segment"]) == (1, 1, 5)
    left = evaluate([*cohort, acute(org="x", average_score=1.5, in_deficit=False, rsp_entry=False, in_rsp=False)])
    assert left[-1]["segment"] == 1


def test_the_quartile_rule_is_an_assumption_that_names_its_alternatives():
    """The manual gives neither the interpolation method nor the side of a cut point a score on it takes."""
    (text,) = _provenance("delivery_score", "assume")
    for alternative in ("linear interpolation", "QUARTILE.EXC", "lower", "higher", "nearest", "midpoint", "`<`"):
        assert alternative in text, alternative
    assert "124 of 129" in text and "120" in text
    # Scores 1.0, 2.0, 2.0, 3.0, 3.5: h = 4 * p gives q1 = v[1] = 2.0, q2 = v[2] = 2.0, q3 = v[3] = 3.0.
    # The two trusts on q1 (and q2) take the better quartile, 1; 3.0 on q3 takes 3; 3.5 above it 4.
    out = evaluate([acute(average_score=a) for a in (1.0, 2.0, 2.0, 3.0, 3.5)])
    assert column(out, "delivery_score") == [1, 1, 1, 3, 4]


GAPS = ("preterm_births_gap", "early_diagnosis_gap", "mi_stroke_gap")


def test_the_deprivation_gaps_are_contextual_read_but_not_scored():
    """Manual, Contextual metrics: metrics on health inequalities "are not scored and do not contribute to
    segmentation"; the three deprivation gaps of Table 6 are read as such (an assumption naming them)."""
    for gap in GAPS:
        assert gap not in SCORES and gap in COLUMNS
        (text,) = [a for a in _provenance(gap, "assume") if a.startswith("contextual")]
        assert all(name in text for name in GAPS)
    # Two ICBs, staff_engagement 7 and 6: scores 1.00 and 4.00. Their gaps (the better ICB's the wider)
    # would, if scored, pull the averages to (1 + 3 * 4) / 4 = 3.25 and (4 + 3 * 1) / 4 = 1.75.
    icbs = [
        {"org_type": "icb", "staff_engagement": 7.0, **dict.fromkeys(GAPS, 9.0)},
        {"org_type": "icb", "staff_engagement": 6.0, **dict.fromkeys(GAPS, 1.0)},
    ]
    out = evaluate(icbs)
    assert column(out, "average_score") == [1.0, 4.0]
    assert column(out, "preterm_births_gap") == [9.0, 1.0]


MANUAL_DOMAINS = ("access", "effectiveness_experience", "patient_safety", "finance_productivity", "people_workforce")


def test_one_set_of_domains_named_as_the_manual_names_them_each_with_a_segment():
    """Manual, Creating domains: access to services, effectiveness and experience of care, patient safety,
    finance and productivity, people and workforce; NHS England publishes each as a score and a segment."""
    assert set(DOMAINS) == {f"domain_{d}" for d in MANUAL_DOMAINS} | {f"domain_{d}_segment" for d in MANUAL_DOMAINS}
    # Five trusts on staff_engagement alone: scores 1 + 3 * r / 4 = 1, 1.75, 2.5, 3.25, 4, and so the people
    # and workforce domain. Its cut points: q1 1.75, q2 2.5, q3 3.25; each on a cut point takes the better.
    out = evaluate([acute(staff_engagement=v) for v in (7.6, 7.4, 7.2, 7.0, 6.8)])
    assert column(out, "domain_people_workforce") == [1.0, 1.75, 2.5, 3.25, 4.0]
    assert column(out, "domain_people_workforce_segment") == [1, 1, 2, 3, 4]
    assert column(out, "domain_access_segment") == [None] * 5


def test_domain_access_is_not_operating_priorities():
    """NHS England's data file places the mental health length of stay in effectiveness and experience, and
    the community 52-week waits and children and young people's mental health access in access."""
    out = evaluate(
        [
            {"org_type": "mental_health", "mh_los_60_days": 10.0, "cyp_mh_access_change": 5.0},
            {"org_type": "mental_health", "mh_los_60_days": 20.0, "cyp_mh_access_change": 10.0},
            {"org_type": "community", "community_52_weeks": 2.0},
        ]
    )
    # mh_los_60_days (lower is better): 1, 4; cyp_mh_access_change (higher is better): 4, 1; the community
    # trust alone on its metric: 1. Access: 4, 1, 1; effectiveness and experience: 1, 4, none.
    assert column(out, "domain_access") == [4.0, 1.0, 1.0]
    assert column(out, "domain_effectiveness_experience") == [1.0, 4.0, None]
    # access 4, 1, 1: q1 = q2 = 1, q3 = 2.5, so 4, 1, 1
    assert column(out, "domain_access_segment") == [4, 1, 1]


SYSTEM_TESTS = (
    "sys_uec_tier_one",
    "sys_elective_lowest_quartile",
    "sys_cancer_lowest_quartile",
    "sys_gp_satisfaction_lowest_quartile",
    "sys_mh_out_of_area_highest_quartile",
    "sys_finance_deficit",
)


@pytest.mark.parametrize(
    ("answers", "delivery", "adjustment", "segment"),
    [
        ((True, None, None, None, None, None), 1, None, None),  # 1 failed, 5 unknown: could reach 2
        ((None,) * 6, 1, None, None),  # nothing known: unknown, as the last
        ((True, False, False, False, False, False), 1, False, 1),  # 1 failed, 5 passed
        ((True, False, False, False, False, None), 1, None, None),  # 1 + 1 unknown = 2: could reach 2
        ((False, False, False, False, False, None), 1, False, 1),  # 0 + 1 unknown < 2: no adjustment
        ((True, True, None, None, None, None), 1, True, 2),  # 2 failed: one worse whatever the rest
        ((True, None, None, None, None, None), 4, None, 4),  # unknown, but segment 4 goes no further
        ((None,) * 6, 3, None, None),  # 3 could become 4
    ],
)
def test_unanswered_system_tests_leave_the_adjustment_unknown_unless_the_answers_decide_it(
    answers, delivery, adjustment, segment
):
    """One rule for unknown Table 7 tests: an unanswered test is neither a pass nor a failure."""
    icb = {"org_type": "icb", "delivery_score": delivery, "in_deficit": False, "rsp_entry": False, "in_rsp": False}
    (out,) = evaluate([{**icb, **dict(zip(SYSTEM_TESTS, answers, strict=True))}])
    assert out["system_tests_failed"] == sum(a is True for a in answers)
    assert out["system_tests_unknown"] == sum(a is None for a in answers)
    assert out["system_adjustment"] is adjustment
    assert out["segment"] == segment


def test_a_trust_is_never_adjusted_as_an_icb():
    (out,) = evaluate([acute(delivery_score=1, in_deficit=False, rsp_entry=False, in_rsp=False)])
    assert (out["system_adjustment"], out["segment"]) == (False, 1)


POLICY_TEXT = POLICY.read_text(encoding="utf-8")


def _block(metric: str) -> str:
    start = POLICY_TEXT.index(f"\nmetric {metric} ") + 1
    return POLICY_TEXT[start : POLICY_TEXT.index("\n\n", start)]


def test_every_metric_direction_is_marked_as_an_assumption():
    """The seed states no metric's direction: each metric says why its direction is what it is."""
    metrics = [c.name for c in PROGRAM.columns if c.kind == "metric"]
    assert len(metrics) == 79
    for metric in metrics:
        block = _block(metric)
        if "cqc_rating" in block.split("\n")[1]:
            continue  # a rating, no direction
        assert any(
            ("higher is better" in a or "lower is better" in a or "gap is better" in a)
            for a in _provenance(metric, "assume")
        ), metric


def test_the_cqc_safe_mapping_cites_its_source_and_marks_what_it_assumes():
    assert any("regimes.md" in s for s in _provenance("cqc_safe", "source"))
    assert any("Good at 2.00" in a for a in _provenance("cqc_safe", "assume"))


def test_the_three_infection_metrics_have_distinct_titles():
    titles = [_block(m).split("\n")[0].split('"')[1] for m in ("mrsa_rate", "cdiff_rate", "ecoli_rate")]
    assert len(set(titles)) == 3
    assert [t.split(" (")[0] for t in titles] == ["Rate of MRSA", "Rate of C-Difficile", "Rate of E-Coli"]


CHANGE_METRICS = (
    "waiting_list_change",
    "ld_autism_inpatients_change",
    "dental_urgent_growth",
    "gp_direct_diagnostics",
    "cmh_smi_access_change",
    "cyp_elective_growth",
    "cyp_mh_access_change",
)


def test_the_change_and_growth_metrics_say_why_they_have_no_floor():
    """Manual, Example 2: a floor is "an instruction to improve metric performance from a baseline"."""
    for metric in CHANGE_METRICS:
        assert SCORES[metric].scoring.floor is None
        assert any(a.startswith("ranked without a floor") for a in _provenance(metric, "assume")), metric
