"""NHS England's quarter 4 2025/26 scores of the 61 mental health and community trusts, as a table the policy
beside this file reads: a row per trust, its metric scores given (`of1005.score`), the finance override."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "nof_2025_26_mhc"
POLICY = Path(__file__).with_name("nof_q4_scores.policy")
SCORED = ("1005", "1016", "1035", "1041", "1057", "1061", "1063", "1080", "1082", "1084", "1086")


def table() -> str:
    """The quarter 4 scores as CSV text."""
    cells: dict[str, dict[str, str]] = defaultdict(dict)
    with open(DATA / "trust_scores_q4.csv", encoding="utf-8-sig", newline="") as f:
        for row in csv.DictReader(f):
            cells[row["Trust_code"]][row["Metric_ID"]] = row["Value"]
    header = ["org", "org_type", "in_deficit", *(f"of{m}" for m in SCORED), *(f"of{m}.score" for m in SCORED)]
    lines = [",".join(header)]
    for code in sorted(cells):
        values = cells[code]
        deficit = "yes" if float(values["OF5004"]) == 1 else "no"
        lines.append(
            ",".join([code, "mhc", deficit, *("" for _ in SCORED), *(values.get(f"OF1{m[1:]}", "") for m in SCORED)])
        )
    return "\n".join(lines) + "\n"


def league_table() -> dict[str, dict[str, str]]:
    with open(DATA / "league_table_q4.csv", encoding="utf-8-sig", newline="") as f:
        return {row["Trust_code"]: row for row in csv.DictReader(f)}
