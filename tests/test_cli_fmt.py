"""`policyc fmt` through the command line: rewrites, --check, and files left alone on any failure."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from policyc import cli
from policyc.data import files
from policyc.format import printer

MESSY = 'policy   "P"   version "1"\norg types acute\ninput x:yes/no   for all # why\nv = x   and   x\n'
CANONICAL = printer.format_text("m.policy", MESSY)[0]
SHIPPED = Path(__file__).parent.parent / "policies"


def run(*args):
    return CliRunner().invoke(cli.main, ["fmt", *map(str, args)])


def test_fmt_rewrites_a_file_in_canonical_form(tmp_path: Path) -> None:
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")
    result = run(path)
    assert result.exit_code == 0, result.output
    assert f"reformatted {path}" in result.output
    assert path.read_text(encoding="utf-8") == CANONICAL
    assert "# why" in CANONICAL
    assert run(path).output == ""  # already canonical: nothing to say, nothing written


def test_fmt_check_changes_nothing_and_fails_when_a_file_would_change(tmp_path: Path) -> None:
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")
    result = run("--check", path)
    assert result.exit_code == 1
    assert f"would reformat {path}" in result.output
    assert path.read_text(encoding="utf-8") == MESSY
    path.write_text(CANONICAL, encoding="utf-8")
    assert run("--check", path).exit_code == 0


def test_fmt_diff_changes_nothing_and_prints_a_diff_that_patch_applies(tmp_path: Path) -> None:
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")
    result = run("--diff", path)
    assert result.exit_code == 1
    assert path.read_text(encoding="utf-8") == MESSY
    lines = result.stdout.splitlines()
    assert lines[:2] == [f"--- {path}\t(original)", f"+++ {path}\t(formatted)"]
    assert "-v = x   and   x" in lines and "+v = x and x" in lines
    if shutil.which("patch"):
        (tmp_path / "m.diff").write_text(result.stdout, encoding="utf-8")
        subprocess.run(["patch", "-s", str(path), str(tmp_path / "m.diff")], check=True, timeout=60)
        assert path.read_text(encoding="utf-8") == CANONICAL
    else:
        path.write_text(CANONICAL, encoding="utf-8")
    canonical = run("--diff", path)
    assert (canonical.exit_code, canonical.stdout) == (0, "")


def test_fmt_diff_shows_control_characters_escaped(tmp_path: Path) -> None:
    path = tmp_path / "m.policy"
    path.write_text(MESSY.replace("# why", "# why \x1b[31m"), encoding="utf-8")
    result = run("--diff", path)
    assert result.exit_code == 1 and "\x1b" not in result.stdout and "\\x1b[31m" in result.stdout


def test_the_shipped_policies_are_in_canonical_form() -> None:
    result = run("--check", SHIPPED)
    assert result.exit_code == 0, result.output


def test_a_syntax_error_is_reported_and_the_file_left_as_it_is(tmp_path: Path) -> None:
    path = tmp_path / "bad.policy"
    text = 'policy "P"\norg types acute\nv = 1 +\n'
    path.write_text(text, encoding="utf-8")
    result = run(path)
    assert result.exit_code == 1
    assert "error[PC101]" in result.output and f"{path}:3:" in result.output
    assert path.read_text(encoding="utf-8") == text


def test_an_unreadable_file_exits_2_and_the_others_are_still_formatted(tmp_path: Path) -> None:
    good = tmp_path / "good.policy"
    good.write_text(MESSY, encoding="utf-8")
    result = run(tmp_path / "missing.policy", good)
    assert result.exit_code == 2
    assert "cannot read the file" in result.output
    assert good.read_text(encoding="utf-8") == CANONICAL


def test_a_formatter_that_would_change_the_meaning_leaves_the_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")
    monkeypatch.setattr(printer, "print_policy", lambda policy: MESSY.replace("and", "or"))
    result = run(path)
    assert result.exit_code == 1
    assert "PC901" in result.output
    assert path.read_text(encoding="utf-8") == MESSY


def test_a_failed_write_leaves_the_original_and_no_temporary_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "replace", broken_replace)
    result = run(path)
    assert result.exit_code == 2
    assert isinstance(result.exception, SystemExit)  # a message, not an exception reaching the user
    assert "cannot write the file" in result.output and "No space left" in result.output
    assert path.read_text(encoding="utf-8") == MESSY
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.policy"]


def test_an_internal_error_names_the_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "m.policy"
    path.write_text(MESSY, encoding="utf-8")

    def explode(path, text):
        raise RuntimeError("boom")

    monkeypatch.setattr(printer, "format_text", explode)
    result = run(path)
    assert result.exit_code == 1
    assert isinstance(result.exception, SystemExit)
    assert "PC901" in result.output and str(path) in result.output
