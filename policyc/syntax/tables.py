"""The parser's LALR tables, made from policy.lark once and shipped in the package as JSON.

Lark's own cache is a pickle in the shared temporary folder under a name anyone can predict, so
another local user could plant one; nothing here is read from outside the package, and JSON, unlike
a pickle, runs no code when it is loaded. After editing the grammar, regenerate the tables with

    python -m policyc.syntax.tables

(a test fails while they are out of date).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import Any

import lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

GRAMMAR = "policy.lark"
TABLES = "policy_tables.json"

# The options the tables are made with; the lexer's callbacks are given when they are loaded.
OPTIONS: dict[str, Any] = {"parser": "lalr", "propagate_positions": True, "maybe_placeholders": True}

# JSON has neither tuples nor object keys other than strings, and Lark's tables hold both.
_TUPLE = "#tuple"
_INT_KEYS = "#int_keys"


def grammar_text() -> str:
    return resources.files("policyc.syntax").joinpath(GRAMMAR).read_text(encoding="utf-8")


def _encode(value: Any) -> Any:
    if isinstance(value, tuple):
        return {_TUPLE: [_encode(item) for item in value]}
    if isinstance(value, list):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        if all(isinstance(key, str) for key in value):
            if _TUPLE in value or _INT_KEYS in value:
                raise ValueError(f"a key of Lark's tables is one of the encoding's own: {sorted(value)}")
            return {key: _encode(item) for key, item in value.items()}
        if all(isinstance(key, int) for key in value):
            return {_INT_KEYS: [[key, _encode(item)] for key, item in value.items()]}
        raise ValueError(f"keys of Lark's tables that JSON cannot hold: {sorted(map(repr, value))}")
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise ValueError(f"a value of Lark's tables that JSON cannot hold: {value!r}")


def _decode(obj: dict[str, Any]) -> Any:
    if _TUPLE in obj:
        return tuple(obj[_TUPLE])
    if _INT_KEYS in obj:
        return {key: item for key, item in obj[_INT_KEYS]}
    return obj


def fingerprint(grammar: str) -> dict[str, str]:
    """What the tables were made from: they serve only this grammar, read by this version of Lark."""
    return {"grammar_sha256": hashlib.sha256(grammar.encode("utf-8")).hexdigest(), "lark": lark.__version__}


def serialized(parser: lark.Lark) -> tuple[Any, Any]:
    """Lark's serialised form of a parser: its data, and the rules and terminals the data refers to."""
    return parser.memo_serialize([TerminalDef, Rule])


def tables_json(grammar: str) -> str:
    """The text of the tables file for a grammar."""
    data, memo = serialized(lark.Lark(grammar, **OPTIONS))
    document = {**fingerprint(grammar), "data": _encode(data), "memo": _encode(memo)}
    return json.dumps(document, separators=(",", ":")) + "\n"


def read_tables() -> dict[str, Any]:
    text = resources.files("policyc.syntax").joinpath(TABLES).read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text, object_hook=_decode)
    return document


def load(**options: Any) -> lark.Lark:
    """The parser, from the shipped tables; built from the grammar instead when they do not fit it."""
    grammar = grammar_text()
    document = read_tables()
    if {key: document.get(key) for key in ("grammar_sha256", "lark")} != fingerprint(grammar):
        return lark.Lark(grammar, **OPTIONS, **options)
    # Lark's standalone parsers load their tables through this same entry point.
    parser: lark.Lark = lark.Lark._load_from_dict(document["data"], document["memo"], **options)
    return parser


def main() -> None:
    path = Path(__file__).with_name(TABLES)
    path.write_text(tables_json(grammar_text()), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
