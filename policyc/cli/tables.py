"""The commands that run policies on a table: eval, agree and compare (with its search without data)."""

from __future__ import annotations

import functools
import importlib.util
import tempfile
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from policyc.cli import style
from policyc.cli.group import (
    IN,
    OUT,
    STDOUT,
    compiled_policy,
    deliver,
    fail,
    format_option,
    main,
    out_option,
    processing,
    refused,
)
from policyc.cli.progress import progress
from policyc.syntax.text import printable

T = TypeVar("T")

if TYPE_CHECKING:
    import numpy as np

    from policyc.analysis.evaluation import Evaluation, SqlEvaluation
    from policyc.analysis.likely import LikelyRanges
    from policyc.backend.compile import Compiled
    from policyc.backend.frame import Frame
    from policyc.data.formats import Options


def evaluated(
    compiled: Compiled, data: str, allow_missing: bool, mapping: str | None, reading: Options | None = None
) -> Evaluation:
    """The table read (as `reading` says, through the mapping, if any) and evaluated, or an exit with the message."""
    from policyc.analysis.evaluation import evaluate_file

    with progress(f"reading and evaluating {printable(data)}"):
        run = guarded(
            lambda: evaluate_file(compiled, data, mapping=mapping, allow_missing=allow_missing, options=reading)
        )
    warn(run.warnings)
    return run


def evaluated_on_duckdb(
    compiled: Compiled, data: str, allow_missing: bool, mapping: str | None, reading: Options | None = None
) -> SqlEvaluation:
    """As `evaluated`, by the policy's SQL on DuckDB; or an exit naming the extra it needs or the constructs
    it cannot run."""
    missing = [name for name in ("sqlglot", "duckdb") if importlib.util.find_spec(name) is None]
    if missing:  # an extra
        fail(f"error: the duckdb engine needs {' and '.join(missing)}: pip install 'policyc[sql]'", 2)
    from policyc.analysis.evaluation import evaluate_file_on_duckdb
    from policyc.backend.sql import engine

    try:
        run = guarded(
            lambda: evaluate_file_on_duckdb(
                compiled, data, mapping=mapping, allow_missing=allow_missing, options=reading
            )
        )
    except engine.Refused as error:
        refused(compiled, error.diagnostics)
    warn(run.warnings)
    return run


def guarded(run: Callable[[], T]) -> T:
    """What `run` gives, or an exit with the message of a table it cannot read or a rule that cannot give a value."""
    from policyc.analysis.evaluation import RuleFailed
    from policyc.data.table import DataError

    try:
        return run()
    except DataError as error:
        fail(f"error: {error.message}")
    except RuleFailed as error:
        warn(error.warnings)
        fail(f"error: {error.message}")


def warn(warnings: list[str]) -> None:
    for warning in warnings:
        click.echo(style.prefixed(f"warning: {warning}"), err=True)


DATA = click.option(
    "--data",
    required=True,
    type=IN,
    help="The table: CSV, an Excel workbook (.xlsx) or Parquet; one row per organisation (and period), a column "
    "per input.",
)
# Another delimiter's names, as a shell passes them.
DELIMITER_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def table_options(command: Callable[..., T]) -> Callable[..., T]:
    """--delimiter, --encoding and --sheet: how to read the table file, given to `command` as `reading`."""

    @functools.wraps(command)
    def with_reading(*args: Any, delimiter: str | None, encoding: str | None, sheet: str | None, **kwargs: Any) -> T:
        from policyc.data.formats import Options

        if delimiter is not None:
            delimiter = DELIMITER_NAMES.get(delimiter.lower(), delimiter)
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise click.BadParameter(
                    "one character (or tab, comma, semicolon, pipe), not a quote or a line break",
                    param_hint="--delimiter",
                )
        return command(*args, reading=Options(delimiter, encoding, sheet), **kwargs)

    options = [
        click.option(
            "--delimiter",
            metavar="CHAR",
            help="A CSV table's delimiter (tab: `tab`); by default the header line's: comma, semicolon, tab or pipe.",
        ),
        click.option(
            "--encoding",
            metavar="NAME",
            help="A CSV table's encoding (e.g. cp1252, latin-1); by default UTF-8, with or without a byte-order mark.",
        ),
        click.option("--sheet", metavar="NAME|N", help="An Excel table's sheet, by name or position (1: the first)."),
    ]
    for option in reversed(options):
        with_reading = option(with_reading)
    return with_reading


