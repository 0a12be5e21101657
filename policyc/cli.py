"""The `policyc` command: a thin click group; each command calls the driver and renders what it returns."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import traceback
from pathlib import Path
from typing import NoReturn

import click

from policyc.version import __version__
from policyc.semantics.driver import Result, Unreadable, check_file
from policyc.syntax import diagnostics as render
from policyc.syntax.diagnostics import Diagnostic, Diagnostics, Severity
from policyc.syntax.read import read_source

FORMATS = ("text", "json", "github")


def expand(paths: tuple[str, ...]) -> list[Path]:
    """Files as given; a folder stands for the `.policy` files in it, in name order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out.extend(sorted(path.rglob("*.policy")))
        else:
            out.append(path)
    return out


def internal_error(path: Path, error: BaseException) -> Diagnostic:
    where = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    at = f" (at {Path(where.filename).name}:{where.lineno})" if where else ""
    return Diagnostic(
        "PC901",
        Severity.ERROR,
        f"internal error while processing `{path}`: {type(error).__name__}: {error}{at}",
        None,
        "this is a bug in policyc; please report it with the file",
    )


def write_atomic(path: Path, text: str) -> None:
    """Replace a file's contents all at once, so a failure never leaves it half written."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        if path.exists():
            os.chmod(tmp, path.stat().st_mode & 0o777)
        else:  # mkstemp makes the file private; a new output file gets the usual permissions
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="text for people, json for tools, github for CI annotations.",
)
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
def check(files: tuple[str, ...], fmt: str, strict: bool) -> None:
    """Check policy FILES (or folders of them) for every mistake that can be caught before data.

    Exits 0 when there is no error (warnings are printed), 1 when there is any error
    (or any warning, with --strict), 2 when a file cannot be read.
    """
    paths = expand(files)
    if not paths:
        raise click.UsageError("no .policy files found in " + ", ".join(files))
    results: list[Result] = []
    unreadable = []
    for path in paths:
        try:
            results.append(check_file(path))
        except Unreadable as error:
            unreadable.append((path, error))
        except Exception as error:  # a bug of ours must still end in a message, not a traceback
            diags = Diagnostics()
            diags.items.append(internal_error(path, error))
            results.append(Result(str(path), {}, diags))
    all_diags = [(r, d) for r in results for d in r.diagnostics.sorted()]
    sources = {k: v for r in results for k, v in r.sources.items()}
    if fmt == "json":
        click.echo(
            json.dumps(
                {
                    "files": [{"path": r.path, "ok": r.ok} for r in results],
                    "unreadable": [{"path": str(p), "error": str(e)} for p, e in unreadable],
                    "diagnostics": [render.to_json(d, sources) for _, d in all_diags],
                },
                indent=2,
            )
        )
    else:
        color = fmt == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        for _, diag in all_diags:
            click.echo(render.render_github(diag) if fmt == "github" else render.render_text(diag, sources, color))
            if fmt == "text":
                click.echo()
        for path, error in unreadable:
            if fmt == "github":  # workflow commands are read from standard output
                click.echo(
                    f"::error file={render.escape_prop(str(path))}::"
                    + render.escape_data(f"cannot read the file: {error}")
                )
            else:
                click.echo(f"{path}: cannot read the file: {error}", err=True)
        if fmt == "text":
            errors = sum(d.is_error for _, d in all_diags)
            warnings = len(all_diags) - errors
            unread = f", {len(unreadable)} unreadable" if unreadable else ""
            click.echo(
                f"checked {len(results)} file{'s' if len(results) != 1 else ''}{unread}: "
                f"{errors} error{'s' if errors != 1 else ''}, "
                f"{warnings} warning{'s' if warnings != 1 else ''}"
            )
    if unreadable:
        sys.exit(2)
    failed = any(d.is_error or (strict and not d.is_error) for _, d in all_diags)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--check", "check_only", is_flag=True, help="Change nothing; exit 1 if any file is not in canonical form."
)
def fmt(files: tuple[str, ...], check_only: bool) -> None:
    """Rewrite policy FILES (or folders of them) in canonical form, comments kept.

    Every run re-parses what it prints and compares it with the original; a file whose
    meaning would change is left as it is. Exits 1 on a syntax error (or, with --check,
    when a file would change), 2 when a file cannot be read or written.
    """
    from policyc.format.printer import format_text

    paths = expand(files)
    if not paths:
        raise click.UsageError("no .policy files found in " + ", ".join(files))
    status = 0
    for path in paths:
        try:
            source = read_source(path)
        except (OSError, UnicodeDecodeError) as error:
            click.echo(f"{path}: cannot read the file: {error}", err=True)
            status = 2
            continue
        try:
            text, diags = format_text(source.path, source.text)
        except Exception as error:  # a bug of ours must still end in a message, not a traceback
            click.echo(render.render_text(internal_error(path, error), {}), err=True)
            status = max(status, 1)
            continue
        if text is None:
            for diag in diags.sorted():
                click.echo(render.render_text(diag, {source.path: source}), err=True)
            status = max(status, 1)
            continue
        if text == source.text:
            continue
        if check_only:
            click.echo(f"would reformat {path}")
            status = max(status, 1)
            continue
        try:
            write_atomic(path, text)
        except OSError as error:
            click.echo(f"{path}: cannot write the file, left as it was: {error}", err=True)
            status = 2
            continue
        click.echo(f"reformatted {path}")
    sys.exit(status)


def fail(message: str, status: int = 1) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(status)


def compiled_policy(policy: str):
    """The compiled policy, or an exit with its diagnostics."""
    from policyc.backend.compile import compile_file

    try:
        result, compiled = compile_file(policy)
    except Unreadable as error:
        fail(f"{policy}: cannot read the file: {error}", 2)
    except Exception as error:  # a bug of ours must still end in a message, not a traceback
        fail(render.render_text(internal_error(Path(policy), error), {}))
    if compiled is None:
        for diag in result.diagnostics.sorted():
            click.echo(render.render_text(diag, result.sources), err=True)
        errors = sum(d.is_error for d in result.diagnostics.items)
        fail(
            f"{policy}: {errors} error{'s' if errors != 1 else ''}; fix {'them' if errors != 1 else 'it'} "
            "first (`policyc check` lists the same)"
        )
    return compiled


def deliver(text: str, out: str | None) -> None:
    """Print the text, or write it to `out` all at once (a failure leaves an existing file as it was)."""
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        write_atomic(Path(out), text)
    except OSError as error:
        fail(f"{out}: cannot write the file, left as it was: {error}", 2)


@main.command("compile")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write the module here (default: standard output).")
def compile_policy(policy: str, out: str | None) -> None:
    """Compile POLICY to a Python module that evaluates a whole table at once.

    The module imports only numpy and policyc.backend.runtime. Its `evaluate(frame)` gives every
    named value of the policy as a column; `SOURCES` maps each step to its policy line.
    Exits 1 when the policy has errors (printed as `policyc check` prints them).
    """
    deliver(compiled_policy(policy).code, out)


OUTPUTS = ("table", "json", "csv")


@main.command("eval")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option(
    "--data",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV table: one row per organisation (and period), a column per input.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(OUTPUTS),
    default="table",
    show_default=True,
    help="table: the derived values, for reading; json and csv: every named value.",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the results here (default: standard output).")
@click.option("--explain", "org", metavar="ORG", help="Print how ORG's outcome came about, step by step.")
@click.option("--allow-missing", is_flag=True, help="Take columns the table lacks as missing (with a warning).")
@click.option(
    "--map",
    "mapping",
    type=click.Path(dir_okay=False),
    metavar="MAPPING.toml",
    help="Read the table's columns and values as the policy's inputs through this mapping.",
)
def evaluate(
    policy: str, data: str, fmt: str, out: str | None, org: str | None, allow_missing: bool, mapping: str | None
) -> None:
    """Evaluate POLICY on every row of a CSV table.

    \b
    A column named after a derived value (or `metric.score`) replaces that value
    wherever its cell is not empty. With --explain ORG, the explanation is printed and
    the results go only to --out, if given. Exits 1 on a policy error, bad data, or a
    rule that cannot give a value, with a message naming the file, line and column.
    """
    compiled = compiled_policy(policy)
    try:
        run_eval(compiled, data, fmt, out, org, allow_missing, mapping)
    except Exception as error:  # a bug of ours must still end in a message, not a traceback
        fail(render.render_text(internal_error(Path(policy), error), {}))


def evaluated(compiled, data: str, allow_missing: bool, mapping: str | None):
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


def run_eval(
    compiled, data: str, fmt: str, out: str | None, org: str | None, allow_missing: bool, mapping: str | None
) -> None:
    from policyc.analysis.explain import explain
    from policyc.data import results
    from policyc.syntax.diagnostics import did_you_mean

    run = evaluated(compiled, data, allow_missing, mapping)
    render_output = {"table": results.to_table, "json": results.to_json, "csv": results.to_csv}[fmt]
    text = render_output(compiled.program, run.frame, run.values)
    if org is None:
        deliver(text, out)
        return
    explanation = explain(compiled, run.module, run.frame, run.values, run.notes, org)
    if explanation is None:
        hint = did_you_mean(org, sorted(set(run.frame.org)))
        fail(f"error: no organisation `{org}` in {data}" + (f"; {hint}" if hint else ""))
    if out is not None:
        deliver(text, out)
    click.echo(explanation, nl=False)


@main.command("agree")
@click.argument("policy", type=click.Path(dir_okay=False))
@click.option(
    "--data",
    required=True,
    type=click.Path(dir_okay=False),
    help="CSV table of published results, one row per organisation (and period).",
)
@click.option(
    "--map",
    "mapping",
    required=True,
    type=click.Path(dir_okay=False),
    metavar="MAPPING.toml",
    help="How the table's columns read as the policy's inputs, and which column holds the published "
    "outcome ([published] outcome, group, name).",
)
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the report here (default: standard output).")
@click.option("--allow-missing", is_flag=True, help="Take columns the table lacks as missing (with a warning).")
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
    Example (NHS England's quarter 3 2025/26 segments):
      policyc agree policies/oversight_2025.policy \\
          --data ../shared/data/nof_q3_2025_26/trusts.csv \\
          --map mappings/nof_q3_2025_26.toml --allow-missing
    """
    compiled = compiled_policy(policy)
    try:
        run_agree(compiled, policy, data, mapping, fmt, out, allow_missing, fail_under)
    except Exception as error:  # a bug of ours must still end in a message, not a traceback
        fail(render.render_text(internal_error(Path(policy), error), {}))


