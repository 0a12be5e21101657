"""What may be typed at a position: read from the tokens of the declaration before the cursor and the index.

The text is the editor's current text, so completion needs no fresh check; the names come from the
latest index (the last text that parsed), which is what an author has declared so far.
"""

from __future__ import annotations

import lark
from lsprotocol import types as lsp

from policyc.semantics.builtins import BUILTINS
from policyc.semantics.resolve import BUILTIN_VALUES, UNITS
from policyc.semantics.types import TIERS
from policyc.syntax import ast
from policyc.syntax.parse import DECLARATION_START

from .hover import function_text, scale_items, signature
from .index import Index
from .tokens import is_keyword, lex

Kind = lsp.CompletionItemKind
DECLARATIONS = ("policy", "org types", "cohort", "outcome", "scale", "domain", "input", "judgement", "metric", "test")
CLAUSES = (
    "source",
    "assume",
    "provisional",
    "version",
    "extends",
    "for",
    "in domain",
    "weight",
    "ranked",
    "standard",
    "floor",
    "tiers",
    "bands",
    "scores",
    "fails more than",
    "higher is better",
    "lower is better",
    "no better than",
    "no worse than",
    "becomes",
    "default",
    "replace",
)
TEST_CLAUSES = ("given", "expect", "within")
EXPRESSION_WORDS = ("and", "or", "not", "is", "is not", "better than", "worse than", "as", "when", "otherwise")
CONSTANTS = ("yes", "no", "missing", "metric scores", "metric scores in domain")
# Token types after which a scale's labels are what comes next, when the name before them has a scale.
COMPARISONS = (("IS",), ("IS", "NOT"), ("BETTER", "THAN"), ("WORSE", "THAN"))
ADJUSTMENTS = (("NO", "BETTER", "THAN"), ("NO", "WORSE", "THAN"), ("BECOMES",))


def _item(label: str, kind: lsp.CompletionItemKind, detail: str | None = None, doc: str | None = None, rank: int = 5):
    return lsp.CompletionItem(
        label=label,
        kind=kind,
        detail=detail,
        documentation=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=doc) if doc else None,
        sort_text=f"{rank}{label}",
    )


def _declaration_start(text: str, offset: int) -> int:
    line_start = text.rfind("\n", 0, offset) + 1
    while line_start > 0 and not DECLARATION_START.match(text, line_start):
        line_start = text.rfind("\n", 0, line_start - 1) + 1
    return line_start


def _ends(types: list[str], tail: tuple[str, ...]) -> bool:
    return tuple(types[-len(tail) :]) == tail if len(types) >= len(tail) else False


class _Context:
    def __init__(self, tokens: list[lark.Token], index: Index | None) -> None:
        self.tokens = tokens
        self.types = [t.type for t in tokens]
        self.index = index

    def current_value(self) -> str | None:
        """The derived value being written: the declaration opens with `[replace] name =`."""
        head = [t for t in self.tokens if t.type != "REPLACE"][:2]
        if len(head) == 2 and head[0].type == "NAME" and head[1].type == "EQUAL":
            return str(head[0])
        return None

    def labels_of(self, name: str) -> list[lsp.CompletionItem]:
        t = self.index.type_of(name) if self.index is not None else None
        if t is None:
            return []
        if t.kind == "bool":
            return [_item("yes", Kind.Constant, rank=0), _item("no", Kind.Constant, rank=0)]
        if t.kind not in ("scale", "labels"):
            return []
        detail = f"of scale {t.scale}" if t.scale else f"of {name}"
        return [_item(label, Kind.EnumMember, detail, rank=0) for label in t.labels]

    def org_type_list(self) -> bool:
        """Whether the cursor is in a list of org types (`for a, b`, `org types a, b`, `cohort c: a, b`)."""
        n = len(self.types)
        while n > 0 and self.types[n - 1] in ("NAME", "COMMA"):
            n -= 1
        before = self.types[:n]
        return _ends(before, ("FOR",)) or _ends(before, ("ORG", "TYPES")) or _ends(before, ("COHORT", "NAME", "COLON"))

    def in_test(self) -> bool:
        return bool(self.types) and self.types[0] == "TEST"

    def tiers(self) -> list[lsp.CompletionItem] | None:
        """In a scale's `tiers`: the tiers not yet given after `tiers` or `;`, the values not yet placed after a
        tier's `:` or `,`; None elsewhere."""
        body = [t for t in self.tokens if t.type != "REPLACE"]
        if not body or body[0].type != "SCALE" or "TIERS" not in self.types:
            return None
        at = max(n for n, t in enumerate(body) if t.type == "TIERS")
        clause = body[at + 1 :]
        if any(t.type in ("SOURCE", "ASSUME", "PROVISIONAL") for t in clause):
            return None
        given = {str(t) for t, after in zip(clause, clause[1:], strict=False) if after.type == "COLON"}
        last = clause[-1].type if clause else "TIERS"
        if last in ("TIERS", "SEMICOLON"):
            return [_item(tier, Kind.EnumMember, "tier", rank=0) for tier in TIERS if tier not in given]
        if last not in ("COLON", "COMMA"):
            return None
        placed = {str(t) for t in clause if t.type in ("NAME", "NUMBER")} - given
        colon = next((n for n, t in enumerate(body) if t.type == "COLON"), at)
        items = body[colon + 1 : at]
        out = []
        for n, token in enumerate(items):
            if token.type in ("NAME", "NUMBER") and str(token) not in placed:
                words = items[n + 1] if n + 1 < len(items) and items[n + 1].type == "STRING" else None
                detail = str(words)[1:-1] if words is not None else f"value of scale {body[1]}"
                out.append(_item(str(token), Kind.EnumMember, detail, rank=0))
        return out


