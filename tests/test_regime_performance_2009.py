"""policies/performance_2009.policy against the NHS Performance Framework 2009/10 (seed 003, sections 3.3 to 3.8)
and its contract in shared/design/regimes.md: a worked case for each rule, then properties over generated cohorts.

Every case runs the compiled evaluator. Expectations are written out by hand (worked cases) or computed here
from the decoded results and the periods (properties), never by calling the policy's own rules again. Where
the source gives no number, the number is the policy's `assume`, read from the policy text.
"""

from __future__ import annotations

import math
from itertools import product
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyc.backend import runtime
from policyc.backend.compile import compile_file
from policyc.data import results
from policyc.data.cells import parse_period
from policyc.ir import nodes as ir

POLICY = Path(__file__).parent.parent / "policies" / "performance_2009.policy"

_RESULT, _COMPILED = compile_file(POLICY)
assert _COMPILED is not None, [d.message for d in _RESULT.diagnostics.sorted() if d.is_error]
PROGRAM = _COMPILED.program
MODULE = _COMPILED.module()

CATEGORIES = ("performing", "under_review", "underperforming")  # best first, as scale `category`
DOMAINS = ("finance", "operational_standards", "quality_safety")
UX_METRICS = (
    "ux_access_waiting",
    "ux_safe_coordinated",
    "ux_information_choice",
    "ux_relationships",
    "ux_clean_friendly",
    "ux_overall_care",
    "ux_dignity_respect",
    "ux_confidence_staff",
)
ACUTE_STANDARDS = (
    "ae_4hr",
    "rtt_admitted",
    "rtt_non_admitted",
    "cancer_2ww",
    "cancer_31d",
    "cancer_62d",
    "mrsa",
    "cdiff",
)
AMBULANCE_STANDARDS = ("cat_a_8min", "cat_a_19min", "cat_b_19min")


def worse(*categories: str | None) -> str | None:
    present = [c for c in categories if c is not None]
    return max(present, key=CATEGORIES.index) if present else None


def encode(name: str, value: Any) -> float:
    """A readable cell as the frame holds it (docs/semantics.md, "Values")."""
    if value is None:
        return math.nan
    kind = PROGRAM.decl(name).type
    if kind.kind == "bool":
        return 1.0 if value else 0.0
    if kind.kind in ("labels", "scale"):
        return float(kind.labels.index(value))
    return float(value)


def frame_of(rows: list[dict[str, Any]]) -> runtime.Frame:
    """Rows of `org`, `org_type`, `period` (`2009Q1`, an int, or absent) and readable cells by name."""
    names = sorted({k for row in rows for k in row} - {"org", "org_type", "period"})
    periods = [row.get("period") for row in rows]
    if all(p is None for p in periods):
        period = None
    else:
        period = np.array([parse_period(p) if isinstance(p, str) else p for p in periods], dtype=np.int64)
    return runtime.Frame(
        org=tuple(row.get("org", f"T{i}") for i, row in enumerate(rows)),
        org_type=np.array([PROGRAM.org_types.index(row.get("org_type", "acute")) for row in rows], dtype=np.int64),
        period=period,
        columns={name: np.array([encode(name, row.get(name)) for row in rows], dtype=np.float64) for name in names},
    )


def evaluate(*rows: dict[str, Any]) -> list[dict[str, Any]]:
    """Each row's decoded values, in the order given."""
    frame = frame_of(list(rows))
    return [row["values"] for row in results.rows(PROGRAM, frame, MODULE.evaluate(frame))]


def one(**cells: Any) -> dict[str, Any]:
    return evaluate(cells)[0]


def test_the_policy_compiles_with_the_declarations_these_tests_rely_on() -> None:
    assert PROGRAM.org_types == ("acute", "ambulance")
    assert PROGRAM.decl("overall").type.labels == CATEGORIES
    assert PROGRAM.decl("intervention_lead").type.labels == ("none", "commissioner", "sha", "department")
    metrics = {d.name for d in PROGRAM.decls if isinstance(d, ir.Column) and d.kind == "metric"}
    # A metric added to the policy should get a band case and a range in the generator below.
    assert metrics == set(UX_METRICS) | set(FINANCE_BANDS) | set(ACUTE_STANDARDS) | set(AMBULANCE_STANDARDS)
    assert set(METRIC_RANGES) == metrics


# ================================================================ A. worked cases

# ---------------------------------------------------------------- Quality and Safety (3.5)

SFBH = {"fully_met": "performing", "partly_met": "under_review", "not_met": "underperforming", None: None}
HCAI = {"registered": "performing", "conditions": "under_review", None: None}


@pytest.mark.parametrize("org_type", ["acute", "ambulance"])
@pytest.mark.parametrize(("sfbh", "hcai"), list(product(SFBH, HCAI)))
def test_quality_and_safety_is_the_lower_of_sfbh_and_hcai_registration(org_type, sfbh, hcai) -> None:
    """Seed 3.5, Quality and Safety: partly meeting SfBH is under review, not meeting it Underperforming;
    HCAI conditions are under review; the domain is "the lowest score across" the two, which is unknown
    while either is, unless SfBH is not met (the lowest there is)."""
    out = one(org_type=org_type, sfbh=sfbh, hcai=hcai)
    if sfbh == "not_met":
        expected = "underperforming"
    elif sfbh is None or hcai is None:
        expected = None
    else:
        expected = worse(SFBH[sfbh], HCAI[hcai])
    assert out["quality_safety"] == expected


# ---------------------------------------------------------------- User Experience (3.5)


def test_a_score_more_than_one_sd_below_the_cohort_mean_fails() -> None:
    """Seed 3.5, User Experience: more than one standard deviation below average fails; regimes.md: the
    sample standard deviation (n - 1)."""
    # mean 76, sample sd sqrt(320 / 4) = 8.94: the cut is 67.06
    values = [80, 80, 80, 80, 60]
    out = evaluate(*({"org": f"T{i}", "ux_access_waiting": v} for i, v in enumerate(values)))
    assert [row["ux_access_waiting.score"] for row in out] == [True, True, True, True, False]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        # mean 3, sd sqrt(8 / 2) = 2: 1 lies exactly one sd below, which is not "more than"
        ([1, 3, 5], [True, True, True]),
        # mean 4, sd sqrt(12 / 3) = 2: the cut is 2
        ([1, 5, 5, 5], [False, True, True, True]),
        # no spread: nobody is below the mean
        ([70, 70], [True, True]),
    ],
)
def test_one_sd_below_the_mean_exactly_passes(values, expected) -> None:
    """Seed 3.5, User Experience: only falling *more than* one standard deviation below average fails."""
    out = evaluate(*({"org": f"T{i}", "ux_relationships": v} for i, v in enumerate(values)))
    assert [row["ux_relationships.score"] for row in out] == expected


