"""A policy file's text to its syntax tree: reading the file, parsing, and building the tree."""

from __future__ import annotations

from pathlib import Path

import attrs
from lark.exceptions import VisitError

from . import ast
from .diagnostics import Diagnostics
from .from_tree import build
from .parse import parse
from .source import Source


@attrs.define
class Parsed:
    source: Source
    policy: ast.Policy | None
    diagnostics: Diagnostics


def parse_source(source: Source) -> Parsed:
    """Parse one file's text to a syntax tree; None when it has syntax errors."""
    diags = Diagnostics()
    try:
        tree, comments = parse(source, diags)
        policy = build(tree, comments, source, diags) if tree is not None else None
    except (RecursionError, VisitError) as error:
        if isinstance(error, VisitError) and not isinstance(error.orig_exc, RecursionError):
            raise
        policy = None
        diags.error(
            "PC902",
            "the policy is nested too deeply to read",
            source.span(0, 0),
            "split the deepest expression into named values",
        )
    return Parsed(source, policy, diags)


def parse_text(path: str, text: str) -> Parsed:
    return parse_source(Source(path, text))


def read_source(path: str | Path) -> Source:
    """Read a policy file; OSError and UnicodeDecodeError are the caller's to report."""
    text = Path(path).read_text(encoding="utf-8-sig")  # a byte-order mark, as Windows editors write, is not text
    return Source(str(path), text)
