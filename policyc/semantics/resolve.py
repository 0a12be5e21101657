"""Names: the tables of declarations, a base policy's merge with its extension, duplicates and cycles."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TypeVar

import attrs

from policyc.syntax import ast
from policyc.syntax.diagnostics import Diagnostics, did_you_mean
from policyc.syntax.source import Span

UNITS = (
    "percent",
    "count",
    "rate",
    "ratio",
    "number",
    "score",
    "days",
    "weeks",
    "hours",
    "minutes",
    "years",
    "money",
)
# Names every policy has: the columns that identify a row.
BUILTIN_VALUES = ("org", "org_type", "period")


@attrs.define
class Scope:
    """Every declaration of a policy, by kind and name, in source order."""

    header: ast.Header | None = None
    org_types: dict[str, ast.Name] = attrs.Factory(dict)
    cohorts: dict[str, ast.Cohort] = attrs.Factory(dict)
    cohort_of: dict[str, str] = attrs.Factory(dict)  # org type -> cohort name
    outcome: ast.Outcome | None = None
    scales: dict[str, ast.Scale] = attrs.Factory(dict)
    domains: dict[str, ast.Domain] = attrs.Factory(dict)
    inputs: dict[str, ast.Input] = attrs.Factory(dict)
    metrics: dict[str, ast.Metric] = attrs.Factory(dict)
    values: dict[str, ast.Value] = attrs.Factory(dict)
    tests: list[ast.Test] = attrs.Factory(list)
    order: list[str] = attrs.Factory(list)  # derived values, each after what it depends on

    def named(self, name: str) -> ast.Input | ast.Metric | ast.Value | None:
        return self.inputs.get(name) or self.metrics.get(name) or self.values.get(name)

    def value_names(self) -> list[str]:
        return [*self.inputs, *self.metrics, *self.values, *BUILTIN_VALUES]

    def is_label(self, expr: ast.Expr) -> bool:
        """Whether a name in a rule is a label: no input, metric or value, nor a column every table has."""
        return isinstance(expr, ast.Ref) and self.named(expr.name.text) is None and expr.name.text not in BUILTIN_VALUES


# ---------------------------------------------------------------- variants (`extends`)


# The declarations of values, which share one namespace.
_Named = ast.Input | ast.Metric | ast.Value
# The declarations that define a name, which a variant may replace.
_Defining = ast.Cohort | ast.Outcome | ast.Scale | ast.Domain | ast.Input | ast.Metric | ast.Value | ast.Test


def _key(decl: _Defining) -> tuple[str, str]:
    """What a declaration defines: its namespace and name."""
    if isinstance(decl, (ast.Input, ast.Metric, ast.Value)):
        return ("value", decl.name.text)
    if isinstance(decl, ast.Scale):
        return ("scale", decl.name.text)
    if isinstance(decl, ast.Domain):
        return ("domain", decl.name.text)
    if isinstance(decl, ast.Cohort):
        return ("cohort", decl.name.text)
    if isinstance(decl, ast.Test):
        return ("test", decl.name)
    return ("outcome", "outcome")


def merge(base: ast.Policy, extension: ast.Policy, diags: Diagnostics) -> ast.Policy:
    """The extension's declarations laid over its base: `replace` swaps a base declaration in place."""
    items: list[ast.Decl] = [i for i in base.items if not isinstance(i, ast.Header)]
    base_names = {_key(d): n for n, d in enumerate(items) if not isinstance(d, (ast.Header, ast.OrgTypes))}
    header = extension.header
    added: list[ast.Decl] = []
    for decl in extension.items:
        if isinstance(decl, ast.Header):
            continue
        replace = getattr(decl, "replace", False)
        if isinstance(decl, ast.OrgTypes):
            diags.error(
                "PC205",
                "a variant cannot declare org types again",
                decl.span,
                "the org types come from the base policy; remove this declaration",
            )
            continue
        key = _key(decl)
        if key in base_names and key[0] != "test":
            if not replace:
                diags.error(
                    "PC205",
                    f"`{key[1]}` is already declared by the base policy",
                    decl_span(decl),
                    f"write `replace` before it to change `{key[1]}` in this variant",
                )
                continue
            items[base_names[key]] = decl
        elif replace:
            same_kind = [k[1] for k in base_names if k[0] == key[0]]
            hint = did_you_mean(key[1], same_kind)
            diags.error(
                "PC204",
                f"`{key[1]}` replaces nothing: the base policy does not declare it",
                decl_span(decl),
                hint or "remove `replace` to add it as a new declaration",
            )
        else:
            added.append(decl)
    return ast.Policy(
        tuple([header, *items, *added]) if header else tuple(items + added), extension.end_comments, span=extension.span
    )


