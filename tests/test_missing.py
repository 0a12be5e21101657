"""Missing outcomes counted and traced: `eval` warns of them, `compare` gives them their own place."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from policyc import cli
from policyc.analysis.evaluation import evaluate_text
from policyc.analysis.missing import missing
from policyc.backend.compile import compile_file

POLICY = """policy "Gaps" version "1"
org types acute
outcome band
scale level: good > poor
input score: number for all
input in_deficit: yes/no for all
input weight: number for all
ratio = score / weight
band = when ratio >= 10: good otherwise: poor
  no better than poor when in_deficit
"""

OTHER = POLICY.replace('"Gaps"', '"Other"').replace("ratio >= 10", "ratio >= 20")

DATA = """org,org_type,score,in_deficit,weight
A1,acute,50,no,2
A2,acute,,no,2
A3,acute,40,,2
A4,acute,,,1
A5,acute,30,no,0
A6,acute,90,yes,3
"""


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def test_each_missing_outcome_is_traced_to_the_inputs_missing_on_its_way(tmp_path: Path) -> None:
    (tmp_path / "p.policy").write_text(POLICY)
    _, compiled = compile_file(str(tmp_path / "p.policy"))
    evaluation = evaluate_text(compiled, DATA, "d.csv")
    found = missing(compiled.program, evaluation.frame, evaluation.values, "band")
    # A2: score missing; A3: in_deficit missing; A4: both; A5: score / 0 gives no ratio, from values all present
    assert found.rows == 4
    assert found.causes == (("in_deficit", 2), ("score", 2), ("ratio (its rule)", 1))
    assert found.text() == ("4 rows have no band: missing on the way, in_deficit (2), score (2), ratio (its rule) (1)")


def test_eval_warns_of_missing_outcomes_and_compare_counts_them_apart(tmp_path: Path) -> None:
    (tmp_path / "p.policy").write_text(POLICY)
    (tmp_path / "q.policy").write_text(OTHER)
    (tmp_path / "d.csv").write_text(DATA)
    result = run("eval", tmp_path / "p.policy", "--data", tmp_path / "d.csv", "--format", "csv")
    assert result.exit_code == 0
    assert (
        result.stderr
        == "warning: 4 rows have no band: missing on the way, in_deficit (2), score (2), ratio (its rule) (1)\n"
    )
    table = run("compare", tmp_path / "p.policy", tmp_path / "q.policy", "--data", tmp_path / "d.csv")
    # A1 is good under A (ratio 25 >= 10), good under B (25 >= 20); A6 poor under both (in deficit): unchanged
    assert (
        "0 of 6 rows stand differently (0 worse under B, 0 better), 2 the same, and 4 have no outcome" in table.stdout
    )
    assert "A has no band for 4 of the 6 rows it rates: missing on the way, in_deficit (2), score (2)" in table.stdout
    document = json.loads(
        run(
            "compare", tmp_path / "p.policy", tmp_path / "q.policy", "--data", tmp_path / "d.csv", "--format", "json"
        ).stdout
    )
    a = document["policies"][0]
    assert a["missing"] == 4 and a["missing_causes"][0] == ["in_deficit", 2]
    html = run(
        "compare", tmp_path / "p.policy", tmp_path / "q.policy", "--data", tmp_path / "d.csv", "--format", "html"
    )
    assert '<span class="k">No outcome</span><span class="n">4</span>' in html.stdout
    assert '<span class="k">Unchanged</span><span class="n">2</span>' in html.stdout
