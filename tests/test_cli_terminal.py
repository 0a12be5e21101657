"""What a person at a terminal sees: `eval`'s table fitted to the terminal's width, its rows and columns chosen by
--org, --period and --columns in every format, and `compare`'s summary within the width."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc import cli
from policyc.cli import terminal

ROOT = Path(__file__).resolve().parents[1]
REGIME_2009 = ROOT / "policies" / "performance_2009.policy"
REGIME_2025 = ROOT / "policies" / "oversight_2025.policy"
DATA_2009 = ROOT / "examples" / "performance_2009_synthetic.csv"
ENGLAND = ROOT / "examples" / "england_synthetic.csv"


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


@pytest.fixture
def at_terminal(monkeypatch):
    """Standard output a terminal of the width the test sets."""

    def set_width(columns: int) -> None:
        monkeypatch.setattr(terminal, "width", lambda: columns)

    return set_width


@pytest.mark.parametrize("columns", [60, 100, 160])
def test_the_2025_table_fits_the_terminal_and_names_what_it_leaves_out(at_terminal, columns: int) -> None:
    at_terminal(columns)
    result = run("eval", REGIME_2025, "--data", ENGLAND, "--period", "2025Q3")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= columns
    head = lines[: next(k for k, line in enumerate(lines) if set(line) == {"─"})]
    # the organisation's columns and the outcome always; a long name wrapped after its underscores
    assert "org" in head[-1] and "period" in head[-1] and "segment" in " ".join(head)
    assert "more columns than fit" in result.stdout and "--columns" in result.stdout
    rows = [line for line in lines if line.startswith("SYN")]
    assert len(rows) == 236 and all(" 2025Q3 " in line for line in rows)


def test_a_table_that_fits_has_no_note_and_its_numbers_align_right(at_terminal) -> None:
    at_terminal(100)
    result = run("eval", REGIME_2009, "--data", DATA_2009, "--org", "SYNA003", "--columns", "overall,finance_score")
    assert result.exit_code == 0, result.output
    assert "more columns" not in result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["org", "org_type", "period", "overall", "finance_score"]
    values = [line for line in lines if line.startswith("SYNA003")]
    assert len(values) == 6
    assert len({len(line) for line in values}) == 1  # numbers right-aligned: each row ends at the same column
    assert values[0].endswith("1.85")


def test_without_a_terminal_the_table_is_plain_text_whole() -> None:
    result = run("eval", REGIME_2025, "--data", ENGLAND, "--period", "2025Q3")
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[0]
    assert "domain_people_workforce" in header and len(header) > 300  # every column, for tools
    assert "─" not in result.stdout and "more columns" not in result.stdout


def test_rows_and_columns_are_chosen_in_every_format() -> None:
    chosen = ("--org", "SYNA003,SYNA004", "--period", "2009Q3", "--columns", "overall,finance_score")
    out = run("eval", REGIME_2009, "--data", DATA_2009, "--format", "csv", *chosen)
    assert out.exit_code == 0, out.output
    records = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [(r["org"], r["period"]) for r in records] == [("SYNA003", "2009Q3"), ("SYNA004", "2009Q3")]
    assert list(records[0]) == ["org", "org_type", "period", "overall", "finance_score"]
    out = run("eval", REGIME_2009, "--data", DATA_2009, "--format", "json", *chosen)
    results = json.loads(out.stdout)["results"]
    assert [list(r["values"]) for r in results] == [["overall", "finance_score"]] * 2
    every = json.loads(run("eval", REGIME_2009, "--data", DATA_2009, "--format", "json").stdout)["results"]
    same = [r for r in every if r["org"] in ("SYNA003", "SYNA004") and r["period"] == "2009Q3"]
    assert [r["values"]["overall"] for r in same] == [r["values"]["overall"] for r in results]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("--org", "SYNA03"), 1, "no row of organisation `SYNA03` in the table; did you mean"),
        (("--period", "2013Q1"), 1, "no row of period 2013Q1 in the table, which holds 2009Q1, 2009Q2"),
        (("--period", "Q3"), 1, "`Q3` is not a period: write it as 2025Q3"),
        (("--columns", "overal"), 2, "`overal` is not a value the policy gives; did you mean `overall`?"),
        (("--columns", " , "), 2, "no value named"),
    ],
)
def test_a_choice_the_table_or_policy_lacks_is_named(args, code: int, message: str) -> None:
    result = run("eval", REGIME_2009, "--data", DATA_2009, *args)
    assert result.exit_code == code
    assert message in result.stderr and "Traceback" not in result.output
    assert str(DATA_2009) in result.stderr or code == 2


def test_the_period_of_an_explanation_keeps_every_period_in_the_results(tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    result = run("eval", REGIME_2009, "--data", DATA_2009, "--explain", "SYNA003", "--period", "2009Q3", "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("SYNA003 (acute, ") == 1
    assert len(out.read_text().splitlines()) > 100  # the table's rows, of every period


@pytest.mark.parametrize("columns", [80, 100])
def test_the_compare_summary_of_the_bundled_dataset_fits_the_terminal(at_terminal, columns: int) -> None:
    at_terminal(columns)
    result = run("compare", REGIME_2009, REGIME_2025, "--data", ENGLAND)
    assert result.exit_code == 0, result.output
    assert max(map(len, result.stdout.splitlines())) <= columns
    assert "What drove the moves" in result.stdout
    assert "59  B: adjusted_segment: no better than 3 when in_deficit" in result.stdout
    # each mover's outcome with its decisive step, not the step that only passes the delivery score on
    assert "    B: delivery_score 4: average_score " in result.stdout
    assert "segment 4: delivery_score as segment" not in result.stdout


def test_the_compare_summary_fits_100_columns_in_a_pipe_too() -> None:
    result = run("compare", REGIME_2009, REGIME_2025, "--data", ENGLAND)
    assert max(map(len, result.stdout.splitlines())) <= 100
