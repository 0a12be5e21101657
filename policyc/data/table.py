"""Reading a CSV table into an encoded Frame for a compiled policy, every cell checked, each problem one message."""

from __future__ import annotations

import csv
import io
import itertools
import operator
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TextIO

import attrs
import numpy as np

from policyc.backend.frame import Frame
from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.semantics.types import Type
from policyc.syntax.text import printable

from .cells import expected, format_period, parse, parse_period

# Rows are parsed this many at a time, so that memory holds encoded float columns, not every cell's text.
CHUNK = 65536
# How many missing column names a warning lists before "and N more".
WARN_LIST = 10
# How many bad cells one error lists, in line order, before "and N more bad cells".
REPORT = 20

REQUIRED = ("org", "org_type")

# The longest cell read. Real cells (codes, numbers, labels, names, notes) are far shorter; a longer one is nearly
# always a quote left open that swallows the rest of the file, and refusing it at this size names the line where it
# opened while the file is still being read. The csv module's own default (131,072) is low enough for a long note.
CELL_LIMIT = 1 << 20

Record = tuple[int, int, list[str]]  # the first and last line a record spans, and its cells


class DataError(Exception):
    """A table that cannot be read for a policy; `message` names the file, line and column (a line for each bad
    cell, up to REPORT of them, where there are several)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@attrs.frozen
class Loaded:
    frame: Frame
    warnings: list[str]
    needed_missing: list[str]  # columns the policy reads that the table lacks, taken as missing (allow_missing)


def load(path: str, program: ir.Program, *, allow_missing: bool = False) -> Loaded:
    """Read a UTF-8 CSV file (a byte-order mark is tolerated) for `program`; DataError on any problem."""
    return load_text(read_text(path), path, program, allow_missing=allow_missing)


def records(text: str, path: str = "the table", delimiter: str = ",") -> Iterator[Record]:
    """Each CSV record of `text`, the header first, with the first and last line it spans; a blank line is [].

    A line ends at a line feed, a carriage return or both, as the csv module counts lines; a quoted cell may hold
    them. Every table is read through here, so that all agree on what a record is and on which line it starts.
    Malformed CSV, or a cell over CELL_LIMIT, is a DataError naming `path` and the line.
    """
    if csv.field_size_limit() < CELL_LIMIT:
        csv.field_size_limit(CELL_LIMIT)
    text = text.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True, delimiter=delimiter)
    before = 0
    header: list[str] | None = None
    try:
        for record in reader:
            yield before + 1, reader.line_num, record
            before = reader.line_num
            if header is None and record:
                header = record
    except csv.Error as error:
        raise _malformed(text, path, before + 1, reader.line_num, header, error, delimiter) from None


def _malformed(
    text: str, path: str, first: int, line: int, header: list[str] | None, error: csv.Error, delimiter: str = ","
) -> DataError:
    """What is wrong with the record that starts on line `first`, where the csv module gave up on line `line`."""
    if str(error).startswith("field larger than field limit"):
        cells = _read_unlimited(text, first, delimiter)
        if cells is not None:
            longest = max(range(len(cells)), key=lambda n: len(cells[n]))
            name = header[longest] if header is not None and longest < len(header) else str(longest + 1)
            return DataError(
                f"{path}, line {first}, column {printable(name)}: a cell of {len(cells[longest]):,} characters; "
                f"cells hold at most {csv.field_size_limit():,}"
            )
        return _unclosed(path, first)
    if str(error) == "unexpected end of data":
        return _unclosed(path, first)
    return DataError(f"{path}, line {line}: not a CSV record: {error}")


def _unclosed(path: str, first: int) -> DataError:
    return DataError(f"{path}, line {first}: a quote opened in this record is never closed; the file ends inside it")


def _read_unlimited(text: str, first: int, delimiter: str = ",") -> list[str] | None:
    """The record starting on line `first`, read without a limit on its cells; None when it never ends."""
    lines = io.StringIO(text, newline="")
    for _ in range(first - 1):
        lines.readline()
    limit = csv.field_size_limit(sys.maxsize)
    try:
        return next(csv.reader(lines, strict=True, delimiter=delimiter), [])
    except csv.Error:
        return None
    finally:
        csv.field_size_limit(limit)


def wrong_width(path: str, line: int, count: int, width: int) -> DataError:
    """A record of `count` cells under a header of `width`: the same message whether or not a mapping read it."""
    return DataError(
        f"{path}, line {line}: {count} cell{'s' if count != 1 else ''}, but the header has {width} columns"
    )


class Writer:
    """Writes CSV records, each ending in a line feed, that `records` reads back as they were.

    The csv module quotes a cell holding a line feed but not one holding a lone carriage return, which a reader
    then takes for the end of the line; such a row is written with both quoted.
    """

    def __init__(self, out: TextIO):
        self.out = out
        self.plain = csv.writer(out, lineterminator="\n")
        self.buffer = io.StringIO()
        self.quoting = csv.writer(self.buffer, lineterminator="\r\n")

    def row(self, cells: Sequence[str]) -> None:
        if "\r" not in "".join(cells):
            self.plain.writerow(cells)
            return
        self.buffer.seek(0)
        self.buffer.truncate()
        self.quoting.writerow(cells)
        self.out.write(self.buffer.getvalue()[:-2] + "\n")


def only_org_types(text: str, org_types: Sequence[str], path: str = "the table") -> tuple[str, int]:
    """The table with the records of other org types blanked, so that every other record keeps its line, and how many.

    Records are found by `records`, so a cell holding a line break blanks with its record. A table without an
    org_type column, or a record too short to have one, is left for the loader to report.
    """
    rows = records(text, path)
    _, _, header = next(rows, (0, 0, []))
    names = [name.strip() for name in header]
    if "org_type" not in names:
        return text, 0
    position = names.index("org_type")
    lines = io.StringIO(text.removeprefix("\ufeff"), newline="").readlines()
    wanted = set(org_types)
    skipped = 0
    for first, last, record in rows:
        if position < len(record) and record[position].strip() not in wanted:
            skipped += 1
            # a blanked line ends in CR LF, which never joins a carriage return before it into one line break
            lines[first - 1 : last] = ["\r\n" if line[-1:] in ("\r", "\n") else "" for line in lines[first - 1 : last]]
    return "".join(lines), skipped


def read_text(path: str) -> str:
    """A table file's text; DataError if it cannot be read or is not UTF-8."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as error:
        reason = error.strerror or str(error)
        raise DataError(f"{path}: cannot read the file: {reason}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise DataError(
            f"{path}, line {line}: the file is not UTF-8 text (byte 0x{raw[error.start]:02x}); "
            "save the table as UTF-8 CSV, or try --encoding cp1252"
        ) from None
    return text


