"""Two policies over one table: each organisation's outcomes side by side, the cross-tabulation, and why they differ."""

from __future__ import annotations

import csv
import functools
import io
import json
import math
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import numpy as np

from policyc.analysis.comparison import (
    ADDED,
    BETTER,
    CHANGED,
    HIGHER,
    LOWER,
    MISSING,
    NOT_RATED,
    REMOVED,
    TIERS,
    WORSE,
    Assumption,
    Crosstab,
    Difference,
    Document,
    Outcome,
    Policy,
    Row,
    Step,
    bin_edges,
    bin_values,
    driver,
    shared_better,
)
from policyc.analysis.evaluation import RuleFailed
from policyc.analysis.explain import Explainer
from policyc.analysis.missing import missing
from policyc.backend.compile import Compiled, describe_failure
from policyc.backend.frame import EvalError, Frame
from policyc.data import results
from policyc.data.cells import format_period, parse_period
from policyc.data.mapping import Translated
from policyc.data.table import DataError, Writer, load_text, records
from policyc.ir import nodes as ir
from policyc.ir.nodes import outcome
from policyc.syntax.text import printable


def standing(position: int, size: int) -> float:
    """An outcome's place on its scale, from 0 (best) to 1 (worst)."""
    return position / (size - 1) if size > 1 else 0.0


def tier(value: float) -> str:
    """Standings of different scales compared in thirds: segments 1-2 and performing are both high."""
    high, middle, low = TIERS
    return high if value < 1 / 3 else (middle if value <= 2 / 3 else low)


def scale_tier(position: int, size: int, declared: tuple[str, ...] = ()) -> str:
    """A value's tier: the one its scale declares (`tiers high: outstanding, good; ...`), else its standing's third."""
    return declared[position] if declared else tier(standing(position, size))


def only_org_types(text: str, org_types: tuple[str, ...]) -> tuple[str, int]:
    """The table without the rows of other org types (blanked, so that lines keep their numbers), and how many."""
    rows = records(text)
    _, _, header = next(rows, (0, 0, None))
    if header is None or "org_type" not in header:
        return text, 0  # the loader reports it
    position = header.index("org_type")
    lines = text.removeprefix("\ufeff").split("\n")
    skipped = 0
    for first, last, record in rows:
        if record and position < len(record) and record[position].strip() not in org_types:
            skipped += 1
            lines[first - 1 : last] = [""] * (last - first + 1)
    return "\n".join(lines), skipped


def table_org_types(text: str) -> list[str]:
    """The org types a table's rows name, in the order they first appear."""
    rows = records(text)
    _, _, header = next(rows, (0, 0, None))
    if header is None or "org_type" not in header:
        return []
    position = header.index("org_type")
    return list(dict.fromkeys(r[position].strip() for _, _, r in rows if position < len(r) and r[position].strip()))


def load(
    compiled: Compiled,
    text: str,
    data: str,
    allow_missing: bool,
    warn: Callable[[str], object],
    read: Translated | None = None,
) -> tuple[Frame, int]:
    """The rows of the policy's org types, and how many rows were left out; DataError on bad data, and when the
    policy rates none of the table's rows. `read` says how the text came through a mapping, so that messages name
    the file's own lines and columns."""
    declared = compiled.program.org_types
    kept, skipped = only_org_types(text, declared)
    if skipped and not set(present := table_org_types(text)) & set(declared):
        raise DataError(
            f"{data}: the policy rates none of the table's org types; the table has "
            f"{', '.join(present)}, the policy declares {', '.join(declared)}"
        )
    loaded = load_text(
        kept,
        data,
        compiled.program,
        allow_missing=allow_missing,
        called=None if read is None else read.called,
        place=None if read is None else read.place,
    )
    for warning in loaded.warnings:
        warn(warning)
    return loaded.frame, skipped


