"""Differential property tests: on generated policies and tables, the compiled module and the reference
interpreter (policyc/backend/interp.py) give the same value of every name on every row, or both fail.

Policies and tables come from tests/policy_gen.py. The number of examples comes from the Hypothesis
profile (tests/conftest.py); `HYPOTHESIS_PROFILE=deep` runs the long hunt.
"""

from __future__ import annotations

import ast
import builtins
import io
import math
import re
import tokenize
from pathlib import PurePath

import pytest
from hypothesis import HealthCheck, given, note, settings
from policy_gen import FILE, cases, describe_frame, frame_source, policy_texts

from policyc.backend import interp, runtime
from policyc.backend.codegen import generate, mangle
from policyc.backend.frame import EvalError
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import check_source
from policyc.syntax.source import Source

# Generating a policy and a table is slower than Hypothesis likes its data to be; the profile decides
# how many examples, this only keeps the health checks from failing a run on speed.
RELAXED = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large]
)

# ---------------------------------------------------------------- helpers


def program_of(text: str) -> ir.Program:
    result = check_source(Source(FILE, text))
    assert result.ok, [(d.code, d.message) for d in result.diagnostics.sorted() if d.is_error]
    return lower(result.checked)


def _import_runtime_only(name, globals=None, locals=None, fromlist=(), level=0):
    assert (name, tuple(fromlist or ())) == ("policyc.backend", ("runtime",)), f"a generated module imports {name}"
    return builtins.__import__(name, globals, locals, fromlist, level)


def module_of(source: str) -> dict:
    """The generated module, run with no builtins but an import of `policyc.backend.runtime` and `Exception`."""
    namespace: dict = {"__builtins__": {"__import__": _import_runtime_only, "Exception": Exception}}
    exec(compile(source, "<generated>", "exec"), namespace)
    return namespace


def attempt(run):
    """(result, None) or (None, the EvalError)."""
    try:
        return run(), None
    except EvalError as error:
        return None, error


def missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def agree(compiled, interpreted, kind: str) -> bool:
    if missing(compiled) or missing(interpreted):
        return missing(compiled) and missing(interpreted)
    if kind == "number":
        return math.isclose(compiled, interpreted, rel_tol=1e-9, abs_tol=1e-12)
    return float(compiled) == float(interpreted)


def shown(value) -> str:
    return "missing" if missing(value) else repr(float(value))


# ---------------------------------------------------------------- the engines agree


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy, on purpose: inf - inf, overflow to inf
@RELAXED
@given(cases())
def test_the_compiled_module_and_the_interpreter_agree_on_every_value_of_every_row(case):
    program, frame = case.program, case.frame
    note(f"policy:\n{case.text}")
    note(f"table:\n{describe_frame(frame, program)}")
    note(f"frame = {frame_source(frame)}")
    module = module_of(generate(program))
    compiled, compiled_error = attempt(lambda: module["evaluate"](frame))
    interpreted, interpreted_error = attempt(lambda: interp.evaluate(program, frame))
    if compiled_error is not None:
        note(f"compiled: EvalError {compiled_error.message} (row {compiled_error.row}, at {compiled_error.where})")
        internal = compiled_error.message.startswith("internal error")
        assert not internal, f"the compiled module failed: {compiled_error.message}"
    if interpreted_error is not None:
        note(
            f"interpreted: EvalError {interpreted_error.message} (row {interpreted_error.row}, "
            f"at {interpreted_error.where})"
        )
    if compiled_error is not None or interpreted_error is not None:
        assert compiled_error is not None and interpreted_error is not None, (
            f"only the {'compiled module' if compiled_error else 'interpreter'} failed: "
            f"{(compiled_error or interpreted_error).message}"
        )
        return

    assert set(compiled) == {d.name for d in program.outputs()}
    assert set(interpreted) == {d.name for d in program.decls}
    wrong, nans = [], []
    for decl in program.decls:
        ours, theirs = compiled[decl.name], interpreted[decl.name]
        assert len(ours) == len(theirs) == frame.n, decl.name
        for row in range(frame.n):
            where = f"{decl.name} on row {row} (org {frame.org[row]}, {program.org_types[int(frame.org_type[row])]})"
            if not agree(ours[row], theirs[row], decl.type.kind):
                wrong.append(f"{where}: compiled {shown(ours[row])}, interpreted {shown(theirs[row])}")
            elif isinstance(theirs[row], float) and math.isnan(theirs[row]):
                # ir.py: missing is None; a NaN the interpreter keeps is a number to it (`is missing` says no)
                nans.append(f"{where}: the interpreter gives NaN, not None (missing)")
    if wrong or nans:
        note("every disagreement:\n" + "\n".join(wrong + nans))
    # two assertions, so that Hypothesis reports (and shrinks) each kind of failure on its own
    assert not wrong, wrong[0]
    assert not nans, nans[0]


