"""The command line's promises under failure: one message for an internal error in any command, never a traceback;
empty paths, folders without policies and comparisons of nothing are errors with their own messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from policyc import cli

POLICY = """policy "P" version "1"
org types acute, ambulance
outcome band
scale level: good > fair > poor
input score: number for all
input capped: yes/no for all

band =
  when score <= 2: good
  when score <= 3: fair
  otherwise: poor
  source "test"
  no better than fair when capped
    source "test"

test "good at 2 and below"
  given org_type acute, score 2, capped no
  expect band good
  source "test"
"""

DATA = "org,org_type,score,capped\nA,acute,1.5,no\nB,ambulance,3.5,yes\n"

MAPPING = """title = "Test results"

[columns]
org = "code"
org_type = "kind"
score = "avg"
capped = "flag"

[published]
outcome = "published"
"""

PUBLISHED = "code,kind,avg,flag,published\nA,acute,1.5,no,good\nB,ambulance,3.5,yes,poor\n"


@pytest.fixture
def given(tmp_path: Path) -> dict[str, Path]:
    paths = {
        "policy": tmp_path / "p.policy",
        "data": tmp_path / "d.csv",
        "mapping": tmp_path / "m.toml",
        "published": tmp_path / "published.csv",
    }
    for name, text in (("policy", POLICY), ("data", DATA), ("mapping", MAPPING), ("published", PUBLISHED)):
        paths[name].write_text(text, encoding="utf-8")
    return paths


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli.main, [str(a) for a in args])


# Each command, with a function inside it that is made to fail: (the command's words, the module and its name).
COMMANDS = {
    "check": (["check", "{policy}"], "policyc.cli.authoring", "check_file"),
    "fmt": (["fmt", "{policy}"], "policyc.format.printer", "format_text"),
    "compile": (["compile", "{policy}"], "policyc.backend.compile", "compile_file"),
    "eval": (["eval", "{policy}", "--data", "{data}"], "policyc.analysis.evaluation", "evaluate_file"),
    "eval --explain": (
        ["eval", "{policy}", "--data", "{data}", "--explain", "A"],
        "policyc.analysis.explain",
        "explain",
    ),
    "agree": (
        ["agree", "{policy}", "--data", "{published}", "--map", "{mapping}"],
        "policyc.analysis.agreement",
        "hold",
    ),
    "compare": (["compare", "{policy}", "{policy}", "--data", "{data}"], "policyc.analysis.compare", "document"),
    "compare (search)": (["compare", "{policy}", "{policy}"], "policyc.analysis.search", "search"),
    "test": (["test", "{policy}"], "policyc.analysis.testing", "run"),
    "test --suggest": (["test", "--suggest", "{policy}"], "policyc.analysis.testing", "suggestions"),
}


def words(command: str, given: dict[str, Path]) -> list[str]:
    return [word.format(**{k: str(v) for k, v in given.items()}) for word in COMMANDS[command][0]]


def make_fail(monkeypatch: pytest.MonkeyPatch, command: str, error: BaseException) -> None:
    _, module, name = COMMANDS[command]

    def broken(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(f"{module}.{name}", broken)


@pytest.mark.parametrize("command", COMMANDS)
def test_an_internal_error_in_any_command_is_pc901_naming_the_file(
    command: str, given: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_fail(monkeypatch, command, RuntimeError("it fell over"))
    result = run(*words(command, given))
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not an exception reaching the user
    assert "error[PC901]: internal error while processing" in result.output
    assert str(given["policy"]) in result.output
    assert "RuntimeError: it fell over" in result.output
    assert "Traceback" not in result.output


def test_out_of_memory_and_too_deep_end_in_messages(given: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_fail(monkeypatch, "eval", MemoryError())
    result = run(*words("eval", given))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"error: ran out of memory while processing `{given['policy']}`" in result.stderr
    make_fail(monkeypatch, "eval", RecursionError("maximum recursion depth exceeded"))
    result = run(*words("eval", given))
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"error[PC902]: `{given['policy']}` is nested too deeply to process" in result.stderr


def test_an_interrupt_is_still_reported_by_click(given: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    make_fail(monkeypatch, "eval", KeyboardInterrupt())
    result = run(*words("eval", given))
    assert result.exit_code == 1
    assert "Aborted!" in result.output and "PC901" not in result.output


def test_an_internal_error_shows_no_traceback_on_the_real_standard_error(given: dict[str, Path]) -> None:
    script = (
        "import policyc.analysis.evaluation as evaluation\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('it fell over')\n"
        "evaluation.evaluate_file = broken\n"
        "from policyc.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, "eval", str(given["policy"]), "--data", str(given["data"])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "PC901" in done.stderr and "RuntimeError: it fell over" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_reader_that_goes_away_stops_the_command_quietly(given: dict[str, Path]) -> None:
    command = [sys.executable, "-m", "policyc", "eval", str(given["policy"]), "--data", str(given["data"])]
    reading = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert reading.stdout is not None and reading.stderr is not None
    reading.stdout.close()  # as `| head` does, before the table is written
    error = reading.stderr.read().decode()
    assert reading.wait(timeout=120) == 141, error
    assert error == ""


# ---------------------------------------------------------------- paths that name nothing


@pytest.mark.parametrize("command", ["check", "fmt", "test"])
def test_an_empty_path_is_a_usage_error(command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "here.policy").write_text("not a policy\n")  # what '' would have stood for, the current folder
    result = run(command, "")
    assert result.exit_code == 2
    assert "an empty path names no file" in result.stderr
    assert "here.policy" not in result.output


def test_an_empty_out_is_a_usage_error(given: dict[str, Path]) -> None:
    result = run("compile", given["policy"], "--out", "")
    assert result.exit_code == 2 and "an empty path names no file" in result.stderr


@pytest.mark.parametrize("coverage", [[], ["--coverage-min", "100"]])
def test_test_on_a_folder_without_policies_is_an_error(tmp_path: Path, coverage: list[str]) -> None:
    (tmp_path / "empty").mkdir()
    result = run("test", *coverage, tmp_path / "empty")
    assert result.exit_code == 2
    assert f"{tmp_path / 'empty'}: no .policy files in this folder" in result.stderr


def test_test_names_the_empty_folder_among_others(tmp_path: Path, given: dict[str, Path]) -> None:
    (tmp_path / "empty").mkdir()
    result = run("test", given["policy"], tmp_path / "empty")
    assert result.exit_code == 2
    assert "empty: no .policy files in this folder" in result.stderr
    assert run("test", given["policy"]).exit_code == 0


# ---------------------------------------------------------------- agreement over nothing


@pytest.mark.parametrize("fail_under", [[], ["--fail-under", "0"], ["--fail-under", "100"]])
def test_agree_fails_when_nothing_was_compared(given: dict[str, Path], fail_under: list[str]) -> None:
    given["published"].write_text(PUBLISHED.replace(",good\n", ",\n").replace(",poor\n", ",\n"), encoding="utf-8")
    result = run("agree", given["policy"], "--data", given["published"], "--map", given["mapping"], *fail_under)
    assert result.exit_code == 1
    assert "band agrees with the published `published` for 0 of 0 (-)" in result.stdout
    assert "2 rows with no published value left out" in result.stdout
    assert f"error: nothing was compared: no row of {given['published']} has a published `published`" in (result.stderr)


def test_agree_passes_the_bar_it_reaches(given: dict[str, Path]) -> None:
    args = ("agree", given["policy"], "--data", given["published"], "--map", given["mapping"])
    result = run(*args, "--fail-under", "100")
    assert result.exit_code == 0, result.output
    assert "for 2 of 2 (100.0%)" in result.stdout
