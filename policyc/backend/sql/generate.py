"""A program's declarations as one SQL query: the inputs, each metric's score, each derived value with its
adjustments and overrides, every named value a column of the result (docs/sql.md).

The query is built as SQLGlot expressions and rendered in the dialect asked for: names reach it only as quoted
identifiers, and no user text reaches it at all (labels are positions, as in the IR). Generation is
deterministic: the same program and columns give the same text.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
from sqlglot import exp

from policyc.ir import nodes as ir
from policyc.syntax.diagnostics import Diagnostic, Diagnostics

from .dialects import DIALECTS
from .exprs import Translator
from .query import (
    COHORT,
    NULL,
    ONE,
    PERIOD,
    ROW,
    SIDE_NAME,
    STEP_NAME,
    ZERO,
    Part,
    Steps,
    add,
    case,
    col,
    div,
    eq,
    greatest,
    integer,
    is_null,
    least,
    mul,
    not_null,
    simple_case,
    sub,
)
from .rounding import round_half

TABLE = "policy_input"
FIXED = (ROW, "org", "org_type", "period")
GIVEN = "#given {}"


@attrs.frozen
class Generated:
    sql: str | None  # None when a construct was refused
    diagnostics: tuple[Diagnostic, ...]
    casts: tuple[ir.Cast, ...]  # the casts a failing query names by position


def generate(
    program: ir.Program,
    dialect: str = "duckdb",
    columns: Iterable[str] | None = None,
    table: str = TABLE,
    ordered: bool = True,
    pretty: bool = True,
) -> Generated:
    """The query evaluating `program` over `table`, whose value columns are `columns` (inputs, and named values
    that override; None: every input and metric, and no override). Its rows are in table order (`#row`) when
    `ordered`; else in no order, for a caller that puts them in order itself, and with a column for each cast's
    check after the values."""
    if table.startswith((STEP_NAME.format(""), SIDE_NAME.format(""))):
        raise ValueError(f"the input table may not be named like the query's own steps: {table!r}")
    if columns is None:
        given = {c.name for c in program.columns}
    else:
        given = set(columns)
    diagnostics = Diagnostics()
    steps = Steps()
    t = Translator(steps, DIALECTS[dialect], diagnostics)
    _first_step(program, steps, t, given)
    for decl in program.decls:
        if isinstance(decl, ir.Score):
            _given(steps, t, decl.name, _score(t, decl), given)
        elif isinstance(decl, ir.Derived):
            _given(steps, t, decl.name, _derived(steps, t, decl), given)
    if diagnostics.has_errors:
        return Generated(None, tuple(diagnostics.sorted()), tuple(t.casts))
    outputs = [*FIXED, *(d.name for d in program.outputs())]
    if not ordered:
        # the order by every column kept each cast's check, even one no value reads; without it, the checks
        # themselves are given, so that the engine cannot leave them out
        outputs += t.checks
    query = steps.query(table, outputs, ordered=ordered)
    return Generated(query.sql(dialect=dialect, pretty=pretty) + "\n", (), tuple(t.casts))


def _first_step(program: ir.Program, steps: Steps, t: Translator, given: set[str]) -> None:
    """The table's fixed columns, each row's cohort, the inputs (missing where they do not apply), and the cells of
    named values that the table gives."""
    for name in FIXED:
        t.names[name] = steps.define(name, Part(col(name), 0))
    cohorts = [(exp.Literal.number(i), exp.Literal.number(c)) for i, c in enumerate(program.cohorts)]
    steps.define(COHORT, Part(simple_case(col("org_type"), cohorts), 0))
    steps.define(PERIOD, Part(exp.Coalesce(this=col("period"), expressions=[exp.Literal.number(-1)]), 0))
    every = len(program.org_types)
    for c in program.columns:
        # an empty cell (or a column the table lacks) reads as the column's default, where it has one
        default = None if c.default is None else exp.Literal.number(c.default)
        if c.name not in given:
            value: exp.Expr = NULL if default is None else default
        else:
            value = t.present(exp.cast(col(c.name), "DOUBLE"))
            if default is not None:
                value = exp.Coalesce(this=value, expressions=[default])
        if len(c.applies) < every and (c.name in given or default is not None):
            applies = exp.In(this=col("org_type"), expressions=[exp.Literal.number(i) for i in c.applies])
            value = case((applies, value))
        t.names[c.name] = steps.define(c.name, Part(value, 0))
    for d in program.decls:
        if not isinstance(d, ir.Column) and d.name in given:
            steps.define(GIVEN.format(d.name), Part(t.present(exp.cast(col(d.name), "DOUBLE")), 0))


def _given(steps: Steps, t: Translator, name: str, computed: Part, given: set[str]) -> None:
    """The value as computed, replaced where the table gives it."""
    if name in given:
        computed = Part(exp.Coalesce(this=col(GIVEN.format(name)), expressions=[computed.sql]), computed.step)
    t.names[name] = steps.define(name, computed)


# ---------------------------------------------------------------- derived values


def _derived(steps: Steps, t: Translator, decl: ir.Derived) -> Part:
    value = t.expr(decl.expr)
    for n, adjust in enumerate(decl.adjusts):
        # the value's own name reads the value so far (a cohort function too)
        current = steps.define(f"{decl.name}#{n}", value)
        t.names[decl.name] = current
        target = t.shared(t.expr(adjust.value))
        condition = t.shared(t.expr(adjust.condition))
        if adjust.kind == "becomes":
            adjusted = target
        else:
            # positions run best first, so the worse of two is the larger
            pick = greatest if adjust.kind == "no better than" else least
            either = exp.or_(is_null(current.sql), is_null(target.sql))
            both = pick(current.sql, target.sql)
            adjusted = t.shared(Part(case((either, NULL), default=both), max(current.step, target.step)))
        value = Part(
            case(
                (eq(condition.sql, ONE), adjusted.sql),
                (eq(condition.sql, ZERO), current.sql),
                # an unknown condition matters only where the adjustment would change the value
                (eq(adjusted.sql, current.sql), current.sql),
            ),
            max(current.step, adjusted.step, condition.step),
        )
    return value


# ---------------------------------------------------------------- scores


def _score(t: Translator, decl: ir.Score) -> Part:
    x = t.names[decl.metric]
    model = decl.scoring
    if isinstance(model, ir.Mapped):
        return Part(simple_case(x.sql, [(integer(i), t.number(s)) for i, s in enumerate(model.scores)]), x.step)
    if isinstance(model, ir.Bands):
        return Part(case(*[(_holds(t, x.sql, b), t.number(float(b.result))) for b in model.rows]), x.step)
    if isinstance(model, ir.Relative):
        return _relative(t, x, model)
    return _ranked(t, x, model)


def _holds(t: Translator, x: exp.Expr, band: ir.Band) -> exp.Expr:
    tests: list[exp.Expr] = []
    if band.lower is not None:
        tests.append((exp.GTE if band.lower_inclusive else exp.GT)(this=x, expression=t.number(band.lower)))
    if band.upper is not None:
        tests.append((exp.LTE if band.upper_inclusive else exp.LT)(this=x, expression=t.number(band.upper)))
    return exp.and_(*tests) if tests else not_null(x)


def _relative(t: Translator, x: Part, model: ir.Relative) -> Part:
    mean = t.column(t.mean_sd(x, sd=False))
    sd = t.column(t.mean_sd(x, sd=True))
    k_sd = mul(t.number(model.k), sd.sql)
    bound = t.present(sub(mean.sql, k_sd) if model.below else add(mean.sql, k_sd))
    fails = (exp.LT if model.below else exp.GT)(this=x.sql, expression=bound)
    unknown = exp.or_(is_null(x.sql), is_null(mean.sql), is_null(sd.sql))
    return Part(case((unknown, NULL), (fails, ZERO), default=ONE), max(mean.step, sd.step))


def _ranked(t: Translator, x: Part, model: ir.Ranked) -> Part:
    """The standard's rows score 1, the floor's 4, and the others spread from lo to hi by how many are better."""
    met: exp.Expr = exp.false()
    failed: exp.Expr = exp.false()
    if model.standard is not None:
        met = (exp.GTE if model.higher else exp.LTE)(this=x.sql, expression=t.number(model.standard))
    if model.floor is not None:
        failed = (exp.LT if model.higher else exp.GT)(this=x.sql, expression=t.number(model.floor))
    lo = 1.0 if model.standard is None else 2.0
    hi = 4.0 if model.floor is None else 3.0
    # the rows neither met nor failed are ranked in a cohort table, each value's score worked out there once
    ranked = exp.Not(this=exp.Paren(this=exp.or_(met.copy(), failed.copy())))
    ranking = t.ranking(x, descending=model.higher, where=ranked)
    better, n = ranking.before, ranking.total
    with t.within(ranking):
        spread = add(
            t.number(lo),
            div(mul(t.number(hi - lo), better.sql), case((exp.GT(this=n.sql, expression=ONE), sub(n.sql, ONE)))),
        )
        rounded = round_half(t, t.column(Part(spread, max(n.step, better.step))), 2)
        score = Part(case((eq(n.sql, ONE), t.number(lo)), default=rounded.sql), rounded.step)
    found = t.found(ranking, score)
    return Part(
        case((is_null(x.sql), NULL), (met, ONE), (failed, integer(4)), default=found.sql),
        found.step,
    )
