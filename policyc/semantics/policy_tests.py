"""The tests a policy holds: their rows, the names they give and expect, and whether each literal fits its type."""

from __future__ import annotations

from decimal import Decimal

from policyc.semantics.context import Context
from policyc.semantics.types import Type, number_key
from policyc.syntax import ast
from policyc.syntax.diagnostics import did_you_mean


def check_test(ctx: Context, test: ast.Test) -> None:
    rows: dict[str, ast.Given] = {}
    for given in test.givens:
        if given.row is not None:
            if given.row.text in rows:
                ctx.error(
                    "PC202", f"row `{given.row.text}` is given twice", given.row.span, "give each row its own name"
                )
            rows[given.row.text] = given
        elif len(test.givens) > 1:
            ctx.error(
                "PC318", "a test with several rows names each one", given.span, "write `given a: org_type ..., ...`"
            )
        keys = [a.key for a in given.items]
        if "org_type" not in keys and len(ctx.scope.org_types) != 1:
            ctx.error(
                "PC318",
                "this row does not say its org type",
                given.span,
                "add `org_type acute` (or another org type of the policy)",
            )
        for item in given.items:
            _check_assignment(ctx, item)
    for expect in test.expects:
        if expect.row is not None and expect.row.text not in rows:
            ctx.error(
                "PC201",
                f"unknown row `{expect.row.text}`",
                expect.row.span,
                did_you_mean(expect.row.text, rows) or "name a row of a `given` line",
            )
        elif expect.row is None and len(test.givens) > 1:
            ctx.error("PC318", "say which row this expectation is for", expect.span, "write `expect a: ...`")
        for item in expect.items:
            t = _check_assignment(ctx, item)
            if item.tolerance is not None and t is not None and not t.is_error and t.kind != "number":
                ctx.error("PC318", "a tolerance is for numbers only", item.tolerance.span, "remove `within ...`")


def _check_assignment(ctx: Context, item: ast.Assignment) -> Type | None:
    """The type of the value a test row names, after checking that its literal fits; None for `org` and `period`."""
    key = item.key
    lit = item.value
    if key == "org":
        return None
    if key == "period":
        if lit.kind != "period":
            ctx.error(
                "PC301",
                "a period is a year and a quarter",
                lit.span,
                "write it like 2025Q3 (financial year 2025/26, quarter 3)",
            )
        return None
    if key == "org_type":
        expected = ctx.org_type
    elif key in ctx.types and (item.member is None or key.endswith(".score")):
        expected = ctx.types[key]
    else:
        pool = [*ctx.types, "org", "org_type", "period"]
        span = item.name.span.cover(item.member.span if item.member else None) if item.name.span else None
        ctx.error(
            "PC201",
            f"unknown name `{key}`",
            span,
            did_you_mean(key, pool) or "use an input, metric or value of the policy",
        )
        return None
    _literal_fits(ctx, lit, expected)
    return expected


def _literal_fits(ctx: Context, lit: ast.Literal, t: Type) -> None:
    if t.is_error or lit.kind == "missing":
        return
    if lit.kind == "number" and t.kind == "scale" and t.numbered:
        if number_key(Decimal(lit.text)) in t.labels:
            return
        ctx.error(
            "PC303",
            f"{lit.text} is not a value of scale `{t.scale}`",
            lit.span,
            "use one of " + ", ".join(t.labels),
        )
        return
    if lit.kind == "label" and t.kind in ("labels", "scale"):
        if lit.text not in t.labels:
            ctx.error(
                "PC303",
                f"`{lit.text}` is not {t}",
                lit.span,
                did_you_mean(lit.text, t.labels) or "use one of " + ", ".join(t.labels),
            )
        return
    fits = {"number": "number", "bool": "bool"}.get(lit.kind) == t.kind
    if not fits:
        example = {"bool": "`yes` or `no`", "number": "a number"}.get(t.kind, "a label")
        ctx.error("PC301", f"expected {t}, not `{lit.text}`", lit.span, f"write {example}")
