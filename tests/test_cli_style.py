"""Conventions every command keeps: colour decided by --color, FORCE_COLOR and NO_COLOR; -V; -o for --out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli import main
from policyc.version import __version__

ROOT = Path(__file__).parent.parent
BROKEN = ROOT / "tests" / "policies" / "broken" / "PC201_unknown_name.policy"
FAILING = ROOT / "tests" / "policies" / "valid" / "skeleton_2009.policy"  # one of its two tests fails
POLICY = ROOT / "policies" / "performance_2009.policy"
DATA = ROOT / "examples" / "performance_2009_synthetic.csv"
RED = "\033[1;31m"


def run(*args: str | Path, env: dict[str, str] | None = None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


@pytest.mark.parametrize(
    ("flag", "env", "coloured"),
    [
        ([], {}, False),  # not a terminal
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),  # the option wins
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": "0"}, False),
        ([], {"FORCE_COLOR": "1", "NO_COLOR": "1"}, True),
        (["--color", "auto"], {"FORCE_COLOR": "", "NO_COLOR": ""}, False),
    ],
)
def test_colour_is_decided_the_same_way_in_every_command(flag: list[str], env: dict[str, str], coloured: bool) -> None:
    outputs = {
        "check": run("check", *flag, BROKEN, env=env).stdout,
        "test": run("test", *flag, FAILING, env=env).stdout,
        "eval": run("eval", *flag, POLICY, "--data", ROOT / "missing.csv", env=env).stderr,
        "compile": run("compile", *flag, BROKEN, env=env).stderr,
    }
    assert {command: RED in text for command, text in outputs.items()} == dict.fromkeys(outputs, coloured)


def test_the_colours_mark_what_they_mean() -> None:
    check = run("check", "--color", "always", BROKEN).stdout
    assert f"{RED}error\033[0m[PC201]" in check
    tested = run("test", "--color", "always", FAILING).stdout
    assert f"  {RED}FAIL\033[0m skeleton_2009.policy:" in tested and f"1 passed, {RED}1 failed\033[0m" in tested
    passed = run("test", "--color", "always", POLICY).stdout
    assert "\033[32m0 failed\033[0m" in passed
    assert json.loads(run("check", "--color", "always", "--format", "json", BROKEN).stdout)  # JSON is never coloured


def test_dash_capital_v_is_the_version() -> None:
    assert run("-V").stdout == run("--version").stdout == f"policyc, version {__version__}\n"


@pytest.mark.parametrize(
    "args",
    [
        ["eval", POLICY, "--data", DATA, "--format", "csv"],
        ["compare", POLICY, POLICY, "--data", DATA],
        ["compile", POLICY],
    ],
    ids=["eval", "compare", "compile"],
)
def test_dash_o_is_out_on_every_command_that_writes(args: list[str | Path], tmp_path: Path) -> None:
    short = run(*args, "-o", tmp_path / "short")
    long = run(*args, "--out", tmp_path / "long")
    assert short.exit_code == long.exit_code == 0, short.output
    assert (tmp_path / "short").read_bytes() == (tmp_path / "long").read_bytes() != b""
