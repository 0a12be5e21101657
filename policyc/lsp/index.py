"""Where every name of a policy is declared and used: the table behind hover, definition, references and rename.

A name is keyed by its namespace and text: `("value", "ae_4hr")` for an input, metric or derived
value, and `scale`, `domain`, `subdomain` (`domain/sub`), `org_type`, `cohort`, `label`, `tier`
(`scale/high`), `function` and `unit` for the others. A variant's index is built from the policy merged with its
base, so its occurrences span both files.
"""

from __future__ import annotations

import bisect

import attrs

from policyc.semantics.resolve import BUILTIN_VALUES, Scope
from policyc.semantics.types import Type
from policyc.syntax import ast
from policyc.syntax.source import Source, Span

Key = tuple[str, str]


@attrs.frozen
class Occurrence:
    key: Key
    span: Span
    definition: bool


@attrs.define
class Index:
    """The occurrences of a (merged) policy, with its scope and, when the checker got that far, its types."""

    policy: ast.Policy
    scope: Scope
    types: dict[str, Type]
    sources: dict[str, Source]
    occurrences: list[Occurrence]
    by_file: dict[str, list[Occurrence]] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.by_file = {}
        for item in sorted(self.occurrences, key=lambda o: o.span.start):
            self.by_file.setdefault(item.span.file, []).append(item)

    def at(self, file: str, offset: int) -> Occurrence | None:
        """The occurrence under a character offset (or just before it, where the cursor ends a name)."""
        items = self.by_file.get(file, [])
        starts = [o.span.start for o in items]
        index = bisect.bisect_right(starts, offset) - 1
        if index >= 0 and items[index].span.start <= offset <= items[index].span.end:
            return items[index]
        return None

    def of(self, key: Key) -> list[Occurrence]:
        return [o for o in self.occurrences if o.key == key]

    def definitions(self, key: Key) -> list[Occurrence]:
        return [o for o in self.of(key) if o.definition]

    def declaration(self, key: Key) -> ast.Decl | None:
        kind, name = key
        if kind == "value":
            return self.scope.named(name)
        if kind == "scale":
            return self.scope.scales.get(name)
        if kind == "domain":
            return self.scope.domains.get(name)
        if kind == "cohort":
            return self.scope.cohorts.get(name)
        return None

    def label_scales(self, label: str) -> list[ast.Scale]:
        return [s for s in self.scope.scales.values() if any(_item_name(i) == label for i in s.items)]

    def type_of(self, name: str) -> Type | None:
        return self.types.get(name)

    def taken(self, key: Key) -> bool:
        """Whether a name is already used in the namespace a rename to it would enter."""
        kind, name = key
        if kind in ("value", "label"):
            return (
                self.scope.named(name) is not None
                or name in BUILTIN_VALUES
                or bool(self.of(("label", name)))
                or bool(self.of(("value", name)))
            )
        return bool(self.of(key))


def _item_name(item: ast.ScaleItem) -> str | None:
    return item.key.text if isinstance(item.key, ast.Name) else None


