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


class EvalError(Exception):
    """A rule that cannot give a value on some row; `where` names the policy line, `row` the table row."""

    def __init__(self, message: str, row: int | None = None, where: tuple[str, int, int] | None = None):
        super().__init__(message)
        self.message = message
        self.row = row
        self.where = where
