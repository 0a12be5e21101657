"""The cell codec: a table cell's text to its encoded float (and back for periods), by the value's type."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

import numpy as np

from policyc.semantics.types import Type

_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PERIOD = re.compile(r"([0-9]{4})[Qq]([0-9])")
_BOOLS = {"yes": 1.0, "no": 0.0, "true": 1.0, "false": 0.0, "1": 1.0, "0": 0.0}
# The spellings met in practice, looked up as they are before falling back to strip() and lower().
_BOOL_FAST = {**{k: v for word, v in _BOOLS.items() for k in (word, word.upper(), word.capitalize())}, "": math.nan}
_BAD = -1.0  # no encoded label or yes/no is negative, so this marks a cell the fast lookup missed


def expected(t: Type) -> str:
    """What a cell of type `t` must hold, for messages."""
    if t.kind == "bool":
        return "yes/no (yes, no, true, false, 1 or 0)"
    if t.kind == "scale":
        return f"{t}: {' / '.join(t.labels)}"
    return str(t)


def parse_period(cell: str) -> int:
    """`2025Q3` as `year * 4 + quarter - 1`; -1 when the cell is not a period."""
    match = _PERIOD.fullmatch(cell.strip())
    if match is None or not 1 <= int(match[2]) <= 4:
        return -1
    return int(match[1]) * 4 + int(match[2]) - 1


def format_period(period: int) -> str:
    """`year * 4 + quarter - 1` as `2025Q3`, the year in four digits (`0999Q1`) as `parse_period` reads it."""
    return f"{period // 4:04d}Q{period % 4 + 1}"


def parse(cells: Sequence[str], t: Type) -> tuple[np.ndarray, list[int]]:
    """Encode a column's cells as float64 (NaN for empty), and the indices of the cells that are not of type `t`."""
    if t.kind == "bool":
        return _lookup(cells, _BOOL_FAST, lambda s: _BOOLS.get(s.lower()))
    if t.kind in ("labels", "scale") and not t.numbered:
        exact = {label: float(i) for i, label in enumerate(t.labels)}
        return _lookup(cells, {**exact, "": math.nan}, exact.get)
    values, bad = _numbers(cells)
    if t.numbered:
        return _numbered(values, bad, t)
    return values, bad


def _lookup(
    cells: Sequence[str], fast: dict[str, float], slow: Callable[[str], float | None]
) -> tuple[np.ndarray, list[int]]:
    """Map cells through `fast` as they are; a miss is stripped and tried with `slow` before it counts as bad."""
    values = np.array([fast.get(c, _BAD) for c in cells], dtype=np.float64)
    bad: list[int] = []
    for i in np.flatnonzero(values == _BAD).tolist():
        stripped = cells[i].strip()
        found = slow(stripped) if stripped else math.nan
        if found is None:
            bad.append(i)
        else:
            values[i] = found
    return values, bad


def _numbers(cells: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    values = _numbers_fast(cells)
    if values is not None:
        return values, []
    # Some cell is not a number: a per-cell scan finds which, for the message.
    values = np.full(len(cells), np.nan)
    bad: list[int] = []
    for i, cell in enumerate(cells):
        s = cell.strip()
        if not s:
            continue
        number = float(s) if _NUMBER.fullmatch(s) else math.inf
        if math.isfinite(number):
            values[i] = number
        else:
            bad.append(i)
    return values, bad


def _numbers_fast(cells: Sequence[str]) -> np.ndarray | None:
    """Python's float() over the whole column at once; None when any cell might not be a plain decimal."""
    joined = "".join(cells)
    # float() also takes digit separators and non-ASCII digits, which a table of decimals must not hold.
    if not joined.isascii() or "_" in joined:
        return None
    try:
        values = np.array([float(c) if c else math.nan for c in cells], dtype=np.float64)
    except ValueError:  # a cell of spaces, or not a number: the slow path tells which
        return None
    # float() also reads inf and nan, which a table must not hold: the only NaN are the empty cells.
    if np.isinf(values).any() or int(np.isnan(values).sum()) != cells.count(""):
        return None
    return values


def _numbered(values: np.ndarray, bad: list[int], t: Type) -> tuple[np.ndarray, list[int]]:
    """Numbers taken as the values of a numbered scale: each to the position of the label with its number."""
    numbers = np.array([float(label) for label in t.labels])
    order = np.argsort(numbers, kind="stable")
    ranked = numbers[order]
    present = ~np.isnan(values)
    at = np.clip(np.searchsorted(ranked, values[present]), 0, len(ranked) - 1)
    on_scale = ranked[at] == values[present]
    out = np.full(len(values), np.nan)
    rows = np.flatnonzero(present)
    out[rows[on_scale]] = order[at[on_scale]]
    off = rows[~on_scale].tolist()
    return out, sorted(set(bad) | set(off))