ALLOW_MISSING = click.option(
    "--allow-missing", is_flag=True, help="Take columns the table lacks as missing (with a warning)."
)


def mapping_option(help: str, required: bool = False) -> Any:
    return click.option("--map", "mapping", required=required, type=IN, metavar="MAPPING.toml", help=help)


@main.command("eval")
@click.argument("policy", type=IN)
@DATA
@format_option(
    "table",
    "json",
    "csv",
    "parquet",
    "xlsx",
    help="table: the derived values, for reading (fitted to the terminal's width on one); json, csv, parquet and "
    "xlsx (an Excel workbook): every named value, a row per organisation and period, typed in parquet and xlsx.",
)
@out_option("the results")
@click.option(
    "--explain", "org", metavar="ORG", help="Print how ORG's outcome came about, step by step (ORG@2025Q3: one period)."
)
@click.option("--columns", metavar="A,B", help="Only these named values, in this order (e.g. average_score,segment).")
@click.option("--org", "orgs", metavar="ORG[,ORG]", help="Only the rows of these organisations.")
@click.option("--period", metavar="PERIOD", help="Only the rows of this period (2025Q3); with --explain, its period.")
@ALLOW_MISSING
@mapping_option("Read the table's columns and values as the policy's inputs through this mapping.")
@click.option("--engine", type=click.Choice(["numpy", "duckdb"]), default="numpy", help="What evaluates the policy.")
@click.option(
    "--likely-range",
    "likely",
    is_flag=True,
    help="Add how sure each outcome is: the likely range of the average of metric scores and of the rank, and each "
    "outcome value's share, from a bootstrap of each organisation's own scores.",
)
@click.option(
    "--replicates", type=click.IntRange(1, 1_000_000), default=10_000, show_default=True, help="With --likely-range."
)
@click.option(
    "--seed", type=int, default=0, show_default=True, help="With --likely-range: the same seed, the same ranges."
)
@click.option(
    "--level",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.95,
    show_default=True,
    help="With --likely-range: the share of replicates a range holds.",
)
@table_options
def evaluate(
    policy: str,
    data: str,
    fmt: str,
    out: str | None,
    org: str | None,
    columns: str | None,
    orgs: str | None,
    period: str | None,
    allow_missing: bool,
    mapping: str | None,
    engine: str,
    likely: bool,
    replicates: int,
    seed: int,
    level: float,
    reading: Options,
) -> None:
    """Evaluate POLICY on every row of a table (CSV, an Excel workbook or Parquet).

    \b
    A column named after a derived value (or `metric.score`) replaces that value
    wherever its cell is not empty. --columns, --org and --period choose what the
    results show, in every format. With --explain ORG (or ORG@2025Q3, or --period), the
    explanation is printed and the results go only to --out, if given. Exits 1 on a policy error, bad data, or a
    rule that cannot give a value, with a message naming the file, line and column.

    \b
    --likely-range adds, for a policy whose outcome rests on an average of metric
    scores, AVERAGE_low and AVERAGE_high, rank, rank_low and rank_high (within the
    cohort, by outcome then average), and p_OUTCOME_VALUE for each value: each
    organisation's scores resampled with replacement in --replicates replicates.
    """
    from policyc.analysis.explain import NotInTable, explain

    if org is not None and "@" in org:
        org, _, at = org.rpartition("@")
        if period is not None and period != at:
            raise click.UsageError(f"two periods: {at} after the @, and --period {period}")
        period = at
    compiled = compiled_policy(policy)
    from policyc.data import results

    names = None
    if columns is not None:
        try:
            names = results.chosen_columns(compiled.program, columns)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--columns") from None
    if engine == "duckdb" and org is not None:
        fail("error: --explain needs the numpy engine, which keeps each step's values")
    if engine == "duckdb" and likely:
        fail("error: --likely-range needs the numpy engine, which evaluates the replicates")
    if engine == "duckdb":
        sql = evaluated_on_duckdb(compiled, data, allow_missing, mapping, reading)
        note_missing(compiled, sql.frame, sql.values)
        deliver(rendered(compiled, data, sql.frame, sql.values, fmt, out, names, orgs, None if org else period), out)
        return
    run = evaluated(compiled, data, allow_missing, mapping, reading)
    if org is None:  # an explanation is of one organisation: the table's missing outcomes are not its business
        note_missing(compiled, run.frame, run.values)
    values, ranges = run.values, None
    if likely:
        ranges = likely_ranges_of(run, replicates, level, seed)
        values = {**run.values, **ranges.columns}
    extra = None if ranges is None else ranges.whole
    # with --explain, --period chooses the period explained: the results keep every period
    text = rendered(compiled, data, run.frame, values, fmt, out, names, orgs, None if org else period, extra)
    if org is None:
        deliver(text, out)
        return
    try:
        explanation = explain(
            compiled, run.module, run.frame, run.values, run.notes, org, period, table=data, likely=ranges
        )
    except (NotInTable, ValueError) as error:
        fail(printable(f"error: {error}"))
    if out is not None:
        deliver(text, out)
    click.echo(explanation, nl=False)


