"""How far policies/nof_2025_26.policy reproduces NHS England's published scores and segments.

Reads NHS England's own data file for the 61 mental health and community trusts
(../shared/data/nof_2025_26_mhc/, long format: one row per trust, quarter and metric), pivots it
with the csv module into one row per trust and quarter with a column per policy input, evaluates
the policy on it, and counts, per step and quarter, the published values the policy reproduces
(numbers within 0.005, segments equal).

Two evaluations:
  - from raw values (quarters 1-3): the policy scores every metric itself;
  - from published scores (quarters 1-4): each published metric score is given as the score
    (`name.score`, and `combined_finance_score`), so the average, domain scores and segments are
    checked on their own; quarter 4 publishes no raw values, so this is all it allows.

The cut points of each quarter (overall and per domain) are inputs of the policy: they are read
here off the quarter's published segments, as the highest published score of each segment.

Run: .venv/bin/python policies/evidence/nof_2025_26_scoring.py
"""

from __future__ import annotations

import csv
import math
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import policyc

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "nof_2025_26.policy"
DATA = ROOT.parent / "shared" / "data" / "nof_2025_26_mhc"
RAW_FILE = DATA / "trust_data_q1_q3.csv"
SCORES_FILE = DATA / "trust_scores_q4.csv"
ORG_TYPE = "mental_health_community"
TOLERANCE = 0.005

Wide = dict[tuple[str, str], dict[str, str]]  # {(period, trust code): {Metric_ID: Value}}
Counts = dict[str, dict[str, tuple[int, int]]]  # {Metric_ID: {period: (reproduced, published)}}

# Metric_ID -> the policy's input (raw values, given scores, flags).
INPUTS = {
    "OF0005": "community_waits_52_weeks",
    "OF0016": "crisis_face_to_face_24_hours",
    "OF0041": "cyp_mental_health_access_change",
    "OF0057": "urgent_community_response_2_hours",
    "OF0061": "staff_raising_concerns",
    "OF0063": "inpatients_over_60_days",
    "OF0079": "planned_surplus_deficit",
    "OF0081": "variance_to_plan",
    "OF0082": "sickness_absence",
    "OF0084": "staff_engagement",
    "OF0086": "relative_cost",
    "OF1035": "cmh_survey_score",
    "OF1067": "cqc_safe_score",
    "OF5004": "in_deficit",
    "OF5007": "in_recovery_support",
}
FLAGS = {"OF5004", "OF5007"}

# Metric_ID -> the policy's value that the published value is compared with, in the order of the
# method's steps.
PUBLISHED = {
    "OF1005": "community_waits_52_weeks.score",
    "OF1016": "crisis_face_to_face_24_hours.score",
    "OF1041": "cyp_mental_health_access_change.score",
    "OF1057": "urgent_community_response_2_hours.score",
    "OF1061": "staff_raising_concerns.score",
    "OF1063": "inpatients_over_60_days.score",
    "OF1079": "planned_surplus_deficit.score",
    "OF1081": "variance_to_plan.score",
    "OF1080": "combined_finance_score",
    "OF1082": "sickness_absence.score",
    "OF1084": "staff_engagement.score",
    "OF1086": "relative_cost.score",
    "OF5002": "average_score",
    "OF4000": "domain_access",
    "OF4002": "domain_patient_safety",
    "OF4003": "domain_finance_productivity",
    "OF4004": "domain_people_workforce",
    "OF4005": "domain_effectiveness_experience",
    "OF4100": "domain_access_segment",
    "OF4102": "domain_patient_safety_segment",
    "OF4103": "domain_finance_productivity_segment",
    "OF4104": "domain_people_workforce_segment",
    "OF4105": "domain_effectiveness_experience_segment",
    "OF5003": "unadjusted_segment",
    "OF5000": "segment",
    "OF5005": "recovery_segment",
}
METRIC_SCORES = [m for m, name in PUBLISHED.items() if name.endswith(".score") or m == "OF1080"]

# Cut-point inputs: (prefix, published score, published segment).
CUTS = [
    ("cut", "OF5002", "OF5003"),
    ("access_cut", "OF4000", "OF4100"),
    ("patient_safety_cut", "OF4002", "OF4102"),
    ("finance_productivity_cut", "OF4003", "OF4103"),
    ("people_workforce_cut", "OF4004", "OF4104"),
    ("effectiveness_experience_cut", "OF4005", "OF4105"),
]


def period(quarter: str) -> str:
    """`Q1 2025/26` -> `2025Q1`."""
    q, year = quarter.split()
    return f"{year[:4]}{q}"


