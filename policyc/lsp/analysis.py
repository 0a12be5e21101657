"""A document's text checked as `policyc check` checks a file; its diagnostics in the editor's terms; its index."""

from __future__ import annotations

import re
import traceback
from pathlib import Path

from lsprotocol import types as lsp

from policyc.semantics.check import check
from policyc.semantics.driver import Result, check_source
from policyc.semantics.resolve import build_scope, merge, order_values
from policyc.syntax import ast
from policyc.syntax.diagnostics import Diagnostic, Diagnostics, Severity
from policyc.syntax.read import parse_source
from policyc.syntax.source import Source, Span

from .index import Index, build_index
from .positions import position, span_range
from .tokens import lex

UNUSED = ("PC250", "PC251")
FIX = re.compile(r"did you mean `([^`]+)`\?")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_text(path: str, text: str) -> Result:
    """The diagnostics of a document's text; a bug of ours becomes a PC901 diagnostic, never a crash."""
    source = Source(path, text)
    try:
        return check_source(source)
    except Exception as error:
        where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
        at = f" (at {Path(where.filename).name}:{where.lineno})" if where else ""
        diags = Diagnostics()
        diags.error(
            "PC901",
            f"internal error while checking: {type(error).__name__}: {error}{at}",
            source.span(0, 0),
            "this is a bug in policyc; please report it with the file",
        )
        return Result(path, {path: source}, diags)


def uri_of(file: str) -> str:
    return Path(file).resolve().as_uri() if not file.startswith(("untitled:", "file:")) else file


def fix_of(diag: Diagnostic, source: Source) -> str | None:
    """The word a "did you mean" help line offers, when the diagnostic underlines one word to replace."""
    if diag.help is None or diag.span is None or diag.span.file != source.path:
        return None
    found = FIX.search(diag.help)
    underlined = source.text[diag.span.start : diag.span.end]
    return found.group(1) if found and WORD.fullmatch(underlined) else None


def to_lsp(result: Result, source: Source, uri: str) -> list[lsp.Diagnostic]:
    """Every diagnostic on the document at `uri`; one found in its base is shown on the `extends` clause.

    The help line is related information at the place the diagnostic points to (the document, or its base).
    """
    out = []
    extends_span = (
        _extends_span(source)
        if any(d.span is None or d.span.file != source.path for d in result.diagnostics.items)
        else None
    )
    for diag in result.diagnostics.sorted():
        span = diag.span
        message = diag.message
        related: list[lsp.DiagnosticRelatedInformation] = []
        if span is not None and span.file == source.path:
            where = span_range(source, span)
            pointed = lsp.Location(uri, where)
        else:
            start = position(source, 0)
            where = span_range(source, extends_span) if extends_span else lsp.Range(start=start, end=start)
            pointed = lsp.Location(uri, where)
            if span is not None:
                base = result.sources.get(span.file)
                message = f"in the base policy {Path(span.file).name}:{span.line}: {message}"
                if base is not None:
                    pointed = lsp.Location(uri_of(span.file), span_range(base, span))
                    related.append(lsp.DiagnosticRelatedInformation(pointed, diag.message))
        if diag.help:
            related.append(lsp.DiagnosticRelatedInformation(pointed, f"help: {diag.help}"))
        fix = fix_of(diag, source)
        out.append(
            lsp.Diagnostic(
                range=where,
                message=message,
                severity=lsp.DiagnosticSeverity.Error
                if diag.severity is Severity.ERROR
                else lsp.DiagnosticSeverity.Warning,
                code=diag.code,
                source="policyc",
                related_information=related or None,
                tags=[lsp.DiagnosticTag.Unnecessary] if diag.code in UNUSED else None,
                data={"fix": fix} if fix else None,
            )
        )
    return out


def _extends_span(source: Source) -> Span | None:
    """Where the header names the base: the string after `extends` (read by the lexer, so never in a comment)."""
    found = lex(source.text)
    for keyword, path in zip(found, found[1:], strict=False):
        if keyword.type == "EXTENDS" and path.type == "STRING":
            return source.span(path.start_pos or 0, path.end_pos or 0)
    return None


def _merged(source: Source, sources: dict[str, Source], seen: frozenset[str]) -> tuple[ast.Policy | None, bool]:
    """The syntax tree laid over the bases the check read, whatever their semantic errors; None if it cannot parse."""
    parsed = parse_source(source)
    if parsed.policy is None or parsed.diagnostics.has_errors:
        return None, False
    header = parsed.policy.header
    if header is None or header.extends is None:
        return parsed.policy, False
    base_source = sources.get(str(Path(source.path).parent / header.extends))
    if base_source is None or base_source.path in seen:
        return parsed.policy, True
    base, _ = _merged(base_source, sources, seen | {base_source.path})
    if base is None:
        return parsed.policy, True
    return merge(base, parsed.policy, Diagnostics()), True


def index_of(result: Result, source: Source) -> Index | None:
    """The index of what was checked: the checker's own scope when it passed, else one built despite the errors."""
    if result.checked is not None:
        checked = result.checked
        return build_index(checked.policy, checked.scope, checked.types, result.sources)
    policy, is_variant = _merged(source, result.sources, frozenset({source.path}))
    if policy is None:
        return None
    ignored = Diagnostics()
    scope = build_scope(policy, ignored, is_variant=is_variant)
    order_values(scope, ignored)
    try:
        types = check(policy, scope, ignored).types
    except Exception:  # the checker has not been asked to survive every broken policy; names and places still help
        types = {}
    return build_index(policy, scope, types, result.sources)
