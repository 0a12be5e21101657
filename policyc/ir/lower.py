"""A checked policy to the typed IR: names resolved, bare labels placed on their scale, selectors expanded."""

from __future__ import annotations

import math
from decimal import Decimal

from policyc.ir import nodes as ir
from policyc.semantics.check import Checked, constant, item_key, number_key, select
from policyc.semantics.types import BOOL, Type, number
from policyc.syntax import ast
from policyc.syntax.source import Span


def lower(checked: Checked) -> ir.Program:
    return _Lowering(checked).program()


def _provenance(items: tuple[ast.Provenance, ...]) -> tuple[ir.Provenance, ...]:
    return tuple(ir.Provenance(p.kind, p.text) for p in items)


def _float(value: Decimal) -> float:
    return float(value)


class _Lowering:
    def __init__(self, checked: Checked):
        self.checked = checked
        self.scope = checked.scope
        self.types = checked.types
        self.org_types = tuple(self.scope.org_types)
        self.org_type = Type("labels", labels=self.org_types)
        self.uses_periods = False

    def program(self) -> ir.Program:
        scope = self.scope
        columns, scores = [], []
        for decl in [*scope.inputs.values(), *scope.metrics.values()]:
            kind = "metric" if isinstance(decl, ast.Metric) else ("judgement" if decl.judgement else "input")
            columns.append(
                ir.Column(
                    decl.name.text,
                    kind,
                    self.types[decl.name.text],
                    self.applies(decl.applies),
                    _provenance(decl.provenance),
                    span=decl.name.span,
                )
            )
        for metric in scope.metrics.values():
            if metric.scoring is not None:
                scores.append(self.score(metric))
        derived = [self.derived(scope.values[name]) for name in scope.order]
        header = scope.header
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

    def applies(self, applies: ast.Applies | None) -> tuple[int, ...]:
        if applies is None or applies.org_types is None:
            return tuple(range(len(self.org_types)))
        named = {n.text for n in applies.org_types}
        return tuple(n for n, t in enumerate(self.org_types) if t in named)

    # ------------------------------------------------------------ metrics

    def score(self, metric: ast.Metric) -> ir.Score:
        name = metric.name.text
        t = self.types[f"{name}.score"]
        scoring = metric.scoring
        if isinstance(scoring, ast.Ranked):
            model = ir.Ranked(
                metric.direction == "higher",
                _float(scoring.standard.value) if scoring.standard else None,
                _float(scoring.floor.value) if scoring.floor else None,
            )
        elif isinstance(scoring, ast.Bands):
            model = ir.Bands(tuple(self.band(row, t) for row in scoring.rows))
        elif isinstance(scoring, ast.Scores):
            mapped = {pair.label.text: _float(pair.score.value) for pair in scoring.pairs}
            model = ir.Mapped(tuple(mapped[label] for label in self.types[name].labels))
        else:
            model = ir.Relative(_float(scoring.k.value), scoring.side == "below")
        weight = _float(constant(metric.weight.value)) if metric.weight is not None else 1.0
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

    def to(self, expr, t: Type) -> ir.Expr:
        """An expression lowered where a value of type `t` is wanted, its labels recoded to `t`'s."""
        return _recode(self.expr(expr, t), t)

    def is_bare_label(self, expr) -> bool:
        return (
            isinstance(expr, ast.Ref)
            and self.scope.named(expr.name.text) is None
            and expr.name.text not in ("org", "org_type", "period")
        )

    def label(self, expr: ast.Ref, expected: Type | None) -> ir.Const:
        name = expr.name.text
        if expected is not None and expected.kind in ("labels", "scale") and name in expected.labels:
            t = expected
        else:
            t = self.checked.labels[name][0]
        return ir.Const(t.labels.index(name), t, span=expr.span)

    def common(self, exprs, expected: Type | None) -> Type:
        """The type several alternatives share (table results, `worst` arguments), as the checker found it."""
        if expected is not None:
            return expected
        for e in exprs:
            if self.is_bare_label(e):
                owners = self.checked.labels.get(e.name.text, [])
                if len(owners) == 1:
                    return owners[0]
                continue
            t = self.expr(e).type
            if t.kind != "error":
                return t
        return number()

    def expr(self, expr, expected: Type | None = None) -> ir.Expr:
        span = expr.span
        if isinstance(expr, ast.Number):
            if expected is not None and expected.kind == "scale" and expected.numbered:
                return ir.Const(expected.labels.index(number_key(expr.value)), expected, span=span)
            return ir.Const(_float(expr.value), number(), span=span)
        if isinstance(expr, ast.Bool):
            return ir.Const(int(expr.value), BOOL, span=span)
        if isinstance(expr, ast.Missing):
            return ir.Const(None, expected or number(), span=span)
        if isinstance(expr, ast.Ref):
            name = expr.name.text
            if name == "org_type":
                return ir.Load(name, self.org_type, span=span)
            if self.scope.named(name) is not None:
                return ir.Load(name, self.types[name], span=span)
            return self.label(expr, expected)
        if isinstance(expr, ast.Member):
            name = f"{expr.target.text}.score"
            return ir.Load(name, self.types[name], span=span)
        if isinstance(expr, ast.Unary):
            operand = self.expr(expr.operand)
            if expr.op == "not":
                return ir.Unary("not", operand, BOOL, span=span)
            return ir.Unary("neg", operand, operand.type, span=span)
        if isinstance(expr, ast.Binary):
            return self.binary(expr)
        if isinstance(expr, ast.Cast):
            scale = _scale_type(self.scope, expr.scale.text)
            numbers = tuple(float(label) for label in scale.labels)
            return ir.Cast(self.expr(expr.operand), numbers, scale, span=span)
        if isinstance(expr, ast.Table):
            t = self.common([row.result for row in expr.rows], expected)
            rows = tuple(
                (self.expr(row.condition), self.to(row.result, t)) for row in expr.rows if row.condition is not None
            )
            otherwise = next((self.to(row.result, t) for row in expr.rows if row.condition is None), None)
            return ir.Table(rows, otherwise, t, span=span)
        if isinstance(expr, ast.Call):
            return self.call(expr, expected)
        raise TypeError(f"not an expression: {expr!r}")

    def binary(self, expr: ast.Binary) -> ir.Expr:
        op, span = expr.op, expr.span
        if op in ast.LOGIC:
            return ir.Binary(op, self.expr(expr.left), self.expr(expr.right), BOOL, span=span)
        if op in ast.ARITHMETIC:
            left, right = self.expr(expr.left), self.expr(expr.right)
            unit = None if (left.type.unit and right.type.unit and op in "*/") else (left.type.unit or right.type.unit)
            return ir.Binary(op, left, right, number(unit), span=span)
        if op in ("<", "<=", ">", ">="):
            return ir.Binary(op, self.expr(expr.left), self.expr(expr.right), BOOL, span=span)
        first, second = expr.left, expr.right
        if isinstance(second, ast.Missing) or isinstance(first, ast.Missing):
            other = first if isinstance(second, ast.Missing) else second
            return ir.IsMissing(self.expr(other), op == "is not", BOOL, span=span)
        swapped = self.is_bare_label(first) and not self.is_bare_label(second)
        if swapped:
            first, second = second, first
        left = self.expr(first)
        right = _recode(self.expr(second, left.type), left.type)
        if swapped and op in ("better than", "worse than"):
            left, right = right, left
        code = {"is": "==", "is not": "!=", "better than": "<", "worse than": ">"}[op]
        return ir.Binary(code, left, right, BOOL, span=span)

    def call(self, call: ast.Call, expected: Type | None) -> ir.Expr:
        name, span = call.func.text, call.span
        args = [a for a in call.args if not isinstance(a, ast.NamedArg)]
        named = {a.name.text: a.value for a in call.args if isinstance(a, ast.NamedArg)}
        method = named["method"].name.text if "method" in named else "linear"
        if name == "round":
            x = self.expr(args[0])
            return ir.Round(x, int(args[1].value), x.type, span=span)
        if name == "abs":
            x = self.expr(args[0])
            return ir.Unary("abs", x, x.type, span=span)
        if name in ("mean", "sum", "min", "max", "count", "weighted_mean", "weighted_sum"):
            return self.aggregate(call, name, args)
        if name in ("worst", "best"):
            t = self.common(args, expected)
            return ir.Extreme(name, tuple(self.to(a, t) for a in args), t, span=span)
        if name in ("worsen", "improve"):
            x = self.expr(args[0], expected)
            steps = int(args[1].value)
            return ir.Step(x, steps if name == "worsen" else -steps, len(x.type.labels), x.type, span=span)
        if name == "if_missing":
            t = self.common(args, expected)
            return ir.IfMissing(self.to(args[0], t), self.to(args[1], t), t, span=span)
        if name == "previous":
            self.uses_periods = True
            x = self.expr(args[0], expected)
            return ir.Previous(x, x.type, span=span)
        if name == "run":
            self.uses_periods = True
            return ir.Run(self.expr(args[0]), number("count"), span=span)
        x = self.expr(args[0])
        if name in ("rank", "percentile_rank"):
            return ir.Cohort(name, x, number(), span=span)
        if name in ("cohort_mean", "cohort_sd"):
            return ir.Cohort(name.removeprefix("cohort_"), x, x.type, span=span)
        if name == "quantile":
            return ir.Quantile(x, _float(constant(args[1])), method, x.type, span=span)
        if name == "quartile":
            return ir.Quartile(x, method, number(), span=span)
        raise TypeError(f"unknown function {name}")

    def aggregate(self, call: ast.Call, name: str, args) -> ir.Aggregate:
        parts: list[ir.Expr] = []
        weights: list[float] = []
        for arg in args:
            if isinstance(arg, ast.Selector):
                for metric in select(self.scope, arg):
                    score = f"{metric.name.text}.score"
                    parts.append(ir.Load(score, self.types[score], span=arg.span))
                    weights.append(_float(constant(metric.weight.value)) if metric.weight else 1.0)
            else:
                parts.append(self.expr(arg))
        weighted = name.startswith("weighted_")
        kind = name.removeprefix("weighted_")
        if kind == "count":
            t = number("count")
        else:
            t = parts[0].type if parts else number()
            for p in parts[1:]:
                if t.unit is None:
                    t = p.type
        return ir.Aggregate(kind, tuple(parts), tuple(weights) if weighted else None, t, span=call.span)


def _through(first: Span | None, last: Span | None) -> Span | None:
    """From the start of one span to the end of another: a rule without the provenance that follows it."""
    if first is None or last is None:
        return first
    return Span(first.file, first.line, first.col, last.end_line, last.end_col, first.start, last.end)


def _scale_type(scope, name: str) -> Type:
    scale = scope.scales[name]
    numbered = all(isinstance(i.key, ast.Number) for i in scale.items)
    return Type("scale", scale=name, labels=tuple(item_key(i) for i in scale.items), numbered=numbered)


def _recode(expr: ir.Expr, t: Type) -> ir.Expr:
    """Labels of one set taken to the positions of another set that holds them."""
    have = expr.type
    if have.kind not in ("labels", "scale") or t.kind not in ("labels", "scale") or have.labels == t.labels:
        return expr
    if isinstance(expr, ir.Const):
        value = None if expr.value is None else t.labels.index(have.labels[expr.value])
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