def pivot(path: Path) -> Wide:
    """The long file as {(period, trust code): {Metric_ID: Value}}; an absent row is no key."""
    wide: Wide = defaultdict(dict)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Value"] != "":
                wide[(period(row["Quarter"]), row["Trust_code"])][row["Metric_ID"]] = row["Value"]
    return dict(wide)


def cut_points(wide: Wide) -> dict[str, dict[str, float]]:
    """Per period, each cut-point input: the highest published score of segments up to k."""
    cuts: dict[str, dict[str, float]] = defaultdict(dict)
    for per in sorted({p for p, _ in wide}):
        rows = [values for (p, _), values in wide.items() if p == per]
        for prefix, score_id, segment_id in CUTS:
            pairs = [(float(v[score_id]), float(v[segment_id])) for v in rows if score_id in v and segment_id in v]
            for k in (1, 2, 3):
                below = [s for s, seg in pairs if seg <= k]
                cuts[per][f"{prefix}_{k}_{k + 1}"] = max(below) if below else 0.0
    return dict(cuts)


def flag(value: str) -> str:
    return "yes" if float(value) == 1 else "no"


def wide_rows(wide: Wide, given_scores: bool) -> tuple[list[str], list[dict[str, str]]]:
    """The policy's table: org, org_type, period, every input (and the published scores if given)."""
    cuts = cut_points(wide)
    cut_names = sorted({name for per in cuts.values() for name in per})
    score_names = [PUBLISHED[m] for m in METRIC_SCORES] if given_scores else []
    header = ["org", "org_type", "period", *INPUTS.values(), *cut_names, *score_names]
    rows = []
    for (per, org), values in sorted(wide.items()):
        row = {"org": org, "org_type": ORG_TYPE, "period": per}
        for metric, name in INPUTS.items():
            cell = values.get(metric, "")
            row[name] = flag(cell) if cell and metric in FLAGS else cell
        for name in cut_names:
            row[name] = repr(cuts[per][name])
        for metric in METRIC_SCORES if given_scores else []:
            row[PUBLISHED[metric]] = values.get(metric, "")
        rows.append(row)
    return header, rows


def evaluate(wide: Wide, given_scores: bool):
    """The policy's results on the pivoted table, as a pandas frame."""
    header, rows = wide_rows(wide, given_scores)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nof_2025_26_wide.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=header)
            writer.writeheader()
            writer.writerows(rows)
        return policyc.load(POLICY).evaluate(path)


def agreement(wide: Wide, frame, steps: list[str]) -> Counts:
    """{Metric_ID: {period: (reproduced, published)}} over the published values present."""
    results = {(str(r["period"]), str(r["org"])): r for r in frame.to_dict("records")}
    counts: dict[str, dict[str, list[int]]] = {m: defaultdict(lambda: [0, 0]) for m in steps}
    for key, values in wide.items():
        for metric in steps:
            if metric not in values:
                continue
            got = results[key].get(PUBLISHED[metric])
            tally = counts[metric][key[0]]
            tally[1] += 1
            if got is not None and not (isinstance(got, float) and math.isnan(got)):
                tally[0] += abs(float(got) - float(values[metric])) < TOLERANCE
    return {m: {p: (a, b) for p, (a, b) in sorted(c.items())} for m, c in counts.items()}


def table(title: str, counts: Counts, periods: list[str]) -> str:
    lines = [title, f"  {'Metric_ID':<9} {'policy value':<42}" + "".join(f"{p:>10}" for p in periods)]
    for metric, by_period in counts.items():
        cells = "".join(f"{'/'.join(map(str, by_period[p])) if p in by_period else '-':>10}" for p in periods)
        lines.append(f"  {metric:<9} {PUBLISHED[metric]:<42}{cells}")
    return "\n".join(lines)


def run() -> dict[str, Counts]:
    """Both evaluations' agreement: {'raw': ..., 'scores': ...}."""
    raw = pivot(RAW_FILE)
    scores = {**raw, **pivot(SCORES_FILE)}
    steps_after_scores = [m for m in PUBLISHED if m not in METRIC_SCORES]
    return {
        "raw": agreement(raw, evaluate(raw, given_scores=False), list(PUBLISHED)),
        "scores": agreement(scores, evaluate(scores, given_scores=True), steps_after_scores),
    }


def main() -> int:
    if not RAW_FILE.exists():
        print(f"no data at {DATA}", file=sys.stderr)
        return 1
    found = run()
    print(table("From raw values (the policy scores every metric):", found["raw"], ["2025Q1", "2025Q2", "2025Q3"]))
    print()
    print(
        table(
            "From the published metric scores (given as the scores):",
            found["scores"],
            ["2025Q1", "2025Q2", "2025Q3", "2025Q4"],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