def test_the_cohort_is_the_acute_trusts_of_the_same_period() -> None:
    """Seed 3.5, User Experience, with docs/semantics.md "Cohorts": the average is over the acute trusts
    assessed in the same period; an ambulance trust's survey cells are not read (the metrics are for acute)."""
    out = evaluate(
        {"org": "A", "period": "2009Q1", "ux_overall_care": 1},
        {"org": "B", "period": "2009Q1", "ux_overall_care": 5},
        {"org": "C", "period": "2009Q1", "ux_overall_care": 5},
        {"org": "D", "period": "2009Q1", "ux_overall_care": 5},
        # would lift the mean and the sd enough to save A if it counted
        {"org": "X", "org_type": "ambulance", "period": "2009Q1", "ux_overall_care": 100},
        # another quarter's cohort: A there is one of two and passes
        {"org": "A", "period": "2009Q2", "ux_overall_care": 1},
        {"org": "B", "period": "2009Q2", "ux_overall_care": 2},
    )
    assert [row["ux_overall_care.score"] for row in out] == [False, True, True, True, None, True, True]
    assert out[4]["ux_overall_care"] is None


def test_a_cohort_of_one_has_no_spread_and_so_no_score() -> None:
    """docs/semantics.md, "Scoring metrics": fewer than 2 values in the cohort give a missing score."""
    out = evaluate({"org": "A", "ux_access_waiting": 50}, {"org": "B", "ux_access_waiting": None})
    assert out[0]["ux_access_waiting.score"] is None


UX_CATEGORY_BY_PASSES = ["underperforming"] * 4 + ["under_review"] * 2 + ["performing"] * 3  # 0 .. 8 passes


@pytest.mark.parametrize("passes", range(9))
def test_user_experience_follows_the_number_of_passes(passes) -> None:
    """Seed 3.5, User Experience: "overall performance is then determined by simply counting the number of
    passes"; the policy assumes 6 or more of 8 performing, 4 or 5 under review, fewer underperforming."""
    scores = {f"{m}.score": i < passes for i, m in enumerate(UX_METRICS)}
    out = one(**scores)
    assert out["ux_passes"] == passes
    assert out["user_experience"] == UX_CATEGORY_BY_PASSES[passes]


@pytest.mark.parametrize(
    ("failed", "expected"),
    [
        (0, "performing"),
        (2, "performing"),
        (3, "under_review"),
        (4, "under_review"),
        (5, "underperforming"),
        (8, "underperforming"),
    ],
)
def test_user_experience_from_survey_scores_in_a_cohort(failed, expected) -> None:
    """Seed 3.5, User Experience: fails counted from the cohort rule, then passes to a category."""
    # Five trusts at 80 everywhere; T5 at 50 on `failed` indicators. Where T5 is at 50: mean 75, sd 12.25,
    # cut 62.75, so only T5 fails; elsewhere there is no spread and all pass.
    rows = [{"org": f"T{i}", **dict.fromkeys(UX_METRICS, 80)} for i in range(5)]
    rows.append({"org": "T5", **{m: 50 if k < failed else 80 for k, m in enumerate(UX_METRICS)}})
    out = evaluate(*rows)
    assert [row["ux_passes"] for row in out] == [8] * 5 + [8 - failed]
    assert [row["user_experience"] for row in out] == ["performing"] * 5 + [expected]


@pytest.mark.parametrize(
    ("passes", "reported", "expected"),
    [
        (3, 3, "performing"),  # 3 / 3 = 1.00: all passing (counted against 8 it was underperforming)
        (2, 3, "under_review"),  # 0.67
        (1, 3, "underperforming"),  # 0.33
        (3, 4, "performing"),  # 0.75
        (2, 4, "under_review"),  # 0.50
        (1, 2, "under_review"),  # 0.50
        (0, 1, "underperforming"),
        (1, 1, "performing"),
        (5, 7, "under_review"),  # 0.714
        (6, 8, "performing"),  # unchanged with all eight reported
        (5, 8, "under_review"),
        (3, 8, "underperforming"),
    ],
)
def test_user_experience_with_partial_data_scales_the_thresholds_to_the_indicators_reported(
    passes, reported, expected
) -> None:
    """Seed 3.5: failing is more than one sd below average, and the category comes from counting passes;
    the policy scales the thresholds (6 and 4 of 8) to shares of those reported (0.75 and 0.5)."""
    scores = {f"{m}.score": i < passes for i, m in enumerate(UX_METRICS[:reported])}
    out = one(**scores)
    assert (out["ux_passes"], out["ux_reported"]) == (passes, reported)
    assert out["user_experience"] == expected


def test_a_trust_reporting_three_indicators_all_passing_is_performing() -> None:
    """Four trusts report the first three survey indicators only: 80, 80, 80, 70 on each. Mean 77.5, sample
    sd 5, cut 72.5: the first three pass all three (3 / 3), the fourth fails all three (0 / 3)."""
    rows = [{"org": f"T{i}", **dict.fromkeys(UX_METRICS[:3], 80 - 10 * (i == 3))} for i in range(4)]
    out = evaluate(*rows)
    assert [row["ux_reported"] for row in out] == [3] * 4
    assert [row["ux_passes"] for row in out] == [3, 3, 3, 0]
    assert [row["user_experience"] for row in out] == ["performing"] * 3 + ["underperforming"]


def test_an_ambulance_trust_has_no_user_experience_category() -> None:
    """Seed 3.5, User Experience (the survey is of inpatients; the policy assumes no ambulance category):
    nothing is counted for it, even with survey cells and score overrides given, and it is not moderated."""
    rows = [{"org": f"A{i}", **dict.fromkeys(UX_METRICS, 80 - 20 * (i == 2))} for i in range(3)]
    rows.append(
        {
            "org": "X",
            "org_type": "ambulance",
            **dict.fromkeys(UX_METRICS, 10),
            **{f"{m}.score": False for m in UX_METRICS},
            "finance": "performing",
            "operational_standards": "performing",
            "quality_safety": "performing",
            "major_failing": False,
        }
    )
    out = evaluate(*rows)[-1]
    assert out["user_experience"] is None
    assert out["overall"] == "performing"


