"""The comparison document of `policyc compare`: its classes, and the words it uses for what has no outcome, for
tiers and for the direction of a move, defined here once for the terminal, the JSON and the HTML report."""

from __future__ import annotations

from typing import Any

import attrs

# A value a policy gives no outcome for, and a row of an org type the policy does not declare.
MISSING = "missing"
NOT_RATED = "not rated"
# Standings compared in thirds across scales, best first.
TIERS = ("high", "middle", "low")
# A mover's direction: B's standing minus A's, positive when B rates the row worse.
WORSE = "worse under B"
BETTER = "better under B"
# The change of a difference between two related policies' declarations.
ADDED, REMOVED, CHANGED = "added", "removed", "changed"


@attrs.frozen
class Step:
    """One step that decided an outcome: the value's name and what it came to, why, and the source it rests on."""

    name: str
    value: str
    why: str
    source: str | None


@attrs.frozen
class Outcome:
    """One policy's outcome for one row: its value as reported (None when missing), its standing on the scale from
    0 (best) to 1 (worst) and tier, the steps that decided it, and how many assumptions it rests on."""

    value: str | None
    standing: float | None
    tier: str | None
    steps: tuple[Step, ...]
    assumptions: int

    @property
    def reported(self) -> str:
        return MISSING if self.value is None else self.value


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
    direction: str | None  # WORSE or BETTER for a mover, else None
    delta: float | None  # B's standing minus A's, where both have one

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
    description where the policy gives one), the assumptions the outcome rests on, and how many rows it rates."""

    file: str
    name: str
    version: str | None
    outcome: str
    scale: tuple[str, ...]
    descriptions: dict[str, str]
    assumptions: tuple[Assumption, ...]
    rated: int
    not_rated: int

    @property
    def title(self) -> str:
        return self.name + (f" {self.version}" if self.version else "")

    def special(self, value: str) -> bool:
        """Whether a cross-tabulated value stands for no outcome rather than a value of the scale."""
        return value in (MISSING, NOT_RATED) and value not in self.scale


@attrs.frozen
class Crosstab:
    """Rows counted by A's outcome (down) and B's (across): each scale in order, then missing and not rated."""

    a_values: tuple[str, ...]
    b_values: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts))


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
    """The rows both policies rate, and of them those whose standing differs, in the document's order."""

    compared: int
    rows: tuple[Row, ...]

    @property
    def worse(self) -> int:
        return sum(r.direction == WORSE for r in self.rows)

    @property
    def better(self) -> int:
        return sum(r.direction == BETTER for r in self.rows)

    def largest_first(self) -> list[Row]:
        """By the size of the change, largest first; a mover without a standing on one side last."""
        return sorted(self.rows, key=lambda r: (r.delta is None, -abs(r.delta or 0.0), r.key))


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

    def movers(self) -> Movers:
        compared = [r for r in self.rows if r.both]
        return Movers(len(compared), tuple(r for r in compared if r.moved))

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
