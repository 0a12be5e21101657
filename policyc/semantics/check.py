"""The checker: types, units, scales, band tables, scoring models and tests, every error rather than the first.

Its parts live beside it: `declarations`, `scoring` (metrics), `expressions` (and derived values), `builtins`
(the functions) and `policy_tests`; `context` holds what they find. `check` runs them in order and gives
`Checked`, which lowering reads.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from policyc.semantics import declarations
from policyc.semantics.context import ByNode, Context
from policyc.semantics.expressions import Expressions
from policyc.semantics.policy_tests import check_test
from policyc.semantics.resolve import Scope
from policyc.semantics.scoring import check_metric
from policyc.semantics.types import ERROR, Type
from policyc.syntax import ast
from policyc.syntax.diagnostics import Diagnostics


@attrs.frozen
class Checked:
    """A policy that passed the checks, with what the checker worked out about it.

    `types` holds the type of every named value (metric scores as `m.score`); the type of each
    expression, the metrics each `metric scores` stands for, and the value of each constant
    (weights, quantiles) are asked of `type_of`, `selected` and `constant`.
    """

    policy: ast.Policy
    scope: Scope
    types: dict[str, Type]
    expr_types: ByNode[ast.Expr, Type] = attrs.field(repr=False)
    selections: ByNode[ast.Selector, tuple[ast.Metric, ...]] = attrs.field(repr=False)
    constants: ByNode[ast.Expr, Decimal] = attrs.field(repr=False)

    @property
    def header(self) -> ast.Header:
        """The policy's header, which every checked policy has."""
        header = self.scope.header
        if header is None:
            raise ValueError("a checked policy has a header")
        return header

    def type_of(self, expr: ast.Expr) -> Type:
        """The type of an expression of the policy, where it stands."""
        return self.expr_types[expr]

    def selected(self, selector: ast.Selector) -> tuple[ast.Metric, ...]:
        """The scored metrics a `metric scores` argument stands for, in declaration order."""
        return self.selections[selector]

    def constant(self, expr: ast.Expr) -> Decimal:
        """The value of a constant the policy fixes: a metric's weight, or the `p` of `quantile`."""
        return self.constants[expr]


def check(policy: ast.Policy, scope: Scope, diags: Diagnostics) -> Checked:
    ctx = Context(scope, diags)
    exprs = Expressions(ctx)
    declarations.check_scales(ctx)
    declarations.check_domains(ctx)
    for decl in scope.inputs.values():
        ctx.types[decl.name.text] = declarations.declared_type(ctx, decl.type)
        declarations.check_applies(ctx, decl.applies)
        declarations.check_default(ctx, decl, ctx.types[decl.name.text])
    for metric in scope.metrics.values():
        ctx.types[metric.name.text] = declarations.declared_type(ctx, metric.type)
        declarations.check_default(ctx, metric, ctx.types[metric.name.text])
    declarations.index_labels(ctx)
    for metric in scope.metrics.values():
        check_metric(ctx, exprs, metric)
    for name in scope.order:
        exprs.check_value(scope.values[name])
        declarations.check_default(ctx, scope.values[name], ctx.types.get(name, ERROR))
    for test in scope.tests:
        check_test(ctx, test)
    declarations.check_outcome(ctx)
    declarations.report_unused(ctx)
    return Checked(policy, scope, ctx.types, ctx.expr_types, ctx.selections, ctx.constants)