def names(text: str) -> dict[str, str]:
    """Organisation names from an `org_name` column, when the table has one."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    if not reader.fieldnames or "org_name" not in reader.fieldnames or "org" not in reader.fieldnames:
        return {}
    return {row["org"].strip(): row["org_name"].strip() for row in reader if row.get("org") and row.get("org_name")}


@attrs.frozen
class Side:
    """One policy evaluated on the rows of its org types."""

    path: str
    compiled: Compiled
    module: Any
    frame: Frame
    values: dict[str, np.ndarray]
    notes: dict
    skipped: int  # rows of org types the policy does not rate
    period: str | None = None  # the one period of the table this side holds, when two periods are compared

    @classmethod
    def evaluate(cls, path: str, compiled: Compiled, loaded: tuple[Frame, int]) -> Side:
        """Raises EvalError when a rule cannot give a value."""
        frame, skipped = loaded
        module = compiled.module()
        notes: dict = {}
        values = module.evaluate(frame, notes)
        return cls(path, compiled, module, frame, values, notes, skipped)

    def at(self, period: str, data: str) -> Side:
        """This side on the rows of one period alone, as if the table held only them (its values were evaluated
        on the whole table, so `previous` and `run` saw every period). Raises DataError for a period the table
        lacks."""
        code = parse_period(period)
        if self.frame.period is None:
            raise DataError(f"{data}: the table has no period column, so its periods cannot be compared")
        if code < 0:
            raise DataError(f"`{period}` is not a period: write it as 2025Q3")
        keep = np.flatnonzero(self.frame.period == code)
        if not keep.size:
            held = ", ".join(format_period(p) for p in sorted(set(self.frame.period.tolist())))
            raise DataError(f"{data}: no row of period {period}; the table holds {held}")
        frame, values = results.rows_of(self.frame, self.values, keep)
        notes = {k: (condition[keep], before[keep]) for k, (condition, before) in self.notes.items()}
        frame = attrs.evolve(frame, period=None)
        return attrs.evolve(self, frame=frame, values=values, notes=notes, period=format_period(code))

    @property
    def outcome(self) -> str:
        return outcome(self.compiled.program)

    @property
    def numeric(self) -> bool:
        return self.compiled.program.decl(self.outcome).type.kind == "number"

    def better(self) -> str | None:
        """Which end of a numeric outcome the policy says is the better, "higher" or "lower": a metric's direction,
        or the better end of a metric's scores; None for a derived number, which declares none."""
        program = self.compiled.program
        decl = program.decl(self.outcome)
        low: bool | None = None
        if isinstance(decl, ir.Score):
            low = decl.low_is_better
        elif isinstance(decl, ir.Column) and decl.kind == "metric":
            scores = [d.scoring for d in program.decls if isinstance(d, ir.Score) and d.metric == decl.name]
            scoring = scores[0] if scores else None
            if isinstance(scoring, ir.Ranked):
                low = not scoring.higher
            elif isinstance(scoring, ir.Relative):
                low = not scoring.below
        return None if low is None or not self.numeric else ("lower" if low else "higher")

    def scale(self) -> list[str]:
        t = self.compiled.program.decl(self.outcome).type
        if t.kind in ("labels", "scale"):
            return list(t.labels)
        if t.kind == "bool":
            return ["yes", "no"]
        return []


def _key(frame: Frame, row: int) -> tuple[str, str | None]:
    return frame.org[row], format_period(int(frame.period[row])) if frame.period is not None else None


def _outcome(side: Side, explainer: Explainer, row: int, assumptions: int) -> Outcome:
    t = side.compiled.program.decl(side.outcome).type
    encoded = float(side.values[side.outcome][row])
    value = results.decode(t, encoded)
    place = grouped = None
    if value is not None and t.kind in ("labels", "scale"):
        place = standing(int(encoded), len(t.labels))
        grouped = scale_tier(int(encoded), len(t.labels), t.tiers)
    elif value is not None and t.kind == "bool":  # yes before no, as the side's scale lists them
        place = standing(0 if value else 1, 2)
        grouped = tier(place)
    # a finite number stays a number; a value of a scale (a numbered scale's too), yes/no, and a number that is not
    # finite are their text, as the scale lists them and the outputs show them
    number = isinstance(value, float) and t.kind not in ("labels", "scale") and math.isfinite(value)
    return Outcome(
        value=value if number or value is None else results.csv_text(value),
        standing=place,
        tier=grouped,
        steps=tuple(Step(**step) for step in explainer.decisive(row, side.outcome)),
        assumptions=assumptions,
    )


