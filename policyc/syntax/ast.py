"""The syntax tree: frozen attrs nodes, each with its span, which equality ignores.

Nodes that the printer puts on lines of their own ("line units") carry the comments that stood
before them (`comments`) and at the end of their last line (`trailing`), so `fmt` keeps them.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from policyc.syntax.source import Span


@attrs.frozen
class Node:
    """Every node has its span, which equality ignores, so trees compare whatever their positions."""

    span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class LineUnit(Node):
    """A node the printer puts on lines of its own, with the comments before it and at its end."""

    comments: tuple[str, ...] = attrs.field(default=(), kw_only=True)
    trailing: str | None = attrs.field(default=None, kw_only=True)


@attrs.frozen
class Name(Node):
    text: str


# ---------------------------------------------------------------- expressions


@attrs.frozen
class Number(Node):
    text: str

    @property
    def value(self) -> Decimal:
        return Decimal(self.text)


@attrs.frozen
class Bool(Node):
    value: bool


@attrs.frozen
class Missing(Node):
    """`missing`: no value."""


@attrs.frozen
class Ref(Node):
    """A value, input, metric (its raw value) or scale label, by name."""

    name: Name


@attrs.frozen
class Member(Node):
    """`metric.score`: a metric's score."""

    target: Name
    member: Name


@attrs.frozen
class Selector(Node):
    """`metric scores [in domain D [/ S]]`: a function argument standing for many scores."""

    domain: Name | None
    subdomain: Name | None


@attrs.frozen
class NamedArg(Node):
    name: Name
    value: Expr


@attrs.frozen
class Call(Node):
    func: Name
    args: tuple[Expr | NamedArg | Selector, ...]


@attrs.frozen
class Unary(Node):
    op: str  # "-" or "not"
    operand: Expr


@attrs.frozen
class Binary(Node):
    """Arithmetic (+ - * /), logic (and, or) and comparison (< <= > >= is, is not, better than, worse than)."""

    op: str
    left: Expr
    right: Expr


@attrs.frozen
class Cast(Node):
    """`expr as scale`: a number taken as a value of a numbered scale."""

    operand: Expr
    scale: Name


@attrs.frozen
class TableRow(LineUnit):
    condition: Expr | None  # None: `otherwise`
    result: Expr


@attrs.frozen
class Table(Node):
    """A decision table: the first row whose condition holds gives the value."""

    rows: tuple[TableRow, ...]


Expr = Number | Bool | Missing | Ref | Member | Call | Unary | Binary | Cast | Table

ARITHMETIC = ("+", "-", "*", "/")
LOGIC = ("and", "or")
COMPARISON = ("<", "<=", ">", ">=", "is", "is not", "better than", "worse than")


# ---------------------------------------------------------------- provenance and types


@attrs.frozen
class Provenance(LineUnit):
    kind: str  # "source", "assume" or "provisional"
    text: str


@attrs.frozen
class BoolType(Node):
    """`yes/no`."""


@attrs.frozen
class LabelsType(Node):
    labels: tuple[Name, ...]


@attrs.frozen
class NamedType(Node):
    """A unit (`percent`) or a scale (`cqc_rating`)."""

    name: Name


Type = BoolType | LabelsType | NamedType


@attrs.frozen
class Applies(Node):
    org_types: tuple[Name, ...] | None  # None: `for all`


# ---------------------------------------------------------------- declarations


@attrs.frozen
class Header(LineUnit):
    name: str
    version: str | None
    extends: str | None
    provenance: tuple[Provenance, ...]
    extends_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


@attrs.frozen
class OrgTypes(LineUnit):
    names: tuple[Name, ...]
    provenance: tuple[Provenance, ...]


@attrs.frozen
class Cohort(LineUnit):
    name: Name
    members: tuple[Name, ...]
    provenance: tuple[Provenance, ...]
    replace: bool = False


@attrs.frozen
class Outcome(LineUnit):
    """`outcome segment`: the value a result is about."""

    name: Name
    provenance: tuple[Provenance, ...]
    replace: bool = False


@attrs.frozen
class ScaleItem(Node):
    key: Name | Number
    label: str | None


@attrs.frozen
class Tier(Node):
    """`high: outstanding, good`: a tier's name and the scale's values it holds."""

    name: Name
    values: tuple[Name | Number, ...]


@attrs.frozen
class Tiers(LineUnit):
    """`tiers high: ...; middle: ...; low: ...`: how a scale's values group when two scales are compared."""

    tiers: tuple[Tier, ...]


