"""A policy's own `test` blocks run on its compiled evaluator: failures explained, and what the tests covered."""

from __future__ import annotations

import json
from pathlib import Path

import attrs
import numpy as np

from policyc.analysis.explain import Explainer, rule_text
from policyc.backend.compile import Compiled
from policyc.backend.frame import EvalError, Frame
from policyc.backend.interp import Reader
from policyc.data import results
from policyc.data.cells import parse, parse_period
from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.semantics.check import Checked
from policyc.syntax import ast

EXACT = 1e-9  # numbers compare equal within this when a test gives no tolerance


@attrs.frozen
class Failure:
    row: str
    name: str
    expected: str
    actual: str
    explanation: str


@attrs.frozen
class Outcome:
    """One test's result: passed when it has neither failures nor an error."""

    name: str
    where: str  # file:line
    failures: tuple[Failure, ...] = ()
    error: str | None = None

    @property
    def passed(self) -> bool:
        return not self.failures and self.error is None


@attrs.frozen
class Item:
    """A part of the policy that tests can exercise: a rule, one row of a table, an adjustment, a scoring case."""

    kind: str
    name: str
    text: str
    where: str
    hit: bool


@attrs.frozen
class FileReport:
    path: str
    outcomes: tuple[Outcome, ...]
    coverage: tuple[Item, ...]

    @property
    def failed(self) -> int:
        return sum(not o.passed for o in self.outcomes)

    @property
    def percent(self) -> float:
        return 100 * sum(i.hit for i in self.coverage) / len(self.coverage) if self.coverage else 100.0


def _where(node) -> str:
    span = node.span
    return f"{Path(span.file).name}:{span.line}" if span else "?"


# ---------------------------------------------------------------- one test's table


def _cell(literal: ast.Literal) -> str:
    return "" if literal.kind == "missing" else literal.text


def frame_of(test: ast.Test, program: ir.Program) -> tuple[Frame, list[str]]:
    """The test's rows as a table, and the names of the rows.

    A row's org code is its `org`, else its name: `given q1: org A, period 2009Q1, ...` and `given q2: org A,
    period 2009Q2, ...` are one organisation in two quarters.
    """
    names = [g.row.text if g.row is not None else "row" for g in test.givens]
    orgs: list[str] = []
    org_types: list[int] = []
    periods: list[int | None] = []
    columns: dict[str, np.ndarray] = {}
    for n, given in enumerate(test.givens):
        items = {a.key: a for a in given.items}
        orgs.append(items["org"].value.text if "org" in items else names[n])
        org_type = items["org_type"].value.text if "org_type" in items else program.org_types[0]
        org_types.append(program.org_types.index(org_type))
        periods.append(parse_period(items["period"].value.text) if "period" in items else None)
        for key, item in items.items():
            if key in ("org", "org_type", "period"):
                continue
            column = columns.setdefault(key, np.full(len(test.givens), np.nan))
            column[n] = parse([_cell(item.value)], program.decl(key).type)[0][0]
    with_period = [p for p in periods if p is not None]
    period = None
    if with_period:
        # a row without a period joins the earliest one: a test of one quarter need not say which
        period = np.array([p if p is not None else min(with_period) for p in periods], dtype=np.int64)
    frame = Frame(tuple(orgs), np.array(org_types, dtype=np.int64), period, columns)
    return frame, names


def _expected_value(item: ast.Assignment, t) -> results.Value:
    value = parse([_cell(item.value)], t)[0][0]
    return results.decode(t, value)


def _same(actual: results.Value, expected: results.Value, tolerance: float) -> bool:
    if actual is None or expected is None:
        return actual is expected
    if isinstance(expected, bool) or isinstance(actual, bool) or isinstance(expected, str):
        return actual == expected
    return abs(float(actual) - float(expected)) <= tolerance


def _shown(value: results.Value) -> str:
    return "missing" if value is None else results.csv_text(value)


# ---------------------------------------------------------------- running