def complete(text: str, offset: int, index: Index | None) -> list[lsp.CompletionItem]:
    start = _declaration_start(text, offset)
    tokens = lex(text[:offset], start)
    if tokens and tokens[-1].end_pos == offset:
        last = tokens[-1]
        if last.type == "COMMENT" or (last.type == "STRING" and (len(last) < 2 or not str(last).endswith('"'))):
            return []
        if last.type == "NAME" or is_keyword(last):
            tokens = tokens[:-1]  # the word being typed: the editor filters by it
    context = _Context(tokens, index)
    return _by_context(context, text, offset)


def _by_context(c: _Context, text: str, offset: int) -> list[lsp.CompletionItem]:
    types, index = c.types, c.index
    scope = index.scope if index is not None else None
    if _ends(types, ("NAME", "DOT")):
        return [_item("score", Kind.Field, "the metric's score", rank=0)]
    tiers = c.tiers()
    if tiers is not None:
        return tiers
    if scope is not None and _ends(types, ("IN", "DOMAIN", "NAME", "SLASH")):
        domain = scope.domains.get(str(c.tokens[-2]))
        if domain is None:
            return []
        return [_item(s.text, Kind.Module, f"sub-domain of {domain.name.text}", rank=0) for s in domain.subdomains]
    if scope is not None and _ends(types, ("IN", "DOMAIN")):
        return [_item(name, Kind.Module, d.title, rank=0) for name, d in scope.domains.items()]
    if scope is not None and _ends(types, ("AS",)):
        return [_item(name, Kind.Enum, scale_items(s), rank=0) for name, s in scope.scales.items()]
    after_org_type = c.in_test() and _ends(types, ("NAME",)) and str(c.tokens[-1]) == "org_type"
    if scope is not None and (c.org_type_list() or after_org_type):
        return [_item(name, Kind.EnumMember, "org type", rank=0) for name in scope.org_types]
    if _type_position(types):
        units = [_item(u, Kind.Unit, "unit", rank=0) for u in UNITS]
        scales = [_item(n, Kind.Enum, scale_items(s), rank=1) for n, s in (scope.scales.items() if scope else [])]
        return [*units, *scales, _item("yes/no", Kind.Keyword, rank=1), _item("one of", Kind.Keyword, rank=2)]
    for tail in COMPARISONS:
        if _ends(types, ("NAME", *tail)):
            found = c.labels_of(str(c.tokens[-len(tail) - 1]))
            if found:
                return found + _expressions(c)
    value = c.current_value()
    if value is not None and (
        any(_ends(types, tail) for tail in ADJUSTMENTS)
        or (_ends(types, ("COLON",)) and ("WHEN" in types or "OTHERWISE" in types))
    ):
        return c.labels_of(value) + _expressions(c)
    if c.in_test() and len(types) >= 2 and types[-1] == "NAME" and types[-2] in ("GIVEN", "EXPECT", "COMMA", "COLON"):
        return c.labels_of(str(c.tokens[-1]))
    line_start = text.rfind("\n", 0, offset) + 1
    if not text[line_start:offset].strip():
        return _line_start(c, at_margin=offset == line_start)
    return _expressions(c)


def _type_position(types: list[str]) -> bool:
    body = [t for t in types if t != "REPLACE"]
    if body[:1] == ["METRIC"]:
        return body[1:] in (["NAME"], ["NAME", "STRING"])
    if body[:1] in (["INPUT"], ["JUDGEMENT"]):
        return body[1:] in (["NAME", "COLON"], ["NAME", "STRING", "COLON"])
    return False


def _line_start(c: _Context, at_margin: bool) -> list[lsp.CompletionItem]:
    declarations = [_item(k, Kind.Keyword, "declaration", rank=1 if at_margin else 3) for k in DECLARATIONS]
    clauses = [_item(k, Kind.Keyword, "clause", rank=3 if at_margin else 1) for k in CLAUSES]
    tests = [_item(k, Kind.Keyword, "test", rank=0) for k in TEST_CLAUSES] if c.in_test() else []
    return [*tests, *declarations, *clauses, *_expressions(c, rank=4)]


def _expressions(c: _Context, rank: int = 2) -> list[lsp.CompletionItem]:
    out = []
    index = c.index
    if index is not None:
        scope = index.scope
        for name, decl in [*scope.inputs.items(), *scope.metrics.items(), *scope.values.items()]:
            t = index.type_of(name)
            title = decl.title if isinstance(decl, (ast.Input, ast.Metric)) else None
            kind = Kind.Field if isinstance(decl, ast.Metric) else Kind.Variable
            detail = " - ".join(str(x) for x in (t, title) if x is not None)
            out.append(_item(name, kind, detail or None, rank=rank))
        out.extend(_item(name, Kind.Variable, "a column every table has", rank=rank + 1) for name in BUILTIN_VALUES)
    for builtin in BUILTINS.values():
        out.append(_item(builtin.name, Kind.Function, signature(builtin), function_text(builtin), rank=rank + 1))
    out.extend(_item(word, Kind.Keyword, rank=rank + 2) for word in (*EXPRESSION_WORDS, *CONSTANTS))
    return out
