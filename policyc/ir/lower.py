"""A checked policy to the typed IR: each expression with the type the checker gave it, each call by its built-in."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

from policyc.ir import nodes as ir
from policyc.semantics.builtins import BUILTINS, DEFAULT_QUANTILE_METHOD, WITHIN_ALL, Builtin
from policyc.semantics.check import Checked
from policyc.semantics.types import Type, number_key
from policyc.syntax import ast
from policyc.syntax.source import Span


def lower(checked: Checked) -> ir.Program:
    return _Lowering(checked).program()


def _provenance(items: tuple[ast.Provenance, ...]) -> tuple[ir.Provenance, ...]:
    return tuple(ir.Provenance(p.kind, p.text) for p in items)


def _float(value: Decimal) -> float:
    return float(value)


def _encoded(value: ast.Literal, t: Type) -> float | int:
    """A checked literal of type `t` as the back ends hold it: a number, yes/no as 1/0, a label by its position."""
    if t.kind == "bool":
        return 1 if value.text == "yes" else 0
    if t.kind == "number":
        return _float(Decimal(value.text))
    key = number_key(Decimal(value.text)) if value.kind == "number" else value.text
    return t.labels.index(key)


class _Lowering:
    def __init__(self, checked: Checked):
        self.checked = checked
        self.scope = checked.scope
        self.types = checked.types
        self.org_types = tuple(self.scope.org_types)
        self.uses_periods = False

    def program(self) -> ir.Program:
        scope = self.scope
        columns = [self.column(d, "judgement" if d.judgement else "input") for d in scope.inputs.values()]
        columns += [self.column(m, "metric") for m in scope.metrics.values()]
        scores = [self.score(m, m.scoring) for m in scope.metrics.values() if m.scoring is not None]
        derived = [self.derived(scope.values[name]) for name in scope.order]
        header = self.checked.header
        cohort_names: dict[str, int] = {}
        cohorts = tuple(
            cohort_names.setdefault(scope.cohort_of.get(t, f"type:{t}"), len(cohort_names)) for t in self.org_types
        )
        outcome = scope.outcome.name.text if scope.outcome is not None else None
        descriptions = tuple(
            (name, tuple((item.key.text, item.label) for item in scale.items if item.label))
            for name, scale in scope.scales.items()
        )
        return ir.Program(
            header.name,
            header.version,
            _provenance(header.provenance),
            self.org_types,
            cohorts,
            (*columns, *scores, *derived),
            outcome,
            self.uses_periods,
            descriptions,
        )

    def column(self, decl: ast.Input | ast.Metric, kind: str) -> ir.Column:
        name = decl.name.text
        t = self.types[name]
        default = decl.default if isinstance(decl, ast.Input) else None
        return ir.Column(
            name,
            kind,
            t,
            self.applies(decl.applies),
            _provenance(decl.provenance),
            None if default is None else _encoded(default.value, t),
            () if default is None else _provenance(default.provenance),
            span=decl.name.span,
        )

    def applies(self, applies: ast.Applies | None) -> tuple[int, ...]:
        if applies is None or applies.org_types is None:
            return tuple(range(len(self.org_types)))
        named = {n.text for n in applies.org_types}
        return tuple(n for n, t in enumerate(self.org_types) if t in named)

    # ------------------------------------------------------------ metrics

    def score(self, metric: ast.Metric, scoring: ast.Scoring) -> ir.Score:
        name = metric.name.text
        t = self.types[f"{name}.score"]
        model: ir.Scoring
        match scoring:
            case ast.Ranked():
                model = ir.Ranked(
                    metric.direction == "higher",
                    _float(scoring.standard.value) if scoring.standard else None,
                    _float(scoring.floor.value) if scoring.floor else None,
                )
            case ast.Bands():
                model = ir.Bands(tuple(self.band(row, t) for row in scoring.rows))
            case ast.Scores():
                mapped = {pair.label.text: _float(pair.score.value) for pair in scoring.pairs}
                model = ir.Mapped(tuple(mapped[label] for label in self.types[name].labels))
            case ast.Relative():
                model = ir.Relative(_float(scoring.k.value), scoring.side == "below")
        weight = _float(self.checked.constant(metric.weight.value)) if metric.weight is not None else 1.0
        return ir.Score(
            f"{name}.score",
            name,
            model,
            weight,
            t,
            _provenance(metric.provenance),
            _low_is_better(model, metric.direction),
            span=scoring.span,
        )

    def band(self, row: ast.BandRow, t: Type) -> ir.Band:
        result = row.result
        value = _float(Decimal(result.text)) if result.kind == "number" else t.labels.index(result.text)
        return ir.Band(
            _float(row.lower.value.value) if row.lower else None,
            bool(row.lower and row.lower.inclusive),
            _float(row.upper.value.value) if row.upper else None,
            bool(row.upper and row.upper.inclusive),
            value,
        )

    # ------------------------------------------------------------ derived values

    def derived(self, value: ast.Value) -> ir.Derived:
        t = self.types[value.name.text]
        adjusts = tuple(
            ir.Adjust(
                a.kind,
                self.to(a.value, t),
                self.expr(a.condition),
                _provenance(a.provenance),
                span=_through(a.span, a.condition.span),
            )
            for a in value.adjusts
        )
        return ir.Derived(
            value.name.text,
            t,
            self.to(value.expr, t),
            adjusts,
            _provenance(value.provenance),
            span=_through(value.name.span, value.expr.span),
        )

    def to(self, expr: ast.Expr, t: Type) -> ir.Expr:
        """An expression lowered where a value of type `t` is wanted, its labels recoded to `t`'s."""
        return _recode(self.expr(expr), t)

    def expr(self, expr: ast.Expr) -> ir.Expr:
        t = self.checked.type_of(expr)
        span = expr.span
        match expr:
            case ast.Number():
                if t.kind == "scale" and t.numbered:
                    return ir.Const(t.labels.index(number_key(expr.value)), t, span=span)
                return ir.Const(_float(expr.value), t, span=span)
            case ast.Bool():
                return ir.Const(int(expr.value), t, span=span)
            case ast.Missing():
                return ir.Const(None, t, span=span)
            case ast.Ref() if self.scope.is_label(expr):
                return ir.Const(t.labels.index(expr.name.text), t, span=span)
            case ast.Ref():
                return ir.Load(expr.name.text, t, span=span)
            case ast.Member():
                return ir.Load(f"{expr.target.text}.score", t, span=span)
            case ast.Unary():
                return ir.Unary("not" if expr.op == "not" else "neg", self.expr(expr.operand), t, span=span)
            case ast.Binary():
                return self.binary(expr, t)
            case ast.Cast():
                numbers = tuple(float(label) for label in t.labels)
                return ir.Cast(self.expr(expr.operand), numbers, t, span=span)
            case ast.Table():
                rows = tuple(
                    (self.expr(row.condition), self.to(row.result, t)) for row in expr.rows if row.condition is not None
                )
                otherwise = next((self.to(row.result, t) for row in expr.rows if row.condition is None), None)
                return ir.Table(rows, otherwise, t, span=span)
            case ast.Call():
                builtin = BUILTINS[expr.func.text]
                return _CALLS[builtin.node](self, expr, builtin, t)

    def binary(self, expr: ast.Binary, t: Type) -> ir.Expr:
        op, span = expr.op, expr.span
        if op in ast.LOGIC or op in ast.ARITHMETIC or op in ("<", "<=", ">", ">="):
            return ir.Binary(op, self.expr(expr.left), self.expr(expr.right), t, span=span)
        first, second = expr.left, expr.right
        if isinstance(second, ast.Missing) or isinstance(first, ast.Missing):
            other = first if isinstance(second, ast.Missing) else second
            return ir.IsMissing(self.expr(other), op == "is not", t, span=span)
        # A value is compared with a label, whichever side the label is written on.
        swapped = self.scope.is_label(first) and not self.scope.is_label(second)
        if swapped:
            first, second = second, first
        left = self.expr(first)
        right = _recode(self.expr(second), left.type)
        if swapped and op in ("better than", "worse than"):
            left, right = right, left
        code = {"is": "==", "is not": "!=", "better than": "<", "worse than": ">"}[op]
        return ir.Binary(code, left, right, t, span=span)

    # ------------------------------------------------------------ calls, by the IR node their built-in becomes

    def whole(self, expr: ast.Expr) -> int:
        return int(self.checked.constant(expr))

    def round(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        x, places = _exprs(call)
        return ir.Round(self.expr(x), self.whole(places), t, span=call.span)

    def unary(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        return ir.Unary(_kind(builtin), self.expr(_exprs(call)[0]), t, span=call.span)

    def aggregate(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        parts: list[ir.Expr] = []
        weights: list[float] = []
        for arg in call.args:
            if isinstance(arg, ast.Selector):
                for metric in self.checked.selected(arg):
                    score = f"{metric.name.text}.score"
                    parts.append(ir.Load(score, self.types[score], span=arg.span))
                    weights.append(_float(self.checked.constant(metric.weight.value)) if metric.weight else 1.0)
            elif not isinstance(arg, ast.NamedArg):
                parts.append(self.expr(arg))
        weighted = tuple(weights) if builtin.weighted else None
        return ir.Aggregate(_kind(builtin), tuple(parts), weighted, t, span=call.span)

    def extreme(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        return ir.Extreme(_kind(builtin), tuple(self.to(a, t) for a in _exprs(call)), t, span=call.span)

    def step(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        x, steps = _exprs(call)
        worse = self.whole(steps) if builtin.kind == "worsen" else -self.whole(steps)
        return ir.Step(self.expr(x), worse, len(t.labels), t, span=call.span)

    def if_missing(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        x, fallback = _exprs(call)
        return ir.IfMissing(self.to(x, t), self.to(fallback, t), t, span=call.span)

    def previous(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        self.uses_periods = True
        return ir.Previous(self.expr(_exprs(call)[0]), t, span=call.span)

    def run(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        self.uses_periods = True
        return ir.Run(self.expr(_exprs(call)[0]), t, span=call.span)

    def cohort(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        return ir.Cohort(_kind(builtin), self.expr(_exprs(call)[0]), t, self.within(call), span=call.span)

    def quantile(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        x, p = _exprs(call)
        p_value = _float(self.checked.constant(p))
        return ir.Quantile(self.expr(x), p_value, _method(call), t, self.within(call), span=call.span)

    def quartile(self, call: ast.Call, builtin: Builtin, t: Type) -> ir.Expr:
        return ir.Quartile(self.expr(_exprs(call)[0]), _method(call), t, self.within(call), span=call.span)

    def within(self, call: ast.Call) -> ir.Within | None:
        """A cohort function's `within:` group: None for the row's cohort."""
        named = {a.name.text: a.value for a in call.args if isinstance(a, ast.NamedArg)}
        group = named.get("within")
        if not isinstance(group, ast.Ref):
            return None
        by = None if group.name.text == WITHIN_ALL else self.expr(group)
        return ir.Within(by, span=group.span)


_CALLS: dict[str, Callable[[_Lowering, ast.Call, Builtin, Type], ir.Expr]] = {
    "Round": _Lowering.round,
    "Unary": _Lowering.unary,
    "Aggregate": _Lowering.aggregate,
    "Extreme": _Lowering.extreme,
    "Step": _Lowering.step,
    "IfMissing": _Lowering.if_missing,
    "Previous": _Lowering.previous,
    "Run": _Lowering.run,
    "Cohort": _Lowering.cohort,
    "Quantile": _Lowering.quantile,
    "Quartile": _Lowering.quartile,
}


def _exprs(call: ast.Call) -> list[ast.Expr]:
    """A call's positional arguments, for a function that takes no `metric scores`."""
    return [a for a in call.args if not isinstance(a, (ast.NamedArg, ast.Selector))]


def _kind(builtin: Builtin) -> str:
    if builtin.kind is None:
        raise ValueError(f"the built-in `{builtin.name}` names no kind of {builtin.node}")
    return builtin.kind


def _method(call: ast.Call) -> str:
    named = {a.name.text: a.value for a in call.args if isinstance(a, ast.NamedArg)}
    method = named.get("method")
    return method.name.text if isinstance(method, ast.Ref) else DEFAULT_QUANTILE_METHOD


def _through(first: Span | None, last: Span | None) -> Span | None:
    """From the start of one span to the end of another: a rule without the provenance that follows it."""
    if first is None or last is None:
        return first
    return Span(first.file, first.line, first.col, last.end_line, last.end_col, first.start, last.end)


def _recode(expr: ir.Expr, t: Type) -> ir.Expr:
    """Labels of one set taken to the positions of another set that holds them."""
    have = expr.type
    if have.kind not in ("labels", "scale") or t.kind not in ("labels", "scale") or have.labels == t.labels:
        return expr
    if isinstance(expr, ir.Const):
        value = None if expr.value is None else t.labels.index(have.labels[int(expr.value)])
        return ir.Const(value, t, span=expr.span)
    codes = tuple(t.labels.index(label) if label in t.labels else -1 for label in have.labels)
    return ir.Recode(expr, codes, t, span=expr.span)


def _low_is_better(model: ir.Scoring, direction: str | None) -> bool | None:
    """Which end of a metric's scores is the better, for explanations that name the scores pulling a mean down."""
    if isinstance(model, ir.Ranked):
        return True
    if isinstance(model, ir.Mapped):  # a rating's labels run best first
        return model.scores[0] < model.scores[-1] if model.scores[0] != model.scores[-1] else None
    if isinstance(model, ir.Bands) and direction is not None:
        top = max(model.rows, key=lambda r: math.inf if r.upper is None else r.upper)
        bottom = min(model.rows, key=lambda r: -math.inf if r.lower is None else r.lower)
        best, worst = (top, bottom) if direction == "higher" else (bottom, top)
        return best.result < worst.result if best.result != worst.result else None
    return None
