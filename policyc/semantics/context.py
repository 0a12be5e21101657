"""What the checker learns as it goes: each value's and expression's type, what is read and produced, its findings."""

from __future__ import annotations

from decimal import Decimal
from typing import Generic, TypeVar

from policyc.semantics.resolve import Scope
from policyc.semantics.types import Type, scale_type
from policyc.syntax import ast
from policyc.syntax.diagnostics import Diagnostics
from policyc.syntax.source import Span
from policyc.syntax.suggest import Names

_Node = TypeVar("_Node", bound=ast.Node)
_Fact = TypeVar("_Fact")


class ByNode(Generic[_Node, _Fact]):
    """Facts about syntax nodes, by identity: equal nodes in two places (`good`, `good`) are two entries.

    Each node is held with its fact, so no identity is reused while the facts are kept.
    """

    def __init__(self) -> None:
        self._facts: dict[int, tuple[_Node, _Fact]] = {}

    def __setitem__(self, node: _Node, fact: _Fact) -> None:
        self._facts[id(node)] = (node, fact)

    def __getitem__(self, node: _Node) -> _Fact:
        held = self._facts.get(id(node))
        if held is None or held[0] is not node:
            raise KeyError(f"the checker recorded nothing for {node!r}")
        return held[1]

    def __contains__(self, node: _Node) -> bool:
        held = self._facts.get(id(node))
        return held is not None and held[0] is node

    def __len__(self) -> int:
        return len(self._facts)


class Context:
    """The scope being checked and everything found in it so far."""

    def __init__(self, scope: Scope, diags: Diagnostics):
        self.scope = scope
        self.diags = diags
        self.types: dict[str, Type] = {}  # each named value's type, metric scores as `m.score`
        self.expr_types: ByNode[ast.Expr, Type] = ByNode()  # the type of every expression as it was last checked
        self.selections: ByNode[ast.Selector, tuple[ast.Metric, ...]] = ByNode()  # what `metric scores` stands for
        self.constants: ByNode[ast.Expr, Decimal] = ByNode()  # weights and quantiles, worked out
        self.used: set[str] = set()  # inputs, scales and domains that something reads
        self.produced: dict[str, set[str]] = {}  # scale -> labels some rule can give
        self.labels: dict[str, list[Type]] = {}  # label -> the types it belongs to
        self.malformed_scales: set[str] = set()  # reported once; later uses stay quiet
        self.org_type = Type("labels", labels=tuple(scope.org_types))
        self._names: tuple[int, Names] | None = None

    def names(self) -> Names:
        """Every name a rule can use (values and labels), indexed for "did you mean" while no label is added."""
        if self._names is None or self._names[0] != len(self.labels):
            self._names = (len(self.labels), Names([*self.scope.value_names(), *self.labels]))
        return self._names[1]

    def error(self, code: str, message: str, span: Span | None, help_text: str | None = None) -> None:
        self.diags.error(code, message, span, help_text)

    def warning(self, code: str, message: str, span: Span | None, help_text: str | None = None) -> None:
        self.diags.warning(code, message, span, help_text)

    def scale_type(self, name: str) -> Type:
        return scale_type(self.scope.scales[name])

    def mark_produced(self, t: Type, labels: list[str]) -> None:
        """Some rule can give these values of `t` (a scale's value no rule gives is reported)."""
        if t.kind == "scale" and t.scale is not None:
            self.produced.setdefault(t.scale, set()).update(labels)
            self.used.add(f"scale:{t.scale}")
