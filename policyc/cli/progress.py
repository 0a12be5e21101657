"""Progress on standard error for what takes more than a moment: a bar where the work can be counted (the search
without data), a spinner where it cannot (reading and evaluating a large table). Shown only on a terminal, only
once the work has run for `DELAY` seconds (a quick run shows nothing), and cleared when the work ends, so that
nothing of it reaches a pipe, a file or the output."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from policyc.cli import style

# Seconds of work before progress shows.
DELAY = 1.0


@contextmanager
def progress(
    description: str, total: int | None = None, stream: IO[str] | None = None, delay: float = DELAY
) -> Iterator[Callable[[int], None]]:
    """While the block runs, `description` with a bar of `total` steps (a spinner when None) on `stream` (standard
    error), if it is a terminal; the block is given a function that says how many steps are done."""
    stream = sys.stderr if stream is None else stream
    if not getattr(stream, "isatty", lambda: False)():
        yield lambda done: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    columns: list[Any] = [SpinnerColumn(), TextColumn("{task.description}")]
    if total is not None:
        columns += [BarColumn(), MofNCompleteColumn()]
    columns.append(TimeElapsedColumn())
    console = Console(file=stream, force_terminal=True, no_color=not style.enabled(err=True), highlight=False)
    bar = Progress(*columns, console=console, transient=True, refresh_per_second=8)
    task = bar.add_task(description, total=total)
    lock = threading.Lock()
    state = {"started": False, "ended": False}

    def start() -> None:
        with lock:
            if not state["ended"]:
                bar.start()
                state["started"] = True

    timer = threading.Timer(delay, start)
    timer.daemon = True
    timer.start()

    def update(done: int) -> None:
        bar.update(task, completed=done if total is None else min(done, total))

    try:
        yield update
    finally:
        timer.cancel()
        with lock:
            state["ended"] = True
            if state["started"]:
                bar.stop()
