"""The reference interpreter: docs/semantics.md, row by row in plain Python, the oracle for compiled evaluators."""

from __future__ import annotations

import bisect
import math
import operator
from collections.abc import Callable, Iterable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal
from typing import Any

from policyc.backend import runtime
from policyc.ir import nodes as ir

Value = float | int | None


def evaluate(program: ir.Program, frame: runtime.Frame) -> dict[str, list]:
    """Every declaration's value on every row, encoded as ir.py says (None for missing)."""
    return _Interpreter(program, frame).evaluate()


class Reader:
    """Expressions read on one row at a time, over values already computed (by either back end): for explanations."""

    def __init__(self, program: ir.Program, frame: runtime.Frame, values: dict):
        self.interpreter = _Interpreter(program, frame)
        for name, column in values.items():  # x != x: NaN, which is missing
            self.interpreter.values[name] = [None if x != x else x for x in map(float, column)]

    def choice(self, table: ir.Table, i: int) -> int | None:
        """The position of the decision table's row that chose on row `i` (len(rows): `otherwise`); None if none."""
        for n, (condition, _) in enumerate(table.rows):
            x = self.interpreter.value(condition, i)
            if x is None:
                return None
            if x == 1:
                return n
        return len(table.rows) if table.otherwise is not None else None

    def chosen(self, table: ir.Table, i: int) -> tuple[ir.Expr | None, ir.Expr] | None:
        """The condition and result of the decision table's row that chose on row `i` (no condition: `otherwise`)."""
        n = self.choice(table, i)
        if n is None:
            return None
        if n < len(table.rows):
            return table.rows[n]
        return None if table.otherwise is None else (None, table.otherwise)


# ---------------------------------------------------------------- numbers


def round_half_up(x: float, places: int) -> float:
    """`x` written to `places + 6` decimal places, rounded to `places` halves away from zero (docs/semantics.md)."""
    if not math.isfinite(x):
        return x
    context = Context(prec=800)  # enough digits for any double; at the default 28, quantize refuses round(1e30, 2)
    written = Decimal(x).quantize(Decimal(1).scaleb(-(places + 6)), rounding=ROUND_HALF_EVEN, context=context)
    return float(written.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=context))


def cut_point(values: list[float], p: float, method: str) -> float:
    """The `p` cut point of values sorted ascending, by the method table of docs/semantics.md."""
    n = len(values)
    h = min(max((n + 1) * p - 1, 0), n - 1) if method == "exclusive" else (n - 1) * p
    lo, hi = math.floor(h), math.ceil(h)
    if method in ("linear", "exclusive"):
        return values[lo] + (values[hi] - values[lo]) * (h - lo)
    if method == "lower":
        return values[lo]
    if method == "higher":
        return values[hi]
    if method == "nearest":
        return values[round(h)]
    if method == "midpoint":
        return (values[lo] + values[hi]) / 2
    raise ValueError(f"unknown quantile method {method}")


def _mean(values: list[float]) -> float | None:
    return _present(_sum(values) / len(values)) if values else None


