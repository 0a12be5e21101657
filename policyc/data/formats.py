"""Tables as analysts have them: CSV with any delimiter and in any encoding, Excel workbooks and Parquet files.

Each is read as the comma-separated UTF-8 text that `table.load_text` takes, with a way back from that text's lines
to the source's own places: a CSV file keeps its lines (a record written with commas is padded to the lines it
spanned), a workbook's message names its sheet and cell (`Sheet1!C14`), a Parquet file's its row. Every command
and the Python API read a table file through `read`, so a workbook means what the same table as CSV means.
"""

from __future__ import annotations

import codecs
import datetime
import io
import math
import re
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from policyc.data.table import DataError, Writer, records
from policyc.syntax.diagnostics import did_you_mean
from policyc.syntax.text import printable

# The delimiters a header line is searched for when none is given, the first winning a tie.
DELIMITERS = (",", ";", "\t", "|")
EXCEL = (".xlsx", ".xlsm")
PARQUET = (".parquet", ".pq")
# Where a message names another line of the table than its own: "first on line 3", "where line 3 has".
EARLIER = r"(first on |where |\()line (\d+)\b"
# The extra that installs a format's library.
EXTRA = {"openpyxl": "excel", "pyarrow": "arrow"}


@attrs.frozen
class Options:
    """How to read a table file, where its name and first bytes do not say."""

    delimiter: str | None = None  # a CSV file's; None: the one its header line holds (comma, semicolon, tab, pipe)
    encoding: str | None = None  # a CSV file's; None: UTF-8, with or without a byte-order mark (UTF-16 with one)
    sheet: str | int | None = None  # a workbook's sheet, by name or by position from 1; None: the first


@attrs.frozen
class Source:
    """A table file read as CSV text for the reader, with `placed` to name the source's places in a message."""

    path: str
    text: str
    placed: Callable[[str], str] = attrs.field(default=lambda message: message)
    kind: str = "csv"  # "csv", "excel" or "parquet"


def kind_of(path: str, head: bytes = b"") -> str:
    """A table file's format, by its suffix or else by its first bytes."""
    suffix = Path(path).suffix.lower()
    if suffix in EXCEL or (suffix not in PARQUET and head.startswith(b"PK\x03\x04")):
        return "excel"
    if suffix in PARQUET or head.startswith(b"PAR1"):
        return "parquet"
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    return "csv"


def read(path: str, options: Options | None = None) -> Source:
    """The table file at `path` as CSV text for the reader; DataError naming the file on any problem."""
    options = options or Options()
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        raise DataError(f"{path}: cannot read the file: {error.strerror or error}") from None
    kind = kind_of(path, raw[:8])
    if kind == "xls":
        raise DataError(f"{path}: an Excel 97-2003 workbook (.xls); save it as .xlsx or as CSV")
    if kind != "csv":
        given = [name for name, value in (("delimiter", options.delimiter), ("encoding", options.encoding)) if value]
        if given:
            raise DataError(f"{path}: --{given[0]} is for CSV files; this is {_A[kind]}")
    if kind != "excel" and options.sheet is not None:
        raise DataError(f"{path}: --sheet is for Excel workbooks (.xlsx); this is {_A[kind]}")
    if kind == "excel":
        return _excel(path, raw, options.sheet)
    if kind == "parquet":
        return _parquet(path, raw)
    text = decoded(raw, path, options.encoding)
    delimiter = options.delimiter if options.delimiter is not None else sniffed(text)
    if delimiter != ",":
        text = with_commas(text, path, delimiter)
    return Source(path, text)


_A = {"excel": "an Excel workbook", "parquet": "a Parquet file", "csv": "a CSV file"}


# ---------------------------------------------------------------- CSV


