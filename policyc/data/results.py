"""Evaluated columns as the values people read (docs/semantics.md, "Results"), rendered as JSON, CSV or a text table."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from policyc.backend.frame import Frame
from policyc.data import formats
from policyc.data.cells import format_period, parse_period
from policyc.data.table import Writer
from policyc.ir import nodes as ir
from policyc.semantics.types import Type
from policyc.syntax.diagnostics import did_you_mean
from policyc.syntax.text import printable

Value = None | float | int | bool | str


def decode(decl_type: Type, value: float) -> Value:
    """One encoded value as reported: a number, True/False, a label, a numbered scale's number; None if missing."""
    value = float(value)
    if math.isnan(value):
        return None
    if decl_type.kind == "bool":
        return value != 0.0
    if decl_type.kind in ("labels", "scale"):
        label = decl_type.labels[int(value)]
        return _scale_number(label) if decl_type.numbered else label
    return value


def decode_column(decl_type: Type, values: np.ndarray) -> list[Value]:
    """A whole column decoded at once, as `decode` does each value."""
    cells = np.asarray(values, dtype=np.float64).tolist()
    if decl_type.kind == "bool":
        return [None if v != v else v != 0.0 for v in cells]  # v != v: NaN
    if decl_type.kind in ("labels", "scale"):
        names: list[Value] = [_scale_number(x) if decl_type.numbered else x for x in decl_type.labels]
        return [None if v != v else names[int(v)] for v in cells]
    return [None if v != v else v for v in cells]


def _scale_number(label: str) -> int | float:
    number = float(label)
    return int(number) if number.is_integer() else number


def _periods(frame: Frame) -> list[str | None]:
    if frame.period is None:
        return [None] * frame.n
    return [format_period(p) for p in frame.period.tolist()]


# Values an analysis adds beside the policy's own (likely ranges): each name, and whether its numbers are whole
# (a rank) rather than any number; they are in the values under their names.
Extra = dict[str, bool]


def _decoded(
    program: ir.Program, values: dict[str, np.ndarray], names: Sequence[str] | None = None, extra: Extra | None = None
) -> dict[str, list[Value]]:
    """Each output decoded, in `outputs()` order, or those `names` lists, in its order; then the `extra` values."""
    by_name = {d.name: d for d in program.outputs()}
    decoded = {name: decode_column(by_name[name].type, values[name]) for name in (by_name if names is None else names)}
    for name, whole in (extra or {}).items():
        decoded[name] = decode_extra(values[name], whole)
    return decoded


def decode_extra(cells: np.ndarray, whole: bool) -> list[Value]:
    """An analysis' column beside the policy's values (`Extra`): numbers, whole ones as int, None where missing."""
    return [None if v != v else int(v) if whole else v for v in np.asarray(cells, dtype=np.float64).tolist()]


def rows(
    program: ir.Program,
    frame: Frame,
    values: dict[str, np.ndarray],
    names: Sequence[str] | None = None,
    extra: Extra | None = None,
) -> list[dict[str, Any]]:
    """One dict per row: org, org_type (its name), period (`2025Q3` or None) and every output in `outputs()` order
    (or those `names` lists)."""
    columns = _decoded(program, values, names, extra)
    names = list(columns)
    types = program.org_types
    out = []
    for row, (org, org_type, period) in enumerate(
        zip(frame.org, frame.org_type.tolist(), _periods(frame), strict=True)
    ):
        out.append(
            {
                "org": org,
                "org_type": types[org_type],
                "period": period,
                "values": {name: columns[name][row] for name in names},
            }
        )
    return out


def to_json(
    program: ir.Program,
    frame: Frame,
    values: dict[str, np.ndarray],
    names: Sequence[str] | None = None,
    extra: Extra | None = None,
) -> str:
    results = rows(program, frame, values, names, extra)
    for result in results:
        # JSON has no infinity: a value that overflowed is null, as CSV leaves it empty (docs/semantics.md, "Results").
        for name, value in result["values"].items():
            if isinstance(value, float) and not math.isfinite(value):
                result["values"][name] = None
    document = {"policy": {"name": program.name, "version": program.version}, "results": results}
    return json.dumps(document, indent=2, allow_nan=False)


