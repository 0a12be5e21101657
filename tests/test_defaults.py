"""Declared defaults: `default V` on an input reads an empty cell as V, in both back ends, explained as such."""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import compile_text, compiled_text, invoke

from policyc.analysis.explain import explain
from policyc.backend import interp, runtime
from policyc.backend.sql.generate import generate as generate_sql
from policyc.format.printer import format_text
from policyc.syntax import ast
from policyc.syntax.read import parse_text

POLICY = """policy "Defaults" version "1"

org types acute, icb

scale segment: 1 > 2 > 3 > 4

judgement major_failing "Major failing": yes/no for acute
  source "Annex B"
  default no
    assume "the seed treats it as exceptional (3.4: 'Exceptional circumstances may occasionally arise')"

input beds_closed: count
  default 0
    source "Annex C: no closures are reported as a blank"

input prior: segment
  default 3
    assume "an organisation new to the framework starts in the middle"

outcome now

now =
  when major_failing: 4 as segment
  otherwise: prior
  no better than 2 when beds_closed > 1
"""

ORG_TYPES = {"acute": 0, "icb": 1}


def frame(rows: list[tuple[str, str, float, float, float]], absent: tuple[str, ...] = ()) -> runtime.Frame:
    names = ("major_failing", "beds_closed", "prior")
    columns = {
        name: np.array([row[2 + k] for row in rows], dtype=np.float64)
        for k, name in enumerate(names)
        if name not in absent
    }
    return runtime.Frame(
        org=tuple(row[0] for row in rows),
        org_type=np.array([ORG_TYPES[row[1]] for row in rows], dtype=np.int64),
        period=None,
        columns=columns,
    )


NAN = math.nan
ROWS = [
    ("A", "acute", NAN, NAN, NAN),  # every cell empty: no, 0 and segment 3 (position 2)
    ("B", "acute", 1.0, 3.0, 0.0),  # nothing empty
    ("C", "icb", NAN, NAN, NAN),  # major_failing does not apply to an icb: missing, whatever its default
    ("D", "acute", 0.0, NAN, 0.0),
]


def both(text: str, table: runtime.Frame) -> tuple[dict, dict]:
    compiled = compiled_text(text)
    numpy_values = compiled.module().evaluate(table)
    reference = interp.evaluate(compiled.program, table)
    return numpy_values, reference


def decoded(column) -> list:
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v) for v in column]


def test_the_syntax_tree_holds_the_default_and_its_own_provenance() -> None:
    policy = parse_text("t.policy", POLICY).policy
    assert policy is not None
    inputs = {i.name.text: i for i in policy.items if isinstance(i, ast.Input)}
    judgement = inputs["major_failing"]
    assert [p.kind for p in judgement.provenance] == ["source"]
    assert judgement.default is not None
    assert judgement.default.value == ast.Literal("bool", "no")
    assert [p.kind for p in judgement.default.provenance] == ["assume"]
    assert inputs["beds_closed"].default == ast.Default(
        ast.Literal("number", "0"), (ast.Provenance("source", "Annex C: no closures are reported as a blank"),)
    )


def test_the_canonical_text_of_a_default_is_stable_and_parses_back() -> None:
    squeezed = POLICY.replace(
        "input beds_closed: count\n  default 0\n    source", "input beds_closed: count default 0 source"
    )
    assert squeezed != POLICY
    out, _ = format_text("t.policy", squeezed)
    assert out == POLICY
    assert format_text("t.policy", POLICY)[0] == POLICY


def test_the_lowered_column_holds_the_encoded_default() -> None:
    program = compile_text(POLICY)
    assert program.column("major_failing").default == 0
    assert program.column("beds_closed").default == 0.0
    assert program.column("prior").default == 2  # segment 3 is the scale's third value
    assert [p.kind for p in program.column("prior").default_provenance] == ["assume"]


def test_an_empty_cell_reads_as_the_default_in_both_back_ends() -> None:
    numpy_values, reference = both(POLICY, frame(ROWS))
    for values in (numpy_values, decoded_all(reference)):
        assert decoded(values["major_failing"]) == [0.0, 1.0, None, 0.0]
        assert decoded(values["beds_closed"]) == [0.0, 3.0, 0.0, 0.0]
        assert decoded(values["prior"]) == [2.0, 0.0, 2.0, 0.0]
        # A: no major failing, segment 3 (position 2); B: major failing gives 4, capped at 2 for 3 beds closed;
        # C: the table's condition is missing on an icb; D: prior segment 1
        assert decoded(values["now"]) == [2.0, 3.0, None, 0.0]


def decoded_all(values: dict) -> dict:
    return {name: [NAN if v is None else v for v in column] for name, column in values.items()}


def test_a_column_the_table_lacks_reads_as_the_default_on_every_row_it_applies_to() -> None:
    numpy_values, reference = both(POLICY, frame(ROWS, absent=("major_failing", "prior")))
    for values in (numpy_values, decoded_all(reference)):
        assert decoded(values["major_failing"]) == [0.0, 0.0, None, 0.0]
        assert decoded(values["prior"]) == [2.0, 2.0, 2.0, 2.0]


def test_without_a_default_an_empty_cell_stays_missing() -> None:
    plain = POLICY.replace('  default 0\n    source "Annex C: no closures are reported as a blank"\n', "")
    numpy_values, reference = both(plain, frame(ROWS))
    assert decoded(numpy_values["beds_closed"]) == [None, 3.0, None, None]
    assert decoded(reference["beds_closed"]) == [None, 3.0, None, None]


def test_explain_marks_a_value_taken_from_its_default_and_counts_its_assumption() -> None:
    compiled = compiled_text(POLICY)
    module = compiled.module()
    table = frame(ROWS)
    notes: dict = {}
    values = module.evaluate(table, notes)
    text = explain(compiled, module, table, values, notes, "A")
    assert "  major_failing = no (a judgement) (default: the cell is empty)" in text
    assert "  beds_closed = 0 (default: the cell is empty)" in text
    assert "  prior = 3 (default: the cell is empty)" in text
    assert "this result rests on 2 assumptions:" in text
    assert "the seed treats it as exceptional" in text
    # B's cells are all given: no default, and no assumption of a default
    given = explain(compiled, module, table, values, notes, "B")
    assert "(default" not in given
    assert "this result rests on 0 assumptions" in given


def test_the_sql_back_end_reads_the_defaults_too() -> None:
    # tests/test_sql_defaults.py holds its values to the numpy evaluator's
    generated = generate_sql(compile_text(POLICY))
    assert generated.sql is not None and not [d for d in generated.diagnostics if d.code == "PC701"]
    assert "COALESCE" in generated.sql


@pytest.mark.parametrize(
    ("default", "code"),
    [('default maybe\n    assume "x"', "PC327"), ("default no", "PC326"), ('default missing\n    assume "x"', "PC327")],
)
def test_check_refuses_a_default_of_the_wrong_type_or_without_provenance(default: str, code: str, tmp_path) -> None:
    text = POLICY.replace(
        "default no\n    assume \"the seed treats it as exceptional (3.4: 'Exceptional circumstances may occasionally "
        "arise')\"",
        default,
    )
    path = tmp_path / "p.policy"
    path.write_text(text, encoding="utf-8")
    result = invoke("check", path)
    assert result.exit_code == 1
    assert f"error[{code}]" in result.stdout