class _Collector:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.out: list[Occurrence] = []

    def add(self, kind: str, name: str, span: Span | None, definition: bool = False) -> None:
        if span is not None:
            self.out.append(Occurrence((kind, name), span, definition))

    def name(self, kind: str, name: ast.Name | None, definition: bool = False) -> None:
        if name is not None:
            self.add(kind, name.text, name.span, definition)

    def value_or_label(self, name: ast.Name) -> None:
        known = self.scope.named(name.text) is not None or name.text in BUILTIN_VALUES
        self.name("value" if known else "label", name)

    def decl(self, decl: ast.Decl) -> None:
        if isinstance(decl, ast.OrgTypes):
            for org_type in decl.names:
                self.name("org_type", org_type, definition=True)
        elif isinstance(decl, ast.Cohort):
            self.name("cohort", decl.name, definition=True)
            for member in decl.members:
                self.name("org_type", member)
        elif isinstance(decl, ast.Outcome):
            self.name("value", decl.name)
        elif isinstance(decl, ast.Scale):
            self.name("scale", decl.name, definition=True)
            for item in decl.items:
                if isinstance(item.key, ast.Name):
                    self.name("label", item.key, definition=True)
            for tier in decl.tiers.tiers if decl.tiers is not None else ():
                self.add("tier", f"{decl.name.text}/{tier.name.text}", tier.name.span)
                for value in tier.values:
                    if isinstance(value, ast.Name):
                        self.name("label", value)
        elif isinstance(decl, ast.Domain):
            self.name("domain", decl.name, definition=True)
            for sub in decl.subdomains:
                self.add("subdomain", f"{decl.name.text}/{sub.text}", sub.span, definition=True)
        elif isinstance(decl, ast.Input):
            self.name("value", decl.name, definition=True)
            self.type(decl.type)
            self.applies(decl.applies)
        elif isinstance(decl, ast.Metric):
            self.metric(decl)
        elif isinstance(decl, ast.Value):
            self.name("value", decl.name, definition=True)
            self.expr(decl.expr)
            for adjust in decl.adjusts:
                self.expr(adjust.value)
                self.expr(adjust.condition)
        elif isinstance(decl, ast.Test):
            for given in decl.givens:
                for assignment in given.items:
                    self.assignment(assignment)
            for expect in decl.expects:
                for assignment in expect.items:
                    self.assignment(assignment)

    def metric(self, metric: ast.Metric) -> None:
        self.name("value", metric.name, definition=True)
        self.type(metric.type)
        self.applies(metric.applies)
        if metric.domain is not None:
            self.in_domain(metric.domain.domain, metric.domain.subdomain)
        if metric.weight is not None:
            self.expr(metric.weight.value)
        scoring = metric.scoring
        if isinstance(scoring, ast.Bands):
            for row in scoring.rows:
                if row.result.kind == "label":
                    self.add("label", row.result.text, row.result.span)
        elif isinstance(scoring, ast.Scores):
            for pair in scoring.pairs:
                self.name("label", pair.label)

    def type(self, decl_type: ast.Type) -> None:
        if isinstance(decl_type, ast.NamedType):
            name = decl_type.name
            self.name("scale" if name.text in self.scope.scales else "unit", name)
        elif isinstance(decl_type, ast.LabelsType):
            for label in decl_type.labels:
                self.name("label", label, definition=True)

    def applies(self, applies: ast.Applies | None) -> None:
        if applies is not None:
            for org_type in applies.org_types or ():
                self.name("org_type", org_type)

    def in_domain(self, domain: ast.Name | None, sub: ast.Name | None) -> None:
        if domain is None:
            return
        self.name("domain", domain)
        if sub is not None:
            self.add("subdomain", f"{domain.text}/{sub.text}", sub.span)

    def assignment(self, item: ast.Assignment) -> None:
        self.value_or_label(item.name)
        if item.value.kind == "label":
            kind = "org_type" if item.name.text == "org_type" else "label"
            if item.name.text != "org":
                self.add(kind, item.value.text, item.value.span)

    def expr(self, expr: ast.Expr | ast.Selector | ast.NamedArg) -> None:
        if isinstance(expr, ast.Ref):
            self.value_or_label(expr.name)
        elif isinstance(expr, ast.Member):
            self.name("value", expr.target)
        elif isinstance(expr, ast.Call):
            self.name("function", expr.func)
            for arg in expr.args:
                self.expr(arg)
        elif isinstance(expr, ast.NamedArg):
            # A named argument's value is an option (`method: linear`), not a name of the policy.
            if not isinstance(expr.value, ast.Ref):
                self.expr(expr.value)
        elif isinstance(expr, ast.Selector):
            self.in_domain(expr.domain, expr.subdomain)
        elif isinstance(expr, ast.Binary):
            self.expr(expr.left)
            self.expr(expr.right)
        elif isinstance(expr, ast.Unary):
            self.expr(expr.operand)
        elif isinstance(expr, ast.Cast):
            self.expr(expr.operand)
            self.name("scale", expr.scale)
        elif isinstance(expr, ast.Table):
            for row in expr.rows:
                if row.condition is not None:
                    self.expr(row.condition)
                self.expr(row.result)


def build_index(policy: ast.Policy, scope: Scope, types: dict[str, Type], sources: dict[str, Source]) -> Index:
    collector = _Collector(scope)
    for decl in policy.items:
        collector.decl(decl)
    return Index(policy, scope, types, sources, collector.out)
