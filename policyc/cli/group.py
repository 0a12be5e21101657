"""The `policyc` group and what its commands share: options, the internal-error guard, delivery of output
and the compiled policy or an exit with its diagnostics."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from policyc.backend.memory import keep_freed_memory
from policyc.data.files import policy_files, write_atomic
from policyc.semantics.driver import Unreadable
from policyc.syntax import diagnostics as render
from policyc.syntax.diagnostics import Diagnostic, Severity
from policyc.syntax.source import Source
from policyc.version import __version__

from . import style

if TYPE_CHECKING:
    from policyc.backend.compile import Compiled
    from policyc.semantics.check import Checked

STDOUT = "-"  # as --out, standard output
PROCESSING = "policyc.processing"  # the context's record of the file a command works on now


def internal_error(path: str | Path, error: BaseException) -> Diagnostic:
    """An exception that nothing expected, as a diagnostic naming the file and where in policyc it was raised."""
    if isinstance(error, RecursionError):
        return Diagnostic(
            "PC902",
            Severity.ERROR,
            f"`{path}` is nested too deeply to process",
            None,
            "split the deepest expression into named values",
        )
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" (at {Path(where.filename).name}:{where.lineno})" if where else ""
    return Diagnostic(
        "PC901",
        Severity.ERROR,
        f"internal error while processing `{path}`: {type(error).__name__}: {error}{at}",
        None,
        "this is a bug in policyc; please report it with the file",
    )


def processing(path: str | Path) -> None:
    """Record the file the command works on now, for the message should it fail in a way nothing expected."""
    click.get_current_context().meta[PROCESSING] = str(path)


def fail(message: str, status: int = 1) -> NoReturn:
    click.echo(style.prefixed(message), err=True)
    sys.exit(status)


class Commands(click.Group):
    """The group of commands; whatever a command did not expect ends in one message naming its file, not a traceback.

    Every command takes `--color`."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        cmd.params.append(style.color_option())
        super().add_command(cmd, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # usage errors, --help and --version, and an interrupt: click reports them itself
        except BrokenPipeError:
            # The reader of the output went away (`policyc check policies/ | head`): stop quietly, as a
            # program killed by SIGPIPE does, and let nothing more be written to the closed pipe at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(141)  # 128 + SIGPIPE, the status a shell reports for such a program
        except MemoryError:
            fail(f"error: ran out of memory while processing `{self.processing(ctx)}`")
        except Exception as error:
            fail(render.render_text(internal_error(self.processing(ctx), error), {}))

    @staticmethod
    def processing(ctx: click.Context) -> str:
        return ctx.meta.get(PROCESSING) or f"policyc {ctx.invoked_subcommand or ''}".strip()


class FilePath(click.Path):
    """A path that is not empty: an empty one would stand for the current folder, which nobody means by it."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value == "":
            self.fail("an empty path names no file", param, ctx)
        return super().convert(value, param, ctx)


IN = FilePath(dir_okay=False)
STDIN = "-"  # as a policy file, standard input


def stdin_name_option() -> Any:
    return click.option(
        "--stdin-filename",
        "stdin_name",
        metavar="NAME",
        default="<stdin>",
        help="With -, the file standard input stands for: its name in messages, its folder for `extends`.",
    )


def stdin_source(name: str) -> Source:
    """Standard input's text as the policy file `name`; an editor pipes unsaved text this way."""
    try:
        return Source(name, sys.stdin.buffer.read().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise Unreadable(str(error)) from error


OUT = FilePath(dir_okay=False, allow_dash=True)


def format_option(*choices: str, help: str | None = None) -> Any:
    """--format, its first choice the default."""
    return click.option("--format", "fmt", type=click.Choice(choices), default=choices[0], show_default=True, help=help)


def out_option(what: str) -> Any:
    return click.option("-o", "--out", type=OUT, help=f"Write {what} here (default, or -: standard output).")


def expand(paths: tuple[str, ...]) -> list[Path]:
    """The policy files that FILES name, or a usage error when they name none."""
    found = policy_files(paths)
    if not found:
        raise click.UsageError("no .policy files found in " + ", ".join(paths))
    return found


def deliver(text: str | bytes, out: str | None) -> None:
    """Print the text, or write it to `out` all at once (a failure leaves an existing file as it was). A binary
    file (Parquet, a workbook) goes to standard output only when that is not a terminal."""
    if out is None or out == STDOUT:
        if isinstance(text, bytes) and sys.stdout.isatty():
            fail("error: the output is a binary file, not for a terminal: give -o FILE, or redirect it", 2)
        click.echo(text, nl=False)
        return
    try:
        write_atomic(out, text)
    except OSError as error:
        fail(f"{out}: cannot write the file, left as it was: {error}", 2)


def checked_and_compiled(policy: str | Path) -> tuple[Checked, Compiled]:
    """The checked and compiled policy, or an exit with its diagnostics."""
    from policyc.backend.compile import compile_file

    processing(policy)
    try:
        result, compiled = compile_file(policy)
    except Unreadable as error:
        fail(f"{policy}: cannot read the file: {error}", 2)
    if compiled is None or result.checked is None:
        for diag in result.diagnostics.sorted():
            click.echo(render.render_text(diag, result.sources, style.enabled(err=True)), err=True)
        errors = sum(d.is_error for d in result.diagnostics.items)
        fail(
            f"{policy}: {errors} error{'s' if errors != 1 else ''}; fix {'them' if errors != 1 else 'it'} "
            "first (`policyc check` lists the same)"
        )
    return result.checked, compiled


def compiled_policy(policy: str | Path) -> Compiled:
    return checked_and_compiled(policy)[1]  # most commands need only what the checker found to be sound


# `color`: click passes ANSI codes through as written; policyc.cli.style decides whether any are written.
@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"], "color": True})
@click.version_option(__version__, "-V", "--version", prog_name="policyc")
def main() -> None:
    """policyc: write NHS performance-assessment frameworks as code, check them, and run them.

    \b
    Examples:
      policyc check policies/               check every policy in a folder
      policyc check --format github a.policy    annotations for GitHub Actions
      policyc fmt --check policies/         fail if a file is not in canonical form
      policyc eval P.policy --data d.csv --format json    every value of every row
      policyc eval P.policy --data d.csv --explain RXX    how one organisation's outcome came about
      policyc compile P.policy -o evaluator.py            the evaluator as a Python module
      policyc agree P.policy --data published.csv --map m.toml    agreement with published results
      policyc compare A.policy B.policy --data d.csv --html r.html  two regimes side by side
      policyc test --coverage-min 100 policies/           a policy's own tests, with coverage
    """
    keep_freed_memory()  # a table of millions of rows reuses its columns' memory (policyc.backend.memory)


def refused(compiled: Compiled, diagnostics: tuple[Diagnostic, ...]) -> NoReturn:
    """The constructs the SQL back end cannot express, each with its policy line, and an exit."""
    for diag in diagnostics:
        click.echo(render.render_text(diag, compiled.sources, style.enabled(err=True)), err=True)
    fail(f"error: the SQL back end cannot run {compiled.program.name!r} exactly; the numpy engine can")
