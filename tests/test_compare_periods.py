"""`policyc compare POLICY --periods FIRST,SECOND`: one policy's outcomes in one period beside another's."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policyc import cli

POLICY = """policy "Quarterly" version "1"
org types acute, icb
outcome segment
scale segment: 1 > 2 > 3
input score: number for all
input in_deficit: yes/no for all
band = when score >= 80: 1 when score >= 50: 2 otherwise: 3
segment = band as segment
  no better than 2 when in_deficit
"""

# R1 improves (60 -> 85); R2 goes into deficit (90, no -> 90, yes): 1 -> 2; R3 stays; R4 has no second quarter
DATA = """org,org_type,period,score,in_deficit
R1,acute,2025Q1,60,no
R1,acute,2025Q2,85,no
R2,acute,2025Q1,90,no
R2,acute,2025Q2,90,yes
R3,acute,2025Q1,40,no
R3,acute,2025Q2,45,no
R4,acute,2025Q1,70,no
I1,other,2025Q1,70,no
"""


def run(tmp_path: Path, *args: str):
    (tmp_path / "p.policy").write_text(POLICY)
    (tmp_path / "d.csv").write_text(DATA.replace(",other,", ",icb,"))
    return CliRunner().invoke(
        cli.main, ["compare", str(tmp_path / "p.policy"), "--data", str(tmp_path / "d.csv"), *args]
    )


def test_who_moved_from_one_quarter_to_the_next_and_why(tmp_path: Path) -> None:
    result = run(tmp_path, "--periods", "2025Q1,2025Q2", "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["title"] == "Quarterly 1, 2025Q1 vs Quarterly 1, 2025Q2"
    rows = {r["org"]: r for r in document["rows"]}
    assert rows["R1"]["direction"] == "better under B" and rows["R1"]["outcomes"][1]["value"] == "1"
    assert rows["R2"]["direction"] == "worse under B"
    assert rows["R2"]["driver"] == "B: segment: no better than 2 when in_deficit"  # the override applied
    assert rows["R1"]["driver"] == "A: band: when score >= 50: 2"  # the worse side: its quarter's band
    assert not rows["R3"]["moved"] and rows["R4"]["outcomes"][1] is None  # no second quarter: not rated
    table = run(tmp_path, "--periods", "2025Q1,2025Q2")
    assert "2 of 3 rows stand differently (1 worse under B, 1 better), 1 the same" in table.stdout


def test_periods_asked_for_wrongly_are_named(tmp_path: Path) -> None:
    for args, message in (
        (("--periods", "2025Q1"), "two periods, the first and the second"),
        (("--periods", "2025Q1,2026Q1"), "no row of period 2026Q1; the table holds 2025Q1, 2025Q2"),
        (("--periods", "2025Q1,Q2"), "`Q2` is not a period: write it as 2025Q3"),
    ):
        result = run(tmp_path, *args)
        assert result.exit_code in (1, 2) and message in result.stderr, (args, result.output)
    both = CliRunner().invoke(
        cli.main,
        [
            "compare",
            str(tmp_path / "p.policy"),
            str(tmp_path / "p.policy"),
            "--periods",
            "2025Q1,2025Q2",
            "--data",
            str(tmp_path / "d.csv"),
        ],
    )
    assert both.exit_code == 2 and "--periods compares one policy's periods" in both.stderr
    alone = CliRunner().invoke(cli.main, ["compare", str(tmp_path / "p.policy"), "--data", str(tmp_path / "d.csv")])
    assert alone.exit_code == 2 and "two policies to compare" in alone.stderr
