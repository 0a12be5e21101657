"""Reading tables: every cell type, which columns a policy needs, and one clear message for each problem."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyc.data import table as data
from policyc.data.table import DataError, load, load_text
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import check_file, check_source
from policyc.syntax.source import Source

SHIPPED = Path(__file__).parent.parent / "policies"

POLICY = """\
policy "T" version "1"
org types acute, ambulance
scale segment: 1 > 2 > 3 > 4 > 5
scale cqc_rating: outstanding > good > requires_improvement > inadequate
input in_deficit: yes/no for all
input rating: one of high / low for acute
input cqc: cqc_rating for all
input band: segment for all
metric ae "A&E" percent, higher is better, for acute
  ranked, standard 78
average = round(ae.score, 2)
segment = (when in_deficit: 3 otherwise: 1) as segment
"""

PERIODIC = POLICY + "last_average = previous(average)\n"

HEADER = "org,org_type,in_deficit,rating,cqc,band,ae\n"


@functools.cache
def compile_policy(text: str) -> ir.Program:
    result = check_source(Source("t.policy", text))
    assert result.ok, result.diagnostics.sorted()
    return lower(result.checked)


@pytest.fixture(scope="module")
def program() -> ir.Program:
    return compile_policy(POLICY)


@pytest.fixture(scope="module")
def periodic() -> ir.Program:
    return compile_policy(PERIODIC)


@pytest.fixture(scope="module")
def oversight() -> ir.Program:
    return lower(check_file(SHIPPED / "oversight_2025.policy").checked)


def error(text: str, program: ir.Program, **options) -> str:
    """The first line of the error: the first bad cell (the further ones, if any, follow on their own lines)."""
    with pytest.raises(DataError) as raised:
        load_text(text, "data.csv", program, **options)
    message = raised.value.message
    assert str(raised.value) == message
    return message.split("\n")[0]


def nan_equal(actual: np.ndarray, expected: list[float]) -> bool:
    return np.array_equal(actual, np.array(expected, dtype=np.float64), equal_nan=True)


# ---------------------------------------------------------------- valid tables


def test_every_type_parses(program):
    text = HEADER + (
        "R1,acute,yes,high,outstanding,3.0,78.5\n"
        "R2,ambulance,No,low,inadequate,3,-3\n"
        "R3,acute,TRUE,,good,1,1e3\n"
        "R4,acute,false, high ,requires_improvement,5,  \n"
        "R5,acute,1,,,,.5\n"
        "R6,acute,0,,,,\n"
        " R7 ,acute,,,,, +2.\n"
    )
    loaded = load_text(text, "data.csv", program)
    frame = loaded.frame
    assert loaded.warnings == [] and loaded.needed_missing == []
    assert frame.org == ("R1", "R2", "R3", "R4", "R5", "R6", "R7")
    assert frame.org_type.dtype == np.int64 and frame.org_type.tolist() == [0, 1, 0, 0, 0, 0, 0]
    assert frame.period is None
    assert frame.lines == (2, 3, 4, 5, 6, 7, 8)
    assert set(frame.columns) == {"in_deficit", "rating", "cqc", "band", "ae"}
    assert all(column.dtype == np.float64 for column in frame.columns.values())
    assert nan_equal(frame.columns["in_deficit"], [1, 0, 1, 0, 1, 0, math.nan])
    assert nan_equal(frame.columns["rating"], [0, 1, math.nan, 0, math.nan, math.nan, math.nan])
    assert nan_equal(frame.columns["cqc"], [0, 3, 1, 2, math.nan, math.nan, math.nan])
    assert nan_equal(frame.columns["band"], [2, 2, 0, 4, math.nan, math.nan, math.nan])
    assert nan_equal(frame.columns["ae"], [78.5, -3, 1000, math.nan, 0.5, math.nan, 2])


def test_extra_columns_are_ignored_and_overrides_are_read_by_their_type(program):
    text = (
        "notes,org,org_type,in_deficit,rating,cqc,band,ae,ae.score,average,segment,x\n"
        "hello,R1,acute,no,high,good,1,80,1,1.5,2,anything\n"
        ",R2,ambulance,no,,good,1,,,,,\n"
    )
    frame = load_text(text, "data.csv", program).frame
    assert "notes" not in frame.columns and "x" not in frame.columns
    assert nan_equal(frame.columns["ae.score"], [1, math.nan])
    assert nan_equal(frame.columns["average"], [1.5, math.nan])
    assert nan_equal(frame.columns["segment"], [1, math.nan])  # segment 2 is position 1 on its scale


def test_byte_order_mark(tmp_path, program):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "R1,acute,yes,high,good,2,80\n").encode())
    frame = load(str(path), program).frame
    assert frame.org == ("R1",)
    assert load_text("\ufeff" + HEADER + "R1,acute,yes,high,good,2,80\n", "d.csv", program).frame.org == ("R1",)


def test_periods_encode_in_order(periodic):
    header = "org,org_type,period,in_deficit,rating,cqc,band,ae\n"
    text = header + "R1,acute,2009Q4,,,,,\nR1,acute,2010q1,,,,,\nR2,acute, 2025Q3 ,,,,,\n"
    frame = load_text(text, "data.csv", periodic).frame
    assert frame.period.dtype == np.int64
    q4, q1, q3 = frame.period.tolist()
    assert q1 == q4 + 1
    assert q4 == 2009 * 4 + 3 and q3 == 2025 * 4 + 2
    assert data.format_period(q3) == "2025Q3" and data.format_period(q4) == "2009Q4"


def test_a_period_column_is_read_when_the_policy_does_not_need_it(program):
    frame = load_text(
        HEADER.replace("org_type", "org_type,period") + "R1,acute,2025Q1,,,,,\nR1,acute,2025Q2,,,,,\n", "d.csv", program
    ).frame
    assert frame.period.tolist() == [8100, 8101]


def test_blank_lines_and_quoted_line_breaks_keep_line_numbers(program):
    text = HEADER + '\nR1,acute,yes,high,good,2,80\n"R\n2",acute,yes,high,good,2,80\n\nR3,acute,no,low,good,2,80\n'
    frame = load_text(text, "data.csv", program).frame
    assert frame.org == ("R1", "R\n2", "R3")
    assert frame.lines == (3, 4, 7)
    bad = text.replace("R3,acute,no", "R3,acute,maybe")
    assert error(bad, program).startswith("data.csv, line 7, column in_deficit:")


def test_chunks_keep_lines_counts_and_values(program, monkeypatch):
    monkeypatch.setattr(data, "CHUNK", 2)
    rows = [f"R{i},acute,yes,high,good,2,{i}\n" for i in range(7)]
    rows[3] = '"R\n3",acute,yes,high,good,2,3\n'
    text = HEADER + "".join(rows)
    frame = load_text(text, "data.csv", program).frame
    assert frame.lines == (2, 3, 4, 5, 7, 8, 9)
    assert frame.columns["ae"].tolist() == [0, 1, 2, 3, 4, 5, 6]
    bad = HEADER + "".join(f"R{i},acute,yes,high,good,2,{'x' if i % 2 else i}\n" for i in range(7))
    assert error(bad, program) == (
        'data.csv, line 3, column ae: expected a number (percent), found "x" (and 2 more rows)'
    )


# ---------------------------------------------------------------- which columns are needed


def test_missing_columns_are_named_together_in_declaration_order(program):
    message = error("org,org_type,cqc,rating\nR1,acute,good,high\n", program)
    assert message == (
        "data.csv: missing columns the policy reads: in_deficit, band, ae (use --allow-missing to take them as missing)"
    )


def test_allow_missing_warns_and_leaves_them_out(program):
    loaded = load_text("org,org_type,cqc,rating\nR1,acute,good,high\n", "data.csv", program, allow_missing=True)
    assert loaded.needed_missing == ["in_deficit", "band", "ae"]
    assert loaded.warnings == [
        "data.csv: columns the policy reads are missing, taken as missing on every row: in_deficit, band, ae"
    ]
    assert set(loaded.frame.columns) == {"cqc", "rating"}


def test_a_value_given_in_full_does_not_need_what_its_rule_reads(program):
    # segment reads in_deficit, ae.score reads ae: both given on every row, so neither input is needed
    text = "org,org_type,rating,cqc,band,segment,ae.score\nR1,acute,high,good,1,3,1.5\nR2,acute,low,good,1,1,4\n"
    loaded = load_text(text, "data.csv", program)
    assert loaded.needed_missing == []
    # one empty cell and the rule is evaluated on that row, so it needs its inputs again
    partial = text.replace("R2,acute,low,good,1,1,4", "R2,acute,low,good,1,,4")
    assert error(partial, program) == (
        "data.csv: missing columns the policy reads: in_deficit (use --allow-missing to take them as missing)"
    )


def test_an_input_no_rule_reads_is_still_needed(program):
    # `rating` and `band` are read by no rule: nothing given can stand in for them
    message = error("org,org_type,in_deficit,cqc,ae\nR1,acute,no,good,80\n", program)
    assert "missing columns the policy reads: rating, band (" in message


def test_oversight_average_score_alone_does_not_free_the_metrics(oversight):
    # Every metric's score and the domain scores are reported too, and they read the metrics.
    system = [c.name for c in oversight.columns if c.name.startswith("sys_")]
    header = ["org", "org_type", "average_score", "in_deficit", "rsp_entry", "in_rsp", *system]
    row = ["A1", "acute", "2.5", "no", "no", "no", *["no"] * len(system)]
    text = ",".join(header) + "\n" + ",".join(row) + "\n"
    metrics = [c.name for c in oversight.columns if c.kind == "metric"]
    assert len(metrics) == 79
    loaded = load_text(text, "nof.csv", oversight, allow_missing=True)
    assert loaded.needed_missing == metrics
    assert loaded.warnings == [
        f"nof.csv: columns the policy reads are missing, taken as missing on every row: "
        f"{', '.join(metrics[:10])} and 69 more"
    ]
    assert error(text, oversight).startswith(f"data.csv: missing columns the policy reads: {metrics[0]}, ")


def test_oversight_scores_given_in_full_free_every_metric(oversight):
    system = [c.name for c in oversight.columns if c.name.startswith("sys_")]
    scores = [d.name for d in oversight.decls if isinstance(d, ir.Score)]
    # contextual metrics (the deprivation gaps) have no score to give: they are read as they are
    contextual = [c.name for c in oversight.columns if c.kind == "metric" and f"{c.name}.score" not in scores]
    assert len(contextual) == 3
    header = ["org", "org_type", "in_deficit", "rsp_entry", "in_rsp", *system, *scores, *contextual]
    row = ["A1", "acute", "no", "no", "no", *["no"] * len(system), *["2"] * len(scores), *[""] * len(contextual)]
    loaded = load_text(",".join(header) + "\n" + ",".join(row) + "\n", "nof.csv", oversight)
    assert loaded.needed_missing == [] and loaded.warnings == []
    assert loaded.frame.columns["ae_4_hours.score"].tolist() == [2.0]
    # without in_deficit, the segment's finance override has nothing to read
    header.remove("in_deficit")
    row.remove("no")
    message = error(",".join(header) + "\n" + ",".join(row) + "\n", oversight)
    assert message == (
        "data.csv: missing columns the policy reads: in_deficit (use --allow-missing to take them as missing)"
    )


def test_needed_columns_directly(program):
    assert data.needed_columns(program, set()) == ["in_deficit", "rating", "cqc", "band", "ae"]
    assert data.needed_columns(program, {"segment", "ae.score"}) == ["rating", "cqc", "band"]
    assert ir.reads(program.decl("segment")) == ["in_deficit"]


# ---------------------------------------------------------------- file and structure problems


def test_unreadable_file(tmp_path, program):
    with pytest.raises(DataError) as raised:
        load(str(tmp_path / "nope.csv"), program)
    assert raised.value.message == f"{tmp_path / 'nope.csv'}: cannot read the file: No such file or directory"
    with pytest.raises(DataError) as raised:
        load(str(tmp_path), program)
    assert raised.value.message.startswith(f"{tmp_path}: cannot read the file: ")


def test_not_utf8(tmp_path, program):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "R1,acute,yes,high,good,2,80\n").encode() + "Ré,acute,,,,,\n".encode("latin-1"))
    with pytest.raises(DataError) as raised:
        load(str(path), program)
    assert raised.value.message == (
        f"{path}, line 3: the file is not UTF-8 text (byte 0xe9); save the table as UTF-8 CSV, or try --encoding cp1252"
    )


@pytest.mark.parametrize("text", ["", "\n\n", "  \n", "\ufeff"])
def test_empty_file(program, text):
    assert error(text, program).startswith("data.csv: the file is empty; expected a header row")


def test_header_only(program):
    assert error(HEADER, program) == "data.csv: no rows after the header; expected one row per organisation"
    assert error(HEADER + "\n\n", program).startswith("data.csv: no rows after the header")


def test_duplicate_header(program):
    text = "org,org_type,ae,in_deficit,ae\nR1,acute,1,no,2\n"
    assert error(text, program) == "data.csv, line 1: column ae appears twice (columns 3 and 5)"
    # nameless columns (trailing commas) are no conflict
    assert load_text(HEADER.strip() + ",,\nR1,acute,,,,,,,\n", "d.csv", program).frame.n == 1


@pytest.mark.parametrize(("row", "count"), [("R2,acute,yes,high,good,2,80,extra", 8), ("R2,acute,yes", 3), ("R2", 1)])
def test_row_with_wrong_number_of_cells(program, row, count):
    text = HEADER + "R1,acute,yes,high,good,2,80\n" + row + "\n"
    cells = f"{count} cell{'s' if count > 1 else ''}"
    assert error(text, program) == f"data.csv, line 3: {cells}, but the header has 7 columns"


def test_malformed_csv_is_a_data_error(program):
    assert error(HEADER + 'R1,acute,yes,high,good,2,"80"0\n', program).startswith("data.csv, line 2: not a CSV record")


def test_required_columns(program, periodic):
    assert error("org,in_deficit\nR1,yes\n", program) == "data.csv, line 1: missing required column org_type"
    assert error("in_deficit\nyes\n", program) == "data.csv, line 1: missing required columns org, org_type"
    assert error(HEADER + "R1,acute,,,,,\n", periodic) == (
        "data.csv, line 1: missing required column period (the policy uses previous or run)"
    )


# ---------------------------------------------------------------- org, org_type, period


def test_org_must_not_be_empty(program):
    text = HEADER + "R1,acute,,,,,\n ,acute,,,,,\n,acute,,,,,\n"
    assert error(text, program) == (
        "data.csv, line 3, column org: expected an organisation code, found an empty cell (and 1 more row)"
    )


def test_org_type_must_be_declared(program):
    text = HEADER + "R1,acute,,,,,\nR2,icb,,,,,\nR3,Acute,,,,,\nR4,,,,,,\n"
    assert error(text, program) == (
        'data.csv, line 3, column org_type: expected one of acute, ambulance, found "icb" (and 2 more rows)'
    )


@pytest.mark.parametrize("cell", ["2025Q5", "2025Q0", "2025-Q3", "25Q3", "Q3 2025", ""])
def test_bad_period(periodic, cell):
    text = "org,org_type,period,in_deficit,rating,cqc,band,ae\nR1,acute,2025Q1,,,,,\nR1,acute," + cell + ",,,,,\n"
    shown = f'"{cell}"' if cell else "an empty cell"
    assert error(text, periodic) == (
        f"data.csv, line 3, column period: expected a period like 2025Q3 (year, Q, quarter 1 to 4), found {shown}"
    )


def test_duplicate_org_and_period(periodic, program):
    header = "org,org_type,period,in_deficit,rating,cqc,band,ae\n"
    text = header + "R1,acute,2025Q1,,,,,\nR1,acute,2025Q2,,,,,\nR2,acute,2025Q1,,,,,\nR1,acute,2025q2,,,,,\n"
    assert error(text, periodic) == "data.csv, line 5: org R1 appears twice for period 2025Q2; first on line 3"
    text = HEADER + "R1,acute,,,,,\nR2,acute,,,,,\nR1,ambulance,,,,,\n"
    assert error(text, program) == (
        "data.csv, line 4: org R1 appears twice (a table without a period column has "
        "one row per organisation); first on line 2"
    )


# ---------------------------------------------------------------- cells


@pytest.mark.parametrize(
    "cell",
    ["n/a", "inf", "-inf", "nan", "NaN", "Infinity", "1,000", "1_000", "0x10", "1e999", "١٢", "78%", "- 3", "1e", "."],
)
def test_numbers_are_finite_decimals(program, cell):
    text = HEADER + "R1,acute,yes,high,good,2,80\n" + f'R2,acute,yes,high,good,2,"{cell}"\n'
    assert error(text, program) == f'data.csv, line 3, column ae: expected a number (percent), found "{cell}"'


def test_yes_no_cells(program):
    text = HEADER + "R1,acute,maybe,high,good,2,80\nR2,acute,y,high,good,2,80\nR3,acute,yes,high,good,2,80\n"
    assert error(text, program) == (
        "data.csv, line 2, column in_deficit: expected yes/no (yes, no, true, false, "
        '1 or 0), found "maybe" (and 1 more row)'
    )


def test_label_cells_are_exact(program):
    text = HEADER + "R1,acute,yes,High,good,2,80\n"
    assert error(text, program) == 'data.csv, line 2, column rating: expected one of high / low, found "High"'


def test_labelled_scale_cells(program):
    text = HEADER + "R1,acute,yes,high,excellent,2,80\n"
    assert error(text, program) == (
        "data.csv, line 2, column cqc: expected a value of scale `cqc_rating`: "
        'outstanding / good / requires_improvement / inadequate, found "excellent"'
    )


@pytest.mark.parametrize("cell", ["6", "2.5", "0", "two", "inf"])
def test_numbered_scale_cells(program, cell):
    text = HEADER + f"R1,acute,yes,high,good,{cell},80\nR2,acute,yes,high,good,4.00,80\n"
    assert error(text, program) == (
        f'data.csv, line 2, column band: expected a value of scale `segment`: 1 / 2 / 3 / 4 / 5, found "{cell}"'
    )


def test_override_cells_use_the_values_type(program):
    text = "org,org_type,in_deficit,rating,cqc,band,ae,average,segment\nR1,acute,yes,high,good,2,80,1.5,9\n"
    assert error(text, program) == (
        'data.csv, line 2, column segment: expected a value of scale `segment`: 1 / 2 / 3 / 4 / 5, found "9"'
    )
    text = text.replace("1.5,9", "low,1")
    assert error(text, program) == 'data.csv, line 2, column average: expected a number (score), found "low"'


def test_the_first_problem_in_file_order_is_reported(program):
    text = HEADER + (
        "R1,acute,yes,high,good,2,80\n"
        "R2,acute,yes,high,good,2,bad\n"
        "R3,acute,maybe,high,good,2,80\n"
        "R4,nowhere,yes,high,good,2,worse\n"
    )
    assert error(text, program) == (
        'data.csv, line 3, column ae: expected a number (percent), found "bad" (and 1 more row)'
    )
    # on one line, the leftmost column comes first
    text = HEADER + "R1,acute,maybe,high,good,2,bad\n"
    assert error(text, program).startswith("data.csv, line 2, column in_deficit:")
    text = HEADER + "R1,nowhere,maybe,high,good,2,bad\n"
    assert error(text, program).startswith("data.csv, line 2, column org_type:")


def test_missing_columns_come_before_cell_problems(program):
    assert "missing columns" in error("org,org_type,ae\nR1,acute,bad\n", program)


def test_cell_problems_are_reported_under_allow_missing(program):
    message = error("org,org_type,ae\nR1,acute,bad\n", program, allow_missing=True)
    assert message == 'data.csv, line 2, column ae: expected a number (percent), found "bad"'


def test_long_cells_are_shortened_in_messages(program):
    cell = "a" * 100
    message = error(HEADER + f"R1,acute,yes,{cell},good,2,80\n", program)
    assert message.endswith(f'found "{"a" * 37}..."')


@given(st.text(alphabet=st.sampled_from('R1acute,yes"\n\r 2.5Qxno-'), max_size=80))
def test_any_text_loads_or_gives_a_data_error(text):
    program = compile_policy(POLICY)
    for body in (text, HEADER + text):
        try:
            loaded = load_text(body, "fuzz.csv", program, allow_missing=True)
        except DataError as raised:
            assert raised.message.startswith("fuzz.csv")
        else:
            assert loaded.frame.n == len(loaded.frame.lines) > 0
