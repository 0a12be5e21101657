"""Every command's human-readable output under hostile text: control characters in a policy's strings and comments
and in a table's codes and names reach the terminal only as escapes; numpy's warnings never reach it at all."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from policyc.analysis import witness
from policyc.cli import main

# What may never be printed raw: C0 controls but the line feed (the output's own line breaks), DEL, C1 controls,
# the line and paragraph separators and the bidirectional controls.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
CONTROLS = ["\x1b", "\x1b[2J", "\u202e", "\x85", "\u2028", "\x7f", "\t", "\x07"]


def hostile(extra: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Short text of letters, spaces and control characters, ending in one."""
    pieces = st.lists(st.sampled_from(["a", "Z", " ", "9", *CONTROLS, *extra]), max_size=6).map("".join)
    return st.builds(lambda head, control: head + control, pieces, st.sampled_from([*CONTROLS, *extra]))


# A policy string holds anything but a quote, a backslash or a line break (a carriage return ends a line too); a
# comment anything but a line break.
policy_text = hostile()
# A quoted cell holds carriage returns, line feeds and NUL too.
cell_text = hostile(("\r", "\n", "\r\n", "\x00"))


def policy(strings: list[str], shift: int = 0) -> str:
    name, version, good, poor, described, source, assume, comment, test = strings
    return f"""policy "{name}" version "{version}"
org types acute
outcome overall
scale category: good "{good}" > poor "{poor}"
input score "{described}": number for all

overall =
  # {comment}
  when score >= {50 + shift}: good
  otherwise: poor
  source "{source}"
  assume "{assume}"

test "{test}"
  given org_type acute, score 90
  expect overall good
"""


MAPPING = """title = "Published"

[columns]
org = "org"
org_type = "org_type"
score = "score"

[published]
outcome = "published"
name = "org_name"
"""


