"""The Python API: load a policy, evaluate it on a data frame or a CSV file, explain a result, compare two policies.

A table means here exactly what it means to `policyc eval`: a data frame is written out as CSV by its own library
and read by the same reader, so its cells pass the same checks and its values come out the same.
"""

from __future__ import annotations

import html
import importlib
import importlib.util
import io
import os
import re
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from policyc.analysis import compare as side_by_side
from policyc.analysis.comparison import BETTER, WORSE, Document
from policyc.analysis.evaluation import (
    Evaluation,
    RuleFailed,
    SqlEvaluation,
    evaluate_file,
    evaluate_file_on_duckdb,
    evaluate_text,
    evaluate_text_on_duckdb,
)
from policyc.analysis.explain import explain, rows_of
from policyc.backend.codegen import generate
from policyc.backend.compile import Compiled
from policyc.data import formats, results
from policyc.data import mapping as mappings
from policyc.data.cells import format_period, parse_period
from policyc.data.table import DataError, records
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.report.html import render_html
from policyc.semantics.driver import Result, check_source
from policyc.syntax import diagnostics as render
from policyc.syntax.diagnostics import Diagnostic
from policyc.syntax.read import read_source
from policyc.syntax.source import Source

__all__ = [
    "Comparison",
    "DataError",
    "DataWarning",
    "EvaluationError",
    "Explanation",
    "Policy",
    "PolicyError",
    "compare",
    "load",
]

# What a policy given as text is called in its diagnostics; its folder, for `extends`, is the current one.
TEXT = "<policy text>"

# Each library's table, by where its class lives: checked against the modules already imported, so that
# telling a frame apart never imports a library the caller has not.
FRAMES = {
    "pandas": ("pandas", "DataFrame"),
    "polars": ("polars", "DataFrame"),
    "arrow": ("pyarrow", "Table"),
    "duckdb": ("duckdb", "DuckDBPyRelation"),
}
# What a frame is called in messages, where a file would be named.
FRAME_NAMES = {
    "pandas": "<DataFrame>",
    "polars": "<polars DataFrame>",
    "arrow": "<pyarrow Table>",
    "duckdb": "<DuckDB relation>",
}
# The extra that installs each library: `pip install "policyc[arrow]"`.
EXTRAS = {"pandas": "pandas", "polars": "polars", "pyarrow": "arrow", "duckdb": "sql", "sqlglot": "sql"}
ENGINES = ("numpy", "duckdb")

Table = Any  # a pandas or polars DataFrame, a pyarrow Table, a DuckDB relation, or a table file's path
PathArg = str | os.PathLike[str]


class PolicyError(Exception):
    """A policy with errors: `diagnostics` holds every error and warning; str() renders them as `policyc check` does."""

    def __init__(self, path: str, diagnostics: Sequence[Diagnostic], sources: dict[str, Source]):
        self.path = path
        self.diagnostics = list(diagnostics)
        self.sources = sources
        super().__init__(self.path)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    def __str__(self) -> str:
        blocks = [render.render_text(d, self.sources) for d in self.diagnostics]
        errors = len(self.errors)
        others = len(self.diagnostics) - errors
        summary = (
            f"{self.path}: {errors} error{'s' if errors != 1 else ''}, {others} warning{'s' if others != 1 else ''}"
        )
        return "\n\n".join([*blocks, summary])


class EvaluationError(Exception):
    """A rule that cannot give a value on some row; the message names the policy line and the table's row."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class DataWarning(UserWarning):
    """What reading a table warns of, as `policyc eval` prints it (columns taken as missing, for one)."""


class Explanation:
    """How one organisation's outcome came about; str() is the text `policyc eval --explain ORG` prints."""

    def __init__(self, org: str, period: str | None, text: str):
        self.org = org
        self.period = period
        self.text = text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<Explanation of {self.org}{' ' + self.period if self.period else ''}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(self.text.rstrip("\n"))

    def _repr_html_(self) -> str:
        return f'<pre class="policyc-explanation">{html.escape(self.text)}</pre>'


