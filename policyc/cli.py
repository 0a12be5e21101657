"""The `policyc` command: a thin click group; each command calls the stages below and renders what they return."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from policyc.data.files import NoPolicyFiles, policy_files, write_atomic
from policyc.semantics.driver import Result, Unreadable, check_file, check_source
from policyc.syntax import diagnostics as render
from policyc.syntax.diagnostics import Diagnostic, Diagnostics, Severity
from policyc.syntax.read import read_source
from policyc.syntax.source import Source
from policyc.syntax.text import printable
from policyc.version import __version__

if TYPE_CHECKING:
    from policyc.analysis.evaluation import Evaluation
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
    click.echo(message, err=True)
    sys.exit(status)


class Commands(click.Group):
    """The group of commands; whatever a command did not expect ends in one message naming its file, not a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise  # usage errors, --help and --version, and an interrupt: click reports them itself
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


def out_option(what: str, *names: str) -> Any:
    return click.option(*names, "--out", type=OUT, help=f"Write {what} here (default, or -: standard output).")


def expand(paths: tuple[str, ...]) -> list[Path]:
    """The policy files that FILES name, or a usage error when they name none."""
    found = policy_files(paths)
    if not found:
        raise click.UsageError("no .policy files found in " + ", ".join(paths))
    return found


def deliver(text: str, out: str | None) -> None:
    """Print the text, or write it to `out` all at once (a failure leaves an existing file as it was)."""
    if out is None or out == STDOUT:
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
            click.echo(render.render_text(diag, result.sources), err=True)
        errors = sum(d.is_error for d in result.diagnostics.items)
        fail(
            f"{policy}: {errors} error{'s' if errors != 1 else ''}; fix {'them' if errors != 1 else 'it'} "
            "first (`policyc check` lists the same)"
        )
    return result.checked, compiled


def compiled_policy(policy: str | Path) -> Compiled:
    return checked_and_compiled(policy)[1]  # most commands need only what the checker found to be sound


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policyc")
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


@main.command()
@click.argument("files", nargs=-1, required=True, type=FilePath())
@format_option("text", "json", "github", help="text for people, json for tools, github for CI annotations.")
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@stdin_name_option()
def check(files: tuple[str, ...], fmt: str, strict: bool, stdin_name: str) -> None:
    """Check policy FILES (or folders of them; - for standard input) for every mistake that can be caught before data.

    Exits 0 when there is no error (warnings are printed), 1 when there is any error
    (or any warning, with --strict), 2 when a file cannot be read.
    """
    results: list[Result] = []
    unreadable: list[tuple[Path, Unreadable]] = []
    for path in expand(files):
        processing(path)
        try:
            results.append(check_source(stdin_source(stdin_name)) if str(path) == STDIN else check_file(path))
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
    else:
        color = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
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
@stdin_name_option()
def fmt(files: tuple[str, ...], check_only: bool, stdin_name: str) -> None:
    """Rewrite policy FILES (or folders of them) in canonical form, comments kept; - formats stdin to stdout.

    Every run re-parses what it prints and compares it with the original; a file whose
    meaning would change is left as it is. Exits 1 on a syntax error (or, with --check,
    when a file would change), 2 when a file cannot be read or written.
    """
    from policyc.format.printer import format_text

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
                click.echo(render.render_text(diag, {source.path: source}), err=True)
            status = max(status, 1)
        elif str(path) == STDIN and not check_only:
            click.echo(text, nl=False)
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
@out_option("the module", "-o")
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


def refused(compiled: Compiled, diagnostics: tuple[Diagnostic, ...]) -> NoReturn:
    """The constructs the SQL back end cannot express, each with its policy line, and an exit."""
    for diag in diagnostics:
        click.echo(render.render_text(diag, compiled.sources), err=True)
    fail(f"error: the SQL back end cannot run {compiled.program.name!r} exactly; the numpy engine can")


def duckdb_values(compiled: Compiled, data: str, allow_missing: bool, mapping: str | None):
    """The table read and checked as for the numpy engine, and evaluated by the policy's SQL on DuckDB."""
    from policyc.backend.compile import describe_failure
    from policyc.backend.frame import EvalError
    from policyc.backend.sql import engine
    from policyc.data import mapping as mappings
    from policyc.data.table import DataError, read_text

    try:
        read = mappings.load(mapping) if mapping is not None else None
        loaded = mappings.load_through(read, read_text(data), data, compiled.program, allow_missing=allow_missing)
    except DataError as error:
        fail(f"error: {error.message}")
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)
    try:
        return loaded.frame, engine.evaluate(compiled.program, loaded.frame)
    except engine.Refused as error:
        refused(compiled, error.diagnostics)
    except EvalError as error:
        fail(f"error: {describe_failure(error, loaded.frame, data)}")


