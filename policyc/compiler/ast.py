"""The syntax tree: frozen attrs nodes, each with its span, which equality ignores.

Nodes that the printer puts on lines of their own ("line units") carry the comments that stood
before them (`comments`) and at the end of their last line (`trailing`), so `fmt` keeps them.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from .source import Span


def _span():
    return attrs.field(default=None, eq=False, repr=False, kw_only=True)


def _comments():
    return attrs.field(default=(), kw_only=True)


def _trailing():
    return attrs.field(default=None, kw_only=True)


@attrs.frozen
class Name:
    text: str
    span: Span | None = _span()


# ---------------------------------------------------------------- expressions


@attrs.frozen
class Number:
    text: str
    span: Span | None = _span()

    @property
    def value(self) -> Decimal:
        return Decimal(self.text)


@attrs.frozen
class Bool:
    value: bool
    span: Span | None = _span()


@attrs.frozen
class Missing:
    span: Span | None = _span()


@attrs.frozen
class Ref:
    """A value, input, metric (its raw value) or scale label, by name."""

    name: Name
    span: Span | None = _span()


@attrs.frozen
class Member:
    """`metric.score`: a metric's score."""

    target: Name
    member: Name
    span: Span | None = _span()


@attrs.frozen
class Selector:
    """`metric scores [in domain D [/ S]]`: a function argument standing for many scores."""

    domain: Name | None
    subdomain: Name | None
    span: Span | None = _span()


@attrs.frozen
class NamedArg:
    name: Name
    value: Expr
    span: Span | None = _span()


@attrs.frozen
class Call:
    func: Name
    args: tuple[Expr | NamedArg | Selector, ...]
    span: Span | None = _span()


@attrs.frozen
class Unary:
    op: str  # "-" or "not"
    operand: Expr
    span: Span | None = _span()


@attrs.frozen
class Binary:
    """Arithmetic (+ - * /), logic (and, or) and comparison (< <= > >= is, is not, better than, worse than)."""

    op: str
    left: Expr
    right: Expr
    span: Span | None = _span()


@attrs.frozen
class Cast:
    """`expr as scale`: a number taken as a value of a numbered scale."""

    operand: Expr
    scale: Name
    span: Span | None = _span()


@attrs.frozen
class TableRow:
    condition: Expr | None  # None: `otherwise`
    result: Expr
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Table:
    """A decision table: the first row whose condition holds gives the value."""

    rows: tuple[TableRow, ...]
    span: Span | None = _span()


Expr = Number | Bool | Missing | Ref | Member | Call | Unary | Binary | Cast | Table

ARITHMETIC = ("+", "-", "*", "/")
LOGIC = ("and", "or")
COMPARISON = ("<", "<=", ">", ">=", "is", "is not", "better than", "worse than")


# ---------------------------------------------------------------- provenance and types


@attrs.frozen
class Provenance:
    kind: str  # "source", "assume" or "provisional"
    text: str
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class BoolType:
    span: Span | None = _span()


@attrs.frozen
class LabelsType:
    labels: tuple[Name, ...]
    span: Span | None = _span()


@attrs.frozen
class NamedType:
    """A unit (`percent`) or a scale (`cqc_rating`)."""

    name: Name
    span: Span | None = _span()


Type = BoolType | LabelsType | NamedType


@attrs.frozen
class Applies:
    org_types: tuple[Name, ...] | None  # None: `for all`
    span: Span | None = _span()


# ---------------------------------------------------------------- declarations


@attrs.frozen
class Header:
    name: str
    version: str | None
    extends: str | None
    provenance: tuple[Provenance, ...]
    span: Span | None = _span()
    extends_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class OrgTypes:
    names: tuple[Name, ...]
    provenance: tuple[Provenance, ...]
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Cohort:
    name: Name
    members: tuple[Name, ...]
    provenance: tuple[Provenance, ...]
    replace: bool = False
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class ScaleItem:
    key: Name | Number
    label: str | None
    span: Span | None = _span()


@attrs.frozen
class Scale:
    name: Name
    items: tuple[ScaleItem, ...]
    provenance: tuple[Provenance, ...]
    replace: bool = False
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Domain:
    name: Name
    title: str | None
    subdomains: tuple[Name, ...]
    provenance: tuple[Provenance, ...]
    replace: bool = False
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Input:
    name: Name
    title: str | None
    type: Type
    applies: Applies | None
    judgement: bool
    provenance: tuple[Provenance, ...]
    replace: bool = False
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class InDomain:
    domain: Name
    subdomain: Name | None
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Weight:
    value: Expr
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Ranked:
    standard: Number | None
    floor: Number | None
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Bound:
    value: Number
    inclusive: bool


@attrs.frozen
class BandRow:
    """One interval of the value, `lower <(=) value <(=) upper`, either end open, and its result."""

    lower: Bound | None
    upper: Bound | None
    result: Literal
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Bands:
    rows: tuple[BandRow, ...]
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class LabelScore:
    label: Name
    score: Number
    span: Span | None = _span()


@attrs.frozen
class Scores:
    pairs: tuple[LabelScore, ...]
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Relative:
    """Fails when more than `k` standard deviations on the `side` of the cohort mean."""

    k: Number
    side: str  # "below" or "above"
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


Scoring = Ranked | Bands | Scores | Relative


@attrs.frozen
class Metric:
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
    span: Span | None = _span()
    direction_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Adjust:
    """`no better than V when C`, `no worse than V when C`, `becomes V when C`."""

    kind: str  # "no better than", "no worse than", "becomes"
    value: Expr
    condition: Expr
    provenance: tuple[Provenance, ...]
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Value:
    name: Name
    expr: Expr
    provenance: tuple[Provenance, ...]
    adjusts: tuple[Adjust, ...]
    replace: bool = False
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


# ---------------------------------------------------------------- tests


@attrs.frozen
class Literal:
    """A literal in a band row or a test: number, yes/no, label, missing, period or string."""

    kind: str  # "number", "bool", "label", "missing", "period", "string"
    text: str
    span: Span | None = _span()


@attrs.frozen
class Assignment:
    name: Name
    member: Name | None
    value: Literal
    tolerance: Number | None = None
    span: Span | None = _span()

    @property
    def key(self) -> str:
        return self.name.text + (f".{self.member.text}" if self.member else "")


@attrs.frozen
class Given:
    row: Name | None
    items: tuple[Assignment, ...]
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Expect:
    row: Name | None
    items: tuple[Assignment, ...]
    span: Span | None = _span()
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


@attrs.frozen
class Test:
    name: str
    givens: tuple[Given, ...]
    expects: tuple[Expect, ...]
    provenance: tuple[Provenance, ...]
    span: Span | None = _span()
    name_span: Span | None = attrs.field(default=None, eq=False, repr=False, kw_only=True)
    comments: tuple[str, ...] = _comments()
    trailing: str | None = _trailing()


Decl = Header | OrgTypes | Cohort | Scale | Domain | Input | Metric | Value | Test


@attrs.frozen
class Policy:
    items: tuple[Decl, ...]
    end_comments: tuple[str, ...] = ()
    span: Span | None = _span()

    @property
    def header(self) -> Header | None:
        return next((i for i in self.items if isinstance(i, Header)), None)


def decl_name(decl: Decl) -> Name | None:
    """The name a declaration defines, if it defines one."""
    return getattr(decl, "name", None) if not isinstance(decl, (Header, Test)) else None