class Policy:
    """A checked, compiled policy, ready to evaluate; made by `policyc.load`."""

    def __init__(self, path: str, compiled: Compiled, diagnostics: Sequence[Diagnostic]):
        self.path = path  # the file, or "<policy text>"
        self.compiled = compiled
        self.diagnostics = list(diagnostics)  # the warnings, in file order: a loaded policy has no error
        self._last: Evaluation | None = None
        self._kind = "pandas"  # the kind of table last evaluated, which the ranges are given as
        self._engine = "numpy"  # the engine that evaluated it

    @property
    def program(self) -> ir.Program:
        return self.compiled.program

    @property
    def name(self) -> str:
        return self.program.name

    @property
    def version(self) -> str | None:
        return self.program.version

    @property
    def outcome(self) -> str:
        """The value a result is about: the declared `outcome`, else the last derived value."""
        return ir.outcome(self.program)

    @property
    def org_types(self) -> tuple[str, ...]:
        return self.program.org_types

    @property
    def inputs(self) -> tuple[str, ...]:
        """The inputs, judgements and metrics: the columns a table gives."""
        return tuple(c.name for c in self.program.columns)

    @property
    def values(self) -> tuple[str, ...]:
        """Every named value, in the order results give them: a metric's score (`name.score`) after the metric."""
        return tuple(d.name for d in self.program.outputs())

    def __repr__(self) -> str:
        version = f" {self.version}" if self.version else ""
        return f"<Policy {self.name}{version} ({self.path}): {len(self.values)} values, outcome {self.outcome}>"

    def evaluate(
        self,
        table: Table,
        mapping: PathArg | None = None,
        allow_missing: bool = False,
        *,
        sheet: str | int | None = None,
        delimiter: str | None = None,
        encoding: str | None = None,
        engine: str = "numpy",
    ) -> Any:
        """Every named value on every row of `table`, as a table of the same kind (pandas for a file's path, a
        pyarrow Table for a DuckDB relation).

        A path is read by its suffix: `.xlsx` a workbook (its `sheet` by name or by position from 1, the first by
        default), `.parquet` Parquet, any other CSV (with `delimiter`, by default the header line's, and
        `encoding`, by default UTF-8). Raises DataError for a table the policy cannot read, EvaluationError for a
        rule that cannot give a value. The evaluation is kept for `explain`.

        `engine="duckdb"` evaluates the table, read and checked the same way, by the policy's SQL query on DuckDB
        (the `sql` extra), with the same values; PolicyError (PC701) for a policy the query cannot express exactly.
        `explain`, `improve` and `likely_ranges` need the numpy engine's evaluation.
        """
        if engine not in ENGINES:
            raise ValueError(f"engine is one of {', '.join(map(repr, ENGINES))}, not {engine!r}")
        read = _read(table)
        options = _options(read, sheet, delimiter, encoding)
        mapping_path = None if mapping is None else os.fspath(mapping)
        if engine == "duckdb":
            run = self._on_duckdb(read, mapping_path, allow_missing, options)
            self._last, self._kind, self._engine = None, read.kind, engine
            return _result_table(read.kind, results.typed_columns(self.program, run.frame, run.values))
        evaluation = self._read_and_run(read, evaluate_file, evaluate_text, mapping_path, allow_missing, options)
        self._last = evaluation
        self._kind, self._engine = read.kind, engine
        return _result_table(read.kind, results.typed_columns(self.program, evaluation.frame, evaluation.values))

    def _on_duckdb(
        self, read: _Read, mapping_path: str | None, allow_missing: bool, options: formats.Options
    ) -> SqlEvaluation:
        missing = [name for name in ("sqlglot", "duckdb") if importlib.util.find_spec(name) is None]
        if missing:
            raise ImportError(f"engine='duckdb' needs {' and '.join(missing)}: pip install 'policyc[sql]'")
        from policyc.backend.sql.engine import Refused

        try:
            return self._read_and_run(
                read, evaluate_file_on_duckdb, evaluate_text_on_duckdb, mapping_path, allow_missing, options
            )
        except Refused as refused:
            raise PolicyError(self.path, refused.diagnostics, self.compiled.sources) from None

    def _read_and_run(
        self,
        read: _Read,
        on_file: Callable[..., Any],
        on_text: Callable[..., Any],
        mapping_path: str | None,
        allow_missing: bool,
        options: formats.Options,
    ) -> Any:
        """The table evaluated by one engine (`on_file` for a file's path, `on_text` for a frame's text), its
        problems raised naming the table as it was given and its warnings issued."""
        try:
            if read.text is None:
                run = on_file(
                    self.compiled, read.path, mapping=mapping_path, allow_missing=allow_missing, options=options
                )
            else:
                mapped = None if mapping_path is None else mappings.load(mapping_path)
                run = on_text(self.compiled, read.text, read.path, mapping=mapped, allow_missing=allow_missing)
        except DataError as error:
            raise DataError(read.placed(error.message)) from None
        except RuleFailed as error:
            _warn(error.warnings, read)
            raise EvaluationError(read.placed(error.message)) from None
        _warn(run.warnings, read)
        return run

    def _evaluated(self, what: str) -> Evaluation:
        if self._last is None and self._engine == "duckdb":
            raise ValueError(
                f"the table was evaluated with engine='duckdb': policy.{what} needs the numpy engine's evaluation, "
                "so evaluate it with the default engine first"
            )
        if self._last is None:
            raise ValueError(f"no table evaluated yet: call policy.evaluate(table) first, then policy.{what}")
        return self._last

    def likely_ranges(self, replicates: int = 10_000, level: float = 0.95, seed: int = 0) -> Any:
        """How sure each outcome of the table last evaluated is, as `policyc eval --likely-range` gives it: a table
        of the same kind with org, org_type, period and `AVERAGE_low`, `AVERAGE_high`, `rank`, `rank_low`,
        `rank_high` and `p_OUTCOME_VALUE` for each value. Raises ValueError (NoAverage) for an outcome that rests
        on no average of metric scores."""
        from policyc.analysis.likely import likely_ranges

        evaluation = self._evaluated("likely_ranges()")
        ranges = likely_ranges(
            self.compiled,
            evaluation.module,
            evaluation.frame,
            evaluation.values,
            replicates=replicates,
            level=level,
            seed=seed,
        )
        columns = results.typed_columns(self.program, evaluation.frame, ranges.columns, [], ranges.whole)
        return _result_table(self._kind, columns)

    def improve(self, org: str, to: str, period: str | None = None) -> Any:
        """What it would take for `org` (in `period`, where the table has several) to reach the outcome `to` or
        better on the table last evaluated, as `policyc improve` gives it: an `Improvement`, whose `text()` is the
        answer in words. Raises LookupError for an organisation or period the table lacks, ValueError for a
        target that is not a value of the outcome."""
        from policyc.analysis import improve

        evaluation = self._evaluated(f"improve({org!r}, ...)")
        rows = rows_of(evaluation.frame, org, period)
        if len(rows) > 1:
            raise LookupError(f"`{org}` has a row in each of several periods: give period=, such as '2025Q3'")
        return improve.improve(
            self.compiled, evaluation.module, evaluation.frame, evaluation.values, evaluation.notes, rows[0], str(to)
        )

    def explain(self, org: str, period: str | None = None) -> Explanation:
        """How `org`'s outcome came about on the table last evaluated: each period's, or `period`'s (`2025Q3`)."""
        evaluation = self._evaluated("explain(org)")
        # NotInTable is a LookupError, ValueError a period not written like 2025Q3
        text = explain(
            self.compiled, evaluation.module, evaluation.frame, evaluation.values, evaluation.notes, org, period
        )
        return Explanation(org, None if period is None else format_period(parse_period(period)), text)


