"""Property tests: whatever the text, checking it ends in diagnostics or success, never in an exception.

Inputs come from the grammar itself (`hypothesis.extra.lark.from_lark`), and from random edits of
the valid policies. The number of examples comes from the Hypothesis profile (tests/conftest.py);
`HYPOTHESIS_PROFILE=deep` runs the long hunt.
"""

from __future__ import annotations

import json
import re
import shutil
from importlib import resources
from pathlib import Path

import lark
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.lark import from_lark

from policyc.cli import main
from policyc.semantics.driver import Result, check_source
from policyc.syntax.depth import MAX_DEPTH
from policyc.syntax.diagnostics import render_github, render_text, to_json
from policyc.syntax.parse import keywords
from policyc.syntax.source import Source

TESTS = Path(__file__).parent
SEEDS = sorted((TESTS / "policies" / "valid").glob("*.policy")) + sorted((TESTS.parent / "policies").glob("*.policy"))
SEED_TEXT = {path: path.read_text(encoding="utf-8") for path in SEEDS}

# ---------------------------------------------------------------- the properties


def assert_sound(result: Result) -> None:
    """A Result, every diagnostic inside a file that was checked, and every renderer working on it."""
    assert isinstance(result, Result)
    diags = result.diagnostics.sorted()
    for diag in diags:
        span = diag.span
        if diag.code == "PC901":
            continue
        assert span is not None, f"{diag.code} has no span: {diag.message}"
        source = result.sources.get(span.file)
        assert source is not None, f"{diag.code} points into {span.file}, which was not checked"
        lines = len(source.line_starts)
        assert 1 <= span.line <= span.end_line <= lines, f"{diag.code} lines {span.line}-{span.end_line} of {lines}"
        assert 0 <= span.start <= span.end <= len(source.text), f"{diag.code} offsets {span.start}-{span.end}"
        assert source.position(span.start) == (span.line, span.col), f"{diag.code} start disagrees with its offset"
        assert source.position(span.end) == (span.end_line, span.end_col), f"{diag.code} end disagrees with its offset"
    for diag in diags:
        for color in (False, True):
            assert isinstance(render_text(diag, result.sources, color=color), str)
        assert isinstance(render_text(diag, {}), str)
        json.dumps(to_json(diag, result.sources))
        line = render_github(diag)
        assert "\n" not in line and line.startswith(("::error", "::warning"))
    json.loads(json.dumps([to_json(d, result.sources) for d in diags]))
    if result.ok:
        assert result.checked is not None and not result.diagnostics.has_errors


def check_text(text: str, path: str = "fuzz.policy") -> Result:
    return check_source(Source(path, text))


# ---------------------------------------------------------------- strings drawn from the grammar

GRAMMAR = resources.files("policyc.syntax").joinpath("policy.lark").read_text(encoding="utf-8")
GRAMMAR_PARSER = lark.Lark(GRAMMAR, parser="lalr", start="start")

NAMES = [
    "acute",
    "ambulance",
    "icb",
    "ae_4hr",
    "mrsa",
    "overall",
    "segment",
    "category",
    "performing",
    "under_review",
    "underperforming",
    "in_deficit",
    "operational",
    "safety",
    "score",
    "percent",
    "worst",
    "best",
    "mean",
    "round",
    "run",
    "previous",
    "count",
    "quartile",
    "linear",
    "value",
    "org_type",
    "a",
    "b",
]

