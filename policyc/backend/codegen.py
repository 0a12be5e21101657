"""The IR to the source of a Python module that evaluates a whole table with numpy column operations.

The module imports only `policyc.backend.runtime`. User text reaches its code only as `repr()` literals, and
names only through `mangle`; its comments hold policy file names and labels only through `_comment`.
`SOURCES` maps each step of the evaluation to its policy line, and each step's line names it too.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from pathlib import PurePath

from policyc.ir import nodes as ir
from policyc.semantics.types import Type
from policyc.syntax.source import Span

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Generated helpers are named without these prefixes, so no policy name can shadow them.
VALUE_PREFIX, SCORE_PREFIX = "v_", "s_"
# Deeper expressions are split into temporaries, well inside Python's limit on nesting.
MAX_DEPTH = 40
# A line wider than WIDTH, its comment included, or naming more than NOTES labels, is laid out one item per
# line, so that each label's comment stays beside its number.
WIDTH = 100
NOTES = 2
INDENT = "    "

COMPARE = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne"}
ADJUST = {"no better than": "no_better_than", "no worse than": "no_worse_than", "becomes": "becomes"}


def mangle(name: str) -> str:
    """The Python name of a policy value: `x` is `v_x`, a metric's score `x.score` is `s_x`."""
    base, score = (name[:-6], True) if name.endswith(".score") else (name, False)
    if not NAME.fullmatch(base):
        raise ValueError(f"not a policy name: {name!r}")
    return (SCORE_PREFIX if score else VALUE_PREFIX) + base


def _comment(text: str) -> str:
    """Text that stays inside the comment it is written in: a line break or any other unprintable is escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _where(span: Span) -> str:
    """`file:line` by the file's base name: the folders it was compiled in are no part of the module."""
    return _comment(f"{PurePath(span.file).name}:{span.line}")


