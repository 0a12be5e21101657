"""Progress on standard error: shown on a terminal once work has run a moment, never in a pipe or a quick run."""

from __future__ import annotations

import io
import time

from click.testing import CliRunner

from policyc import cli
from policyc.cli.progress import progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_count_shows_a_bar_with_its_count_then_clears_it() -> None:
    stream = Terminal()
    with progress("searching", 40, stream=stream, delay=0.0) as done:
        for k in range(40):
            done(k + 1)
            time.sleep(0.02)
    shown = stream.getvalue()
    assert "searching" in shown and "/40" in shown
    assert shown.endswith("\x1b[?25h") or "\x1b[2K" in shown  # the line is cleared: transient


def test_work_without_a_count_shows_a_spinner() -> None:
    stream = Terminal()
    with progress("reading data.csv", stream=stream, delay=0.0):
        time.sleep(0.4)
    assert "reading data.csv" in stream.getvalue() and "/" not in stream.getvalue().replace("data.csv", "")


def test_quick_work_shows_nothing() -> None:
    stream = Terminal()
    with progress("reading", 10, stream=stream, delay=5.0) as done:
        done(10)
    assert stream.getvalue() == ""


def test_nothing_reaches_a_stream_that_is_not_a_terminal() -> None:
    stream = io.StringIO()
    with progress("searching", 10, stream=stream, delay=0.0) as done:
        done(5)
        time.sleep(0.3)
    assert stream.getvalue() == ""


def test_commands_under_a_runner_print_no_progress() -> None:
    # a runner's standard error is not a terminal: the search's output and messages are all there is
    result = CliRunner().invoke(
        cli.main,
        ["compare", "policies/performance_2009.policy", "policies/oversight_2025.policy", "--examples", "40"],
    )
    assert result.exit_code == 0, result.output
    assert "searching for organisations" not in result.stderr and "\x1b[" not in result.stderr