def note_missing(compiled: Compiled, frame: Frame, values: dict[str, np.ndarray]) -> None:
    """A warning, on standard error, of the rows whose outcome is missing and what their missing cells trace to."""
    from policyc.analysis.missing import missing
    from policyc.ir.nodes import outcome

    found = missing(compiled.program, frame, values, outcome(compiled.program))
    if found.rows:
        click.echo(style.prefixed(printable(f"warning: {found.text()}")), err=True)


def likely_ranges_of(run: Evaluation, replicates: int, level: float, seed: int) -> LikelyRanges:
    """The likely ranges of the evaluation's rows, with a bar while the replicates run; or an exit saying why not."""
    from policyc.analysis.likely import NoAverage, likely_ranges

    try:
        with progress(f"resampling the scores: {replicates:,} replicates", replicates) as done:
            return likely_ranges(
                run.compiled,
                run.module,
                run.frame,
                run.values,
                replicates=replicates,
                level=level,
                seed=seed,
                progress=done,
            )
    except (NoAverage, ValueError) as error:
        fail(printable(f"error: --likely-range: {error}"))


def rendered(
    compiled: Compiled,
    data: str,
    frame: Frame,
    values: dict[str, np.ndarray],
    fmt: str,
    out: str | None,
    names: list[str] | None,
    orgs: str | None,
    period: str | None,
    extra: dict[str, bool] | None = None,
) -> str | bytes:
    """The results in the format asked for, on the rows and columns chosen; a table for a terminal fitted to its
    width, with the outcome first after the organisation's columns."""
    from policyc.cli import terminal
    from policyc.data import results
    from policyc.data.table import DataError
    from policyc.ir.nodes import outcome

    program = compiled.program
    if orgs is not None or period is not None:
        try:
            frame, values = results.rows_of(frame, values, results.chosen_rows(frame, orgs, period))
        except ValueError as error:
            fail(f"error: {printable(data)}: {error}")
    if fmt != "table":
        writers: dict[str, Callable[..., str | bytes]] = {
            "json": results.to_json,
            "csv": results.to_csv,
            "parquet": results.to_parquet,
            "xlsx": results.to_xlsx,
        }
        try:
            return writers[fmt](program, frame, values, names, extra)
        except DataError as error:
            fail(printable(f"error: {error}"))
    room = terminal.width() if out is None or out == STDOUT else None
    if room is None:
        return results.to_table(program, frame, values, names, extra)
    header, cells, right = results.table_cells(program, frame, values, names, extra)
    keys = 3 if frame.period is not None else 2
    if names is None and outcome(program) in header:  # the outcome where it is always seen
        k = header.index(outcome(program))
        order = [*range(keys), k, *(j for j in range(keys, len(header)) if j != k)]
        header, cells, right = [header[j] for j in order], [cells[j] for j in order], [right[j] for j in order]
    return terminal.fitted(header, cells, right, room, keep=keys + 1)


