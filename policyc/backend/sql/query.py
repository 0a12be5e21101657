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
PERIOD = "#period"  # the row's period, or -1 in a table without periods: a key that a join matches
STEP_NAME = "policyc step {}"
SIDE_NAME = "policyc cohort {}"


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
    """The columns each step of the query defines, in the order they were made, and the cohort tables (`Side`)
    each step joins."""

    def __init__(self, prefix: str = "#") -> None:
        self.columns: list[dict[str, exp.Expr]] = [{}]
        self.joins: dict[int, list[Side]] = {}
        self.sides: list[Side] = []
        self.prefix = prefix  # of the names of columns made here
        self.table = ""  # the input table, once the query is made
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
        return self.define(f"{self.prefix}{self.made}", part)

    def shared(self, part: Part) -> Part:
        """A part that is about to be read more than once: as it is when simple, else as a column."""
        return part if part.simple else self.column(part)

    def side(self, reads: int, keys: Sequence[exp.Expr], where: exp.Expr, matched: int) -> Side:
        """A new cohort table grouping the rows of step `reads` where `where` holds by `keys` (expressions over that
        step); the step after joins it on the first `matched` keys, each equal to the row's own."""
        raw = reads == 0
        if raw:
            # the first step only renames and encodes the table's columns: a cohort table reading it reads the
            # table itself, its expressions written over the table's columns, rather than have that step kept
            first = self.columns[0]

            def written(e: exp.Expr) -> exp.Expr:
                return e.transform(
                    lambda n: first[n.name].copy() if isinstance(n, exp.Column) and n.name in first else n
                )

            keys, where = [written(k) for k in keys], written(where)
        side = Side(len(self.sides), reads, list(keys), where, matched, raw)
        self.sides.append(side)
        self.joins.setdefault(reads + 1, []).append(side)
        return side

    def expose(self, side: Side, part: Part) -> Part:
        """A part of `side`'s own steps as a column of this query, read from the second step after the one the side
        reads (the step after it joins the side)."""
        inner = part if isinstance(part.sql, exp.Column) else side.steps.column(part)
        name = inner.sql.name
        if name not in side.exposed:
            side.exposed[name] = inner
            self.define(name, Part(exp.Column(this=ident(name), table=ident(side.table)), side.reads + 1))
        return Part(col(name), side.reads + 2)

    def ctes(self, first: exp.Select) -> tuple[list[exp.CTE], exp.Table]:
        """The steps as common table expressions: the first selects its columns in `first`, each later one adds its
        own to the one before, joined with the cohort tables it reads. The list, and the last of them as a table."""
        ctes: list[exp.CTE] = []
        previous: exp.Table | None = None
        for n, columns in enumerate(self.columns):
            if not columns:
                continue
            select = self._select(n, columns, first, previous)
            name = STEP_NAME.format(len(ctes))
            ctes.append(exp.CTE(this=select, alias=exp.TableAlias(this=ident(name))))
            previous = exp.Table(this=ident(name))
        assert previous is not None
        return ctes, previous

    def nested(self, first: exp.Select, alias: str) -> exp.Subquery:
        """The steps as one subquery, each step's select in the FROM clause of the next."""
        previous: exp.Subquery | None = None
        for n, columns in enumerate(self.columns):
            if not columns:
                continue
            select = self._select(n, columns, first, previous)
            previous = exp.Subquery(this=select, alias=exp.TableAlias(this=ident(f"{alias} {n}")))
        assert previous is not None
        return previous

    def _select(
        self, n: int, columns: dict[str, exp.Expr], first: exp.Select, previous: exp.Table | exp.Subquery | None
    ) -> exp.Select:
        items = [exp.alias_(e, ident(c)) for c, e in columns.items()]
        if previous is None:
            select = first.copy()
            select.set("expressions", items)
            assert n not in self.joins, "a cohort table is joined after the step it reads"
            return select
        joined = self.joins.get(n, [])
        name = previous.alias_or_name
        star: exp.Expr = exp.Column(this=exp.Star(), table=ident(name)) if joined else exp.Star()
        source = previous if isinstance(previous, exp.Subquery) else previous.copy()  # a subquery is read once
        select = exp.Select(expressions=[star, *items]).from_(source, copy=False)
        for side in joined:
            assert isinstance(previous, exp.Table), "the query's own steps join cohort tables"
            table = ident(side.table)
            on = [
                exp.EQ(this=_qualified(mine, name), expression=exp.Column(this=ident(k), table=table.copy()))
                for mine, k in side.on
            ]
            reads = exp.Table(this=ident(self.table)) if side.raw else previous
            select = select.join(side.subquery(reads), on=exp.and_(*on), join_type="LEFT", copy=False)
        return select

    def query(self, table: str, outputs: list[str], ordered: bool = True) -> exp.Select:
        """The whole query: the first step reads `table`, each later one the one before, and the last gives
        `outputs`, in table order when `ordered`."""
        self.table = table
        first = exp.Select().from_(exp.Table(this=ident(table)))
        ctes, last = self.ctes(first)
        final = exp.Select(expressions=[col(name) for name in outputs]).from_(last)
        if ordered:
            final = final.order_by(exp.Ordered(this=col(ROW)))
        final.set("with_", exp.With(expressions=ctes))
        return final