# ---------------------------------------------------------------- Finance (3.5)

# Each metric's band rows as the policy writes them: value -> score 3 (best) to 1.
FINANCE_BANDS = {
    "planned_outturn": [(5, 3), (0, 3), (-0.01, 2), (-2, 2), (-2.01, 1)],
    "ytd_operating_vs_plan": [(0, 3), (-0.01, 2), (-3, 2), (-3.01, 1)],
    "ytd_ebitda_vs_plan": [(100, 3), (99.9, 2), (90, 2), (89.9, 1)],
    "forecast_vs_plan": [(0, 3), (-0.01, 2), (-3, 2), (-3.01, 1)],
    "forecast_ebitda_vs_plan": [(100, 3), (99.9, 2), (90, 2), (89.9, 1)],
    "underlying_position": [(0, 3), (-0.01, 2), (-2, 2), (-2.01, 1)],
    "ebitda_margin": [(5, 3), (4.99, 2), (1, 2), (0.99, 1)],
    "bppc_value": [(95, 3), (94.9, 2), (60, 2), (59.9, 1)],
    "bppc_volume": [(95, 3), (94.9, 2), (60, 2), (59.9, 1)],
    "current_ratio": [(1, 3), (0.99, 2), (0.5, 2), (0.49, 1)],
    "debtor_days": [(30, 3), (30.5, 2), (60, 2), (60.5, 1)],
    "creditor_days": [(30, 3), (30.5, 2), (60, 2), (60.5, 1)],
}
FINANCE_WEIGHTS = {
    "planned_outturn": 0.05,
    "ytd_operating_vs_plan": 0.125,
    "ytd_ebitda_vs_plan": 0.125,
    "forecast_vs_plan": 0.2,
    "forecast_ebitda_vs_plan": 0.2,
    "underlying_position": 0.05,
    "ebitda_margin": 0.05,
    "bppc_value": 0.04,
    "bppc_volume": 0.04,
    "current_ratio": 0.04,
    "debtor_days": 0.04,
    "creditor_days": 0.04,
}
BEST_FINANCE = {name: bands[0][0] for name, bands in FINANCE_BANDS.items()}


@pytest.mark.parametrize("org_type", ["acute", "ambulance"])
@pytest.mark.parametrize(
    ("metric", "value", "score"), [(m, v, s) for m, bands in FINANCE_BANDS.items() for v, s in bands]
)
def test_each_finance_indicator_scores_1_to_3_by_its_bands(org_type, metric, value, score) -> None:
    """Seed 3.5, Finance: indicator scores (the policy assumes 1 to 3, 3 best, and each threshold)."""
    assert one(org_type=org_type, **{metric: value})[f"{metric}.score"] == score


def test_finance_weights_are_the_sub_domain_weights_split_over_their_indicators() -> None:
    """Seed 3.5, Finance: five sub-domains; the policy assumes 5/25/40/10/20 per cent (2012/13)."""
    assert math.isclose(sum(FINANCE_WEIGHTS.values()), 1.0)
    for name, weight in FINANCE_WEIGHTS.items():
        # Only this indicator at 1, the rest at 3: the sum falls by 2 * its weight.
        out = one(**{**BEST_FINANCE, name: FINANCE_BANDS[name][-1][0]})
        assert out["finance_score"] == pytest.approx(round(3 - 2 * weight, 2)), name


@pytest.mark.parametrize(
    ("changes", "score", "expected"),
    [
        ({}, 3.0, "performing"),
        # 0.05*3 + 0.25*3 + 0.70*2
        (
            {
                "forecast_vs_plan": -0.5,
                "forecast_ebitda_vs_plan": 95,
                "underlying_position": -1,
                "ebitda_margin": 3,
                "bppc_value": 80,
                "bppc_volume": 80,
                "current_ratio": 0.8,
                "debtor_days": 45,
                "creditor_days": 45,
            },
            2.30,
            "under_review",
        ),
        # 3 - 2 * (0.2 + 0.125 + 0.04 + 0.04): every year-to-date and forecast EBITDA indicator at 1
        (
            {"ytd_ebitda_vs_plan": 80, "forecast_ebitda_vs_plan": 80, "bppc_value": 10, "bppc_volume": 10},
            2.19,
            "under_review",
        ),
        (
            {
                "ytd_ebitda_vs_plan": 80,
                "forecast_ebitda_vs_plan": 80,
                "bppc_value": 10,
                "bppc_volume": 10,
                "current_ratio": 0.1,
            },
            2.11,
            "under_review",
        ),
        (
            {
                "ytd_ebitda_vs_plan": 80,
                "forecast_ebitda_vs_plan": 80,
                "bppc_value": 10,
                "bppc_volume": 10,
                "current_ratio": 0.1,
                "debtor_days": 90,
            },
            2.03,
            "underperforming",
        ),
        # a missing indicator is left out and the others re-weighted: (0.76 * 3 + 0.04 * 1) / 0.8
        ({"forecast_ebitda_vs_plan": None, "bppc_value": 10}, 2.9, "performing"),
    ],
)
def test_finance_is_the_weighted_sum_of_indicator_scores(changes, score, expected) -> None:
    """Seed 3.5, Finance: "the sum of the weighted indicator scores"; the policy assumes above 2.40
    performing, 2.10 to 2.40 under review."""
    out = one(**{**BEST_FINANCE, **changes})
    assert out["finance_score"] == pytest.approx(score, abs=1e-9)
    assert out["finance"] == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (3.0, "performing"),
        (2.41, "performing"),
        (2.40, "under_review"),
        (2.10, "under_review"),
        (2.09, "underperforming"),
        (1.0, "underperforming"),
    ],
)
def test_finance_category_thresholds(score, expected) -> None:
    """Seed 3.5, Finance; the thresholds are the policy's assumption (2011/12 framework: above 2.40)."""
    assert one(finance_score=score, planned_outturn=0, forecast_vs_plan=0)["finance"] == expected


