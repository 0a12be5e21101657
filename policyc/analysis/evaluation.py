"""A compiled policy run on one table: read (through a column mapping, if any), checked and evaluated.

The command line and the Python API both evaluate through here, so a table means the same, and fails
with the same messages, wherever it is read.
"""

from __future__ import annotations

import contextlib
import types
from collections.abc import Iterator

import attrs
import numpy as np

from policyc.backend.compile import Compiled, describe_failure
from policyc.backend.frame import EvalError, Frame
from policyc.data import formats
from policyc.data import mapping as mappings
from policyc.data.table import DataError


class RuleFailed(Exception):
    """A rule that cannot give a value on some row; `message` names the policy line and the table's row."""

    def __init__(self, message: str, warnings: list[str]):
        super().__init__(message)
        self.message = message
        self.warnings = warnings  # what reading the table warned of before the rule failed


@attrs.frozen(eq=False)
class Evaluation:
    compiled: Compiled
    frame: Frame
    module: types.ModuleType  # the loaded evaluator, for explanations that re-run a step
    values: dict[str, np.ndarray]  # every named value, encoded (docs/semantics.md)
    notes: dict  # each adjustment's condition and the value before it, for explanations
    warnings: list[str]
    mapping: mappings.Mapping | None
    text: str  # the table's text as read, before the mapping, for the columns the policy does not read


def evaluate_text(
    compiled: Compiled,
    text: str,
    path: str,
    *,
    mapping: mappings.Mapping | None = None,
    allow_missing: bool = False,
) -> Evaluation:
    """Evaluate `compiled` on CSV text read from `path` (which names it in messages).

    Raises DataError for a table that cannot be read for the policy, RuleFailed for a rule that cannot give a value.
    """
    loaded = mappings.load_through(mapping, text, path, compiled.program, allow_missing=allow_missing)
    notes: dict = {}
    module = compiled.module()
    try:
        values = module.evaluate(loaded.frame, notes)
    except EvalError as error:
        raise RuleFailed(describe_failure(error, loaded.frame, path), loaded.warnings) from None
    return Evaluation(compiled, loaded.frame, module, values, notes, loaded.warnings, mapping, text)


def evaluate_file(
    compiled: Compiled,
    path: str,
    *,
    mapping: str | None = None,
    allow_missing: bool = False,
    options: formats.Options | None = None,
) -> Evaluation:
    """Evaluate `compiled` on the table file at `path` (CSV, an Excel workbook or Parquet, read as `options` say),
    through the mapping file `mapping` if given; every message names the file's own places."""
    read = mappings.load(mapping) if mapping is not None else None
    source = formats.read(path, options)
    with placed(source):
        run = evaluate_text(compiled, source.text, path, mapping=read, allow_missing=allow_missing)
    return attrs.evolve(run, warnings=[source.placed(warning) for warning in run.warnings])


@contextlib.contextmanager
def placed(source: formats.Source) -> Iterator[None]:
    """DataError and RuleFailed raised in the block, their messages naming the source's places (a sheet's cells)."""
    try:
        yield
    except DataError as error:
        raise DataError(source.placed(error.message)) from None
    except RuleFailed as error:
        raise RuleFailed(source.placed(error.message), [source.placed(w) for w in error.warnings]) from None


@attrs.frozen(eq=False)
class SqlEvaluation:
    frame: Frame
    values: dict[str, np.ndarray]  # every named value, encoded as the numpy evaluator encodes it
    warnings: list[str]


def evaluate_text_on_duckdb(
    compiled: Compiled,
    text: str,
    path: str,
    *,
    mapping: mappings.Mapping | None = None,
    allow_missing: bool = False,
) -> SqlEvaluation:
    """As `evaluate_text`, the CSV text read and checked the same way, evaluated by the policy's SQL on DuckDB.

    Needs the `sql` extra. Raises DataError and RuleFailed as `evaluate_text` does, and
    `policyc.backend.sql.engine.Refused` for a policy the SQL back end cannot run exactly.
    """
    from policyc.backend.sql import engine

    loaded = mappings.load_through(mapping, text, path, compiled.program, allow_missing=allow_missing)
    try:
        values = engine.evaluate(compiled.program, loaded.frame)
    except EvalError as error:
        raise RuleFailed(describe_failure(error, loaded.frame, path), loaded.warnings) from None
    return SqlEvaluation(loaded.frame, values, loaded.warnings)


def evaluate_file_on_duckdb(
    compiled: Compiled,
    path: str,
    *,
    mapping: str | None = None,
    allow_missing: bool = False,
    options: formats.Options | None = None,
) -> SqlEvaluation:
    """As `evaluate_file`, the table read and checked the same way, evaluated by the policy's SQL on DuckDB.

    Needs the `sql` extra. Raises DataError and RuleFailed as `evaluate_file` does, and
    `policyc.backend.sql.engine.Refused` for a policy the SQL back end cannot run exactly.
    """
    read = mappings.load(mapping) if mapping is not None else None
    source = formats.read(path, options)
    with placed(source):
        run = evaluate_text_on_duckdb(compiled, source.text, path, mapping=read, allow_missing=allow_missing)
    return attrs.evolve(run, warnings=[source.placed(warning) for warning in run.warnings])