def decl_span(decl: ast.Decl) -> Span | None:
    name = ast.decl_name(decl)
    if name is not None and name.span is not None:
        return name.span
    if isinstance(decl, ast.Test):
        return decl.name_span
    return decl.span


# ---------------------------------------------------------------- the tables


def build_scope(policy: ast.Policy, diags: Diagnostics, *, is_variant: bool = False) -> Scope:
    scope = Scope()
    headers = [i for i in policy.items if isinstance(i, ast.Header)]
    if not headers:
        first = policy.items[0].span if policy.items else policy.span
        diags.error("PC104", "the policy has no header", first, 'begin the file with `policy "Name" version "..."`')
    else:
        scope.header = headers[0]
        for extra in headers[1:]:
            diags.error(
                "PC104",
                "a file holds one policy",
                extra.span,
                "remove this second `policy` header, or move it to a file of its own",
            )
        if policy.items[0] is not headers[0]:
            diags.error(
                "PC104",
                "the `policy` header must come first",
                headers[0].span,
                "move the header to the top of the file",
            )
    seen_org_decl = False
    names_seen: dict[str, _Named] = {}
    for decl in policy.items:
        if isinstance(decl, ast.OrgTypes):
            if seen_org_decl:
                diags.error(
                    "PC202",
                    "org types are declared twice",
                    decl.span,
                    "list every org type in one `org types` declaration",
                )
            seen_org_decl = True
            for name in decl.names:
                if name.text in scope.org_types:
                    diags.error(
                        "PC202", f"org type `{name.text}` is listed twice", name.span, "remove the repeated name"
                    )
                scope.org_types.setdefault(name.text, name)
        elif isinstance(decl, (ast.Input, ast.Metric, ast.Value)):
            _define(scope, names_seen, decl, diags)
        elif isinstance(decl, ast.Scale):
            _unique(scope.scales, decl, "scale", diags)
        elif isinstance(decl, ast.Domain):
            _unique(scope.domains, decl, "domain", diags)
        elif isinstance(decl, ast.Cohort):
            _unique(scope.cohorts, decl, "cohort", diags)
        elif isinstance(decl, ast.Outcome):
            if scope.outcome is not None:
                diags.error(
                    "PC202", "the outcome is declared twice", decl.span, "a policy has one outcome; remove one of them"
                )
            else:
                scope.outcome = decl
        elif isinstance(decl, ast.Test):
            if any(t.name == decl.name for t in scope.tests):
                diags.error(
                    "PC202", f"test `{decl.name}` is declared twice", decl.name_span, "give each test its own name"
                )
            scope.tests.append(decl)
        if not is_variant and getattr(decl, "replace", False):
            diags.error(
                "PC204",
                "`replace` is only for a variant that extends a base policy",
                decl_span(decl),
                'add `extends "base.policy"` to the header, or remove `replace`',
            )
    if not seen_org_decl and headers:
        diags.error(
            "PC104",
            "the policy does not declare its org types",
            headers[0].span,
            "add a line such as `org types acute, ambulance`",
        )
    _check_cohorts(scope, diags)
    return scope


def _define(scope: Scope, seen: dict[str, _Named], decl: _Named, diags: Diagnostics) -> None:
    name = decl.name.text
    if name in seen:
        earlier = seen[name]
        what = "input" if isinstance(earlier, ast.Input) else "metric" if isinstance(earlier, ast.Metric) else "value"
        line = earlier.name.span.line if earlier.name.span else "?"
        diags.error(
            "PC202",
            f"`{name}` is already declared (as {what} on line {line})",
            decl.name.span,
            "rename one of them, or remove the duplicate",
        )
        return
    if name in BUILTIN_VALUES:
        diags.error("PC202", f"`{name}` is a column every table has", decl.name.span, "choose another name")
        return
    seen[name] = decl
    if isinstance(decl, ast.Input):
        scope.inputs[name] = decl
    elif isinstance(decl, ast.Metric):
        scope.metrics[name] = decl
    else:
        scope.values[name] = decl


