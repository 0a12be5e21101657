"""A policy file's text to its syntax tree: reading the file, parsing, and building the tree."""

from __future__ import annotations

from pathlib import Path

import attrs

from . import ast
from .depth import check_depth
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
    tree, comments = parse(source, diags)
    if tree is None or not check_depth(tree, source, diags):
        return Parsed(source, None, diags)
    return Parsed(source, build(tree, comments, source, diags), diags)


def parse_text(path: str, text: str) -> Parsed:
    return parse_source(Source(path, text))


def read_source(path: str | Path) -> Source:
    """Read a policy file; OSError and UnicodeDecodeError are the caller's to report."""
    text = Path(path).read_text(encoding="utf-8-sig")  # a byte-order mark, as Windows editors write, is not text
    return Source(str(path), text)