def related(a: Compiled, b: Compiled) -> bool:
    """Whether one policy extends the other (through any number of variants)."""
    files = [{Path(f).resolve() for f in c.sources} for c in (a, b)]
    return files[0] <= files[1] or files[1] <= files[0]


def differences(a: Explainer, b: Explainer) -> list[Difference]:
    """The declarations, by name, whose rule differs between two policies (added, removed or changed)."""

    def rules(explainer: Explainer) -> dict[str, tuple[ir.Decl, str]]:
        return {d.name: (d, explainer.text(d)) for d in explainer.program.decls}

    left, right = rules(a), rules(b)
    out = []
    for name in [*left, *(n for n in right if n not in left)]:
        if name not in right:
            out.append(Difference(name, REMOVED, left[name][1], None))
        elif name not in left:
            out.append(Difference(name, ADDED, None, right[name][1]))
        elif left[name][0] != right[name][0]:
            out.append(Difference(name, CHANGED, left[name][1], right[name][1]))
    return out


def _moved(a: Outcome, b: Outcome, same_scale: bool) -> bool:
    """Whether two outcomes stand differently: on one scale value by value, across scales by tier."""
    return a.value != b.value if same_scale else a.tier != b.tier


def _numeric_move(x: float, y: float, better: str | None) -> tuple[bool, str | None, float | None]:
    """Whether two numbers stand differently, the direction (by the better end, else by value), and B's minus A's."""
    if x == y:
        return False, None, 0.0
    if better is None:
        direction = HIGHER if y > x else LOWER
    else:
        direction = BETTER if (y > x) == (better == "higher") else WORSE
    difference = y - x
    return True, direction, difference if math.isfinite(difference) else None


def compare_periods(
    compiled: Compiled,
    path: str,
    text: str,
    data: str,
    periods: tuple[str, str],
    *,
    allow_missing: bool = False,
    warn: Callable[[str, str], object],
    read: Translated | None = None,
) -> Document:
    """One policy on one table, its outcomes in one period beside another's (A the first period, B the second),
    organisation by organisation: who moved from one quarter to the next, and why. Raises DataError and
    RuleFailed as `compare_text` does, and DataError for a period the table lacks."""
    loaded = load(compiled, text, data, allow_missing, functools.partial(warn, path), read)
    try:
        side = Side.evaluate(path, compiled, loaded)
    except EvalError as error:
        raise RuleFailed(describe_failure(error, loaded[0], data), []) from None
    first, second = (side.at(period, data) for period in periods)
    skipped = _skipped_by_period(text, compiled.program.org_types)
    first, second = (attrs.evolve(s, skipped=skipped.get(s.period or "", 0)) for s in (first, second))
    return document(first, second, data, names(text))


def _skipped_by_period(text: str, org_types: tuple[str, ...]) -> dict[str, int]:
    """How many rows of each period are of org types the policy does not rate."""
    rows = records(text)
    _, _, header = next(rows, (0, 0, None))
    if header is None or "org_type" not in header or "period" not in header:
        return {}
    kind, when = header.index("org_type"), header.index("period")
    counts: dict[str, int] = {}
    for _, _, record in rows:
        if record and len(record) > max(kind, when) and record[kind].strip() not in org_types:
            code = parse_period(record[when])
            if code >= 0:
                counts[format_period(code)] = counts.get(format_period(code), 0) + 1
    return counts


def compare_text(
    compiled: tuple[Compiled, Compiled],
    paths: tuple[str, str],
    text: str,
    data: str,
    *,
    allow_missing: bool = False,
    warn: Callable[[str, str], object],
    read: Translated | None = None,
) -> Document:
    """Both policies on one CSV text (read from `data`, which names it in messages, and already through any
    mapping), each on the rows of its own org types: the comparison document.

    `warn(path, message)` hears what reading the table for the policy at `path` warns of. Raises DataError for
    a table a policy cannot read (its message begins `reading for PATH: `) and RuleFailed for a rule that
    cannot give a value.
    """
    sides = []
    for path, policy in zip(paths, compiled, strict=True):
        try:
            loaded = load(policy, text, data, allow_missing, functools.partial(warn, path), read)
        except DataError as error:
            raise DataError(f"reading for {path}: {error.message}") from None
        try:
            sides.append(Side.evaluate(path, policy, loaded))
        except EvalError as error:
            raise RuleFailed(describe_failure(error, loaded[0], data), []) from None
    return document(sides[0], sides[1], data, names(text))