def csv_text(value: Value) -> str:
    """A value as a CSV cell: empty when missing, yes/no, a label, or the shortest decimal that reads back."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def to_csv(
    program: ir.Program,
    frame: Frame,
    values: dict[str, np.ndarray],
    names: Sequence[str] | None = None,
    extra: Extra | None = None,
) -> str:
    """The table `policyc eval` reads: an empty period column for a policy without periods, overflowed values empty;
    every output, or those `names` lists."""
    columns = _decoded(program, values, names, extra)
    out = io.StringIO()
    writer = Writer(out)
    writer.row(["org", "org_type", "period", *columns])
    cells = [[_csv_cell(v) for v in column] for column in columns.values()]
    types = program.org_types
    for row, (org, org_type, period) in enumerate(
        zip(frame.org, frame.org_type.tolist(), _periods(frame), strict=True)
    ):
        writer.row([org, types[org_type], period or "", *(column[row] for column in cells)])
    return out.getvalue()


# A typed column: its name, its kind ("str", "int", "float" or "bool") and its values as `decode` gives them.
Column = tuple[str, str, list[Value]]


def column_kind(decl_type: Type) -> str:
    """The kind of a typed column of a value: yes/no a bool, a label text, a numbered scale an int when every one of
    its numbers is whole, any other number a float."""
    if decl_type.kind == "bool":
        return "bool"
    if decl_type.kind in ("labels", "scale") and not decl_type.numbered:
        return "str"
    if decl_type.numbered and all(float(label).is_integer() for label in decl_type.labels):
        return "int"
    return "float"


def typed_columns(
    program: ir.Program,
    frame: Frame,
    values: dict[str, np.ndarray],
    names: Sequence[str] | None = None,
    extra: Extra | None = None,
) -> list[Column]:
    """The columns that say which row is which (org, org_type and, where the table has periods, period), then every
    output (or those `names` lists) and the `extra` values, each with its kind (`column_kind`)."""
    out: list[Column] = [
        ("org", "str", list(frame.org)),
        ("org_type", "str", [program.org_types[t] for t in frame.org_type.tolist()]),
    ]
    if frame.period is not None:
        out.append(("period", "str", list(_periods(frame))))
    by_name = {d.name: d for d in program.outputs()}
    extra = extra or {}
    for name, cells in _decoded(program, values, names, extra).items():
        kind = ("int" if extra[name] else "float") if name in extra else column_kind(by_name[name].type)
        out.append((name, kind, cells))
    return out


def _finite(columns: list[Column]) -> list[Column]:
    """The columns with a number that overflowed made empty, as CSV leaves it and JSON gives it null."""
    return [
        (name, kind, [None if isinstance(v, float) and not math.isfinite(v) else v for v in cells])
        if kind == "float"
        else (name, kind, cells)
        for name, kind, cells in columns
    ]


def to_parquet(
    program: ir.Program,
    frame: Frame,
    values: dict[str, np.ndarray],
    names: Sequence[str] | None = None,
    extra: Extra | None = None,
) -> bytes:
    """The typed columns (`typed_columns`) as a Parquet file, which `policyc eval` reads back."""
    return formats.parquet_bytes(_finite(typed_columns(program, frame, values, names, extra)))


def to_xlsx(
    program: ir.Program,
    frame: Frame,
    values: dict[str, np.ndarray],
    names: Sequence[str] | None = None,
    extra: Extra | None = None,
) -> bytes:
    """The typed columns (`typed_columns`) as an Excel workbook of one sheet, `results`."""
    return formats.xlsx_bytes(_finite(typed_columns(program, frame, values, names, extra)))


def _csv_cell(value: Value) -> str:
    """A value in the CSV output: as `csv_text`, but a number that overflowed is empty, as JSON gives it null."""
    if isinstance(value, float) and not math.isfinite(value):
        return ""
    return csv_text(value)


def table_text(value: Value) -> str:
    """A value in a terminal table: `-` when missing, numbers to at most 2 decimals without trailing zeros."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    return str(value)


