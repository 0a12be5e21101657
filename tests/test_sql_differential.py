"""The SQL back end on DuckDB against the reference interpreter, on the generated policies and tables of
tests/policy_gen.py: every value of every row agrees (by the numpy differential test's rules), or both fail, or
the generator refuses the policy with a PC701 diagnostic for a construct it cannot express exactly."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, note
from policy_gen import cases, describe_frame, frame_source
from test_differential import RELAXED, agree, attempt, shown

from policyc.backend import interp
from policyc.backend.sql import engine
from policyc.backend.sql.generate import generate

pytest.importorskip("duckdb")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@RELAXED
@given(cases())
def test_duckdb_and_the_interpreter_agree_on_every_value_of_every_row(case):
    program, frame = case.program, case.frame
    note(f"policy:\n{case.text}")
    note(f"table:\n{describe_frame(frame, program)}")
    note(f"frame = {frame_source(frame)}")
    interpreted, interpreted_error = attempt(lambda: interp.evaluate(program, frame))
    try:
        ran, ran_error = attempt(lambda: engine.evaluate(program, frame, threads=1))
    except engine.Refused as refused:
        # the generator refuses only what it cannot express exactly, and says where
        assert all(d.code == "PC701" and d.span is not None for d in refused.diagnostics), refused.diagnostics
        return
    if ran_error is not None:
        note(f"duckdb: EvalError {ran_error.message} (row {ran_error.row}, at {ran_error.where})")
        assert not ran_error.message.startswith("internal error"), ran_error.message
    if ran_error is not None or interpreted_error is not None:
        assert ran_error is not None and interpreted_error is not None, (
            f"only {'DuckDB' if ran_error else 'the interpreter'} failed: {(ran_error or interpreted_error).message}"
        )
        return
    assert set(ran) == {d.name for d in program.outputs()}
    wrong = []
    for decl in program.outputs():
        ours, theirs = ran[decl.name], interpreted[decl.name]
        assert len(ours) == frame.n, decl.name
        for row in range(frame.n):
            if not agree(ours[row], theirs[row], decl.type.kind):
                wrong.append(f"{decl.name} on row {row}: duckdb {shown(ours[row])}, interpreted {shown(theirs[row])}")
    if wrong:
        note("every disagreement:\n" + "\n".join(wrong))
        note(generate(program, "duckdb", columns=list(frame.columns)).sql or "")
    assert not wrong, wrong[0]


def test_a_missing_value_stays_missing_and_an_infinity_stays_infinite():
    # the interpreter's NaN-free contract: infinity minus infinity is missing, infinity itself a number
    from conftest import compile_text

    from policyc.backend.frame import Frame

    program = compile_text('policy "P"\norg types acute\ninput x "X": number for acute\nbig = x * x\ngap = big - big\n')
    import numpy as np

    frame = Frame(("A", "B"), np.array([0, 0]), None, {"x": np.array([1e200, np.nan])})
    values = engine.evaluate(program, frame)
    assert values["big"][0] == math.inf and math.isnan(values["gap"][0]) and math.isnan(values["big"][1])
