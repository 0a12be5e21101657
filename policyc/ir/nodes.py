"""The resolved, typed form of a policy that the interpreter and the code generator both read.

Values are encoded one way for both back ends: a number is a float, yes/no is 1/0, a label or a
scale value is its position in its type's `labels` (a scale's best first), and None is missing.
"""

from __future__ import annotations

from typing import TypeVar

import attrs

from policyc.semantics.types import Type
from policyc.syntax.source import Span


@attrs.frozen
class Node:
    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


# ---------------------------------------------------------------- expressions


@attrs.frozen
class Const(Node):
    value: float | int | None
    type: Type


@attrs.frozen
class Load(Node):
    """A named value: an input, a metric's value, `m.score`, a derived value, or `org_type`."""

    name: str
    type: Type


@attrs.frozen
class Unary(Node):
    op: str  # "neg", "not", "abs"
    operand: Expr
    type: Type


@attrs.frozen
class Binary(Node):
    """Arithmetic (+ - * /), logic (and, or) and comparison (< <= > >= == !=) on encoded values."""

    op: str
    left: Expr
    right: Expr
    type: Type


@attrs.frozen
class IsMissing(Node):
    operand: Expr
    negate: bool
    type: Type


@attrs.frozen
class Recode(Node):
    """A label taken from one label set to another: `codes[i]` is the new position of label `i`."""

    operand: Expr
    codes: tuple[int, ...]
    type: Type


@attrs.frozen
class Table(Node):
    rows: tuple[tuple[Expr, Expr], ...]  # (condition, result)
    otherwise: Expr | None
    type: Type


@attrs.frozen
class Cast(Node):
    """A number taken as the value of a numbered scale whose values are `numbers`."""

    operand: Expr
    numbers: tuple[float, ...]
    type: Type


@attrs.frozen
class Round(Node):
    operand: Expr
    places: int
    type: Type


@attrs.frozen
class Aggregate(Node):
    """mean, sum, min, max or count over the arguments present; `weights` for weighted_mean/sum."""

    kind: str
    args: tuple[Expr, ...]
    weights: tuple[float, ...] | None
    type: Type


@attrs.frozen
class Extreme(Node):
    """worst or best of scale values: the largest or smallest position present."""

    kind: str
    args: tuple[Expr, ...]
    type: Type


@attrs.frozen
class Step(Node):
    """worsen (steps > 0) or improve (steps < 0) along a scale of `size` values."""

    operand: Expr
    steps: int
    size: int
    type: Type


@attrs.frozen
class IfMissing(Node):
    operand: Expr
    fallback: Expr
    type: Type


@attrs.frozen
class Previous(Node):
    operand: Expr
    type: Type


@attrs.frozen
class Run(Node):
    condition: Expr
    type: Type


@attrs.frozen
class Within(Node):
    """The organisations a cohort function compares a row with, in its period: all of them (`by` None), or those
    with the row's value of `by` (a row whose `by` is missing is in no group, and gets no value)."""

    by: Expr | None = None


@attrs.frozen
class Cohort(Node):
    """rank, percentile_rank, mean or sd of the operand within the row's cohort, or `within` another group."""

    kind: str
    operand: Expr
    type: Type
    within: Within | None = None  # None: the row's cohort


@attrs.frozen
class Quantile(Node):
    operand: Expr
    p: float
    method: str
    type: Type
    within: Within | None = None


@attrs.frozen
class Quartile(Node):
    operand: Expr
    method: str
    type: Type
    within: Within | None = None


Expr = (
    Const
    | Load
    | Unary
    | Binary
    | IsMissing
    | Recode
    | Table
    | Cast
    | Round
    | Aggregate
    | Extreme
    | Step
    | IfMissing
    | Previous
    | Run
    | Cohort
    | Quantile
    | Quartile
)


# ---------------------------------------------------------------- scoring models


@attrs.frozen
class Ranked:
    higher: bool
    standard: float | None
    floor: float | None


@attrs.frozen
class Band:
    lower: float | None  # None: open
    lower_inclusive: bool
    upper: float | None
    upper_inclusive: bool
    result: float | int

    def holds(self, x: float) -> bool:
        above = self.lower is None or x > self.lower or (self.lower_inclusive and x == self.lower)
        below = self.upper is None or x < self.upper or (self.upper_inclusive and x == self.upper)
        return above and below


@attrs.frozen
class Bands:
    rows: tuple[Band, ...]


@attrs.frozen
class Mapped:
    """Each label's score, by the label's position."""

    scores: tuple[float, ...]


@attrs.frozen
class Relative:
    k: float
    below: bool


Scoring = Ranked | Bands | Mapped | Relative


# ---------------------------------------------------------------- declarations


@attrs.frozen
class Provenance:
    kind: str  # "source", "assume", "provisional"
    text: str


@attrs.frozen
class Column(Node):
    """An input or metric: a column of the table, missing on rows whose org type it does not apply to."""

    name: str
    kind: str  # "input", "judgement", "metric"
    type: Type
    applies: tuple[int, ...]  # org type positions
    provenance: tuple[Provenance, ...]
    # what an empty cell reads as, encoded (on the rows it applies to), and the default's own provenance
    default: float | int | None = None
    default_provenance: tuple[Provenance, ...] = ()


@attrs.frozen
class Score(Node):
    """A metric's score: `name` is `metric.score`."""

    name: str
    metric: str
    scoring: Scoring
    weight: float
    type: Type
    provenance: tuple[Provenance, ...]
    low_is_better: bool | None = None  # whether a lower score is the better one; None: yes/no, or no telling