class _Run:
    """The tests of one file, and the coverage they reach."""

    def __init__(self, checked: Checked, compiled: Compiled, path: str):
        self.checked = checked
        self.compiled = compiled
        self.program = compiled.program
        self.module = compiled.module()
        self.path = path
        self.decls = {d.name: d for d in self.program.decls}
        self.hits: set[tuple] = set()

    def tests(self) -> list[ast.Test]:
        """The file's own tests (a variant's base is tested on its own)."""
        here = Path(self.path).resolve()
        return [t for t in self.checked.scope.tests if t.span and Path(t.span.file).resolve() == here]

    def run(self) -> FileReport:
        outcomes = tuple(self.one(test) for test in self.tests())
        return FileReport(self.path, outcomes, tuple(self.items()))

    def one(self, test: ast.Test) -> Outcome:
        frame, names = frame_of(test, self.program)
        notes: dict = {}
        try:
            values = self.module.evaluate(frame, notes)
        except EvalError as error:
            return Outcome(test.name, _where(test), error=error.message)
        explainer = Explainer(self.compiled, frame, values, notes, self.module.SOURCES)
        failures = []
        expected_names: dict[int, list[str]] = {}
        for expect in test.expects:
            row = names.index(expect.row.text) if expect.row is not None else 0
            for item in expect.items:
                t = self.decls[item.key].type
                expected = _expected_value(item, t)
                actual = results.decode(t, float(values[item.key][row]))
                expected_names.setdefault(row, []).append(item.key)
                tolerance = float(item.tolerance.value) if item.tolerance is not None else EXACT
                if not _same(actual, expected, tolerance):
                    failures.append(
                        Failure(
                            names[row],
                            item.key,
                            _shown(expected),
                            _shown(actual),
                            self.explain(explainer, frame, values, row, item.key),
                        )
                    )
        self.cover(frame, values, notes, expected_names)
        return Outcome(test.name, _where(test), tuple(failures))

    def explain(self, explainer: Explainer, frame: Frame, values, row: int, name: str) -> str:
        decl = self.decls[name]
        if isinstance(decl, ir.Derived):
            return "\n".join(explainer.row(row, name)[2:]).strip("\n")
        if isinstance(decl, ir.Score):
            return f"{decl.metric} = {explainer.shown(decl.metric, row)}, scored {explainer.shown(name, row)}"
        return f"{name} is an input: the test gives it"

    # ------------------------------------------------ coverage

    def checked_names(self, frame: Frame, row: int, expected: list[str]) -> set[str]:
        """The values an expectation on this row rests on: the chain of each, up to the values the row gives."""

        def given(name: str) -> bool:
            return name in frame.columns and not np.isnan(frame.columns[name][row])

        return set(walk.closure(self.program, expected, stop=given))

    def cover(self, frame: Frame, values, notes: dict, expected: dict[int, list[str]]) -> None:
        steps = {entry: n for n, entry in enumerate(self.module.SOURCES) if entry is not None}
        reader = Reader(self.program, frame, values)
        for row, names in expected.items():
            for name in self.checked_names(frame, row, names):
                decl = self.decls[name]
                if name in frame.columns and not np.isnan(frame.columns[name][row]) and not isinstance(decl, ir.Column):
                    continue  # given, not computed
                if isinstance(decl, ir.Derived):
                    self.cover_derived(decl, row, values, notes, steps, reader)
                elif isinstance(decl, ir.Score):
                    self.cover_score(decl, row, values)

    def cover_derived(self, decl: ir.Derived, row: int, values, notes: dict, steps: dict, reader: Reader) -> None:
        if not np.isnan(values[decl.name][row]):
            self.hits.add(("rule", decl.name))
        table = _table(decl)
        if table is not None:
            chosen = reader.choice(table, row)
            if chosen is not None:
                self.hits.add(("table row", decl.name, chosen))
        for n, adjust in enumerate(decl.adjusts):
            span = adjust.span
            noted = notes.get(steps.get((span.file, span.line, span.col))) if span else None
            if noted is not None and noted[0][row] == 1:
                self.hits.add(("adjustment", decl.name, n))

    def cover_score(self, decl: ir.Score, row: int, values) -> None:
        value = float(values[decl.metric][row])
        if np.isnan(value) or np.isnan(values[decl.name][row]):
            return
        self.hits.add(("score", decl.name))
        model = decl.scoring
        if isinstance(model, ir.Bands):
            for n, band in enumerate(model.rows):
                if band.holds(value):
                    self.hits.add(("band row", decl.name, n))
        elif isinstance(model, ir.Ranked):
            for kind, mark in (("standard", model.standard), ("floor", model.floor)):
                if mark is not None:
                    self.hits.add((kind, decl.name, _reaches(value, mark, model.higher)))
        elif isinstance(model, ir.Mapped):
            self.hits.add(("rating", decl.name, int(value)))

    def items(self) -> list[Item]:
        """What the file's tests can cover: the file's own declarations (a variant's base counts on its own)."""
        out: list[Item] = []
        here = Path(self.path).resolve()

        def add(key: tuple, kind: str, shown: str, node) -> None:
            out.append(Item(kind, key[1], shown, _where(node), key in self.hits))

        def text(node: ir.Node) -> str:
            return rule_text(self.compiled, node)

        for decl in self.program.decls:
            if decl.span is None or Path(decl.span.file).resolve() != here:
                continue
            if isinstance(decl, ir.Derived):
                add(("rule", decl.name), "rule", f"{decl.name} = ...", decl)
                table = _table(decl)
                if table is not None:
                    for n, (condition, result) in enumerate(table.rows):
                        add(
                            ("table row", decl.name, n),
                            "table row",
                            f"when {text(condition)}: {text(result)}",
                            condition,
                        )
                    if table.otherwise is not None:
                        add(
                            ("table row", decl.name, len(table.rows)),
                            "table row",
                            f"otherwise: {text(table.otherwise)}",
                            table.otherwise,
                        )
                for n, adjust in enumerate(decl.adjusts):
                    add(("adjustment", decl.name, n), "adjustment", text(adjust), adjust)
            elif isinstance(decl, ir.Score):
                model = decl.scoring
                add(("score", decl.name), "score", f"{decl.name}", decl)
                if isinstance(model, ir.Bands):
                    for n, band in enumerate(model.rows):
                        add(("band row", decl.name, n), "band row", _band_text(band), decl)
                elif isinstance(model, ir.Ranked):
                    for kind, mark in (("standard", model.standard), ("floor", model.floor)):
                        if mark is not None:
                            add((kind, decl.name, True), kind, f"{kind} {mark:g} met", decl)
                            add((kind, decl.name, False), kind, f"{kind} {mark:g} not met", decl)
                elif isinstance(model, ir.Mapped):
                    labels = self.decls[decl.metric].type.labels
                    for n, label in enumerate(labels):
                        add(("rating", decl.name, n), "rating", f"{label}: {model.scores[n]:g}", decl)
        return out


