"""IR expressions as SQL over encoded DOUBLE columns, with docs/semantics.md's meaning: NULL is missing.

Arithmetic is IEEE double precision as in the interpreter, and a result that is not a number becomes NULL.
Comparisons and logic are Kleene's on NULL. Cohort functions are window functions over the row's cohort
(`#cohort` x `period`) or its `within` group; `previous` and `run` are window functions over each organisation's
periods, in which a gap breaks a run. Rounding and cut points are worked out in exact steps (rounding.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from sqlglot import exp

from policyc.ir import nodes as ir
from policyc.syntax.diagnostics import Diagnostics

from . import rounding
from .dialects import Dialect
from .query import (
    COHORT,
    NULL,
    ONE,
    PERIOD,
    ROW,
    ZERO,
    Part,
    Side,
    Steps,
    add,
    after,
    ascending,
    case,
    col,
    div,
    eq,
    floor,
    greatest,
    integer,
    is_null,
    least,
    mul,
    not_null,
    number,
    paren,
    simple_case,
    sub,
    window,
)

CODE = "PC701"
ALL = "#all"  # a column of one value: the key of `within: all`
ORG_KEY = ["org"]
COMPARE: dict[str, Callable[..., exp.Expr]] = {
    "<": exp.LT,
    "<=": exp.LTE,
    ">": exp.GT,
    ">=": exp.GTE,
    "==": exp.EQ,
    "!=": exp.NEQ,
}
ARITHMETIC = {"+": add, "-": sub, "*": mul}
# Terms of a sum written in one expression before the running sum becomes a column.
CHUNK = 8


@attrs.frozen
class Ranking:
    """A cohort's values sorted (`Translator.ranking`): parts, made in the cohort table `side` or, without one, in
    the query, giving for each value how many of its cohort's come `before` it, how many there are (`total`), the
    value itself and how many rows hold it (`repeats`); `partition` names the cohort and period there."""

    side: Side | None
    before: Part
    total: Part
    value: Part
    repeats: Part
    partition: list[str]

    def only(self, condition: exp.Expr) -> None:
        """Where a row per value holds the same for its whole cohort: the one row of each cohort to read it from."""
        if self.side is not None:
            self.side.only(condition)


class Translator:
    """Expressions to parts of the query; a construct the dialect cannot express exactly is a diagnostic."""

    def __init__(self, steps: Steps, dialect: Dialect, diagnostics: Diagnostics):
        self.main = steps  # the query's own steps
        self.steps = steps  # the steps parts are made in now: the query's, or a cohort table's (`within`)
        self.dialect = dialect
        self.diagnostics = diagnostics
        self.names: dict[str, Part] = {"org_type": Part(exp.cast(col("org_type"), "DOUBLE"), 1)}
        self.casts: list[ir.Cast] = []  # a failing cast names its position here in the query's error
        self.checks: list[str] = []  # the columns that check each cast on every row
        # each column's cohort tables (by the column, direction and joined keys), made once for all that read them
        self.rankings: dict[tuple[str, str, bool, int], Ranking] = {}
        self.key = COHORT  # the column whose values, with the period, group the rows cohort functions run over

    def refuse(self, node: ir.Node, what: str, why: str) -> Part:
        self.diagnostics.error(
            CODE,
            f"{what} cannot be expressed exactly in {self.dialect.name} SQL",
            node.span,
            f"{why}; evaluate this policy with the numpy engine, or target a dialect that can",
        )
        return Part(NULL, 1)

    def number(self, value: float) -> exp.Expr:
        return number(value)

    def present(self, e: exp.Expr) -> exp.Expr:
        """A double that is not a number (infinity minus infinity) as NULL, the way a column says missing."""
        if not self.dialect.infinity:
            return e
        return exp.Nullif(this=e, expression=exp.cast(exp.Literal.string("NaN"), "DOUBLE"))

    def shared(self, part: Part) -> Part:
        return self.steps.shared(part)

    def column(self, part: Part) -> Part:
        return self.steps.column(part)

    # ------------------------------------------------------------ expressions

    def expr(self, e: ir.Expr) -> Part:
        handler: Callable[[Translator, Any], Part] = _HANDLERS[type(e)]
        return handler(self, e)

    def const(self, e: ir.Const) -> Part:
        if e.value is None:
            return Part(NULL, 1)
        value = float(e.value)
        if value != value:
            return Part(NULL, 1)
        if abs(value) == float("inf") and not self.dialect.infinity:
            return self.refuse(e, "an infinite number", f"{self.dialect.name}'s float holds no infinity")
        return Part(self.number(value), 1)

    def load(self, e: ir.Load) -> Part:
        return self.names[e.name]

    def unary(self, e: ir.Unary) -> Part:
        x = self.expr(e.operand)
        if e.op == "neg":
            return Part(exp.Neg(this=paren(x.sql)), x.step)
        if e.op == "abs":
            return Part(exp.Abs(this=x.sql), x.step)
        return self._not(self.shared(x))

    def _not(self, x: Part) -> Part:
        return Part(case((eq(x.sql, ZERO), ONE), (not_null(x.sql), ZERO)), x.step)

    def binary(self, e: ir.Binary) -> Part:
        a, b = self.expr(e.left), self.expr(e.right)
        if e.op in ARITHMETIC:
            return Part(self.present(ARITHMETIC[e.op](a.sql, b.sql)), after(a, b))
        a, b = self.shared(a), self.shared(b)
        step = after(a, b)
        if e.op == "/":
            return Part(case((eq(b.sql, ZERO), NULL), default=self.present(div(a.sql, b.sql))), step)
        if e.op in ("and", "or"):
            strong = ZERO if e.op == "and" else ONE  # the value that decides whatever the other side is
            either = exp.Or(this=eq(a.sql, strong), expression=eq(b.sql, strong))
            unknown = exp.Or(this=is_null(a.sql), expression=is_null(b.sql))
            return Part(case((either, strong), (unknown, NULL), default=ONE if e.op == "and" else ZERO), step)
        test = COMPARE[e.op](this=paren(a.sql), expression=paren(b.sql))
        return Part(case((test, ONE), (exp.Not(this=exp.Paren(this=test.copy())), ZERO)), step)

    def is_missing(self, e: ir.IsMissing) -> Part:
        x = self.expr(e.operand)
        yes, no = (ZERO, ONE) if e.negate else (ONE, ZERO)
        return Part(case((is_null(x.sql), yes), default=no), x.step)

    def recode(self, e: ir.Recode) -> Part:
        x = self.expr(e.operand)
        return Part(simple_case(x.sql, [(integer(i), integer(c)) for i, c in enumerate(e.codes)]), x.step)

    def table(self, e: ir.Table) -> Part:
        whens: list[tuple[exp.Expr, exp.Expr]] = []
        parts: list[Part] = []
        for condition, result in e.rows:
            c, r = self.shared(self.expr(condition)), self.expr(result)
            whens += [(eq(c.sql, ONE), r.sql), (is_null(c.sql), NULL)]
            parts += [c, r]
        otherwise: exp.Expr = NULL
        if e.otherwise is not None:
            o = self.expr(e.otherwise)
            parts.append(o)
            otherwise = o.sql
        return Part(case(*whens, default=otherwise), after(*parts))

    def cast(self, e: ir.Cast) -> Part:
        if self.dialect.raise_function is None:
            return self.refuse(
                e, "a number taken as a scale value (`as`)", f"{self.dialect.name} SQL cannot fail a query from within"
            )
        x = self.shared(self.expr(e.operand))
        self.casts.append(e)
        message = exp.DPipe(
            this=exp.DPipe(
                this=exp.Literal.string(f"policyc: cast {len(self.casts) - 1} fails on row "),
                expression=exp.cast(col(ROW), "VARCHAR"),
            ),
            expression=exp.DPipe(this=exp.Literal.string(" with "), expression=exp.cast(x.sql, "VARCHAR")),
        )
        whens = [(self.number(v), integer(i)) for i, v in enumerate(e.numbers)]
        failed = case((is_null(x.sql), NULL), default=exp.cast(self.dialect.fail(message), "DOUBLE"))
        # a column of its own, so that every row is checked, also where a decision table does not choose it
        checked = self.column(Part(simple_case(x.sql, whens, default=failed), x.step))
        self.checks.append(checked.sql.name)
        return checked

    def round(self, e: ir.Round) -> Part:
        if not 0 <= e.places <= rounding.MAX_PLACES:
            return self.refuse(
                e, f"rounding to {e.places} places", f"the query rounds exactly to 0 to {rounding.MAX_PLACES} places"
            )
        return rounding.round_half(self, self.expr(e.operand), e.places)

    def aggregate(self, e: ir.Aggregate) -> Part:
        args = [self.expr(a) for a in e.args]
        if e.kind in ("min", "max"):
            # LEAST and GREATEST skip NULLs, and give NULL when every argument is
            function = least if e.kind == "min" else greatest
            return Part(function(*[a.sql for a in args]), after(*args))
        args = [self.shared(a) for a in args]
        weights = e.weights if e.weights is not None else (1.0,) * len(args)
        total, count, seen = Part(ZERO, 1), Part(ZERO, 1), Part(exp.false(), 1)
        for n, (a, w) in enumerate(zip(args, weights, strict=True)):
            if n and n % CHUNK == 0:
                # the running sums as columns, so that no expression nests deeper than a few terms
                total, count = self.column(total), self.column(count)
                seen = self.column(Part(case((seen.sql, ONE), default=ZERO), seen.step))
                seen = Part(eq(seen.sql, ONE), seen.step)
            seen = Part(exp.or_(seen.sql, not_null(a.sql)), after(seen, a))
            if e.kind == "count":
                total = Part(add(total.sql, case((eq(a.sql, ONE), ONE), default=ZERO)), after(total, a))
                continue
            term = a.sql if e.weights is None else mul(self.number(w), a.sql)
            total = Part(add(total.sql, exp.Coalesce(this=term, expressions=[ZERO])), after(total, a))
            count = Part(add(count.sql, case((not_null(a.sql), self.number(w)), default=ZERO)), after(count, a))
        result = div(total.sql, count.sql) if e.kind == "mean" else total.sql
        return Part(case((seen.sql, self.present(result)), default=NULL), after(total, count, seen))

    def extreme(self, e: ir.Extreme) -> Part:
        args = [self.expr(a) for a in e.args]
        function = greatest if e.kind == "worst" else least  # positions run best first
        return Part(function(*[a.sql for a in args]), after(*args))

    def step(self, e: ir.Step) -> Part:
        x = self.shared(self.expr(e.operand))
        moved = add(x.sql, integer(e.steps))
        last = integer(e.size - 1)
        return Part(
            case(
                (exp.LT(this=moved, expression=ZERO), ZERO),
                (exp.GT(this=moved.copy(), expression=last), last),
                default=moved.copy(),
            ),
            x.step,
        )

    def if_missing(self, e: ir.IfMissing) -> Part:
        x, fallback = self.expr(e.operand), self.expr(e.fallback)
        return Part(exp.Coalesce(this=x.sql, expressions=[fallback.sql]), after(x, fallback))

    # ------------------------------------------------------------ periods

    def previous(self, e: ir.Previous) -> Part:
        x = self.column(self.expr(e.operand))
        order = [col("period")]
        before = window(exp.Lag(this=col("period")), ORG_KEY, order)
        just_before = eq(before, sub(col("period"), ONE))
        return Part(case((just_before, window(exp.Lag(this=x.sql), ORG_KEY, order))), x.step)

    def run(self, e: ir.Run) -> Part:
        c = self.column(self.expr(e.condition))
        order = [col("period")]
        carried = exp.and_(
            eq(c.sql, ONE),
            eq(window(exp.Lag(this=c.sql), ORG_KEY, order), ONE),
            eq(window(exp.Lag(this=col("period")), ORG_KEY, order), sub(col("period"), ONE)),
        )
        # each run of yes over consecutive periods is one streak; any other row is a streak of its own
        starts = self.column(Part(case((carried, ZERO), default=ONE), c.step))
        cumulative = exp.Window(
            this=exp.Sum(this=starts.sql),
            partition_by=[col("org")],
            order=exp.Order(expressions=[exp.Ordered(this=col("period"))]),
            spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"),
        )
        streak = self.column(Part(cumulative, starts.step))
        length = exp.cast(window(exp.RowNumber(), ["org", streak.sql.name], order), "DOUBLE")
        return Part(case((is_null(c.sql), NULL), (eq(c.sql, ZERO), ZERO), default=length), streak.step)

    # ------------------------------------------------------------ cohorts

    @property
    def partition(self) -> list[str]:
        """The columns that name each row's cohort group: the row's cohort (or `within` group) and period."""
        return [self.key, "period"]

    @contextmanager
    def grouped(self, within: ir.Within | None, x: Part) -> Iterator[Part]:
        """Column `x` for a cohort function over the `within` group rather than the row's cohort: the parts made
        in the block are over that group, and `x` is NULL on a row in none (whose `by` is missing)."""
        if within is None:
            yield x
            return
        if within.by is None:
            if ALL not in self.main.columns[0]:
                self.main.define(ALL, Part(ZERO, 0))
            key = Part(col(ALL), 1)
        else:
            key = self.column(self.expr(within.by))
            x = self.column(Part(case((is_null(key.sql), NULL), default=x.sql), after(x, key)))
        assert isinstance(key.sql, exp.Column)
        kept, self.key = self.key, key.sql.name
        try:
            yield x
        finally:
            self.key = kept

    def cohort_count(self, x: Part) -> exp.Expr:
        return exp.cast(window(exp.Count(this=x.sql), self.partition), "DOUBLE")

    def cohort_sum(self, x: Part) -> exp.Expr:
        # the values of the cohort added in table order, as the interpreter adds them
        return window(exp.Sum(this=x.sql), self.partition, [col(ROW)], whole=True)

    def ranking(self, x: Part, descending: bool = False, where: exp.Expr | None = None, matched: int = 3) -> Ranking:
        """Column `x`'s values present in each cohort and period (and where `where` holds), sorted ascending (or
        `descending`): for each, how many of the cohort's values come before it and how many there are. With
        `matched` 3 what is worked out from those is read on the rows of that value, with 2 on every row of the
        cohort and period (then ties need not share a place)."""
        assert isinstance(x.sql, exp.Column), "a cohort's values are a column's"
        cached = (self.key, x.sql.name, descending, matched) if where is None else None
        if cached is not None and cached in self.rankings:
            return self.rankings[cached]
        made = (
            self._grouped(x, descending, where, matched)
            if self.dialect.cohort_tables
            else self._windowed(x, descending, where, matched)
        )
        if cached is not None:
            self.rankings[cached] = made
        return made

    def _grouped(self, x: Part, descending: bool, where: exp.Expr | None, matched: int) -> Ranking:
        """In a cohort table, one row per value with its count, joined back."""
        counted = not_null(x.sql) if where is None else exp.and_(not_null(x.sql), where)
        side = self.main.side(x.step - 1, [col(self.key), col(PERIOD), x.sql], counted, matched)
        value, count = side.read(side.key(2)), side.read(side.count)
        partition = [side.key(0), side.key(1)]
        running = exp.Window(
            this=exp.Sum(this=count.sql),
            partition_by=[col(n) for n in partition],
            order=exp.Order(expressions=[exp.Ordered(this=value.sql, desc=descending)]),
            spec=exp.WindowSpec(kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="CURRENT ROW"),
        )
        before = side.steps.column(Part(sub(running, count.sql), 1))
        total = side.steps.column(Part(window(exp.Sum(this=count.sql), partition), 1))
        return Ranking(side, before, total, value, count, partition)

    def _windowed(self, x: Part, descending: bool, where: exp.Expr | None, matched: int) -> Ranking:
        """By window functions over the whole query, each row a value of its own."""
        key = x if where is None else self.column(Part(case((where, x.sql)), x.step))
        order = ascending(key.sql)
        if descending:
            order = [order[0], exp.Ordered(this=key.sql, desc=True)]
        # a cut point reads each row's own position; a rank counts only the values strictly before (ties share it)
        place: exp.Expr = exp.RowNumber() if matched == 2 else exp.Rank()
        partition = self.partition
        before = self.column(Part(sub(exp.cast(window(place, partition, order), "DOUBLE"), ONE), key.step))
        total = self.column(Part(exp.cast(window(exp.Count(this=key.sql), partition), "DOUBLE"), key.step))
        return Ranking(None, before, total, key, Part(ONE, 1), partition)

    @contextmanager
    def within(self, ranking: Ranking) -> Iterator[None]:
        """Parts made as columns of the ranking's cohort table rather than of the query, where it has one."""
        if ranking.side is not None:
            self.steps = ranking.side.steps
        try:
            yield
        finally:
            self.steps = self.main

    def found(self, ranking: Ranking, part: Part) -> Part:
        """A part made `within` the ranking, read in the query."""
        return part if ranking.side is None else self.main.expose(ranking.side, part)

    def cohort(self, e: ir.Cohort) -> Part:
        with self.grouped(e.within, self.column(self.expr(e.operand))) as x:
            if e.kind in ("mean", "sd"):
                return self.mean_sd(x, sd=e.kind == "sd")
            # a rank is 1 + how many values of the cohort are below the row's: ties share the best
            ranking = self.ranking(x)
            before, n = ranking.before, ranking.total
            if e.kind == "rank":
                value: exp.Expr = add(before.sql, ONE)
            else:
                spread = mul(div(before.sql, sub(n.sql, ONE)), integer(100))
                value = case((eq(n.sql, ONE), ZERO), default=spread)
            found = self.found(ranking, Part(value, max(before.step, n.step)))
            return Part(case((is_null(x.sql), NULL), default=found.sql), found.step)

    def mean_sd(self, x: Part, sd: bool) -> Part:
        """The cohort's mean, or its sample standard deviation (NULL under 2 values), of column `x`."""
        n = self.cohort_count(x)
        mean = div(self.cohort_sum(x), n)
        if not sd:
            return Part(case((exp.GT(this=n, expression=ZERO), self.present(mean))), x.step)
        raw = self.column(Part(mean, x.step))
        deviation = self.column(Part(mul(sub(x.sql, raw.sql), sub(x.sql, raw.sql)), raw.step))
        spread = exp.Sqrt(this=div(self.cohort_sum(deviation), sub(n.copy(), ONE)))
        return Part(case((exp.GTE(this=n.copy(), expression=integer(2)), self.present(spread))), deviation.step)

    def quantile(self, e: ir.Quantile) -> Part:
        with self.grouped(e.within, self.column(self.expr(e.operand))) as x:
            return rounding.cut_point(self, x, e.p, e.method)

    def quartile(self, e: ir.Quartile) -> Part:
        with self.grouped(e.within, self.column(self.expr(e.operand))) as x:
            cuts = [rounding.cut_point(self, x, p, e.method) for p in (0.25, 0.5, 0.75)]
            whens: list[tuple[exp.Expr, exp.Expr]] = [(is_null(x.sql), NULL)]
            whens += [(exp.LTE(this=x.sql, expression=q.sql), integer(i)) for i, q in enumerate(cuts, start=1)]
            return Part(case(*whens, default=integer(4)), after(*cuts))

    def floor(self, e: exp.Expr) -> exp.Expr:
        return floor(e)


_HANDLERS: dict[type, Callable[[Translator, Any], Part]] = {
    ir.Const: Translator.const,
    ir.Load: Translator.load,
    ir.Unary: Translator.unary,
    ir.Binary: Translator.binary,
    ir.IsMissing: Translator.is_missing,
    ir.Recode: Translator.recode,
    ir.Table: Translator.table,
    ir.Cast: Translator.cast,
    ir.Round: Translator.round,
    ir.Aggregate: Translator.aggregate,
    ir.Extreme: Translator.extreme,
    ir.Step: Translator.step,
    ir.IfMissing: Translator.if_missing,
    ir.Previous: Translator.previous,
    ir.Run: Translator.run,
    ir.Cohort: Translator.cohort,
    ir.Quantile: Translator.quantile,
    ir.Quartile: Translator.quartile,
}