def load(policy: PathArg) -> Policy:
    """A policy from its file, or from its text: a str holding a line break is the text, anything else a path.

    A variant's `extends` is read relative to the file's folder, or to the current folder for text. Raises
    PolicyError when the policy has errors, OSError (FileNotFoundError, ...) when the file cannot be read.
    """
    if isinstance(policy, str) and "\n" in policy:
        source = Source(TEXT, policy)
    else:
        source = read_source(os.fspath(policy))
    return _compiled(check_source(source))


def _compiled(result: Result) -> Policy:
    diagnostics = result.diagnostics.sorted()
    if not result.ok or result.checked is None:
        raise PolicyError(result.path, diagnostics, result.sources)
    program = lower(result.checked)
    return Policy(result.path, Compiled(program, generate(program), result.sources), diagnostics)


def _policy(policy: Policy | PathArg) -> Policy:
    return policy if isinstance(policy, Policy) else load(policy)


# ---------------------------------------------------------------- comparisons


class Comparison:
    """Two policies over one table, as `policyc compare` reports them: `document` holds everything."""

    def __init__(self, document: Document):
        self.document = document

    def __str__(self) -> str:
        return side_by_side.to_table(self.document)

    def __repr__(self) -> str:
        return f"<Comparison {self.document.title}: {len(self.document.rows)} rows>"

    def to_json(self) -> str:
        return side_by_side.to_json(self.document)

    def html(self) -> str:
        """The full HTML report, one self-contained page, as `policyc compare --html` writes it."""
        return render_html(self.document)

    def to_frame(self) -> Any:
        """A pandas DataFrame, one row per organisation (and period): both outcomes, standings and tiers, the move.

        An outcome is None where it is missing or where the policy does not rate the row (`a_rated`, `b_rated`).
        """
        pd = _library("pandas")
        records = self.document.records()
        frame = pd.DataFrame.from_records(records, columns=list(records[0]) if records else None)
        for column in ("a_standing", "b_standing", "delta"):
            if column in frame:
                frame[column] = frame[column].astype("float64")
        return frame

    def _repr_html_(self) -> str:
        """The summary: the two policies, how many rows stand differently, and the cross-tabulation."""
        doc = self.document
        a, b = doc.policies
        movers = doc.movers()
        table = doc.crosstab
        e = html.escape
        head = "".join(f"<th>{e(value)}</th>" for value in table.b_values)
        body = "".join(
            f"<tr><th>{e(value)}</th>" + "".join(f"<td>{count}</td>" for count in counts) + "</tr>"
            for value, counts in zip(table.a_values, table.counts, strict=True)
        )
        on = f" on {e(doc.data)}" if doc.data else ""
        return (
            f'<div class="policyc-comparison"><p><strong>{e(doc.title)}</strong>{on}</p>'
            f"<p>A: {e(a.title)} ({e(a.file)}), outcome <code>{e(a.outcome)}</code><br>"
            f"B: {e(b.title)} ({e(b.file)}), outcome <code>{e(b.outcome)}</code></p>"
            f"<p>{len(movers.rows)} of the {movers.compared} rows that both rate stand differently "
            f"({movers.worse} {WORSE}, {movers.better} {BETTER}).</p>"
            f"<table><thead><tr><th>{e(a.outcome)} \\ {e(b.outcome)}</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table>"
            "<p>Each row: <code>.to_frame()</code>; the full report: <code>.html()</code>.</p></div>"
        )