@pytest.mark.parametrize(
    ("score", "planned", "forecast", "expected"),
    [
        (2.9, -0.5, 0.2, "under_review"),  # a planned deficit
        (2.2, -0.5, 0.2, "under_review"),  # the cap does not lower a category already at it
        (1.5, -0.5, 0.2, "underperforming"),  # nor lift one below it
        (2.9, 0, 0, "performing"),  # breaking even is not a deficit
        (2.9, 0, -1, "underperforming"),  # a forecast deficit, worse than plan
        (2.9, 1, -1.5, "underperforming"),
        (2.9, -1, -0.5, "underperforming"),  # both caps
        (2.9, 2, -1, "performing"),  # behind plan but still in surplus
        (2.9, 2, -2, "performing"),  # forecast exactly break-even
        (2.9, -1, 0.5, "under_review"),  # forecast deficit, but not worse than plan: only the planning cap
    ],
)
def test_finance_over_riding_rules_cap_the_category(score, planned, forecast, expected) -> None:
    """Seed 3.5, Finance: "over-riding rules that dictate the maximum score"; the policy assumes a planned
    deficit caps at under review, a forecast deficit worse than plan at underperforming."""
    out = one(finance_score=score, planned_outturn=planned, forecast_vs_plan=forecast)
    assert out["finance"] == expected


@pytest.mark.parametrize(
    ("score", "planned", "forecast", "expected"),
    [
        (2.9, None, 0, "performing"),  # no plan: neither cap can be judged, so neither applies
        (2.9, None, -1, "performing"),  # a forecast behind plan, but no plan to tell a forecast deficit
        (2.2, None, -1, "under_review"),  # 2.10 <= 2.2 <= 2.40, no cap
        (2.9, -0.5, None, "under_review"),  # the planned deficit caps; the forecast rule is left out
        (2.9, 1, None, "performing"),
        (2.9, None, None, "performing"),
        (1.5, None, None, "underperforming"),
    ],
)
def test_a_missing_planned_outturn_or_forecast_leaves_its_over_riding_rule_out(score, planned, forecast, expected):
    """Finance with a missing FIMS cell: as the indicator is left out of the score (line `finance_score`), the
    over-riding rule that rests on it is left out, so Finance, overall and the escalation runs stay known."""
    assert one(finance_score=score, planned_outturn=planned, forecast_vs_plan=forecast)["finance"] == expected


def test_a_missing_finance_cell_no_longer_breaks_overall_or_the_run() -> None:
    """Three quarters underperforming on operational standards, the middle one without a planned outturn:
    Finance is still scored (2.90 on the others), so overall is known and the run reaches three."""
    quarters = []
    for q, planned in enumerate((1.0, None, 1.0)):
        quarters.append(
            {
                "org": "RXX",
                "period": f"2009Q{q + 1}",
                "finance_score": 2.9,
                "planned_outturn": planned,
                "forecast_vs_plan": 0.5,
                "operational_standards": "underperforming",
                "quality_safety": "performing",
                "user_experience": "performing",
                "major_failing": False,
                "designated_challenged": False,
            }
        )
    out = evaluate(*quarters)
    assert [row["finance"] for row in out] == ["performing"] * 3
    assert [row["overall"] for row in out] == ["underperforming"] * 3
    assert [row["consecutive_underperforming"] for row in out] == [1, 2, 3]
    assert out[-1]["challenged_discussion"] is True


@pytest.mark.parametrize(
    ("score", "unable", "expected"),
    [
        (2.9, True, "underperforming"),
        (2.9, False, "performing"),
        (2.9, None, "performing"),
        (1.5, True, "underperforming"),
    ],
)
def test_a_trust_unable_to_make_loan_repayments_for_lack_of_cash_is_capped_at_underperforming(
    score, unable, expected
) -> None:
    """The forecast rule's companion in the 2012/13 list of over-riding rules; a missing answer is left out."""
    out = one(finance_score=score, planned_outturn=1, forecast_vs_plan=0, unable_to_repay_loans=unable)
    assert out["finance"] == expected


def test_the_finance_over_riding_rules_say_where_each_comes_from() -> None:
    """The planned-deficit cap has no source and says so; the 2.40 threshold is the 2011/12 service score,
    applied to Finance as an extension; rounding before the thresholds is marked."""
    finance = POLICY.read_text(encoding="utf-8")
    assert "no source gives this rule" in finance
    assert "applying it to the Finance score is an extension" in finance
    assert "believed to use 5 points" not in finance and "not verified" not in finance
    for name in ("finance_score", "operational_score"):
        assert any("rounded to 2 decimal places before the thresholds" in p.text for p in PROGRAM.decl(name).provenance)
    assert any("almost met" in p.text for p in PROGRAM.decl("sfbh").provenance)
    assert any("10% above trajectory: no source" in p.text for p in PROGRAM.decl("mrsa").provenance)
    for metric in UX_METRICS:
        assert any("not foundation trusts" in p.text for p in PROGRAM.decl(f"{metric}.score").provenance), metric


# ---------------------------------------------------------------- Operational Standards and Targets (3.5)

# value -> points: achieved 3, underachieved 2, failed 0 (the policy's Annual Health Check assumption)
STANDARD_BANDS = {
    "ae_4hr": [(100, 3), (98, 3), (97.9, 2), (95, 2), (94.9, 0)],
    "rtt_admitted": [(90, 3), (89.9, 2), (85, 2), (84.9, 0)],
    "rtt_non_admitted": [(95, 3), (94.9, 2), (90, 2), (89.9, 0)],
    "cancer_2ww": [(93, 3), (92.9, 2), (88, 2), (87.9, 0)],
    "cancer_31d": [(96, 3), (95.9, 2), (91, 2), (90.9, 0)],
    "cancer_62d": [(85, 3), (84.9, 2), (80, 2), (79.9, 0)],
    "mrsa": [(0, 3), (100, 3), (100.1, 2), (110, 2), (110.1, 0)],
    "cdiff": [(0, 3), (100, 3), (100.1, 2), (110, 2), (110.1, 0)],
    "cat_a_8min": [(75, 3), (74.9, 2), (70, 2), (69.9, 0)],
    "cat_a_19min": [(95, 3), (94.9, 2), (90, 2), (89.9, 0)],
    "cat_b_19min": [(95, 3), (94.9, 2), (90, 2), (89.9, 0)],
}
ACHIEVED = {name: bands[0][0] for name, bands in STANDARD_BANDS.items()}
FAILED = {name: bands[-1][0] for name, bands in STANDARD_BANDS.items()}


