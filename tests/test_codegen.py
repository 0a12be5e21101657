"""The code generator: golden modules, determinism, safe names and literals, and failures that name the policy line."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import numpy as np
import pytest
from test_differential import assert_commented, comments

from policyc.backend.codegen import generate, mangle
from policyc.backend.frame import EvalError, Frame
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import check_file, check_source
from policyc.semantics.types import BOOL, Type
from policyc.syntax.source import Source, Span

ROOT = Path(__file__).parent
GOLDEN = ROOT / "golden" / "codegen"
POLICIES = sorted((ROOT / "policies" / "valid").glob("*.policy")) + sorted((ROOT.parent / "policies").glob("*.policy"))

# The node kinds the generator emits; anything else in a module means user text became code.
ALLOWED = {
    ast.Module,
    ast.Expr,
    ast.Constant,
    ast.ImportFrom,
    ast.alias,
    ast.Assign,
    ast.Name,
    ast.Store,
    ast.Load,
    ast.Tuple,
    ast.Dict,
    ast.FunctionDef,
    ast.arguments,
    ast.arg,
    ast.Return,
    ast.Try,
    ast.ExceptHandler,
    ast.Raise,
    ast.Call,
    ast.Attribute,
    ast.BinOp,
    ast.UnaryOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.USub,
}
FIXED_NAMES = {
    "rt",
    "t",
    "n",
    "frame",
    "notes",
    "error",
    "Exception",
    "POLICY",
    "ORG_TYPES",
    "COHORTS",
    "OUTCOME",
    "SOURCES",
    "evaluate",
    "_evaluate",
}


def program_of(text: str, path: str = "t.policy"):
    result = check_source(Source(path, text))
    assert result.ok, [d.message for d in result.diagnostics.items]
    return lower(result.checked)


def module_of(source: str) -> dict:
    namespace: dict = {}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace


def assert_safe(source: str) -> None:
    tree = ast.parse(source)
    for node in ast.walk(tree):
        assert type(node) in ALLOWED, f"unexpected {type(node).__name__} at line {getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Name):
            name = node.id
            assert name in FIXED_NAMES or name[:2] in ("v_", "s_") or (name[0] == "_" and name[1:].isdigit()), name
        if isinstance(node, ast.Attribute):
            assert not node.attr.startswith("__"), node.attr
        if isinstance(node, ast.ImportFrom):
            assert (node.module, [a.name for a in node.names]) == ("policyc.backend", ["runtime"])


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_generated_module_matches_its_golden_file(path: Path) -> None:
    result = check_file(path.relative_to(ROOT.parent))
    source = generate(lower(result.checked))
    golden = GOLDEN / (path.stem + ".py.txt")
    if os.environ.get("POLICYC_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(source, encoding="utf-8")
    assert source == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.name)
def test_generated_modules_are_deterministic_and_hold_only_what_the_generator_emits(path: Path) -> None:
    program = lower(check_file(path).checked)
    first = generate(program)
    second = generate(lower(check_file(path).checked))
    assert first == second
    assert_safe(first)
    assert_commented(first, program)


def test_each_step_names_its_policy_line_by_the_file_name_alone() -> None:
    path = ROOT.parent / "policies" / "oversight_2025.policy"
    source = generate(lower(check_file(path.resolve()).checked))
    assert "    t.step = 0  # oversight_2025.policy:" in source
    assert all(str(path.parent) not in comment for _, _, comment in comments(source))


def test_the_comment_check_refuses_a_step_without_its_line_and_a_comment_that_is_not_a_label() -> None:
    program = program_of(
        'policy "P"\norg types acute\nscale segment: 1 > 2\ninput x: number for all\ns = x as segment\n'
    )
    source = generate(program)
    assert_commented(source, program)
    with pytest.raises(AssertionError, match="without their policy line"):
        assert_commented(source.replace("  # t.policy:5", ""), program)
    with pytest.raises(AssertionError, match="names no labels"):
        assert_commented(source.replace("# for all", "# for everyone"), program)


ADVERSARIAL = (
    r"""policy "quote \" backslash \\ """
    + "'''"
    + r""" end" version "x\"); import os; ("
  source "\"\"\" __import__('os').system('true') #"

org types class, __init__, import
cohort object: class, __init__, import

scale segment: 1 "one \"1\"" > 2 > 3

input __dict__ "a \\ title": yes/no for class, __init__
input lambda: percent for all

metric def "def f(): pass" percent, higher is better, for all
  ranked
  source "\n not a newline \\n"

v_def = round(def.score, 1)
return = when __dict__ and lambda > 50: 1 otherwise: 2
None = return as segment
"""
)


