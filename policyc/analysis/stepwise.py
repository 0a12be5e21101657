"""Every step of a policy held to what a publisher gives for it: each metric score, the average, each domain,
each segment, per period and org type, where a long table's mapping names the published key of each value
(`[long.published]`)."""

from __future__ import annotations

import json
import math

import attrs

from policyc.analysis.agreement import percent, same
from policyc.analysis.evaluation import Evaluation
from policyc.analysis.explain import Explainer
from policyc.data import results
from policyc.data.cells import format_period
from policyc.data.mapping import pivot
from policyc.data.table import DataError, records
from policyc.ir import nodes as ir
from policyc.syntax.text import printable

# Two numbers agree within this much, unless the command says otherwise: published scores have 2 places.
TOLERANCE = 0.005


@attrs.frozen
class StepGroup:
    group: str
    period: str | None
    agree: int
    compared: int


@attrs.frozen
class StepDisagreement:
    org: str
    period: str | None
    ours: results.Value
    published: str
    reason: str


@attrs.frozen
class Step:
    """One value of the policy against one published key: the counts, by org type and period, and each
    disagreement with the steps behind it."""

    value: str
    published: str
    agree: int
    compared: int
    groups: tuple[StepGroup, ...]
    disagreements: tuple[StepDisagreement, ...]


def steps(evaluation: Evaluation, data: str, tolerance: float = TOLERANCE) -> list[Step]:
    """Each value that the mapping's [long.published] names, held to its published key. Raises DataError for a
    mapping without [long.published], or one naming a value the policy does not give."""
    mapping = evaluation.mapping
    if mapping is None or mapping.long is None or not mapping.long.published:
        where = f"{mapping.path}: " if mapping is not None else ""
        raise DataError(f"{where}no [long.published] table naming the published key of each value to check")
    program = evaluation.compiled.program
    given = {d.name: d for d in program.outputs()}
    for key, name in mapping.long.published.items():
        if name not in given:
            raise DataError(f"{mapping.path}: [long.published] compares {key} with `{name}`, which the policy lacks")
    wide, _ = pivot(mapping, evaluation.text, data)
    rows = records(wide)
    _, _, header = next(rows)
    column_at = {name: n for n, name in enumerate(header)}
    cells = [record for _, _, record in rows if record]  # one per row of the frame, in its order
    frame, values = evaluation.frame, evaluation.values
    assert len(cells) == frame.n
    explainer = Explainer(evaluation.compiled, frame, values, evaluation.notes, evaluation.module.SOURCES)
    periods = [None] * frame.n if frame.period is None else [format_period(int(p)) for p in frame.period.tolist()]
    types = [program.org_types[t] for t in frame.org_type.tolist()]
    out = []
    for key, name in mapping.long.published.items():
        decl = given[name]
        ours = results.decode_column(decl.type, values[name])
        counts: dict[tuple[str, str | None], list[int]] = {}
        wrong = []
        for row in range(frame.n):
            cell = cells[row][column_at[key]].strip()
            if not cell:
                continue
            tally = counts.setdefault((types[row], periods[row]), [0, 0])
            tally[1] += 1
            if _agrees(ours[row], cell, tolerance):
                tally[0] += 1
            else:
                wrong.append(
                    StepDisagreement(frame.org[row], periods[row], ours[row], cell, _reason(explainer, row, decl))
                )
        groups = tuple(
            StepGroup(g, p, a, c) for (g, p), (a, c) in sorted(counts.items(), key=lambda i: (i[0][0], i[0][1] or ""))
        )
        out.append(Step(name, key, sum(g.agree for g in groups), sum(g.compared for g in groups), groups, tuple(wrong)))
    return out


def _reason(explainer: Explainer, row: int, decl) -> str:
    """How the value came about on the row: a metric's score from its value, anything else as `summary` says."""
    if isinstance(decl, ir.Score):
        return f"scored from {decl.metric} {explainer.shown(decl.metric, row)}"
    return explainer.summary(row, decl.name)


def _agrees(ours: results.Value, published: str, tolerance: float) -> bool:
    if isinstance(ours, float) and not isinstance(ours, bool):
        try:
            return abs(float(published) - ours) <= tolerance + 1e-9
        except ValueError:
            return False
    return same(ours, published)


def shortfall(found: list[Step], fail_under: float | None, only: tuple[str, ...], data: str) -> str | None:
    """Why the check fails, or None: nothing compared fails; else a step (of those in `only`, every one when
    empty) below `fail_under` per cent."""
    if not any(s.compared for s in found):
        return f"nothing was compared: no row of {data} has a published value of any step"
    if fail_under is None:
        return None
    chosen = [s for s in found if not only or s.value in only]
    low = [s for s in chosen if s.compared and 100 * s.agree / s.compared < fail_under]
    if low:
        shown = ", ".join(f"{s.value} {percent(s.agree, s.compared)}" for s in low)
        return f"below {fail_under:g}%: {shown}"
    return None


def to_text(found: list[Step], title: str, disagreements_shown: int = 5) -> str:
    """The steps in a table (agreement per step), then per org type and period, then the first disagreements of
    each step that has any."""
    width = max([4] + [len(s.value) for s in found])
    key = max([9] + [len(s.published) for s in found])
    lines = [title, "", f"  {'step':<{width}}  {'published':<{key}}  agree     of    share"]
    lines += [
        f"  {s.value:<{width}}  {s.published:<{key}}  {s.agree:>5}  {s.compared:>5}  {percent(s.agree, s.compared):>7}"
        for s in found
    ]
    for s in found:
        if not s.disagreements:
            continue
        lines += [
            "",
            f"{s.value} ({s.published}): {len(s.disagreements)} disagreement{'s' if len(s.disagreements) != 1 else ''}",
        ]
        by_group = ", ".join(f"{g.group} {g.period or ''} {g.agree}/{g.compared}".replace("  ", " ") for g in s.groups)
        lines.append(f"  by org type and period: {by_group}")
        for d in s.disagreements[:disagreements_shown]:
            ours = "missing" if d.ours is None else results.csv_text(d.ours)
            when = f" {d.period}" if d.period else ""
            lines += [f"  {d.org}{when}: ours {ours}, published {d.published}", f"    {d.reason}"]
        if len(s.disagreements) > disagreements_shown:
            lines.append(f"  and {len(s.disagreements) - disagreements_shown} more (--format json for all)")
    return "".join(printable(line) + "\n" for text in lines for line in text.split("\n"))


def to_json(found: list[Step], policy: str, data: str, assumptions: tuple[str, ...]) -> str:
    document = {
        "policy": policy,
        "data": data,
        "assumptions": list(assumptions),
        "steps": [attrs.asdict(s, value_serializer=_finite) for s in found],
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


def _finite(_instance: object, _field: object, value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    return None if isinstance(value, float) and not math.isfinite(value) else value