@main.command("improve")
@click.argument("policy", type=IN)
@DATA
@click.option("--org", "org", required=True, metavar="ORG", help="The organisation (ORG@2025Q3: one period).")
@click.option("--period", metavar="PERIOD", help="Its period (2025Q3), where the table has several.")
@click.option("--to", "target", required=True, metavar="VALUE", help="The outcome to reach, or better (e.g. 2).")
@format_option("text", "json")
@out_option("the answer")
@ALLOW_MISSING
@mapping_option("Read the table's columns and values as the policy's inputs through this mapping.")
@table_options
def improve_command(
    policy: str,
    data: str,
    org: str,
    period: str | None,
    target: str,
    fmt: str,
    out: str | None,
    allow_missing: bool,
    mapping: str | None,
    reading: Options,
) -> None:
    """What it would take for ORG to reach the outcome --to or better, its peers held fixed.

    \b
    For each metric alone, the smallest change of its value that reaches it (a score
    changes only where the value passes a peer's, so the peers' values are searched
    exactly); where none does alone, the fewest metrics found together; the caps that
    no metric can lift; and the average's distance to the cut point. Every suggestion
    is verified by evaluating the whole table again with the changed values.

    \b
    Example:
      policyc improve policies/oversight_2025.policy \\
          --data examples/england_synthetic.csv --org SYNA003@2025Q3 --to 2
    """
    from policyc.analysis import improve
    from policyc.analysis.explain import NotInTable, rows_of

    if "@" in org:
        org, _, at = org.rpartition("@")
        if period is not None and period != at:
            raise click.UsageError(f"two periods: {at} after the @, and --period {period}")
        period = at
    run = evaluated(compiled_policy(policy), data, allow_missing, mapping, reading)
    try:
        rows = rows_of(run.frame, org, period, table=data)
    except (NotInTable, ValueError) as error:
        fail(printable(f"error: {error}"))
    if len(rows) > 1:
        assert run.frame.period is not None  # several rows of one organisation: it has periods
        from policyc.data.cells import format_period

        periods = ", ".join(format_period(int(run.frame.period[r])) for r in rows)
        fail(printable(f"error: `{org}` has a row in each of {periods}: choose one, `{org}@PERIOD` or --period"))
    with progress(f"searching what would bring {printable(org)} to {printable(target)}"):
        try:
            found = improve.improve(run.compiled, run.module, run.frame, run.values, run.notes, rows[0], target)
        except ValueError as error:
            fail(printable(f"error: {error}"))
    deliver(improve.to_json(found) if fmt == "json" else improve.to_text(found), out)


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
@click.option(
    "--tolerance",
    type=click.FloatRange(0),
    default=0.005,
    show_default=True,
    help="Where the mapping names each step's published key: how far two numbers may differ and agree.",
)
@click.option("--step", "only", multiple=True, metavar="NAME", help="--fail-under for this step only (repeatable).")
@table_options
def agree(
    policy: str,
    data: str,
    mapping: str,
    fmt: str,
    out: str | None,
    allow_missing: bool,
    fail_under: float | None,
    tolerance: float,
    only: tuple[str, ...],
    reading: Options,
) -> None:
    """Hold POLICY's outcome to published results: agreement per group, and each disagreement with its reason.

    \b
    Where the mapping reads a long table and names the published key of each value
    ([long.published]), every step is checked: each metric score, the average, the
    domains and segments, per org type and period, numbers within --tolerance.

    \b
    Exits 1 when nothing was compared (no row has a published outcome), and with
    --fail-under, when the agreement (of every step, or those --step names) is below it.

    \b
    Example (NHS England's quarter 3 2025/26 segments):
      policyc agree policies/oversight_2025.policy \\
          --data ../shared/data/nof_q3_2025_26/trusts.csv \\
          --map mappings/nof_q3_2025_26.toml --allow-missing
    """
    from policyc.analysis import agreement
    from policyc.data.table import DataError

    run = evaluated(compiled_policy(policy), data, allow_missing, mapping, reading)
    assert run.mapping is not None  # --map is required
    if run.mapping.long is not None and run.mapping.long.published:
        from policyc.analysis import stepwise

        try:
            found = stepwise.steps(run, data, tolerance)
        except DataError as error:
            fail(f"error: {error.message}")
        unknown = [name for name in only if name not in {s.value for s in found}]
        if unknown:
            raise click.BadParameter(f"`{unknown[0]}` is not a step the mapping checks", param_hint="--step")
        title = agreement.title(run, policy, data)
        if fmt == "json":
            deliver(stepwise.to_json(found, policy, data, run.mapping.assumptions), out)
        else:
            deliver(stepwise.to_text(found, title), out)
        short = stepwise.shortfall(found, fail_under, only, data)
        if short is not None:
            fail(f"error: {short}")
        return
    if only:
        raise click.BadParameter("the mapping names no published key per step ([long.published])", param_hint="--step")
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
@click.argument("policy_b", metavar="[B.policy]", type=IN, required=False)
@click.option(
    "--periods",
    metavar="FIRST,SECOND",
    help="With --data and one policy: its outcomes in one period beside another's (e.g. 2025Q1,2025Q2).",
)
@click.option(
    "--data",
    type=IN,
    help="CSV table holding the inputs of both policies. Without it, search for organisation profiles "
    "that the two rate most differently.",
)
@format_option("table", "json", "csv", "html", help="table for reading; json, csv (a row per organisation) or html.")
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
@table_options
def compare(
    policy_a: str,
    policy_b: str | None,
    periods: str | None,
    data: str | None,
    fmt: str,
    out: str | None,
    html_out: str | None,
    allow_missing: bool,
    mapping: str | None,
    want: str | None,
    examples: int,
    seed: int,
    reading: Options,
) -> None:
    """Compare two policies side by side: on a table, or by searching for profiles they rate differently.

    \b
    With --data, every organisation (and period) that either policy rates, with both
    outcomes, the cross-tabulation of outcomes, and each organisation that stands
    differently with the steps that decided each outcome. Organisations of an org type
    that a policy does not declare are "not rated" by it. Without --data, a search for
    the organisation profiles that the two rate most differently, with the simplest
    witness found and its explanation under each policy. With one policy and --periods,
    its outcomes in one period beside another's: who moved from one quarter to the
    next, and why.

    \b
    Examples:
      policyc compare policies/performance_2009.policy policies/oversight_2025.policy \\
          --data examples/england_synthetic.csv --html report.html
      policyc compare policies/performance_2009.policy policies/oversight_2025.policy \\
          --want performing,4
      policyc compare policies/oversight_2025.policy --periods 2025Q1,2025Q2 \\
          --data examples/england_synthetic.csv
    """
    if periods is not None:
        chosen = [p.strip() for p in periods.split(",")]
        if len(chosen) != 2 or not all(chosen):
            raise click.BadParameter("two periods, the first and the second: 2025Q1,2025Q2", param_hint="--periods")
        if policy_b is not None:
            raise click.UsageError("--periods compares one policy's periods; give one policy, or leave out --periods")
        if data is None:
            raise click.UsageError("--periods needs --data, the table whose periods are compared")
        compiled_one = compiled_policy(policy_a)
        run_compare(
            (compiled_one, compiled_one),
            (policy_a, policy_a),
            data,
            fmt,
            out,
            html_out,
            allow_missing,
            mapping,
            (chosen[0], chosen[1]),
            reading,
        )
        return
    if policy_b is None:
        raise click.UsageError("two policies to compare, A and B (or one with --periods FIRST,SECOND)")
    if data is None and (html_out is not None or mapping is not None or allow_missing):
        raise click.UsageError("--html, --map and --allow-missing need --data")
    if data is not None and want is not None:
        raise click.UsageError("--want is for the search without data; leave out --data to search")
    compiled = (compiled_policy(policy_a), compiled_policy(policy_b))
    processing(policy_a)  # what follows reads both; a failure names the first, as it always has
    if data is None:
        run_search(compiled, (policy_a, policy_b), fmt, out, want, examples, seed)
    else:
        run_compare(compiled, (policy_a, policy_b), data, fmt, out, html_out, allow_missing, mapping, None, reading)