def load_text(
    text: str,
    path: str,
    program: ir.Program,
    allow_missing: bool = False,
    *,
    called: dict[str, str] | None = None,
    place: Callable[[int, str | None], int] | None = None,
) -> Loaded:
    """Read CSV text as if from the file `path` (which only names it in messages).

    `called` gives what messages call a column where the text's header is not the file's own: a mapped column is
    named by the source table's header. `place` gives the line of the file a cell of the text comes from (a
    column of None: the row), where the text's lines are not the file's (a long table pivoted).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise DataError(
            f"{path}: the file is empty; expected a header row (org, org_type, ...) and one row per organisation"
        )
    rows = records(text, path)
    header, header_line = _header(rows, path)
    columns = _columns(header, header_line, path, program)
    table = _Table(path, program, header, columns, called or {}, place)
    table.read(rows)
    given = {name for name, values in table.values.items() if not np.isnan(values).any()}
    needed_missing = [name for name in needed_columns(program, given) if name not in columns]
    warnings: list[str] = []
    if needed_missing:
        if not allow_missing:
            raise DataError(
                f"{path}: missing columns the policy reads: {', '.join(needed_missing)} "
                "(use --allow-missing to take them as missing)"
            )
        shown = ", ".join(needed_missing[:WARN_LIST])
        if len(needed_missing) > WARN_LIST:
            shown += f" and {len(needed_missing) - WARN_LIST} more"
        warnings.append(f"{path}: columns the policy reads are missing, taken as missing on every row: {shown}")
    table.raise_first_problem()
    return Loaded(table.frame(), warnings, needed_missing)


# ---------------------------------------------------------------- which columns a policy needs


def needed_columns(program: ir.Program, given: set[str]) -> list[str]:
    """The inputs and metrics evaluation needs, in declaration order, when the values in `given` are columns in full.

    Every score and derived value is reported, so each one not given in full is evaluated and needs what its
    rule reads; a given one needs nothing. An input or metric that no rule reads is needed for its own sake.
    """
    rules = [d for d in program.decls if not isinstance(d, ir.Column)]
    read_by_rule = set(walk.reads_of(rules))
    needed = set(walk.reads_of(d for d in rules if d.name not in given))
    return [c.name for c in program.columns if c.name in needed or c.name not in read_by_rule]


# ---------------------------------------------------------------- header


def _header(rows: Iterator[Record], path: str) -> tuple[list[str], int]:
    for line, _, record in rows:
        if record:  # blank lines before the header are not a header
            return [name.strip() for name in record], line
    raise DataError(
        f"{path}: the file is empty; expected a header row (org, org_type, ...) and one row per organisation"
    )


def _columns(header: list[str], line: int, path: str, program: ir.Program) -> dict[str, int]:
    """The position of each column the loader reads: org, org_type, period, inputs, metrics and overrides."""
    seen: dict[str, int] = {}
    for i, name in enumerate(header):
        if not name:
            continue  # a nameless column (a trailing comma) can mean nothing, so two of them are no conflict
        if name in seen:
            raise DataError(
                f"{path}, line {line}: column {printable(name)} appears twice (columns {seen[name] + 1} and {i + 1})"
            )
        seen[name] = i
    required = REQUIRED + (("period",) if program.uses_periods else ())
    absent = [name for name in required if name not in seen]
    if absent:
        why = " (the policy uses previous or run)" if "period" in absent else ""
        raise DataError(
            f"{path}, line {line}: missing required column{'s' if len(absent) > 1 else ''} {', '.join(absent)}{why}"
        )
    wanted = ["org", "org_type", "period"] + [d.name for d in program.outputs()]
    return {name: seen[name] for name in wanted if name in seen}


# ---------------------------------------------------------------- rows


@attrs.define
class _Problem:
    line: int
    position: int  # the column's position in the header, to order problems on one line
    message: str
    more: int = 0  # further cells of the column with the same problem
    head: bool = True  # the column's first problem, which counts `more`; False for the further cells listed

    def text(self) -> str:
        if not self.more:
            return self.message
        return f"{self.message} (and {self.more} more row{'s' if self.more > 1 else ''})"


@attrs.define
class _Column:
    """One column being read: its encoded chunks and the first bad cells found so far."""

    name: str
    position: int
    type: Type | None  # None for org, org_type and period
    chunks: list[np.ndarray] = attrs.Factory(list)
    found: list[tuple[int, str]] = attrs.Factory(list)  # (line, cell) of the first REPORT bad cells
    bad: int = 0


class _Table:
    def __init__(
        self,
        path: str,
        program: ir.Program,
        header: list[str],
        columns: dict[str, int],
        called: dict[str, str],
        place: Callable[[int, str | None], int] | None = None,
    ):
        self.path = path
        self.place = place or (lambda line, column: line)
        self.header = header
        self.program = program
        self.width = len(header)
        self.called = called
        types = {d.name: d.type for d in program.outputs()}
        self.columns = [
            _Column(name, pos, types.get(name))
            for name, pos in columns.items()
            if name not in ("org", "org_type", "period")
        ]
        self.org_pos = columns["org"]
        self.type_pos = columns["org_type"]
        self.period_pos = columns.get("period")
        self.org: list[str] = []
        self.org_type: list[np.ndarray] = []
        self.period: list[np.ndarray] = []
        self.empty_periods = 0
        self.lines: list[int] = []
        self.problems: list[_Problem] = []
        self.values: dict[str, np.ndarray] = {}
        self.type_index = {name: i for i, name in enumerate(program.org_types)}
        self.period_cache: dict[str, int] = {}

    def name(self, column: str) -> str:
        """A column as messages name it: the source table's header where a mapping renamed it."""
        return printable(self.called.get(column, column))

    # ------------------------------------------------ reading

    def read(self, rows: Iterator[Record]) -> None:
        """Read the records after the header a chunk at a time; the first record of the wrong width ends reading."""
        while chunk := list(itertools.islice(rows, CHUNK)):
            kept = [(line, record) for line, _, record in chunk if record]  # blank lines hold no record
            cells = [record for _, record in kept]
            if set(map(len, cells)) - {self.width}:
                line, record = next((line, record) for line, record in kept if len(record) != self.width)
                raise wrong_width(self.path, line, len(record), self.width)
            self._add_rows(cells, [line for line, _ in kept])
        if not self.lines:
            raise DataError(f"{self.path}: no rows after the header; expected one row per organisation")
        for column in self.columns:
            self.values[column.name] = np.concatenate(column.chunks)
        if self.period_pos is not None and not self.program.uses_periods and self.empty_periods == len(self.lines):
            # eval's own CSV output has a period column, empty for a policy without periods: no periods at all
            self.problems = [p for p in self.problems if p.position != self.period_pos]
            self.period_pos = None
            self.period = []
        self._check_keys()

    def _add_rows(self, rows: list[list[str]], lines: list[int]) -> None:
        if not rows:
            return

        def cells(position: int) -> tuple[str, ...]:
            return tuple(map(operator.itemgetter(position), rows))

        self.lines.extend(lines)
        self._org(cells(self.org_pos), lines)
        self._org_type(cells(self.type_pos), lines)
        if self.period_pos is not None:
            self._period(cells(self.period_pos), lines)
        for column in self.columns:
            assert column.type is not None
            column_cells = cells(column.position)
            values, bad = parse(column_cells, column.type)
            column.chunks.append(values)
            if bad:
                room = REPORT - len(column.found)
                column.found.extend((lines[i], column_cells[i]) for i in bad[:room])
                column.bad += len(bad)

    def _org(self, cells: Sequence[str], lines: list[int]) -> None:
        stripped = [c.strip() for c in cells]
        empty = [i for i, c in enumerate(stripped) if not c]
        if empty:
            what = "expected an organisation code, found an empty cell"
            self._problem(self.org_pos, "org", [(lines[i], what) for i in empty[:REPORT]], len(empty))
        self.org.extend(stripped)

    def _org_type(self, cells: Sequence[str], lines: list[int]) -> None:
        index = self.type_index
        codes = [index.get(c, -1) for c in cells]
        if -1 in codes:
            codes = [index.get(c.strip(), -1) for c in cells]
            bad = [i for i, code in enumerate(codes) if code < 0]
            if bad:
                expected = "one of " + ", ".join(self.program.org_types)
                found = [(lines[i], f"expected {expected}, found {_shown(cells[i])}") for i in bad[:REPORT]]
                self._problem(self.type_pos, "org_type", found, len(bad))
        self.org_type.append(np.array(codes, dtype=np.int64))

    def _period(self, cells: Sequence[str], lines: list[int]) -> None:
        cache = self.period_cache
        codes = []
        bad = []
        for i, cell in enumerate(cells):
            code = cache.get(cell)
            if code is None:
                code = cache[cell] = parse_period(cell)
            if code < 0:
                bad.append(i)
                self.empty_periods += not cell.strip()
            codes.append(code)
        if bad:
            assert self.period_pos is not None
            what = "expected a period like 2025Q3 (year, Q, quarter 1 to 4), found "
            found = [(lines[i], what + _shown(cells[i])) for i in bad[:REPORT]]
            self._problem(self.period_pos, "period", found, len(bad))
        self.period.append(np.array(codes, dtype=np.int64))

    def _problem(self, position: int, name: str, found: list[tuple[int, str]], count: int) -> None:
        """Keep the first REPORT problems of each column, (line, what) in `found`, of `count` in all; the column's
        first problem counts the others."""
        kept = [problem for problem in self.problems if problem.position == position]
        if kept:
            kept[0].more += count
        for n, (line, what) in enumerate(found[: REPORT - len(kept)]):
            message = f"{self.path}, line {self.place(line, self.header[position])}, column {self.name(name)}: {what}"
            head = not kept and n == 0
            self.problems.append(_Problem(line, position, message, count - 1 if head else 0, head))

    def _check_keys(self) -> None:
        """An organisation appears once per period."""
        period = np.concatenate(self.period) if self.period else None
        keys = list(zip(self.org, period.tolist(), strict=True)) if period is not None else self.org
        if len(set(keys)) == len(keys):
            return
        first: dict[object, int] = {}
        for row, key in enumerate(keys):
            if period is not None and period[row] < 0:
                continue  # not a period: reported as such
            if key in first:
                org = self.org[row]
                line, earlier = self.place(self.lines[row], None), self.place(self.lines[first[key]], None)
                if period is not None:
                    what = f"org {org} appears twice for period {format_period(int(period[row]))}"
                else:
                    what = f"org {org} appears twice (a table without a period column has one row per organisation)"
                self.problems.append(
                    _Problem(line, self.org_pos, f"{self.path}, line {line}: {what}; first on line {earlier}")
                )
                return
            first[key] = row

    # ------------------------------------------------ results

    def raise_first_problem(self) -> None:
        """One DataError for every problem found: the first REPORT in line order, each on its own line (the first
        with how many more its column has), then how many more bad cells there are."""
        problems = list(self.problems)
        for column in self.columns:
            for n, (line, cell) in enumerate(column.found):
                assert column.type is not None
                message = (
                    f"{self.path}, line {self.place(line, self.header[column.position])}, column "
                    f"{self.name(column.name)}: expected {expected(column.type)}, found {_shown(cell)}"
                )
                problems.append(_Problem(line, column.position, message, column.bad - 1 if n == 0 else 0, n == 0))
        if not problems:
            return
        problems.sort(key=lambda p: (p.line, p.position))
        shown = problems[:REPORT]
        rest = sum(p.more + 1 for p in problems if p.head) - len(shown)
        lines = [shown[0].text()] + [f"  {p.message}" for p in shown[1:]]
        if rest > 0:
            lines.append(f"  and {rest:,} more bad cell{'s' if rest != 1 else ''}")
        raise DataError("\n".join(lines))

    def frame(self) -> Frame:
        return Frame(
            org=tuple(self.org),
            org_type=np.concatenate(self.org_type),
            period=np.concatenate(self.period) if self.period_pos is not None else None,
            columns=self.values,
            lines=tuple(self.place(line, None) for line in self.lines),
        )


def _shown(cell: str) -> str:
    """A cell quoted in a message: shortened, and every control character escaped, as data may hold anything."""
    cell = cell.strip()
    if not cell:
        return "an empty cell"
    if len(cell) > 40:
        cell = cell[:37] + "..."
    return f'"{printable(cell)}"'
