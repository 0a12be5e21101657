"""The types of the language: numbers with units, yes/no, label sets and ordered scales."""

from __future__ import annotations

from decimal import Decimal

import attrs

from policyc.syntax import ast


@attrs.frozen
class Type:
    kind: str  # "number", "bool", "labels", "scale", "error"
    unit: str | None = None  # numbers: None is a plain number, compatible with any unit
    scale: str | None = None  # scales: the scale's name
    labels: tuple[str, ...] = ()  # labels and scales: their values (a scale's best first)
    numbered: bool = False  # a scale of numbers (segments 1-5)
    # a scale's declared tier of each of its values, in the order of `labels`; () when it declares none
    tiers: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.kind == "number":
            return f"a number ({self.unit})" if self.unit else "a number"
        if self.kind == "bool":
            return "yes/no"
        if self.kind == "scale":
            return f"a value of scale `{self.scale}`"
        if self.kind == "labels":
            return "one of " + " / ".join(self.labels)
        return "an unknown type"

    @property
    def is_error(self) -> bool:
        return self.kind == "error"


# The tiers a scale may group its values in, best first: what `compare` sets side by side across two scales.
TIERS = ("high", "middle", "low")

BOOL = Type("bool")
ERROR = Type("error")


def number(unit: str | None = None) -> Type:
    return Type("number", unit=unit)


def units_agree(a: Type, b: Type) -> bool:
    return a.unit is None or b.unit is None or a.unit == b.unit


def same(a: Type, b: Type) -> bool:
    """Whether a value of type `b` can stand where `a` is expected."""
    if a.is_error or b.is_error:
        return True
    if a.kind != b.kind:
        return False
    if a.kind == "number":
        return units_agree(a, b)
    if a.kind == "scale":
        return a.scale == b.scale
    if a.kind == "labels":
        return set(b.labels) <= set(a.labels)
    return True


def join(a: Type, b: Type) -> Type:
    """The type of a value that is sometimes `a`, sometimes `b` (when they agree)."""
    if a.is_error:
        return b
    if b.is_error:
        return a
    if a.kind == "number" and b.kind == "number":
        return a if a.unit else b
    if a.kind == "labels" and b.kind == "labels":
        return Type("labels", labels=tuple(dict.fromkeys(a.labels + b.labels)))
    return a


def number_key(value: Decimal) -> str:
    """One spelling for equal numbers (`4`, `4.0`), so that a numbered scale's values compare."""
    return format(value.normalize(), "f")


def item_key(item: ast.ScaleItem) -> str:
    return item.key.text if isinstance(item.key, ast.Name) else number_key(item.key.value)


def tier_value_key(value: ast.Name | ast.Number) -> str:
    """A value named in a scale's tiers, spelled as the scale's values are (`4.0` is `4`)."""
    return value.text if isinstance(value, ast.Name) else number_key(value.value)


def declared_tiers(scale: ast.Scale, labels: tuple[str, ...]) -> tuple[str, ...]:
    """Each value's tier as the scale declares it, or () when it declares none (or none that `check` accepts)."""
    if scale.tiers is None:
        return ()
    of: dict[str, str] = {}
    for tier in scale.tiers.tiers:
        for value in tier.values:
            of.setdefault(tier_value_key(value), tier.name.text)
    if any(label not in of for label in labels) or any(t not in TIERS for t in of.values()):
        return ()
    return tuple(of[label] for label in labels)


def scale_type(scale: ast.Scale) -> Type:
    """The type of a scale's values: its labels (or numbers) best first, with their declared tiers."""
    numbered = all(isinstance(i.key, ast.Number) for i in scale.items)
    labels = tuple(item_key(i) for i in scale.items)
    return Type("scale", scale=scale.name.text, labels=labels, numbered=numbered, tiers=declared_tiers(scale, labels))
