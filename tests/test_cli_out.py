"""Where the command line writes: `--out -` is standard output for every command; links are written through,
devices and FIFOs written into, and nothing but a regular file is ever replaced."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from test_cli_errors import DATA, MAPPING, POLICY, PUBLISHED

from policyc import cli

MESSY = 'policy   "P"   version "1"\norg types acute\ninput x:yes/no   for all\nv = x   and   x\n'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in (("p.policy", POLICY), ("d.csv", DATA), ("m.toml", MAPPING), ("published.csv", PUBLISHED)):
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # a file named `-` would appear here
    return tmp_path


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(cli.main, [str(a) for a in args])


WITH_OUT = {
    "compile": ["compile", "p.policy"],
    "eval": ["eval", "p.policy", "--data", "d.csv", "--format", "csv"],
    "agree": ["agree", "p.policy", "--data", "published.csv", "--map", "m.toml"],
    "compare": ["compare", "p.policy", "p.policy", "--data", "d.csv"],
    "compare (search)": ["compare", "p.policy", "p.policy", "--examples", "20", "--format", "json"],
}


def without_timing(text: str) -> list[str]:
    """The lines of an output, less the search's time taken, which differs from run to run."""
    return [line for line in text.splitlines() if '"seconds"' not in line]


@pytest.mark.parametrize("command", WITH_OUT)
def test_out_dash_is_standard_output(folder: Path, command: str) -> None:
    plain = run(*WITH_OUT[command])
    dashed = run(*WITH_OUT[command], "--out", "-")
    assert plain.exit_code == dashed.exit_code == 0, dashed.output
    assert without_timing(dashed.stdout) == without_timing(plain.stdout) and dashed.stdout
    assert not (folder / "-").exists()


def test_compile_writes_through_a_symlink_and_keeps_it(folder: Path) -> None:
    (folder / "real.py").write_text("old\n")
    (folder / "link.py").symlink_to("real.py")
    result = run("compile", "p.policy", "-o", "link.py")
    assert result.exit_code == 0, result.output
    assert (folder / "link.py").is_symlink()
    assert (folder / "real.py").read_text() == run("compile", "p.policy").stdout


def test_fmt_of_a_symlinked_policy_rewrites_its_target_and_keeps_the_link(folder: Path) -> None:
    (folder / "sources").mkdir()
    target = folder / "sources" / "m.policy"
    target.write_text(MESSY, encoding="utf-8")
    link = folder / "m.policy"
    link.symlink_to(Path("sources") / "m.policy")
    result = run("fmt", link)
    assert result.exit_code == 0, result.output
    assert f"reformatted {link}" in result.output
    assert link.is_symlink()
    assert target.read_text(encoding="utf-8") != MESSY
    assert run("fmt", "--check", target).exit_code == 0  # the target is now in canonical form


def test_out_into_dev_null_leaves_it_a_character_device(folder: Path) -> None:
    result = run("eval", "p.policy", "--data", "d.csv", "--out", "/dev/null")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_out_into_a_fifo_reaches_its_reader(folder: Path) -> None:
    fifo = folder / "fifo"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()))
    reader.start()
    result = run("compile", "p.policy", "-o", fifo)
    reader.join(timeout=10)
    assert result.exit_code == 0, result.output
    assert received == [run("compile", "p.policy").stdout]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_out_into_a_folder_is_refused_with_a_message(folder: Path) -> None:
    (folder / "results").mkdir()
    result = run("eval", "p.policy", "--data", "d.csv", "--out", "results")
    assert result.exit_code == 2
    assert "'results' is a directory" in result.stderr
    assert (folder / "results").is_dir()
