"""Constant numbers in rules: weights and quantiles, worked out from numbers and arithmetic alone."""

from __future__ import annotations

from decimal import Decimal

from policyc.syntax import ast


def constant(expr: ast.Expr) -> Decimal | None:
    """The value of an expression of numbers and arithmetic alone, or None."""
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-":
        inner = constant(expr.operand)
        return None if inner is None else -inner
    if isinstance(expr, ast.Binary) and expr.op in ast.ARITHMETIC:
        left, right = constant(expr.left), constant(expr.right)
        if left is None or right is None:
            return None
        if expr.op == "/":
            return None if right == 0 else left / right
        return {"+": left + right, "-": left - right, "*": left * right}[expr.op]
    return None