def document(a: Side, b: Side, data: str | None, names: dict[str, str] | None = None) -> Document:
    """The comparison, as the table, JSON and HTML reports give it."""
    sides = (a, b)
    numbers = a.numeric and b.numeric
    better = shared_better(a.better(), b.better())
    explainers = [Explainer(s.compiled, s.frame, s.values, s.notes, s.module.SOURCES) for s in sides]
    assumptions = [e.assumptions(s.outcome) for e, s in zip(explainers, sides, strict=True)]
    index = [{_key(s.frame, row): row for row in range(s.frame.n)} for s in sides]
    keys = list(index[0]) + [k for k in index[1] if k not in index[0]]
    keys.sort(key=lambda k: (k[0], k[1] or ""))
    same_scale = a.scale() == b.scale()
    rows = []
    for key in keys:
        outcomes: list[Outcome | None] = []
        org_types = []
        raw = []
        for n, side in enumerate(sides):
            row = index[n].get(key)
            if row is None:
                outcomes.append(None)
                continue
            org_types.append(side.compiled.program.org_types[side.frame.org_type[row]])
            outcomes.append(_outcome(side, explainers[n], row, len(assumptions[n])))
            raw.append(float(side.values[side.outcome][row]))
        first, second = outcomes
        delta = moved = direction = None
        if numbers and len(raw) == 2 and not math.isnan(raw[0]) and not math.isnan(raw[1]):
            moved, direction, delta = _numeric_move(raw[0], raw[1], better)
        elif first is not None and second is not None and first.standing is not None and second.standing is not None:
            delta = second.standing - first.standing
            moved = _moved(first, second, same_scale)
            direction = None if not moved else (WORSE if delta > 0 else BETTER)
        rows.append(
            Row(
                key=f"{key[0]} {key[1]}" if key[1] else key[0],
                org=key[0],
                name=(names or {}).get(key[0]),
                org_type=org_types[-1],
                period=key[1],
                outcomes=(first, second),
                moved=bool(moved),
                direction=direction,
                delta=delta,
                driver=driver((first, second), direction) if moved else None,
            )
        )
    return Document(
        title=f"{_title(a)} vs {_title(b)}",
        data=data,
        policies=(_policy(a, assumptions[0]), _policy(b, assumptions[1])),
        periods=tuple(sorted({k[1] for k in keys if k[1] is not None})),
        rows=tuple(rows),
        crosstab=crosstab(a, b, rows, numbers),
        differences=tuple(differences(*explainers)) if related(a.compiled, b.compiled) else (),
    )


def _title(side: Side) -> str:
    program = side.compiled.program
    return program.name + (f" {_version(side)}" if _version(side) else "")


def _version(side: Side) -> str | None:
    """The policy's version, and the period a side holds where two periods are compared."""
    parts = [p for p in (side.compiled.program.version, side.period) if p]
    return ", ".join(parts) or None


def _policy(side: Side, assumptions: list[tuple[str, str]]) -> Policy:
    program = side.compiled.program
    absent = missing(program, side.frame, side.values, side.outcome)
    scale = side.scale()
    t = program.decl(side.outcome).type
    descriptions = {v: d for v in scale if (d := program.description(t.scale, v)) is not None}
    return Policy(
        file=side.path,
        name=program.name,
        version=_version(side),
        outcome=side.outcome,
        scale=_reported_scale(side),
        descriptions={results.csv_text(results.decode(t, float(scale.index(v)))): d for v, d in descriptions.items()},
        assumptions=tuple(Assumption(where, text) for where, text in assumptions),
        rated=side.frame.n,
        not_rated=side.skipped,
        better=side.better(),
        missing=absent.rows,
        missing_causes=absent.causes,
    )


