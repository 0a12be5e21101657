"""Column mappings: a published table's columns and values read as a policy's inputs, declared in a TOML file."""

from __future__ import annotations

import io
import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import attrs

from policyc.data.cells import parse, parse_period
from policyc.data.table import DataError, Loaded, Writer, load_text, records, wrong_width
from policyc.ir import nodes as ir
from policyc.semantics.types import Type
from policyc.syntax.diagnostics import did_you_mean
from policyc.syntax.text import printable

SECTIONS = (
    "title",
    "source",
    "assumptions",
    "columns",
    "values",
    "defaults",
    "constants",
    "published",
    "long",
    "missing",
    "numbers",
)
# `missing = "default"`: the markers published tables write for a value suppressed or not available.
DEFAULT_MISSING = ("*", "..", "-", "NA", "n/a")
NUMBERS_KEYS = ("percent_sign", "thousands", "decimal")
# The columns that name a row, which a marker of a missing value never empties.
KEYS = ("org", "org_type", "period")
LONG_KEYS = ("key", "value", "period", "inputs", "published", "ignored", "periods")
# A financial year's quarter as NHS England writes it, `Q1 2025/26`, read as the period `2025Q1`.
FINANCIAL_QUARTER = re.compile(r"Q([1-4])\s+(\d{4})/\d{2}")
PUBLISHED_KEYS = ("outcome", "group", "name")


@attrs.frozen
class Published:
    """Where a table holds a published result to hold a policy's outcome to."""

    outcome: str  # the source column with the published outcome
    group: str | None  # agreement is reported per value of this source column
    name: str | None  # a source column naming each organisation, for reports


@attrs.frozen
class Long:
    """A long table: one row per organisation, period and key, its `value` column pivoted into one column per key.

    `inputs` maps each key read as an input to the policy's column; `published` each key whose value is a
    published result to the policy value it is compared with (kept as a column named by the key, never an
    input); `ignored` lists the keys read as neither, so that no row is dropped without the mapping saying so.
    """

    key: str  # the column naming the key (`Metric_ID`)
    value: str  # the column holding its value (`Value`)
    period: str  # the column naming the period (`Quarter`: `Q1 2025/26`, or `2025Q1`)
    inputs: dict[str, str]  # key -> policy column
    published: dict[str, str]  # key -> policy value
    ignored: tuple[str, ...]
    # period (`2025Q1`) -> {policy column -> cell}: inputs the table does not hold, the same for every organisation
    # in a period (a quarter's cut points, say); every period of the table must have the same columns here
    periods: dict[str, dict[str, str]] = attrs.Factory(dict)


@attrs.frozen
class Numbers:
    """How a published table writes numbers: `95.2%` for a percent, `1,234` with a thousands separator."""

    percent_sign: bool = False  # a percent input's cell may end in `%`
    thousands: str | None = None  # the thousands separator number cells may hold (`,`)
    decimal: str = "."  # the decimal separator (`,` in much of Europe)


@attrs.frozen
class Mapping:
    path: str
    title: str
    columns: dict[str, str]  # policy column -> source column
    values: dict[str, dict[str, str]]  # policy column -> {source cell -> policy cell}
    defaults: dict[str, str]  # policy column -> the cell where the source's is empty
    constants: dict[str, str]  # policy column -> the cell on every row
    published: Published | None
    assumptions: tuple[str, ...]  # what the mapping takes to be so without a source, said in every report
    long: Long | None = None
    missing: tuple[str, ...] = ()  # cells read as missing (empty), matched without regard to case
    numbers: Numbers | None = None