@pytest.mark.parametrize(
    ("metric", "value", "points"), [(m, v, p) for m, bands in STANDARD_BANDS.items() for v, p in bands]
)
def test_each_standard_is_achieved_underachieved_or_failed(metric, value, points) -> None:
    """Seed 3.5, Operational Standards and Targets: scored as in the Annual Health Check (achieved,
    underachieved, failed); targets and tolerances are the policy's assumptions."""
    org_type = "ambulance" if metric in AMBULANCE_STANDARDS else "acute"
    assert one(org_type=org_type, **{metric: value})[f"{metric}.score"] == points


@pytest.mark.parametrize(
    ("org_type", "own", "other"),
    [("acute", ACUTE_STANDARDS, AMBULANCE_STANDARDS), ("ambulance", AMBULANCE_STANDARDS, ACUTE_STANDARDS)],
)
def test_a_trust_is_scored_only_on_the_standards_of_its_type(org_type, own, other) -> None:
    """Seed 3.5 / section 2.1: the indicators that apply to acute and to ambulance trusts differ; cells of
    the other type's standards are not read, so failing them changes nothing."""
    out = one(org_type=org_type, **{m: ACHIEVED[m] for m in own}, **{m: FAILED[m] for m in other})
    assert all(out[f"{m}.score"] == 3 for m in own)
    assert all(out[f"{m}.score"] is None and out[m] is None for m in other)
    assert out["operational_score"] == 3
    assert out["operational_standards"] == "performing"


@pytest.mark.parametrize(
    ("points", "score", "expected"),
    [
        ([3] * 8, 3.0, "performing"),
        ([3] * 7 + [2], 2.88, "performing"),  # 23 / 8 = 2.875, halves away from zero
        ([3] * 6 + [0] * 2, 2.25, "under_review"),
        ([3] * 4 + [2] * 2 + [0] * 2, 2.0, "underperforming"),
        ([3, 3, 2, 2, 2, None, None, None], 2.4, "under_review"),  # missing ones left out: 12 / 5, not above 2.40
        ([3, 3, 3, 2, 2, 2, 2, None], 2.43, "performing"),  # 17 / 7
        ([None] * 8, None, None),
    ],
)
def test_acute_operational_standards_are_the_mean_points(points, score, expected) -> None:
    """Seed 3.5, Operational Standards and Targets: weightings and thresholds aligned to the Annual Health
    Check; the policy assumes equal weights and above 2.40 performing, 2.10 to 2.40 under review."""
    cells = {}
    for metric, p in zip(ACUTE_STANDARDS, points, strict=True):
        cells[metric] = None if p is None else next(v for v, q in STANDARD_BANDS[metric] if q == p)
    out = one(org_type="acute", **cells)
    assert out["operational_score"] == (None if score is None else pytest.approx(score, abs=1e-9))
    assert out["operational_standards"] == expected


@pytest.mark.parametrize(("eight", "nineteen"), list(product([3, 2, 0], repeat=2)))
def test_ambulance_operational_standards_are_the_mean_of_its_standards_reported(eight, nineteen) -> None:
    """Seed 3.5, Operational Standards and Targets, for an ambulance trust's two Category A standards (its
    Category B standard not reported: left out)."""
    value = {m: {p: v for v, p in reversed(STANDARD_BANDS[m])} for m in AMBULANCE_STANDARDS}
    out = one(org_type="ambulance", cat_a_8min=value["cat_a_8min"][eight], cat_a_19min=value["cat_a_19min"][nineteen])
    mean = (eight + nineteen) / 2
    assert out["operational_score"] == mean
    assert out["operational_standards"] == (
        "performing" if mean > 2.4 else "under_review" if mean >= 2.1 else "underperforming"
    )


@pytest.mark.parametrize(
    ("points", "score", "expected"),
    [
        ((3, 3, 3), 3.0, "performing"),
        ((3, 3, 2), 2.67, "performing"),  # 8 / 3 = 2.666..., to 2.67
        ((3, 2, 2), 2.33, "under_review"),  # 7 / 3: an ambulance trust can now be under review
        ((2, 2, 2), 2.0, "underperforming"),
        ((3, 3, 0), 2.0, "underperforming"),  # Category B failed
        ((0, 3, 3), 2.0, "underperforming"),
    ],
)
def test_ambulance_category_b_within_19_minutes_is_the_third_standard(points, score, expected) -> None:
    """House of Commons, 22 April 2009: "95 per cent. of category B... in 19 minutes", beside Category A's
    75 per cent in eight minutes and 95 per cent in 19."""
    value = {m: {p: v for v, p in reversed(STANDARD_BANDS[m])} for m in AMBULANCE_STANDARDS}
    cells = {m: value[m][p] for m, p in zip(AMBULANCE_STANDARDS, points, strict=True)}
    out = one(org_type="ambulance", **cells)
    assert out["cat_b_19min.score"] == points[2]
    assert out["operational_score"] == pytest.approx(score, abs=1e-9)
    assert out["operational_standards"] == expected


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (2.41, "performing"),
        (2.40, "under_review"),
        (2.10, "under_review"),
        (2.09, "underperforming"),
    ],
)
def test_operational_standards_thresholds(score, expected) -> None:
    """Seed 3.5, Operational Standards and Targets; thresholds are the policy's assumption."""
    assert one(operational_score=score)["operational_standards"] == expected


# ---------------------------------------------------------------- overall (3.3, 3.4)


def domains(finance, operational, quality, **more) -> dict[str, Any]:
    return {
        "finance": finance,
        "operational_standards": operational,
        "quality_safety": quality,
        "user_experience": "performing",
        "major_failing": False,
        **more,
    }


@pytest.mark.parametrize(("finance", "operational", "quality"), list(product(CATEGORIES, repeat=3)))
def test_overall_is_the_lowest_of_finance_operational_standards_and_quality_and_safety(finance, operational, quality):
    """Seed 3.3: "the lowest score across the domains of Finance, Operational Standards and Targets and
    Quality and Safety"."""
    assert one(**domains(finance, operational, quality))["overall"] == worse(finance, operational, quality)


