"""Colour on the terminal, the same in every command: errors red, warnings yellow, what passed green.

Whether to colour: `--color always|never` on any command, else FORCE_COLOR set and not empty (nor `0`), else
NO_COLOR set and not empty turns it off, else colour when the stream is a terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

CHOICES = ("auto", "always", "never")
KEY = "policyc.color"  # the choice, in the root context's meta
ROLES = {"error": "1;31", "warning": "1;33", "passed": "32", "failed": "1;31", "heading": "1"}
PREFIXES = {"error:": "error", "warning:": "warning"}


def _store(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.find_root().meta[KEY] = value


def color_option() -> click.Option:
    """`--color`, for every command (added to each as the group registers it)."""
    return click.Option(
        ["--color"],
        type=click.Choice(CHOICES),
        default=None,
        expose_value=False,
        is_eager=True,
        callback=_store,
        help="Colour the output: auto (on a terminal, unless NO_COLOR is set), always or never.",
    )


def enabled(err: bool = False) -> bool:
    """Whether text written to standard output (or error, with `err`) is coloured."""
    ctx = click.get_current_context(silent=True)
    choice = ctx.find_root().meta.get(KEY, "auto") if ctx is not None else "auto"
    if choice != "auto":
        return choice == "always"
    if os.environ.get("FORCE_COLOR", "") not in ("", "0"):
        return True
    if os.environ.get("NO_COLOR", ""):
        return False
    stream: Any = sys.stderr if err else sys.stdout
    return bool(getattr(stream, "isatty", lambda: False)())


def paint(text: str, role: str, err: bool = False) -> str:
    return f"\033[{ROLES[role]}m{text}\033[0m" if enabled(err) else text


def prefixed(message: str, err: bool = True) -> str:
    """A message whose first word is `error:` or `warning:`, that word coloured as its kind."""
    first, space, rest = message.partition(" ")
    role = PREFIXES.get(first)
    return f"{paint(first, role, err)}{space}{rest}" if role else message
