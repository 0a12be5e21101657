"""The editor's TextMate grammar against the parser's own tokens: every keyword, name, number, string and comment of
every shipped policy gets a scope of its kind.

The grammar's patterns are written in the common subset of Oniguruma (what VS Code runs) and Python's `re`, so the
TextMate matching is done here with `re`: on each line, the pattern whose match starts first wins (the earlier
pattern on a tie), its captures scope their groups, and matching goes on after it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import attrs
import lark
import pytest

from policyc.lsp.tokens import lex
from policyc.semantics.builtins import BUILTINS
from policyc.syntax.parse import keywords, parser

ROOT = Path(__file__).resolve().parent.parent
GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "policy.tmLanguage.json"
POLICIES = sorted((ROOT / "policies").glob("*.policy"))

# The scopes each kind of token may have: a keyword may be coloured as a keyword, a declaration's
# keyword (storage) or a constant of the language (`yes`, `no`, `missing`).
KINDS = {
    "keyword": ("keyword.", "storage.", "constant.language."),
    "name": ("variable.", "entity.name.", "support."),
    "number": ("constant.numeric.",),
    "string": ("string.quoted.",),
    "comment": ("comment.",),
}
# What only Oniguruma understands, which Python's `re` would read otherwise or reject.
ONIGURUMA_ONLY = (r"\h", r"\G", r"\A", r"\p{", r"(?<", "++", "*+", "?+", r"\K")


@attrs.frozen
class Rule:
    regex: re.Pattern[str]
    name: str | None
    captures: dict[int, str]


def rules(grammar: dict[str, Any]) -> list[Rule]:
    """The grammar's top-level patterns in order, includes followed into the repository."""
    out: list[Rule] = []

    def add(pattern: dict[str, Any]) -> None:
        if "include" in pattern:
            add(grammar["repository"][pattern["include"].lstrip("#")])
            return
        assert "begin" not in pattern, "the grammar keeps to single-line `match` rules"
        captures = {int(k): v["name"] for k, v in pattern.get("captures", {}).items()}
        out.append(Rule(re.compile(pattern["match"]), pattern.get("name"), captures))

    for pattern in grammar["patterns"]:
        add(pattern)
    return out


def scopes(line: str, grammar: list[Rule]) -> list[tuple[int, int, str]]:
    """The scoped stretches of one line, as TextMate gives them: (start, end, scope), innermost scope only."""
    out: list[tuple[int, int, str]] = []
    at = 0
    while at < len(line):
        found = None
        for rule in grammar:
            match = rule.regex.search(line, at)
            if match and (found is None or match.start() < found[1].start()):
                found = (rule, match)
        if found is None:
            break
        rule, match = found
        if match.end() == match.start():
            at += 1
            continue
        for group, name in rule.captures.items():
            if match.start(group) >= 0:
                out.append((match.start(group), match.end(group), name))
        if rule.name:
            out.append((match.start(), match.end(), rule.name))
        at = match.end()
    return out


def scope_of(stretches: list[tuple[int, int, str]], start: int, end: int) -> str | None:
    """The innermost scope holding the whole of [start, end); captures come before their match's name."""
    for s, e, name in stretches:
        if s <= start and end <= e:
            return name
    return None


def kind(token: lark.Token) -> str | None:
    if token.type == "COMMENT":
        return "comment"
    if token.type == "STRING":
        return "string"
    if token.type in ("NUMBER", "PERIOD"):
        return "number"
    if token.type == "NAME":
        return "name"
    return "keyword" if str(token) in keywords() else None


def parser_tokens(text: str) -> list[lark.Token]:
    """The tokens as the parser reads them (its lexer knows, by context, that `mean(` is a name), and the comments."""
    read = list(parser().parse_interactive(text).iter_parse())
    comments = [t for t in lex(text) if t.type == "COMMENT"]
    return sorted((*read, *comments), key=lambda t: t.start_pos or 0)


@pytest.fixture(scope="module")
def grammar() -> list[Rule]:
    return rules(json.loads(GRAMMAR.read_text(encoding="utf-8")))


def test_the_patterns_keep_to_what_oniguruma_and_python_share() -> None:
    raw = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    patterns = [p for p in raw["repository"].values()]
    assert patterns
    for pattern in patterns:
        for construct in ONIGURUMA_ONLY:
            assert construct not in pattern["match"], (pattern["match"], construct)


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.name)
def test_every_token_of_a_shipped_policy_has_a_scope_of_its_kind(policy: Path, grammar: list[Rule]) -> None:
    text = policy.read_text(encoding="utf-8")
    lines = text.split("\n")
    line_starts = [0]
    for line in lines:
        line_starts.append(line_starts[-1] + len(line) + 1)
    cache: dict[int, list[tuple[int, int, str]]] = {}
    wrong = []
    checked = 0
    for token in parser_tokens(text):
        what = kind(token)
        if what is None:
            continue
        start = token.start_pos or 0
        number = next(n for n in range(len(lines)) if line_starts[n + 1] > start)
        stretches = cache.setdefault(number, scopes(lines[number], grammar))
        column = start - line_starts[number]
        scope = scope_of(stretches, column, column + len(str(token)))
        checked += 1
        if scope is None or not scope.startswith(KINDS[what]):
            wrong.append(f"line {number + 1}: {what} `{token}` is scoped {scope}")
    assert checked > 100
    assert not wrong, "\n".join(wrong[:20])


def test_every_keyword_of_the_language_is_a_keyword(grammar: list[Rule]) -> None:
    for word in sorted(keywords() - {"org"}):
        assert (scope_of(scopes(word, grammar), 0, len(word)) or "").startswith(KINDS["keyword"]), word
    assert (scope_of(scopes("org types a", grammar), 0, 3) or "").startswith("keyword.")
    assert scope_of(scopes("given a: org A", grammar), 9, 12) == "variable.other.policy"


def test_every_function_called_is_a_function(grammar: list[Rule]) -> None:
    for name in BUILTINS:
        line = f"x = {name}(y)"
        assert scope_of(scopes(line, grammar), 4, 4 + len(name)) == "support.function.builtin.policy", name
