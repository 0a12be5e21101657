"""The built-in functions, one row each: arguments, usage, the rule that types a call, and the IR node it becomes.

The checker reads a row to check a call (`check_call`), lowering reads it to build the call's IR node
(`policyc/ir/lower.py`, by `node` and `kind`), and the back ends dispatch on that node.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import attrs

from policyc.semantics.declarations import check_domain_ref
from policyc.semantics.numbers import constant
from policyc.semantics.resolve import Scope
from policyc.semantics.types import ERROR, Type, join, number, units_agree
from policyc.syntax import ast
from policyc.syntax.diagnostics import did_you_mean

if TYPE_CHECKING:
    from policyc.semantics.expressions import Expressions

QUANTILE_METHODS = ("linear", "exclusive", "lower", "higher", "nearest", "midpoint")
DEFAULT_QUANTILE_METHOD = "linear"
WITHIN_ALL = "all"  # `within: all`: every organisation of the period


@attrs.frozen
class Arguments:
    """A call's arguments as a rule reads them."""

    call: ast.Call
    builtin: Builtin
    given: tuple[ast.Expr | ast.Selector, ...]  # the positional arguments, in order
    named: dict[str, ast.NamedArg]  # a name given twice: the last

    @property
    def exprs(self) -> list[ast.Expr]:
        """The positional arguments that are expressions: all of them, for a function that takes no selector."""
        return [arg for arg in self.given if not isinstance(arg, ast.Selector)]


# Checks a call's arguments (`expected`: the type its place wants, if any) and gives the call's type.
Rule = Callable[["Expressions", Arguments, "Type | None"], Type]


@attrs.frozen
class Builtin:
    """A function: the arguments it takes, how it is called, its typing rule, and what it lowers to."""

    name: str
    arity: int  # positional arguments: exactly this many, or at least this many when `variadic`
    rule: Rule
    node: str  # the IR node a call becomes (`policyc.ir.nodes`)
    kind: str | None = None  # that node's `kind` (the `op` of a Unary; for a Step, which way it moves)
    usage: str = attrs.field(kw_only=True)  # the help line of a call with the wrong arguments
    variadic: bool = attrs.field(default=False, kw_only=True)
    selectors: bool = attrs.field(default=False, kw_only=True)  # whether `metric scores` may stand for arguments
    named: tuple[str, ...] = attrs.field(default=(), kw_only=True)  # the named arguments it takes
    weighted: bool = attrs.field(default=False, kw_only=True)  # an Aggregate weighted by each metric's weight


def check_call(ex: Expressions, call: ast.Call, expected: Type | None) -> Type:
    """The type of a call, after the checks that every function shares: its name, selectors, named arguments."""
    name = call.func.text
    builtin = BUILTINS.get(name)
    if builtin is None:
        known = sorted(BUILTINS)
        ex.ctx.error(
            "PC206",
            f"unknown function `{name}`",
            call.func.span,
            did_you_mean(name, known) or "the functions are " + ", ".join(known),
        )
        for arg in call.args:
            if not isinstance(arg, (ast.Selector, ast.NamedArg)):
                ex.infer(arg)
        return ERROR
    given = tuple(a for a in call.args if not isinstance(a, ast.NamedArg))
    named = {a.name.text: a for a in call.args if isinstance(a, ast.NamedArg)}
    for arg in given:
        if isinstance(arg, ast.Selector) and not builtin.selectors:
            takers = ", ".join(f"`{b.name}`" for b in BUILTINS.values() if b.selectors)
            ex.ctx.error("PC308", f"`metric scores` cannot be an argument of `{name}`", arg.span, "use it in " + takers)
            return ERROR
    for arg in named.values():
        if arg.name.text not in builtin.named:
            ex.ctx.error(
                "PC308",
                f"`{name}` takes no argument `{arg.name.text}`",
                arg.name.span,
                f"`{name}` takes " + ", ".join(f"`{n}`" for n in builtin.named) if builtin.named else "remove it",
            )
    return builtin.rule(ex, Arguments(call, builtin, given, named), expected)


