"""The data the report's script draws its tables from: the document's rows as compact JSON, with the field names
of their classes and the document's words for missing, not rated, tiers and directions, so that the script
spells none of them itself."""

from __future__ import annotations

import json
import re
from typing import Any

import attrs

from policyc.analysis import comparison
from policyc.analysis.comparison import Document, Outcome, Row, Step

TERMS = {
    "missing": comparison.MISSING,
    "not_rated": comparison.NOT_RATED,
    "tiers": list(comparison.TIERS),
    "better": comparison.BETTER,
    "worse": comparison.WORSE,
    "higher": comparison.HIGHER,
    "lower": comparison.LOWER,
    "pass": comparison.PASS,
}
# Each packed class's fields, in the order its packed values come.
FIELDS = {
    name: [f.name for f in attrs.fields(cls)] for name, cls in (("row", Row), ("outcome", Outcome), ("step", Step))
}
# Characters that JSON leaves as they are but that must not reach the page raw: C1 controls and DEL, line and
# paragraph separators, and the bidirectional controls (JSON itself escapes the C0 controls).
_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What the script reads of each policy.
_POLICY_FIELDS = attrs.filters.include("name", "scale", "descriptions")


class _Strings:
    """Each distinct string once, referred to by its index."""

    def __init__(self) -> None:
        self.strings: list[str] = []
        self.index: dict[str, int] = {}

    def ref(self, text: str | None) -> int | None:
        if text is None:
            return None
        if text not in self.index:
            self.index[text] = len(self.strings)
            self.strings.append(text)
        return self.index[text]


def _pack(value: Any, strings: _Strings) -> Any:
    """An instance as the list of its fields' values, in FIELDS' order, its parts packed in turn. A step's texts
    repeat across rows and periods, so they are stored once and referred to by index: a thousand rows of six
    steps each stay well under a megabyte."""
    if isinstance(value, Step):
        # the value as the text outputs show it: the report prints it as it is
        return [strings.ref(value.text if name == "value" else getattr(value, name)) for name in FIELDS["step"]]
    if isinstance(value, Outcome):
        # the value as the text outputs show it, so that the script finds it on the scale; missing stays null
        shown = None if value.value is None else value.reported
        return [shown if name == "value" else _pack(getattr(value, name), strings) for name in FIELDS["outcome"]]
    if attrs.has(type(value)):
        return [_pack(getattr(value, f.name), strings) for f in attrs.fields(type(value))]
    if isinstance(value, tuple):
        return [_pack(item, strings) for item in value]
    return value


def script_data(document: Document) -> dict[str, Any]:
    """The rows packed, with what the script needs to read them back, and the cross-tabulation cell of each."""
    strings = _Strings()
    rows = [_pack(row, strings) for row in document.rows]
    return {
        "terms": TERMS,
        "fields": FIELDS,
        "strings": strings.strings,
        "policies": [attrs.asdict(p, filter=_POLICY_FIELDS) for p in document.policies],
        "periods": list(document.periods),
        "rows": rows,
        "cells": [list(document.crosstab.cell(row)) for row in document.rows],
    }


def blob(document: Document) -> str:
    """The script's data as JSON, safe inside a script element."""
    text = json.dumps(script_data(document), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # No "<" at all, so neither "</script" nor "<!--" can end or derail the element; JSON.parse reads them back.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _RAW.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