@attrs.frozen
class Scale(LineUnit):
    name: Name
    items: tuple[ScaleItem, ...]
    provenance: tuple[Provenance, ...]
    replace: bool = False
    tiers: Tiers | None = None


@attrs.frozen
class Domain(LineUnit):
    name: Name
    title: str | None
    subdomains: tuple[Name, ...]
    provenance: tuple[Provenance, ...]
    replace: bool = False


@attrs.frozen
class Default(LineUnit):
    """`default no`: what an empty cell of an input's column means, with the default's own provenance."""

    value: Literal
    provenance: tuple[Provenance, ...]


@attrs.frozen
class Input(LineUnit):
    name: Name
    title: str | None
    type: Type
    applies: Applies | None
    judgement: bool
    provenance: tuple[Provenance, ...]
    replace: bool = False
    default: Default | None = None


@attrs.frozen
class InDomain(LineUnit):
    domain: Name
    subdomain: Name | None


@attrs.frozen
class Weight(LineUnit):
    value: Expr


@attrs.frozen
class Ranked(LineUnit):
    standard: Number | None
    floor: Number | None


@attrs.frozen
class Bound:
    value: Number
    inclusive: bool


@attrs.frozen
class BandRow(LineUnit):
    """One interval of the value, `lower <(=) value <(=) upper`, either end open, and its result."""

    lower: Bound | None
    upper: Bound | None
    result: Literal


@attrs.frozen
class Bands(LineUnit):
    rows: tuple[BandRow, ...]


@attrs.frozen
class LabelScore(Node):
    label: Name
    score: Number


@attrs.frozen
class Scores(LineUnit):
    pairs: tuple[LabelScore, ...]


@attrs.frozen
class Relative(LineUnit):
    """Fails when more than `k` standard deviations on the `side` of the cohort mean."""

    k: Number
    side: str  # "below" or "above"


Scoring = Ranked | Bands | Scores | Relative


@attrs.frozen
class Metric(LineUnit):
    name: Name
    title: str | None
    type: Type
    direction: str | None  # "higher" or "lower"
    applies: Applies | None
    domain: InDomain | None
    weight: Weight | None
    scoring: Scoring | None
    provenance: tuple[Provenance, ...]
    replace: bool = False
    default: Default | None = None  # refused by `check`: a metric's missing value stays missing


@attrs.frozen
class Adjust(LineUnit):
    """`no better than V when C`, `no worse than V when C`, `becomes V when C`."""

    kind: str  # "no better than", "no worse than", "becomes"
    value: Expr
    condition: Expr
    provenance: tuple[Provenance, ...]


@attrs.frozen
class Value(LineUnit):
    name: Name
    expr: Expr
    provenance: tuple[Provenance, ...]
    adjusts: tuple[Adjust, ...]
    replace: bool = False
    default: Default | None = None  # refused by `check`: a derived value's missing value comes from its rule


# ---------------------------------------------------------------- tests


@attrs.frozen
class Literal(Node):
    """A literal in a band row or a test: number, yes/no, label, missing, period or string."""

    kind: str  # "number", "bool", "label", "missing", "period", "string"
    text: str


@attrs.frozen
class Assignment(Node):
    name: Name
    member: Name | None
    value: Literal
    tolerance: Number | None = None

    @property
    def key(self) -> str:
        return self.name.text + (f".{self.member.text}" if self.member else "")


@attrs.frozen
class Given(LineUnit):
    row: Name | None
    items: tuple[Assignment, ...]


@attrs.frozen
class Expect(LineUnit):
    row: Name | None
    items: tuple[Assignment, ...]


@attrs.frozen
class Test(LineUnit):
    name: str
    givens: tuple[Given, ...]
    expects: tuple[Expect, ...]
    provenance: tuple[Provenance, ...]
    name_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)


Decl = Header | OrgTypes | Cohort | Outcome | Scale | Domain | Input | Metric | Value | Test


@attrs.frozen
class Policy(Node):
    items: tuple[Decl, ...]
    end_comments: tuple[str, ...] = ()

    @property
    def header(self) -> Header | None:
        return next((i for i in self.items if isinstance(i, Header)), None)


def decl_name(decl: Decl) -> Name | None:
    """The name a declaration defines, if it defines one."""
    return getattr(decl, "name", None) if not isinstance(decl, (Header, Test, Outcome)) else None