def decoded(raw: bytes, path: str, encoding: str | None = None) -> str:
    """A CSV file's text: UTF-8 (a byte-order mark dropped), UTF-16 with its byte-order mark, or `encoding`."""
    if encoding is None:
        encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8-sig"
        named = "UTF-16" if encoding == "utf-16" else "UTF-8"
    else:
        try:
            named = codecs.lookup(encoding).name
        except LookupError:
            raise DataError(
                f"{path}: --encoding {printable(encoding)} is not an encoding (utf-8, cp1252, latin-1, utf-16, ...)"
            ) from None
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as error:
        line = raw[: error.start].decode(encoding, errors="replace").count("\n") + 1
        hint = "save the table as UTF-8 CSV, or try --encoding cp1252"
        if named not in ("UTF-8", "UTF-16"):
            hint = "try another --encoding (utf-8, cp1252, latin-1)"
        raise DataError(
            f"{path}, line {line}: the file is not {named} text (byte 0x{raw[error.start]:02x}); {hint}"
        ) from None
    return text.removeprefix("\ufeff")


def sniffed(text: str) -> str:
    """The delimiter of the first line that holds anything: the candidate it holds most of outside quotes."""
    for line in io.StringIO(text, newline=""):
        if not line.strip():
            continue
        outside = re.sub(r'"[^"]*("|$)', "", line)
        counts = [outside.count(d) for d in DELIMITERS]
        return DELIMITERS[counts.index(max(counts))] if max(counts) else ","
    return ","


def with_commas(text: str, path: str, delimiter: str) -> str:
    """CSV text with another delimiter as comma-separated text, each record on the lines it had."""
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise DataError(f"{path}: --delimiter must be one character, not a quote or a line break (got {delimiter!r})")
    out = io.StringIO()
    for first, last, record in records(text, path, delimiter):
        if not record:
            out.write("\n" * (last - first + 1))
            continue
        written = io.StringIO()
        Writer(written).row(record)
        spans = len(io.StringIO(written.getvalue(), newline="").readlines())
        out.write(written.getvalue() + "\n" * max(0, last - first + 1 - spans))
    return out.getvalue()


# ---------------------------------------------------------------- cells of typed files


def cell_text(value: Any, percent: bool = False) -> str:
    """A workbook's or Parquet file's cell as the CSV cell the reader takes: yes/no for booleans, a whole number
    without a decimal point, a percent-formatted cell as it is shown (0.952 as 95.2%), empty for none."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and not percent:
        return str(value)
    if isinstance(value, (int, float)):
        if math.isnan(value):
            return ""
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        number = Decimal(repr(value))
        if percent:
            number *= 100
        shown = format(number.normalize(), "f")
        return shown + ("%" if percent else "")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _written(rows: Iterable[tuple[int, Sequence[str]]]) -> tuple[str, list[int]]:
    """Rows, each with its place in the source, as CSV text; and each line of the text's place (0: none)."""
    out = io.StringIO()
    writer = Writer(out)
    places: list[int] = []
    for place, cells in rows:
        if not any(cells):
            out.write("\n")
            places.append(place)
            continue
        before = out.tell()
        writer.row(list(cells))
        spans = len(io.StringIO(out.getvalue()[before:], newline="").readlines())
        places.extend([place] * spans)
    return out.getvalue(), places


