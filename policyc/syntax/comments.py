"""Comments, which the grammar ignores, given back to the syntax tree: each to the line unit it belongs to."""

from __future__ import annotations

import math
from typing import Any

import attrs
from lark import Token

from policyc.syntax import ast
from policyc.syntax.source import Span


@attrs.frozen
class _Unit:
    """A line unit with a place in the source, and how many line units hold it."""

    node: ast.LineUnit
    span: Span
    depth: int


def _walk_units(node: object, depth: int, out: list[_Unit]) -> None:
    if isinstance(node, (tuple, list)):
        for child in node:
            _walk_units(child, depth, out)
        return
    cls = type(node)
    if not attrs.has(cls):
        return
    if isinstance(node, ast.LineUnit) and node.span is not None:
        out.append(_Unit(node, node.span, depth))
        depth += 1
    for field in attrs.fields(cls):
        if field.name not in ("span", "comments", "trailing"):
            _walk_units(getattr(node, field.name), depth, out)


def _rebuild(node: Any, leading: dict[int, list[str]], trailing: dict[int, str]) -> Any:
    """The tree with the comments set on the nodes whose ids they are filed under; untouched parts are shared."""
    if isinstance(node, tuple):
        return tuple(_rebuild(child, leading, trailing) for child in node)
    if not attrs.has(type(node)):
        return node
    changes = {}
    for field in attrs.fields(type(node)):
        if field.name in ("span", "comments", "trailing") or not field.init:
            continue
        value = getattr(node, field.name)
        new = _rebuild(value, leading, trailing)
        if new is not value:
            changes[field.name] = new
    key = id(node)
    if key in leading:
        changes["comments"] = tuple(leading[key])
    if key in trailing:
        changes["trailing"] = trailing[key]
    return attrs.evolve(node, **changes) if changes else node


def attach_comments(policy: ast.Policy, comments: list[Token]) -> ast.Policy:
    """Give each comment to the line unit that ends on its line before it (a trailing comment), or else to the
    next line unit inside the innermost unit that holds it, or else to that unit itself.

    A comment inside a unit's lines (`x =`, a comment, then the expression) stays with that unit, printed
    before it when nothing after it inside the unit has lines of its own, rather than passing to a unit that
    merely comes next, such as the following declaration.
    """
    if not comments:
        return policy
    units: list[_Unit] = []
    _walk_units(policy, 0, units)
    leading: dict[int, list[str]] = {}
    trailing: dict[int, str] = {}
    end_comments: list[str] = []
    for comment in comments:
        text = str(comment).rstrip()
        # The lexer gives every comment its place in the source.
        assert comment.start_pos is not None and comment.end_pos is not None
        enders = [u for u in units if u.span.end_line == comment.line and u.span.end <= comment.start_pos]
        if enders:
            unit = max(enders, key=lambda u: (u.span.end, u.depth)).node
            if id(unit) not in trailing:
                trailing[id(unit)] = text
                continue
        # The innermost unit whose text holds the comment keeps it: the next unit inside it, or else the unit itself.
        holders = [u for u in units if u.span.start < comment.start_pos < u.span.end]
        holder = max(holders, key=lambda u: u.depth, default=None)
        end = holder.span.end if holder is not None else math.inf
        after = [u for u in units if comment.end_pos <= u.span.start < end]
        if after:
            unit = min(after, key=lambda u: (u.span.start, u.depth)).node
        elif holder is not None:
            unit = holder.node
        else:
            end_comments.append(text)
            continue
        leading.setdefault(id(unit), []).append(text)
    rebuilt: ast.Policy = _rebuild(policy, leading, trailing)
    return attrs.evolve(rebuilt, end_comments=tuple(end_comments))