_Unique = TypeVar("_Unique", ast.Scale, ast.Domain, ast.Cohort)


def _unique(table: dict[str, _Unique], decl: _Unique, kind: str, diags: Diagnostics) -> None:
    name = decl.name.text
    if name in table:
        diags.error(
            "PC202", f"{kind} `{name}` is declared twice", decl.name.span, "rename one of them, or remove the duplicate"
        )
        return
    table[name] = decl


def _check_cohorts(scope: Scope, diags: Diagnostics) -> None:
    for cohort in scope.cohorts.values():
        for member in cohort.members:
            if member.text not in scope.org_types:
                unknown_org_type(member, scope, diags)
            elif member.text in scope.cohort_of:
                diags.error(
                    "PC214",
                    f"org type `{member.text}` is already scored in cohort `{scope.cohort_of[member.text]}`",
                    member.span,
                    "an org type belongs to one cohort; remove it from one of them",
                )
            else:
                scope.cohort_of[member.text] = cohort.name.text


def unknown_org_type(name: ast.Name, scope: Scope, diags: Diagnostics) -> None:
    hint = did_you_mean(name.text, scope.org_types)
    declared = ", ".join(f"`{t}`" for t in scope.org_types) or "none"
    diags.error(
        "PC201", f"unknown org type `{name.text}`", name.span, hint or f"the org types of this policy are {declared}"
    )


# ---------------------------------------------------------------- dependencies


def walk(expr: ast.Expr | ast.Selector | None) -> Iterator[ast.Expr | ast.Selector]:
    """Every node of an expression, depth first (a `metric scores` argument is one node)."""
    if expr is None:
        return
    yield expr
    if isinstance(expr, ast.Binary):
        yield from walk(expr.left)
        yield from walk(expr.right)
    elif isinstance(expr, (ast.Unary, ast.Cast)):
        yield from walk(expr.operand)
    elif isinstance(expr, ast.Call):
        for arg in expr.args:
            yield from walk(arg.value if isinstance(arg, ast.NamedArg) else arg)
    elif isinstance(expr, ast.Table):
        for row in expr.rows:
            yield from walk(row.condition)
            yield from walk(row.result)


def value_exprs(value: ast.Value) -> Iterator[ast.Expr]:
    yield value.expr
    for adjust in value.adjusts:
        yield adjust.value
        yield adjust.condition


def depends_on(value: ast.Value, scope: Scope) -> list[tuple[str, ast.Name]]:
    """The derived values a value reads (its own name inside its adjustments is its value so far)."""
    out: list[tuple[str, ast.Name]] = []
    for n, expr in enumerate(value_exprs(value)):
        for node in walk(expr):
            if isinstance(node, ast.Ref) and node.name.text in scope.values:
                if n > 0 and node.name.text == value.name.text:
                    continue
                out.append((node.name.text, node.name))
    return out


def order_values(scope: Scope, diags: Diagnostics) -> None:
    """Put the derived values in evaluation order; report each cycle once."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []
    reported: set[frozenset[str]] = set()

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for dep, where in depends_on(scope.values[name], scope):
            if state.get(dep) == 1:
                cycle = stack[stack.index(dep) :] + [dep]
                key = frozenset(cycle)
                if key not in reported:
                    reported.add(key)
                    path = " -> ".join(f"`{c}`" for c in cycle)
                    help_text = (
                        "a value cannot use itself; to count periods use `run(...)`, for the "
                        "last period `previous(...)` of another value"
                        if len(cycle) == 2
                        else "break the cycle: one of these must not depend on the others"
                    )
                    diags.error("PC203", f"`{dep}` depends on itself: {path}", where.span, help_text)
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[name] = 2
        scope.order.append(name)

    for name in scope.values:
        if name not in state:
            visit(name)