def arity(ex: Expressions, a: Arguments) -> bool:
    """Whether the call has as many arguments as its function takes; if not, says so (and checks them)."""
    b, count = a.builtin, len(a.given)
    if count == b.arity or (b.variadic and count > b.arity):
        return True
    want = f"at least {b.arity}" if b.variadic else f"{b.arity}"
    ex.ctx.error(
        "PC308",
        f"`{b.name}` takes {want} argument{'s' if want != '1' else ''}, not {count}",
        a.call.span,
        b.usage,
    )
    for arg in a.exprs:
        ex.infer(arg)
    return False


# A double holds 15 significant decimal digits (DBL_DIG): rounding a value to more places than that
# changes nothing a policy could mean, and past about 300 the scale itself overflows.
MAX_PLACES = 15


def integer_literal(ex: Expressions, arg: ast.Expr, what: str, most: int | None = None) -> None:
    """A count of places or steps, written out, no more than `most`; recorded as a constant."""
    if not isinstance(arg, ast.Number) or arg.value != arg.value.to_integral_value() or arg.value < 0:
        ex.ctx.error(
            "PC308",
            f"{what} must be a whole number written out",
            arg.span,
            "write a number such as 2, not an expression or a fraction",
        )
        return
    if most is not None and arg.value > most:
        ex.ctx.error(
            "PC308",
            f"{what} is at most {most}, not {arg.value}",
            arg.span,
            f"a number holds {most} significant digits; write a number from 0 to {most}",
        )
        return
    ex.ctx.constants[arg] = arg.value


def select(scope: Scope, selector: ast.Selector) -> list[ast.Metric]:
    """The scored metrics that `metric scores [in domain D [/ S]]` stands for, in declaration order."""

    def chosen(metric: ast.Metric) -> bool:
        if metric.scoring is None:
            return False
        if selector.domain is None:
            return True
        where = metric.domain
        if where is None or where.domain.text != selector.domain.text:
            return False
        return selector.subdomain is None or (
            where.subdomain is not None and where.subdomain.text == selector.subdomain.text
        )

    return [m for m in scope.metrics.values() if chosen(m)]


def _selection(ex: Expressions, selector: ast.Selector) -> list[ast.Metric]:
    """The metrics a selector stands for, recorded for lowering."""
    chosen: list[ast.Metric] = []
    if selector.domain is None or check_domain_ref(ex.ctx, selector.domain, selector.subdomain):
        chosen = select(ex.scope, selector)
        if not chosen:
            ex.ctx.error(
                "PC320",
                "`metric scores` selects no scored metric",
                selector.span,
                "check the domain, or give its metrics a scoring model",
            )
    ex.ctx.selections[selector] = tuple(chosen)
    return chosen


def _many(ex: Expressions, a: Arguments, want: str) -> Type:
    """Arguments that may be a selector or several expressions, all numbers or all yes/no."""
    if not arity(ex, a):
        return ERROR
    name = a.builtin.name
    wanted = "numbers" if want == "number" else "yes/no"
    result: Type | None = None
    failed = False
    for arg in a.given:
        if isinstance(arg, ast.Selector):
            for metric in _selection(ex, arg):
                t = ex.ctx.types.get(f"{metric.name.text}.score", ERROR)
                if not t.is_error and t.kind != want:
                    ex.ctx.error(
                        "PC301",
                        f"`{name}` needs {wanted}, but metric `{metric.name.text}` scores {t}",
                        arg.span,
                        "select metrics whose scores are all of one kind",
                    )
                    failed = True
                    break
                result = t if result is None else join(result, t)
            continue
        t = ex.infer(arg)  # every argument is checked, so one mistake does not hide another
        if not t.is_error and t.kind != want:
            ex.ctx.error(
                "PC301", f"`{name}` needs {wanted}, not {t}", arg.span, "narrow the arguments to values of one kind"
            )
            failed = True
            continue
        if result is not None and want == "number" and not units_agree(result, t):
            ex.ctx.error(
                "PC302", f"`{name}` of {result.unit} and {t.unit}", arg.span, "every argument needs the same unit"
            )
        result = t if result is None else join(result, t)
    return ERROR if failed or result is None else result