def _library(name: str, path: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(name)
    except ImportError:
        top = name.partition(".")[0]
        raise DataError(f"{path}: {what} needs {top}: pip install 'policyc[{EXTRA[top]}]'") from None


# ---------------------------------------------------------------- Excel


def column_letter(position: int) -> str:
    """A column's letters from its position from 0: 0 is A, 26 is AA."""
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _excel(path: str, raw: bytes, sheet: str | int | None) -> Source:
    openpyxl = _library("openpyxl", path, "reading Excel workbooks")
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as error:  # a damaged or foreign file can fail in many ways inside openpyxl
        raise DataError(f"{path}: not an Excel workbook that can be read ({type(error).__name__}: {error})") from None
    try:
        names = list(book.sheetnames)
        name = _sheet(path, names, sheet)
        worksheet = book[name]
        if not hasattr(worksheet, "iter_rows"):
            raise DataError(f"{path}: sheet {printable(name)} is a chart, not a table of cells")
        worksheet.reset_dimensions()  # the stored dimensions may be wrong; read every row there is
        rows = []
        for number, row in enumerate(worksheet.iter_rows(), start=1):
            number = next((cell.row for cell in row if getattr(cell, "row", None)), number)
            cells = [cell_text(cell.value, _percent(cell)) for cell in row]
            rows.append((number, cells))
    finally:
        book.close()
    width = max((len(cells) for _, cells in rows), default=0)
    while width and all(len(cells) < width or not cells[width - 1] for _, cells in rows):
        width -= 1  # columns that only formatting reached
    padded: list[tuple[int, list[str]]] = []
    for number, cells in rows:
        while len(padded) + 1 < number:  # rows the sheet skips keep their numbers as blank lines
            padded.append((len(padded) + 1, []))
        padded.append((number, (cells + [""] * width)[:width]))
    text, places = _written(padded)
    if not text.strip():
        raise DataError(f"{path}: sheet {printable(name)} is empty; expected a header row and one row per organisation")
    header = next((record for _, _, record in records(text, path) if record), [])
    return Source(path, text, _excel_placed(path, name, places, header), "excel")


def _percent(cell: Any) -> bool:
    """Whether a cell holds a number shown as a percentage (0.952 shown as 95.2%)."""
    value = cell.value
    return isinstance(value, (int, float)) and not isinstance(value, bool) and "%" in str(cell.number_format or "")


def _sheet(path: str, names: list[str], sheet: str | int | None) -> str:
    if sheet is None:
        return names[0]
    if isinstance(sheet, str) and sheet in names:
        return sheet
    position = sheet if isinstance(sheet, int) else int(sheet) if sheet.strip().isdigit() else None
    if position is not None and 1 <= position <= len(names):
        return names[position - 1]
    shown = ", ".join(printable(n) for n in names)
    if position is not None:
        raise DataError(f"{path}: no sheet {position}; the workbook has {len(names)}: {shown}")
    hint = did_you_mean(str(sheet), names)
    raise DataError(
        f"{path}: no sheet named {printable(str(sheet))}; the workbook has {shown}"
        + (f"; {printable(hint)}" if hint else "")
    )


def _reference(sheet: str) -> str:
    """A sheet's name as a cell reference writes it: quoted where it holds more than letters, digits and `_`."""
    return sheet if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", sheet) else "'" + sheet.replace("'", "''") + "'"


def _excel_placed(path: str, sheet: str, places: list[int], header: list[str]) -> Callable[[str], str]:
    """A message naming lines of the text, as one naming the sheet's cells (`Sheet1!C14`) or rows."""
    ref = _reference(sheet)
    names = sorted(
        ((printable(name.strip()), n) for n, name in enumerate(header) if name.strip()), key=lambda x: -len(x[0])
    )

    def row(line: str) -> int:
        n = int(line)
        return places[n - 1] if 0 < n <= len(places) else n

    def at(match: re.Match[str]) -> str:
        number = row(match[1])
        rest = match.string[match.end() :]
        if rest.startswith(", column "):
            after = rest[len(", column ") :].removeprefix("`")
            for name, position in names:
                if after.startswith(name) and after[len(name) : len(name) + 1] in ("", ":", " ", "`", ",", ")"):
                    return f"{path}, {ref}!{column_letter(position)}{number}"
        return f"{path}, {ref} row {number}"

    def placed(message: str) -> str:
        message = re.sub(re.escape(path) + r", line (\d+)", at, message)
        return re.sub(EARLIER, lambda m: f"{m[1]}{ref} row {row(m[2])}", message)

    return placed


# ---------------------------------------------------------------- Parquet


def _parquet(path: str, raw: bytes) -> Source:
    pa = _library("pyarrow", path, "reading Parquet files")
    parquet = _library("pyarrow.parquet", path, "reading Parquet files")
    try:
        table = parquet.read_table(pa.BufferReader(raw))
    except (pa.ArrowException, OSError, ValueError) as error:
        raise DataError(f"{path}: not a Parquet file that can be read: {error}") from None
    columns = [table.column(n).to_pylist() for n in range(table.num_columns)]
    rows: list[tuple[int, list[str]]] = [(0, list(table.column_names))]
    for n in range(table.num_rows):
        rows.append((n + 1, [cell_text(column[n]) for column in columns]))
    if not table.num_columns:
        raise DataError(f"{path}: the Parquet file has no columns; expected org, org_type, ...")
    text, places = _written(rows)

    def row(line: str) -> int | None:
        """A line of the text as the Parquet file's row, from 0; None for the header."""
        n = int(line)
        place = places[n - 1] if 0 < n <= len(places) else 0
        return place - 1 if place else None

    def in_file(match: re.Match[str]) -> str:
        number = row(match[1])
        return path if number is None else f"{path}, row {number}"

    def elsewhere(match: re.Match[str]) -> str:
        number = row(match[2])
        return match[0] if number is None else f"{match[1]}row {number}"

    def placed(message: str) -> str:
        message = re.sub(re.escape(path) + r", line (\d+)", in_file, message)
        return re.sub(EARLIER, elsewhere, message)

    return Source(path, text, placed, "parquet")


# ---------------------------------------------------------------- writing

# Characters a workbook cannot hold (XML 1.0 allows no C0 control but tab, newline and carriage return).
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_CELL = 32_767  # the most characters a workbook's cell holds


def arrow_table(columns: Sequence[tuple[str, str, list[Any]]]) -> Any:
    """A pyarrow Table of the columns in order, each its name, kind ("str", "int", "float" or "bool") and cells,
    None for an empty one."""
    pa = _library("pyarrow", "--format parquet", "writing Parquet files")
    types = {"str": pa.string(), "float": pa.float64(), "int": pa.int64(), "bool": pa.bool_()}
    return pa.table({name: pa.array(cells, type=types[kind]) for name, kind, cells in columns})


def parquet_bytes(columns: Sequence[tuple[str, str, list[Any]]]) -> bytes:
    """A Parquet file of the columns, as `arrow_table` takes them."""
    table = arrow_table(columns)
    parquet = _library("pyarrow.parquet", "--format parquet", "writing Parquet files")
    sink = io.BytesIO()
    parquet.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _xml_text(text: str) -> str:
    return _NOT_IN_XML.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


def xlsx_bytes(columns: Sequence[tuple[str, str, list[Any]]], sheet: str = "results") -> bytes:
    """An Excel workbook of one sheet: the columns' names in its first row, then their cells, as `arrow_table`
    takes them. Every text is a text, never a formula (`=1+1` stays those four characters), and a character a
    workbook cannot hold is written as its escape (`\\x07`). DataError for a text longer than a cell holds."""
    openpyxl = _library("openpyxl", "--format xlsx", "writing Excel workbooks")
    WriteOnlyCell = _library("openpyxl.cell", "--format xlsx", "writing Excel workbooks").WriteOnlyCell

    names = [name for name, _, _ in columns]
    rows = [names, *zip(*(cells for _, _, cells in columns), strict=True)]
    texts = [[_xml_text(v) if isinstance(v, str) else v for v in row] for row in rows]
    for r, row in enumerate(texts, start=1):
        for j, value in enumerate(row):
            if isinstance(value, str) and len(value) > XLSX_CELL:
                raise DataError(
                    f"--format xlsx: the cell {column_letter(j)}{r} (`{printable(names[j])}`) holds {len(value):,} "
                    f"characters, and a workbook's cell at most {XLSX_CELL:,}: write csv or parquet"
                )
    book = openpyxl.Workbook(write_only=True)
    page = book.create_sheet(sheet)

    def cell(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        made = WriteOnlyCell(page, value)
        made.data_type = "s"  # a text that starts with = is a text
        return made

    for row in texts:
        page.append([cell(value) for value in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
