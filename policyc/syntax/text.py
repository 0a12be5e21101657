"""User text made safe to print: every control character shown as an escape, never sent to the terminal raw."""

from __future__ import annotations

import re

# C0 and C1 controls and DEL move the cursor, recolour the terminal or split a message's line; line and paragraph
# separators split it too; the bidirectional overrides make a line read differently from what it holds.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def printable(text: str) -> str:
    """`text` with each control character written as its escape (`\\x1b`, `\\n`, `\\u202e`), for human output."""
    return _UNPRINTABLE.sub(_escape, text)
