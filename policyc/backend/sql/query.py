"""The query as a chain of CTEs: each step adds columns computed from the step before, and SQL's small pieces.

Every column a step defines can be read from the next step on. A part of an expression knows the first step
that can compute it; reading a part more than once puts it in a column of its own first (`Steps.shared`), so the
query grows linearly with the policy, and no window function is ever nested in another.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import attrs
from sqlglot import exp

DOUBLE = exp.DataType.build("DOUBLE")
# The query's own columns are named with `#`, which no policy name holds.
ROW, COHORT = "#row", "#cohort"
STEP_NAME = "policyc step {}"


def ident(name: str) -> exp.Identifier:
    return exp.to_identifier(name, quoted=True)


def col(name: str) -> exp.Column:
    return exp.Column(this=ident(name))


def integer(value: int) -> exp.Expr:
    return exp.cast(exp.Literal.number(value), DOUBLE) if value >= 0 else exp.Neg(this=integer(-value))


def number(value: float) -> exp.Expr:
    """A double as a literal: integers as written, any other value as text the engine reads back exactly."""
    if math.isinf(value):
        return exp.cast(exp.Literal.string("Infinity" if value > 0 else "-Infinity"), DOUBLE)
    if value.is_integer() and abs(value) < 2.0**53:
        return integer(int(value))
    return exp.cast(exp.Literal.string(repr(value)), DOUBLE)


NULL = exp.cast(exp.null(), DOUBLE)
ONE, ZERO = integer(1), integer(0)


def case(*whens: tuple[exp.Expr, exp.Expr], default: exp.Expr | None = None) -> exp.Case:
    return exp.Case(ifs=[exp.If(this=c, true=v) for c, v in whens], default=default)


def simple_case(
    operand: exp.Expr, whens: Sequence[tuple[exp.Expr, exp.Expr]], default: exp.Expr | None = None
) -> exp.Case:
    """`CASE operand WHEN a THEN x ...`: the operand is read once."""
    return exp.Case(this=operand, ifs=[exp.If(this=c, true=v) for c, v in whens], default=default)


def paren(e: exp.Expr) -> exp.Expr:
    return (
        e if isinstance(e, (exp.Column, exp.Cast, exp.Paren, exp.Case, exp.Anonymous, exp.Func)) else exp.Paren(this=e)
    )


def add(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Add(this=paren(a), expression=paren(b))


def sub(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Sub(this=paren(a), expression=paren(b))


def mul(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Mul(this=paren(a), expression=paren(b))


def div(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.Div(this=paren(a), expression=paren(b))


def is_null(e: exp.Expr) -> exp.Expr:
    return exp.Is(this=paren(e), expression=exp.null())


def not_null(e: exp.Expr) -> exp.Expr:
    return exp.Not(this=is_null(e))


def eq(a: exp.Expr, b: exp.Expr) -> exp.Expr:
    return exp.EQ(this=paren(a), expression=paren(b))


def least(first: exp.Expr, *rest: exp.Expr) -> exp.Expr:
    """The least of the arguments present (NULL when none is), in every dialect."""
    return exp.Least(this=first, expressions=list(rest), ignore_nulls=True)


def greatest(first: exp.Expr, *rest: exp.Expr) -> exp.Expr:
    """The greatest of the arguments present (NULL when none is), in every dialect."""
    return exp.Greatest(this=first, expressions=list(rest), ignore_nulls=True)


def floor(e: exp.Expr) -> exp.Expr:
    # Spark's FLOOR gives a BIGINT; every value of the query is a DOUBLE.
    return exp.cast(exp.Floor(this=e), DOUBLE)


def window(
    function: exp.Expr, names: list[str], order: Sequence[exp.Expr] | None = None, whole: bool = False
) -> exp.Window:
    """`function OVER (PARTITION BY names ORDER BY order)`, framed on the whole partition for `whole`: a sum so
    framed adds its values in that order."""
    spec = None
    if whole:
        spec = exp.WindowSpec(
            kind="ROWS", start="UNBOUNDED", start_side="PRECEDING", end="UNBOUNDED", end_side="FOLLOWING"
        )
    # sort keys name no NULLS FIRST or LAST: `ascending` puts missing values last in every dialect
    keys = [o if isinstance(o, exp.Ordered) else exp.Ordered(this=o) for o in order or ()]
    ordered = None if order is None else exp.Order(expressions=keys)
    return exp.Window(this=function, partition_by=[col(n) for n in names], order=ordered, spec=spec)


def ascending(e: exp.Expr) -> list[exp.Expr]:
    """Sort keys that put missing values last in every dialect, whatever its default."""
    return [case((is_null(e), exp.Literal.number(1)), default=exp.Literal.number(0)), e]


@attrs.frozen
class Part:
    """A piece of SQL and the first step that can compute it."""

    sql: exp.Expr
    step: int

    @property
    def simple(self) -> bool:
        """Cheap and safe to write more than once: a column, a literal or NULL."""
        e = self.sql
        return isinstance(e, exp.Column) or (isinstance(e, exp.Cast) and isinstance(e.this, (exp.Literal, exp.Null)))


def after(*parts: Part) -> int:
    return max((p.step for p in parts), default=1)


class Steps:
    """The columns each step of the query defines, in the order they were made."""

    def __init__(self) -> None:
        self.columns: list[dict[str, exp.Expr]] = [{}]
        self.made = 0

    def define(self, name: str, part: Part) -> Part:
        """`part` as a column named `name`, defined at its step; read from the step after."""
        while len(self.columns) <= part.step:
            self.columns.append({})
        assert name not in self.columns[part.step], name
        self.columns[part.step][name] = part.sql
        return Part(col(name), part.step + 1)

    def column(self, part: Part) -> Part:
        self.made += 1
        return self.define(f"#{self.made}", part)

    def shared(self, part: Part) -> Part:
        """A part that is about to be read more than once: as it is when simple, else as a column."""
        return part if part.simple else self.column(part)

    def query(self, table: str, outputs: list[str]) -> exp.Select:
        """The whole query: the first step reads `table`, each later one the one before, and the last gives
        `outputs` in table order."""
        ctes: list[exp.CTE] = []
        previous = exp.Table(this=ident(table))
        for n, columns in enumerate(self.columns):
            if not columns:
                continue
            items = [exp.alias_(e, ident(name)) for name, e in columns.items()]
            select = exp.Select(expressions=items if n == 0 else [exp.Star(), *items]).from_(previous)
            name = STEP_NAME.format(len(ctes))
            ctes.append(exp.CTE(this=select, alias=exp.TableAlias(this=ident(name))))
            previous = exp.Table(this=ident(name))
        final = exp.Select(expressions=[col(name) for name in outputs]).from_(previous)
        final = final.order_by(exp.Ordered(this=col(ROW)))
        final.set("with_", exp.With(expressions=ctes))
        return final