def evaluated(compiled: Compiled, data: str, allow_missing: bool, mapping: str | None) -> Evaluation:
    """The table read (through the mapping, if any) and evaluated, or an exit with the message."""
    from policyc.analysis.evaluation import RuleFailed, evaluate_file
    from policyc.data.table import DataError

    try:
        evaluation = evaluate_file(compiled, data, mapping=mapping, allow_missing=allow_missing)
    except DataError as error:
        fail(f"error: {error.message}")
    except RuleFailed as error:
        for warning in error.warnings:
            click.echo(f"warning: {warning}", err=True)
        fail(f"error: {error.message}")
    for warning in evaluation.warnings:
        click.echo(f"warning: {warning}", err=True)
    return evaluation


DATA = click.option(
    "--data", required=True, type=IN, help="CSV table: one row per organisation (and period), a column per input."
)
ALLOW_MISSING = click.option(
    "--allow-missing", is_flag=True, help="Take columns the table lacks as missing (with a warning)."
)


def mapping_option(help: str, required: bool = False) -> Any:
    return click.option("--map", "mapping", required=required, type=IN, metavar="MAPPING.toml", help=help)


@main.command("eval")
@click.argument("policy", type=IN)
@DATA
@format_option("table", "json", "csv", help="table: the derived values, for reading; json and csv: every named value.")
@out_option("the results")
@click.option("--explain", "org", metavar="ORG", help="Print how ORG's outcome came about, step by step.")
@ALLOW_MISSING
@mapping_option("Read the table's columns and values as the policy's inputs through this mapping.")
@click.option("--engine", type=click.Choice(["numpy", "duckdb"]), default="numpy", help="What evaluates the policy.")
def evaluate(
    policy: str,
    data: str,
    fmt: str,
    out: str | None,
    org: str | None,
    allow_missing: bool,
    mapping: str | None,
    engine: str,
) -> None:
    """Evaluate POLICY on every row of a CSV table.

    \b
    A column named after a derived value (or `metric.score`) replaces that value
    wherever its cell is not empty. With --explain ORG, the explanation is printed and
    the results go only to --out, if given. Exits 1 on a policy error, bad data, or a
    rule that cannot give a value, with a message naming the file, line and column.
    """
    from policyc.analysis.explain import explain
    from policyc.data import results
    from policyc.syntax.diagnostics import did_you_mean

    compiled = compiled_policy(policy)
    render_output = {"table": results.to_table, "json": results.to_json, "csv": results.to_csv}[fmt]
    if engine == "duckdb":
        if org is not None:
            fail("error: --explain needs the numpy engine, which keeps each step's values")
        deliver(render_output(compiled.program, *duckdb_values(compiled, data, allow_missing, mapping)), out)
        return
    run = evaluated(compiled, data, allow_missing, mapping)
    text = render_output(compiled.program, run.frame, run.values)
    if org is None:
        deliver(text, out)
        return
    explanation = explain(compiled, run.module, run.frame, run.values, run.notes, org)
    if explanation is None:
        hint = did_you_mean(org, sorted(set(run.frame.org)))
        fail(printable(f"error: no organisation `{org}` in {data}" + (f"; {hint}" if hint else "")))
    if out is not None:
        deliver(text, out)
    click.echo(explanation, nl=False)


@main.command("agree")
@click.argument("policy", type=IN)
@click.option(
    "--data", required=True, type=IN, help="CSV table of published results, one row per organisation (and period)."
)
@mapping_option(
    "How the table's columns read as the policy's inputs, and which column holds the published "
    "outcome ([published] outcome, group, name).",
    required=True,
)
@format_option("text", "json")
@out_option("the report")
@ALLOW_MISSING
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="PCT",
    help="Exit 1 when the agreement is below PCT per cent.",
)
def agree(
    policy: str, data: str, mapping: str, fmt: str, out: str | None, allow_missing: bool, fail_under: float | None
) -> None:
    """Hold POLICY's outcome to published results: agreement per group, and each disagreement with its reason.

    \b
    Exits 1 when nothing was compared (no row has a published outcome), and with
    --fail-under, when the agreement is below it.

    \b
    Example (NHS England's quarter 3 2025/26 segments):
      policyc agree policies/oversight_2025.policy \\
          --data ../shared/data/nof_q3_2025_26/trusts.csv \\
          --map mappings/nof_q3_2025_26.toml --allow-missing
    """
    from policyc.analysis import agreement
    from policyc.data.table import DataError

    run = evaluated(compiled_policy(policy), data, allow_missing, mapping)
    try:
        result = agreement.hold(run, data)
    except DataError as error:
        fail(f"error: {error.message}")
    report = agreement.to_json if fmt == "json" else agreement.to_text
    deliver(report(result, agreement.title(run, policy, data)), out)
    shortfall = agreement.shortfall(result, fail_under, data)
    if shortfall is not None:
        fail(f"error: {shortfall}")


