"""A policy file's text to its syntax tree: reading the file, parsing, and building the tree."""

from __future__ import annotations

import os
import stat
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


# The largest base policy read; the shipped policies are a few tens of kilobytes.
MAX_BASE_BYTES = 4 * 1024 * 1024


class NotAPolicy(Exception):
    """A path named by `extends` that is not a policy file; the message says why and quotes nothing from it."""


def read_base(path: Path) -> Source:
    """Read the base a variant extends: a regular `.policy` file of at most MAX_BASE_BYTES.

    Anything else (a device, a pipe, a folder, a file of the system such as `/etc/passwd`, or a file whose size
    is not what it holds, as in /proc) raises NotAPolicy before a byte of it is parsed, so no diagnostic can
    quote it. OSError and UnicodeDecodeError are the caller's to report.
    """
    if path.suffix != ".policy":
        raise NotAPolicy("a base policy is a `.policy` file")
    # Non-blocking, so that a FIFO does not wait for a writer; fstat judges what was opened, not a name.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotAPolicy("it is not a regular file")
        if info.st_size > MAX_BASE_BYTES:
            raise NotAPolicy(f"it is larger than {MAX_BASE_BYTES // (1024 * 1024)} MiB")
        data = file.read(MAX_BASE_BYTES + 1)
    if len(data) != info.st_size:
        raise NotAPolicy("its size changed while it was read")
    return Source(str(path), data.decode("utf-8-sig"))