def compare(
    a: Policy | PathArg,
    b: Policy | PathArg,
    table: Table,
    mapping: PathArg | None = None,
    allow_missing: bool = False,
    *,
    sheet: str | int | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Comparison:
    """Policies `a` and `b` (Policy objects, or what `load` takes) side by side on one table, as `policyc compare`.

    Each policy rates the rows of its own org types; the others are "not rated" by it. A path is read as
    `Policy.evaluate` reads it. Raises DataError for a table a policy cannot read, EvaluationError for a rule that
    cannot give a value.
    """
    policies = (_policy(a), _policy(b))
    read = _read(table)
    options = _options(read, sheet, delimiter, encoding)
    through = None
    source = formats.Source(read.path, read.text or "")
    try:
        given = None if mapping is None else mappings.load(os.fspath(mapping))
        if read.text is None:
            source = formats.read(read.path, options)
        text = source.text
        if given is not None:
            through = mappings.translated(given, text, read.path, tuple(p.compiled.program for p in policies))
            text = through.text
    except DataError as error:
        raise DataError(read.placed(source.placed(error.message))) from None
    found: dict[str, list[str]] = {policy.path: [] for policy in policies}
    try:
        document = side_by_side.compare_text(
            (policies[0].compiled, policies[1].compiled),
            (policies[0].path, policies[1].path),
            text,
            read.path,
            allow_missing=allow_missing,
            warn=lambda path, message: found[path].append(source.placed(message)),
            read=through,
        )
    except DataError as error:
        raise DataError(read.placed(source.placed(error.message))) from None
    except RuleFailed as error:
        raise EvaluationError(read.placed(source.placed(error.message))) from None
    finally:
        for policy in policies:
            _warn(found[policy.path], read, policy)
    return Comparison(document)


# ---------------------------------------------------------------- tables in


def _library(name: str) -> Any:
    """An optional library, imported when first used; ImportError says which extra installs it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        top = name.partition(".")[0]
        raise ImportError(f"this needs {top}: pip install 'policyc[{EXTRAS[top]}]'") from None


class _Read:
    """A table as the reader takes it: CSV text (None: read the file at `path`), what names it, and its kind."""

    def __init__(self, kind: str, path: str, text: str | None, row_name: Callable[[int], str] | None = None):
        self.kind = kind
        self.path = path
        self.text = text
        self.row_name = row_name  # a frame's row by its position, for messages

    def placed(self, message: str) -> str:
        """A reader's message as this API's caller needs it: a frame's rows where it names the text's lines."""
        message = message.replace("use --allow-missing", "use allow_missing=True")
        message = re.sub(r"--(encoding|delimiter|sheet) ([^\s;,)]+)", r"\1='\2'", message)
        message = re.sub(r"--(encoding|delimiter|sheet)\b", r"\1=", message)
        if self.text is None or self.row_name is None:
            return message
        starts = {first: row - 1 for row, (first, _, _) in enumerate(records(self.text))}
        row_name = self.row_name

        def at(line: str) -> str | None:
            row = starts.get(int(line))
            return None if row is None or row < 0 else row_name(row)

        def in_frame(match: re.Match[str]) -> str:
            if match[1] == "1":  # the header: a frame's column names
                return self.path
            where = at(match[1])
            return f"{self.path}, {where}" if where else match[0]

        def earlier(match: re.Match[str]) -> str:
            where = at(match[1])
            return f"first on {where}" if where else match[0]

        message = re.sub(re.escape(self.path) + r", line (\d+)", in_frame, message)
        return re.sub(r"first on line (\d+)", earlier, message)


def _kind(table: Table) -> str | None:
    for kind, (module_name, class_name) in FRAMES.items():
        module = sys.modules.get(module_name)
        if module is not None and isinstance(table, getattr(module, class_name)):
            return kind
    return None


def _options(read: _Read, sheet: str | int | None, delimiter: str | None, encoding: str | None) -> formats.Options:
    """How to read a table file; TypeError for options given with a table in memory, which has no file to read."""
    if read.text is not None and (sheet, delimiter, encoding) != (None, None, None):
        raise TypeError("sheet, delimiter and encoding are for a table file's path, not a table in memory")
    if isinstance(sheet, bool) or not isinstance(sheet, (str, int, type(None))):
        raise TypeError(f"sheet is a sheet's name or its position from 1, not {type(sheet).__name__}")
    return formats.Options(delimiter, encoding, sheet)


def _read(table: Table) -> _Read:
    if isinstance(table, (str, os.PathLike)):
        return _Read("pandas", os.fspath(table), None)
    kind = _kind(table)
    if kind is None:
        raise TypeError(
            "expected a pandas DataFrame, a polars DataFrame, a pyarrow Table, a DuckDB relation or the path of a "
            "table file (CSV, .xlsx, Parquet), "
            f"not {type(table).__name__}"
        )
    path = FRAME_NAMES[kind]
    if kind == "duckdb":
        # a relation's rows as a pyarrow Table, written out by pyarrow as one is; the result is one too
        table, kind = table.to_arrow_table(), "arrow"
    writer = {"pandas": _pandas_csv, "polars": _polars_csv, "arrow": _arrow_csv}[kind]
    text, row_name = writer(table, path)
    return _Read(kind, path, text, row_name)


def _pandas_csv(frame: Any, path: str) -> tuple[str, Callable[[int], str]]:
    import numpy as np

    pd = _library("pandas")

    def yes_no(value: object) -> object:
        return ("yes" if value else "no") if isinstance(value, (bool, np.bool_)) else value

    converted = {}
    for position, (_, column) in enumerate(frame.items()):
        if pd.api.types.is_bool_dtype(column.dtype):
            converted[position] = column.map({True: "yes", False: "no"})
        elif column.dtype == object:
            converted[position] = column.map(yes_no)
    if converted:
        frame = frame.copy()
        for position, column in converted.items():
            frame.isetitem(position, column)
    index = frame.index
    # A named index (`set_index(["org", "period"])`) holds columns the policy reads; an unnamed one is row labels.
    named = any(name is not None for name in index.names)
    text = frame.to_csv(index=named, lineterminator="\n")
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return text, lambda row: f"row {row}"
    return text, lambda row: f"row {row} (index {index[row]})"


def _polars_csv(frame: Any, path: str) -> tuple[str, Callable[[int], str]]:
    pl = _library("polars")
    yes_no = [
        pl.col(name).cast(pl.String).replace({"true": "yes", "false": "no"})
        for name, dtype in frame.schema.items()
        if dtype == pl.Boolean
    ]
    try:
        text = frame.with_columns(yes_no).write_csv()
    except pl.exceptions.PolarsError as error:
        raise DataError(f"{path}: cannot write the table as CSV cells: {error}") from None
    return text, lambda row: f"row {row}"


def _arrow_csv(table: Any, path: str) -> tuple[str, Callable[[int], str]]:
    pa, pc, pa_csv = _library("pyarrow"), _library("pyarrow.compute"), _library("pyarrow.csv")

    for position, field in enumerate(table.schema):
        if pa.types.is_boolean(field.type):
            table = table.set_column(position, field.name, pc.if_else(table.column(position), "yes", "no"))
    out = io.BytesIO()
    try:
        pa_csv.write_csv(table, out)
    except pa.ArrowException as error:
        raise DataError(f"{path}: cannot write the table as CSV cells: {error}") from None
    return out.getvalue().decode("utf-8"), lambda row: f"row {row}"


def _warn(messages: list[str], read: _Read, policy: Policy | None = None) -> None:
    """Each warning, attributed to the line that called the API (two frames up)."""
    prefix = "" if policy is None else f"{policy.path}: "
    for message in messages:
        warnings.warn(prefix + read.placed(message), DataWarning, stacklevel=3)


# ---------------------------------------------------------------- tables out


def _result_table(kind: str, columns: list[results.Column]) -> Any:
    if kind == "pandas":
        pd = _library("pandas")
        dtypes = {"float": "float64", "bool": "boolean", "int": "Int64", "str": None}
        return pd.DataFrame({name: pd.Series(values, dtype=dtypes[k]) for name, k, values in columns})
    if kind == "polars":
        pl = _library("polars")
        pl_types = {"float": pl.Float64, "bool": pl.Boolean, "int": pl.Int64, "str": pl.String}
        return pl.DataFrame([pl.Series(name, values, dtype=pl_types[k]) for name, k, values in columns])
    _library("pyarrow")
    return formats.arrow_table(columns)
