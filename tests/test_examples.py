"""The synthetic example datasets: reproducible from their generator, accepted by their policies, realistic."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ENGLAND = EXAMPLES / "england_synthetic.csv"
PERFORMANCE = EXAMPLES / "performance_2009_synthetic.csv"
OVERSIGHT_POLICY = ROOT / "policies" / "oversight_2025.policy"
PERFORMANCE_POLICY = ROOT / "policies" / "performance_2009.policy"


def evaluate(policy: Path, data: Path) -> list[dict]:
    result = CliRunner().invoke(main, ["eval", str(policy), "--data", str(data), "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["results"]


def read(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def oversight() -> list[dict]:
    return evaluate(OVERSIGHT_POLICY, ENGLAND)


@pytest.fixture(scope="module")
def performance() -> list[dict]:
    return evaluate(PERFORMANCE_POLICY, PERFORMANCE)


def test_the_generator_reproduces_the_committed_files(tmp_path):
    subprocess.run(
        [sys.executable, str(EXAMPLES / "generate.py"), "--out", str(tmp_path)], check=True, capture_output=True
    )
    for committed in (ENGLAND, PERFORMANCE):
        assert (tmp_path / committed.name).read_bytes() == committed.read_bytes(), (
            f"{committed.name} differs from what examples/generate.py writes: run it and commit the result"
        )


def test_acute_ae_four_hours_is_at_2025_levels():
    values = [float(row["ae_4_hours"]) for row in read(ENGLAND) if row["org_type"] == "acute" and row["ae_4_hours"]]
    assert 65 <= sum(values) / len(values) <= 85


def test_every_segment_1_to_4_holds_acute_trusts_each_quarter(oversight):
    by_period: dict[str, set] = {}
    for result in oversight:
        if result["org_type"] == "acute":
            by_period.setdefault(result["period"], set()).add(result["values"]["segment"])
    assert len(by_period) == 4
    for period, segments in by_period.items():
        assert {1, 2, 3, 4} <= segments, period


def test_about_a_third_of_trusts_are_in_deficit(oversight):
    trusts = [r["values"]["in_deficit"] for r in oversight if r["org_type"] != "icb"]
    assert 0.25 <= sum(trusts) / len(trusts) <= 0.45


def test_2009_categories_spread_as_in_the_framework(performance):
    for period in sorted({r["period"] for r in performance}):
        overall = Counter(r["values"]["overall"] for r in performance if r["period"] == period)
        total = sum(overall.values())
        assert 0.35 <= overall["performing"] / total <= 0.65, (period, overall)
        assert overall["under_review"] and overall["underperforming"], (period, overall)


def test_2009_escalation_is_exercised(performance):
    challenged = {r["org"] for r in performance if r["values"]["challenged_discussion"]}
    designated = {r["org"] for r in performance if r["values"]["designated_challenged"]}
    assert challenged
    assert 1 <= len(designated) <= 2 and designated <= challenged
    returns = Counter(r["org"] for r in performance)
    assert sorted(returns.values()).count(5) == 1 and set(returns.values()) == {5, 6}
