"""The layout engine: lines built from text and breaks, wrapped to a width, with comments kept on their lines.

It knows nothing of policies: the printer turns nodes into parts, and a `Writer` lays them out.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

# A line longer than WIDTH wraps its lists onto lines CONTINUATION deeper; strings never split.
WIDTH = 100
CONTINUATION = 4


@attrs.frozen
class Comments:
    """Leading comments inside an expression: they need lines of their own."""

    lines: tuple[str, ...]


@attrs.frozen
class Trailing:
    """A comment that ends the line after the unit just written."""

    text: str


@attrs.frozen
class Break:
    """A place a line too long may wrap. An `every` break wraps whenever its line is too long; the
    others fill: they wrap only where the next piece would not fit."""

    every: bool = False


@attrs.frozen
class Nest:
    """Into (+1) or out of (-1) parentheses: a fill break measures what follows it up to the next
    break as shallow as itself, so a line wraps outside parentheses before it wraps inside them."""

    step: int


Part = str | Comments | Trailing | Break | Nest


def wrapped(items: Iterable[str | list[Part]], separator: str = ", ", every: bool = False) -> list[Part]:
    """Items that may wrap: after a comma, or before any other separator (` > `, ` / `); the first
    item may go to the next line too when it does not fit. Each item is a string or a list of parts."""
    parts: list[Part] = [Break()]
    for index, item in enumerate(items):
        if index:
            if separator.startswith(","):
                parts.extend([separator, Break(every)])
            else:
                parts.extend([Break(every), separator])
        parts.extend([item] if isinstance(item, str) else item)
    return parts


class Writer:
    """Builds lines; an expression continues on a new line wherever a comment forces one, and a
    line too long wraps at its breaks, its continuation lines CONTINUATION deeper than it."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width
        self.lines: list[str] = []
        # The open line, in pieces between its breaks, and for each break whether it is `every`
        # and how deep in parentheses it stands.
        self.open: list[str] | None = None
        self.breaks: list[tuple[bool, int]] = []
        self.depth = 0
        self.indent = 0

    def begin(self, indent: int, comments: tuple[str, ...], text: str) -> None:
        """A new line at `indent`, after its leading comments; continuation lines go deeper."""
        self.end()
        self.indent = indent
        self.depth = 0
        self.comments(comments)
        self.write(text)
        self.indent = indent + CONTINUATION

    def write(self, *parts: Part) -> None:
        for part in parts:
            if isinstance(part, Comments):
                self.comments(part.lines)
            elif isinstance(part, Trailing):
                self.trailing(part.text)
            elif isinstance(part, Nest):
                self.depth += part.step
            elif isinstance(part, Break):
                if self.open is not None:
                    self.open.append("")
                    self.breaks.append((part.every, self.depth))
            elif self.open is None:
                self.open = [" " * self.indent + part.lstrip(" ")]
                self.breaks = []
            else:
                self.open[-1] += part

    def comments(self, lines: tuple[str, ...]) -> None:
        if lines:
            self.end()
            self.lines.extend(" " * self.indent + line for line in lines)

    def trailing(self, comment: str | None) -> None:
        if comment is None:
            return
        # Only a tree the parser cannot give (a trailing comment after a unit's last clause) gets here
        # with no line open; the comment then stands on a line of its own.
        if self.open is None:
            self.open = [" " * self.indent + comment]
            self.breaks = []
        else:
            # The comment must end the line that holds the unit's last token: it joins the last
            # piece with text in it, so no wrap can come between them.
            while len(self.open) > 1 and not self.open[-1].strip():
                self.open[-2] += self.open.pop()
                self.breaks.pop()
            self.open[-1] += "  " + comment
        self.end()

    def end(self) -> None:
        if self.open is not None:
            self.lines.extend(self._layout(self.open, self.breaks))
        self.open = None

    def _layout(self, pieces: list[str], breaks: list[tuple[bool, int]]) -> list[str]:
        """The open line, wrapped at its breaks if it is longer than the width."""
        whole = "".join(pieces).rstrip()
        if not whole.strip():
            return []
        if len(whole) <= self.width:
            return [whole]
        lines = []
        line = pieces[0]
        for index in range(1, len(pieces)):
            piece = pieces[index]
            every, depth = breaks[index - 1]
            if every:
                wrap = True
            else:
                # What must share the line with this piece: up to the next break as shallow as this.
                end = next(
                    (later for later in range(index + 1, len(pieces)) if breaks[later - 1][1] <= depth), len(pieces)
                )
                following = "".join(pieces[index:end])
                # A line that a string or comment already makes too long gains nothing by wrapping.
                fits = len(line.rstrip()) <= self.width
                wrap = fits and len((line + following).rstrip()) > self.width
            if wrap and piece.strip() and line.strip():
                lines.append(line.rstrip())
                line = " " * self.indent + piece.lstrip(" ")
            else:
                line += piece
        lines.append(line.rstrip())
        return lines

    def finish(self) -> list[str]:
        self.end()
        return self.lines
