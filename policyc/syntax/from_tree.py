"""The Lark parse tree to the syntax tree of `ast`, with spans, and comments attached to line units."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import lark
from lark import Token, Transformer, v_args
from lark.tree import Meta

from policyc.syntax import ast
from policyc.syntax.comments import attach_comments
from policyc.syntax.diagnostics import Diagnostics
from policyc.syntax.source import Source, Span


def unescape(token: str) -> str:
    """The text of a STRING token: quotes removed, a backslash keeps the next character as it is."""
    body = token[1:-1]
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            i += 1
        out.append(body[i])
        i += 1
    return "".join(out)


# How much of a long literal a message quotes; the caret line underlines all of it.
QUOTED = 16


def number_problem(text: str) -> tuple[str, str] | None:
    """Why a NUMBER token is no number a policy can use (a message and its help), or None when it is one.

    Values are computed as 64-bit floating point, so a literal that would read as infinity or as 0 is refused
    rather than silently changed; the lexer reads an exponent only so that it can be refused as a whole.
    """
    shown = text if len(text) <= QUOTED else text[:QUOTED] + "..."
    value = Decimal(text)
    as_float = float(value)
    if math.isinf(as_float) or (as_float == 0 and value != 0):
        size = "large" if math.isinf(as_float) else "small"
        return (
            f"the number `{shown}` is too {size} to compute with",
            "a policy's numbers are 64-bit floating point: from about 5e-324 to 1.8e308 in size, or 0",
        )
    if "e" in text.lower():
        plain = format(value, "f")
        written = (
            f"write it in digits: `{plain}`" if len(plain) <= QUOTED else "write it in digits, without the exponent"
        )
        return f"the number `{shown}` is written with an exponent", written
    return None


# A band row's (lower, upper) bounds, either of them open.
_Range = tuple[ast.Bound | None, ast.Bound | None]


@v_args(meta=True)
class _Builder(Transformer[Token, ast.Policy]):
    def __init__(self, source: Source, diags: Diagnostics) -> None:
        super().__init__()
        self.source = source
        self.diags = diags

    # ------------------------------------------------------------ helpers

    def span(self, meta: Meta) -> Span | None:
        if getattr(meta, "empty", True):
            return None
        return self.source.span(meta.start_pos, meta.end_pos)

    def tspan(self, token: Token) -> Span:
        # The lexer gives every token its place; only a token made by hand would lack one.
        if token.start_pos is None or token.end_pos is None:
            raise ValueError(f"the token {token!r} has no place in the source")
        return self.source.span(token.start_pos, token.end_pos)

    def name(self, token: Token) -> ast.Name:
        return ast.Name(str(token), span=self.tspan(token))

    def number_token(self, token: Token) -> ast.Number:
        """A number literal, reported if it is not one a policy can compute with."""
        number = ast.Number(str(token), span=self.tspan(token))
        problem = number_problem(number.text)
        if problem is not None:
            message, help_text = problem
            self.diags.error("PC106", message, number.span, help_text)
        return number

    @staticmethod
    def split(children: list[Any], *kinds: type) -> tuple[list[Any], list[Any]]:
        """Children of the given node types, in order, and the rest."""
        picked = [c for c in children if isinstance(c, kinds)]
        rest = [c for c in children if not isinstance(c, kinds)]
        return picked, rest

    @staticmethod
    def replace_flag(children: list[Any]) -> tuple[bool, list[Any]]:
        if children and isinstance(children[0], Token) and children[0].type == "REPLACE":
            return True, list(children[1:])
        return False, list(children)

    # ------------------------------------------------------------ top level

    def start(self, meta: Meta, children: list[Any]) -> ast.Policy:
        return ast.Policy(tuple(children), span=self.span(meta) or self.source.span(0, 0))

    def header(self, meta: Meta, children: list[Any]) -> ast.Header:
        name = unescape(children[0])
        version = None
        extends = None
        extends_span = None
        provenance = []
        for child in children[1:]:
            if isinstance(child, ast.Provenance):
                provenance.append(child)
            elif isinstance(child, tuple) and child[0] == "version":
                version = child[1]
            elif isinstance(child, tuple) and child[0] == "extends":
                if extends is not None:
                    self.diags.error("PC105", "a policy extends one base", child[2], "remove the second `extends`")
                    continue
                extends, extends_span = child[1], child[2]
        return ast.Header(name, version, extends, tuple(provenance), span=self.span(meta), extends_span=extends_span)

    def version(self, meta: Meta, children: list[Any]) -> tuple[str, str]:
        return ("version", unescape(children[0]))

    def extends(self, meta: Meta, children: list[Any]) -> tuple[str, str, Span]:
        return ("extends", unescape(children[0]), self.tspan(children[0]))

    def provenance(self, meta: Meta, children: list[Any]) -> ast.Provenance:
        kind, text = children
        return ast.Provenance(str(kind), unescape(text), span=self.span(meta))

    def name_list(self, meta: Meta, children: list[Any]) -> tuple[ast.Name, ...]:
        return tuple(self.name(t) for t in children)

    def org_types(self, meta: Meta, children: list[Any]) -> ast.OrgTypes:
        return ast.OrgTypes(children[0], tuple(children[1:]), span=self.span(meta))

    def cohort(self, meta: Meta, children: list[Any]) -> ast.Cohort:
        replace, rest = self.replace_flag(children)
        return ast.Cohort(self.name(rest[0]), rest[1], tuple(rest[2:]), replace, span=self.span(meta))

    def outcome(self, meta: Meta, children: list[Any]) -> ast.Outcome:
        replace, rest = self.replace_flag(children)
        return ast.Outcome(self.name(rest[0]), tuple(rest[1:]), replace, span=self.span(meta))

    def scale(self, meta: Meta, children: list[Any]) -> ast.Scale:
        replace, rest = self.replace_flag(children)
        items, clauses = self.split(rest[1:], ast.ScaleItem)
        tiers, provenance = self.split(clauses, ast.Tiers)
        for second in tiers[1:]:
            self.diags.error("PC105", "a scale declares its tiers once", second.span, "remove the second `tiers`")
        return ast.Scale(
            self.name(rest[0]),
            tuple(items),
            tuple(provenance),
            replace,
            tiers[0] if tiers else None,
            span=self.span(meta),
        )

    def tiers(self, meta: Meta, children: list[Any]) -> ast.Tiers:
        return ast.Tiers(tuple(children), span=self.span(meta))

    def tier(self, meta: Meta, children: list[Any]) -> ast.Tier:
        return ast.Tier(self.name(children[0]), tuple(children[1:]), span=self.span(meta))

    def tier_value(self, meta: Meta, children: list[Any]) -> ast.Name | ast.Number:
        token = children[0]
        return self.number_token(token) if token.type == "NUMBER" else self.name(token)

    def scale_item(self, meta: Meta, children: list[Any]) -> ast.ScaleItem:
        token = children[0]
        key = self.number_token(token) if token.type == "NUMBER" else self.name(token)
        label = unescape(children[1]) if len(children) > 1 else None
        return ast.ScaleItem(key, label, span=self.span(meta))

    def domain(self, meta: Meta, children: list[Any]) -> ast.Domain:
        replace, rest = self.replace_flag(children)
        name = self.name(rest[0])
        title = None
        subdomains: tuple = ()
        provenance = []
        for child in rest[1:]:
            if isinstance(child, Token):
                title = unescape(child)
            elif isinstance(child, tuple):
                subdomains = child
            else:
                provenance.append(child)
        return ast.Domain(name, title, subdomains, tuple(provenance), replace, span=self.span(meta))

    # ------------------------------------------------------------ inputs and types

    def input(self, meta: Meta, children: list[Any]) -> ast.Input:
        replace, rest = self.replace_flag(children)
        kind, name_token = rest[0], rest[1]
        title = None
        index = 2
        if isinstance(rest[index], Token):
            title = unescape(rest[index])
            index += 1
        type_ = rest[index]
        applies = None
        default = None
        provenance = []
        for child in rest[index + 1 :]:
            if isinstance(child, ast.Applies):
                applies = child
            elif isinstance(child, ast.Default):
                default = child
            elif child is not None:
                provenance.append(child)
        return ast.Input(
            self.name(name_token),
            title,
            type_,
            applies,
            kind.type == "JUDGEMENT",
            tuple(provenance),
            replace,
            default,
            span=self.span(meta),
        )

    def default(self, meta: Meta, children: list[Any]) -> ast.Default:
        return ast.Default(children[0], tuple(children[1:]), span=self.span(meta))

    def metric_default(self, meta: Meta, children: list[Any]) -> ast.Default:
        return ast.Default(children[0], (), span=self.span(meta))

    def bool_type(self, meta: Meta, children: list[Any]) -> ast.BoolType:
        return ast.BoolType(span=self.span(meta))

    def labels_type(self, meta: Meta, children: list[Any]) -> ast.LabelsType:
        return ast.LabelsType(tuple(self.name(t) for t in children), span=self.span(meta))

    def named_type(self, meta: Meta, children: list[Any]) -> ast.NamedType:
        return ast.NamedType(self.name(children[0]), span=self.span(meta))

    def applies(self, meta: Meta, children: list[Any]) -> ast.Applies:
        child = children[0]
        types = None if isinstance(child, Token) and child.type == "ALL" else child
        return ast.Applies(types, span=self.span(meta))

    # ------------------------------------------------------------ metrics

    def metric(self, meta: Meta, children: list[Any]) -> ast.Metric:
        replace, rest = self.replace_flag(children)
        name = self.name(rest[0])
        index = 1
        title = None
        if isinstance(rest[index], Token):
            title = unescape(rest[index])
            index += 1
        type_ = rest[index]
        fields: dict[str, Any] = {}
        provenance = []
        for clause in rest[index + 1 :]:
            if isinstance(clause, ast.Provenance):
                provenance.append(clause)
                continue
            if isinstance(clause, tuple):  # direction
                key, value, span = "direction", clause[1], clause[2]
            elif isinstance(clause, ast.Applies):
                key, value, span = "applies", clause, clause.span
            elif isinstance(clause, ast.InDomain):
                key, value, span = "domain", clause, clause.span
            elif isinstance(clause, ast.Weight):
                key, value, span = "weight", clause, clause.span
            elif isinstance(clause, ast.Default):
                key, value, span = "default", clause, clause.span
            else:
                key, value, span = "scoring", clause, clause.span
            if key in fields:
                what = "scoring model" if key == "scoring" else key
                self.diags.error(
                    "PC105",
                    f"metric `{name.text}` has a second {what}",
                    span,
                    f"a metric has one {what}; remove this one",
                )
                continue
            fields[key] = value
        return ast.Metric(
            name,
            title,
            type_,
            fields.get("direction"),
            fields.get("applies"),
            fields.get("domain"),
            fields.get("weight"),
            fields.get("scoring"),
            tuple(provenance),
            replace,
            fields.get("default"),
            span=self.span(meta),
        )

    def direction(self, meta: Meta, children: list[Any]) -> tuple[str, str, Span | None]:
        return ("direction", str(children[0]), self.span(meta))

    def in_domain(self, meta: Meta, children: list[Any]) -> ast.InDomain:
        sub = self.name(children[1]) if len(children) > 1 and children[1] is not None else None
        return ast.InDomain(self.name(children[0]), sub, span=self.span(meta))

    def weight(self, meta: Meta, children: list[Any]) -> ast.Weight:
        return ast.Weight(children[0], span=self.span(meta))

    def ranked(self, meta: Meta, children: list[Any]) -> ast.Ranked:
        standard = next((c[1] for c in children if c[0] == "standard"), None)
        floor = next((c[1] for c in children if c[0] == "floor"), None)
        return ast.Ranked(standard, floor, span=self.span(meta))

    def standard(self, meta: Meta, children: list[Any]) -> tuple[str, ast.Number]:
        return ("standard", children[0])

    def floor(self, meta: Meta, children: list[Any]) -> tuple[str, ast.Number]:
        return ("floor", children[0])

    def signed_number(self, meta: Meta, children: list[Any]) -> ast.Number:
        self.number_token(children[-1])
        text = "".join(str(c) for c in children)
        return ast.Number(text, span=self.span(meta))

    def bands(self, meta: Meta, children: list[Any]) -> ast.Bands:
        return ast.Bands(tuple(children), span=self.span(meta))

    def band_row(self, meta: Meta, children: list[Any]) -> ast.BandRow:
        (lower, upper), result = children
        return ast.BandRow(lower, upper, result, span=self.span(meta))

    def less(self, meta: Meta, children: list[Any]) -> str:
        return str(children[0])

    greater = less

    def band_between(self, meta: Meta, children: list[Any]) -> _Range:
        lower = ast.Bound(children[0], children[1] == "<=")
        upper = ast.Bound(children[3], children[2] == "<=") if len(children) > 2 and children[2] else None
        return lower, upper

    def band_below(self, meta: Meta, children: list[Any]) -> _Range:
        return None, ast.Bound(children[1], children[0] == "<=")

    def band_above(self, meta: Meta, children: list[Any]) -> _Range:
        return ast.Bound(children[1], children[0] == ">="), None

    def scores(self, meta: Meta, children: list[Any]) -> ast.Scores:
        return ast.Scores(tuple(children), span=self.span(meta))

    def label_score(self, meta: Meta, children: list[Any]) -> ast.LabelScore:
        return ast.LabelScore(self.name(children[0]), children[1], span=self.span(meta))

    def relative(self, meta: Meta, children: list[Any]) -> ast.Relative:
        k = self.number_token(children[0])
        return ast.Relative(k, str(children[1]), span=self.span(meta))

    # ------------------------------------------------------------ values

    def value(self, meta: Meta, children: list[Any]) -> ast.Value:
        replace, rest = self.replace_flag(children)
        provenance, rest2 = self.split(rest[2:], ast.Provenance)
        adjusts = [c for c in rest2 if isinstance(c, ast.Adjust)]
        default = next((c for c in rest2 if isinstance(c, ast.Default)), None)
        return ast.Value(
            self.name(rest[0]), rest[1], tuple(provenance), tuple(adjusts), replace, default, span=self.span(meta)
        )

    def adjust(self, meta: Meta, children: list[Any]) -> ast.Adjust:
        kind, value, condition, *provenance = children
        return ast.Adjust(kind, value, condition, tuple(provenance), span=self.span(meta))

    def no_better(self, meta: Meta, children: list[Any]) -> str:
        return "no better than"

    def no_worse(self, meta: Meta, children: list[Any]) -> str:
        return "no worse than"

    def becomes(self, meta: Meta, children: list[Any]) -> str:
        return "becomes"

    # ------------------------------------------------------------ expressions

    def table(self, meta: Meta, children: list[Any]) -> ast.Table:
        return ast.Table(tuple(children), span=self.span(meta))

    def table_row(self, meta: Meta, children: list[Any]) -> ast.TableRow:
        return ast.TableRow(children[0], children[1], span=self.span(meta))

    def otherwise_row(self, meta: Meta, children: list[Any]) -> ast.TableRow:
        return ast.TableRow(None, children[0], span=self.span(meta))

    def or_(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("or", children[0], children[1], span=self.span(meta))

    def and_(self, meta: Meta, children: list[Any]) -> ast.Binary:
        return ast.Binary("and", children[0], children[1], span=self.span(meta))

    def not_(self, meta: Meta, children: list[Any]) -> ast.Unary:
        return ast.Unary("not", children[1], span=self.span(meta))

    def compare(self, meta: Meta, children: list[Any]) -> ast.Binary:
        left, op, right = children
        return ast.Binary(op, left, right, span=self.span(meta))

    def cmp_op(self, meta: Meta, children: list[Any]) -> str:
        return str(children[0])

    def is_(self, meta: Meta, children: list[Any]) -> str:
        return "is"

    def is_not(self, meta: Meta, children: list[Any]) -> str:
        return "is not"

    def better(self, meta: Meta, children: list[Any]) -> str:
        return "better than"

    def worse(self, meta: Meta, children: list[Any]) -> str:
        return "worse than"

    def cast(self, meta: Meta, children: list[Any]) -> ast.Cast:
        return ast.Cast(children[0], self.name(children[1]), span=self.span(meta))

    def arith(self, meta: Meta, children: list[Any]) -> ast.Binary:
        left, op, right = children
        return ast.Binary(str(op), left, right, span=self.span(meta))

    def neg(self, meta: Meta, children: list[Any]) -> ast.Unary:
        return ast.Unary("-", children[1], span=self.span(meta))

    def number(self, meta: Meta, children: list[Any]) -> ast.Number:
        return self.number_token(children[0])

    def yes(self, meta: Meta, children: list[Any]) -> ast.Bool:
        return ast.Bool(True, span=self.span(meta))

    def no(self, meta: Meta, children: list[Any]) -> ast.Bool:
        return ast.Bool(False, span=self.span(meta))

    def missing(self, meta: Meta, children: list[Any]) -> ast.Missing:
        return ast.Missing(span=self.span(meta))

    def ref(self, meta: Meta, children: list[Any]) -> ast.Ref:
        return ast.Ref(self.name(children[0]), span=self.span(meta))

    def member(self, meta: Meta, children: list[Any]) -> ast.Member:
        return ast.Member(self.name(children[0]), self.name(children[1]), span=self.span(meta))

    def call(self, meta: Meta, children: list[Any]) -> ast.Call:
        func, args = children
        return ast.Call(self.name(func), tuple(args or ()), span=self.span(meta))

    def args(self, meta: Meta, children: list[Any]) -> list[Any]:
        return list(children)

    def named_arg(self, meta: Meta, children: list[Any]) -> ast.NamedArg:
        return ast.NamedArg(self.name(children[0]), children[1], span=self.span(meta))

    def selector(self, meta: Meta, children: list[Any]) -> ast.Selector:
        names = [self.name(c) for c in children if c is not None]
        domain = names[0] if names else None
        sub = names[1] if len(names) > 1 else None
        return ast.Selector(domain, sub, span=self.span(meta))

    # ------------------------------------------------------------ tests

    def test(self, meta: Meta, children: list[Any]) -> ast.Test:
        givens, rest = self.split(children[1:], ast.Given)
        expects, provenance = self.split(rest, ast.Expect)
        return ast.Test(
            unescape(children[0]),
            tuple(givens),
            tuple(expects),
            tuple(provenance),
            span=self.span(meta),
            name_span=self.tspan(children[0]),
        )

    def _row(self, children: list[Any]) -> tuple[ast.Name | None, tuple[ast.Assignment, ...]]:
        if children and isinstance(children[0], Token):
            return self.name(children[0]), tuple(children[1:])
        return None, tuple(children)

    def given(self, meta: Meta, children: list[Any]) -> ast.Given:
        row, items = self._row(children)
        return ast.Given(row, items, span=self.span(meta))

    def expect(self, meta: Meta, children: list[Any]) -> ast.Expect:
        row, items = self._row(children)
        return ast.Expect(row, items, span=self.span(meta))

    def assignment(self, meta: Meta, children: list[Any]) -> ast.Assignment:
        (name, member), value = children
        return ast.Assignment(name, member, value, span=self.span(meta))

    def expectation(self, meta: Meta, children: list[Any]) -> ast.Assignment:
        (name, member), value = children[0], children[1]
        tolerance = None
        if len(children) > 2 and children[2] is not None:
            tolerance = self.number_token(children[2])
        return ast.Assignment(name, member, value, tolerance, span=self.span(meta))

    def dotted(self, meta: Meta, children: list[Any]) -> tuple[ast.Name, ast.Name | None]:
        member = self.name(children[1]) if len(children) > 1 and children[1] is not None else None
        return self.name(children[0]), member

    def literal(self, meta: Meta, children: list[Any]) -> ast.Literal:
        span = self.span(meta)
        if not children:
            return ast.Literal("missing", "missing", span=span)
        child = children[0]
        if isinstance(child, ast.Number):
            return ast.Literal("number", child.text, span=span)
        kinds = {"YES": "bool", "NO": "bool", "NAME": "label", "PERIOD": "period", "STRING": "string"}
        text = unescape(child) if child.type == "STRING" else str(child)
        return ast.Literal(kinds[child.type], text, span=span)


def build(tree: lark.Tree, comments: list[Token], source: Source, diags: Diagnostics) -> ast.Policy:
    """The syntax tree of a parse tree, each comment given to the line unit it belongs to."""
    policy = _Builder(source, diags).transform(tree)
    return attach_comments(policy, comments)
