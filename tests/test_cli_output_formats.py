"""`policyc eval --format parquet|xlsx`: typed files that hold what `--format csv` holds, read back by `policyc eval`
itself, with hostile text kept as text and never at a terminal."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from policyc import cli
from policyc.data import formats
from policyc.data.table import DataError

POLICY = """policy "P" version "1"
  source "a test"

org types acute, ambulance
outcome segment

scale segment: 1 > 2 > 3
scale grade: good > poor

input flag: yes/no for all
input x: number for all

doubled = x * 2
  source "a test"

grade =
  when x >= 50: good
  otherwise: poor
  source "a test"

band =
  when x >= 80: 1
  when x >= 50: 2
  otherwise: 3
  source "a test"

segment = band as segment
  source "a test"
  no better than 2 when flag
    source "a test"
"""

# An organisation's code that a spreadsheet would take for a formula, one with a bell in it, and an empty cell.
DATA = 'org,org_type,period,flag,x\n"=1+1",acute,2025Q1,no,90\n"A\x07B",ambulance,2025Q1,yes,55.5\nC,acute,2025Q1,,\n'


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "p.policy").write_text(POLICY, encoding="utf-8")
    (tmp_path / "d.csv").write_text(DATA, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, bytes, str]:
    result = CliRunner().invoke(cli.main, ["eval", "p.policy", "--data", "d.csv", "--allow-missing", *args])
    return result.exit_code, result.stdout_bytes, result.stderr


def as_json(*args: str) -> list[dict]:
    code, out, err = run("--format", "json", *args)
    assert code == 0, err
    return json.loads(out)["results"]


def test_parquet_holds_every_value_typed_with_nulls_where_json_has_them(folder: Path) -> None:
    code, _, err = run("--format", "parquet", "-o", "r.parquet")
    assert code == 0, err
    table = pq.read_table(folder / "r.parquet")
    schema = {field.name: field.type for field in table.schema}
    assert schema["org"] == schema["org_type"] == schema["period"] == schema["grade"] == pa.string()
    assert schema["flag"] == pa.bool_() and schema["x"] == schema["doubled"] == pa.float64()
    assert schema["segment"] == pa.int64()  # a numbered scale's numbers, all whole
    expected = as_json()
    assert table.column("org").to_pylist() == ["=1+1", "A\x07B", "C"]
    assert table.column("period").to_pylist() == ["2025Q1"] * 3
    for name in ("flag", "x", "doubled", "grade", "segment"):
        assert table.column(name).to_pylist() == [row["values"][name] for row in expected], name
    assert table.column("x").to_pylist()[2] is None and table.column("segment").to_pylist()[2] is None


def test_xlsx_holds_every_value_typed_and_text_is_never_a_formula(folder: Path) -> None:
    code, _, err = run("--format", "xlsx", "-o", "r.xlsx")
    assert code == 0, err
    book = openpyxl.load_workbook(folder / "r.xlsx")
    assert book.sheetnames == ["results"]
    sheet = book["results"]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["org", "org_type", "period"]
    formula = sheet["A2"]
    assert formula.value == "=1+1" and formula.data_type == "s"
    assert sheet["A3"].value == "A\\x07B"  # a workbook holds no bell: its escape
    expected = as_json()
    for name in ("flag", "x", "doubled", "grade", "segment"):
        column = header.index(name) + 1
        cells = [sheet.cell(row=r, column=column).value for r in (2, 3, 4)]
        assert cells == [row["values"][name] for row in expected], name
    assert isinstance(sheet.cell(row=2, column=header.index("flag") + 1).value, bool)


@pytest.mark.parametrize("fmt", ["parquet", "xlsx"])
def test_the_file_reads_back_into_eval_and_gives_the_same_values(folder: Path, fmt: str) -> None:
    code, _, err = run("--format", fmt, "-o", f"r.{fmt}", "--org", "=1+1,C")  # the rows without a bell
    assert code == 0, err
    again = CliRunner().invoke(
        cli.main, ["eval", "p.policy", "--data", f"r.{fmt}", "--allow-missing", "--format", "json"]
    )
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["results"] == as_json("--org", "=1+1,C")


def test_columns_org_and_period_choose_what_the_file_holds(folder: Path) -> None:
    code, _, err = run("--format", "parquet", "-o", "r.parquet", "--columns", "segment,grade", "--org", "C")
    assert code == 0, err
    table = pq.read_table(folder / "r.parquet")
    assert table.column_names == ["org", "org_type", "period", "segment", "grade"]
    assert table.column("org").to_pylist() == ["C"]


def test_a_binary_file_goes_down_a_pipe_but_not_to_a_terminal(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = run("--format", "parquet")
    assert code == 0, err
    assert pq.read_table(io.BytesIO(out)).num_rows == 3

    class Terminal(io.BytesIO):
        def isatty(self) -> bool:
            return True

    import policyc.cli.group as group

    monkeypatch.setattr(group.sys, "stdout", Terminal())
    with pytest.raises(SystemExit) as ended:
        group.deliver(b"PAR1", None)
    assert ended.value.code == 2


def test_a_failed_write_leaves_the_old_file(folder: Path) -> None:
    (folder / "r.xlsx").write_bytes(b"old")
    (folder / "p.policy").write_text(POLICY.replace("x * 2", "x * nothing"), encoding="utf-8")
    code, _, err = run("--format", "xlsx", "-o", "r.xlsx")
    assert code == 1 and "nothing" in err
    assert (folder / "r.xlsx").read_bytes() == b"old"
    assert not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_a_text_longer_than_a_workbook_cell_holds_is_an_error_naming_the_cell() -> None:
    columns = [("org", "str", ["A", "B" * (formats.XLSX_CELL + 1)])]
    with pytest.raises(DataError, match=r"A3 \(`org`\) holds 32,768 characters.*write csv or parquet"):
        formats.xlsx_bytes(columns)
    assert formats.xlsx_bytes([("org", "str", ["B" * formats.XLSX_CELL])])


def test_eval_names_the_cell_too_long_for_a_workbook_and_writes_nothing(folder: Path) -> None:
    (folder / "d.csv").write_text(f"org,org_type,period,flag,x\n{'Z' * 40_000},acute,2025Q1,no,90\n", encoding="utf-8")
    code, _, err = run("--format", "xlsx", "-o", "r.xlsx")
    assert code == 1 and "error: --format xlsx: the cell A2 (`org`) holds 40,000 characters" in err, err
    assert "Traceback" not in err and not (folder / "r.xlsx").exists()


def test_an_overflowed_number_is_empty_in_both_as_in_csv() -> None:
    from policyc.data import results

    columns = results._finite([("v", "float", [1.5, math.inf, None]), ("w", "str", ["inf", None, "x"])])
    assert columns == [("v", "float", [1.5, None, None]), ("w", "str", ["inf", None, "x"])]