# Raw: every terminal as the grammar's own regular expression allows (any character in strings and comments).
raw_grammar_texts = from_lark(GRAMMAR_PARSER, start="start")
# Tamed: each token set apart by spaces (so none glue together), names the policies use, short numbers
# and strings, and comments that end their line, so that more of each text parses and reaches the checker.
_TAMED_TERMINALS = {
    "NAME": st.sampled_from(NAMES),
    "NUMBER": st.sampled_from(["0", "1", "2", "3", "4", "5", "0.25", "1.40", "95", "98", "100"]),
    "STRING": st.sampled_from(['"x"', '"2009/10"', '""', '"a \\" b"', '"bases/none.policy"']),
    "PERIOD": st.sampled_from(["2025Q3", "2009Q1"]),
}
_TAMED = {
    **{t.name: st.just(f" {t.pattern.value} ") for t in GRAMMAR_PARSER.terminals if t.pattern.type == "str"},
    **{name: strategy.map(lambda text: f" {text} ") for name, strategy in _TAMED_TERMINALS.items()},
    "WS": st.sampled_from([" ", "\n", "\n  "]),
    "COMMENT": st.sampled_from(["# note\n", "#\n"]),
}
tamed_grammar_texts = from_lark(GRAMMAR_PARSER, start="start", explicit=_TAMED)


@pytest.mark.slow
@given(raw_grammar_texts)
def test_raw_grammar_strings_never_raise(text: str) -> None:
    assert_sound(check_text(text))


@given(tamed_grammar_texts)
def test_tamed_grammar_strings_never_raise(text: str) -> None:
    assert_sound(check_text(text))


@given(
    st.sampled_from(['policy "P" version "1"\norg types acute, ambulance\n', 'policy "P"\norg types acute\n']),
    tamed_grammar_texts,
)
def test_grammar_strings_after_a_header_never_raise(header: str, text: str) -> None:
    # With a header and org types in place, the declarations drawn reach the type checker.
    assert_sound(check_text(header + text))


# ---------------------------------------------------------------- random edits of valid policies

TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*|\d{4}Q[1-4]\b|\d+(?:\.\d+)?|yes/no|[A-Za-z_]\w*|<=|>=|\S')
INSERTS = sorted(keywords()) + [
    ":",
    ",",
    ">",
    "<",
    "<=",
    ">=",
    "=",
    "(",
    ")",
    ".",
    "/",
    "+",
    "-",
    "*",
    '"',
    "#",
    "\\",
    "\n",
    "\t",
    "\r",
    "\x00",
    "\ufeff",
    "é",
    "2025Q3",
    "0",
    "-1",
    "1.5",
    "9" * 40,
    "0.0000001",
    "metric scores",
    "when yes:",
    "replace",
    'extends "skeleton_2025.policy"',
    "otherwise: 1",
    "value",
    "org",
    "period",
    "org_type",
]


# Edits that keep the syntax come up more often, so that more edited policies reach the checker.
EDITS = [
    "delete line",
    "duplicate line",
    "swap lines",
    "delete token",
    "duplicate token",
    "swap tokens",
    "insert",
    "truncate",
] + ["rename", "renumber", "duplicate line", "swap lines"] * 3


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


@st.composite
def edit(draw, text: str) -> str:
    """One random edit of the text: a line or token deleted, duplicated or moved, an insertion or a cut."""
    kind = draw(st.sampled_from(EDITS))
    lines = _lines(text)
    tokens = list(TOKEN.finditer(text))
    if kind.endswith("line") or kind == "swap lines":
        if not lines:
            return text
        i = draw(st.integers(0, len(lines) - 1))
        if kind == "delete line":
            del lines[i]
        elif kind == "duplicate line":
            lines.insert(i, lines[i] if lines[i].endswith("\n") else lines[i] + "\n")
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
            if not "".join(lines).endswith("\n"):
                lines = [line if line.endswith("\n") else line + "\n" for line in lines]
        return "".join(lines)
    if kind.endswith("token") or kind == "swap tokens":
        if len(tokens) < 2:
            return text
        k = draw(st.integers(0, len(tokens) - 2))
        tok, nxt = tokens[k], tokens[k + 1]
        if kind == "delete token":
            return text[: tok.start()] + text[tok.end() :]
        if kind == "duplicate token":
            return text[: tok.end()] + " " + tok.group() + text[tok.end() :]
        return text[: tok.start()] + nxt.group() + text[tok.end() : nxt.start()] + tok.group() + text[nxt.end() :]
    if kind in ("rename", "renumber"):
        # Edits that keep the syntax, so that the resolver and the checker see the result.
        pattern = r"[A-Za-z_]\w*" if kind == "rename" else r"\d+(?:\.\d+)?"
        same = [t for t in tokens if re.fullmatch(pattern, t.group()) and t.group() not in keywords()]
        if not same:
            return text
        tok = draw(st.sampled_from(same))
        new = draw(st.sampled_from([t.group() for t in same] + (["x_1"] if kind == "rename" else ["0", "100", "-1"])))
        return text[: tok.start()] + new + text[tok.end() :]
    at = draw(st.integers(0, len(text)))
    if kind == "truncate":
        return text[:at]
    word = draw(st.sampled_from(INSERTS))
    pad = draw(st.sampled_from(["", " "]))
    return text[:at] + pad + word + pad + text[at:]