def _method(ex: Expressions, a: Arguments) -> None:
    arg = a.named.get("method")
    if arg is None:
        return
    value = arg.value
    if not isinstance(value, ast.Ref) or value.name.text not in QUANTILE_METHODS:
        shown = value.name.text if isinstance(value, ast.Ref) else "this"
        ex.ctx.error(
            "PC308",
            f"unknown quantile method `{shown}`",
            value.span,
            did_you_mean(shown, QUANTILE_METHODS) or "methods: " + ", ".join(QUANTILE_METHODS),
        )


def _within(ex: Expressions, a: Arguments) -> None:
    """`within:` names the rows a cohort function runs over in each period: `all` of them, or those sharing the
    row's value of a yes/no, label or scale value (a region, a sector); without it, the row's cohort."""
    arg = a.named.get("within")
    if arg is None:
        return
    value = arg.value
    if not isinstance(value, ast.Ref):
        ex.ctx.error(
            "PC308",
            "`within` takes `all` or the name of a value to group the organisations by",
            value.span,
            "write `within: all`, or `within: region` for an input `region`",
        )
        return
    if value.name.text == WITHIN_ALL:
        return
    t = ex.infer(value, produce=False)
    if not t.is_error and t.kind not in ("bool", "labels", "scale"):
        ex.ctx.error(
            "PC308",
            f"`within` groups by a yes/no, a label or a scale value, and `{value.name.text}` is {t}",
            value.span,
            "name a value such as a region (`within: region`), or write `within: all`",
        )


# ---------------------------------------------------------------- the rules


