"""Reading tables under hostile input: every reader agrees on records and lines, and every promise holds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from policyc.backend.frame import Frame
from policyc.cli import main
from policyc.data import cells, results
from policyc.data import table as tables
from policyc.data.mapping import apply, load
from policyc.data.table import DataError, load_text, records
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import check_source
from policyc.semantics.types import Type
from policyc.syntax.source import Source

ACUTE = """policy "Acute only" version "1"
org types acute
outcome band
scale level: good > fair > poor
input score: number for all
input in_deficit: yes/no for all

band =
  when score <= 2: good
  when score <= 3: fair
  otherwise: poor
  source "test"
  no better than fair when in_deficit
    source "test"
"""

BOTH = ACUTE.replace('"Acute only"', '"Both"').replace("org types acute", "org types acute, ambulance")

MAPPING = """title = "Test results"

[columns]
org = "Code"
org_type = "Kind"
score = "Avg"
in_deficit = "Deficit_flag"

[values.org_type]
"Acute trust" = "acute"
"Ambulance trust" = "ambulance"

[values.in_deficit]
"1.0" = "yes"
"0.0" = "no"

[defaults]
in_deficit = "no"

[published]
outcome = "Published"
"""

SOURCE_HEADER = "Code,Name,Kind,Avg,Deficit_flag,Published\n"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def program_of(text: str) -> ir.Program:
    result = check_source(Source("t.policy", text))
    assert result.ok, result.diagnostics.sorted()
    return lower(result.checked)


def write(tmp_path: Path, name: str, text: str, newline: str = "\n") -> str:
    path = tmp_path / name
    path.write_bytes(text.replace("\n", newline).encode())
    return str(path)


def data_error(text: str, program: ir.Program) -> str:
    with pytest.raises(DataError) as raised:
        load_text(text, "data.csv", program)
    return raised.value.message


# ---------------------------------------------------------------- 1. one reader everywhere


def test_records_break_lines_where_the_loader_does():
    text = 'org,org_type\nA,"x\ry"\r\nB,acute\rC,acute\n'
    assert list(records(text)) == [(1, 1, ["org", "org_type"]), (2, 3, ["A", "x\ry"]), (4, 4, ["B", "acute"]),
                                   (5, 5, ["C", "acute"])]  # fmt: skip


def test_blanking_other_org_types_keeps_every_record_on_its_line():
    program = program_of(ACUTE)
    text = 'org,name,org_type,score,in_deficit\nA,"one\rtwo",ambulance,1,no\nB,b,acute,1,no\nC,c,acute,5,no\n'
    kept, skipped = tables.only_org_types(text, ("acute",))
    assert skipped == 1
    frame = load_text(kept, "data.csv", program).frame
    assert frame.org == ("B", "C")
    assert frame.lines == (4, 5)


def test_blanking_reads_a_file_of_carriage_returns_as_the_loader_does():
    program = program_of(ACUTE)
    text = "org,org_type,score,in_deficit\rR1,ambulance,1,no\rR2,acute,x,no\r"
    kept, skipped = tables.only_org_types(text, ("acute",))
    assert skipped == 1
    assert data_error(kept, program) == ('data.csv, line 3, column score: expected a number (number), found "x"')


# ---------------------------------------------------------------- 2. rows of the wrong width, mapped or not


@pytest.mark.parametrize(("row", "count"), [("R2,Second,Acute trust,1.5", 4), ("R2,Second,Acute trust,1.5,,good,x", 7)])
def test_a_row_of_the_wrong_width_is_an_error_with_or_without_a_mapping(tmp_path: Path, row: str, count: int):
    policy = write(tmp_path, "p.policy", BOTH)
    mapping = write(tmp_path, "m.toml", MAPPING)
    table = SOURCE_HEADER + "R1,First,Acute trust,1.5,0.0,good\n" + row + "\n"
    data = write(tmp_path, "d.csv", table)
    expected = f"{data}, line 3: {count} cells, but the header has 6 columns"
    mapped = invoke("eval", policy, "--data", data, "--map", mapping)
    assert mapped.exit_code == 1 and expected in mapped.output, mapped.output
    plain = table.replace("Code,Name,Kind,Avg,Deficit_flag", "org,name,org_type,score,in_deficit")
    plain = invoke("eval", policy, "--data", write(tmp_path, "d.csv", plain.replace("Acute trust", "acute")))
    assert plain.exit_code == 1 and expected in plain.output, plain.output


# ---------------------------------------------------------------- 3. huge cells


@pytest.mark.parametrize("command", ["eval", "agree", "compare"])
def test_a_large_cell_is_read(tmp_path: Path, command: str):
    policy = write(tmp_path, "p.policy", BOTH)
    mapping = write(tmp_path, "m.toml", MAPPING)
    big = "n" * 200_000
    data = write(tmp_path, "d.csv", SOURCE_HEADER + f"R1,{big},Acute trust,1.5,0.0,good\n")
    policies = [policy, policy] if command == "compare" else [policy]
    result = invoke(command, *policies, "--data", data, "--map", mapping)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("command", ["eval", "agree", "compare"])
def test_a_cell_over_the_limit_is_refused_naming_the_file_line_and_column(tmp_path: Path, command: str):
    policy = write(tmp_path, "p.policy", BOTH)
    mapping = write(tmp_path, "m.toml", MAPPING)
    size = tables.CELL_LIMIT + 1
    data = write(tmp_path, "d.csv", SOURCE_HEADER + "R0,Zero,Acute trust,1.5,0.0,good\n" + f'R1,"{"n" * size}"\n')
    policies = [policy, policy] if command == "compare" else [policy]
    result = invoke(command, *policies, "--data", data, "--map", mapping)
    assert result.exit_code == 1
    assert "PC901" not in result.output
    assert f"{data}, line 3, column Name: a cell of {size:,} characters; cells hold at most {tables.CELL_LIMIT:,}" in (
        result.output
    )


def test_an_unclosed_quote_is_a_data_error_naming_the_file_and_line():
    program = program_of(ACUTE)
    message = data_error('org,org_type,score,in_deficit\nR1,acute,1,no\nR2,"acute,1,no\nR3,acute,1,no\n', program)
    assert message.startswith("data.csv, line 3: ")
    assert "quote" in message


def test_every_csv_error_is_a_data_error(tmp_path: Path):
    program = program_of(ACUTE)
    message = data_error('org,org_type,score,in_deficit\nR1,"acute"x,1,no\n', program)
    assert message.startswith("data.csv, line 2: not a CSV record: ")
    with pytest.raises(DataError) as raised:
        list(records('a,b\n"x\n', "t.csv"))
    assert raised.value.message.startswith("t.csv, line 2: ")


# ---------------------------------------------------------------- 4. after a mapping: the source's lines and columns

QUOTED = (
    SOURCE_HEADER
    + "R1,First,Acute trust,1.5,0.0,good\n"
    + 'R2,Second,Acute trust,1.5,"\n1.0",fair\n'
    + 'R3,"Third\nname",Ambulance trust,2.5,"\n",fair\n'
    + "R4,Fourth,Acute trust,1.5,0.0,good\n"
)


def test_a_recoded_or_defaulted_cell_over_two_lines_keeps_line_numbers(tmp_path: Path):
    policy = write(tmp_path, "p.policy", BOTH)
    mapping = write(tmp_path, "m.toml", MAPPING.replace('"1.0" = "yes"', '"1.0" = "yes"\n"\\n1.0" = "yes"'))
    data = write(tmp_path, "d.csv", QUOTED)
    result = invoke("agree", policy, "--data", data, "--map", mapping)
    assert result.exit_code == 0, result.output
    assert "agrees with the published `Published` for 4 of 4" in result.output
    bad = write(tmp_path, "bad.csv", QUOTED.replace("R4,Fourth,Acute trust,1.5", "R4,Fourth,Acute trust,x"))
    result = invoke("eval", policy, "--data", bad, "--map", mapping)
    assert result.exit_code == 1
    assert f'{bad}, line 8, column Avg (read as score): expected a number (number), found "x"' in result.output


def test_a_mapped_cell_is_named_by_the_source_header(tmp_path: Path):
    policy = write(tmp_path, "p.policy", BOTH)
    mapping = write(tmp_path, "m.toml", MAPPING.replace('"0.0" = "no"', '"0.0" = "no"\n"2.0" = "maybe"'))
    table = SOURCE_HEADER + 'R1,"First\ntrust",Acute trust,1.5,0.0,good\nR2,Second,Acute trust,1.5,2.0,good\n'
    data = write(tmp_path, "trusts.csv", table)
    result = invoke("eval", policy, "--data", data, "--map", mapping)
    assert result.exit_code == 1
    assert f"{data}, line 4, column Deficit_flag (read as in_deficit): expected yes/no" in result.output
    assert 'found "maybe"' in result.output


def test_a_mapping_keeps_each_record_on_its_source_line(tmp_path: Path):
    mapping = load(write(tmp_path, "m.toml", MAPPING.replace('"1.0" = "yes"', '"1.0" = "yes"\n"\\n1.0" = "yes"')))
    mapped = apply(mapping, QUOTED, "d.csv")
    assert [first for first, _, record in records(mapped) if record] == [
        first for first, _, record in records(QUOTED) if record
    ]


def test_a_mapping_value_cannot_hold_a_line_break(tmp_path: Path):
    with pytest.raises(DataError) as raised:
        load(write(tmp_path, "m.toml", MAPPING.replace('in_deficit = "no"', 'in_deficit = "n\\no"')))
    assert "[defaults] in_deficit" in raised.value.message
    assert "line break" in raised.value.message


# ---------------------------------------------------------------- 5. eval's CSV reads back


def test_eval_csv_output_reads_back_with_the_same_values(tmp_path: Path):
    huge = "1" + "0" * 200
    policy = write(tmp_path, "p.policy", BOTH + f"big = score * {huge}\nratio = big * big\n")
    data = write(
        tmp_path, "d.csv", "org,org_type,score,in_deficit\nR1,acute,1.5,no\nR2,ambulance,3.5,yes\nR3,acute,,\n"
    )
    first = invoke("eval", policy, "--data", data, "--format", "csv")
    assert first.exit_code == 0, first.output
    assert first.stderr == "warning: 1 row has no band: missing on the way, in_deficit (1), score (1)\n"  # R3
    again = invoke("eval", policy, "--data", write(tmp_path, "out.csv", first.stdout), "--format", "csv")
    assert again.exit_code == 0, again.output
    assert again.stdout == first.stdout
    as_json = invoke("eval", policy, "--data", write(tmp_path, "out.csv", first.stdout), "--format", "json")
    values = {row["org"]: row["values"] for row in json.loads(as_json.stdout)["results"]}
    assert values["R1"]["band"] == "good" and values["R2"]["band"] == "poor"
    assert values["R2"]["ratio"] is None  # overflowed: null in JSON, an empty cell in CSV


def test_periods_print_four_digit_years():
    assert cells.format_period(999 * 4) == "0999Q1"
    assert cells.parse_period(cells.format_period(999 * 4)) == 999 * 4


def test_an_empty_period_column_is_no_period_for_a_policy_without_periods():
    program = program_of(ACUTE)
    frame = load_text("org,org_type,period,score,in_deficit\nR1,acute,,1,no\n", "d.csv", program).frame
    assert frame.period is None
    message = data_error("org,org_type,period,score,in_deficit\nR1,acute,,1,no\nR2,acute,2025Q1,1,no\n", program)
    assert message.startswith("data.csv, line 2, column period: expected a period like 2025Q3")


# ---------------------------------------------------------------- 6. digits are ASCII


NUMBER = Type("number")


@pytest.mark.parametrize("cell", ["８０", "٨٠", "۸۰", "８", "1٫5"])
def test_non_ascii_digits_are_not_numbers(cell: str):
    assert cells.parse([cell], NUMBER)[1] == [0]
    assert cells.parse([cell, cell], NUMBER)[1] == [0, 1]  # every cell non-ASCII: the fast path's case
    assert cells.parse(["80", cell], NUMBER)[1] == [1]


def test_non_ascii_digits_in_a_table_get_the_usual_message():
    program = program_of(ACUTE)
    message = data_error("org,org_type,score,in_deficit\nR1,acute,８０,no\n", program)
    assert message == 'data.csv, line 2, column score: expected a number (number), found "８０"'
    message = data_error("org,org_type,score,in_deficit\nR1,acute,1,١\n", program)
    assert message.startswith(
        "data.csv, line 2, column in_deficit: expected yes/no (yes, no, true, false, 1 or 0), found"
    )
    assert cells.parse_period("２０２５Q1") == -1


# ---------------------------------------------------------------- 7. no control character reaches the terminal raw


def test_cells_and_headers_in_messages_are_printable():
    program = program_of(ACUTE)
    message = data_error("org,org_type,score,in_deficit\nR1,\x1b[2Jacute,1,no\n", program)
    assert "\x1b" not in message and '"\\x1b[2Jacute"' in message
    message = data_error("org,org_type,score,in_deficit,x\x1b]0;\x07\nR1,acute,1,no\n", program)
    assert "\x1b" not in message and "\x07" not in message
    message = data_error("org,org_type,score,in_deficit,a\u202e,a\u202e\nR1,acute,1,no,,\n", program)
    assert "\u202e" not in message and "a\\u202e" in message


def test_mapping_messages_show_headers_and_cells_printable(tmp_path: Path):
    mapping = load(write(tmp_path, "m.toml", MAPPING))
    table = "Code,Name,Kind\x1b[1m,Avg,Deficit_flag,Published\nR1,x,Acute trust,1,0.0,good\n"
    with pytest.raises(DataError) as raised:
        apply(mapping, table, "d.csv")
    assert "\x1b" not in raised.value.message and "Kind\\x1b[1m" in raised.value.message
    with pytest.raises(DataError) as raised:
        apply(mapping, SOURCE_HEADER + "R1,x,Acute\x1b[5m,1,0.0,good\n", "d.csv")
    assert "\x1b" not in raised.value.message and "Acute\\x1b[5m" in raised.value.message


def test_the_text_table_shows_codes_printable_and_csv_and_json_keep_them_exact():
    program = program_of(ACUTE)
    frame = load_text('org,org_type,score,in_deficit\n"R\x1b[31m\n1",acute,1,no\n', "d.csv", program).frame
    values = {d.name: np.zeros(frame.n) for d in program.outputs()}
    assert "\x1b" not in results.to_table(program, frame, values)
    assert "R\\x1b[31m\\n1" in results.to_table(program, frame, values)
    assert "R\x1b[31m\n1" in results.to_csv(program, frame, values)
    assert json.loads(results.to_json(program, frame, values))["results"][0]["org"] == "R\x1b[31m\n1"


def test_an_overflowed_value_is_null_in_json_and_empty_in_csv():
    program = program_of(ACUTE)
    frame = Frame(org=("R1",), org_type=np.zeros(1, dtype=np.int64), period=None, columns={}, lines=(2,))
    values = {d.name: np.zeros(1) for d in program.outputs()}
    values["score"] = np.array([np.inf])
    text = results.to_json(program, frame, values)
    assert "Infinity" not in text and json.loads(text)["results"][0]["values"]["score"] is None
    assert results.to_csv(program, frame, values).splitlines()[1].split(",")[3] == ""
