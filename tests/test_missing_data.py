"""The missing-data analysis of `check`: which inputs blank a value, held to what the evaluator gives."""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import numpy as np
from conftest import invoke
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from policy_gen import FILE, _grid, policy_texts

from policyc.backend import interp, runtime
from policyc.backend.frame import EvalError
from policyc.ir.lower import lower
from policyc.semantics import missing
from policyc.semantics.driver import check_source
from policyc.syntax.source import Source

BROKEN = Path(__file__).parent / "policies" / "broken"


@st.composite
def complete_cases(draw):
    """A generated policy and a table with every input, judgement and metric cell present, and one row to blank."""
    text = draw(policy_texts(periods=False))
    result = check_source(Source(FILE, text))
    assume(result.ok and result.checked is not None)
    program = lower(result.checked)
    n = draw(st.integers(1, 6))
    org_type = np.array(draw(st.lists(st.integers(0, len(program.org_types) - 1), min_size=n, max_size=n)))
    columns = {
        c.name: np.array(draw(st.lists(st.sampled_from(_grid(c.type)), min_size=n, max_size=n)), dtype=np.float64)
        for c in program.columns
    }
    frame = runtime.Frame(org=tuple(f"o{k}" for k in range(n)), org_type=org_type, period=None, columns=columns)
    return text, result, program, frame, draw(st.integers(0, n - 1))


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(complete_cases())
def test_what_the_analysis_says_an_input_does_to_a_value_is_what_the_evaluator_gives(case) -> None:
    text, result, program, frame, row = case
    try:
        before = interp.evaluate(program, frame)
    except EvalError:
        assume(False)
    analysis = missing.Analysis(result.checked, result.sources)
    org_type = program.org_types[int(frame.org_type[row])]
    for column in program.columns:
        blanked = dict(frame.columns)
        blanked[column.name] = frame.columns[column.name].copy()
        blanked[column.name][row] = np.nan
        try:
            after = interp.evaluate(program, attrs.evolve(frame, columns=blanked))
        except EvalError:
            continue
        for value in result.checked.scope.order:
            said = analysis.named(value, org_type, column.name)
            was, now = before[value][row], after[value][row]
            where = f"{value} with {column.name} blank on row {row} ({org_type}): said {said.kind}"
            if said.kind == missing.ALWAYS:
                assert _missing(now), where
            if said.kind in (missing.IND, missing.PRES) and not _missing(was):
                assert not _missing(now), where
            if said.kind == missing.IND:
                assert _missing(was) == _missing(now) and (_missing(was) or was == now), where
            if said.sure and not said.dead:
                assert not _missing(was), f"{value} said surely present on a complete row of {org_type}"


POLICY = """policy "P" version "1"

org types acute, icb

scale segment: 1 > 2 > 3 > 4

input in_deficit: yes/no for all
judgement major_failing: yes/no for acute
  default no
    assume "exceptional"

metric a "A" percent, higher is better, for all
  ranked

metric b "B" percent, higher is better, for acute
  ranked

outcome segment

average_score = round(weighted_mean(metric scores), 2)

segment =
  when average_score <= 2: 1 as segment
  otherwise: 3 as segment
  no better than 3 when in_deficit
  becomes 4 when major_failing
"""


def test_the_outcome_and_every_value_in_the_map(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    path.write_text(POLICY, encoding="utf-8")
    assert "PC352" not in invoke("check", path).stdout  # asked for only
    result = invoke("check", "--explain-missing", path)
    assert result.exit_code == 0
    out = result.stdout
    assert "`segment` can be missing when `in_deficit` is missing: `no better than 3 when in_deficit`, line 25" in out
    # one metric of two on an acute trust leaves the mean present; on an icb it is the only one
    assert "`average_score` is missing whenever `a` is missing (for icb)" not in out
    assert "`average_score` can be missing when `a` is missing (for icb)" in out
    assert "`b` is missing" not in out
    # a judgement with a default never blanks anything
    assert "major_failing` is missing" not in out
    assert "warning[PC352]" in out and out.count("warning[PC352]") == 1


def test_missing_data_warns_and_strict_fails_on_it_until_the_input_has_a_default(tmp_path: Path) -> None:
    path = tmp_path / "p.policy"
    path.write_text(POLICY, encoding="utf-8")
    assert invoke("check", "--strict", path).exit_code == 0
    assert invoke("check", "--strict", "--missing-data", path).exit_code == 1
    with_default = POLICY.replace(
        "input in_deficit: yes/no for all", 'input in_deficit: yes/no for all default no source "x"'
    )
    path.write_text(with_default, encoding="utf-8")
    result = invoke("check", "--strict", "--missing-data", path)
    assert result.exit_code == 0, result.stdout
    assert "0 warnings" in result.stdout