@st.composite
def edited_policies(draw) -> tuple[Path, str]:
    path = draw(st.sampled_from(SEEDS))
    text = SEED_TEXT[path]
    for _ in range(draw(st.integers(1, 6))):
        text = draw(edit(text))
    return path, text


@pytest.mark.slow
@given(edited_policies())
def test_edited_policies_never_raise(case: tuple[Path, str]) -> None:
    path, text = case
    # The file's own path, so that a variant still finds the base it extends.
    assert_sound(check_text(text, str(path)))


def test_the_seeds_check_cleanly() -> None:
    assert SEEDS, "no valid policies to edit"
    for path in SEEDS:
        result = check_text(SEED_TEXT[path], str(path))
        assert result.ok, [d.message for d in result.diagnostics.sorted()]


# ---------------------------------------------------------------- through the command line


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the valid policies, so that an edited variant still finds its base."""
    folder = tmp_path_factory.mktemp("cli_fuzz")
    for path in SEEDS:
        shutil.copy(path, folder / path.name)
    return folder


@given(
    text=st.one_of(edited_policies().map(lambda case: case[1]), tamed_grammar_texts),
    fmt=st.sampled_from(["text", "json", "github"]),
    strict=st.booleans(),
)
def test_check_command_exits_0_or_1(workdir: Path, text: str, fmt: str, strict: bool) -> None:
    target = workdir / "edited.policy"
    target.write_text(text, encoding="utf-8")
    args = ["check", "--format", fmt, *(["--strict"] if strict else []), str(target)]
    result = CliRunner().invoke(main, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code in (0, 1), result.output
    assert "Traceback" not in result.output
    assert "PC901" not in result.output, result.output  # an internal error caught by the CLI is still a bug
    if fmt == "json":
        json.loads(result.stdout)


# ---------------------------------------------------------------- nesting of any depth

# Each kind of nesting as an expression exactly `d` levels deep (the innermost name or `yes` counts as a level).
NESTINGS = {
    "sum": lambda d: " + ".join(["a"] * d),
    "and": lambda d: " and ".join(["a > 0"] * (d - 1)),
    "not": lambda d: "not " * (d - 1) + "yes",
    "call": lambda d: "abs(" * (d - 1) + "a" + ")" * (d - 1),
}


@pytest.mark.parametrize("kind", sorted(NESTINGS))
@pytest.mark.parametrize("depth", [2, MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, 3 * MAX_DEPTH, 30 * MAX_DEPTH])
def test_nesting_of_any_depth_ends_in_a_diagnostic_at_its_place(kind: str, depth: int) -> None:
    result = check_text('policy "P"\norg types acute\ninput a: count for all\n' + f"x = {NESTINGS[kind](depth)}\n")
    assert_sound(result)
    deep = [d for d in result.diagnostics.items if d.code == "PC902"]
    assert [d.span.line for d in deep] == ([4] if depth > MAX_DEPTH else [])
