"""The outline of a policy: its header, scales, inputs, metrics grouped by domain and sub-domain, values and tests."""

from __future__ import annotations

from lsprotocol import types as lsp

from policyc.syntax import ast
from policyc.syntax.source import Source, Span

from .positions import span_range

Kind = lsp.SymbolKind


def _symbol(
    source: Source, name: str, kind: lsp.SymbolKind, span: Span | None, at: Span | None, detail: str | None = None
) -> lsp.DocumentSymbol | None:
    if span is None:
        return None
    return lsp.DocumentSymbol(
        name=name,
        kind=kind,
        range=span_range(source, span),
        selection_range=span_range(source, at or span),
        detail=detail,
        children=[],
    )


def document_symbols(policy: ast.Policy, source: Source) -> list[lsp.DocumentSymbol]:
    """The symbols of this file's own declarations (a variant's base has its own outline).

    A domain's symbol holds its sub-domains and its metrics, and its range covers them, as an
    editor's outline wants a symbol to hold its children.
    """
    own = [d for d in policy.items if d.span is not None and d.span.file == source.path]
    metrics: dict[tuple[str, str | None], list[ast.Metric]] = {}
    domains = {d.name.text for d in own if isinstance(d, ast.Domain)}
    ungrouped = []
    for decl in own:
        if isinstance(decl, ast.Metric):
            where = decl.domain
            if where is not None and where.domain.text in domains:
                sub = where.subdomain.text if where.subdomain is not None else None
                metrics.setdefault((where.domain.text, sub), []).append(decl)
            else:
                ungrouped.append(decl)
    out = []
    for decl in own:
        if isinstance(decl, ast.Metric):
            continue
        symbol = _domain(decl, source, metrics) if isinstance(decl, ast.Domain) else _declaration(decl, source)
        if symbol is not None:
            out.append(symbol)
    out.extend(s for s in (_declaration(m, source) for m in ungrouped) if s is not None)
    return out


def _group(
    source: Source,
    name: str,
    kind: lsp.SymbolKind,
    spans: tuple[Span, Span],
    detail: str | None,
    children: list[tuple[Span, lsp.DocumentSymbol | None]],
) -> lsp.DocumentSymbol:
    """A symbol over its own span (`spans`: the whole and the name) and its children's."""
    span, name_span = spans
    for child_span, _ in children:
        span = span.cover(child_span)
    return lsp.DocumentSymbol(
        name=name,
        kind=kind,
        range=span_range(source, span),
        selection_range=span_range(source, name_span),
        detail=detail,
        children=[c for _, c in children if c is not None],
    )


def _domain(
    decl: ast.Domain, source: Source, metrics: dict[tuple[str, str | None], list[ast.Metric]]
) -> lsp.DocumentSymbol | None:
    name = decl.name.text
    if decl.span is None or decl.name.span is None:
        return None
    children: list[tuple[Span, lsp.DocumentSymbol | None]] = []
    for sub in decl.subdomains:
        if sub.span is None:
            continue
        inside = [(m.span, _declaration(m, source)) for m in metrics.get((name, sub.text), []) if m.span]
        group = _group(source, sub.text, Kind.Namespace, (sub.span, sub.span), "sub-domain", inside)
        children.append((sub.span, group))
    children.extend((m.span, _declaration(m, source)) for m in metrics.get((name, None), []) if m.span)
    known = {s.text for s in decl.subdomains}
    for (domain, sub_name), listed in metrics.items():
        # A metric in a sub-domain the domain lacks (the check reports it) is still shown, under the domain.
        if domain == name and sub_name is not None and sub_name not in known:
            children.extend((m.span, _declaration(m, source)) for m in listed if m.span)
    return _group(source, name, Kind.Module, (decl.span, decl.name.span), decl.title, children)


def _declaration(decl: ast.Decl, source: Source) -> lsp.DocumentSymbol | None:
    if isinstance(decl, ast.Header):
        return _symbol(source, decl.name, Kind.File, decl.span, None, decl.version)
    if isinstance(decl, ast.OrgTypes):
        return _symbol(source, "org types", Kind.Enum, decl.span, None, ", ".join(n.text for n in decl.names))
    if isinstance(decl, ast.Test):
        return _symbol(source, decl.name, Kind.Method, decl.span, decl.name_span, "test")
    if isinstance(decl, ast.Outcome):
        return _symbol(source, f"outcome {decl.name.text}", Kind.Event, decl.span, decl.name.span)
    if isinstance(decl, ast.Scale):
        symbol = _symbol(source, decl.name.text, Kind.Enum, decl.span, decl.name.span, "scale")
        if symbol is not None:
            labels = [_symbol(source, i.key.text, Kind.EnumMember, i.span, i.key.span, i.label) for i in decl.items]
            symbol.children = [s for s in labels if s is not None]
        return symbol
    name = decl.name
    if isinstance(decl, ast.Metric):
        return _symbol(source, name.text, Kind.Field, decl.span, name.span, decl.title)
    if isinstance(decl, ast.Input):
        detail = ("judgement" if decl.judgement else "input") + (f": {decl.title}" if decl.title else "")
        return _symbol(source, name.text, Kind.Variable, decl.span, name.span, detail)
    if isinstance(decl, ast.Value):
        return _symbol(source, name.text, Kind.Function, decl.span, name.span, "value")
    if isinstance(decl, ast.Cohort):
        return _symbol(source, name.text, Kind.Class, decl.span, name.span, "cohort")
    return None  # a domain: `_domain` gives it with its metrics