@pytest.mark.parametrize(
    ("finance", "operational", "quality", "expected"),
    [
        (None, "performing", "under_review", None),
        (None, "performing", "performing", None),
        ("underperforming", None, None, "underperforming"),
        ("performing", "underperforming", None, "underperforming"),
        (None, None, None, None),
    ],
)
def test_overall_with_a_domain_missing_is_missing_unless_another_is_underperforming(
    finance, operational, quality, expected
) -> None:
    """Seed 3.3: the lowest of the three is unknown while one is unknown, unless one is already the lowest there is."""
    assert one(**domains(finance, operational, quality))["overall"] == expected


@pytest.mark.parametrize("base", CATEGORIES)
@pytest.mark.parametrize(
    ("org_type", "ux", "moderated"),
    [
        (
            "acute",
            "underperforming",
            {"performing": "under_review", "under_review": "under_review", "underperforming": "underperforming"},
        ),
        ("acute", "under_review", None),
        ("acute", "performing", None),
        ("ambulance", None, None),
    ],
)
def test_user_experience_underperforming_caps_overall_at_under_review(base, org_type, ux, moderated) -> None:
    """Seed 3.3 and 3.5, User Experience: Underperforming on it means no better than Performance under review
    overall; it never lifts a trust, nor moderates when it is not Underperforming (or is absent)."""
    out = one(org_type=org_type, **domains(base, "performing", "performing", user_experience=ux))
    assert out["overall"] == (moderated[base] if moderated else base)


@pytest.mark.parametrize("ux", [*CATEGORIES, None])
@pytest.mark.parametrize(
    ("finance", "operational", "quality"),
    [
        ("performing",) * 3,
        ("under_review", "performing", "performing"),
        ("performing", "underperforming", "under_review"),
        (None, None, None),
    ],
)
def test_a_major_failing_makes_a_trust_underperforming_whatever_else(finance, operational, quality, ux) -> None:
    """Seed 3.4 Over-riding rules: major failings mean a trust "would automatically be designated as
    Underperforming"; 3.5: CQC suspension or enforcement folded in."""
    out = one(**domains(finance, operational, quality, user_experience=ux, major_failing=True))
    assert out["overall"] == "underperforming"


@pytest.mark.parametrize("base", CATEGORIES)
def test_an_unrecorded_major_failing_is_no(base) -> None:
    """Seed 3.4: major failings are exceptions ("Exceptional circumstances may occasionally arise"), so the
    policy's `default no`: an empty cell leaves overall as the domains give it, as an explicit no does."""
    unrecorded = one(**domains(base, "performing", "performing", major_failing=None))["overall"]
    assert unrecorded == one(**domains(base, "performing", "performing", major_failing=False))["overall"] == base


def test_an_unrecorded_designation_is_no() -> None:
    """Seed 3.6: designations are published case by case, so the policy's `default no`: a trust underperforming
    three quarters running with no designation recorded is led as one with an explicit no."""
    rows = [
        {
            "org": "RXX",
            "org_type": "acute",
            "period": period,
            "overall": "underperforming",
            "designated_challenged": value,
        }
        for period, value in (("2009Q1", None), ("2009Q2", None), ("2009Q3", None))
    ]
    explicit = [{**row, "designated_challenged": False} for row in rows]
    assert [r["intervention_lead"] for r in evaluate(*rows)] == [r["intervention_lead"] for r in evaluate(*explicit)]
    assert all(r["intervention_lead"] is not None for r in evaluate(*rows))


# ---------------------------------------------------------------- escalation over periods (3.6 to 3.8)


def history(
    *quarters: tuple[str, str | None], org: str = "RXX", org_type: str = "acute", challenged: bool | None = False
) -> list[dict[str, Any]]:
    """One trust's quarters, with its overall category given directly (a what-if override)."""
    return [
        {"org": org, "org_type": org_type, "period": period, "overall": overall, "designated_challenged": challenged}
        for period, overall in quarters
    ]


def escalation(out: list[dict[str, Any]]) -> list[tuple]:
    return [(r["consecutive_underperforming"], r["challenged_discussion"], r["intervention_lead"]) for r in out]


def test_under_review_two_quarters_running_escalates_from_the_commissioner_to_the_sha() -> None:
    """Seed 3.7: under review, the PCT commissioner leads; 3.8 with regimes.md: after a recovery period of one
    quarter, failure to recover escalates (to the SHA). Across the year end too: 2009Q4 and 2010Q1 follow."""
    out = evaluate(*history(("2009Q3", "under_review"), ("2009Q4", "under_review"), ("2010Q1", "under_review")))
    assert [r["intervention_lead"] for r in out] == ["commissioner", "sha", "sha"]
    assert [r["consecutive_underperforming"] for r in out] == [0, 0, 0]


def test_the_recovery_period_counts_consecutive_quarters_only() -> None:
    """Seed 3.8 with regimes.md: under review "for a second consecutive period"; a gap restarts the count,
    and so does a quarter in another category."""
    out = evaluate(
        *history(
            ("2009Q1", "under_review"),
            ("2009Q3", "under_review"),
            ("2009Q4", "underperforming"),
            ("2010Q1", "under_review"),
            ("2010Q2", "under_review"),
        )
    )
    assert [r["intervention_lead"] for r in out] == ["commissioner", "commissioner", "sha", "commissioner", "sha"]


def test_three_underperforming_quarters_trigger_the_challenged_discussion() -> None:
    """Seed 3.6: "three consecutive quarters as Underperforming will trigger a discussion between the Department
    and relevant SHA"; 3.7: Underperforming, the SHA leads."""
    out = evaluate(
        *history(
            ("2009Q1", "underperforming"),
            ("2009Q2", "underperforming"),
            ("2009Q3", "underperforming"),
            ("2009Q4", "underperforming"),
        )
    )
    assert escalation(out) == [(1, False, "sha"), (2, False, "sha"), (3, True, "sha"), (4, True, "sha")]


def test_a_gap_quarter_restarts_the_run() -> None:
    """Seed 3.6 (consecutive quarters) with regimes.md: a missing period breaks the run."""
    out = evaluate(
        *history(("2009Q1", "underperforming"), ("2009Q2", "underperforming"), ("2009Q4", "underperforming"))
    )
    assert escalation(out) == [(1, False, "sha"), (2, False, "sha"), (1, False, "sha")]


