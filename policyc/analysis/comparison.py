"""The comparison document of `policyc compare`: its classes, and the words it uses for what has no outcome, for
tiers and for the direction of a move, defined here once for the terminal, the JSON and the HTML report."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import Counter
from typing import Any

import attrs

from policyc.analysis.explain import PASS
from policyc.data.results import csv_text
from policyc.semantics import types

# A value a policy gives no outcome for, and a row of an org type the policy does not declare.
MISSING = "missing"
NOT_RATED = "not rated"
# Outcomes of different scales compared by tier, best first: the tier a scale declares for a value, else its third.
TIERS = types.TIERS
# A mover's direction: B's standing minus A's, positive when B rates the row worse.
WORSE = "worse under B"
BETTER = "better under B"
# A mover's direction between two numbers when neither policy says which end is the better.
HIGHER = "higher under B"
LOWER = "lower under B"
# A numeric outcome is cross-tabulated in at most this many bins, so the table stays small whatever the data.
MAX_BINS = 10
# The change of a difference between two related policies' declarations.
ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@attrs.frozen
class Step:
    """One step that decided an outcome: the value's name and what it came to (a number, yes/no as a bool, a label,
    None when missing), why, the source it rests on, its kind (an adjustment, a worst or best, a quartile, a
    decision table's row, an average, a value given or passed on: `policyc.analysis.explain.KINDS`) and its driver,
    the step in words without the row's numbers, which rows decided the same way share."""

    name: str
    value: str | int | float | bool | None
    why: str
    source: str | None
    kind: str = "rule"
    driver: str = ""

    @property
    def text(self) -> str:
        """The value as the text outputs show it: `missing`, yes/no, a label or the shortest decimal."""
        return MISSING if self.value is None else csv_text(self.value)


@attrs.frozen
class Outcome:
    """One policy's outcome for one row: its value (None when missing; a value of a scale as the scale lists it, a
    finite number as a number, one that is not finite as its text, `inf`), its standing on the scale from 0 (best)
    to 1 (worst) and tier, the steps that decided it, and how many assumptions it rests on."""

    value: str | float | None
    standing: float | None
    tier: str | None
    steps: tuple[Step, ...]
    assumptions: int

    @property
    def reported(self) -> str:
        """The value as the text outputs show it: `missing`, a label, or the shortest decimal."""
        return MISSING if self.value is None else csv_text(self.value)

    @property
    def decisive(self) -> Step | None:
        """The step that decided the outcome: the first that does more than pass a value on (the cap that applied,
        the worst domain, the cut point crossed, the decision table's row), or None when no step is recorded."""
        return next((s for s in self.steps if s.kind != PASS), self.steps[0] if self.steps else None)


def reported(outcome: Outcome | None) -> str:
    """An outcome as the cross-tabulation counts it: its value, missing, or not rated where there is none."""
    return NOT_RATED if outcome is None else outcome.reported


@attrs.frozen
class Row:
    """One organisation (and period) under both policies; an outcome is None where the policy does not rate it."""

    key: str
    org: str
    name: str | None
    org_type: str
    period: str | None
    outcomes: tuple[Outcome | None, Outcome | None]
    moved: bool
    direction: str | None  # WORSE or BETTER for a mover (HIGHER or LOWER between numbers of no stated direction)
    # B's standing minus A's where both outcomes are on scales; B's number minus A's where both are numbers (None
    # when the difference is not a finite number)
    delta: float | None
    # what drove a mover (`driver`), None for a row that did not move
    driver: str | None = None

    @property
    def both(self) -> bool:
        """Whether both policies rate the row: only such a row can move."""
        return self.outcomes[0] is not None and self.outcomes[1] is not None


@attrs.frozen
class Assumption:
    where: str
    text: str


@attrs.frozen
class Policy:
    """One side of the comparison: the policy, its outcome's scale (values as reported, best first, each with its
    description where the policy gives one; empty for a number), the assumptions the outcome rests on, how many rows
    it rates, and for a number which end the policy says is the better ("higher", "lower", or None)."""

    file: str
    name: str
    version: str | None
    outcome: str
    scale: tuple[str, ...]
    descriptions: dict[str, str]
    assumptions: tuple[Assumption, ...]
    rated: int
    not_rated: int
    better: str | None = None
    # of the rows it rates, how many have no outcome, and the inputs their missing cells trace back to, the most
    # frequent first: (name, rows)
    missing: int = 0
    missing_causes: tuple[tuple[str, int], ...] = ()

    @property
    def title(self) -> str:
        return self.name + (f" {self.version}" if self.version else "")

    @property
    def numeric(self) -> bool:
        """Whether the outcome is a number rather than a value of a scale."""
        return not self.scale

    def special(self, value: str) -> bool:
        """Whether a cross-tabulated value stands for no outcome rather than a value of the scale."""
        return value in (MISSING, NOT_RATED) and value not in self.scale


def shared_better(a: str | None, b: str | None) -> str | None:
    """Which end two numeric outcomes are compared by, of the ends their policies say is the better ("higher" or
    "lower"): the one stated, when one or both state it and they agree; None when neither does or they disagree,
    and rows compare by value."""
    stated = {a, b} - {None}
    return stated.pop() if len(stated) == 1 else None


def bin_edges(numbers: list[float]) -> tuple[float, ...]:
    """Edges of at most MAX_BINS bins over the finite numbers, on round values (steps of 1, 2, 2.5 or 5 times a power
    of ten); two equal edges for one value alone, none for no finite number."""
    finite = [x for x in numbers if math.isfinite(x)]
    if not finite:
        return ()
    lo, hi = min(finite), max(finite)
    raw = (hi / 2 - lo / 2) / (MAX_BINS / 2)  # halved first: hi - lo may be too large for a double
    power = 10.0 ** math.floor(math.log10(raw)) if raw > 0 else 0.0
    if not 0 < power < math.inf:
        return (lo, hi)
    for multiple in (1, 2, 2.5, 5, 10, 20, 25, 50, 100):
        step = multiple * power
        first, last = math.floor(lo / step), math.ceil(hi / step)
        if last - first <= MAX_BINS:
            break
    digits = max(0, 1 - math.floor(math.log10(step)))  # enough for a step of 2.5 times a power of ten
    edges = sorted({round(k * step, digits) for k in range(first, last + 1)})
    # at the ends of a double's range an edge may round past the numbers or overflow: the numbers bound the bins
    edges[0] = min(edges[0], lo) if math.isfinite(edges[0]) else lo
    edges[-1] = max(edges[-1], hi) if math.isfinite(edges[-1]) else hi
    bounded = sorted(set(edges))
    return tuple(bounded) if len(bounded) > 1 else (lo, hi)


def _edge(x: float) -> str:
    text = repr(x)
    return text[:-2] if text.endswith(".0") else text


def bin_values(edges: tuple[float, ...]) -> list[str]:
    """Each bin's heading: `[lo, hi)`, the last `[lo, hi]`, one value alone as itself."""
    if len(edges) == 2 and edges[0] == edges[1]:
        return [_edge(edges[0])]
    last = len(edges) - 2
    pairs = enumerate(zip(edges, edges[1:], strict=False))
    return [f"[{_edge(lo)}, {_edge(hi)}{']' if k == last else ')'}" for k, (lo, hi) in pairs]


@attrs.frozen
class Crosstab:
    """Rows counted by A's outcome (down) and B's (across): each scale in order, or a number's bins, then missing
    and not rated. A numeric side's `edges` bound its bins (ascending; bin k holds edges[k] <= x < edges[k + 1],
    the last its upper edge too), with `-inf` before them and `inf` after where they occur; a scale has none."""

    a_values: tuple[str, ...]
    b_values: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    a_edges: tuple[float, ...] = ()
    b_edges: tuple[float, ...] = ()

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts))

    def counted(self, side: int, outcome: Outcome | None) -> str:
        """An outcome as this table counts it on one side: its value or its number's bin, missing, or not rated."""
        edges = (self.a_edges, self.b_edges)[side]
        if not edges or outcome is None or outcome.value is None:
            return reported(outcome)
        number = float(outcome.value)
        if not math.isfinite(number):
            return outcome.reported
        bins = bin_values(edges)
        return bins[min(max(bisect_right(edges, number) - 1, 0), len(bins) - 1)]

    def cell(self, row: Row) -> tuple[int, int]:
        """Where a row is counted: the positions of its A and B values."""
        a, b = (self.counted(side, outcome) for side, outcome in enumerate(row.outcomes))
        return self.a_values.index(a), self.b_values.index(b)