@main.command("compare")
@click.argument("policy_a", metavar="A.policy", type=IN)
@click.argument("policy_b", metavar="B.policy", type=IN)
@click.option(
    "--data",
    type=IN,
    help="CSV table holding the inputs of both policies. Without it, search for organisation profiles "
    "that the two rate most differently.",
)
@format_option("table", "json", "html")
@out_option("the result")
@click.option("--html", "html_out", type=OUT, metavar="PATH", help="Also write the HTML report here (with --data).")
@ALLOW_MISSING
@mapping_option("Read the table's columns and values as the policies' inputs through this mapping.")
@click.option(
    "--want",
    metavar="A_VALUE,B_VALUE",
    help="Without --data: search for a profile with these outcomes (e.g. performing,4).",
)
@click.option(
    "--examples",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Without --data: how many profiles the search may try.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Without --data: the search's seed.")
def compare(
    policy_a: str,
    policy_b: str,
    data: str | None,
    fmt: str,
    out: str | None,
    html_out: str | None,
    allow_missing: bool,
    mapping: str | None,
    want: str | None,
    examples: int,
    seed: int,
) -> None:
    """Compare two policies side by side: on a table, or by searching for profiles they rate differently.

    \b
    With --data, every organisation (and period) that either policy rates, with both
    outcomes, the cross-tabulation of outcomes, and each organisation that stands
    differently with the steps that decided each outcome. Organisations of an org type
    that a policy does not declare are "not rated" by it. Without --data, a search for
    the organisation profiles that the two rate most differently, with the simplest
    witness found and its explanation under each policy.

    \b
    Examples:
      policyc compare policies/performance_2009.policy policies/oversight_2025.policy \\
          --data examples/england_synthetic.csv --html report.html
      policyc compare policies/performance_2009.policy policies/oversight_2025.policy \\
          --want performing,4
    """
    if data is None and (html_out is not None or mapping is not None or allow_missing):
        raise click.UsageError("--html, --map and --allow-missing need --data")
    if data is not None and want is not None:
        raise click.UsageError("--want is for the search without data; leave out --data to search")
    compiled = (compiled_policy(policy_a), compiled_policy(policy_b))
    processing(policy_a)  # what follows reads both; a failure names the first, as it always has
    if data is None:
        run_search(compiled, (policy_a, policy_b), fmt, out, want, examples, seed)
    else:
        run_compare(compiled, (policy_a, policy_b), data, fmt, out, html_out, allow_missing, mapping)


def run_compare(
    compiled: tuple[Compiled, Compiled],
    paths: tuple[str, str],
    data: str,
    fmt: str,
    out: str | None,
    html_out: str | None,
    allow_missing: bool,
    mapping: str | None,
) -> None:
    from policyc.analysis import compare as comparison
    from policyc.backend.compile import describe_failure
    from policyc.backend.frame import EvalError
    from policyc.data import mapping as mappings
    from policyc.data.table import DataError, read_text
    from policyc.report.html import render_html

    try:
        text = read_text(data)
        if mapping is not None:
            text = mappings.apply(mappings.load(mapping), text, data)
    except DataError as error:
        fail(f"error: {error.message}")
    sides = []
    for path, policy in zip(paths, compiled, strict=True):

        def warn(message: str, path: str = path) -> None:
            click.echo(f"warning: {path}: {message}", err=True)

        try:
            loaded = comparison.load(policy, text, data, allow_missing, warn)
        except DataError as error:
            fail(f"error: reading for {path}: {error.message}")
        try:
            sides.append(comparison.Side.evaluate(path, policy, loaded))
        except EvalError as error:
            fail(f"error: {describe_failure(error, loaded[0], data)}")
    doc = comparison.document(sides[0], sides[1], data, comparison.names(text))
    render_output = {"table": comparison.to_table, "json": comparison.to_json, "html": render_html}[fmt]
    deliver(render_output(doc), out)
    if html_out is not None:
        deliver(render_html(doc), html_out)
        if html_out != STDOUT:
            click.echo(f"wrote the report to {html_out}", err=True)


def run_search(
    compiled: tuple[Compiled, Compiled],
    paths: tuple[str, str],
    fmt: str,
    out: str | None,
    want: str | None,
    examples: int,
    seed: int,
) -> None:
    from hypothesis.configuration import set_hypothesis_home_dir

    from policyc.analysis import search

    if fmt == "html":
        fail("error: the HTML report needs --data; without it, compare searches and prints text or JSON")
    wanted = None
    if want is not None:
        parts = [p.strip() for p in want.split(",")]
        if len(parts) != 2 or not all(parts):
            fail(
                f"error: --want takes two outcomes separated by a comma (A's, then B's), e.g. performing,4; "
                f"got `{want}`"
            )
        wanted = (parts[0], parts[1])
    with tempfile.TemporaryDirectory(prefix="policyc-search-") as home:
        set_hypothesis_home_dir(home)  # Hypothesis keeps notes on disk; they are of no use after the search
        try:
            result = search.search(*compiled, want=wanted, max_examples=examples, seed=seed)
        except ValueError as error:
            fail(f"error: {error}")
    deliver(search.to_json(result) if fmt == "json" else search.to_text(result, *paths), out)


@main.command("test")
@click.argument("paths", nargs=-1, required=True, type=FilePath())
@format_option("text", "json")
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
    click.echo(testing.to_json(reports) if fmt == "json" else testing.to_text(reports), nl=False)
    shortfalls = testing.coverage_shortfalls(reports, coverage_min)
    for shortfall in shortfalls:
        click.echo(f"error: {shortfall}", err=True)
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
