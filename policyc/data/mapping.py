"""Column mappings: a published table's columns and values read as a policy's inputs, declared in a TOML file."""

from __future__ import annotations

import io
import tomllib
from pathlib import Path

import attrs

from policyc.data.table import DataError, Loaded, Writer, load_text, records, wrong_width
from policyc.ir import nodes as ir
from policyc.syntax.diagnostics import did_you_mean
from policyc.syntax.text import printable

SECTIONS = ("title", "source", "assumptions", "columns", "values", "defaults", "constants", "published")
PUBLISHED_KEYS = ("outcome", "group", "name")


@attrs.frozen
class Published:
    """Where a table holds a published result to hold a policy's outcome to."""

    outcome: str  # the source column with the published outcome
    group: str | None  # agreement is reported per value of this source column
    name: str | None  # a source column naming each organisation, for reports


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
    for key in document:
        if key not in SECTIONS:
            hint = did_you_mean(key, SECTIONS)
            raise DataError(
                f"{path}: unknown key `{key}`; expected one of {', '.join(SECTIONS)}" + (f"; {hint}" if hint else "")
            )
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
    return Mapping(path, title, columns, recoded, defaults, constants, published, tuple(assumptions))


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
    return load_text(apply(mapping, text, path), path, program, allow_missing, called=called(mapping))


def apply(mapping: Mapping, text: str, data_path: str) -> str:
    """The CSV `text` with the mapping applied, each record starting on the line it starts on in `text`.

    Mapped columns take their policy names; other columns pass through unless a mapped column takes their name.
    A record that shrinks (a recoded cell over two lines) is followed by blank lines in its place.
    """
    rows = records(text, data_path)
    _, _, header = next(rows, (0, 0, None))
    if header is None:
        return text
    where = {name: n for n, name in enumerate(header)}
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
            recode = mapping.values.get(name)
            if recode is not None and cell.strip():
                if cell.strip() not in recode:
                    known = ", ".join(f'"{printable(k)}"' for k in recode)
                    raise DataError(
                        f'{data_path}, line {line}, column `{printable(header[n])}`: "{printable(cell.strip())}" '
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