def run_compare(
    compiled: tuple[Compiled, Compiled],
    paths: tuple[str, str],
    data: str,
    fmt: str,
    out: str | None,
    html_out: str | None,
    allow_missing: bool,
    mapping: str | None,
    periods: tuple[str, str] | None = None,
    reading: Options | None = None,
) -> None:
    from policyc.analysis import compare as comparison
    from policyc.data import formats
    from policyc.data import mapping as mappings
    from policyc.data.table import DataError
    from policyc.report.html import render_html

    read = None
    source = None
    try:
        given = mappings.load(mapping) if mapping is not None else None
        source = formats.read(data, reading)
        text = source.text
        if given is not None:
            read = mappings.translated(given, text, data, (compiled[0].program, compiled[1].program))
            text = read.text
    except DataError as error:
        fail(f"error: {source.placed(error.message) if source is not None else error.message}")
    placed = source.placed

    def warned(path: str, message: str) -> None:
        click.echo(style.prefixed(f"warning: {path}: {placed(message)}"), err=True)

    from policyc.analysis.evaluation import placed as placed_in

    with progress(f"comparing on {printable(data)}"):
        if periods is None:
            doc = guarded(
                lambda: placed_in(source)(comparison.compare_text)(
                    compiled, paths, text, data, allow_missing=allow_missing, warn=warned, read=read
                )
            )
        else:
            doc = guarded(
                lambda: placed_in(source)(comparison.compare_periods)(
                    compiled[0], paths[0], text, data, periods, allow_missing=allow_missing, warn=warned, read=read
                )
            )
    from policyc.cli import terminal

    room = terminal.width() if out is None or out == STDOUT else None
    render_output = {
        "table": lambda doc: comparison.to_table(doc, width=room or 100),
        "json": comparison.to_json,
        "csv": comparison.to_csv,
        "html": render_html,
    }[fmt]
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

    if fmt in ("html", "csv"):
        fail(f"error: the {fmt.upper()} output needs --data; without it, compare searches and prints text or JSON")
    try:
        wanted = search.parse_want(want) if want is not None else None
    except ValueError as error:
        fail(f"error: {error}")
    with tempfile.TemporaryDirectory(prefix="policyc-search-") as home:
        set_hypothesis_home_dir(home)  # Hypothesis keeps notes on disk; they are of no use after the search
        try:
            with progress("searching for organisations the policies rate differently", examples) as done:
                result = search.search(*compiled, want=wanted, max_examples=examples, seed=seed, progress=done)
        except ValueError as error:
            fail(f"error: {error}")
    deliver(search.to_json(result) if fmt == "json" else search.to_text(result, *paths), out)