# ---------------------------------------------------------------- the compiled module is plain and stable

# The node kinds codegen.py emits; anything else in a module would mean policy text became code.
ALLOWED_NODES = {
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
    "POLICY",
    "ORG_TYPES",
    "COHORTS",
    "OUTCOME",
    "SOURCES",
    "evaluate",
    "_evaluate",
}
TEMPORARY = re.compile(r"_[0-9]+")
# What `t.` may name: the methods of a Context and the attributes the generator reads or sets.
CONTEXT_ATTRIBUTES = {name for name in dir(runtime.Context) if not name.startswith("_")} | {"step", "n", "org_type"}
RUNTIME_ATTRIBUTES = {name for name in dir(runtime) if not name.startswith("_")}
AGGREGATES = {"mean", "sum", "min", "max", "count"}
HEADER_KEYS = {"name", "version"}  # POLICY = {'name': ..., 'version': ...}
METHODS = {"linear", "exclusive", "lower", "higher", "nearest", "midpoint"}


def strings_a_module_may_hold(program: ir.Program) -> set[str]:
    """Every string the generator may write as a literal: the policy's names, its header, methods and kinds."""
    allowed = {d.name for d in program.decls} | set(program.org_types) | {FILE} | AGGREGATES | METHODS | HEADER_KEYS
    allowed |= {s for s in (program.name, program.version, program.outcome) if s is not None}
    return allowed | scale_names(program)


def types_of(program: ir.Program) -> list:
    """The types of the program's values and of every part of its rules."""
    found = []

    def visit(e: ir.Expr) -> None:
        found.append(e.type)
        for child in ir.children(e):
            visit(child)

    for decl in program.decls:
        found.append(decl.type)
        if isinstance(decl, ir.Derived):
            visit(decl.expr)
            for adjust in decl.adjusts:
                visit(adjust.value)
                visit(adjust.condition)
    return found


def scale_names(program: ir.Program) -> set[str]:
    """The scales the program's values are on (a cast names its scale in its message)."""
    return {t.scale for t in types_of(program)} - {None}


# The comments of a module that are the same whatever the policy.
FIXED_COMMENTS = {
    "# Each org type's cohort, by the org type's position in ORG_TYPES.",
    "# Where each step of the evaluation is written in the policy: (file, line, column).",
    "# Labels are numbers here, their positions in their label set or scale (best first); a comment",
    "# names the labels a line's numbers stand for, in order.",
}


def comments(source: str) -> list[tuple[int, str, str]]:
    """Each comment of a module: its line, the code before it on that line, and the comment."""
    lines = source.splitlines()
    return [
        (token.start[0], lines[token.start[0] - 1][: token.start[1]].strip(), token.string)
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT
    ]


def label_words(program: ir.Program) -> set[str]:
    """What a comment may call an encoded label: a label, `scale label` on a numbered scale, an org type."""
    words = set(program.org_types) | {"all"}
    for t in types_of(program):
        words |= set(t.labels)
        if t.numbered:
            words |= {f"{t.scale} {label}" for label in t.labels}
    return words