@attrs.frozen
class Difference:
    """A declaration whose rule differs between a policy and its variant: ADDED, REMOVED or CHANGED, with each
    side's text (None on the side that lacks it)."""

    name: str
    change: str
    a: str | None
    b: str | None


@attrs.frozen
class Movers:
    """The rows both policies rate (`compared`), of them those with no outcome under one or both (`missing`: never
    unchanged, nor moved), and those whose standing differs, in the document's order."""

    compared: int
    rows: tuple[Row, ...]
    missing: int = 0

    @property
    def unchanged(self) -> int:
        return self.compared - self.missing - len(self.rows)

    @property
    def worse(self) -> int:
        return sum(r.direction == WORSE for r in self.rows)

    @property
    def better(self) -> int:
        return sum(r.direction == BETTER for r in self.rows)

    @property
    def higher(self) -> int:
        return sum(r.direction == HIGHER for r in self.rows)

    @property
    def lower(self) -> int:
        return sum(r.direction == LOWER for r in self.rows)

    def largest_first(self) -> list[Row]:
        """By the size of the change, largest first; a mover without a standing on one side last."""
        return sorted(self.rows, key=lambda r: (r.delta is None, -abs(r.delta or 0.0), r.key))

    def drivers(self) -> list[tuple[str, int]]:
        """The movers counted by what drove each (`driver`), the most frequent first, then by name."""
        counts = Counter(r.driver or "" for r in self.rows)
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def driver(outcomes: tuple[Outcome | None, Outcome | None], direction: str | None) -> str:
    """What drove a mover, in words that rows moved the same way share: the decisive step of the side that rates it
    worse (B's where two numbers are compared by value), with its side: `B: segment: no better than 3 when
    in_deficit`."""
    side = 0 if direction == BETTER else 1
    outcome = outcomes[side]
    step = None if outcome is None else outcome.decisive
    return f"{'AB'[side]}: {step.driver or step.name if step is not None else 'no step recorded'}"


