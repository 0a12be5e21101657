"""One nesting limit for every stage: a policy at the limit passes them all, one past it is refused where it
crosses the limit, and no depth of nesting ends in an exception."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import compile_text, invoke

from policyc.backend import interp, runtime
from policyc.format.printer import format_text
from policyc.semantics.driver import check_source
from policyc.syntax.depth import MAX_DEPTH
from policyc.syntax.diagnostics import underlined
from policyc.syntax.source import Source

HEADER = 'policy "P"\norg types acute\ninput a: number for acute\noutcome x\n'

# Each kind of nesting as an expression exactly `d` levels deep (the innermost name counts as a level).
NESTINGS = {
    "sum": lambda d: " + ".join(["a"] * d),
    "difference in parentheses": lambda d: "a - (" * (d - 1) + "a" + ")" * (d - 1),
    "and": lambda d: " and ".join(["a > 1"] * (d - 1)),
    "not": lambda d: "not " * (d - 2) + "a > 1",
    "call": lambda d: "abs(" * (d - 1) + "a" + ")" * (d - 1),
    "table": lambda d: "(when a > 1: " * (d - 2) + "a" + " otherwise: a)" * (d - 2),
}


def policy(kind: str, depth: int) -> str:
    return HEADER + f"x = {NESTINGS[kind](depth)}\n"


@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_a_policy_at_the_limit_passes_every_stage(kind: str, tmp_path: Path) -> None:
    text = policy(kind, MAX_DEPTH)
    path = tmp_path / "deep.policy"
    path.write_text(text, encoding="utf-8")
    data = tmp_path / "data.csv"
    data.write_text("org,org_type,a\nA,acute,2\nB,acute,0.5\n", encoding="utf-8")

    assert invoke("check", path).exit_code == 0
    assert invoke("compile", path, "--out", tmp_path / "deep.py").exit_code == 0
    evaluated = invoke("eval", path, "--data", data, "--format", "json")
    assert evaluated.exit_code == 0, evaluated.output
    explained = invoke("eval", path, "--data", data, "--explain", "A")
    assert explained.exit_code == 0, explained.output
    compared = invoke("compare", path, path, "--data", data)
    assert compared.exit_code == 0, compared.output
    formatted = invoke("fmt", path)
    assert formatted.exit_code == 0, formatted.output

    program = compile_text(text)
    frame = runtime.Frame(
        org=("A", "B"),
        org_type=np.array([0, 0], dtype=np.int64),
        period=None,
        columns={"a": np.array([2.0, 0.5])},
    )
    interpreted = interp.evaluate(program, frame)["x"]
    compiled = [row["values"]["x"] for row in json.loads(evaluated.stdout)["results"]]
    assert [float(v) for v in interpreted] == [float(v) for v in compiled]


@pytest.mark.parametrize("kind", sorted(NESTINGS))
def test_one_level_past_the_limit_is_refused_where_it_crosses_it(kind: str) -> None:
    text = policy(kind, MAX_DEPTH + 1)
    result = check_source(Source("t.policy", text))
    [diag] = result.diagnostics.sorted()
    assert diag.code == "PC902"
    # One level deeper, the innermost name is where the expression crosses the limit.
    assert (diag.span.line, underlined(diag, result.sources)) == (5, "a")
    assert diag.message == f"this expression is nested more than {MAX_DEPTH} levels deep"
    out, diags = format_text("t.policy", text)
    assert out is None and [d.code for d in diags.items] == ["PC902"]


def test_the_first_crossing_of_each_declaration_is_reported() -> None:
    deep = "abs(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH
    text = HEADER + f"x = {deep} + {deep}\ny = 1\nz = -{deep}\n"
    result = check_source(Source("t.policy", text))
    spans = [(d.code, d.span.line, d.span.col) for d in result.diagnostics.sorted()]
    assert spans == [("PC902", 5, 5 + 4 * (MAX_DEPTH - 1)), ("PC902", 7, 6 + 4 * (MAX_DEPTH - 1))]


@pytest.mark.parametrize("terms", [1_000, 20_000])
def test_a_long_flat_sum_is_refused_without_an_exception(terms: int) -> None:
    text = HEADER + "x = " + " + ".join(["a"] * terms) + "\n"
    result = check_source(Source("t.policy", text))
    [diag] = result.diagnostics.sorted()
    assert diag.code == "PC902" and (diag.span.line, diag.span.col) == (5, 5)