def load(path: str) -> Mapping:
    """Read a mapping file; DataError naming the file and the key on any problem."""
    try:
        with open(path, "rb") as handle:
            document = tomllib.load(handle)
    except OSError as error:
        raise DataError(f"{path}: cannot read the mapping: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise DataError(f"{path}: not a valid TOML mapping: {error}") from None
    except UnicodeDecodeError:
        raise DataError(f"{path}: the mapping is not UTF-8 text") from None
    _known(document, SECTIONS, path)
    columns = _strings(document.get("columns", {}), path, "columns")
    constants = _strings(document.get("constants", {}), path, "constants")
    defaults = _strings(document.get("defaults", {}), path, "defaults")
    for name in defaults:
        if name in constants:
            raise DataError(f"{path}: `{name}` is both in [defaults] and in [constants]; keep one")
    assumptions = document.get("assumptions", [])
    if not isinstance(assumptions, list) or not all(isinstance(a, str) for a in assumptions):
        raise DataError(f"{path}: `assumptions` must be a list of strings")
    values = _table(document.get("values", {}), path, "values")
    recoded = {name: _strings(table, path, f"values.{name}") for name, table in values.items()}
    for name in recoded:
        if name in constants:
            raise DataError(f"{path}: [values.{name}] recodes a column that [constants] sets")
    for name in columns:
        if name in constants:
            raise DataError(f"{path}: `{name}` is both in [columns] and in [constants]; keep one")
    for where, given in [("defaults", defaults), ("constants", constants)] + [
        (f"values.{name}", table) for name, table in recoded.items()
    ]:
        for key, cell in given.items():
            if "\n" in cell or "\r" in cell:
                # the table read through the mapping keeps each record on its source lines, which a cell of
                # the mapping's own with a line break would push down
                raise DataError(f"{path}: [{where}] {key}: a cell the mapping gives must not hold a line break")
    published = None
    if "published" in document:
        table = _strings(document["published"], path, "published")
        for key in table:
            if key not in PUBLISHED_KEYS:
                raise DataError(f"{path}: unknown key `{key}` in [published]; expected {', '.join(PUBLISHED_KEYS)}")
        if "outcome" not in table:
            raise DataError(f"{path}: [published] needs `outcome`, the column holding the published result")
        published = Published(table["outcome"], table.get("group"), table.get("name"))
    title = document.get("title", Path(path).name)
    if not isinstance(title, str):
        raise DataError(f"{path}: `title` must be a string")
    long = _long(document["long"], path, columns) if "long" in document else None
    missing = _missing(document.get("missing", []), path, recoded)
    numbers = _numbers(document["numbers"], path) if "numbers" in document else None
    return Mapping(
        path, title, columns, recoded, defaults, constants, published, tuple(assumptions), long, missing, numbers
    )


def _missing(value, path: str, recoded: dict[str, dict[str, str]]) -> tuple[str, ...]:
    if value == "default":
        markers = DEFAULT_MISSING
    elif isinstance(value, list) and all(isinstance(m, str) and m.strip() for m in value):
        markers = tuple(m.strip() for m in value)
    else:
        raise DataError(
            f'{path}: `missing` must be "default" ({", ".join(DEFAULT_MISSING)}) or a list of cells, '
            'such as ["*", ".."]'
        )
    for name, table in recoded.items():
        for key in table:
            if key.strip().casefold() in {m.casefold() for m in markers}:
                raise DataError(f'{path}: "{printable(key)}" is in `missing` and in [values.{name}]; keep one')
    return markers


def _numbers(value, path: str) -> Numbers:
    table = _table(value, path, "numbers")
    _known(table, NUMBERS_KEYS, path, " in [numbers]")
    percent = table.get("percent_sign", False)
    if not isinstance(percent, bool):
        raise DataError(f"{path}: [numbers] percent_sign must be true or false")
    decimal = table.get("decimal", ".")
    if decimal not in (".", ","):
        raise DataError(f'{path}: [numbers] decimal must be "." or ","')
    thousands = table.get("thousands")
    if thousands is not None and (
        not isinstance(thousands, str) or len(thousands) != 1 or thousands.isdigit() or thousands in "+-\r\n"
    ):
        raise DataError(f'{path}: [numbers] thousands must be one character that is not a digit, such as ","')
    if thousands == decimal:
        raise DataError(f'{path}: [numbers] thousands and decimal must differ (both are "{decimal}")')
    return Numbers(percent, thousands, decimal)


def _long(value, path: str, columns: dict[str, str]) -> Long:
    table = _table(value, path, "long")
    _known(table, LONG_KEYS, path, " in [long]")
    named = {}
    for key in ("key", "value", "period"):
        if not isinstance(table.get(key), str):
            raise DataError(f"{path}: [long] needs `{key}`, the name of the table's {_LONG_WHAT[key]} column")
        named[key] = table[key]
    if "period" in columns:
        raise DataError(f"{path}: [columns] maps `period`, which [long] reads from column `{named['period']}`")
    inputs = _strings(table.get("inputs", {}), path, "long.inputs")
    published = _strings(table.get("published", {}), path, "long.published")
    ignored = table.get("ignored", [])
    if not isinstance(ignored, list) or not all(isinstance(k, str) for k in ignored):
        raise DataError(f"{path}: [long] `ignored` must be a list of keys (strings)")
    for key in inputs:
        if key in published:
            raise DataError(
                f"{path}: key `{key}` is both in [long.inputs] and in [long.published]; a published "
                "result is compared with, never read as an input"
            )
    for key in ignored:
        if key in inputs or key in published:
            raise DataError(f"{path}: key `{key}` is in [long] `ignored` and is also mapped; keep one")
    seen: dict[str, str] = {}
    for key, name in inputs.items():
        if name in seen:
            raise DataError(f"{path}: [long.inputs] reads both `{seen[name]}` and `{key}` as `{name}`; keep one")
        seen[name] = key
    periods = {}
    for period, cells in _table(table.get("periods", {}), path, "long.periods").items():
        if parse_period(period) < 0:
            raise DataError(f"{path}: [long.periods] `{period}` is not a period; write it as 2025Q1")
        periods[period] = _strings(cells, path, f"long.periods.{period}")
    columns_of = {tuple(cells) for cells in periods.values()}
    if len(columns_of) > 1:
        raise DataError(f"{path}: every period in [long.periods] must set the same columns")
    for cells in periods.values():
        for name in cells:
            if name in seen:
                raise DataError(f"{path}: `{name}` is both read from key `{seen[name]}` and set in [long.periods]")
    return Long(named["key"], named["value"], named["period"], inputs, published, tuple(ignored), periods)


_LONG_WHAT = {"key": "key (such as Metric_ID)", "value": "value", "period": "period (such as Quarter)"}


def _known(table: dict, keys: tuple[str, ...], path: str, where: str = "") -> None:
    """A DataError for the first key of `table` that is not one of `keys`, with the closest."""
    for key in table:
        if key not in keys:
            hint = did_you_mean(key, keys)
            raise DataError(
                f"{path}: unknown key `{key}`{where}; expected one of {', '.join(keys)}" + (f"; {hint}" if hint else "")
            )


def _table(value, path: str, where: str) -> dict:
    if not isinstance(value, dict):
        raise DataError(f"{path}: [{where}] must be a table")
    return value


def _strings(value, path: str, where: str) -> dict[str, str]:
    for key, item in _table(value, path, where).items():
        if not isinstance(item, str):
            raise DataError(f"{path}: [{where}] {key} must be a string (in quotes), not {item!r}")
    return dict(value)


def called(mapping: Mapping) -> dict[str, str]:
    """What messages call each mapped column: the source table's own header, and the policy's name it is read as."""
    return {name: f"{source} (read as {name})" for name, source in mapping.columns.items() if source != name}


def load_through(
    mapping: Mapping | None, text: str, path: str, program: ir.Program, *, allow_missing: bool = False
) -> Loaded:
    """The table loaded for `program` through `mapping` (if any), its messages naming the source's lines and columns."""
    if mapping is None:
        return load_text(text, path, program, allow_missing)
    read = translated(mapping, text, path, (program,))
    return load_text(read.text, path, program, allow_missing, called=read.called, place=read.place)


def long_names(long: Long) -> dict[str, str]:
    """What messages call each input read from a long table: its value column, and the key and name it is read as."""
    return {name: f"{long.value} ({key}, read as {name})" for key, name in long.inputs.items()}


@attrs.frozen
class Translated:
    """A table's text read through a mapping, with what `load_text` needs to name the file's own lines and
    columns in its messages (`place` and `called`)."""

    text: str
    place: Place | None
    called: dict[str, str]


def translated(mapping: Mapping, text: str, path: str, programs: tuple[ir.Program, ...] = ()) -> Translated:
    """The table's text as the inputs of the policies `programs`: through the mapping, a long table pivoted first."""
    forms = Forms(mapping, programs)
    if mapping.long is None:
        return Translated(apply(mapping, text, path, forms=forms), None, called(mapping))
    wide, place = pivot(mapping, text, path)
    return Translated(apply(mapping, wide, path, place, forms), place, {**called(mapping), **long_names(mapping.long)})


class Forms:
    """What a mapping reads a cell as beyond its [values]: a marker of a missing value as empty, a cell already
    in a policy's form as it is, a scale's value by its name or words in any case (`Good` as `good`), and numbers
    written as [numbers] says (`95.2%`, `1,234`). `programs` are the policies the table is read for."""

    def __init__(self, mapping: Mapping, programs: tuple[ir.Program, ...] = ()):
        self.markers = {marker.casefold() for marker in mapping.missing}
        self.numbers = mapping.numbers
        self.types: dict[str, list[Type]] = {}
        self.words: dict[str, dict[str, str | None]] = {}  # column -> {a value's name or words, folded -> value}
        self.seen: dict[tuple[str, str], str | None] = {}
        for program in programs:
            descriptions = dict(program.descriptions)
            for decl in program.outputs():
                self.types.setdefault(decl.name, []).append(decl.type)
                if decl.type.kind == "scale" and decl.type.scale is not None:
                    words = self.words.setdefault(decl.name, {})
                    named = dict(descriptions.get(decl.type.scale, ()))
                    for label in decl.type.labels:
                        for said in (label, named.get(label)):
                            if said:
                                folded = said.strip().casefold()
                                words[folded] = label if words.get(folded, label) == label else None

    def missing(self, name: str, cell: str) -> bool:
        return bool(self.markers) and name not in KEYS and cell.strip().casefold() in self.markers

    def policy_form(self, name: str, cell: str) -> str | None:
        """The cell as the policy reads it, where it already is in the policy's form or names a scale's value."""
        key = (name, cell)
        if key not in self.seen:
            found = next((cell for t in self.types.get(name, ()) if not parse([cell], t)[1]), None)
            self.seen[key] = found if found is not None else self.words.get(name, {}).get(cell.casefold())
        return self.seen[key]

    def number(self, name: str, cell: str) -> str:
        """A number cell as the reader takes it, where [numbers] says how the table writes them."""
        numbers = self.numbers
        types = [t for t in self.types.get(name, ()) if t.kind == "number"]
        if numbers is None or not types:
            return cell
        text = cell.strip()
        if numbers.percent_sign and text.endswith("%") and any(t.unit == "percent" for t in types):
            text = text[:-1].rstrip()
        if numbers.thousands is not None:
            grouped = rf"[+-]?\d{{1,3}}(?:{re.escape(numbers.thousands)}\d{{3}})+(?:{re.escape(numbers.decimal)}\d+)?"
            if re.fullmatch(grouped, text):
                text = text.replace(numbers.thousands, "")
        if numbers.decimal == "," and re.fullmatch(r"[+-]?\d*,\d+", text):
            text = text.replace(",", ".")
        return text if text != cell.strip() else cell


# A wide line and a column (None: the row as a whole) to the line of the long table the cell came from.
Place = Callable[[int, str | None], int]


def pivot(mapping: Mapping, text: str, path: str) -> tuple[str, Place]:
    """A long table as a wide one: a row per organisation and period, a column per key, and what `period` and each
    column the mapping names of the long table hold; with, for each wide cell, the long line it came from.

    Every key must be mapped or ignored, a key must come once for an organisation and period, and a column the
    wide row takes once (the organisation's type, say) must hold one value for it: else a DataError naming the
    long table's lines."""
    assert mapping.long is not None
    long = mapping.long
    rows = records(text, path)
    _, _, header = next(rows, (0, 0, None))
    if header is None:
        raise DataError(
            f"{path}: the file is empty; expected a header row and one row per organisation, period and key"
        )
    header = [name.strip() for name in header]
    where = {name: n for n, name in enumerate(header)}
    carried = list(
        dict.fromkeys(
            [*mapping.columns.values(), *(x for x in (mapping.published.group, mapping.published.name) if x)]
            if mapping.published is not None
            else mapping.columns.values()
        )
    )
    for role, column in (("key", long.key), ("value", long.value), ("period", long.period)):
        if column not in where:
            hint = did_you_mean(column, header)
            raise DataError(
                f"{mapping.path}: [long] reads the {role} from column `{column}`, which {path} lacks"
                + (f"; {printable(hint)}" if hint else "")
            )
    for column in carried:
        if column not in where:
            hint = did_you_mean(column, header)
            raise DataError(
                f"{mapping.path}: the mapping reads column `{column}`, which {path} lacks"
                + (f"; {printable(hint)}" if hint else "")
            )
    known = [*long.inputs, *long.published, *long.ignored]
    key_at, value_at, period_at = where[long.key], where[long.value], where[long.period]
    groups: dict[tuple[str, str], dict] = {}
    width = len(header)
    org_column = mapping.columns.get("org", "org")
    if org_column not in where:
        raise DataError(f"{mapping.path}: the organisation column `{org_column}` is not in {path}")
    org_at = where[org_column]
    for line, _, record in rows:
        if not record:
            continue
        if len(record) != width:
            raise wrong_width(path, line, len(record), width)
        key = record[key_at].strip()
        if key not in known:
            hint = did_you_mean(key, known)
            raise DataError(
                f'{path}, line {line}, column {printable(long.key)}: key "{printable(key)}" is not in [long] of '
                f"{mapping.path}: map it in [long.inputs] or [long.published], or list it in `ignored`"
                + (f"; {printable(hint)}" if hint else "")
            )
        period = _period(record[period_at], path, line, long.period)
        org = record[org_at].strip()
        group = groups.get((org, period))
        if group is None:
            group = groups[(org, period)] = {
                "line": line,
                "carried": {c: (record[where[c]], line) for c in carried},
                "keys": {},
            }
        else:
            for column in carried:
                cell, first = group["carried"][column]
                if record[where[column]] != cell:
                    raise DataError(
                        f'{path}, line {line}, column {printable(column)}: "{printable(record[where[column]])}" '
                        f'for {printable(org)} in {period}, where line {first} has "{printable(cell)}"; the '
                        "column must hold one value for an organisation and period"
                    )
        if key in group["keys"]:
            earlier, first = group["keys"][key]
            again = (
                "again"
                if earlier == record[value_at]
                else f'with another value (line {first} has "{printable(earlier)}")'
            )
            raise DataError(
                f"{path}, line {line}: key {printable(key)} for {printable(org)} in {period} {again}; "
                "a key comes once for an organisation and period"
            )
        group["keys"][key] = (record[value_at], line)
    if not groups:
        raise DataError(f"{path}: no rows after the header; expected one row per organisation, period and key")
    by_period = list(next(iter(long.periods.values()), {}))
    for _, period in groups:
        if long.periods and period not in long.periods:
            raise DataError(f"{mapping.path}: [long.periods] has no {period}, which {path} holds")
    columns = [*carried, "period", *long.inputs.values(), *by_period, *long.published]
    out = io.StringIO()
    writer = Writer(out)
    writer.row(columns)
    lines: list[dict[str | None, int]] = []
    for (_, period), group in groups.items():
        cells = [group["carried"][c][0] for c in carried]
        cells.append(period)
        placed: dict[str | None, int] = {None: group["line"]}
        for column in carried:
            placed[column] = group["carried"][column][1]
        for key, column in long.inputs.items():
            value, placed[column] = group["keys"].get(key, ("", group["line"]))
            cells.append(value)
        cells += [long.periods[period][name] for name in by_period]  # a message about one names the row's line
        for key in long.published:
            value, placed[key] = group["keys"].get(key, ("", group["line"]))
            cells.append(value)
        writer.row(cells)
        lines.append(placed)

    def place(wide_line: int, column: str | None) -> int:
        row = lines[wide_line - 2]
        return row.get(column, row[None])

    return out.getvalue(), place


def _period(cell: str, path: str, line: int, column: str) -> str:
    cell = cell.strip()
    quarter = FINANCIAL_QUARTER.fullmatch(cell)
    if quarter is not None:
        return f"{quarter[2]}Q{quarter[1]}"
    if parse_period(cell) >= 0:
        return cell
    raise DataError(
        f"{path}, line {line}, column {printable(column)}: expected a period like `Q1 2025/26` or 2025Q1, "
        f'found "{printable(cell)}"'
    )


def apply(mapping: Mapping, text: str, data_path: str, place: Place | None = None, forms: Forms | None = None) -> str:
    """The CSV `text` with the mapping applied, each record starting on the line it starts on in `text`.

    Mapped columns take their policy names; other columns pass through unless a mapped column takes their name.
    A record that shrinks (a recoded cell over two lines) is followed by blank lines in its place. `forms` says what
    a cell is read as beyond the mapping's [values] (by default, only a marker of a missing value).
    """
    forms = forms or Forms(mapping)
    rows = records(text, data_path)
    _, _, header = next(rows, (0, 0, None))
    if header is None:
        return text
    where = {name: n for n, name in enumerate(header)}
    pivoted = {} if mapping.long is None else long_names(mapping.long)

    def shown(column: str) -> str:
        """A column as the source table has it: a pivoted key's is its value column."""
        return printable(pivoted[column]) if column in pivoted else f"`{printable(column)}`"

    for name, source in mapping.columns.items():
        if source not in where:
            hint = did_you_mean(source, header)
            raise DataError(
                f"{mapping.path}: [columns] maps `{name}` from column `{source}`, which {data_path} "
                "lacks" + (f"; {printable(hint)}" if hint else "")
            )
    for name in mapping.values:
        if name not in mapping.columns and name not in where:
            raise DataError(
                f"{mapping.path}: [values.{name}] recodes column `{name}`, which is neither in "
                f"[columns] nor in {data_path}"
            )
    # a renamed column is not kept under its own name too; nor is one whose name a mapped column takes
    taken = set(mapping.columns) | set(mapping.constants) | set(mapping.columns.values())
    kept = [n for n, name in enumerate(header) if name not in taken]
    sources = [(name, where[source]) for name, source in mapping.columns.items()]
    sources += [(header[n], n) for n in kept]
    out = io.StringIO()
    writer = Writer(out)
    writer.row([name for name, _ in sources] + list(mapping.constants))
    constants = list(mapping.constants.values())
    width = len(header)
    for line, last, record in rows:
        if not record:
            out.write("\n")
            continue
        if len(record) != width:
            raise wrong_width(data_path, line, len(record), width)
        cells = []
        for name, n in sources:
            cell = record[n]
            if forms.missing(name, cell):
                cell = ""
            recode = mapping.values.get(name)
            if cell.strip() and (recode is None or cell.strip() not in recode):
                as_policy = forms.policy_form(name, cell.strip()) if recode is not None or name in forms.words else None
                if as_policy is not None:
                    cell, recode = as_policy, None
                elif recode is None and forms.numbers is not None:
                    cell = forms.number(name, cell)
            if recode is not None and cell.strip():
                if cell.strip() not in recode:
                    known = ", ".join(f'"{printable(k)}"' for k in recode)
                    at = line if place is None else place(line, header[n])
                    raise DataError(
                        f'{data_path}, line {at}, column {shown(header[n])}: "{printable(cell.strip())}" '
                        f"is not in [values.{name}] of {mapping.path} (it lists {known})"
                    )
                cell = recode[cell.strip()]
            if not cell.strip() and name in mapping.defaults:
                cell = mapping.defaults[name]
            cells.append(cell)
        if last == line:
            writer.row(cells + constants)
            continue
        written = io.StringIO()
        Writer(written).row(cells + constants)
        spans = len(io.StringIO(written.getvalue(), newline="").readlines())
        if spans > last - line + 1:
            raise DataError(
                f"{data_path}, line {line}: a cell over several lines is read into more than one column, "
                f"which would move the records after it off their lines; map its column once in {mapping.path}"
            )
        out.write(written.getvalue() + "\n" * (last - line + 1 - spans))
    return out.getvalue()
