"""A policy's outcome held to a published result: agreement per group, and each disagreement with how it came about."""

from __future__ import annotations

import json
import math
import types

import attrs
import numpy as np

from policyc.analysis.evaluation import Evaluation
from policyc.analysis.explain import summaries
from policyc.backend.compile import Compiled
from policyc.backend.frame import Frame
from policyc.data import results
from policyc.data.cells import format_period
from policyc.data.mapping import Published
from policyc.data.table import DataError, records
from policyc.ir.nodes import outcome
from policyc.syntax.text import printable


@attrs.frozen
class Disagreement:
    org: str
    name: str
    group: str
    period: str | None
    ours: results.Value
    published: str
    reason: str


@attrs.frozen
class Group:
    name: str
    agree: int
    compared: int


@attrs.frozen
class Agreement:
    outcome: str
    column: str
    group_column: str | None
    groups: list[Group]
    disagreements: list[Disagreement]
    unpublished: int  # rows with no published value, left out

    @property
    def agree(self) -> int:
        return sum(g.agree for g in self.groups)

    @property
    def compared(self) -> int:
        return sum(g.compared for g in self.groups)


def published_cells(text: str, published: Published) -> dict[int, tuple[str, str, str]]:
    """Each record's line in the source table -> (published outcome, group, name); the columns must exist."""
    rows = records(text)
    _, _, header = next(rows, (0, 0, []))
    where = {name: n for n, name in enumerate(header)}
    wanted = [published.outcome, published.group, published.name]
    missing = [c for c in wanted if c is not None and c not in where]
    if missing:
        raise KeyError(", ".join(missing))

    def cell(record: list[str], column: str | None) -> str:
        n = where.get(column) if column is not None else None
        return record[n].strip() if n is not None and n < len(record) else ""

    cells: dict[int, tuple[str, str, str]] = {}
    for line, _, record in rows:
        if record:
            cells[line] = (cell(record, published.outcome), cell(record, published.group), cell(record, published.name))
    return cells


def same(ours: results.Value, published: str) -> bool:
    """Whether a decoded outcome equals a published cell: numbers by value ("3.0" is 3), labels by name."""
    if ours is None:
        return False
    if isinstance(ours, bool):
        return published.lower() in (("yes", "true", "1") if ours else ("no", "false", "0"))
    if isinstance(ours, (int, float)):
        try:
            return math.isclose(float(published), ours, rel_tol=0, abs_tol=1e-9)
        except ValueError:
            return False
    return ours == published


def compare(
    compiled: Compiled,
    module: types.ModuleType,
    frame: Frame,
    values: dict[str, np.ndarray],
    notes: dict,
    cells: dict[int, tuple[str, str, str]],
    published: Published,
) -> Agreement:
    program = compiled.program
    name = outcome(program)
    ours = results.decode_column(program.decl(name).type, values[name])
    counts: dict[str, list[int]] = {}
    wrong: list[int] = []
    unpublished = 0
    for row in range(frame.n):
        cell, group, _ = cells[frame.line(row)]
        if not cell:
            unpublished += 1
            continue
        tally = counts.setdefault(group, [0, 0])
        tally[1] += 1
        if same(ours[row], cell):
            tally[0] += 1
        else:
            wrong.append(row)
    reasons = summaries(compiled, module, frame, values, notes, wrong)
    disagreements = []
    for row, reason in zip(wrong, reasons, strict=True):
        cell, group, org_name = cells[frame.line(row)]
        period = format_period(int(frame.period[row])) if frame.period is not None else None
        disagreements.append(Disagreement(frame.org[row], org_name, group, period, ours[row], cell, reason))
    groups = [Group(g, agree, compared) for g, (agree, compared) in sorted(counts.items())]
    return Agreement(name, published.outcome, published.group, groups, disagreements, unpublished)


