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

from policyc.semantics.driver import check_file
from policyc.syntax.diagnostics import Diagnostic, render_text, underlined

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
    result = check_file(case.path)
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
    return {c for c in codes if not c.startswith("PC9")}


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