def _reported_scale(side: Side) -> tuple[str, ...]:
    """The outcome's scale as its values are reported (a numbered scale's labels as numbers)."""
    t = side.compiled.program.decl(side.outcome).type
    return tuple(results.csv_text(results.decode(t, float(n))) for n in range(len(side.scale())))


def crosstab(a: Side, b: Side, rows: list[Row], shared_bins: bool) -> Crosstab:
    """Rows by A's outcome and B's: each scale's values in order, or a number's bins (the same bins on both sides
    when both outcomes are numbers), then missing and not rated where they occur."""

    def numbers(n: int) -> list[float]:
        return [float(o.value) for r in rows if (o := r.outcomes[n]) is not None and o.value is not None]

    edges = [bin_edges(numbers(n)) if side.numeric else () for n, side in enumerate((a, b))]
    if shared_bins:
        edges = [bin_edges(numbers(0) + numbers(1))] * 2

    def values(side: Side, n: int) -> list[str]:
        seen = {o.reported for r in rows if (o := r.outcomes[n]) is not None}
        if side.numeric:
            scale = [v for v in ("-inf",) if v in seen] + (bin_values(edges[n]) if edges[n] else [])
            scale += [v for v in ("inf",) if v in seen]
        else:
            scale = list(_reported_scale(side))
        extra = [v for v in (MISSING,) if v in seen]
        if any(r.outcomes[n] is None for r in rows):
            extra.append(NOT_RATED)
        return scale + extra

    a_values, b_values = values(a, 0), values(b, 1)
    table = Crosstab(tuple(a_values), tuple(b_values), (), tuple(edges[0]), tuple(edges[1]))
    counts = [[0] * len(b_values) for _ in a_values]
    for r in rows:
        i, j = table.cell(r)
        counts[i][j] += 1
    return attrs.evolve(table, counts=tuple(map(tuple, counts)))


# ---------------------------------------------------------------- the terminal and JSON


def to_json(doc: Document) -> str:
    # strict JSON: the document holds no float that is not finite (a number's outcome is its text, `inf` included)
    return json.dumps(doc.as_dict(), indent=1, allow_nan=False) + "\n"


def to_csv(doc: Document) -> str:
    """A row per organisation (and period), for a spreadsheet: each policy's outcome and status (rated, missing or
    not rated), whether it moved and how, and the steps that decided each outcome. Cells are exact, not escaped."""
    out = io.StringIO()
    writer = Writer(out)
    writer.row(
        ["org", "name", "org_type", "period", "a_value", "a_status", "b_value", "b_status"]
        + ["moved", "direction", "delta", "a_reason", "b_reason"]
    )
    for r in doc.rows:
        cells = [r.org, r.name or "", r.org_type, r.period or ""]
        for o in r.outcomes:
            status = NOT_RATED if o is None else MISSING if o.value is None else "rated"
            cells += ["" if o is None or o.value is None else o.reported, status]
        delta = "" if r.delta is None else results.csv_text(r.delta)
        cells += ["yes" if r.moved else "no", r.direction or "", delta]
        cells += ["" if o is None else "; ".join(f"{s.name} {s.text}: {s.why}" for s in o.steps) for o in r.outcomes]
        writer.row(cells)
    return out.getvalue()