@attrs.frozen
class Document:
    """The whole comparison, as `policyc compare` reports it in every format."""

    title: str
    data: str | None
    policies: tuple[Policy, Policy]
    periods: tuple[str, ...]
    rows: tuple[Row, ...]
    crosstab: Crosstab
    differences: tuple[Difference, ...]

    @property
    def comparable(self) -> bool:
        """Whether rows can move: both outcomes on scales, or both numbers."""
        a, b = self.policies
        return a.numeric == b.numeric

    @property
    def by_value(self) -> bool:
        """Whether movers are told apart by value (HIGHER, LOWER), two numbers of no stated better end."""
        a, b = self.policies
        return a.numeric and b.numeric and shared_better(a.better, b.better) is None

    def movers(self) -> Movers:
        compared = [r for r in self.rows if r.both]
        missing = sum(1 for r in compared if any(o is not None and o.value is None for o in r.outcomes))
        return Movers(len(compared), tuple(r for r in compared if r.moved), missing)

    def as_dict(self) -> dict[str, Any]:
        """The document as plain JSON values, keyed as its classes name their fields."""
        return plain(self)

    def records(self) -> list[dict[str, Any]]:
        """One flat record per organisation (and period), for a data frame: both outcomes (None when missing or
        not rated, which `a_rated` and `b_rated` tell apart), their standings and tiers, and the move."""
        out = []
        for row in self.rows:
            record: dict[str, Any] = {
                "org": row.org,
                "name": row.name,
                "org_type": row.org_type,
                "period": row.period,
            }
            for side, outcome in zip("ab", row.outcomes, strict=True):
                record[f"{side}_rated"] = outcome is not None
                record[f"{side}_outcome"] = None if outcome is None else outcome.value
                record[f"{side}_standing"] = None if outcome is None else outcome.standing
                record[f"{side}_tier"] = None if outcome is None else outcome.tier
            record.update(moved=row.moved, direction=row.direction, delta=row.delta)
            out.append(record)
        return out


def plain(value: Any) -> Any:
    """A part of the document as JSON values: each instance a dict of its fields in order, each tuple a list (at
    any depth, which attrs.asdict leaves as tuples inside collections)."""
    if attrs.has(type(value)):
        return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
    if isinstance(value, (tuple, list)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value