@attrs.define
class Side:
    """A cohort table: the rows of one step of the query grouped by cohort, period and perhaps a value, one row per
    group with its count (`count`), and columns of its own computed from those (`steps`). The step after the one
    it reads joins it on its keys, and reads the columns exposed (`Steps.expose`). Grouping and joining are each
    one pass over the table, where a window function over the whole table sorts every column it carries."""

    number: int
    reads: int  # the step of the query whose rows it groups
    keys: list[exp.Expr]  # expressions over that step, grouped by
    where: exp.Expr  # the rows counted
    matched: int  # how many of the keys, from the first, the join matches
    raw: bool  # it reads the query's input table, not a step (`Steps.side`)
    steps: Steps = attrs.field(init=False)
    exposed: dict[str, Part] = attrs.field(factory=dict)
    keep: exp.Expr | None = None  # the groups joined, when not every one (`Side.only`)

    def __attrs_post_init__(self) -> None:
        self.steps = Steps(prefix=f"#c{self.number}.")
        for n, grouped in enumerate(self.keys):
            self.steps.define(self.key(n), Part(grouped, 0))
        self.steps.define(self.count, Part(exp.cast(exp.Count(this=exp.Star()), DOUBLE), 0))

    def key(self, n: int) -> str:
        return f"#c{self.number}.key{n}"

    @property
    def count(self) -> str:
        return f"#c{self.number}.count"

    @property
    def table(self) -> str:
        return SIDE_NAME.format(self.number)

    def read(self, name: str) -> Part:
        """One of its grouped columns, read in its own steps."""
        return Part(col(name), 1)

    def only(self, condition: exp.Expr) -> None:
        """Join only the groups where `condition` (over columns of its own steps) holds."""
        self.keep = condition

    @property
    def on(self) -> list[tuple[exp.Expr, str]]:
        return [(mine, self.key(n)) for n, mine in enumerate(self.keys[: self.matched])]

    def subquery(self, reads: exp.Table) -> exp.Subquery:
        """It as one table in the FROM clause of the step that joins it, its first step grouping the rows of
        `reads` and each later one nested around the one before (a subquery in FROM rather than a common table
        expression each: engines bind a WITH clause of many hundreds of those one inside another)."""
        first = exp.Select().from_(reads.copy()).where(self.where.copy()).group_by(*[k.copy() for k in self.keys])
        inner = self.steps.nested(first, f"#c{self.number}.step")
        exposed = [col(self.key(n)) for n in range(self.matched)] + [part.sql for part in self.exposed.values()]
        select = exp.Select(expressions=exposed).from_(inner, copy=False)
        if self.keep is not None:
            select = select.where(self.keep.copy(), copy=False)
        return exp.Subquery(this=select, alias=exp.TableAlias(this=ident(self.table)))


def _qualified(e: exp.Expr, table: str) -> exp.Expr:
    """A column of `table` named with it, any other expression as it is."""
    if isinstance(e, exp.Column):
        return exp.Column(this=e.this.copy(), table=ident(table))
    return e.copy()
