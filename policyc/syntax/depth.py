"""How deeply expressions nest, measured on the parse tree without recursion: one limit for every stage.

The stages after parsing (the tree builder, the checker, lowering, both back ends and the printer) walk an
expression recursively, so a policy deeper than they can go is refused here, at the expression that crosses the
limit, before any of them runs.
"""

from __future__ import annotations

import lark

from policyc.syntax.diagnostics import Diagnostics
from policyc.syntax.source import Source

# Levels of expression, the innermost name or number included: `a` is 1 deep, `a + b` 2, `a + b + c` 3.
# Every later stage handles this depth with room to spare under Python's default recursion limit of 1,000
# (the checker, the stage that recurses most per level, fails near 180 levels of nested decision tables).
MAX_DEPTH = 100

# The parse tree's rules that are expressions; a table's rows and a call's arguments hold expressions,
# but are no level of their own.
EXPRESSIONS = frozenset(
    {
        "or_",
        "and_",
        "not_",
        "compare",
        "cast",
        "arith",
        "neg",
        "call",
        "member",
        "ref",
        "number",
        "yes",
        "no",
        "missing",
        "table",
    }
)


def too_deep(tree: lark.Tree) -> lark.Tree | None:
    """The first expression, in the order of the text, that stands more than MAX_DEPTH levels deep."""
    stack: list[tuple[lark.Tree, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if node.data in EXPRESSIONS:
            depth += 1
            if depth > MAX_DEPTH:
                return node
        stack.extend((child, depth) for child in reversed(node.children) if isinstance(child, lark.Tree))
    return None


def check_depth(tree: lark.Tree, source: Source, diags: Diagnostics) -> bool:
    """Whether every expression is within the limit; a PC902 where each declaration first crosses it."""
    within = True
    for declaration in tree.children:
        node = too_deep(declaration) if isinstance(declaration, lark.Tree) else None
        if node is None:
            continue
        within = False
        diags.error(
            "PC902",
            f"this expression is nested more than {MAX_DEPTH} levels deep",
            source.span(node.meta.start_pos, node.meta.end_pos),
            "give part of it a name of its own (`part = ...`) and use the name here;"
            " in a chain such as `a + b + c` each operator is a level",
        )
    return within