def _table(decl: ir.Derived) -> ir.Table | None:
    expr = decl.expr
    while isinstance(expr, (ir.Cast, ir.Round)):
        expr = expr.operand
    return expr if isinstance(expr, ir.Table) else None


def _reaches(value: float, mark: float, higher: bool) -> bool:
    """Whether a value meets a standard, or does not fail a floor."""
    return value >= mark if higher else value <= mark


def _band_text(band: ir.Band) -> str:
    left = "" if band.lower is None else f"{band.lower:g} {'<=' if band.lower_inclusive else '<'} "
    right = "" if band.upper is None else f" {'<=' if band.upper_inclusive else '<'} {band.upper:g}"
    return f"{left}value{right}: {band.result:g}"


def run(checked: Checked, compiled: Compiled, path: str) -> FileReport:
    return _Run(checked, compiled, path).run()


# ---------------------------------------------------------------- reports


def to_text(reports: list[FileReport], show_missed: bool = True) -> str:
    lines: list[str] = []
    for report in reports:
        passed = len(report.outcomes) - report.failed
        lines.append(
            f"{report.path}: {len(report.outcomes)} test{'s' if len(report.outcomes) != 1 else ''}, "
            f"{passed} passed, {report.failed} failed"
        )
        for outcome in report.outcomes:
            if outcome.passed:
                continue
            lines.append(f'  FAIL {outcome.where}: test "{outcome.name}"')
            if outcome.error is not None:
                lines.append(f"    error: {outcome.error}")
            for f in outcome.failures:
                lines.append(f"    row {f.row}: {f.name} expected {f.expected}, got {f.actual}")
                lines += [f"      | {line}" for line in f.explanation.splitlines()]
        hit = sum(i.hit for i in report.coverage)
        lines.append(
            f"  coverage: {report.percent:.1f}% ({hit} of {len(report.coverage)} rules, table rows, "
            "adjustments and scoring cases)"
        )
        missed = [i for i in report.coverage if not i.hit]
        if show_missed and missed:
            lines.append("  never hit:")
            lines += [f"    {i.where:<28} {i.kind:<10} {i.text}" for i in missed]
        lines.append("")
    return "\n".join(lines)


def to_json(reports: list[FileReport]) -> str:
    return (
        json.dumps(
            {
                "files": [
                    {
                        "path": r.path,
                        "tests": [
                            {
                                "name": o.name,
                                "where": o.where,
                                "passed": o.passed,
                                "error": o.error,
                                "failures": [attrs.asdict(f) for f in o.failures],
                            }
                            for o in r.outcomes
                        ],
                        "passed": len(r.outcomes) - r.failed,
                        "failed": r.failed,
                        "coverage": {
                            "percent": round(r.percent, 1),
                            "hit": sum(i.hit for i in r.coverage),
                            "total": len(r.coverage),
                            "missed": [
                                attrs.asdict(i, filter=lambda a, _: a.name != "hit") for i in r.coverage if not i.hit
                            ],
                        },
                    }
                    for r in reports
                ]
            },
            indent=2,
        )
        + "\n"
    )


def coverage_shortfalls(reports: list[FileReport], minimum: float | None) -> list[str]:
    """A line for each file whose tests cover less than `minimum` per cent of its items (none without a minimum)."""
    if minimum is None:
        return []
    return [f"{r.path}: coverage {r.percent:.1f}% is below {minimum:g}%" for r in reports if r.percent < minimum]


# ---------------------------------------------------------------- boundary cases