def test_adversarial_names_and_strings_compile_to_safe_code(tmp_path: Path) -> None:
    folder = tmp_path / 'we"ird \\ dir\nname'
    folder.mkdir()
    path = folder / "p.policy"
    path.write_text(ADVERSARIAL, encoding="utf-8")
    result = check_file(path)
    assert result.ok, [d.message for d in result.diagnostics.items]
    program = lower(result.checked)
    source = generate(program)
    assert_safe(source)
    assert_commented(source, program)
    assert all("ird" not in comment for _, _, comment in comments(source))
    module = module_of(source)
    assert module["POLICY"] == {"name": program.name, "version": program.version}
    assert module["SOURCES"][0][0] == str(path)
    frame = Frame(
        ("a", "b", "c"),
        np.array([0, 1, 2]),
        None,
        {
            "__dict__": np.array([1.0, 1.0, 0.0]),
            "lambda": np.array([60.0, 10.0, 70.0]),
            "def": np.array([1.0, 2.0, 3.0]),
        },
    )
    values = module["evaluate"](frame)
    # `__dict__` does not apply to org type `import`, so the third row's condition is missing.
    np.testing.assert_array_equal(values["None"], [0.0, 1.0, np.nan])  # positions on the scale: 1, 2
    np.testing.assert_array_equal(values["v_def"], [4.0, 2.5, 1.0])
    assert {mangle(name) for name in values} >= {"v_v_def", "v_return", "v_None", "s_def", "v___dict__"}


def test_mangling_keeps_values_and_scores_apart_and_refuses_anything_but_a_name() -> None:
    assert mangle("x") == "v_x"
    assert mangle("x.score") == "s_x"
    assert mangle("v_x") == "v_v_x"
    for bad in ("a b", "x; import os", "1x", "x.score.score", ""):
        with pytest.raises(ValueError):
            mangle(bad)


def test_a_failure_at_run_time_names_the_policy_line_and_the_row() -> None:
    text = (
        'policy "P" version "1"\norg types acute\nscale segment: 1 > 2 > 3\n'
        "input x: number for all\n\ns = x as segment\n"
    )
    module = module_of(generate(program_of(text, "cast.policy")))
    frame = Frame(("a", "b", "c"), np.array([0, 0, 0]), None, {"x": np.array([1.0, 3.0, 2.5])})
    with pytest.raises(EvalError) as caught:
        module["evaluate"](frame)
    assert caught.value.where == ("cast.policy", 6, 5)
    assert caught.value.row == 2
    assert "2.5 is not a value of scale `segment` (1, 2, 3)" in caught.value.message


def test_adjustment_conditions_are_noted_for_explanations() -> None:
    text = (
        'policy "P" version "1"\norg types acute\nscale segment: 1 > 2 > 3\n'
        "input d: yes/no for all\ninput x: number for all\n\n"
        "s = x as segment\n  no better than 2 when d\n"
    )
    module = module_of(generate(program_of(text)))
    frame = Frame(
        ("a", "b", "c"), np.array([0, 0, 0]), None, {"x": np.array([1.0, 1.0, 3.0]), "d": np.array([1.0, 0.0, np.nan])}
    )
    notes: dict = {}
    values = module["evaluate"](frame, notes)
    np.testing.assert_array_equal(values["s"], [1.0, 0.0, 2.0])  # segment 3 is no better than 2 either way
    ((step, (condition, before)),) = notes.items()
    assert module["SOURCES"][step][1] == 8
    np.testing.assert_array_equal(condition, [1.0, 0.0, np.nan])
    np.testing.assert_array_equal(before, [0.0, 0.0, 2.0])


def labelled_program(file: str, org_type: str, labels: tuple[str, str, str]) -> ir.Program:
    """`y` is the third label where `x` (for the first org type) is the second, else the first."""
    span = Span(file, 3, 1, 3, 9, 0, 8)
    kind = Type("labels", labels=labels)
    rule = ir.Table(
        ((ir.Binary("==", ir.Load("x", kind), ir.Const(1, kind), BOOL), ir.Const(2, kind)),), ir.Const(0, kind), kind
    )
    decls = (ir.Column("x", "input", kind, (0,), (), span=span), ir.Derived("y", kind, rule, (), (), span=span))
    return ir.Program("P", None, (), (org_type, "community"), (0, 1), decls, None, False)


def test_file_names_and_labels_that_hold_a_line_break_or_quotes_stay_inside_their_comments() -> None:
    hostile = labelled_program(
        'a\nimport os\n""".policy',
        'acute\r\nraise SystemExit  # """',
        ("ok", '"""\nimport os', "x\u2028\x00y"),
    )
    tame = labelled_program("p.policy", "acute", ("a", "b", "c"))
    source = generate(hostile)
    assert_safe(source)

    def code(text: str) -> str:
        """The module without its strings: what a comment's text would change, were it to become code."""
        tree = ast.parse(text)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                node.value = ""
        return ast.dump(tree)

    assert code(source) == code(generate(tame))
    assert len(source.splitlines()) == len(generate(tame).splitlines())
    written = [comment for _, code_before, comment in comments(source) if code_before]
    assert '# a\\nimport os\\n""".policy:3' in written
    assert '# """\\nimport os, x\\u2028\\x00y' in written
    assert '# for acute\\r\\nraise SystemExit  # """' in written
    assert all(comment.isprintable() for comment in written)
    frame = Frame(("a", "b", "c"), np.array([0, 0, 1]), None, {"x": np.array([1.0, 0.0, 1.0])})
    np.testing.assert_array_equal(module_of(source)["evaluate"](frame)["y"], [2.0, 0.0, np.nan])
