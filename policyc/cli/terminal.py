"""Tables for a person at a terminal: laid out by rich to the terminal's width, long names wrapped at their
underscores, and the columns that cannot fit named rather than squeezed. Where the output is not a terminal (a
pipe, a file), commands print their plain aligned text instead, which every tool can read."""

from __future__ import annotations

import io
import shutil
import sys
from collections.abc import Sequence

import click

from policyc.cli import style

# Between two columns, as the plain tables space them.
GAP = 2


def width() -> int | None:
    """The width of the terminal standard output is (COLUMNS, when set, wins), or None when it is not one."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size().columns


def wrapped(name: str, room: int) -> str:
    """A column's name in lines of at most `room` characters, broken after its underscores where it must be."""
    lines: list[str] = []
    for part in name.replace("_", "_\n").split("\n"):
        if lines and len(lines[-1]) + len(part) <= room:
            lines[-1] += part
        else:
            lines.append(part)
    return "\n".join(lines)


def fitted(
    header: Sequence[str],
    columns: Sequence[Sequence[str]],
    right: Sequence[bool],
    room: int,
    keep: int,
) -> str:
    """The table in at most `room` characters a line: the first `keep` columns always, then as many of the others
    as fit, each as wide as its widest cell or the longest piece of its name, and a note naming those left out."""
    from rich import box
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    def natural(k: int) -> int:
        pieces = header[k].replace("_", "_\n").split("\n")
        return max([len(p) for p in pieces] + [len(cell) for cell in columns[k]])

    shown: list[int] = []
    used = 0
    for k in range(len(header)):
        need = natural(k) + (GAP if shown else 0)
        if k < keep or used + need <= room:
            shown.append(k)
            used += need
    left_out = [header[k] for k in range(len(header)) if k not in shown]
    # the room left over unwraps names, those that need the least first, so that most read on one line
    widths = {k: natural(k) for k in shown}
    spare = room - used
    for k in sorted(shown, key=lambda k: len(header[k]) - widths[k]):
        grow = len(header[k]) - widths[k]
        if 0 < grow <= spare:
            widths[k] += grow
            spare -= grow
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, padding=(0, GAP - 1, 0, 0), header_style="bold")
    for k in shown:
        table.add_column(
            Text(wrapped(header[k], widths[k])),
            justify="right" if right[k] else "left",
            no_wrap=True,
            min_width=widths[k],
            max_width=widths[k],
        )
    rows = len(columns[0]) if columns else 0
    for row in range(rows):
        table.add_row(*(Text(columns[k][row], style="dim" if columns[k][row] == "-" else "") for k in shown))
    out = io.StringIO()
    console = Console(
        file=out, width=max(room, used), color_system="standard" if style.enabled() else None, highlight=False
    )
    console.print(table)
    text = "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())
    if left_out:
        note = (
            f"{len(left_out)} more columns than fit {room} characters: {', '.join(left_out)}. "
            "Choose with --columns, or read them all with --format csv or -o FILE."
        )
        text += click.wrap_text(note, room) + "\n"
    return text