@attrs.frozen
class _Case:
    title: str
    org_type: str
    name: str  # the value set on each row
    values: tuple[float, ...]
    expect: str  # the value expected on each row
    cohort: bool  # the rows form one cohort whose scoring depends on each other (a standard or floor)


def _step(marks: list[float]) -> float:
    """Just either side of a cut point: one more decimal place than the policy's cut points use."""
    places = max((len(f"{m:.6f}".rstrip("0").split(".")[1]) for m in marks), default=0)
    return 10.0 ** -(places + 1)


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _cases(program: ir.Program) -> list[_Case]:
    cases: list[_Case] = []
    decls = {d.name: d for d in program.decls}
    for decl in program.decls:
        if isinstance(decl, ir.Score):
            org_type = program.org_types[program.column(decl.metric).applies[0]]
            model = decl.scoring
            if isinstance(model, ir.Bands):
                marks = sorted({m for b in model.rows for m in (b.lower, b.upper) if m is not None})
                d = _step(marks)
                cases += [
                    _Case(
                        f"{decl.metric} around {_number(m)}", org_type, decl.metric, (m - d, m, m + d), decl.name, False
                    )
                    for m in marks
                ]
            elif isinstance(model, ir.Ranked):
                for kind, mark in (("standard", model.standard), ("floor", model.floor)):
                    if mark is not None:
                        d = _step([mark])
                        side = -d if model.higher else d
                        cases.append(
                            _Case(
                                f"{decl.metric} at its {kind} of {_number(mark)} and just short of it",
                                org_type,
                                decl.metric,
                                (mark, mark + side),
                                decl.name,
                                True,
                            )
                        )
        elif isinstance(decl, ir.Derived):
            table = _table(decl)
            for condition, _ in table.rows if table is not None else ():
                threshold = _threshold(condition, decls)
                if threshold is not None:
                    name, mark = threshold
                    d = _step([mark])
                    cases.append(
                        _Case(
                            f"{decl.name} with {name} around {_number(mark)}",
                            program.org_types[0],
                            name,
                            (mark - d, mark, mark + d),
                            decl.name,
                            False,
                        )
                    )
    return cases


def _threshold(condition: ir.Expr, decls: dict) -> tuple[str, float] | None:
    """`name op number`, where `name` is a number a row can give: the name and the number."""
    if not isinstance(condition, ir.Binary) or condition.op not in ("<", "<=", ">", ">=", "==", "!="):
        return None
    for named, constant in ((condition.left, condition.right), (condition.right, condition.left)):
        if (
            isinstance(named, ir.Load)
            and isinstance(constant, ir.Const)
            and named.name in decls
            and decls[named.name].type.kind == "number"
            and isinstance(constant.value, (int, float))
        ):
            return named.name, float(constant.value)
    return None


def suggestions(compiled: Compiled, path: str) -> tuple[str, int]:
    """Test blocks for every cut point, with the values both evaluators give, and how many cases they disagree on."""
    from policyc.backend.interp import evaluate as interpret

    program = compiled.program
    module = compiled.module()
    blocks = [
        f"# Boundary cases for {path}, suggested by `policyc test --suggest`.\n"
        "# The expectations are what the policy gives today, on the compiled evaluator and the reference\n"
        "# interpreter alike: check each against the source before keeping it."
    ]
    disagreements = 0
    for case in _cases(program):
        rows = ("at", "short") if case.cohort else ("below", "at", "above")
        t = program.decl(case.name).type
        frame = Frame(
            rows,
            np.full(len(rows), program.org_types.index(case.org_type), dtype=np.int64),
            None,
            {case.name: parse([_number(v) for v in case.values], t)[0]},
        )
        compiled_values = module.evaluate(frame)[case.expect]
        interpreted = interpret(program, frame)[case.expect]
        out_type = program.decl(case.expect).type
        shown = [_shown(results.decode(out_type, v)) for v in compiled_values]
        other = [_shown(results.decode(out_type, float("nan") if v is None else v)) for v in interpreted]
        lines = [f'test "boundary: {case.title}"']
        lines += [
            f"  given {row}: org_type {case.org_type}, {case.name} {_number(v)}"
            for row, v in zip(rows, case.values, strict=True)
        ]
        lines += [f"  expect {row}: {case.expect} {value}" for row, value in zip(rows, shown, strict=True)]
        others = [n for n in ir.reads(program.decl(case.expect)) if n != case.name]
        if all(v == "missing" for v in shown) and others:
            lines.insert(
                0,
                f"# missing on every row: the rule also reads {', '.join(others)}; give those on each "
                "row to make this case decide something",
            )
        if shown != other:
            disagreements += 1
            lines.insert(0, f"# the evaluators disagree here (interpreter: {', '.join(other)}): please report it")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n", disagreements
