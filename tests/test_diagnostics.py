"""Every diagnostic code has a broken policy that triggers it, pointing at the right text.

Each file in `tests/policies/broken/` opens with comment lines that say what it expects:

    # expect: PC304 "98 <= value: achieved"     the code and the exact text the caret line underlines
    # help: did you mean                          (optional) a substring of the help of the line above

The expected text is a JSON string literal, so a quote is `\\"` and a line break `\\n`. Base
policies that variants extend live in `broken/bases/` and are not checked on their own.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import attrs
import pytest
from conftest import invoke

from policyc.semantics.driver import check_file, check_source
from policyc.syntax.diagnostics import Diagnostic, Severity, render_text, to_json, underlined
from policyc.syntax.source import Source

TESTS = Path(__file__).parent
POLICIES = TESTS / "policies"
BROKEN = POLICIES / "broken"
GOLDEN = TESTS / "golden" / "diagnostics"
PACKAGE = TESTS.parent / "policyc"

EXPECT = re.compile(r'^#\s*expect:\s*(PC\d{3})\s+(".*")\s*$')
HELP = re.compile(r"^#\s*help:\s*(.+?)\s*$")
CODE_LITERAL = re.compile(r"""["'](PC\d{3})["']""")


@attrs.frozen
class Expected:
    code: str
    text: str
    help: str | None = None

    @property
    def is_warning(self) -> bool:
        # The house convention: PCx5x codes are warnings, every other code an error.
        return self.code[3] == "5"


@attrs.frozen
class Case:
    path: Path
    expected: tuple[Expected, ...]


def read_case(path: Path) -> Case:
    expected: list[Expected] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        if m := EXPECT.match(line):
            expected.append(Expected(m.group(1), json.loads(m.group(2))))
        elif m := HELP.match(line):
            assert expected, f"{path.name}: `# help:` must follow an `# expect:` line"
            expected[-1] = attrs.evolve(expected[-1], help=m.group(1))
    return Case(path, tuple(expected))


def broken_files() -> list[Path]:
    return sorted(BROKEN.glob("*.policy"))


def cases() -> list:
    return [pytest.param(read_case(path), id=path.stem) for path in broken_files()]


def describe(diags: list[Diagnostic], sources) -> str:
    return (
        "\n".join(
            f"  {d.code} {d.severity.value} {underlined(d, sources)!r}: {d.message} (help: {d.help})" for d in diags
        )
        or "  (none)"
    )


@pytest.mark.parametrize("case", cases())
def test_broken_policy(case: Case) -> None:
    assert case.expected, f"{case.path.name} declares no `# expect:` line"
    result = check_file(case.path, missing_data=True)
    diags = result.diagnostics.sorted()
    found = describe(diags, result.sources)
    nowhere = [d for d in diags if d.span is None or d.span.file not in result.sources]
    assert not nowhere, f"diagnostics that name no file that was checked:\n{describe(nowhere, result.sources)}"
    for want in case.expected:
        matches = [d for d in diags if d.code == want.code and underlined(d, result.sources) == want.text]
        assert matches, f"no {want.code} underlining {want.text!r}; found:\n{found}"
        assert all(d.is_error != want.is_warning for d in matches), f"{want.code} has the wrong severity"
        if want.help is not None:
            assert any(want.help in (d.help or "") for d in matches), (
                f"{want.code} help lacks {want.help!r}; found:\n{found}"
            )
    expected_errors = {w.code for w in case.expected if not w.is_warning}
    assert {d.code for d in diags if d.is_error} == expected_errors, f"unexpected errors:\n{found}"
    if not expected_errors:
        assert result.ok, "a policy with warnings only must still check"


REPEATED_PHRASE = re.compile(r"\b(\w+(?: \w+)+) \1\b|\b(?:value|label) of (?:a value of|one of)\b")


@pytest.mark.parametrize("path", broken_files(), ids=lambda p: p.stem)
def test_every_diagnostic_says_the_fix(path: Path) -> None:
    result = check_file(path)
    lacking = [d for d in result.diagnostics.sorted() if not (d.help or "").strip()]
    assert not lacking, f"diagnostics without help:\n{describe(lacking, result.sources)}"


@pytest.mark.parametrize("path", broken_files(), ids=lambda p: p.stem)
def test_messages_read_well(path: Path) -> None:
    result = check_file(path)
    garbled = [
        d
        for d in result.diagnostics.sorted()
        if REPEATED_PHRASE.search(d.message) or REPEATED_PHRASE.search(d.help or "")
    ]
    assert not garbled, f"garbled messages:\n{describe(garbled, result.sources)}"


def test_bases_are_valid() -> None:
    """The bases that variants extend are sound on their own, so a variant's error is its own."""
    for path in sorted((BROKEN / "bases").glob("*.policy")):
        if path.name.startswith("loop_"):
            continue
        result = check_file(path)
        assert result.ok, describe(result.diagnostics.sorted(), result.sources)


def emitted_codes() -> set[str]:
    codes = set()
    for path in PACKAGE.rglob("*.py"):
        codes.update(CODE_LITERAL.findall(path.read_text(encoding="utf-8")))
    # PC9xx are internal; PC7xx come from a back end, not `check`, and tests/test_sql.py triggers them.
    return {c for c in codes if not c.startswith(("PC9", "PC7"))}


def test_every_code_has_a_broken_policy() -> None:
    emitted = emitted_codes()
    assert len(emitted) > 30, "the scan of policyc/ found too few codes; has the layout changed?"
    covered = {want.code for path in broken_files() for want in read_case(path).expected}
    missing = sorted(emitted - covered)
    assert not missing, f"codes without a file in tests/policies/broken/: {', '.join(missing)}"
    stale = sorted(covered - emitted)
    assert not stale, f"broken files expect codes that policyc no longer emits: {', '.join(stale)}"


# ---------------------------------------------------------------- golden text output

GOLDEN_FILES = [
    "PC101_three_declarations",
    "PC304_gap_between_bands",
    "PC201_unknown_name",
    "PC316_band_results_mix_kinds",
]


@pytest.mark.parametrize("name", GOLDEN_FILES)
def test_rendered_text_golden(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Relative paths, so that the file names in the output do not depend on the checkout's place.
    monkeypatch.chdir(POLICIES)
    result = check_file(Path("broken") / f"{name}.policy")
    text = "\n\n".join(render_text(d, result.sources, color=False) for d in result.diagnostics.sorted()) + "\n"
    golden = GOLDEN / f"{name}.txt"
    if os.environ.get("POLICYC_UPDATE_GOLDEN") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; run with POLICYC_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(encoding="utf-8")


# ---------------------------------------------------------------- hostile text in the terminal


def _rendered(path: str, text: str) -> str:
    result = check_source(Source(path, text))
    return "\n\n".join(render_text(d, result.sources) for d in result.diagnostics.sorted())


def _caret_under(rendered: str, quoted: str) -> str:
    """The text of the quoted line that the caret line underneath it underlines."""
    lines = rendered.splitlines()
    at = next(i for i, line in enumerate(lines) if line.endswith(quoted))
    start = lines[at].index("| ") + 2
    carets = lines[at + 1][start:]
    first = len(carets) - len(carets.lstrip(" "))
    return lines[at][start + first : start + len(carets)]


def test_an_escape_sequence_in_a_comment_is_shown_escaped_and_the_caret_stays_under_its_text() -> None:
    text = 'policy "P"  # \x1b[2J\x1b[31m\norg types acute\nx = finanse  # \x1b]0;owned\x07\n'
    rendered = _rendered("t.policy", text)
    assert "\x1b" not in rendered and "\x07" not in rendered
    assert "x = finanse  # \\x1b]0;owned\\x07" in rendered
    assert _caret_under(rendered, "x = finanse  # \\x1b]0;owned\\x07") == "finanse"


def test_an_unexpected_control_character_is_named_and_shown_escaped() -> None:
    rendered = _rendered("t.policy", 'policy "P"\norg types acute\nx = 1 \x1b[31m+ 2\n')
    assert "error[PC102]: unexpected character `U+001B`" in rendered
    assert "\x1b" not in rendered
    assert _caret_under(rendered, "x = 1 \\x1b[31m+ 2") == "\\x1b"


def test_the_caret_stays_under_a_name_after_control_characters_on_its_line() -> None:
    text = 'policy "P"\norg types acute\nmetric m "\x01\x02\u202e" percent, higher is better, for acut\n'
    result = check_source(Source("t.policy", text))
    [diag] = result.diagnostics.sorted()
    assert _caret_under(render_text(diag, result.sources), "for acut") == underlined(diag, result.sources)
    assert underlined(diag, result.sources) == "for acut"
    assert 'metric m "\\x01\\x02\\u202e" percent' in render_text(diag, result.sources)


def test_user_text_cannot_split_a_diagnostic_or_forge_an_annotation() -> None:
    diag = Diagnostic(
        "PC201",
        Severity.ERROR,
        "unknown name `a\nb`",
        Source("x\n::error file=y.policy::forged\n", "a\nb").span(0, 1),
        help="did you mean `\x1b[8mab`?",
    )
    rendered = render_text(diag, {})
    assert rendered.splitlines() == [
        "x\\n::error file=y.policy::forged\\n:1:1: error[PC201]: unknown name `a\\nb`",
        "  = help: did you mean `\\x1b[8mab`?",
    ]
    assert "\x1b" not in render_text(attrs.evolve(diag, span=None), {})


def test_a_file_name_with_a_line_break_prints_no_annotation_in_text_output(tmp_path: Path) -> None:
    path = tmp_path / "a\n::error file=forged.policy,line=1::forged\n.policy"
    path.write_text('policy "P"\norg types acute\nx = finanse\n', encoding="utf-8")
    result = invoke("check", path)
    assert result.exit_code == 1
    assert "error[PC201]" in result.output
    assert not any(line.startswith("::") for line in result.output.splitlines())


def test_json_keeps_user_text_exact() -> None:
    result = check_source(Source("a\nb.policy", 'policy "P"\norg types acute\nx = 1 \x1b+ 2\n'))
    [diag] = result.diagnostics.sorted()
    document = to_json(diag, result.sources)
    assert document["file"] == "a\nb.policy"
    assert document["text"] == "\x1b"


def test_every_code_is_in_the_table_of_codes() -> None:
    table = (TESTS.parent / "docs" / "language.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| (PC\d{3}) \|", table, re.MULTILINE))
    used = set()
    for path in PACKAGE.rglob("*.py"):
        used.update(CODE_LITERAL.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 30
    assert sorted(used - documented) == []