@attrs.frozen
class Adjust(Node):
    kind: str  # "no better than", "no worse than", "becomes"
    value: Expr
    condition: Expr
    provenance: tuple[Provenance, ...]


@attrs.frozen
class Derived(Node):
    name: str
    type: Type
    expr: Expr
    adjusts: tuple[Adjust, ...]
    provenance: tuple[Provenance, ...]


Decl = Column | Score | Derived
_D = TypeVar("_D", Column, Score, Derived)


@attrs.frozen
class Program:
    name: str
    version: str | None
    provenance: tuple[Provenance, ...]
    org_types: tuple[str, ...]
    cohorts: tuple[int, ...]  # each org type's cohort number
    decls: tuple[Decl, ...]  # in evaluation order: columns, then scores, then derived values
    outcome: str | None  # the value a result is about (`--explain`), when the policy has one
    uses_periods: bool  # `previous` or `run` somewhere
    # each scale's values with the words the policy gives them: ((scale, ((value, words), ...)), ...)
    descriptions: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    def description(self, scale: str | None, value: str) -> str | None:
        """The words a scale gives one of its values (`under_review`: "Performance under review"), if any."""
        if scale is None:
            return None
        return dict(dict(self.descriptions).get(scale, ())).get(value)

    @property
    def columns(self) -> tuple[Column, ...]:
        return tuple(d for d in self.decls if isinstance(d, Column))

    @property
    def scores(self) -> tuple[Score, ...]:
        return tuple(d for d in self.decls if isinstance(d, Score))

    @property
    def derived_values(self) -> tuple[Derived, ...]:
        return tuple(d for d in self.decls if isinstance(d, Derived))

    def decl(self, name: str) -> Decl:
        """The declaration named `name`, of whichever kind; a KeyError naming it when the policy has none."""
        for d in self.decls:
            if d.name == name:
                return d
        raise KeyError(f"the policy {self.name!r} declares no value {name!r}")

    def column(self, name: str) -> Column:
        """The input, judgement or metric named `name`; a TypeError when `name` is a score or a derived value."""
        return self._of_kind(name, Column, "an input, judgement or metric")

    def score(self, name: str) -> Score:
        """The metric score named `name` (`m.score`); a TypeError when `name` is some other kind of value."""
        return self._of_kind(name, Score, "a metric score")

    def derived(self, name: str) -> Derived:
        """The derived value named `name`; a TypeError when `name` is an input, a metric or a score."""
        return self._of_kind(name, Derived, "a derived value")

    def _of_kind(self, name: str, kind: type[_D], wanted: str) -> _D:
        decl = self.decl(name)
        if not isinstance(decl, kind):
            raise TypeError(f"{name!r} in the policy {self.name!r} is {_kind_words(decl)}, not {wanted}")
        return decl

    def outputs(self) -> tuple[Decl, ...]:
        """Every named value, in the order results report them: a metric's score after the metric."""
        scores = {d.metric: d for d in self.decls if isinstance(d, Score)}
        out: list[Decl] = []
        for d in self.decls:
            if isinstance(d, Column):
                out.append(d)
                if d.name in scores:
                    out.append(scores[d.name])
            elif isinstance(d, Derived):
                out.append(d)
        return tuple(out)


def _kind_words(decl: Decl) -> str:
    if isinstance(decl, Column):
        return "an input" if decl.kind == "input" else f"a {decl.kind}"
    return "a metric score" if isinstance(decl, Score) else "a derived value"


def children(expr: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of an expression, in evaluation order."""
    if isinstance(expr, (Const, Load)):
        return ()
    if isinstance(expr, Binary):
        return (expr.left, expr.right)
    if isinstance(expr, IfMissing):
        return (expr.operand, expr.fallback)
    if isinstance(expr, (Aggregate, Extreme)):
        return expr.args
    if isinstance(expr, Table):
        parts = [e for row in expr.rows for e in row]
        return (*parts, expr.otherwise) if expr.otherwise is not None else tuple(parts)
    if isinstance(expr, Run):
        return (expr.condition,)
    if isinstance(expr, (Cohort, Quantile, Quartile)) and expr.within is not None and expr.within.by is not None:
        return (expr.operand, expr.within.by)
    return (expr.operand,)


def loads(expr: Expr) -> list[str]:
    """The names an expression reads, depth first, each once."""
    found: dict[str, None] = {}

    def visit(e: Expr) -> None:
        if isinstance(e, Load):
            found.setdefault(e.name)
        for child in children(e):
            visit(child)

    visit(expr)
    return list(found)


def reads(decl: Decl) -> list[str]:
    """The names a declaration's rule reads (not `org_type`, nor a value's own name inside its adjustments)."""
    if isinstance(decl, Column):
        return []
    if isinstance(decl, Score):
        return [decl.metric]
    found = dict.fromkeys(loads(decl.expr))
    for adjust in decl.adjusts:
        found.update(dict.fromkeys(loads(adjust.value)))
        found.update(dict.fromkeys(loads(adjust.condition)))
    return [name for name in found if name != decl.name and name != "org_type"]


def outcome(program: Program) -> str:
    """The value a result is about: the declared outcome, else the last derived value (else the last value)."""
    if program.outcome is not None:
        return program.outcome
    derived = [d.name for d in program.decls if isinstance(d, Derived)]
    return derived[-1] if derived else program.decls[-1].name