def to_table(doc: Document, movers_shown: int = 15, width: int = 100, drivers_shown: int = 8) -> str:
    """The terminal summary, in lines of at most `width` characters: the policies, the cross-tabulation, what drove
    the moves, and the movers with the step that decided each outcome. Its length is bounded whatever the data: the
    cross-tabulation is, and at most `drivers_shown` drivers and `movers_shown` movers are listed. Every text from a
    policy or the data is shown printable."""
    width = max(width, 40)
    pa, pb = doc.policies
    movers = doc.movers()

    def wrapped(text: str, indent: str = "", hang: str | None = None) -> list[str]:
        return textwrap.wrap(
            printable(text),
            width,
            initial_indent=indent,
            subsequent_indent=indent + "  " if hang is None else hang,
            break_on_hyphens=False,
        )

    lines = [*wrapped(doc.title), ""]
    lines += wrapped(f"A  {pa.title} ({pa.file}): outcome {pa.outcome}", "  ", "     ")
    lines += wrapped(f"B  {pb.title} ({pb.file}): outcome {pb.outcome}", "  ", "     ")
    if doc.data:
        lines += wrapped(f"on {doc.data}: {len(doc.rows)} rows, {movers.compared} rated by both", "  ")
    lines.append("")
    if not doc.comparable:
        number, other = ("A", "B") if pa.numeric else ("B", "A")
        lines += wrapped(
            f"{number}'s outcome is a number and {other}'s a value of a scale: the {movers.compared} rows rated by "
            "both are cross-tabulated, not compared"
        )
    else:
        ways = (
            f"{movers.higher} {HIGHER}, {movers.lower} lower"
            if doc.by_value
            else f"{movers.worse} {WORSE}, {movers.better} better"
        )
        lines += wrapped(
            f"{len(movers.rows)} of {movers.compared} rows stand differently ({ways}), {movers.unchanged} the same"
            + (f", and {movers.missing} have no outcome under one or both" if movers.missing else "")
        )
    for letter, policy in zip("AB", doc.policies, strict=True):
        if policy.missing:
            causes = ", ".join(f"{name} ({n:,})" for name, n in policy.missing_causes[:5])
            lines += wrapped(
                f"{letter} has no {policy.outcome} for {policy.missing:,} of the {policy.rated:,} rows it rates"
                + (f": missing on the way, {causes}" if causes else ""),
                "  ",
            )
    lines.append("")
    table = doc.crosstab
    a_values, b_values = [printable(v) for v in table.a_values], [printable(v) for v in table.b_values]
    head = f"{pa.outcome} \\ {pb.outcome}"
    side = max([len(head)] + [len(v) for v in a_values])
    cells = [max(5, len(v)) for v in b_values]
    lines.append(f"  {head:<{side}}  " + "  ".join(f"{v:>{w}}" for v, w in zip(b_values, cells, strict=True)))
    for value, counts in zip(a_values, table.counts, strict=True):
        lines.append(f"  {value:<{side}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(counts, cells, strict=True)))
    if table.a_edges or table.b_edges:
        lines += wrapped("(numbers in bins: [lo, hi) holds lo up to but not hi; the last bin holds hi too)", "  ")
    drivers = movers.drivers()
    if drivers:
        lines += ["", *wrapped("What drove the moves (the decisive step of the side that rates each mover worse):")]
        shown = drivers[:drivers_shown]
        digits = max(len(f"{n:,}") for _, n in shown)
        for name, n in shown:
            lines += wrapped(name, f"  {n:>{digits},}  ", " " * (digits + 6))
        rest = drivers[drivers_shown:]
        if rest:
            lines += wrapped(
                f"and {len(rest)} more driver{'s' if len(rest) != 1 else ''}, of {sum(n for _, n in rest):,} "
                f"mover{'s' if sum(n for _, n in rest) != 1 else ''} (--format json or html for all)",
                "  ",
            )
    if movers.rows:
        lines += [
            "",
            *wrapped(
                f"Movers, the largest first ({min(movers_shown, len(movers.rows))} of {len(movers.rows)}; "
                "--format json or html for all), with the step that decided each outcome:"
            ),
        ]
        for r in movers.largest_first()[:movers_shown]:
            oa, ob = r.outcomes
            assert oa is not None and ob is not None  # a mover is rated by both
            lines.append("")
            lines += wrapped(
                f"{r.key}{' ' + r.name if r.name else ''} ({r.org_type}): "
                f"{pa.outcome} {oa.reported} -> {pb.outcome} {ob.reported}",
                "  ",
                "      ",
            )
            lines += wrapped(_reason(oa), "    A: ", "       ")
            lines += wrapped(_reason(ob), "    B: ", "       ")
    if doc.differences:
        lines += ["", "Declarations that differ:"]
        lines += [line for d in doc.differences for line in wrapped(f"{d.change:<8} {d.name}", "  ")]
    return "\n".join(lines) + "\n"


def _reason(o: Outcome) -> str:
    """An outcome's decisive step, as one text: its value and why."""
    step = o.decisive
    if step is None:
        return "no step recorded"
    return f"{step.name} {step.text}: {step.why}"
