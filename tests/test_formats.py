"""Reading data as analysts have it: every bad cell reported at once, other delimiters and encodings, Excel and
Parquet files, and the mapping options for published files."""

from __future__ import annotations

import csv
import datetime
import re
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import invoke

import policyc
from policyc.data import formats
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


# ---------------------------------------------------------------- formats in

ROOT = Path(__file__).parent.parent
SHIPPED = ROOT / "policies" / "performance_2009.policy"
EXAMPLE = ROOT / "examples" / "performance_2009_synthetic.csv"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> tuple[Path, list[list[str]], str]:
    """Six rows of the bundled 2009 data as UTF-8 CSV, its records, and what `eval --format csv` gives on it."""
    folder = tmp_path_factory.mktemp("sample")
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)[:7]
    path = folder / "sample.csv"
    path.write_text("".join(lines), encoding="utf-8")
    rows = list(csv.reader(lines))
    result = invoke("eval", SHIPPED, "--data", path, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 7
    return path, rows, result.stdout


def evaluated(path: Path, *options: str) -> str:
    result = invoke("eval", SHIPPED, "--data", path, "--format", "csv", *options)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def typed(cell: str) -> object:
    """A CSV cell as a spreadsheet holds it: a number as a number, an empty cell as none."""
    if not cell:
        return None
    try:
        return int(cell)
    except ValueError:
        try:
            return float(cell)
        except ValueError:
            return cell


@pytest.mark.parametrize("delimiter", [";", "\t", "|"])
def test_another_delimiter_is_found_in_the_header_line(sample, tmp_path, delimiter):
    path, rows, expected = sample
    other = tmp_path / "other.csv"
    with open(other, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    assert evaluated(other) == expected
    named = {"\t": "tab"}.get(delimiter, delimiter)
    assert evaluated(other, "--delimiter", named) == expected


def test_a_semicolon_table_keeps_its_quoted_cells_and_lines(small, tmp_path):
    path = tmp_path / "semi.csv"
    path.write_text('org;org_type;in_deficit;cqc;ae;beds\nR1;acute;no;good;80;5\n"R;2";acute;no;good;bad;5\n')
    source = formats.read(str(path))
    assert source.text.splitlines()[2] == "R;2,acute,no,good,bad,5"
    with pytest.raises(DataError) as caught:
        load_text(source.text, str(path), small)
    assert caught.value.message == f'{path}, line 3, column ae: expected a number (percent), found "bad"'


def test_a_given_delimiter_wins_over_the_header_line(small, tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("org;x,org_type,in_deficit,cqc,ae,beds\nR1;a,acute,no,good,80,5\n")
    text = formats.read(str(path), formats.Options(delimiter=",")).text
    assert text.splitlines()[1] == "R1;a,acute,no,good,80,5"
    # the header holds one semicolon and five commas: comma
    assert formats.read(str(path)).text == text


def test_a_cp1252_file_reads_with_its_encoding(sample, tmp_path):
    path, rows, expected = sample
    named = [row + [name] for row, name in zip(rows, ["org_name_2", *["Café – Trust"] * 6], strict=True)]
    other = tmp_path / "windows.csv"
    with open(other, "w", encoding="cp1252", newline="") as handle:
        csv.writer(handle).writerows(named)
    assert evaluated(other, "--encoding", "cp1252") == expected
    assert "Café – Trust" in formats.read(str(other), formats.Options(encoding="cp1252")).text
    result = invoke("eval", SHIPPED, "--data", other)
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: {other}, line 2: the file is not UTF-8 text (byte 0xe9); save the table as UTF-8 CSV, "
        "or try --encoding cp1252\n"
    )


def test_a_wrong_encoding_names_the_byte_and_line(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b"org,org_type\nR1,acute\nR\x81,acute\n")
    with pytest.raises(DataError) as caught:
        formats.read(str(path), formats.Options(encoding="cp1252"))
    assert caught.value.message == (
        f"{path}, line 3: the file is not cp1252 text (byte 0x81); try another --encoding (utf-8, cp1252, latin-1)"
    )
    with pytest.raises(DataError) as caught:
        formats.read(str(path), formats.Options(encoding="klingon"))
    assert "--encoding klingon is not an encoding" in caught.value.message


def test_utf8_with_a_byte_order_mark_and_utf16_read_alike(sample, tmp_path):
    path, rows, expected = sample
    text = path.read_text(encoding="utf-8")
    marked = tmp_path / "bom.csv"
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert evaluated(marked) == expected
    wide = tmp_path / "unicode.txt"  # Excel's "Unicode text": UTF-16 with a byte-order mark, tab-delimited
    wide.write_bytes(text.replace(",", "\t").encode("utf-16"))
    assert evaluated(wide) == expected


def workbook(rows: list[list[str]], path: Path, sheet: str = "Data") -> Path:
    """The rows as the second sheet of a workbook, numbers as numbers; the first sheet holds notes."""
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Synthetic data, for tests"])
    data = book.create_sheet(sheet)
    for row in rows:
        data.append([typed(cell) for cell in row])
    book.save(path)
    return path


def test_an_excel_sheet_evaluates_as_its_csv(sample, tmp_path):
    path, rows, expected = sample
    book = workbook(rows, tmp_path / "two sheets.xlsx")
    assert evaluated(book, "--sheet", "Data") == expected
    assert evaluated(book, "--sheet", "2") == expected
    # the first sheet by default: here, notes
    result = invoke("eval", SHIPPED, "--data", book)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: {book}, Notes row 1: missing required columns org, org_type")
    result = invoke("eval", SHIPPED, "--data", book, "--sheet", "data")
    assert result.stderr == f"error: {book}: no sheet named data; the workbook has Notes, Data; did you mean `Data`?\n"
    result = invoke("eval", SHIPPED, "--data", book, "--sheet", "3")
    assert result.stderr == f"error: {book}: no sheet 3; the workbook has 2: Notes, Data\n"


def test_excel_messages_name_the_sheet_and_cell(sample, tmp_path):
    _, rows, _ = sample
    book = workbook(rows, tmp_path / "bad.xlsx", sheet="Q1 data")
    loaded = openpyxl.load_workbook(book)
    sheet = loaded["Q1 data"]
    column = rows[0].index("rtt_admitted")
    sheet.cell(row=3, column=column + 1, value="lots")
    sheet.cell(row=5, column=rows[0].index("org_type") + 1, value="trust")
    loaded.save(book)
    result = invoke("eval", SHIPPED, "--data", book, "--sheet", "Q1 data")
    assert result.exit_code == 1
    letter = formats.column_letter(column)
    assert result.stderr == (
        f"error: {book}, 'Q1 data'!{letter}3, column rtt_admitted: expected a number (percent), found \"lots\"\n"
        f"  {book}, 'Q1 data'!C5, column org_type: expected one of acute, ambulance, found \"trust\"\n"
    )


def test_excel_cells_read_as_they_are_shown():
    assert formats.cell_text(True) == "yes" and formats.cell_text(False) == "no"
    assert formats.cell_text(3.0) == "3" and formats.cell_text(95.25) == "95.25" and formats.cell_text(None) == ""
    assert formats.cell_text(0.952, percent=True) == "95.2%"
    assert formats.cell_text(1, percent=True) == "100%"
    assert formats.cell_text(datetime.datetime(2025, 3, 31)) == "2025-03-31"
    assert [formats.column_letter(n) for n in (0, 25, 26, 701, 702)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_excel_needs_openpyxl_said_so(sample, tmp_path, monkeypatch):
    _, rows, _ = sample
    book = workbook(rows, tmp_path / "t.xlsx")
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    with pytest.raises(DataError) as caught:
        formats.read(str(book))
    assert caught.value.message == f"{book}: reading Excel workbooks needs openpyxl: pip install 'policyc[excel]'"


def test_files_that_are_not_what_they_say(tmp_path):
    old = tmp_path / "old.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100))
    with pytest.raises(DataError, match=r"old\.xls: an Excel 97-2003 workbook \(\.xls\); save it as \.xlsx or as CSV"):
        formats.read(str(old))
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(DataError, match="broken.xlsx: not an Excel workbook that can be read"):
        formats.read(str(broken))
    with pytest.raises(DataError, match="broken.xlsx: --delimiter is for CSV files; this is an Excel workbook"):
        formats.read(str(broken), formats.Options(delimiter=";"))
    text = tmp_path / "t.csv"
    text.write_text("org,org_type\n")
    with pytest.raises(DataError, match=r"t\.csv: --sheet is for Excel workbooks \(\.xlsx\); this is a CSV file"):
        formats.read(str(text), formats.Options(sheet="Data"))
    not_parquet = tmp_path / "t.parquet"
    not_parquet.write_bytes(b"nothing")
    with pytest.raises(DataError, match=r"t\.parquet: not a Parquet file that can be read"):
        formats.read(str(not_parquet))


def parquet_of(rows: list[list[str]], path: Path) -> Path:
    header, body = rows[0], rows[1:]
    columns = {}
    for n, name in enumerate(header):
        cells = [typed(row[n]) for row in body]
        if all(c is None or isinstance(c, (int, float)) for c in cells):
            columns[name] = pa.array([None if c is None else float(c) for c in cells], pa.float64())
        else:
            columns[name] = pa.array([None if c is None else str(c) for c in cells], pa.string())
    pq.write_table(pa.table(columns), path)
    return path


def test_a_parquet_file_evaluates_as_its_csv(sample, tmp_path):
    _, rows, expected = sample
    assert evaluated(parquet_of(rows, tmp_path / "t.parquet")) == expected


def test_parquet_messages_name_the_row(sample, tmp_path):
    _, rows, _ = sample
    rows = [list(row) for row in rows]
    rows[3][rows[0].index("org_type")] = "trust"
    path = parquet_of(rows, tmp_path / "t.parquet")
    result = invoke("eval", SHIPPED, "--data", path)
    assert result.stderr == f'error: {path}, row 2, column org_type: expected one of acute, ambulance, found "trust"\n'


def test_the_api_reads_a_workbook_by_its_suffix(sample, tmp_path):
    path, rows, _ = sample
    policy = policyc.load(SHIPPED)
    expected = policy.evaluate(str(path))
    book = workbook(rows, tmp_path / "t.xlsx")
    assert policy.evaluate(book, sheet="Data").equals(expected)
    assert policy.evaluate(str(book), sheet=2).equals(expected)
    assert policy.evaluate(parquet_of(rows, tmp_path / "t.parquet")).equals(expected)
    with pytest.raises(DataError, match="no sheet named Nope"):
        policy.evaluate(book, sheet="Nope")
    cp = tmp_path / "cp.csv"
    cp.write_bytes(path.read_bytes().replace(b"Synthetic", "Synthétique".encode("cp1252")))
    with pytest.raises(DataError, match=r"save the table as UTF-8 CSV, or try encoding='cp1252'$"):
        policy.evaluate(cp)
    assert policy.evaluate(cp, encoding="cp1252").equals(expected)
    with pytest.raises(TypeError, match="for a table file's path"):
        policy.evaluate(expected, sheet="Data")


def test_compare_and_agree_read_workbooks(sample, tmp_path):
    path, rows, _ = sample
    book = workbook(rows, tmp_path / "t.xlsx")
    on_csv = invoke("compare", SHIPPED, SHIPPED, "--data", path, "--format", "json")
    on_book = invoke("compare", SHIPPED, SHIPPED, "--data", book, "--sheet", "Data", "--format", "json")
    assert on_csv.exit_code == 0 and on_book.exit_code == 0, on_book.stderr
    assert on_book.stdout == on_csv.stdout.replace(str(path), str(book))


# ---------------------------------------------------------------- mapping options for published files

PUBLISHED = """\
org,kind,deficit,rating,ae_pct,bed_count
R1,Acute,N,Good,95.2%,"1,234"
R2,Acute,Y,requires improvement,*,..
R3,Ambulance,N,OUTSTANDING,78%,12
R4,Acute,no,good,n/a,-
"""

MAPPING = """\
missing = "default"

[columns]
org_type = "kind"
in_deficit = "deficit"
cqc = "rating"
ae = "ae_pct"
beds = "bed_count"

[values.org_type]
"Acute" = "acute"
"Ambulance" = "ambulance"

[values.in_deficit]
"Y" = "yes"
"N" = "no"

[numbers]
percent_sign = true
thousands = ","
"""


def through(small, tmp_path, mapping: str, table: str = PUBLISHED):
    from policyc.data import mapping as mappings

    path = tmp_path / "map.toml"
    path.write_text(mapping, encoding="utf-8")
    return mappings.load_through(mappings.load(str(path)), table, "published.csv", small).frame


def test_markers_percent_signs_thousands_and_display_labels_read_through_a_mapping(small, tmp_path):
    frame = through(small, tmp_path, MAPPING)
    assert frame.columns["ae"].tolist()[0] == 95.2 and frame.columns["ae"].tolist()[2] == 78.0
    assert np.isnan(frame.columns["ae"][1]) and np.isnan(frame.columns["ae"][3])
    assert frame.columns["beds"].tolist()[::2] == [1234.0, 12.0]
    assert np.isnan(frame.columns["beds"][1]) and np.isnan(frame.columns["beds"][3])
    # a scale's value by its words in any case, or its name; outstanding is 0, good 1, requires_improvement 2
    assert frame.columns["cqc"].tolist() == [1.0, 2.0, 0.0, 1.0]
    # "no" is already the policy's yes/no though [values.in_deficit] does not list it
    assert frame.columns["in_deficit"].tolist() == [0.0, 1.0, 0.0, 0.0]


def test_without_the_options_the_cells_are_bad_data(small, tmp_path):
    plain = MAPPING.replace('missing = "default"\n', "").split("[numbers]")[0]
    with pytest.raises(DataError) as caught:
        through(small, tmp_path, plain)
    lines = caught.value.message.split("\n")
    assert lines[0] == (
        'published.csv, line 2, column ae_pct (read as ae): expected a number (percent), found "95.2%" '
        "(and 3 more rows)"
    )
    assert '  published.csv, line 2, column bed_count (read as beds): expected a number (count), found "1,234"' in lines


def test_a_percent_sign_is_read_only_for_a_percent_input(small, tmp_path):
    table = "org,kind,deficit,rating,ae_pct,bed_count\nR1,Acute,N,Good,95,12%\n"
    with pytest.raises(DataError) as caught:
        through(small, tmp_path, MAPPING, table)
    assert caught.value.message == (
        'published.csv, line 2, column bed_count (read as beds): expected a number (count), found "12%"'
    )


def test_a_chosen_list_of_markers_and_decimal_commas(small, tmp_path):
    mapping = MAPPING.replace('missing = "default"', 'missing = ["x"]').replace(
        'thousands = ","', 'thousands = "."\ndecimal = ","'
    )
    table = 'org,kind,deficit,rating,ae_pct,bed_count\nR1,Acute,N,Good,"95,5%",1.234\nR2,Acute,N,Good,X,3\n'
    frame = through(small, tmp_path, mapping, table)
    assert frame.columns["ae"][0] == 95.5 and np.isnan(frame.columns["ae"][1])
    assert frame.columns["beds"].tolist() == [1234.0, 3.0]
    # "*" is not among the markers chosen
    with pytest.raises(
        DataError, match=r'line 2, column ae_pct \(read as ae\): expected a number \(percent\), found "\*"'
    ):
        through(small, tmp_path, mapping, table.replace("X", "*").replace('"95,5%"', "*"))


def test_an_unlisted_cell_that_is_not_the_policy_s_either_is_still_an_error(small, tmp_path):
    table = "org,kind,deficit,rating,ae_pct,bed_count\nR1,Acute,maybe,Good,95,12\n"
    with pytest.raises(DataError) as caught:
        through(small, tmp_path, MAPPING, table)
    assert caught.value.message.startswith(
        'published.csv, line 2, column `deficit`: "maybe" is not in [values.in_deficit] of'
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("missing = 3", '`missing` must be "default" (*, .., -, NA, n/a) or a list of cells'),
        ('missing = ["Y"]', '"Y" is in `missing` and in [values.in_deficit]; keep one'),
        ("[numbers]\npercent = true", "unknown key `percent` in [numbers]"),
        ('[numbers]\nthousands = "1"', "[numbers] thousands must be one character that is not a digit"),
        ('[numbers]\nthousands = ","\ndecimal = ","', "[numbers] thousands and decimal must differ"),
    ],
)
def test_mapping_options_are_checked(tmp_path, option, message):
    from policyc.data import mapping as mappings

    path = tmp_path / "map.toml"
    path.write_text(option + '\n[values.in_deficit]\n"Y" = "yes"\n' if option.startswith("missing") else option + "\n")
    with pytest.raises(DataError, match=re.escape(message)):
        mappings.load(str(path))


def test_a_workbook_through_a_mapping_names_its_cells(small, tmp_path):
    rows = list(csv.reader(PUBLISHED.splitlines()))
    rows[3][2] = "perhaps"
    book = workbook(rows, tmp_path / "published.xlsx")
    mapping = tmp_path / "map.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    policy = tmp_path / "small.policy"
    policy.write_text(SMALL, encoding="utf-8")
    result = invoke("eval", policy, "--data", book, "--sheet", "Data", "--map", mapping)
    assert result.exit_code == 1
    assert result.stderr.startswith(
        f'error: {book}, Data!C4, column `deficit`: "perhaps" is not in [values.in_deficit]'
    )