def test_a_quarter_with_no_category_breaks_the_run() -> None:
    """docs/semantics.md, "Periods and runs": `run` is missing where its condition is, and a missing `run` in
    the period before counts as a break, like an absent period."""
    out = evaluate(
        *history(
            ("2009Q1", "underperforming"),
            ("2009Q2", "underperforming"),
            ("2009Q3", None),
            ("2009Q4", "underperforming"),
        )
    )
    assert escalation(out) == [(1, False, "sha"), (2, False, "sha"), (None, None, None), (1, False, "sha")]


def test_a_better_quarter_ends_the_run() -> None:
    """Seed 3.8: trusts "move straight into, and out of, performance categories"; the lead follows this
    quarter's category."""
    out = evaluate(
        *history(
            ("2009Q1", "underperforming"),
            ("2009Q2", "underperforming"),
            ("2009Q3", "under_review"),
            ("2009Q4", "underperforming"),
            ("2010Q1", "performing"),
        )
    )
    assert escalation(out) == [
        (1, False, "sha"),
        (2, False, "sha"),
        (0, False, "commissioner"),
        (1, False, "sha"),
        (0, False, "none"),
    ]


@pytest.mark.parametrize("overall", [*CATEGORIES, None])
def test_a_challenged_trust_is_led_by_the_sha_on_behalf_of_the_department(overall) -> None:
    """Seed 3.6: Challenged is the NHS Chief Executive's decision, with no prescribed thresholds (it may not
    be underperforming); 3.7: the SHA leads on behalf of the Department."""
    out = evaluate(*history(("2009Q1", overall), challenged=True))
    assert out[0]["intervention_lead"] == "department"


def test_a_performing_trust_has_no_intervention() -> None:
    """Seed 3.7: intervention is for under review, Underperforming and Challenged only."""
    out = evaluate(*history(("2009Q1", "performing"), ("2009Q2", "performing"), org_type="ambulance"))
    assert escalation(out) == [(0, False, "none"), (0, False, "none")]


def test_an_unrecorded_challenged_designation_reads_as_no() -> None:
    """The policy's `default no` (seed 3.6): the first row of the table reads `designated_challenged`; empty, it
    is no, so a performing trust has no intervention lead, as with an explicit no."""
    out = evaluate(*history(("2009Q1", "performing"), challenged=None))
    assert out[0]["intervention_lead"] == "none"


def test_periods_out_of_order_give_the_same_results() -> None:
    """docs/semantics.md, "Periods and runs": periods are ordered by year then quarter, not by row order."""
    quarters = [
        ("2009Q1", "underperforming"),
        ("2009Q2", "underperforming"),
        ("2009Q3", "underperforming"),
        ("2009Q4", "under_review"),
        ("2010Q1", "under_review"),
        ("2010Q2", "underperforming"),
    ]
    rows = history(*quarters)
    ordered = escalation(evaluate(*rows))
    shuffle = [4, 2, 5, 0, 3, 1]
    shuffled = escalation(evaluate(*(rows[i] for i in shuffle)))
    assert shuffled == [ordered[i] for i in shuffle]
    assert ordered == [
        (1, False, "sha"),
        (2, False, "sha"),
        (3, True, "sha"),
        (0, False, "commissioner"),
        (0, False, "sha"),
        (1, False, "sha"),
    ]


def test_two_trusts_interleaved_keep_their_own_runs() -> None:
    """Seed 3.6 and 3.8: runs are per organisation."""
    a = history(("2009Q1", "underperforming"), ("2009Q2", "underperforming"), ("2009Q3", "underperforming"), org="RAA")
    b = history(
        ("2009Q1", "under_review"),
        ("2009Q2", "performing"),
        ("2009Q3", "under_review"),
        org="RBB",
        org_type="ambulance",
    )
    out = evaluate(b[2], a[0], b[0], a[2], b[1], a[1])
    assert escalation(out) == [
        (0, False, "commissioner"),
        (1, False, "sha"),
        (0, False, "commissioner"),
        (3, True, "sha"),
        (0, False, "none"),
        (2, False, "sha"),
    ]


# ================================================================ B. properties

QUARTER0 = 2009 * 4  # 2009Q1

# Ranges that straddle each metric's bands, mostly in the better bands, so that computed domains are spread over
# the three categories rather than mostly underperforming.
METRIC_RANGES = {
    **dict.fromkeys(UX_METRICS, (50.0, 90.0)),
    "planned_outturn": (-2.6, 3.5),
    "ytd_operating_vs_plan": (-3.6, 4.0),
    "ytd_ebitda_vs_plan": (88.0, 115.0),
    "forecast_vs_plan": (-3.6, 4.0),
    "forecast_ebitda_vs_plan": (88.0, 115.0),
    "underlying_position": (-2.6, 3.5),
    "ebitda_margin": (0.2, 11.0),
    "bppc_value": (58.0, 100.0),
    "bppc_volume": (58.0, 100.0),
    "current_ratio": (0.4, 2.0),
    "debtor_days": (5.0, 65.0),
    "creditor_days": (5.0, 65.0),
    "ae_4hr": (94.0, 100.0),
    "rtt_admitted": (84.0, 96.0),
    "rtt_non_admitted": (89.0, 100.0),
    "cancer_2ww": (87.0, 100.0),
    "cancer_31d": (90.0, 100.0),
    "cancer_62d": (79.0, 95.0),
    "mrsa": (70.0, 115.0),
    "cdiff": (70.0, 115.0),
    "cat_a_8min": (69.0, 82.0),
    "cat_a_19min": (89.0, 100.0),
    "cat_b_19min": (89.0, 100.0),
}


def _cells(values, missing: int = 1):
    """One of `values`, or missing, weighted by repeats; a single draw each, which keeps generation quick."""
    return st.sampled_from([*values, *[None] * missing])


# One byte per metric, drawn as one block per row: drawing each cell as a float of its own made generation, not
# evaluation, take most of a property's time. A byte below 32 is a missing cell; the rest spread over the range.
_metric_bytes = st.binary(min_size=len(METRIC_RANGES), max_size=len(METRIC_RANGES))


def _metric_cells(block: bytes) -> dict[str, float | None]:
    return {
        name: None if b < 32 else lo + (hi - lo) * (b - 32) / 223
        for (name, (lo, hi)), b in zip(METRIC_RANGES.items(), block, strict=True)
    }