def table(codes: list[str], names: list[str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(["org", "org_name", "org_type", "score", "published"])
    for n, (code, name) in enumerate(zip(codes, names, strict=True)):
        writer.writerow([f"{code}{n}", name, "acute", 40 + 20 * n, "poor" if n % 2 else "good"])
    return out.getvalue()


def write(folder: Path, strings: list[str], codes: list[str], names: list[str]) -> dict[str, Path]:
    paths = {name: folder / name for name in ("a.policy", "b.policy", "d.csv", "m.toml")}
    paths["a.policy"].write_text(policy(strings), encoding="utf-8")
    paths["b.policy"].write_text(policy(strings, shift=25), encoding="utf-8")
    paths["d.csv"].write_text(table(codes, names), encoding="utf-8", newline="")
    paths["m.toml"].write_text(MAPPING, encoding="utf-8")
    return paths


# Each command's arguments, and the exit statuses of a run that did its work (`fmt --check` finds the layout is
# not canonical).
COMMANDS = {
    "check": lambda p: ["check", p["a.policy"]],
    "fmt --check": lambda p: ["fmt", "--check", p["a.policy"]],
    "eval": lambda p: ["eval", p["a.policy"], "--data", p["d.csv"]],
    "eval --explain": lambda p: ["eval", p["a.policy"], "--data", p["d.csv"], "--explain", _org(p)],
    "compare": lambda p: ["compare", p["a.policy"], p["b.policy"], "--data", p["d.csv"]],
    "compare, no data": lambda p: ["compare", p["a.policy"], p["b.policy"], "--examples", "20"],
    "test": lambda p: ["test", p["a.policy"]],
    "agree": lambda p: ["agree", p["a.policy"], "--data", p["d.csv"], "--map", p["m.toml"]],
}


def _org(paths: dict[str, Path]) -> str:
    """The first organisation's code as the table is read."""
    args = ["eval", paths["a.policy"], "--data", paths["d.csv"], "--format", "json"]
    result = CliRunner().invoke(main, [str(a) for a in args])
    return json.loads(result.stdout)["results"][0]["org"]


SUCCESS = {command: (0, 1) if command == "fmt --check" else (0,) for command in COMMANDS}


@pytest.mark.parametrize("command", COMMANDS)
# Not shrunk: a leak shows in the first example that holds it, and shrinking one costs a minute.
@settings(
    max_examples=6,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    # the search without data runs Hypothesis itself
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.nested_given],
)
@given(
    strings=st.lists(policy_text, min_size=9, max_size=9),
    codes=st.lists(cell_text, min_size=3, max_size=3),
    names=st.lists(cell_text, min_size=3, max_size=3),
)
def test_no_control_character_reaches_the_terminal_raw(
    command: str, strings: list[str], codes: list[str], names: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    paths = write(tmp_path_factory.mktemp("hostile"), strings, codes, names)
    result = CliRunner().invoke(main, [str(a) for a in COMMANDS[command](paths)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    assert result.exit_code in SUCCESS[command], result.output
    for stream, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert RAW.findall(text) == [], (stream, text)


def test_the_search_names_hostile_files_printable(tmp_path: Path) -> None:
    result = witness.SearchResult(
        a_outcome="overall",
        b_outcome="overall",
        a_scale=("good", "poor"),
        b_scale=("good", "poor"),
        org_types=(),
        cohort_size=1,
        seed=0,
        independent=False,
        pairs_seen={},
        explored=0,
        examples_tried=0,
        failed=0,
        seconds=0.0,
        most_different=None,
        wanted=None,
        found=False,
        witness=None,
    )
    text = witness.to_text(result, "a\x1b[2J.policy", "b\u202e.policy")
    assert RAW.findall(text) == [] and "a\\x1b[2J.policy" in text and "b\\u202e.policy" in text


def test_json_outputs_keep_the_data_exact_and_strict(tmp_path: Path) -> None:
    strings = ["Name\x1b", "1", "Good", "Poor", "Score", "Source\u202e", "Assumed", "comment", "test"]
    paths = write(tmp_path, strings, ["C\x1b", "D", "E"], ["Trust\r\nOne\x00", "Two", "Three"])
    data = paths["d.csv"]
    result = CliRunner().invoke(main, ["compare", str(paths["a.policy"]), str(paths["b.policy"]), "--data", str(data)])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(
        main, ["compare", str(paths["a.policy"]), str(paths["b.policy"]), "--data", str(data), "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout, parse_constant=lambda name: pytest.fail(f"not strict JSON: {name}"))
    assert doc["rows"][0]["org"] == "C\x1b0" and doc["rows"][0]["name"] == "Trust\r\nOne\x00"
    assert doc["policies"][0]["name"] == "Name\x1b"


NUMBERS = """policy "Numbers" version "1"
org types acute
outcome product
input x: number for all
input y: number for all

product = x * y - x * y
"""


def test_numbers_that_overflow_print_no_numpy_warning(tmp_path: Path) -> None:
    (tmp_path / "n.policy").write_text(NUMBERS)
    (tmp_path / "m.policy").write_text(NUMBERS.replace("x * y - x * y", "x / (y - y)"))
    (tmp_path / "d.csv").write_text("org,org_type,x,y\nA,acute,1e308,1e308\nB,acute,0,0\nC,acute,,\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for args in (
            ["eval", "n.policy", "--data", "d.csv"],
            ["eval", "n.policy", "--data", "d.csv", "--explain", "A"],
            ["compare", "n.policy", "m.policy", "--data", "d.csv"],
            ["compare", "n.policy", "m.policy", "--data", "d.csv", "--format", "json"],
            ["compare", "n.policy", "m.policy", "--data", "d.csv", "--format", "html"],
        ):
            named = [str(tmp_path / a) if a.endswith((".policy", ".csv")) else a for a in args]
            result = CliRunner().invoke(main, named)
            assert result.exit_code == 0, (args, result.output)
            assert "Warning" not in result.stderr and "internal error" not in result.stderr, (args, result.stderr)
