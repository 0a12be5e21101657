"""The table an evaluator reads, and the error it raises: shared by both back ends and the data readers."""

from __future__ import annotations

import attrs
import numpy as np


@attrs.frozen(eq=False)
class Frame:
    """A table to evaluate: one row per organisation and period, columns already encoded."""

    org: tuple[str, ...]
    org_type: np.ndarray  # int64: position in the policy's org types
    period: np.ndarray | None  # int64: year * 4 + quarter - 1; None when the table has no periods
    columns: dict[str, np.ndarray]  # float64, encoded; inputs, metrics and overrides of named values
    lines: tuple[int, ...] = ()  # each row's line in its file, for messages

    @property
    def n(self) -> int:
        return len(self.org)

    def line(self, row: int) -> int:
        return self.lines[row] if self.lines else row + 2


def repeated(frame: Frame, times: int, columns: dict[str, np.ndarray]) -> Frame:
    """The table `times` over, with `columns` (each `times * frame.n` long) for its columns: each copy's periods
    kept apart from the next's by a gap, so that cohort groups, `previous` and `run` stay within a copy (a table
    without periods gets one period per copy, so that its cohort groups do too)."""
    n = frame.n
    base = np.zeros(n, dtype=np.int64) if frame.period is None else frame.period
    stride = int(base.max() - base.min()) + 2 if n else 2
    return Frame(
        org=frame.org * times,
        org_type=np.tile(frame.org_type, times),
        period=np.tile(base, times) + np.repeat(np.arange(times, dtype=np.int64) * stride, n),
        columns=columns,
    )


class EvalError(Exception):
    """A rule that cannot give a value on some row; `where` names the policy line, `row` the table row."""

    def __init__(self, message: str, row: int | None = None, where: tuple[str, int, int] | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.where = where
