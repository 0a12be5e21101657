"""`policyc improve`: the smallest change of each metric that reaches a better outcome, searched exactly over the
peers' values and verified on the whole table; the fewest metrics together; the gates no metric passes; the
average's distance to the cut point."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from policyc import cli
from policyc.analysis.evaluation import evaluate_text
from policyc.analysis.explain import rows_of
from policyc.analysis.improve import improve
from policyc.backend.compile import compile_file

sys.path.insert(0, str(Path(__file__).parent / "likely"))
import q4  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
REGIME_2025 = ROOT / "policies" / "oversight_2025.policy"
ENGLAND = ROOT / "examples" / "england_synthetic.csv"


@pytest.fixture(scope="module")
def england():
    _, compiled = compile_file(str(REGIME_2025))
    return compiled, evaluate_text(compiled, ENGLAND.read_text(), str(ENGLAND))


def outcome_with(compiled, run, row: int, changed: dict[str, float]) -> float:
    columns = {name: column.copy() for name, column in run.frame.columns.items()}
    for name, value in changed.items():
        columns.setdefault(name, np.full(run.frame.n, np.nan))[row] = value  # a value given where none was
    frame = type(run.frame)(run.frame.org, run.frame.org_type, run.frame.period, columns, run.frame.lines)
    return float(run.module.evaluate(frame, {})["segment"][row])


def encoded(compiled, metric: str, value) -> float:
    t = compiled.program.decl(metric).type
    return float(t.labels.index(value)) if isinstance(value, str) else float(value)


def found_for(england, org: str, target: str):
    compiled, run = england
    (row,) = rows_of(run.frame, org, "2025Q3")
    return row, improve(compiled, run.module, run.frame, run.values, run.notes, row, target)


@pytest.mark.parametrize(("org", "target"), [("SYNA005", "3"), ("SYNA004", "1"), ("SYNA010", "1"), ("SYNA009", "2")])
def test_every_suggestion_reaches_the_target_and_no_smaller_change_of_its_metric_does(england, org, target) -> None:
    compiled, run = england
    row, found = found_for(england, org, target)
    goal = float(target) - 1  # segment n is position n - 1
    assert not found.reached and not found.gates
    for suggestion in found.alone[:4]:
        (change,) = suggestion.changes
        after = encoded(compiled, change.metric, change.after)
        before = encoded(compiled, change.metric, change.before)
        assert outcome_with(compiled, run, row, {change.metric: after}) <= goal
        assert float(suggestion.outcome) <= float(target)
        if isinstance(change.after, str):  # a label: the one next before it on its scale falls short
            step = 1.0 if after > before else -1.0
            assert after - step == before or outcome_with(compiled, run, row, {change.metric: after - step}) > goal
            continue
        # bisection between the value as it is and the suggestion: every point short of it falls short
        lo, hi = before, after
        for _ in range(12):
            mid = (lo + hi) / 2
            if outcome_with(compiled, run, row, {change.metric: mid}) <= goal:
                hi = mid
            else:
                lo = mid
        assert hi == pytest.approx(after, abs=abs(after - before) / 1000), change.metric
    peers = run.frame.org_type == run.frame.org_type[row]
    for metric in found.not_alone[:4]:  # at either end of the cohort's values, the metric alone falls short
        cells = run.frame.columns[metric][peers]
        for end in (np.nanmin(cells), np.nanmax(cells)):
            assert outcome_with(compiled, run, row, {metric: float(end)}) > goal, metric
    if found.together is not None:
        changed = {c.metric: encoded(compiled, c.metric, c.after) for c in found.together.changes}
        assert outcome_with(compiled, run, row, changed) <= goal
        for metric in changed:  # every one is needed: without it, the others fall short
            rest = {k: v for k, v in changed.items() if k != metric}
            assert outcome_with(compiled, run, row, rest) > goal or len(changed) == 1


def test_the_average_s_distance_to_the_cut_point_is_exact(england) -> None:
    compiled, run = england
    row, found = found_for(england, "SYNA005", "3")
    assert found.average == "average_score" and found.average_needed is not None
    assert found.average_needed < found.average_value
    at = outcome_with(compiled, run, row, {"average_score": found.average_needed})
    short = outcome_with(compiled, run, row, {"average_score": round(found.average_needed + 0.01, 2)})
    assert at <= 2 < short


def test_a_trust_in_deficit_is_held_at_3_whatever_its_metrics(england) -> None:
    _, run = england
    row, found = found_for(england, "SYNA003", "2")
    assert run.values["in_deficit"][row] == 1
    assert [g.rule for g in found.gates] == ["no better than 3 when in_deficit"]
    assert found.alone == () and found.together is None
    _, to_3 = found_for(england, "SYNA003", "3")
    assert to_3.reached  # already segment 3: the gate is no gate for 3


def test_the_command_answers_in_text_and_json_and_names_what_it_cannot_do() -> None:
    run = lambda *args: CliRunner().invoke(cli.main, [str(a) for a in args])  # noqa: E731
    base = ("improve", REGIME_2025, "--data", ENGLAND)
    text = run(*base, "--org", "SYNA005@2025Q3", "--to", "3")
    assert text.exit_code == 0, text.output
    assert text.stdout.startswith("SYNA005@2025Q3: segment 4; the target: 3 or better")
    assert "average_score 3.33 would need to be 2.67" in text.stdout
    document = json.loads(run(*base, "--org", "SYNA005", "--period", "2025Q3", "--to", "3", "--format", "json").stdout)
    assert document["org"] == "SYNA005" and document["value"] == "4" and document["average_needed"] == 2.67
    gated = run(*base, "--org", "SYNA003@2025Q3", "--to", "1")
    assert (
        "no better than 3 when in_deficit (oversight_2025.policy:" in gated.stdout and "in_deficit yes" in gated.stdout
    )
    for args, message in (
        (("--org", "SYNA005", "--to", "3"), "`SYNA005` has a row in each of 2025Q1, 2025Q2, 2025Q3, 2025Q4"),
        (("--org", "SYNA005@2025Q3", "--to", "6"), "`6` is not a value of `segment`: one of 1, 2, 3, 4, 5"),
        (("--org", "SYNA0005@2025Q3", "--to", "3"), "no organisation `SYNA0005`"),
    ):
        result = run(*base, *args)
        assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output


@pytest.mark.skipif(not q4.DATA.is_dir(), reason="the published data of ../shared is not beside the project")
def test_on_the_published_scores_only_the_average_can_move(tmp_path: Path) -> None:
    _, compiled = compile_file(str(q4.POLICY))
    run = evaluate_text(compiled, q4.table(), "q4.csv")
    (row,) = rows_of(run.frame, "RT2")
    found = improve(compiled, run.module, run.frame, run.values, run.notes, row, "3")
    assert found.value == "4" and found.average_value == pytest.approx(2.67)
    assert found.average_needed == pytest.approx(2.58)  # the policy's assumed cut point between 3 and 4
    assert len(found.unreported) == 11 and found.alone == ()  # the raw values of quarter 4 are not published
    assert not math.isnan(found.average_needed) and np.isfinite(found.average_needed)


LONG_DATA = q4.DATA / "trust_data_q1_q3.csv"


@pytest.mark.skipif(not LONG_DATA.is_file(), reason="the published data of ../shared is not beside the project")
def test_on_the_published_raw_values_each_suggestion_is_verified() -> None:
    from policyc.analysis.evaluation import evaluate_file

    _, compiled = compile_file(str(ROOT / "policies" / "nof_2025_26.policy"))
    run = evaluate_file(compiled, str(LONG_DATA), mapping=str(ROOT / "mappings" / "nof_2025_26_trust_data.toml"))
    (row,) = rows_of(run.frame, "RT2", "2025Q3")
    found = improve(compiled, run.module, run.frame, run.values, run.notes, row, "2")
    assert (found.value, found.average_value, found.average_needed) == ("3", 2.44, 2.33)
    assert len(found.alone) >= 3
    for suggestion in found.alone:
        (change,) = suggestion.changes
        columns = {name: column.copy() for name, column in run.frame.columns.items()}
        columns[change.metric][row] = float(change.after)
        frame = type(run.frame)(run.frame.org, run.frame.org_type, run.frame.period, columns, run.frame.lines)
        assert run.module.evaluate(frame, {})["segment"][row] <= 1  # segment 2 is position 1
