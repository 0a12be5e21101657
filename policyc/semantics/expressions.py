"""Expressions and derived values: the type of every expression, recorded for lowering, and the errors in them."""

from __future__ import annotations

from policyc.semantics import builtins
from policyc.semantics.context import Context
from policyc.semantics.types import BOOL, ERROR, Type, join, number, number_key, same, units_agree
from policyc.syntax import ast
from policyc.syntax.diagnostics import did_you_mean


class Expressions:
    """Works out the type of expressions, each in the light of the type its place expects, if any."""

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.scope = ctx.scope

    def check_value(self, value: ast.Value) -> None:
        """A derived value's rule and adjustments; its type is its rule's."""
        ctx = self.ctx
        name = value.name.text
        t = self.infer(value.expr)
        ctx.types[name] = t
        for adjust in value.adjusts:
            self.expect_bool(adjust.condition, "the condition of an adjustment")
            if adjust.kind != "becomes" and not t.is_error and t.kind != "scale":
                ctx.error(
                    "PC301",
                    f"`{adjust.kind}` needs a scale, and `{name}` is {t}",
                    adjust.span,
                    f"give `{name}` a scale (e.g. `... as segment`), or use `becomes`",
                )
                self.infer(adjust.value)
                continue
            got = self.infer(adjust.value, t)
            if not same(t, got):
                ctx.error(
                    "PC301",
                    f"`{name}` is {t}, but this adjustment gives {got}",
                    adjust.value.span,
                    f"give a value of the same type as `{name}`",
                )
            if isinstance(adjust.condition, ast.Bool) and not adjust.condition.value:
                ctx.warning(
                    "PC351", "this adjustment never applies", adjust.span, "its condition is always `no`; remove it"
                )

    def expect_bool(self, expr: ast.Expr, what: str) -> None:
        t = self.infer(expr)
        if not t.is_error and t.kind != "bool":
            self.ctx.error(
                "PC301",
                f"{what} must be yes/no, not {t}",
                expr.span,
                "compare it with something, e.g. `x is y` or `x >= 3`",
            )

    def need_numeric(self, t: Type, expr: ast.Expr, what: str) -> bool:
        if t.is_error or t.kind == "number":
            return True
        help_text = (
            "compare scale values with `better than`, `worse than` or `is`"
            if t.kind == "scale"
            else "use a number here"
        )
        self.ctx.error("PC301", f"{what} needs numbers, and this is {t}", expr.span, help_text)
        return False

    def infer(self, expr: ast.Expr, expected: Type | None = None, produce: bool = True) -> Type:
        """The type of `expr` where a value of type `expected` is wanted; recorded, so the last check stands.

        With `produce` off, the labels it gives do not count as given (it is only being looked at).
        """
        t = self._infer(expr, expected, produce)
        self.ctx.expr_types[expr] = t
        return t

    def _infer(self, expr: ast.Expr, expected: Type | None, produce: bool) -> Type:
        match expr:
            case ast.Number():
                return self.infer_number(expr, expected, produce)
            case ast.Bool():
                return BOOL
            case ast.Missing():
                return expected or ERROR
            case ast.Ref():
                return self.infer_ref(expr, expected, produce)
            case ast.Member():
                return self.infer_member(expr)
            case ast.Unary(op="not"):
                self.expect_bool(expr.operand, "the operand of `not`")
                return BOOL
            case ast.Unary():
                t = self.infer(expr.operand)
                self.need_numeric(t, expr.operand, "`-`")
                return t if t.kind == "number" else ERROR
            case ast.Binary():
                return self.infer_binary(expr)
            case ast.Cast():
                return self.infer_cast(expr)
            case ast.Table():
                return self.infer_table(expr, expected)
            case ast.Call():
                return builtins.check_call(self, expr, expected)

    def infer_number(self, expr: ast.Number, expected: Type | None, produce: bool) -> Type:
        if expected is None or expected.kind != "scale" or not expected.numbered:
            return number()
        if number_key(expr.value) in expected.labels:
            if produce:
                self.ctx.mark_produced(expected, [number_key(expr.value)])
            return expected
        self.ctx.error(
            "PC303",
            f"{expr.text} is not a value of scale `{expected.scale}`",
            expr.span,
            f"scale `{expected.scale}` has " + ", ".join(expected.labels),
        )
        return ERROR

    def infer_ref(self, expr: ast.Ref, expected: Type | None, produce: bool) -> Type:
        ctx, scope = self.ctx, self.scope
        name = expr.name.text
        if name in scope.values:
            return ctx.types.get(name, ERROR)
        if name in scope.inputs or name in scope.metrics:
            ctx.used.add(f"input:{name}")
            return ctx.types.get(name, ERROR)
        if name == "org_type":
            return ctx.org_type
        if name in ("org", "period"):
            ctx.error(
                "PC301",
                f"`{name}` cannot be used in a rule",
                expr.span,
                "rules see one organisation and period at a time; use `previous(...)` or `run(...)` to look back",
            )
            return ERROR
        if expected is not None and expected.kind in ("labels", "scale") and not expected.numbered:
            if name in expected.labels:
                if produce:
                    ctx.mark_produced(expected, [name])
                return expected
            if name in ctx.labels:
                ctx.error(
                    "PC303",
                    f"`{name}` is not {expected}",
                    expr.span,
                    did_you_mean(name, expected.labels) or "use one of: " + ", ".join(expected.labels),
                )
                return ERROR
            # Neither a label nor a value: where a label of the scale is wanted, a label is what was meant,
            # unless the name is closer to a value of the policy than to any label.
            label = did_you_mean(name, expected.labels)
            if label is not None or did_you_mean(name, scope.value_names()) is None:
                where = f"a label of `{expected.scale}`" if expected.scale else "one of " + ", ".join(expected.labels)
                ctx.error(
                    "PC303",
                    f"`{name}` is not {where}",
                    expr.span,
                    label or f"its labels are {', '.join(expected.labels)}",
                )
                return ERROR
        owners = ctx.labels.get(name, [])
        if len(owners) == 1:
            if produce:
                ctx.mark_produced(owners[0], [name])
            return owners[0]
        if len(owners) > 1:
            scales = ", ".join(str(t) for t in owners)
            ctx.error(
                "PC211",
                f"`{name}` is a label of more than one scale ({scales})",
                expr.span,
                "compare it with a value of the scale you mean, so the scale is clear",
            )
            return ERROR
        hint = did_you_mean(name, ctx.names())
        ctx.error(
            "PC201",
            f"unknown name `{name}`",
            expr.span,
            hint or "declare it as an input, metric or value, or as a label of a scale",
        )
        return ERROR

    def infer_member(self, expr: ast.Member) -> Type:
        ctx, scope = self.ctx, self.scope
        target = expr.target.text
        ctx.used.add(f"input:{target}")
        if target not in scope.metrics:
            what = "is not a metric" if scope.named(target) else "is not declared"
            ctx.error(
                "PC201",
                f"`{target}` {what}; only metrics have a `.score`",
                expr.target.span,
                did_you_mean(target, scope.metrics) or "use the name of a metric",
            )
            return ERROR
        if expr.member.text != "score":
            ctx.error(
                "PC201",
                f"a metric has no `.{expr.member.text}`",
                expr.member.span,
                f"write `{target}.score` for its score, or `{target}` for its value",
            )
            return ERROR
        if scope.metrics[target].scoring is None:
            ctx.error(
                "PC312",
                f"metric `{target}` is not scored",
                expr.span,
                "give it a scoring model (`ranked`, `bands`, `scores` or `fails ...`)",
            )
            return ERROR
        return ctx.types.get(f"{target}.score", ERROR)

    def infer_binary(self, expr: ast.Binary) -> Type:
        op = expr.op
        if op in ast.LOGIC:
            self.expect_bool(expr.left, f"each side of `{op}`")
            self.expect_bool(expr.right, f"each side of `{op}`")
            return BOOL
        if op in ("is", "is not", "better than", "worse than"):
            return self.infer_equality(expr)
        left, right = self.infer(expr.left), self.infer(expr.right)
        ok = self.need_numeric(left, expr.left, f"`{op}`") & self.need_numeric(right, expr.right, f"`{op}`")
        if not ok or left.is_error or right.is_error:
            return BOOL if op in ast.COMPARISON else ERROR
        if op in ("+", "-", "<", "<=", ">", ">="):
            if not units_agree(left, right):
                self.ctx.error(
                    "PC302", f"`{op}` between {left.unit} and {right.unit}", expr.span, "both sides need the same unit"
                )
            return BOOL if op in ast.COMPARISON else number(left.unit or right.unit)
        if left.unit and right.unit:
            return number(None)
        return number(left.unit or right.unit)

    def infer_equality(self, expr: ast.Binary) -> Type:
        op = expr.op
        first, second = expr.left, expr.right
        # A bare label takes its scale from the other side, so that side is looked at first.
        if self.scope.is_label(first) and not self.scope.is_label(second):
            first, second = second, first
        t1 = self.infer(first, produce=False)
        t2 = self.infer(second, t1 if not t1.is_error else None, produce=False)
        if t1.is_error or t2.is_error:
            return BOOL
        if op in ("better than", "worse than"):
            if t1.kind != "scale" or not same(t1, t2):
                self.ctx.error(
                    "PC301",
                    f"`{op}` compares two values of one scale, not {t1} and {t2}",
                    expr.span,
                    "use `<` or `>` for numbers" if t1.kind == "number" else "compare values of one scale",
                )
            return BOOL
        if t1.kind == "number" and t2.kind == "number":
            if not units_agree(t1, t2):
                self.ctx.error(
                    "PC302", f"`{op}` between {t1.unit} and {t2.unit}", expr.span, "both sides need the same unit"
                )
            return BOOL
        if not (same(t1, t2) or same(t2, t1)):
            self.ctx.error("PC301", f"`{op}` between {t1} and {t2}", expr.span, "compare values of the same kind")
        return BOOL

    def infer_cast(self, expr: ast.Cast) -> Type:
        ctx = self.ctx
        t = self.infer(expr.operand)
        self.need_numeric(t, expr.operand, "`as`")
        name = expr.scale.text
        if name not in self.scope.scales:
            ctx.error(
                "PC201",
                f"unknown scale `{name}`",
                expr.scale.span,
                did_you_mean(name, self.scope.scales) or "declare it with `scale`",
            )
            return ERROR
        ctx.used.add(f"scale:{name}")
        if name in ctx.malformed_scales:
            return ERROR
        scale = ctx.scale_type(name)
        if not scale.numbered:
            ctx.error(
                "PC315",
                f"scale `{name}` has labels; only a numbered scale takes a number",
                expr.span,
                "use a decision table (`when ...: label`) to turn a number into a label",
            )
            return ERROR
        ctx.produced.setdefault(name, set()).update(scale.labels)
        return scale

    def infer_alternatives(self, exprs: list[ast.Expr], expected: Type | None, what: str) -> Type:
        """The common type of several results (table rows, worst/best arguments)."""
        if expected is None:
            expected = self.first_type(exprs)
        result = expected
        for e in exprs:
            t = self.infer(e, expected)
            if result is None or result.is_error:
                result = t
            elif not t.is_error and not same(result, t) and not same(t, result):
                self.ctx.error(
                    "PC317",
                    f"{what} give different kinds of value: {result} and {t}",
                    e.span,
                    "every result must be of the same type",
                )
                return ERROR
            else:
                result = join(result, t)
        return result or ERROR

    def first_type(self, exprs: list[ast.Expr]) -> Type | None:
        """The type the first result that says its type gives, so a later odd one is the one blamed."""
        labels = self.ctx.labels
        for e in exprs:
            if isinstance(e, ast.Ref) and self.scope.is_label(e):
                owners = labels.get(e.name.text, [])
                if len(owners) == 1:
                    return owners[0]
                continue
            t = self.infer(e, produce=False)
            if not t.is_error:
                return t
        # Only labels that belong to several types: the one type they all belong to, if there is one.
        common: list[Type] | None = None
        for e in exprs:
            if isinstance(e, ast.Ref) and self.scope.is_label(e):
                owners = labels.get(e.name.text, [])
                common = owners if common is None else [t for t in common if t in owners]
        return common[0] if common and len(common) == 1 else None

    def infer_table(self, table: ast.Table, expected: Type | None) -> Type:
        seen: list[ast.Expr] = []
        for row in table.rows:
            if row.condition is None:
                continue
            self.expect_bool(row.condition, "the condition of a `when` row")
            if any(row.condition == earlier for earlier in seen) or any(
                isinstance(c, ast.Bool) and c.value for c in seen
            ):
                self.ctx.warning(
                    "PC351",
                    "this row can never be chosen",
                    row.span,
                    "an earlier row already catches every case it would; remove or reorder it",
                )
            seen.append(row.condition)
        return self.infer_alternatives([row.result for row in table.rows], expected, "the rows of this table")