def hold(evaluation: Evaluation, data: str) -> Agreement:
    """The evaluated outcome held to the published one, in the column that the evaluation's mapping names.

    Raises DataError, naming the mapping, when it names no published column or columns that the table lacks.
    """
    mapping = evaluation.mapping
    if mapping is None or mapping.published is None:
        where = f"{mapping.path}: " if mapping is not None else ""
        raise DataError(f"{where}no [published] table naming the column that holds the published outcome")
    try:
        cells = published_cells(evaluation.text, mapping.published)
    except KeyError as error:
        raise DataError(f"{mapping.path}: [published] names columns that {data} lacks: {error.args[0]}") from None
    e = evaluation
    return compare(e.compiled, e.module, e.frame, e.values, e.notes, cells, mapping.published)


def title(evaluation: Evaluation, policy: str, data: str) -> str:
    """What was held to what: the policy and its file, the published table and its file, the mapping's assumptions."""
    program = evaluation.compiled.program
    version = f" {program.version}" if program.version else ""
    published = evaluation.mapping.title if evaluation.mapping is not None else "published results"
    assumptions = evaluation.mapping.assumptions if evaluation.mapping is not None else ()
    lines = [f"{program.name}{version} ({policy})", f"against {published} ({data})"]
    lines += [f"  mapping assumes: {text}" for text in assumptions]
    return "\n".join(lines)


def shortfall(agreement: Agreement, fail_under: float | None, data: str) -> str | None:
    """Why the agreement fails, or None: nothing compared fails whatever the bar; else below `fail_under` per cent."""
    a = agreement
    if not a.compared:
        return f"nothing was compared: no row of {data} has a published `{a.column}`"
    if fail_under is not None and 100 * a.agree / a.compared < fail_under:
        return f"agreement {percent(a.agree, a.compared)} is below {fail_under:g}%"
    return None


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def to_text(agreement: Agreement, title: str) -> str:
    a = agreement
    lines = [
        title,
        "",
        f"{a.outcome} agrees with the published `{a.column}` for {a.agree} of {a.compared} "
        f"({percent(a.agree, a.compared)})",
    ]
    if a.unpublished:
        lines.append(f"{a.unpublished} row{'s' if a.unpublished != 1 else ''} with no published value left out")
    if a.group_column is not None:
        width = max([len(a.group_column)] + [len(g.name) for g in a.groups])
        lines += ["", f"  {a.group_column:<{width}}  agree    of    share"]
        lines += [
            f"  {g.name:<{width}}  {g.agree:>5}  {g.compared:>4}  {percent(g.agree, g.compared):>7}" for g in a.groups
        ]
    if a.disagreements:
        lines += ["", f"{len(a.disagreements)} disagreement{'s' if len(a.disagreements) != 1 else ''}:"]
    for d in a.disagreements:
        who = d.org + (f" {d.name}" if d.name else "") + (f" ({d.group})" if d.group else "")
        when = f", {d.period}" if d.period else ""
        ours = "missing" if d.ours is None else results.csv_text(d.ours)
        lines += ["", f"  {who}{when}: {a.outcome} {ours}, published {d.published}", f"    {d.reason}"]
    # The title, org codes, names, groups and published cells are the policy's and the table's own text.
    return "".join(printable(line) + "\n" for text in lines for line in text.split("\n"))


def to_json(agreement: Agreement, title: str) -> str:
    a = agreement
    document = {
        "title": title,
        "outcome": a.outcome,
        "published_column": a.column,
        "agree": a.agree,
        "compared": a.compared,
        "unpublished": a.unpublished,
        "groups": [{"group": g.name, "agree": g.agree, "compared": g.compared} for g in a.groups],
        "disagreements": [attrs.asdict(d, value_serializer=_finite) for d in a.disagreements],
    }
    return json.dumps(document, indent=2, allow_nan=False) + "\n"


def _finite(_instance: object, _field: object, value: object) -> object:
    # JSON has no infinity: an outcome that overflowed is null, as `policyc eval --format json` gives it.
    return None if isinstance(value, float) and not math.isfinite(value) else value