_quarters = st.one_of(
    st.builds(lambda start, length: list(range(start, start + length)), st.integers(0, 4), st.integers(1, 6)),
    st.sets(st.integers(0, 9), min_size=1, max_size=6).map(sorted),
)
# Overrides of a domain: missing (a third of the time) lets the policy compute it from the inputs. Weighted
# toward performing, since overall is performing only when every domain is.
_domain_cells = _cells(["performing", "performing", "under_review", "underperforming"], missing=2)
# Weighted toward underperforming so that runs of three and more are common. `unknown` makes a row whose overall
# category is missing, which a missing cell rarely gives (it lets the policy compute overall from the rest).
_overall_cells = _cells(["underperforming"] * 3 + ["under_review"] * 2 + ["performing", "unknown"], missing=2)


@st.composite
def cohorts(draw, *, metrics: bool, overall: bool) -> list[dict[str, Any]]:
    """1 to 10 trusts of either type, each over 1 to 6 quarters (consecutive or not), rows shuffled.

    Domain categories are given as overrides on some rows (missing: computed from the inputs); with
    `overall`, so is the overall category, to make long runs likely."""
    rows = []
    for t in range(draw(st.integers(1, 10))):
        org_type = draw(st.sampled_from(PROGRAM.org_types))
        for q in draw(_quarters):
            row: dict[str, Any] = {"org": f"T{t}", "org_type": org_type, "period": QUARTER0 + q}
            for name in (*DOMAINS, "user_experience"):
                row[name] = draw(_domain_cells)
            row["major_failing"] = draw(_cells([False] * 6 + [True], missing=2))
            row["designated_challenged"] = draw(_cells([False] * 3 + [True]))
            row["sfbh"] = draw(_cells(PROGRAM.decl("sfbh").type.labels))
            row["hcai"] = draw(_cells(PROGRAM.decl("hcai").type.labels))
            if metrics:
                row.update(_metric_cells(draw(_metric_bytes)))
            if overall:
                row["overall"] = draw(_overall_cells)
                if row["overall"] == "unknown":
                    # Performing domains and an unknown major failing: whether it becomes underperforming is
                    # unknown, so overall is missing (docs/semantics.md, adjustments).
                    row.update(dict.fromkeys(DOMAINS, "performing"), overall=None, major_failing=None)
            rows.append(row)
    order = draw(st.permutations(range(len(rows))))
    return [rows[i] for i in order]


def evaluated(rows: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return list(zip(rows, evaluate(*rows), strict=True))


@given(cohorts(metrics=True, overall=False))
def test_overall_is_never_better_than_a_domain_present(rows) -> None:
    """Seed 3.3: overall is the lowest of finance, operational standards and quality and safety."""
    for _, out in evaluated(rows):
        for domain in DOMAINS:
            if out["overall"] is not None and out[domain] is not None:
                assert CATEGORIES.index(out["overall"]) >= CATEGORIES.index(out[domain]), (domain, out)


@given(cohorts(metrics=True, overall=False))
def test_user_experience_underperforming_never_leaves_a_trust_performing(rows) -> None:
    """Seed 3.3 and 3.5: underperforming on User Experience caps overall at Performance under review."""
    for _, out in evaluated(rows):
        if out["user_experience"] == "underperforming":
            assert out["overall"] != "performing", out


@given(cohorts(metrics=True, overall=False))
def test_a_major_failing_always_gives_underperforming(rows) -> None:
    """Seed 3.4: major failings automatically make a trust Underperforming."""
    for _, out in evaluated(rows):
        if out["major_failing"] is True:
            assert out["overall"] == "underperforming", out


def by_quarter(pairs) -> dict[tuple[str, int], str | None]:
    return {(row["org"], row["period"]): out["overall"] for row, out in pairs}


# The oracles below follow docs/semantics.md, "Periods and runs": a quarter whose overall category is missing
# has a missing run (so a missing count, discussion and lead), and breaks the run just as a quarter absent from
# the table does: the next quarter's run starts again at 1.


def underperforming_run(overall: dict[tuple[str, int], str | None], org: str, period: int) -> int | None:
    if overall[org, period] is None:
        return None
    length = 0
    while overall.get((org, period - length)) == "underperforming":
        length += 1
    return length


@given(cohorts(metrics=False, overall=True))
def test_the_challenged_discussion_follows_three_consecutive_underperforming_quarters(rows) -> None:
    """Seed 3.6: three consecutive quarters as Underperforming trigger the discussion."""
    pairs = evaluated(rows)
    overall = by_quarter(pairs)
    for row, out in pairs:
        org, period = row["org"], row["period"]
        if overall[org, period] is None:
            assert out["challenged_discussion"] is None
        else:
            last_three = [overall.get((org, period - k), "absent") for k in range(3)]
            assert out["challenged_discussion"] == (last_three == ["underperforming"] * 3), (last_three, out)


@given(cohorts(metrics=False, overall=True))
def test_consecutive_underperforming_counts_the_run_ending_this_quarter(rows) -> None:
    """Seed 3.6 and regimes.md: consecutive quarters up to and including this one, a gap breaking the run."""
    pairs = evaluated(rows)
    overall = by_quarter(pairs)
    for row, out in pairs:
        assert out["consecutive_underperforming"] == underperforming_run(overall, row["org"], row["period"]), out


@given(cohorts(metrics=False, overall=True))
def test_the_intervention_lead_follows_the_category_and_the_recovery_period(rows) -> None:
    """Seed 3.7 and 3.8 as regimes.md states them: department when designated Challenged; sha when
    underperforming, or under review for a second consecutive quarter or more; commissioner when under review
    for the first quarter; none when performing."""
    pairs = evaluated(rows)
    overall = by_quarter(pairs)
    for row, out in pairs:
        this, before = overall[row["org"], row["period"]], overall.get((row["org"], row["period"] - 1))
        challenged = out["designated_challenged"]
        if challenged is True:
            expected = "department"
        elif challenged is None or this is None:
            expected = None  # a decision-table condition that is missing before a row is chosen
        elif this == "underperforming":
            expected = "sha"
        elif this == "under_review":
            expected = "sha" if before == "under_review" else "commissioner"
        else:
            expected = "none"
        assert out["intervention_lead"] == expected, (row, out)
