"""What it would take for one organisation to reach a better outcome (`policyc improve`), its peers held fixed.

Metric scores are relative to the cohort, so a score changes only where the organisation's value passes a peer's
value (or a standard, a floor, a band's edge): those are the candidate values, searched exactly. Each trial is the
whole policy evaluated on the organisation's cohort group with one or more of its values changed; trials are
evaluated many at a time, as copies of the group whose periods are kept apart, so that a search of every metric
costs a few evaluations. Every suggestion is then verified on the whole table, and shown with the policy's own
explanation of the new outcome.

The search assumes that a better value never gives a worse outcome, which holds for the rules the language has
(ranks, bands, averages, quartiles and caps are monotone); the verification would catch a policy where it did
not, and the suggestion would be dropped.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import attrs
import numpy as np

from policyc.analysis.explain import Explainer
from policyc.analysis.likely import NoAverage, average_of
from policyc.backend.compile import Compiled
from policyc.backend.frame import Frame, repeated
from policyc.backend.runtime import Context
from policyc.data import results
from policyc.data.cells import format_period
from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.ir.nodes import outcome as outcome_of
from policyc.syntax.text import printable

# Copies of the cohort group evaluated at once, at most.
BATCH_ROWS = 400_000


@attrs.frozen
class Change:
    """One metric's value changed, as reported (a number, or a label): from `before` (None: not reported) to
    `after`, by `delta` (a number's change; None for a label or from nothing), which is `spreads` times the
    metric's standard deviation across the cohort group (a label's, of its positions on its scale)."""

    metric: str
    before: results.Value
    after: results.Value
    delta: float | None
    spreads: float | None


@attrs.frozen
class Suggestion:
    """Changes that reach the target, verified on the whole table: the outcome they give and why, in the policy's
    own words (its decisive step)."""

    changes: tuple[Change, ...]
    outcome: str
    why: str


@attrs.frozen
class Gate:
    """An adjustment that holds the outcome short of the target whatever the metrics: its rule, where it is, and
    what its condition rests on."""

    rule: str
    where: str
    condition: str


@attrs.frozen
class Improvement:
    org: str
    period: str | None
    outcome: str
    value: str
    target: str
    reached: bool  # the outcome is already the target or better
    gates: tuple[Gate, ...]
    average: str | None  # the average of scores the outcome rests on, if any
    average_value: float | None
    average_needed: float | None  # the average at which the target is reached, None where no average reaches it
    alone: tuple[Suggestion, ...]  # one metric each, the smallest change in spreads first
    not_alone: tuple[str, ...]  # metrics that cannot reach the target by themselves
    together: Suggestion | None  # the fewest metrics found together, where no metric alone does
    unreported: tuple[str, ...]  # metrics the organisation has no value for: not searched

    def text(self, shown: int = 10) -> str:
        """The answer in words, as `policyc improve` prints it."""
        return to_text(self, shown)

    def __str__(self) -> str:
        return self.text()


class Trials:
    """The policy evaluated on copies of one organisation's cohort group, each with some of its values changed."""

    def __init__(
        self, compiled: Compiled, module, frame: Frame, values: dict[str, np.ndarray], row: int, whole: bool = False
    ):
        program = compiled.program
        self.module = module
        group = Context(frame, program.cohorts, ()).group
        if whole:  # every row: what the whole table gives
            members = np.arange(frame.n)
        elif program.uses_periods and frame.period is not None:
            # `previous` and `run` read the cohort's other periods: the group is the cohort in every period
            cohort = np.asarray(program.cohorts)[frame.org_type]
            members = np.flatnonzero(cohort == cohort[row])
        else:
            members = np.flatnonzero(group == group[row])
        self.members = members
        self.local = int(np.flatnonzero(members == row)[0])
        self.frame = Frame(
            org=tuple(frame.org[k] for k in members.tolist()),
            org_type=frame.org_type[members],
            period=None if frame.period is None else frame.period[members],
            columns={name: column[members] for name, column in frame.columns.items()},
        )
        self.peers = np.flatnonzero(group[members] == group[row])  # the group itself, in this period

    def evaluate(self, trials: Sequence[dict[str, float]], names: Sequence[str]) -> dict[str, np.ndarray]:
        """For each trial (a column name and the organisation's new value in it), the organisation's value of each
        of `names`, encoded."""
        out = {name: np.empty(len(trials)) for name in names}
        m = self.frame.n
        for start, evaluated, _, _ in self.blocks(trials):
            b = len(evaluated[names[0]]) // m if names else 0
            for name in names:
                out[name][start : start + b] = np.asarray(evaluated[name], dtype=np.float64)[self.local :: m]
        return out

    def copies(self, trials: Sequence[dict[str, float]]):
        """For each trial, the group as it would be (frame, every value, the evaluator's notes), as if evaluated on
        its own: sliced from evaluations of many copies at once."""
        m = self.frame.n
        for _, evaluated, notes, block in self.blocks(trials):
            for c, trial in enumerate(block):
                part = slice(c * m, (c + 1) * m)
                columns = {name: column.copy() for name, column in self.frame.columns.items()}
                for name, value in trial.items():
                    columns.setdefault(name, np.full(m, np.nan))[self.local] = value
                frame = attrs.evolve(self.frame, columns=columns)
                values = {name: np.asarray(v)[part] for name, v in evaluated.items()}
                noted = {k: (cond[part], before[part]) for k, (cond, before) in notes.items()}
                yield frame, values, noted

    def blocks(self, trials: Sequence[dict[str, float]]):
        """The trials evaluated a block at a time: each block's first trial, its values, notes and trials."""
        m = self.frame.n
        per = max(1, BATCH_ROWS // max(m, 1))
        for start in range(0, len(trials), per):
            block = trials[start : start + per]
            b = len(block)
            columns = {name: np.tile(column, b) for name, column in self.frame.columns.items()}
            for c, trial in enumerate(block):
                for name, value in trial.items():
                    if name not in columns:
                        columns[name] = np.full(b * m, np.nan)
                    columns[name][c * m + self.local] = value
            copies = repeated(self.frame, b, columns)
            notes: dict = {}
            evaluated = self.module.evaluate(copies, notes)
            yield start, evaluated, notes, block


def improve(
    compiled: Compiled,
    module,
    frame: Frame,
    values: dict[str, np.ndarray],
    notes: dict,
    row: int,
    target: str,
) -> Improvement:
    """What would bring the outcome of the table's row `row` to `target` (a value of the outcome's scale) or
    better. Raises ValueError for a target that is not a value of the outcome, or an outcome that is not a scale."""
    program = compiled.program
    outcome = outcome_of(program)
    t = program.decl(outcome).type
    if t.kind not in ("labels", "scale"):
        raise ValueError(f"the outcome `{outcome}` is not a value of a scale, so it has no better value to reach")
    labels = [results.csv_text(results.decode(t, float(code))) for code in range(len(t.labels))]
    if target not in labels:
        raise ValueError(f"`{target}` is not a value of `{outcome}`: one of {', '.join(labels)}")
    goal = labels.index(target)
    position = float(values[outcome][row])
    value = "missing" if math.isnan(position) else labels[int(position)]
    period = None if frame.period is None else format_period(int(frame.period[row]))
    explainer = Explainer(compiled, frame, values, notes, module.SOURCES)
    average = _average(program)
    found = Improvement(
        org=frame.org[row],
        period=period,
        outcome=outcome,
        value=value,
        target=target,
        reached=not math.isnan(position) and position <= goal,
        gates=(),
        average=average,
        average_value=None if average is None else _number(values[average][row]),
        average_needed=None,
        alone=(),
        not_alone=(),
        together=None,
        unreported=(),
    )
    if found.reached:
        return found
    gates = tuple(_gates(program, explainer, row, goal))
    if gates:  # no change of a metric lifts them: nothing to search
        return attrs.evolve(found, gates=gates)
    trials = Trials(compiled, module, frame, values, row)

    def reaches(found: dict[str, np.ndarray]) -> np.ndarray:
        codes = found[outcome]
        return ~np.isnan(codes) & (codes <= goal)

    needed = None
    if average is not None:
        needed = _average_needed(program, trials, average, float(values[average][row]), reaches, outcome)

    metrics = _metrics(program, frame, row, outcome)
    unreported = tuple(m for m in metrics if math.isnan(float(frame.columns[m][row])))
    searched = [m for m in metrics if m not in unreported]
    points = {m: _candidates(program, frame, trials, m, float(frame.columns[m][row])) for m in searched}
    # the better way for each metric: the end whose score is the better, probed on the organisation's score
    scored = {score.metric: score for score in program.scores}
    ends = []
    for m in searched:
        ends += [{m: points[m][0]}, {m: points[m][-1]}]
    probe = trials.evaluate(ends, [outcome, *(scored[m].name for m in searched)]) if ends else {}
    paths: dict[str, list[float]] = {}
    gain: dict[str, float] = {}
    for k, m in enumerate(searched):
        score = scored[m]
        low, high = probe[score.name][2 * k], probe[score.name][2 * k + 1]
        own = float(values[score.name][row])
        better_high = (high < low) if score.low_is_better else (high > low)
        current = float(frame.columns[m][row])
        path = [x for x in points[m] if (x > current if better_high else x < current)]
        path.sort(key=lambda x: abs(x - current))
        if not path:
            continue
        paths[m] = path
        best = high if better_high else low
        gain[m] = (own - best) if score.low_is_better else (best - own)

    alone_found: dict[str, float] = {}
    not_alone = []
    if paths:
        farthest = trials.evaluate([{m: path[-1]} for m, path in paths.items()], [outcome])
        reach = reaches(farthest)
        reaching = {m: path for (m, path), ok in zip(paths.items(), reach, strict=True) if ok}
        not_alone = [m for m in paths if m not in reaching]
        nearest = _nearest_each(trials, outcome, reaches, {}, reaching)
        alone_found = {m: reaching[m][nearest[m]] for m in reaching}
    spread = {m: _spread(frame, trials, m) for m in searched}

    def change(m: str, after: float) -> Change:
        t = program.decl(m).type
        before = _number(frame.columns[m][row])
        moved = None if before is None else after - before
        units = None if moved is None or not spread[m] else abs(moved) / spread[m]
        number = t.kind not in ("labels", "scale", "bool")
        shown = results.decode(t, float("nan") if before is None else before), results.decode(t, after)
        return Change(m, shown[0], shown[1], moved if number else None, units)

    whole = Trials(compiled, module, frame, values, row, whole=True)
    alone = []
    checked = _verified(
        compiled, module, whole, [{m: after} for m, after in alone_found.items()], goal, labels, outcome
    )
    for (m, after), verified in zip(alone_found.items(), checked, strict=True):
        if verified is not None:
            alone.append(Suggestion((change(m, after),), *verified))
    alone.sort(key=lambda s: (s.changes[0].spreads is None, s.changes[0].spreads or 0.0, s.changes[0].metric))

    together = None
    if not alone and paths:
        together = _together(compiled, module, whole, trials, paths, gain, goal, labels, outcome, reaches)
        if together is not None:
            together = attrs.evolve(together, changes=tuple(change(c.metric, c.after) for c in together.changes))
    return attrs.evolve(
        found,
        average_needed=needed,
        alone=tuple(alone),
        not_alone=tuple(not_alone),
        together=together,
        unreported=unreported,
    )


def _number(cell) -> float | None:
    x = float(cell)
    return None if math.isnan(x) else x


def _average(program: ir.Program) -> str | None:
    try:
        return average_of(program).name
    except NoAverage:
        return None


def _metrics(program: ir.Program, frame: Frame, row: int, outcome: str) -> list[str]:
    """The metrics the outcome rests on that apply to the organisation's type, in declaration order."""
    on_way = set(walk.closure(program, [outcome]))
    org_type = int(frame.org_type[row])
    return [
        d.name
        for d in program.decls
        if isinstance(d, ir.Column)
        and d.kind == "metric"
        and d.name in on_way
        and org_type in d.applies
        and d.name in frame.columns
        and any(s.metric == d.name for s in program.scores)
    ]


def _candidates(program: ir.Program, frame: Frame, trials: Trials, metric: str, current: float) -> list[float]:
    """The values at which the organisation's score of `metric` can change: its peers' values, the scoring's
    standard, floor and band edges (just past an edge that the band leaves out), in ascending order."""
    peers = trials.frame.columns[metric][trials.peers]
    points = set(peers[~np.isnan(peers)].tolist())
    for score in program.scores:
        if score.metric != metric:
            continue
        scoring = score.scoring
        if isinstance(scoring, ir.Ranked):
            points |= {x for x in (scoring.standard, scoring.floor) if x is not None}
        elif isinstance(scoring, ir.Bands):
            for band in scoring.rows:
                for edge, inclusive, toward in (
                    (band.lower, band.lower_inclusive, math.inf),
                    (band.upper, band.upper_inclusive, -math.inf),
                ):
                    if edge is not None:
                        points.add(edge if inclusive else float(np.nextafter(edge, toward)))
    points.add(current)
    return sorted(points)


def _spread(frame: Frame, trials: Trials, metric: str) -> float:
    cells = trials.frame.columns[metric][trials.peers]
    cells = cells[~np.isnan(cells)]
    return float(np.std(cells)) if cells.size > 1 else 0.0


def _nearest(trials: Trials, outcome: str, reaches, fixed: dict[str, float], metric: str, path: list[float]) -> int:
    """The first point of `path` (nearest the current value first) that reaches the target with `fixed` also
    changed, where its last point does."""
    return _nearest_each(trials, outcome, reaches, fixed, {metric: path})[metric]


def _nearest_each(
    trials: Trials, outcome: str, reaches, fixed: dict[str, float], paths: dict[str, list[float]]
) -> dict[str, int]:
    """For each metric alone (with `fixed` also changed), the first point of its path that reaches the target,
    where the path's last point does: by bisection, since a point farther on is never worse, every metric's
    bisection a step at a time in one evaluation."""
    bounds = {m: [0, len(path) - 1] for m, path in paths.items()}  # hi reaches; every point before lo does not
    while True:
        open_ = [m for m, (lo, hi) in bounds.items() if lo < hi]
        if not open_:
            return {m: hi for m, (_, hi) in bounds.items()}
        middles = {m: (bounds[m][0] + bounds[m][1]) // 2 for m in open_}
        found = reaches(trials.evaluate([{**fixed, m: paths[m][middles[m]]} for m in open_], [outcome]))
        for m, ok in zip(open_, found, strict=True):
            if ok:
                bounds[m][1] = middles[m]
            else:
                bounds[m][0] = middles[m] + 1


def _average_needed(program, trials: Trials, average: str, current: float, reaches, outcome: str) -> float | None:
    """The nearest average (on the grid of its rounding, else of hundredths) at which the outcome reaches the target
    with every other value as it is: the distance to the cut point. None where no average does."""
    if math.isnan(current):
        return None
    decl = program.decl(average)
    places = decl.expr.places if isinstance(decl.expr, ir.Round) else 2
    step = 10.0**-places
    low_is_better = average_of(program).low_is_better
    decls = {d.name: d for d in program.decls}
    scores = [d for s in average_of(program).scores if isinstance(d := decls[s], ir.Score)]
    bounds = [x for s in scores for x in _score_range(s)]
    best = min(bounds) if low_is_better else max(bounds)
    count = int(round(abs(current - best) / step))
    if count == 0:
        return None
    path = [round(current + (-step if low_is_better else step) * k, places) for k in range(1, count + 1)]
    if not reaches(trials.evaluate([{average: path[-1]}], [outcome]))[0]:
        return None
    return path[_nearest(trials, outcome, reaches, {}, average, path)]


def _score_range(score: ir.Score) -> list[float]:
    """The scores a scoring can give, at its ends."""
    scoring = score.scoring
    if isinstance(scoring, ir.Bands):
        return [float(b.result) for b in scoring.rows]
    if isinstance(scoring, ir.Mapped):
        return [float(x) for x in scoring.scores]
    return [1.0, 4.0]  # the standard model's scores run from 1 to 4


def _gates(program: ir.Program, explainer: Explainer, row: int, goal: int):
    """The caps on the way to the outcome that apply on the row, rest on no metric, and hold it worse than the
    target: no change of a metric can lift them."""
    decls = {d.name: d for d in program.decls}
    for name in walk.closure(program, [outcome_of(program)]):
        decl = decls[name]
        if not isinstance(decl, ir.Derived):
            continue
        for adjust in decl.adjusts:
            if adjust.kind not in ("no better than", "becomes") or explainer.applied(adjust, row) != "applies":
                continue
            reads = walk.closure(program, ir.loads(adjust.condition))
            if any(isinstance(d := decls.get(n), ir.Column) and d.kind == "metric" for n in reads):
                continue
            cap = adjust.value
            if not isinstance(cap, ir.Const) or cap.value is None or float(cap.value) <= goal:
                continue
            inputs = [n for n in ir.loads(adjust.condition) if n in decls]
            shown = ", ".join(f"{n} {explainer.shown(n, row)}" for n in inputs)
            where = Explainer.where(adjust).strip().strip("()")
            yield Gate(explainer.text(adjust), where, shown)


def _verified(compiled, module, whole: Trials, changes: list[dict[str, float]], goal, labels, outcome):
    """Each set of changes applied to the whole table and the policy evaluated again: the new outcome and its
    decisive step, or None where it does not reach the target."""
    out: list[tuple[str, str] | None] = []
    row = whole.local
    for frame, values, notes in whole.copies(changes):
        code = float(values[outcome][row])
        if math.isnan(code) or code > goal:
            out.append(None)
            continue
        explainer = Explainer(compiled, frame, values, notes, module.SOURCES)
        steps = explainer.decisive(row, outcome)
        step = next((s for s in steps if s["kind"] != "pass"), steps[0] if steps else None)
        why = "" if step is None else f"{step['name']} {results.csv_text(step['value'])}: {step['why']}"
        out.append((labels[int(code)], why))
    return out


def _together(compiled, module, whole: Trials, trials, paths, gain, goal, labels, outcome, reaches):
    """The fewest metrics found that reach the target together: those of the largest gain in score, each moved
    to its best, added until the target is reached, then each brought back as near its current value as the others
    allow; verified on the whole table."""
    order = sorted(paths, key=lambda m: (-gain.get(m, 0.0), m))
    sets = [{m: paths[m][-1] for m in order[: k + 1]} for k in range(len(order))]
    reached = reaches(trials.evaluate(sets, [outcome]))
    if not reached.any():
        return None
    chosen = dict(sets[int(np.argmax(reached))])
    for m in list(chosen):  # one fewer, where the others suffice without it
        rest = {k: v for k, v in chosen.items() if k != m}
        if rest and reaches(trials.evaluate([rest], [outcome]))[0]:
            chosen = rest
    for m in list(chosen):
        others = {k: v for k, v in chosen.items() if k != m}
        chosen[m] = paths[m][_nearest(trials, outcome, reaches, others, m, paths[m])]
    (verified,) = _verified(compiled, module, whole, [chosen], goal, labels, outcome)
    if verified is None:
        return None
    return Suggestion(tuple(Change(m, None, v, None, None) for m, v in chosen.items()), *verified)


# ---------------------------------------------------------------- the text and the JSON


def _shown(x: results.Value) -> str:
    if x is None:
        return "not reported"
    return results.csv_text(round(x, 6) if isinstance(x, float) else x)


def _change_text(c: Change) -> str:
    moved = [] if c.delta is None else [("+" if c.delta > 0 else "") + _shown(c.delta)]
    moved += [] if c.spreads is None else [f"{c.spreads:.2f} spreads"]
    return f"{c.metric} {_shown(c.before)} -> {_shown(c.after)}" + (f" ({', '.join(moved)})" if moved else "")


def to_text(found: Improvement, shown: int = 10) -> str:
    """The answer in words, at most `shown` single-metric suggestions listed; every line printable."""
    wrapped = [
        piece
        for line in _lines(found, shown)
        for piece in (textwrap.wrap(printable(line), 100, subsequent_indent="    ", break_on_hyphens=False) or [""])
    ]
    return "".join(line + "\n" for line in wrapped)


def _lines(found: Improvement, shown: int) -> list[str]:
    key = found.org + (f"@{found.period}" if found.period else "")
    lines = [f"{key}: {found.outcome} {found.value}; the target: {found.target} or better"]
    if found.reached:
        return [*lines, "", "already reached: nothing to change"]
    if found.gates:
        lines += ["", "held back whatever the metrics, until the condition lifts:"]
        lines += [f"  {g.rule} ({g.where}), with {g.condition}" for g in found.gates]
        return [*lines, "", "no change of a metric can reach the target while it holds"]
    if found.average is not None and found.average_value is not None:
        if found.average_needed is None:
            lines += ["", f"{found.average} {_shown(found.average_value)}: no average reaches the target"]
        else:
            distance = abs(found.average_needed - found.average_value)
            lines += [
                "",
                f"{found.average} {_shown(found.average_value)} would need to be {_shown(found.average_needed)} "
                f"({_shown(round(distance, 6))} better), every other value as it is",
            ]
    if found.alone:
        lines += ["", "one metric alone, the smallest change (in spreads across the cohort) first:"]
        for s in found.alone[:shown]:
            lines += [f"  {_change_text(s.changes[0])}: {found.outcome} {s.outcome}", f"      {s.why}"]
        if len(found.alone) > shown:
            lines.append(f"  and {len(found.alone) - shown} more (--format json for all)")
    if found.not_alone:
        lines += ["", f"not by one metric alone: {', '.join(found.not_alone)}"]
    if found.together is not None:
        lines += ["", f"together, the fewest metrics found ({len(found.together.changes)}):"]
        lines += [f"  {_change_text(c)}" for c in found.together.changes]
        lines += [f"  {found.outcome} {found.together.outcome}: {found.together.why}"]
    elif not found.alone:
        lines += ["", "no change of the metrics found reaches the target"]
    if found.unreported:
        lines += ["", f"not searched, since the organisation reports no value: {', '.join(found.unreported)}"]
    return lines


def to_json(found: Improvement) -> str:
    import json

    return json.dumps(attrs.asdict(found), indent=1, allow_nan=False) + "\n"
