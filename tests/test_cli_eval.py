"""`policyc compile` and `policyc eval` through the command line: outputs, overrides, explanations, bad data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc import cli

POLICY = """policy "Test framework" version "1"
  source "a test"

org types acute, ambulance
outcome segment

scale segment: 1 > 2 > 3 > 4
scale grade: good > fair > poor

input in_deficit "In deficit": yes/no for all
judgement special: yes/no for acute
input rating: one of good / fair / poor for all

metric ae "A&E" percent, higher is better, for acute, ambulance
  ranked, standard 90
  source "Table 3"

average = round(mean(metric scores), 2)
  source "step 2"

band = when average <= 2: 1 when average <= 3: 2 otherwise: 3

segment = band as segment
  no better than 3 when in_deficit
    source "step 3"
    assume "the cap is 3, as the manual says for deficits"
"""

HEADER = "org,org_type,in_deficit,special,rating,ae\n"
ROWS = [
    "A1,acute,no,no,good,95",
    "A2,acute,yes,no,fair,80",
    "A3,acute,no,,poor,70",
    "B1,ambulance,no,,good,60",
]


@pytest.fixture
def files(tmp_path: Path):
    policy = tmp_path / "t.policy"
    policy.write_text(POLICY, encoding="utf-8")

    def data(*rows: str, header: str = HEADER, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(header + "".join(r + "\n" for r in rows), encoding="utf-8")
        return path

    return policy, data


def run(*args):
    return CliRunner().invoke(cli.main, [str(a) for a in args])


def test_compile_writes_a_module_that_evaluates(files, tmp_path: Path) -> None:
    policy, _ = files
    out = tmp_path / "evaluator.py"
    result = run("compile", policy, "-o", out)
    assert result.exit_code == 0, result.stderr
    namespace: dict = {}
    exec(out.read_text(encoding="utf-8"), namespace)
    assert namespace["POLICY"] == {"name": "Test framework", "version": "1"}
    assert namespace["OUTCOME"] == "segment"
    assert run("compile", policy).stdout == out.read_text(encoding="utf-8")


def test_compile_refuses_a_policy_with_errors_and_shows_them(tmp_path: Path) -> None:
    policy = tmp_path / "bad.policy"
    policy.write_text('policy "P"\norg types acute\nx = y\n', encoding="utf-8")
    out = tmp_path / "out.py"
    result = run("compile", policy, "-o", out)
    assert result.exit_code == 1
    assert "error[PC201]: unknown name `y`" in result.stderr
    assert "1 error; fix it first" in result.stderr
    assert not out.exists()
    assert run("compile", tmp_path / "absent.policy").exit_code == 2


def test_eval_json_holds_every_named_value_with_labels_numbers_booleans_and_nulls(files) -> None:
    policy, data = files
    result = run("eval", policy, "--data", data(*ROWS), "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["policy"] == {"name": "Test framework", "version": "1"}
    first, second, third, ambulance = doc["results"]
    assert (first["org"], first["org_type"], first["period"]) == ("A1", "acute", None)
    assert list(first["values"]) == ["in_deficit", "special", "rating", "ae", "ae.score", "average", "band", "segment"]
    assert first["values"] == {
        "in_deficit": False,
        "special": False,
        "rating": "good",
        "ae": 95.0,
        "ae.score": 1.0,
        "average": 1.0,
        "band": 1.0,
        "segment": 1,
    }
    # A2 is the best below the standard (2.00), A3 the worst (4.00); A2's deficit caps it at 3.
    assert second["values"]["ae.score"] == 2.0 and second["values"]["segment"] == 3
    assert third["values"]["special"] is None and third["values"]["segment"] == 3
    assert ambulance["values"]["special"] is None  # a judgement for acute trusts only
    assert ambulance["values"]["ae.score"] == 2.0  # alone in its cohort, below the standard: 2.00


def test_eval_csv_and_table(files) -> None:
    policy, data = files
    path = data(*ROWS)
    csv_out = run("eval", policy, "--data", path, "--format", "csv")
    assert csv_out.exit_code == 0, csv_out.stderr
    lines = csv_out.stdout.splitlines()
    assert lines[0] == "org,org_type,period,in_deficit,special,rating,ae,ae.score,average,band,segment"
    assert lines[3].startswith("A3,acute,,no,,poor,70")
    table = run("eval", policy, "--data", path)
    assert table.exit_code == 0, table.stderr
    assert "average" in table.stdout.splitlines()[0] and "ae.score" not in table.stdout
    assert len(table.stdout.splitlines()) >= 5


def test_a_column_named_after_a_value_overrides_it_where_the_cell_is_not_empty(files) -> None:
    policy, data = files
    path = data("A1,acute,no,no,good,95,3.5", "A2,acute,no,no,fair,80,", header=HEADER.strip() + ",average\n")
    doc = json.loads(run("eval", policy, "--data", path, "--format", "json").stdout)
    # A2 computes its own: alone below the standard, 2.00.
    assert [r["values"]["average"] for r in doc["results"]] == [3.5, 2.0]
    assert [r["values"]["segment"] for r in doc["results"]] == [3, 1]


def test_out_is_written_whole_and_a_failed_run_leaves_it_untouched(files, tmp_path: Path) -> None:
    policy, data = files
    out = tmp_path / "results.json"
    assert run("eval", policy, "--data", data(*ROWS), "--format", "json", "--out", out).exit_code == 0
    good = out.read_text(encoding="utf-8")
    assert json.loads(good)["results"]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # a new file is not left private, as a temporary file is
    bad = data("A1,acute,no,no,good,ninety", name="bad.csv")
    result = run("eval", policy, "--data", bad, "--format", "json", "--out", out)
    assert result.exit_code == 1
    assert out.read_text(encoding="utf-8") == good
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(
    ("header", "rows", "expected"),
    [
        ("org,org_type,in_deficit,special,rating\n", ["A1,acute,no,no,good"], ["missing column", "ae"]),
        (HEADER, ["A1,hospital,no,no,good,95"], ["line 2", "org_type", "hospital", "acute"]),
        (HEADER, ["A1,acute,no,no,good,95", "A2,acute,no,no,good,n/a"], ["line 3", "ae", "n/a", "number"]),
        (HEADER, ["A1,acute,no,no,excellent,95"], ["line 2", "rating", "excellent", "good / fair / poor"]),
        (HEADER, ["A1,acute,no,no,good,95", "A1,acute,no,no,good,90"], ["A1", "line 2", "line 3"]),
        (HEADER, ["A1,acute,maybe,no,good,95"], ["line 2", "in_deficit", "maybe", "yes/no"]),
        (HEADER, [], ["no rows"]),
        ("", [], ["empty"]),
    ],
)
def test_bad_data_exits_1_with_one_message_naming_file_row_and_column(files, header, rows, expected) -> None:
    policy, data = files
    path = data(*rows, header=header)
    result = run("eval", policy, "--data", path)
    assert result.exit_code == 1, result.stdout
    assert "Traceback" not in result.stderr
    message = result.stderr
    assert path.name in message
    for text in expected:
        assert text.lower() in message.lower(), (text, message)


def test_an_unreadable_data_file_is_an_error_not_a_traceback(files, tmp_path: Path) -> None:
    policy, _ = files
    result = run("eval", policy, "--data", tmp_path / "absent.csv")
    assert result.exit_code == 1
    assert "absent.csv" in result.stderr and "Traceback" not in result.stderr
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    result = run("eval", policy, "--data", binary)
    assert result.exit_code == 1 and "binary.csv" in result.stderr


def test_allow_missing_takes_absent_columns_as_missing_with_a_warning(files) -> None:
    policy, data = files
    path = data("A1,acute,no,no,good", header="org,org_type,in_deficit,special,rating\n")
    result = run("eval", policy, "--data", path, "--format", "json", "--allow-missing")
    assert result.exit_code == 0, result.stderr
    assert "warning" in result.stderr and "ae" in result.stderr
    assert json.loads(result.stdout)["results"][0]["values"]["average"] is None


def test_a_rule_that_cannot_give_a_value_names_the_policy_line_and_the_data_row(files) -> None:
    policy, data = files
    path = data("A1,acute,no,no,good,95,2.5", header=HEADER.strip() + ",band\n")
    result = run("eval", policy, "--data", path)
    assert result.exit_code == 1
    assert "t.policy:23:11" in result.stderr
    assert "2.5 is not a value of scale `segment`" in result.stderr
    assert "line 2" in result.stderr and "A1" in result.stderr


def test_explain_traces_the_outcome_with_sources_assumptions_and_conditions(files) -> None:
    policy, data = files
    result = run("eval", policy, "--data", data(*ROWS), "--explain", "A2")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("A2 (acute): segment = 3")
    assert "segment = band as segment" in text
    assert "no better than 3 when in_deficit" in text and "applies" in text
    assert 'assume "the cap is 3, as the manual says for deficits"' in text
    assert "band = 1" in text and "average = 2" in text
    assert "ae.score        80       2" in text
    assert "in_deficit = yes" in text
    assert "rests on 1 assumption" in text
    assert text.index("segment = 3") < text.index("band = 1") < text.index("average = 2")


def test_explain_of_an_unknown_organisation_suggests_one(files) -> None:
    policy, data = files
    result = run("eval", policy, "--data", data(*ROWS), "--explain", "A22")
    assert result.exit_code == 1
    assert "no organisation `A22`" in result.stderr and "A2" in result.stderr


REGIME_2009 = Path(__file__).parent.parent / "policies" / "performance_2009.policy"
DATA_2009 = Path(__file__).parent.parent / "examples" / "performance_2009_synthetic.csv"


def explained(*args: str) -> tuple[int, str, str]:
    result = run("eval", REGIME_2009, "--data", DATA_2009, *args)
    return result.exit_code, result.stdout, result.stderr


def test_explain_takes_one_period_after_an_at_or_with_period() -> None:
    code, every, _ = explained("--explain", "SYNA003")
    assert code == 0 and every.count("SYNA003 (acute, ") == 6  # its six quarters
    code, one, _ = explained("--explain", "SYNA003@2009Q3")
    assert code == 0 and one.count("SYNA003 (acute, ") == 1 and one.startswith("SYNA003 (acute, 2009Q3): overall = ")
    assert explained("--explain", "SYNA003", "--period", "2009Q3") == (0, one, "")
    assert one in every


def test_explain_names_a_period_it_lacks_a_period_misplaced_and_a_period_without_an_organisation() -> None:
    code, _, error = explained("--explain", "SYNA003", "--period", "2013Q1")
    assert code == 1 and "`SYNA003` has no row for period 2013Q1; it has 2009Q1, 2009Q2," in error
    code, _, error = explained("--explain", "SYNA003 2009Q3")
    assert code == 1 and "for one period, write `SYNA003@2009Q3`" in error
    code, _, error = explained("--explain", "SYNA003@2009Q3", "--period", "2009Q4")
    assert code == 2 and "two periods" in error
    code, _, error = explained("--explain", "SYNA003@Q3")
    assert code == 1 and "expected a period like 2025Q3" in error


def test_explain_names_the_row_of_a_decision_table_that_chose_and_the_values_that_chose_it() -> None:
    _, text, _ = explained("--explain", "SYNA003@2009Q3")
    block = text[text.index("\noverall = ") :].split("\n\n")[0]
    assert "  rule: a decision table of 2 rows    (performance_2009.policy:" in block
    chosen = next(line for line in block.splitlines() if line.startswith("  chosen: "))
    assert chosen.startswith("  chosen: when finance is underperforming or ")
    assert "(with finance underperforming, operational_standards underperforming, " in chosen
    assert chosen.endswith("): underperforming")
    assert "otherwise" not in block.split("\n  then:")[0]  # the rows that did not choose are not quoted
