"""`policyc test`: a policy's own tests, their failures explained, coverage, and suggested boundary cases."""

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli import main

ROOT = Path(__file__).resolve().parents[1]

POLICY = """policy "T" version "1"
org types acute, ambulance
scale category: performing > under_review > underperforming
input score: number for all
input failing: yes/no for all
metric waits "Patients seen within four hours" percent, higher is better, for acute
  bands
    95 <= value: 3
    90 <= value < 95: 2
    value < 90: 0
  source "bands"

overall =
  when score >= 80: performing
  when score >= 60: under_review
  otherwise: underperforming
  source "table"
  becomes underperforming when failing
    source "override"

streak = run(overall is underperforming)
  source "escalation"

test "performing at 80 and above"
  given org_type acute, score 80, failing no
  expect overall performing
  source "table"

test "a run over quarters, one organisation"
  given q1: org A, org_type acute, period 2009Q1, score 50, failing no
  given q2: org A, org_type acute, period 2009Q2, score 70, failing yes
  expect q1: streak 1
  expect q2: streak 2, overall underperforming
  source "escalation"
"""

BROKEN = POLICY.replace("expect overall performing", "expect overall under_review")


def write(tmp_path: Path, text: str, name: str = "t.policy") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def invoke(*args: str):
    return CliRunner().invoke(main, ["test", *args])


def test_passing_tests_and_their_coverage(tmp_path: Path) -> None:
    result = invoke(write(tmp_path, POLICY))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("t.policy: 2 tests, 2 passed, 0 failed")
    # rules 2, table rows 3, adjustment 1, score 1 and band rows 3: 10 items; the score and bands are never read
    assert "  coverage: 60.0% (6 of 10 rules, table rows, adjustments and scoring cases)" in lines
    missed = result.stdout[result.stdout.index("never hit:") :]
    assert "table row  when score >= 60: under_review" not in missed  # q2's rule chose it before the override
    assert "table row  otherwise: underperforming" not in missed
    assert "band row   95 <= value: 3" in missed


def test_a_broken_expectation_fails_with_the_value_and_how_it_came_about(tmp_path: Path) -> None:
    result = invoke(write(tmp_path, BROKEN))
    assert result.exit_code == 1
    out = result.stdout
    assert "2 tests, 1 passed, 1 failed" in out
    assert 'FAIL t.policy:24: test "performing at 80 and above"' in out
    assert "row row: overall expected under_review, got performing" in out
    assert "rule: a decision table of 3 rows    (t.policy:13)" in out
    assert "chosen: when score >= 80 (with score 80): performing" in out
    assert "then: becomes underperforming when failing    (t.policy:18): does not apply" in out


def test_json_for_machines(tmp_path: Path) -> None:
    result = invoke(write(tmp_path, BROKEN), "--format", "json")
    assert result.exit_code == 1
    (report,) = json.loads(result.stdout)["files"]
    assert (report["passed"], report["failed"]) == (1, 1)
    failure = report["tests"][0]["failures"][0]
    assert {k: failure[k] for k in ("row", "name", "expected", "actual")} == {
        "row": "row",
        "name": "overall",
        "expected": "under_review",
        "actual": "performing",
    }
    assert report["coverage"]["total"] == 10
    assert {"kind": "band row", "name": "waits.score", "text": "value < 90: 0", "where": "t.policy:7"} in report[
        "coverage"
    ]["missed"]


def test_coverage_below_the_minimum_fails(tmp_path: Path) -> None:
    path = write(tmp_path, POLICY)
    assert invoke(path, "--coverage-min", "60").exit_code == 0
    result = invoke(path, "--coverage-min", "75")
    assert result.exit_code == 1
    assert "coverage 60.0% is below 75%" in result.stderr