def _number(value: float | int | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "rt.MISSING"
    value = float(value)
    if math.isinf(value):
        return "rt.INFINITY" if value > 0 else "-rt.INFINITY"
    return repr(value)


def _optional(value: float | None) -> str:
    return "None" if value is None else _number(value)


# ---------------------------------------------------------------- layout


class _Text:
    """Code that stays on one line, and the labels its numbers stand for."""

    flat: str
    notes: tuple[str, ...]

    def __init__(self, code: str, notes: tuple[str, ...] = ()):
        self.flat = code
        self.notes = notes


class _Group:
    """Items between brackets: on one line when they fit, else one item a line."""

    flat: str
    notes: tuple[str, ...]

    def __init__(self, head: str, items: Iterable[_Doc], tail: str, sep: str = ", ", is_tuple: bool = False):
        self.head, self.items, self.tail, self.sep = head, tuple(items), tail, sep
        lone = "," if is_tuple and len(self.items) == 1 else ""
        self.flat = head + sep.join(item.flat for item in self.items) + lone + tail
        self.notes = tuple(note for item in self.items for note in item.notes)


_Doc = _Text | _Group


def _call(function: str, *args: _Doc) -> _Group:
    return _Group(function + "(", args, ")")


def _tuple(items: Iterable[_Doc]) -> _Group:
    return _Group("(", items, ")", is_tuple=True)


def _texts(codes: Iterable[str]) -> list[_Doc]:
    return [_Text(code) for code in codes]


def _line(code: str, notes: tuple[str, ...]) -> str:
    return f"{code}  # {', '.join(notes)}" if notes else code


def _layout(doc: _Doc, prefix: str, suffix: str, indent: str) -> list[str]:
    """The lines of `prefix + doc + suffix`, breaking the outermost brackets first until each line fits."""
    line = _line(prefix + doc.flat + suffix, doc.notes)
    if isinstance(doc, _Text) or (len(line) <= WIDTH and len(doc.notes) <= NOTES):
        return [line]
    inner = indent + INDENT
    lines = [prefix + doc.head]
    for i, item in enumerate(doc.items):
        if doc.sep == ", ":
            lines += _layout(item, inner, ",", inner)
        else:
            # an operator starts the line of its right operand
            lines += _layout(item, inner + (doc.sep.lstrip() if i else ""), "", inner)
    lines.append(indent + doc.tail + suffix)
    return lines


def _label(value: float | int | None, type: Type) -> tuple[str, ...]:
    """What an encoded label stands for: `segment 3` on a numbered scale, else the label itself."""
    if type.kind not in ("labels", "scale") or value is None or math.isnan(value) or not 0 <= value < len(type.labels):
        return ()
    label = type.labels[int(value)]
    return (_comment(f"{type.scale} {label}" if type.numbered else label),)


def _encoded(value: float | int | None, type: Type) -> _Text:
    return _Text(_number(value), _label(value, type))


class _Generator:
    def __init__(self, program: ir.Program):
        self.program = program
        self.sources: list[str] = []
        self.lines: list[str] = []
        self.temps = 0

    def source(self, node: ir.Node) -> int:
        """The position of a node in `SOURCES`."""
        span = node.span
        entry = _tuple(_texts([repr(span.file), repr(span.line), repr(span.col)])).flat if span else "None"
        self.sources.append(entry)
        return len(self.sources) - 1

    def step(self, node: ir.Node) -> int:
        """Start a step of the evaluation at a node, on a line that names where the policy writes it."""
        step = self.source(node)
        self.lines.append(_line(f"{INDENT}t.step = {step}", (_where(node.span),) if node.span is not None else ()))
        return step

    def assign(self, target: _Doc, value: _Doc) -> None:
        *first, last = _layout(target, INDENT, "", INDENT)
        self.lines += first + _layout(value, last + " = ", "", INDENT)

    def module(self) -> str:
        program = self.program
        self.assign(_Text("n"), _Text("t.n"))
        decls = program.decls
        ranked = [d for d in decls if isinstance(d, ir.Score) and isinstance(d.scoring, ir.Ranked)]
        for decl in decls:
            if isinstance(decl, ir.Column):
                self.step(decl)
                args = [_Text(repr(decl.name)), self.applies(decl)]
                if decl.default is not None:  # an empty cell reads as the declared default
                    args.append(_encoded(decl.default, decl.type))
                self.assign(_Text(mangle(decl.name)), _call("t.column", *args))
            elif isinstance(decl, ir.Score):
                if ranked and decl is ranked[0]:
                    self.ranked(ranked)
                if not isinstance(decl.scoring, ir.Ranked):
                    self.score(decl)
            else:
                self.derived(decl)
        outputs = _Group("{", _texts(f"{d.name!r}: {mangle(d.name)}" for d in program.outputs()), "}")
        self.lines += _layout(outputs, INDENT + "return ", "", INDENT)
        org_types = _tuple(_texts(map(repr, program.org_types)))
        header = [
            '"""An evaluator generated by policyc from a policy; regenerate it with `policyc compile`."""',
            "",
            "from policyc.backend import runtime as rt",
            "",
            f"POLICY = {{'name': {program.name!r}, 'version': {program.version!r}}}",
            *_layout(org_types, "ORG_TYPES = ", "", ""),
            "# Each org type's cohort, by the org type's position in ORG_TYPES.",
            *_layout(_tuple(_texts(map(repr, program.cohorts))), "COHORTS = ", "", ""),
            f"OUTCOME = {program.outcome!r}",
            "# Where each step of the evaluation is written in the policy: (file, line, column).",
            "SOURCES = (",
            *(f"{INDENT}{entry}," for entry in self.sources),
            ")",
            "",
            "",
            "def evaluate(frame, notes=None):",
            '    """Every named value of the policy on every row of the frame: one float64 column each.',
            "",
            "    `notes`, a dict, receives each adjustment's condition and the value before it, by its position",
            "    in SOURCES.",
            '    """',
            "    t = rt.Context(frame, COHORTS, SOURCES, notes)",
            "    try:",
            "        return _evaluate(t)",
            "    except Exception as error:",
            "        raise t.fail(error) from error",
            "",
            "",
            "def _evaluate(t):",
            "    # Labels are numbers here, their positions in their label set or scale (best first); a comment",
            "    # names the labels a line's numbers stand for, in order.",
        ]
        return "\n".join(header + self.lines) + "\n"

    # ------------------------------------------------------------ declarations

    def applies(self, column: ir.Column) -> _Text:
        """The org types a column applies to, by position, and by name as the policy writes them."""
        every = len(column.applies) == len(self.program.org_types)
        names = "all" if every else ", ".join(self.program.org_types[i] for i in column.applies)
        return _Text(_tuple(_texts(map(repr, column.applies))).flat, (_comment(f"for {names}"),))

    def ranked(self, scores: list[ir.Score]) -> None:
        self.step(scores[0])
        models = [s.scoring for s in scores if isinstance(s.scoring, ir.Ranked)]
        self.assign(
            _tuple(_texts(mangle(s.name) for s in scores)),
            _call(
                "t.ranked",
                _tuple(_texts(mangle(s.metric) for s in scores)),
                _tuple(_texts(repr(m.higher) for m in models)),
                _tuple(_texts(_optional(m.standard) for m in models)),
                _tuple(_texts(_optional(m.floor) for m in models)),
            ),
        )
        for s in scores:
            self.given(s.name, _Text(mangle(s.name)))

    def given(self, name: str, value: _Doc) -> None:
        self.assign(_Text(mangle(name)), _call("t.given", _Text(repr(name)), value))

    def score(self, decl: ir.Score) -> None:
        self.step(decl)
        values = _Text(mangle(decl.metric))
        model = decl.scoring
        expr: _Doc
        if isinstance(model, ir.Bands):
            rows = [
                _tuple(
                    [
                        *_texts(
                            [_optional(b.lower), repr(b.lower_inclusive), _optional(b.upper), repr(b.upper_inclusive)]
                        ),
                        _encoded(b.result, decl.type),
                    ]
                )
                for b in model.rows
            ]
            expr = _call("rt.bands", values, _tuple(rows))
        elif isinstance(model, ir.Mapped):
            # each score stands at its label's position
            labels = ", ".join(self.program.decl(decl.metric).type.labels)
            scores = _Text(_tuple(_texts(map(_number, model.scores))).flat, (_comment(labels),))
            expr = _call("rt.mapped", values, scores)
        elif isinstance(model, ir.Relative):
            expr = _call("t.relative", values, _Text(_number(model.k)), _Text(repr(model.below)))
        else:
            raise TypeError(f"a ranked score is generated with the others: {decl.name}")
        self.given(decl.name, expr)

    def derived(self, decl: ir.Derived) -> None:
        target = _Text(mangle(decl.name))
        self.step(decl)
        if not decl.adjusts:
            self.given(decl.name, self.expr(decl.expr))
            return
        self.assign(target, self.expr(decl.expr))
        for adjust in decl.adjusts:
            step = self.step(adjust)
            value, condition = self.expr(adjust.value), self.expr(adjust.condition)
            note = _call("t.note", _Text(repr(step)), condition, target)
            self.assign(target, _call(f"rt.{ADJUST[adjust.kind]}", target, value, note))
        self.given(decl.name, target)

    # ------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr, depth: int = 0) -> _Doc:
        if depth > MAX_DEPTH and ir.children(e):
            self.temps += 1
            temp = _Text(f"_{self.temps}")
            self.assign(temp, self.expr(e))
            return temp

        def sub(x: ir.Expr) -> _Doc:
            return self.expr(x, depth + 1)

        if isinstance(e, ir.Const):
            return _encoded(e.value, e.type)
        if isinstance(e, ir.Load):
            return _Text("t.org_type" if e.name == "org_type" else mangle(e.name))
        if isinstance(e, ir.Unary):
            operand = sub(e.operand)
            if e.op == "neg":
                return _Group("(-", [operand], ")")
            return _call({"not": "rt.not_", "abs": "rt.absolute"}[e.op], operand)
        if isinstance(e, ir.Binary):
            left, right = sub(e.left), sub(e.right)
            if e.op in ("+", "-", "*"):
                return _Group("(", [left, right], ")", sep=f" {e.op} ")
            if e.op == "/":
                return _call("rt.div", left, right)
            if e.op in ("and", "or"):
                return _call(f"rt.{e.op}_", left, right)
            return _call(f"rt.{COMPARE[e.op]}", left, right)
        if isinstance(e, ir.IsMissing):
            return _call(f"rt.{'is_present' if e.negate else 'is_missing'}", sub(e.operand))
        if isinstance(e, ir.Recode):
            codes = [_Text(repr(code), _label(code, e.type)) for code in e.codes]
            return _call("rt.recode", sub(e.operand), _tuple(codes))
        if isinstance(e, ir.Table):
            rows = _tuple(_tuple([sub(c), sub(r)]) for c, r in e.rows)
            otherwise = sub(e.otherwise) if e.otherwise is not None else _Text("rt.MISSING")
            return _call("rt.choose", rows, otherwise)
        if isinstance(e, ir.Cast):
            numbers = _tuple(_texts(map(_number, e.numbers)))
            return _call("t.cast", sub(e.operand), numbers, _Text(repr(e.type.scale)), _Text(repr(self.source(e))))
        if isinstance(e, ir.Round):
            return _call("rt.round_half", sub(e.operand), _Text(repr(e.places)))
        if isinstance(e, ir.Aggregate):
            args = _tuple(sub(a) for a in e.args)
            weights = _Text("None") if e.weights is None else _tuple(_texts(map(_number, e.weights)))
            return _call("rt.aggregate", _Text(repr(e.kind)), args, weights, _Text("n"))
        if isinstance(e, ir.Extreme):
            return _call(f"rt.{e.kind}", _tuple(sub(a) for a in e.args), _Text("n"))
        if isinstance(e, ir.Step):
            return _call("rt.step", sub(e.operand), _Text(repr(e.steps)), _Text(repr(e.size)))
        if isinstance(e, ir.IfMissing):
            return _call("rt.if_missing", sub(e.operand), sub(e.fallback))
        if isinstance(e, ir.Previous):
            return _call("t.previous", sub(e.operand))
        if isinstance(e, ir.Run):
            return _call("t.run", sub(e.condition))
        if isinstance(e, (ir.Cohort, ir.Quantile, ir.Quartile)):
            within: tuple[_Doc, ...] = ()  # the group the function runs over, when it is not the row's cohort
            if e.within is not None:
                within = (_call("t.within", *(() if e.within.by is None else (sub(e.within.by),))),)
        if isinstance(e, ir.Cohort):
            method = {"rank": "rank", "percentile_rank": "percentile_rank", "mean": "cohort_mean", "sd": "cohort_sd"}
            return _call(f"t.{method[e.kind]}", sub(e.operand), *within)
        if isinstance(e, ir.Quantile):
            return _call("t.quantile", sub(e.operand), _Text(_number(e.p)), _Text(repr(e.method)), *within)
        if isinstance(e, ir.Quartile):
            return _call("t.quartile", sub(e.operand), _Text(repr(e.method)), *within)
        raise TypeError(f"not an IR expression: {e!r}")


def generate(program: ir.Program) -> str:
    """The source of the evaluator module for a program."""
    return _Generator(program).module()
