"""Offsets into a policy's text to the editor's positions (0-based lines, UTF-16 code units) and back."""

from __future__ import annotations

from lsprotocol import types as lsp

from policyc.syntax.source import Source, Span


def utf16_length(text: str) -> int:
    # A character beyond the Basic Multilingual Plane is two UTF-16 code units, and editors count those.
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def position(source: Source, offset: int) -> lsp.Position:
    offset = max(0, min(offset, len(source.text)))
    line, col = source.position(offset)
    start = source.line_starts[line - 1]
    return lsp.Position(line=line - 1, character=utf16_length(source.text[start : start + col - 1]))


def span_range(source: Source, span: Span) -> lsp.Range:
    return lsp.Range(start=position(source, span.start), end=position(source, span.end))


def offset(source: Source, where: lsp.Position) -> int:
    """The character offset of an editor position; a position past a line's end is its end."""
    if where.line >= len(source.line_starts):
        return len(source.text)
    start = source.line_starts[where.line]
    line = source.line_text(where.line + 1)
    units = 0
    for index, ch in enumerate(line):
        if units >= where.character:
            return start + index
        units += 2 if ord(ch) > 0xFFFF else 1
    return start + len(line)


def whole(source: Source) -> lsp.Range:
    return lsp.Range(start=lsp.Position(line=0, character=0), end=position(source, len(source.text)))