def test_suggested_boundary_cases_pass_when_kept(tmp_path: Path) -> None:
    path = write(tmp_path, POLICY)
    result = invoke("--suggest", path)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert 'test "boundary: waits around 95"' in text
    assert "  given below: org_type acute, waits 94.9\n" in text
    assert "  expect below: waits.score 2\n  expect at: waits.score 3\n  expect above: waits.score 3\n" in text
    assert 'test "boundary: overall with score around 60"' in text
    kept = write(tmp_path, POLICY + "\n" + text, "kept.policy")
    after = invoke(kept)
    assert after.exit_code == 0, after.output
    # the author's 2, and 4 cut points (90 and 95 in the bands, 60 and 80 in the table), which cover everything
    assert "6 tests, 6 passed, 0 failed\n  coverage: 100.0% (10 of 10" in after.stdout


def test_a_policy_with_errors_is_not_run(tmp_path: Path) -> None:
    result = invoke(write(tmp_path, POLICY.replace("score >= 80", "scor >= 80")))
    assert result.exit_code == 1
    assert "unknown name `scor`" in result.stderr
    assert "t.policy: 1 error; fix it first (`policyc check` lists the same)" in result.stderr


def test_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    assert invoke(str(tmp_path / "absent.policy")).exit_code == 2


@pytest.mark.parametrize(
    "name", ["oversight_2025.policy", "performance_2009.policy", "oversight_2025_q3_cut_points.policy"]
)
def test_the_shipped_policies_pass_their_tests_and_cover_every_rule(name: str) -> None:
    result = invoke(str(ROOT / "policies" / name), "--coverage-min", "100")
    assert result.exit_code == 0, result.output
    assert " 0 failed" in result.stdout


def test_each_pre_commit_hook_runs_clean_on_the_shipped_policies() -> None:
    text = (ROOT / ".pre-commit-hooks.yaml").read_text()
    hooks = re.findall(r"^- id: (\S+)\n(?:  .*\n)*?  entry: policyc (.+)$", text, re.M)
    assert [hook for hook, _ in hooks] == ["policyc-check", "policyc-fmt", "policyc-test"]
    files = sorted(str(p) for p in (ROOT / "policies").glob("*.policy"))
    for _, entry in hooks:
        result = CliRunner().invoke(main, entry.split() + files)
        assert result.exit_code == 0, (entry, result.output)


def test_junit_has_a_suite_per_file_and_a_case_per_test_with_its_failure(tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    failing = ROOT / "tests" / "policies" / "valid" / "skeleton_2009.policy"  # "cohort" fails, row b
    hostile = tmp_path / "hostile.policy"
    hostile.write_text(
        'policy "P"\norg types acute\ninput x: number for all\ny = x + 1\n'
        'test "bell \x07 and escape \x1b[31m"\n  given org_type acute, x 1\n  expect y 3\n',
        encoding="utf-8",
    )
    result = invoke("--format", "junit", str(failing), str(hostile))
    assert result.exit_code == 1
    root = ET.fromstring(result.stdout)  # well-formed, control characters and all
    assert (root.tag, root.get("tests"), root.get("failures"), root.get("errors")) == ("testsuites", "3", "2", "0")
    first, second = root.findall("testsuite")
    assert first.get("name") == str(failing) and first.get("tests") == "2" and first.get("failures") == "1"
    assert first.find("properties/property").attrib == {"name": "coverage", "value": "40.0"}
    passed, cohort = first.findall("testcase")
    assert passed.get("name") == "major failing overrides" and passed.find("failure") is None
    assert (cohort.get("name"), cohort.get("line"), cohort.get("file")) == ("cohort", "67", str(failing))
    failure = cohort.find("failure")
    assert failure.get("message") == "row b: ux_passes expected 0, got 1"
    assert failure.text.splitlines()[:2] == ["row b: ux_passes expected 0, got 1", "ux_passes = 1"]
    (case,) = second.findall("testcase")
    assert case.get("name") == "bell \\x07 and escape \\x1b[31m"
    assert case.find("failure").get("message") == "row row: y expected 3, got 2"  # an unnamed row is `row`