def _round(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not arity(ex, a):
        return ERROR
    x, places = a.exprs
    t = ex.infer(x)
    ex.need_numeric(t, x, "`round`")
    integer_literal(ex, places, "the number of decimal places", MAX_PLACES)
    return t if t.kind == "number" else ERROR


def _abs(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not arity(ex, a):
        return ERROR
    (x,) = a.exprs
    t = ex.infer(x)
    ex.need_numeric(t, x, "`abs`")
    return t


def _numbers(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    return _many(ex, a, "number")


def _weighted(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not a.given or not all(isinstance(arg, ast.Selector) for arg in a.given):
        name = a.builtin.name
        ex.ctx.error(
            "PC308", f"`{name}` takes `metric scores` (weighted by each metric's weight)", a.call.span, a.builtin.usage
        )
        return ERROR
    return _many(ex, a, "number")


def _count(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    _many(ex, a, "bool")
    return number("count")


def _extreme(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not arity(ex, a):
        return ERROR
    name = a.builtin.name
    t = ex.infer_alternatives(a.exprs, expected, f"the arguments of `{name}`")
    if not t.is_error and t.kind != "scale":
        ex.ctx.error(
            "PC301", f"`{name}` picks from a scale, and these are {t}", a.call.span, "use `min` or `max` for numbers"
        )
        return ERROR
    return t


def _step(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not arity(ex, a):
        return ERROR
    x, steps = a.exprs
    t = ex.infer(x, expected)
    if not t.is_error and t.kind != "scale":
        ex.ctx.error(
            "PC301",
            f"`{a.builtin.name}` moves along a scale, and this is {t}",
            x.span,
            "give a value of a scale; for numbers use `+` or `-`",
        )
    integer_literal(ex, steps, "the number of steps")
    return t


def _previous(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not arity(ex, a):
        return ERROR
    return ex.infer(a.exprs[0], expected)


def _run(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if arity(ex, a):
        ex.expect_bool(a.exprs[0], "the argument of `run`")
    return number("count")


def _if_missing(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not arity(ex, a):
        return ERROR
    return ex.infer_alternatives(a.exprs, expected, "the arguments of `if_missing`")


def _cohort_number(ex: Expressions, a: Arguments) -> Type:
    """The type of the one number a cohort function reads."""
    _within(ex, a)
    (x,) = a.exprs
    t = ex.infer(x)
    ex.need_numeric(t, x, f"`{a.builtin.name}`")
    return t


def _cohort_position(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not arity(ex, a):
        return ERROR
    _cohort_number(ex, a)
    return number()


def _cohort_statistic(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    if not arity(ex, a):
        return ERROR
    return _cohort_number(ex, a)


def _quantile(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    _method(ex, a)
    _within(ex, a)
    if not arity(ex, a):
        return ERROR
    x, p_expr = a.exprs
    t = ex.infer(x)
    ex.need_numeric(t, x, "`quantile`")
    p = constant(p_expr)
    if p is None or not 0 <= p <= 1:
        ex.ctx.error("PC308", "the quantile is a constant between 0 and 1", p_expr.span, "e.g. 0.25")
    else:
        ex.ctx.constants[p_expr] = p
    return t


def _quartile(ex: Expressions, a: Arguments, expected: Type | None) -> Type:
    _method(ex, a)
    _within(ex, a)
    if not arity(ex, a):
        return ERROR
    (x,) = a.exprs
    t = ex.infer(x)
    ex.need_numeric(t, x, "`quartile`")
    return number()


# ---------------------------------------------------------------- the table

_ROWS = (
    Builtin("round", 2, _round, "Round", usage="write `round(x, places)`, e.g. `round(mean(metric scores), 2)`"),
    Builtin("abs", 1, _abs, "Unary", "abs", usage="write `abs(x)`"),
    Builtin(
        "mean", 1, _numbers, "Aggregate", "mean", variadic=True, selectors=True, usage="give `mean` at least one value"
    ),
    Builtin(
        "sum", 1, _numbers, "Aggregate", "sum", variadic=True, selectors=True, usage="give `sum` at least one value"
    ),
    Builtin(
        "min", 1, _numbers, "Aggregate", "min", variadic=True, selectors=True, usage="give `min` at least one value"
    ),
    Builtin(
        "max", 1, _numbers, "Aggregate", "max", variadic=True, selectors=True, usage="give `max` at least one value"
    ),
    Builtin(
        "count", 1, _count, "Aggregate", "count", variadic=True, selectors=True, usage="give `count` at least one value"
    ),
    Builtin(
        "weighted_mean",
        1,
        _weighted,
        "Aggregate",
        "mean",
        variadic=True,
        selectors=True,
        weighted=True,
        usage="write `weighted_mean(metric scores in domain ...)`",
    ),
    Builtin(
        "weighted_sum",
        1,
        _weighted,
        "Aggregate",
        "sum",
        variadic=True,
        selectors=True,
        weighted=True,
        usage="write `weighted_sum(metric scores in domain ...)`",
    ),
    Builtin("worst", 1, _extreme, "Extreme", "worst", variadic=True, usage="give `worst` at least one value"),
    Builtin("best", 1, _extreme, "Extreme", "best", variadic=True, usage="give `best` at least one value"),
    Builtin("worsen", 2, _step, "Step", "worsen", usage="write `worsen(x, steps)`, e.g. `worsen(segment, 1)`"),
    Builtin("improve", 2, _step, "Step", "improve", usage="write `improve(x, steps)`, e.g. `improve(segment, 1)`"),
    Builtin("previous", 1, _previous, "Previous", usage="write `previous(x)`: `x` in the previous period"),
    Builtin("run", 1, _run, "Run", usage="write `run(condition)`: how many periods in a row it has held"),
    Builtin("if_missing", 2, _if_missing, "IfMissing", usage="write `if_missing(x, fallback)`"),
    Builtin(
        "rank",
        1,
        _cohort_position,
        "Cohort",
        "rank",
        named=("within",),
        usage="write `rank(x)` or `rank(x, within: all)`",
    ),
    Builtin(
        "percentile_rank",
        1,
        _cohort_position,
        "Cohort",
        "percentile_rank",
        named=("within",),
        usage="write `percentile_rank(x)` or `percentile_rank(x, within: all)`",
    ),
    Builtin(
        "cohort_mean",
        1,
        _cohort_statistic,
        "Cohort",
        "mean",
        named=("within",),
        usage="write `cohort_mean(x)` or `cohort_mean(x, within: all)`",
    ),
    Builtin(
        "cohort_sd",
        1,
        _cohort_statistic,
        "Cohort",
        "sd",
        named=("within",),
        usage="write `cohort_sd(x)` or `cohort_sd(x, within: all)`",
    ),
    Builtin(
        "quantile",
        2,
        _quantile,
        "Quantile",
        named=("method", "within"),
        usage="write `quantile(x, 0.25, method: linear)`",
    ),
    Builtin(
        "quartile", 1, _quartile, "Quartile", named=("method", "within"), usage="write `quartile(x, method: linear)`"
    ),
)
BUILTINS: dict[str, Builtin] = {b.name: b for b in _ROWS}