def assert_commented(source: str, program: ir.Program) -> None:
    """Every step names its policy file and line, and every other comment is fixed text or the policy's labels."""
    tree = ast.parse(source)
    (sources,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "SOURCES"
    ]
    steps = {
        node.lineno: node.value.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Attribute)
        and node.targets[0].attr == "step"
        and isinstance(node.value, ast.Constant)
    }
    words = label_words(program)
    commented = set()
    for line, code, comment in comments(source):
        if line in steps:
            file, at, _ = sources[steps[line]]
            assert comment == f"# {PurePath(file).name}:{at}", f"line {line}: {comment!r}"
            commented.add(line)
        elif not code:
            assert comment in FIXED_COMMENTS, f"line {line}: {comment!r}"
        else:
            parts = comment.removeprefix("# ").removeprefix("for ").split(", ")
            assert all(part in words for part in parts), f"line {line}: {comment!r} names no labels of the policy"
    assert commented == set(steps), f"steps without their policy line: {sorted(set(steps) - commented)}"


def assert_plain(source: str, program: ir.Program) -> None:
    tree = ast.parse(source)
    mangled = {mangle(d.name) for d in program.decls}
    strings = strings_a_module_may_hold(program)
    docstrings = {
        id(body[0].value)
        for body in [tree.body] + [f.body for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)]
        if body and isinstance(body[0], ast.Expr)
    }
    handler_types = {id(h.type) for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler)}
    for node in ast.walk(tree):
        where = f"{type(node).__name__} at line {getattr(node, 'lineno', '?')}"
        assert type(node) in ALLOWED_NODES, f"unexpected {where}"
        if isinstance(node, ast.Name):
            name = node.id
            if id(node) in handler_types:
                assert name == "Exception", where
                continue
            assert name in FIXED_NAMES or name in mangled or TEMPORARY.fullmatch(name), f"name {name!r}: {where}"
        elif isinstance(node, ast.Attribute):
            assert isinstance(node.value, ast.Name) and node.value.id in ("rt", "t"), f"attribute of what: {where}"
            known = RUNTIME_ATTRIBUTES if node.value.id == "rt" else CONTEXT_ATTRIBUTES
            assert node.attr in known, f"unknown attribute {node.value.id}.{node.attr}: {where}"
        elif isinstance(node, ast.ImportFrom):
            assert (node.module, node.level, [(a.name, a.asname) for a in node.names]) == (
                "policyc.backend",
                0,
                [("runtime", "rt")],
            ), where
        elif isinstance(node, ast.FunctionDef):
            assert node.name in ("evaluate", "_evaluate") and not node.decorator_list, where
            assert [a.arg for a in node.args.args] in (["frame", "notes"], ["t"]), where
        elif isinstance(node, ast.Call):
            func = node.func
            assert isinstance(func, ast.Attribute) or (isinstance(func, ast.Name) and func.id == "_evaluate"), where
            assert not node.keywords, where
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            assert node.value in strings, f"string {node.value!r} is no name of the policy: {where}"
        elif isinstance(node, ast.Constant):
            assert node.value is None or isinstance(node.value, (bool, int, float, str)), where
    for node in ast.walk(tree):
        for name in (getattr(node, "id", None), getattr(node, "attr", None), getattr(node, "arg", None)):
            # a policy may name a value `__class__`; its Python name `v___class__` is an ordinary local
            assert name is None or name in mangled or "__" not in name, name


@RELAXED
@given(policy_texts())
def test_compiled_modules_are_deterministic_and_hold_only_what_the_generator_emits(text):
    note(f"policy:\n{text}")
    program = program_of(text)
    source = generate(program)
    assert generate(program) == source
    assert generate(program_of(text)) == source  # checking and lowering again change nothing
    assert_plain(source, program)
    assert_commented(source, program)