def table_cells(
    program: ir.Program,
    frame: Frame,
    values: dict[str, np.ndarray],
    names: Sequence[str] | None = None,
    extra: Extra | None = None,
) -> tuple[list[str], list[list[str]], list[bool]]:
    """A terminal table's header, its columns of printable cells and which are right-aligned (the numbers): org,
    org_type, period (when the table has any), then the derived values, or those `names` lists, in its order."""
    by_name = {d.name: d for d in program.outputs()}
    derived = (
        [by_name[name] for name in names]
        if names is not None
        else [d for d in program.outputs() if isinstance(d, ir.Derived)]
    )
    header = ["org", "org_type"] + (["period"] if frame.period is not None else []) + [d.name for d in derived]
    right = [False] * (len(header) - len(derived)) + [d.type.kind == "number" or d.type.numbered for d in derived]
    # codes come from the data, which may hold anything: no control character reaches the terminal raw
    columns: list[list[str]] = [
        [printable(org) for org in frame.org],
        [printable(program.org_types[t]) for t in frame.org_type.tolist()],
    ]
    if frame.period is not None:
        columns.append([p or "" for p in _periods(frame)])
    columns += [[printable(table_text(v)) for v in decode_column(d.type, values[d.name])] for d in derived]
    if extra:
        added = _decoded(program, values, [], extra)
        header += list(added)
        right += [True] * len(added)
        columns += [[table_text(v) for v in cells] for cells in added.values()]
    return header, columns, right


def to_table(
    program: ir.Program,
    frame: Frame,
    values: dict[str, np.ndarray],
    names: Sequence[str] | None = None,
    extra: Extra | None = None,
) -> str:
    """Aligned text: org, org_type, period (when the table has any) and each derived value (or those `names`
    lists); numbers right-aligned."""
    header, columns, right = table_cells(program, frame, values, names, extra)
    widths = [max([len(name), *map(len, column)]) for name, column in zip(header, columns, strict=True)]

    def line(cells: list[str]) -> str:
        parts = [
            cell.rjust(width) if align else cell.ljust(width)
            for cell, width, align in zip(cells, widths, right, strict=True)
        ]
        return "  ".join(parts).rstrip()

    lines = [line(header), "  ".join("-" * width for width in widths)]
    lines += [line([column[row] for column in columns]) for row in range(frame.n)]
    return "\n".join(lines) + "\n"


def rows_of(frame: Frame, values: dict[str, np.ndarray], keep: np.ndarray) -> tuple[Frame, dict[str, np.ndarray]]:
    """The frame and its values on the rows `keep` (positions, in order) only."""
    lines = tuple(frame.lines[k] for k in keep.tolist()) if frame.lines else tuple(k + 2 for k in keep.tolist())
    chosen = Frame(
        org=tuple(frame.org[k] for k in keep.tolist()),
        org_type=frame.org_type[keep],
        period=None if frame.period is None else frame.period[keep],
        columns={name: column[keep] for name, column in frame.columns.items()},
        lines=lines,
    )
    return chosen, {name: column[keep] for name, column in values.items()}


def chosen_columns(program: ir.Program, text: str) -> list[str]:
    """The named values a comma-separated list chooses, in its order, each once. Raises ValueError naming one that
    the policy does not give, with the closest it does."""
    given = [d.name for d in program.outputs()]
    names = list(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    if not names:
        raise ValueError("no value named: list the values to show, `average_score,segment`")
    for name in names:
        if name not in given:
            hint = did_you_mean(name, given)
            raise ValueError(f"`{printable(name)}` is not a value the policy gives" + (f"; {hint}" if hint else ""))
    return names


def chosen_rows(frame: Frame, orgs: str | None, period: str | None) -> np.ndarray:
    """The positions of the rows of the organisations a comma-separated list names (every one when None) in the
    period given (`2025Q3`; every period when None). Raises ValueError for an organisation or a period the table
    does not hold, with the closest it does."""
    keep = np.ones(frame.n, dtype=bool)
    if orgs is not None:
        wanted = {org.strip() for org in orgs.split(",") if org.strip()}
        present = set(frame.org)
        for org in sorted(wanted - present):
            hint = did_you_mean(org, sorted(present))
            raise ValueError(f"no row of organisation `{printable(org)}` in the table" + (f"; {hint}" if hint else ""))
        keep &= np.fromiter((org in wanted for org in frame.org), dtype=bool, count=frame.n)
    if period is not None:
        if frame.period is None:
            raise ValueError(f"the table has no period column, so no rows of {printable(period)}")
        quarter = parse_period(period)
        if quarter < 0:
            raise ValueError(f"`{printable(period)}` is not a period: write it as 2025Q3")
        held = frame.period == quarter
        if not held.any():
            shown = ", ".join(format_period(p) for p in sorted(set(frame.period.tolist())))
            raise ValueError(f"no row of period {printable(period)} in the table, which holds {shown}")
        keep &= held
    return np.flatnonzero(keep)
