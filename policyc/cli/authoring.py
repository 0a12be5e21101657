"""The commands an author runs on policy files: check, fmt, compile, test and lsp."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from policyc.cli import style
from policyc.cli.group import (
    IN,
    STDIN,
    FilePath,
    checked_and_compiled,
    compiled_policy,
    deliver,
    expand,
    fail,
    format_option,
    internal_error,
    main,
    out_option,
    processing,
    refused,
    stdin_name_option,
    stdin_source,
)
from policyc.data.files import NoPolicyFiles, policy_files, write_atomic
from policyc.semantics.driver import Result, Unreadable, check_file, check_source
from policyc.syntax import diagnostics as render
from policyc.syntax.diagnostics import Diagnostics
from policyc.syntax.read import read_source
from policyc.syntax.text import printable

if TYPE_CHECKING:
    pass


@main.command()
@click.argument("files", nargs=-1, required=True, type=FilePath())
@format_option(
    "text", "json", "github", "sarif", help="text for people, json for tools, github for CI annotations, sarif (2.1.0)."
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option(
    "--missing-data",
    is_flag=True,
    help="Also warn (PC352) of each input without a default that, missing alone, can blank the outcome.",
)
@click.option(
    "--explain-missing",
    is_flag=True,
    help="Print, for each value, the inputs that missing alone can make it missing, and through which rules "
    "(implies --missing-data).",
)
@stdin_name_option()
def check(
    files: tuple[str, ...], fmt: str, strict: bool, missing_data: bool, explain_missing: bool, stdin_name: str
) -> None:
    """Check policy FILES (or folders of them; - for standard input) for every mistake that can be caught before data.

    Exits 0 when there is no error (warnings are printed), 1 when there is any error
    (or any warning, with --strict), 2 when a file cannot be read.
    """
    results: list[Result] = []
    unreadable: list[tuple[Path, Unreadable]] = []
    for path in expand(files):
        processing(path)
        try:
            blanks = missing_data or explain_missing
            source = stdin_source(stdin_name) if str(path) == STDIN else None
            if source is not None:
                results.append(check_source(source, blanks))
            else:
                results.append(check_file(path, missing_data=True) if blanks else check_file(path))
        except Unreadable as error:
            unreadable.append((path, error))
        except Exception as error:  # reported among this file's diagnostics, in every format; the others still checked
            diags = Diagnostics()
            diags.items.append(internal_error(path, error))
            results.append(Result(str(path), {}, diags))
    all_diags = [d for r in results for d in r.diagnostics.sorted()]
    sources = {k: v for r in results for k, v in r.sources.items()}
    if fmt == "json":
        document = {
            "files": [{"path": r.path, "ok": r.ok} for r in results],
            "unreadable": [{"path": str(p), "error": str(e)} for p, e in unreadable],
            "diagnostics": [render.to_json(d, sources) for d in all_diags],
        }
        click.echo(json.dumps(document, indent=2))
    elif fmt == "sarif":
        from policyc.version import __version__

        not_read = [(str(path), str(reason)) for path, reason in unreadable]
        click.echo(json.dumps(render.to_sarif(all_diags, not_read, __version__), indent=2))
    else:
        color = fmt == "text" and style.enabled()
        for diag in all_diags:
            click.echo(render.render_github(diag) if fmt == "github" else render.render_text(diag, sources, color))
            if fmt == "text":
                click.echo()
        for path, reason in unreadable:
            if fmt == "github":  # workflow commands are read from standard output
                message = render.escape_data(f"cannot read the file: {reason}")
                click.echo(f"::error file={render.escape_prop(str(path))}::{message}")
            else:
                click.echo(f"{path}: cannot read the file: {reason}", err=True)
        if fmt == "text":
            errors = sum(d.is_error for d in all_diags)
            unread = f", {len(unreadable)} unreadable" if unreadable else ""
            click.echo(
                f"checked {plural(len(results), 'file')}{unread}: "
                f"{plural(errors, 'error')}, {plural(len(all_diags) - errors, 'warning')}"
            )
    if explain_missing and fmt == "text":
        from policyc.semantics.missing import explain_missing as missing_map

        for r in results:
            if r.checked is not None:
                for line in missing_map(r.checked, r.sources, r.path):
                    click.echo(printable(line))
    if unreadable:
        sys.exit(2)
    sys.exit(1 if any(d.is_error or strict for d in all_diags) else 0)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' if count != 1 else ''}"


@main.command()
@click.argument("files", nargs=-1, required=True, type=FilePath())
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 if any file is not in canonical form."
)
@click.option(
    "--diff",
    "diff_only",
    is_flag=True,
    help="Change nothing; print what would change, as a unified diff (exit 1 if anything).",
)
@stdin_name_option()
def fmt(files: tuple[str, ...], check_only: bool, diff_only: bool, stdin_name: str) -> None:
    """Rewrite policy FILES (or folders of them) in canonical form, comments kept; - formats stdin to stdout.

    Every run re-parses what it prints and compares it with the original; a file whose
    meaning would change is left as it is. Exits 1 on a syntax error (or, with --check or
    --diff, when a file would change), 2 when a file cannot be read or written.
    """
    import difflib

    from policyc.format.printer import format_text

    check_only = check_only or diff_only
    status = 0
    for path in expand(files):
        processing(path)
        try:
            source = stdin_source(stdin_name) if str(path) == STDIN else read_source(path)
        except (OSError, UnicodeDecodeError, Unreadable) as error:
            click.echo(f"{path}: cannot read the file: {error}", err=True)
            status = 2
            continue
        text, diags = format_text(source.path, source.text)
        if text is None:
            for diag in diags.sorted():
                click.echo(render.render_text(diag, {source.path: source}, style.enabled(err=True)), err=True)
            status = max(status, 1)
        elif str(path) == STDIN and not check_only:
            click.echo(text, nl=False)
        elif text != source.text and diff_only:
            name = printable(source.path)
            lines = difflib.unified_diff(
                source.text.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"{name}\t(original)",
                f"{name}\t(formatted)",
            )
            click.echo("".join(_painted_diff(line) for line in lines), nl=False)
            status = max(status, 1)
        elif text != source.text and check_only:
            click.echo(f"would reformat {source.path}")
            status = max(status, 1)
        elif text != source.text:
            try:
                write_atomic(path, text)
            except OSError as error:
                click.echo(f"{path}: cannot write the file, left as it was: {error}", err=True)
                status = 2
                continue
            click.echo(f"reformatted {path}")
    sys.exit(status)


@main.command("compile")
@click.argument("policy", type=IN)
@out_option("the module")
@click.option("--target", type=click.Choice(["python", "sql"]), default="python", help="A Python module, or SQL.")
@click.option(
    "--dialect", type=click.Choice(["duckdb", "spark", "postgres", "tsql"]), default="duckdb", help="The SQL's dialect."
)
def compile_policy(policy: str, out: str | None, target: str, dialect: str) -> None:
    """Compile POLICY to a Python module that evaluates a whole table at once, or to one SQL query.

    The module imports only numpy and policyc.backend.runtime. Its `evaluate(frame)` gives every
    named value of the policy as a column; `SOURCES` maps each step to its policy line. The SQL
    reads the table `policy_input` and gives every named value as a column (docs/sql.md).
    Exits 1 when the policy has errors (printed as `policyc check` prints them), or holds what
    the dialect cannot express exactly.
    """
    compiled = compiled_policy(policy)
    if target == "python":
        deliver(compiled.code, out)
        return
    from policyc.backend.sql.generate import generate

    generated = generate(compiled.program, dialect)
    if generated.sql is None:
        refused(compiled, generated.diagnostics)
    deliver(generated.sql, out)


@main.command("test")
@click.argument("paths", nargs=-1, required=True, type=FilePath())
@format_option("text", "json", "junit", help="text for people, json for tools, junit (JUnit XML) for CI services.")
@click.option(
    "--coverage-min",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Fail when a file's tests cover less than PCT per cent of its rules, table rows, adjustments "
    "and scoring cases.",
)
@click.option(
    "--suggest",
    is_flag=True,
    help="Print test cases just either side of every band cut point, standard, floor and table "
    "threshold, checked on both evaluators, for the author to keep.",
)
def test_command(paths: tuple[str, ...], fmt: str, coverage_min: float | None, suggest: bool) -> None:
    """Run the `test` blocks of policy files (a folder: its .policy files) and report what they covered.

    \b
    Each failure shows the test, the row, the value expected and the value found, and
    how that value came about. Exits 1 when a test fails, when coverage is below
    --coverage-min, or when a policy has errors; 2 when a file cannot be read or a
    folder holds no policy.
    """
    from policyc.analysis import testing

    try:
        files = policy_files(paths, every_folder=True)
    except NoPolicyFiles as error:
        fail(str(error), 2)
    reports = []
    disagreements = 0
    for path in files:
        checked, compiled = checked_and_compiled(path)
        if suggest:
            text, disagreed = testing.suggestions(compiled, str(path))
            click.echo(text)
            disagreements += disagreed
        else:
            reports.append(testing.run(checked, compiled, str(path)))
    if suggest:
        sys.exit(1 if disagreements else 0)
    if fmt == "junit":
        from policyc.analysis.junit import to_junit

        click.echo(to_junit(reports), nl=False)
    else:
        click.echo(testing.to_json(reports) if fmt == "json" else _painted_tests(testing.to_text(reports)), nl=False)
    shortfalls = testing.coverage_shortfalls(reports, coverage_min)
    for shortfall in shortfalls:
        click.echo(style.prefixed(f"error: {shortfall}"), err=True)
    sys.exit(1 if shortfalls or any(r.failed for r in reports) else 0)


@main.command("lsp")
def language_server() -> None:
    """Run the language server on standard input and output, for editors.

    Diagnostics as you type (the checks of `policyc check`), hover, go to definition, references,
    completion, outline, formatting, rename, quick fixes and semantic highlighting. An editor starts
    it; see editors/vscode for Visual Studio Code.
    """
    try:
        from policyc.lsp.server import serve
    except ImportError as error:  # pygls and lsprotocol are an extra
        fail(f"error: the language server needs {error.name}: pip install 'policyc[lsp]'", 2)
    serve()


def _painted_tests(text: str) -> str:
    """The text of a test run with each failure and each file's count coloured."""
    if not style.enabled():
        return text
    lines = []
    for line in text.splitlines(keepends=True):
        if line.startswith("  FAIL "):
            line = "  " + style.paint("FAIL", "failed") + line[len("  FAIL") :]
        elif _TESTS_LINE.search(line):
            line = _TESTS_LINE.sub(lambda m: style.paint(m[0], "failed" if m[1] != "0" else "passed"), line)
        lines.append(line)
    return "".join(lines)


_TESTS_LINE = re.compile(r"(?<=passed, )(\d+) failed$", re.M)


def _painted_diff(line: str) -> str:
    """A line of a unified diff, printable but for its tabs (each line keeps its break), removals red and
    additions green."""
    body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "\n\\ No newline at end of file\n")
    body = "\t".join(printable(part) for part in body.split("\t"))
    if body.startswith(("---", "+++", "@@")):
        return style.paint(body, "heading") + end
    if body.startswith("-"):
        return style.paint(body, "failed") + end
    if body.startswith("+"):
        return style.paint(body, "passed") + end
    return body + end
