"""Why outcomes are missing: for each row whose outcome is missing, the inputs whose missing cells it traces back
to, and how often each does across the table."""

from __future__ import annotations

import math
from collections import Counter

import attrs
import numpy as np

from policyc.backend.frame import Frame
from policyc.ir import nodes as ir


@attrs.frozen
class Missing:
    """How many rows have no `value`, and the inputs (and metrics) their missing cells trace back to, the most
    frequent first: (name, rows). A row can trace back to several; a rule that gives no value from values that
    are all present (a division by zero, say) is counted under the value's own name and `(its rule)`."""

    value: str
    rows: int
    causes: tuple[tuple[str, int], ...]

    def text(self, shown: int = 5) -> str:
        """One line: `16 rows have no overall: missing on the way, planned_outturn (16), ...`."""
        if not self.rows:
            return f"every row has a value of {self.value}"
        listed = ", ".join(f"{name} ({n:,})" for name, n in self.causes[:shown])
        more = len(self.causes) - shown
        return (
            f"{self.rows:,} row{'s' if self.rows != 1 else ''} ha{'ve' if self.rows != 1 else 's'} no {self.value}"
            + (f": missing on the way, {listed}" if listed else "")
            + (f" and {more} more" if more > 0 else "")
        )


def missing(program: ir.Program, frame: Frame, values: dict[str, np.ndarray], value: str) -> Missing:
    """The rows with no `value` and what their missing cells trace back to: from the value, through each value
    its rule reads that is missing on the row, to the inputs and metrics missing there."""
    decls = {d.name: d for d in program.decls}
    column = np.asarray(values[value], dtype=np.float64)
    rows = np.flatnonzero(np.isnan(column))
    counts: Counter[str] = Counter()
    for row in rows.tolist():
        found: set[str] = set()
        _trace(decls, values, row, value, found, set())
        counts.update(found)
    causes = tuple(sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    return Missing(value, len(rows), causes)


def _trace(decls: dict, values: dict[str, np.ndarray], row: int, name: str, found: set[str], seen: set[str]) -> None:
    """Into `found`, the inputs and metrics missing on `row` that the missing `name` reads, through every missing
    value on the way."""
    if name in seen:
        return
    seen.add(name)
    decl = decls[name]
    if isinstance(decl, ir.Column):
        found.add(name)
        return
    reads = [r for r in ir.reads(decl) if r in decls and math.isnan(float(values[r][row]))]
    if not reads:
        found.add(f"{name} (its rule)")
    for read in reads:
        _trace(decls, values, row, read, found, seen)