def _sd(values: list[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = _sum(values) / len(values)
    # d * d, not d ** 2: a product too large for a double is infinity, where ** raises
    return _present(math.sqrt(_sum([(v - mean) * (v - mean) for v in values]) / (len(values) - 1)))


def _present(x: float) -> float | None:
    """NaN (infinity minus infinity) is how a column says missing."""
    return None if math.isnan(x) else x


def _sum(values) -> float:
    total = 0.0  # left to right from 0.0, not math.fsum: the order of additions is part of the contract
    for v in values:
        total += v
    return total


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() and abs(x) < 1e15 else repr(float(x))


def _arith(op: str, a: float, b: float) -> float | None:
    if op == "/" and b == 0:
        return None
    result = _ARITHMETIC[op](a, b)
    return None if math.isnan(result) else result  # NaN is how a column says missing, so inf - inf is missing


_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
_COMPARE = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


def _cell(x: float, kind: str) -> Value:
    if math.isnan(x):
        return None
    return float(x) if kind == "number" else int(x)


# ---------------------------------------------------------------- the interpreter


class _Interpreter:
    def __init__(self, program: ir.Program, frame: runtime.Frame):
        self.program = program
        self.frame = frame
        self.rows = range(frame.n)
        self.org_types = [int(t) for t in frame.org_type]
        self.periods = None if frame.period is None else [int(p) for p in frame.period]
        self.values: dict[str, list[Value]] = {"org_type": list(self.org_types)}
        self.cache: dict[int, list[Value]] = {}  # whole columns of cohort and period nodes, by node id
        self.cohorts: dict[tuple, list[int]] = {}
        for i in self.rows:
            self.cohorts.setdefault(self.cohort_key(i), []).append(i)
        self.at: dict[tuple[str, int], int] = {}
        if self.periods is not None:
            self.at = {(org, period): i for i, (org, period) in enumerate(zip(frame.org, self.periods, strict=True))}

    def cohort_key(self, i: int) -> tuple:
        return self.program.cohorts[self.org_types[i]], None if self.periods is None else self.periods[i]

    def previous_row(self, i: int) -> int | None:
        if self.periods is None:
            return None
        return self.at.get((self.frame.org[i], self.periods[i] - 1))

    def evaluate(self) -> dict[str, list]:
        for decl in self.program.decls:
            if isinstance(decl, ir.Column):
                column = self.input_column(decl)
            elif isinstance(decl, ir.Score):
                column = self.override(decl, self.score(decl))
            else:
                column = self.override(decl, self.derived(decl))
            self.values[decl.name] = column
        return {decl.name: self.values[decl.name] for decl in self.program.decls}

    def input_column(self, decl: ir.Column) -> list[Value]:
        cells = self.frame.columns.get(decl.name)
        out: list[Value] = []
        for i in self.rows:
            value = None if cells is None else _cell(float(cells[i]), decl.type.kind)
            if value is None and decl.default is not None:  # an empty cell reads as the declared default
                value = _cell(float(decl.default), decl.type.kind)
            out.append(value if self.org_types[i] in decl.applies else None)
        return out

    def override(self, decl: ir.Score | ir.Derived, column: list[Value]) -> list[Value]:
        cells = self.frame.columns.get(decl.name)
        if cells is None:
            return column
        return [
            v if math.isnan(float(cells[i])) else _cell(float(cells[i]), decl.type.kind) for i, v in enumerate(column)
        ]

    # ------------------------------------------------------------ derived values and adjustments

    def derived(self, decl: ir.Derived) -> list[Value]:
        self.cache = {}
        column = [self.value(decl.expr, i) for i in self.rows]
        for adjust in decl.adjusts:
            # the value's own name reads the value so far, on every row (a cohort function may see them all)
            self.values[decl.name] = column
            self.cache = {}
            column = [self.adjust(adjust, v, i) for i, v in enumerate(column)]
        self.cache = {}
        return column

    def adjust(self, adjust: ir.Adjust, v: Value, i: int) -> Value:
        target = self.value(adjust.value, i)
        condition = self.value(adjust.condition, i)
        if condition == 0:
            return v
        if adjust.kind == "becomes":
            adjusted = target
        elif v is None or target is None:
            adjusted = None
        else:
            # positions run best first, so the worse of two is the larger
            adjusted = max(v, target) if adjust.kind == "no better than" else min(v, target)
        if condition is None:
            # an unknown condition matters only where the adjustment would change the value
            return v if v is not None and adjusted == v else None
        return adjusted

    # ------------------------------------------------------------ scores

    def score(self, decl: ir.Score) -> list[Value]:
        values = self.values[decl.metric]
        model = decl.scoring
        if isinstance(model, ir.Mapped):
            return [None if x is None else model.scores[int(x)] for x in values]
        if isinstance(model, ir.Bands):
            return [None if x is None else self.band(model, x) for x in values]
        out: list[Value] = [None for _ in self.rows]
        for rows in self.cohorts.values():
            present = [(i, x) for i in rows if (x := values[i]) is not None]
            xs = [x for _, x in present]
            scores = self.ranked(model, xs) if isinstance(model, ir.Ranked) else self.relative(model, xs)
            for (i, _), s in zip(present, scores, strict=True):
                out[i] = s
        return out

    @staticmethod
    def band(model: ir.Bands, x: float) -> Value:
        return next((b.result for b in model.rows if b.holds(x)), None)

    @staticmethod
    def ranked(model: ir.Ranked, values: list[float]) -> list[Value]:
        def meets(x: float) -> bool:
            return model.standard is not None and (x >= model.standard if model.higher else x <= model.standard)

        def fails(x: float) -> bool:
            return model.floor is not None and (x < model.floor if model.higher else x > model.floor)

        lo = 1.0 if model.standard is None else 2.0
        hi = 4.0 if model.floor is None else 3.0
        others = sorted(x for x in values if not meets(x) and not fails(x))
        n = len(others)
        scores: list[Value] = []
        for x in values:
            if meets(x):
                scores.append(1.0)
            elif fails(x):
                scores.append(4.0)
            elif n == 1:
                scores.append(lo)
            else:
                # r: how many are strictly better, counted in the sorted values
                r = n - bisect.bisect_right(others, x) if model.higher else bisect.bisect_left(others, x)
                scores.append(round_half_up(lo + (hi - lo) * r / (n - 1), 2))
        return scores

    @staticmethod
    def relative(model: ir.Relative, values: list[float]) -> list[Value]:
        mean, sd = _mean(values), _sd(values)
        if mean is None or sd is None:
            return [None for _ in values]
        if model.below:
            return [0 if x < mean - model.k * sd else 1 for x in values]
        return [0 if x > mean + model.k * sd else 1 for x in values]

    # ------------------------------------------------------------ expressions, one row at a time

    def value(self, expr: ir.Expr, i: int) -> Value:
        """The expression on row `i`; cohort and period nodes are worked out for every row once, then read."""
        whole = _WHOLE.get(type(expr))
        if whole is None:
            x = _ROW[type(expr)](self, expr, i)
        else:
            if id(expr) not in self.cache:
                self.cache[id(expr)] = whole(self, expr)
            x = self.cache[id(expr)][i]
        return None if isinstance(x, float) and math.isnan(x) else x  # NaN (inf - inf) is missing, as in a column

    def row_const(self, e: ir.Const, i: int) -> Value:
        return e.value

    def row_load(self, e: ir.Load, i: int) -> Value:
        return self.values[e.name][i]

    def row_unary(self, e: ir.Unary, i: int) -> Value:
        x = self.value(e.operand, i)
        if x is None:
            return None
        if e.op == "not":
            return 1 - x
        return -x if e.op == "neg" else abs(x)

    def row_binary(self, e: ir.Binary, i: int) -> Value:
        a, b = self.value(e.left, i), self.value(e.right, i)
        if e.op == "and":
            return 0 if 0 in (a, b) else None if None in (a, b) else 1
        if e.op == "or":
            return 1 if 1 in (a, b) else None if None in (a, b) else 0
        if a is None or b is None:
            return None
        if e.op in _COMPARE:
            return int(_COMPARE[e.op](a, b))
        return _arith(e.op, a, b)

    def row_is_missing(self, e: ir.IsMissing, i: int) -> Value:
        return int((self.value(e.operand, i) is None) != e.negate)

    def row_recode(self, e: ir.Recode, i: int) -> Value:
        x = self.value(e.operand, i)
        return None if x is None else e.codes[int(x)]

    def row_table(self, e: ir.Table, i: int) -> Value:
        # every condition and result is evaluated, chosen or not, so an error anywhere is an error
        rows = [(self.value(c, i), self.value(r, i)) for c, r in e.rows]
        otherwise = None if e.otherwise is None else self.value(e.otherwise, i)
        for condition, result in rows:
            if condition is None:
                return None
            if condition == 1:
                return result
        return otherwise

    def row_cast(self, e: ir.Cast, i: int) -> Value:
        x = self.value(e.operand, i)
        if x is None:
            return None
        if x not in e.numbers:
            where = None if e.span is None else (e.span.file, e.span.line, e.span.col)
            raise runtime.EvalError(f"{_number(x)} is not a value of scale `{e.type.scale}`", row=i, where=where)
        return e.numbers.index(x)

    def row_round(self, e: ir.Round, i: int) -> Value:
        x = self.value(e.operand, i)
        return None if x is None else round_half_up(x, e.places)

    def row_aggregate(self, e: ir.Aggregate, i: int) -> Value:
        weights = e.weights if e.weights is not None else (1.0,) * len(e.args)
        args = [self.value(a, i) for a in e.args]
        present = [(x, w) for x, w in zip(args, weights, strict=True) if x is not None]
        if not present:
            return None
        xs = [x for x, _ in present]
        if e.kind == "count":
            return float(sum(1 for x in xs if x == 1))
        if e.kind in ("min", "max"):
            return min(xs) if e.kind == "min" else max(xs)
        if e.weights is None:
            total = _sum(xs)
            return total if e.kind == "sum" else total / len(xs)
        total = _sum(w * x for x, w in present)
        return total if e.kind == "sum" else total / _sum(w for _, w in present)

    def row_extreme(self, e: ir.Extreme, i: int) -> Value:
        present = [x for x in (self.value(a, i) for a in e.args) if x is not None]
        if not present:
            return None
        return max(present) if e.kind == "worst" else min(present)

    def row_step(self, e: ir.Step, i: int) -> Value:
        x = self.value(e.operand, i)
        return None if x is None else min(max(x + e.steps, 0), e.size - 1)

    def row_if_missing(self, e: ir.IfMissing, i: int) -> Value:
        x, fallback = self.value(e.operand, i), self.value(e.fallback, i)
        return fallback if x is None else x

    # ------------------------------------------------------------ expressions over whole columns

    def operand_column(self, expr: ir.Expr) -> list[Value]:
        return [self.value(expr, i) for i in self.rows]

    def column_previous(self, e: ir.Previous) -> list[Value]:
        x = self.operand_column(e.operand)
        return [None if (j := self.previous_row(i)) is None else x[j] for i in self.rows]

    def column_run(self, e: ir.Run) -> list[Value]:
        c = self.operand_column(e.condition)
        out: list[Value] = [None for _ in self.rows]
        periods = self.periods
        order = sorted(self.rows, key=lambda i: periods[i]) if periods is not None else self.rows
        for i in order:  # period order, so the previous period's run is known first
            if c[i] is None or c[i] == 0:
                out[i] = None if c[i] is None else 0.0
                continue
            j = self.previous_row(i)
            before = None if j is None else out[j]
            out[i] = 1.0 + before if before is not None else 1.0
        return out

    def groups(self, within: ir.Within | None) -> Iterable[list[int]]:
        """The rows of each group a cohort function runs over: the row's cohort, or `within` (every organisation
        of the period, or those with the same value of `by`; a row whose `by` is missing is in none)."""
        if within is None:
            return self.cohorts.values()
        by = None if within.by is None else self.operand_column(within.by)
        found: dict[tuple, list[int]] = {}
        for i in self.rows:
            if by is None or by[i] is not None:
                key = (None if by is None else by[i], None if self.periods is None else self.periods[i])
                found.setdefault(key, []).append(i)
        return found.values()

    def by_cohort(
        self,
        expr: ir.Expr,
        each: Callable[[list[float], list[Value]], list[Value]],
        within: ir.Within | None = None,
    ) -> list[Value]:
        """Per group, `each(values, own)`: its present values in row order, and each of its rows' own value."""
        x = self.operand_column(expr)
        out: list[Value] = [None for _ in self.rows]
        for rows in self.groups(within):
            values = [v for i in rows if (v := x[i]) is not None]
            for i, v in zip(rows, each(values, [x[i] for i in rows]), strict=True):
                out[i] = v
        return out

    def column_cohort(self, e: ir.Cohort) -> list[Value]:
        if e.kind in ("mean", "sd"):
            summary = _mean if e.kind == "mean" else _sd
            return self.by_cohort(e.operand, lambda values, own: [summary(values)] * len(own), e.within)

        def rank(ordered: list[float], x: Value) -> Value:
            if x is None:
                return None
            r = 1 + bisect.bisect_left(ordered, x)  # 1 + how many are below x
            if e.kind == "rank":
                return float(r)
            return 0.0 if len(ordered) == 1 else (r - 1) / (len(ordered) - 1) * 100

        def ranks(values: list[float], own: list[Value]) -> list[Value]:
            ordered = sorted(values)
            return [rank(ordered, x) for x in own]

        return self.by_cohort(e.operand, ranks, e.within)

    def column_quantile(self, e: ir.Quantile) -> list[Value]:
        def quantile(values: list[float], own: list[Value]) -> list[Value]:
            return [cut_point(sorted(values), e.p, e.method) if values else None] * len(own)

        return self.by_cohort(e.operand, quantile, e.within)

    def column_quartile(self, e: ir.Quartile) -> list[Value]:
        def quartile(values: list[float], own: list[Value]) -> list[Value]:
            if not values:
                return [None] * len(own)
            q1, q2, q3 = (cut_point(sorted(values), p, e.method) for p in (0.25, 0.5, 0.75))
            return [None if x is None else 1.0 if x <= q1 else 2.0 if x <= q2 else 3.0 if x <= q3 else 4.0 for x in own]

        return self.by_cohort(e.operand, quartile, e.within)


# Each handler takes the node of its key's type.
_ROW: dict[type, Callable[[_Interpreter, Any, int], Value]] = {
    ir.Const: _Interpreter.row_const,
    ir.Load: _Interpreter.row_load,
    ir.Unary: _Interpreter.row_unary,
    ir.Binary: _Interpreter.row_binary,
    ir.IsMissing: _Interpreter.row_is_missing,
    ir.Recode: _Interpreter.row_recode,
    ir.Table: _Interpreter.row_table,
    ir.Cast: _Interpreter.row_cast,
    ir.Round: _Interpreter.row_round,
    ir.Aggregate: _Interpreter.row_aggregate,
    ir.Extreme: _Interpreter.row_extreme,
    ir.Step: _Interpreter.row_step,
    ir.IfMissing: _Interpreter.row_if_missing,
}
_WHOLE: dict[type, Callable[[_Interpreter, Any], list[Value]]] = {
    ir.Previous: _Interpreter.column_previous,
    ir.Run: _Interpreter.column_run,
    ir.Cohort: _Interpreter.column_cohort,
    ir.Quantile: _Interpreter.column_quantile,
    ir.Quartile: _Interpreter.column_quartile,
}
