"""Reading data as analysts have it: every bad cell reported at once, other delimiters and encodings, Excel and
Parquet files, and the mapping options for published files."""

from __future__ import annotations

import pytest

from policyc.data.table import REPORT, DataError, load_text
from policyc.ir.lower import lower
from policyc.semantics.driver import check_source
from policyc.syntax.source import Source

SMALL = """\
policy "Small" version "1"
org types acute, ambulance
scale rating: outstanding "Outstanding" > good "Good" > requires_improvement "Requires improvement"
input in_deficit: yes/no for all
input cqc: rating for all
metric ae "A&E" percent, higher is better, for all
  ranked, standard 78
metric beds "Beds" count, higher is better, for all
  ranked, standard 10
average = round(ae.score, 2)
"""


@pytest.fixture(scope="module")
def small():
    checked = check_source(Source("small.policy", SMALL))
    assert checked.ok, checked.diagnostics.sorted()
    return lower(checked.checked)


def raised(text: str, program) -> str:
    with pytest.raises(DataError) as caught:
        load_text(text, "data.csv", program)
    return caught.value.message


# ---------------------------------------------------------------- every bad cell, up to REPORT


def test_every_bad_cell_is_reported_in_line_order_up_to_the_limit(small):
    rows = [f"R{i},acute,{'maybe' if i % 3 == 0 else 'no'},good,{'x' if i % 2 else 80},5\n" for i in range(30)]
    message = raised("org,org_type,in_deficit,cqc,ae,beds\n" + "".join(rows), small)
    lines = message.split("\n")
    # the first line is the message a single bad cell gives, with its column's count
    assert lines[0] == (
        "data.csv, line 2, column in_deficit: expected yes/no (yes, no, true, false, 1 or 0), found "
        '"maybe" (and 9 more rows)'
    )
    assert lines[1] == '  data.csv, line 3, column ae: expected a number (percent), found "x"'
    assert len(lines) == REPORT + 1
    # 10 in_deficit and 15 ae cells in all: 20 shown, 5 counted
    assert lines[-1] == "  and 5 more bad cells"
    listed = [int(line.split("line ")[1].split(",")[0]) for line in lines[:-1]]
    assert listed == sorted(listed)
    # row 3 (line 5) has two bad cells, the leftmost first; row 2 (line 4) none
    assert 'line 5, column in_deficit: expected yes/no (yes, no, true, false, 1 or 0), found "maybe"\n' in message
    assert '\n  data.csv, line 5, column ae: expected a number (percent), found "x"\n' in message
    assert "line 4," not in message


def test_a_single_bad_cell_is_one_line_as_before(small):
    message = raised("org,org_type,in_deficit,cqc,ae,beds\nR1,acute,no,good,80,many\n", small)
    assert message == 'data.csv, line 2, column beds: expected a number (count), found "many"'


def test_bad_cells_of_every_kind_are_reported_together(small):
    text = (
        "org,org_type,in_deficit,cqc,ae,beds\n"
        "R1,acute,no,good,80,5\n"
        ",acute,no,good,80,5\n"
        "R3,trust,no,good,80,5\n"
        "R4,acute,no,fine,80,5\n"
    )
    lines = raised(text, small).split("\n")
    assert lines == [
        "data.csv, line 3, column org: expected an organisation code, found an empty cell",
        '  data.csv, line 4, column org_type: expected one of acute, ambulance, found "trust"',
        "  data.csv, line 5, column cqc: expected a value of scale `rating`: outstanding / good / "
        'requires_improvement, found "fine"',
    ]


def test_no_more_line_when_every_bad_cell_is_shown(small):
    rows = "".join(f"R{i},acute,no,good,x,5\n" for i in range(REPORT))
    lines = raised("org,org_type,in_deficit,cqc,ae,beds\n" + rows, small).split("\n")
    assert len(lines) == REPORT and "more bad cell" not in lines[-1]
    rows = "".join(f"R{i},acute,no,good,x,5\n" for i in range(REPORT + 1))
    assert raised("org,org_type,in_deficit,cqc,ae,beds\n" + rows, small).endswith("\n  and 1 more bad cell")
