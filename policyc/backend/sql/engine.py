"""A policy evaluated by its SQL query on DuckDB, embedded: the frame registered as the input table, the query
run, and its columns read back as the float64 columns the numpy evaluator gives."""

from __future__ import annotations

import re
import tempfile

import numpy as np

from policyc.backend.frame import EvalError, Frame
from policyc.ir import nodes as ir
from policyc.syntax.diagnostics import Diagnostic

from .generate import FIXED, TABLE, generate
from .query import ROW

CAST_FAILED = re.compile(r"policyc: cast (\d+) fails on row (\d+) with (\S+)")


class Refused(Exception):
    """The policy holds a construct the SQL back end cannot express exactly; `diagnostics` name each."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]):
        super().__init__("; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def input_table(program: ir.Program, frame: Frame) -> dict[str, np.ndarray]:
    """The frame as the query's input table: its position, fixed columns and encoded value columns."""
    no_period = np.full(frame.n, np.nan)  # NaN reaches DuckDB as NULL
    table: dict[str, np.ndarray] = {
        ROW: np.arange(frame.n, dtype=np.int64),
        "org": np.asarray(frame.org, dtype=object),
        "org_type": np.asarray(frame.org_type, dtype=np.int64),
        "period": no_period if frame.period is None else np.asarray(frame.period, dtype=np.int64),
    }
    named = {d.name for d in program.decls}
    table.update({name: np.asarray(cells, dtype=np.float64) for name, cells in frame.columns.items() if name in named})
    return table


def evaluate(program: ir.Program, frame: Frame, threads: int | None = None) -> dict[str, np.ndarray]:
    """Every named value on every row, one float64 column each (NaN: missing), as the compiled evaluator gives.

    Raises Refused for a policy the query cannot express, EvalError for a rule that fails on some row."""
    import duckdb

    table = input_table(program, frame)
    # the rows come back in no order, and are put in table order here: cheaper than the query sorting every column
    given = [name for name in table if name not in FIXED]
    generated = generate(program, "duckdb", columns=given, table=TABLE, ordered=False, pretty=False)
    if generated.sql is None:
        raise Refused(generated.diagnostics)
    # DuckDB spills to `.tmp` in the current folder by default; a private folder, removed after, instead.
    spill = tempfile.TemporaryDirectory(prefix="policyc-duckdb-")
    connection = duckdb.connect(config={"temp_directory": spill.name})
    try:
        if threads is not None:
            connection.execute(f"SET threads TO {int(threads)}")
        connection.register(TABLE, table)
        try:
            result = connection.execute(generated.sql).fetchnumpy()
        except duckdb.Error as error:
            raise _failure(str(error), generated.casts) from None
    finally:
        connection.close()
        spill.cleanup()
    position = np.asarray(result[ROW], dtype=np.int64)
    return {d.name: _in_order(_floats(result[d.name]), position) for d in program.outputs()}


def _in_order(values: np.ndarray, position: np.ndarray) -> np.ndarray:
    ordered = np.empty_like(values)
    ordered[position] = values
    return ordered


def _floats(column) -> np.ndarray:
    if isinstance(column, np.ma.MaskedArray):
        return np.ma.filled(column.astype(np.float64), np.nan)
    return np.asarray(column, dtype=np.float64)


def _failure(message: str, casts: tuple[ir.Cast, ...]) -> EvalError:
    found = CAST_FAILED.search(message)
    if found is None:
        return EvalError(f"internal error: the SQL query failed: {message}")
    cast = casts[int(found.group(1))]
    shown = ", ".join(format(x, "g") for x in cast.numbers)
    where = None if cast.span is None else (cast.span.file, cast.span.line, cast.span.col)
    value = format(float(found.group(3)), "g")
    return EvalError(f"{value} is not a value of scale `{cast.type.scale}` ({shown})", int(found.group(2)), where)