def run_agree(
    compiled,
    policy: str,
    data: str,
    mapping: str,
    fmt: str,
    out: str | None,
    allow_missing: bool,
    fail_under: float | None,
) -> None:
    from policyc.analysis import agreement

    run = evaluated(compiled, data, allow_missing, mapping)
    read = run.mapping
    assert read is not None  # --map is required
    if read.published is None:
        fail(f"error: {mapping}: no [published] table naming the column that holds the published outcome")
    try:
        cells = agreement.published_cells(run.text, read.published)
    except KeyError as error:
        fail(f"error: {mapping}: [published] names columns that {data} lacks: {error.args[0]}")
    result = agreement.compare(compiled, run.module, run.frame, run.values, run.notes, cells, read.published)
    program = compiled.program
    title = (
        f"{program.name}{' ' + program.version if program.version else ''} ({policy})\nagainst {read.title} ({data})"
    )
    title += "".join(f"\n  mapping assumes: {text}" for text in read.assumptions)
    deliver((agreement.to_json if fmt == "json" else agreement.to_text)(result, title), out)
    if fail_under is not None and result.compared and 100 * result.agree / result.compared < fail_under:
        fail(f"error: agreement {agreement.percent(result.agree, result.compared)} is below {fail_under:g}%")


@main.command("compare")
@click.argument("policy_a", metavar="A.policy", type=click.Path(dir_okay=False))
@click.argument("policy_b", metavar="B.policy", type=click.Path(dir_okay=False))
@click.option(
    "--data",
    type=click.Path(dir_okay=False),
    help="CSV table holding the inputs of both policies. Without it, search for organisation profiles "
    "that the two rate most differently.",
)
@click.option("--format", "fmt", type=click.Choice(("table", "json", "html")), default="table", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the result here (default: standard output).")
@click.option(
    "--html",
    "html_out",
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="Also write the HTML report here (with --data).",
)
@click.option("--allow-missing", is_flag=True, help="Take columns the table lacks as missing (with a warning).")
@click.option(
    "--map",
    "mapping",
    type=click.Path(dir_okay=False),
    metavar="MAPPING.toml",
    help="Read the table's columns and values as the policies' inputs through this mapping.",
)
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
    try:
        if data is None:
            run_search(compiled, (policy_a, policy_b), fmt, out, want, examples, seed)
        else:
            run_compare(compiled, (policy_a, policy_b), data, fmt, out, html_out, allow_missing, mapping)
    except Exception as error:  # a bug of ours must still end in a message, not a traceback
        fail(render.render_text(internal_error(Path(policy_a), error), {}))


def run_compare(
    compiled,
    paths,
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
        try:
            loaded = comparison.load(
                policy, text, data, allow_missing, lambda w, path=path: click.echo(f"warning: {path}: {w}", err=True)
            )
        except DataError as error:
            fail(f"error: reading for {path}: {error.message}")
        try:
            sides.append(comparison.Side.evaluate(path, policy, loaded))
        except EvalError as error:
            fail(f"error: {describe_failure(error, loaded[0], data)}")
    doc = comparison.document(*sides, data, comparison.names(text))
    render_output = {"table": comparison.to_table, "json": comparison.to_json, "html": render_html}[fmt]
    deliver(render_output(doc), out)
    if html_out is not None:
        deliver(render_html(doc), html_out)
        click.echo(f"wrote the report to {html_out}", err=True)


def run_search(compiled, paths, fmt: str, out: str | None, want: str | None, examples: int, seed: int) -> None:
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
    from hypothesis.configuration import set_hypothesis_home_dir

    with tempfile.TemporaryDirectory(prefix="policyc-search-") as home:
        set_hypothesis_home_dir(home)  # Hypothesis keeps notes on disk; they are of no use after the search
        try:
            result = search.search(*compiled, want=wanted, max_examples=examples, seed=seed)
        except ValueError as error:
            fail(f"error: {error}")
    deliver(search.to_json(result) if fmt == "json" else search.to_text(result, *paths), out)


@main.command("test")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
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
    --coverage-min, or when a policy has errors; 2 when a file cannot be read.
    """
    from policyc.analysis import testing
    from policyc.backend.codegen import generate
    from policyc.backend.compile import Compiled
    from policyc.ir.lower import lower

    reports, failed = [], False
    for path in expand(paths):
        try:
            result = check_file(path)
        except Unreadable as error:
            fail(f"{path}: cannot read the file: {error}", 2)
        if not result.ok:
            for diag in result.diagnostics.sorted():
                if diag.is_error:
                    click.echo(render.render_text(diag, result.sources), err=True)
            fail(f"{path}: the policy has errors; fix them first")
        try:
            program = lower(result.checked)
            compiled = Compiled(program, generate(program), result.sources)
            if suggest:
                text, disagreements = testing.suggestions(compiled, str(path))
                click.echo(text)
                failed = failed or disagreements > 0
                continue
            report = testing.run(result.checked, compiled, str(path))
        except Exception as error:  # a bug of ours must still end in a message, not a traceback
            fail(render.render_text(internal_error(path, error), {}))
        reports.append(report)
        failed = failed or report.failed > 0 or (coverage_min is not None and report.percent < coverage_min)
    if suggest:
        sys.exit(1 if failed else 0)
    click.echo(testing.to_json(reports) if fmt == "json" else testing.to_text(reports), nl=False)
    if coverage_min is not None:
        for report in reports:
            if report.percent < coverage_min:
                click.echo(f"error: {report.path}: coverage {report.percent:.1f}% is below {coverage_min:g}%", err=True)
    if failed:
        sys.exit(1)
