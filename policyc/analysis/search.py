"""Two policies compared without data: a search of organisation profiles for those they rate most differently."""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from itertools import zip_longest
from random import Random

import attrs
import hypothesis
import numpy as np
from hypothesis import HealthCheck, Phase, Verbosity, given, settings, target
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from policyc.analysis.compare import standing, tier
from policyc.analysis.explain import explain
from policyc.backend import runtime
from policyc.backend.compile import Compiled
from policyc.data import results
from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.ir.nodes import outcome
from policyc.semantics.types import Type

SUBJECT = "subject"
Pair = tuple[str | None, str | None]  # the two outcomes as reported; None where a policy gives none
Row = dict[str, results.Value]
Profile = tuple[str, tuple[Row, ...]]  # an org type and its cohort, the subject first

# How a row's numbers and metrics of one policy are drawn: none present, anywhere, or each where it scores highest
# or lowest; and its yes/no and label inputs (judgements, flags, ratings: few values each, and often a gate): any
# value, or each its first value (as declared; no before yes) or its last. Whatever the way, a value may be missing:
# the first ways are the shrink targets, and the simplest witness leaves out what does not matter.
NUMBERS = ("absent", "anywhere", "highest", "lowest")
GATES = ("any", "first", "last")


@attrs.frozen
class Witness:
    """A profile and how each policy rates its subject: `rows` holds the cells present, the subject's first."""

    org_type: str
    a_value: str
    b_value: str
    delta: float  # standing under B minus standing under A: positive when B rates the subject worse
    rows: tuple[Row, ...]
    explanation_a: str
    explanation_b: str

    @property
    def subject(self) -> Row:
        return self.rows[0]

    @property
    def peers(self) -> tuple[Row, ...]:
        return self.rows[1:]


@attrs.frozen
class SearchResult:
    a_outcome: str
    b_outcome: str
    a_scale: tuple[str, ...]  # the outcome's values as reported, best first
    b_scale: tuple[str, ...]
    org_types: tuple[str, ...]  # those searched: rated by both policies
    cohort_size: int
    seed: int
    independent: bool  # the policies read no column in common: each side of a witness is searched on its own
    pairs_seen: dict[Pair, int]  # over the profiles explored with both policies
    explored: int
    examples_tried: int  # every profile evaluated: explored, then searched for the witness (shrinking included)
    failed: int  # profiles on which a policy could not evaluate
    seconds: float
    most_different: tuple[str, str] | None  # the most different pair reached
    wanted: tuple[str, str] | None  # the pair the witness was searched for: asked for, else the most different
    found: bool
    witness: Witness | None

    def delta(self, pair: Pair) -> float | None:
        """Standing under B minus standing under A; None when either policy gives no outcome."""
        return _delta(pair, self.a_scale, self.b_scale)


def _delta(pair: Pair, a_scale: tuple[str, ...], b_scale: tuple[str, ...]) -> float | None:
    a, b = pair
    if a is None or b is None:
        return None
    return standing(b_scale.index(b), len(b_scale)) - standing(a_scale.index(a), len(a_scale))


# ---------------------------------------------------------------- what a profile may hold


def _walk(expr: ir.Expr):
    yield expr
    for child in ir.children(expr):
        yield from _walk(child)


def _nodes(decl: ir.Derived):
    for expr in (decl.expr, *(e for adjust in decl.adjusts for e in (adjust.value, adjust.condition))):
        yield from _walk(expr)


def _marks(program: ir.Program) -> dict[str, set[float]]:
    """Each number column's thresholds: band bounds, standards, floors and constants it is compared with."""
    marks: dict[str, set[float]] = {c.name: set() for c in program.columns if c.type.kind == "number"}
    for decl in program.decls:
        if isinstance(decl, ir.Score) and isinstance(decl.scoring, ir.Ranked):
            marks[decl.metric].update(x for x in (decl.scoring.standard, decl.scoring.floor) if x is not None)
        elif isinstance(decl, ir.Score) and isinstance(decl.scoring, ir.Bands):
            marks[decl.metric].update(
                x for band in decl.scoring.rows for x in (band.lower, band.upper) if x is not None
            )
        elif isinstance(decl, ir.Derived):
            for node in _nodes(decl):
                if isinstance(node, ir.Binary) and node.op in ("<", "<=", ">", ">=", "==", "!="):
                    for side, other in ((node.left, node.right), (node.right, node.left)):
                        if (
                            isinstance(side, ir.Load)
                            and side.name in marks
                            and isinstance(other, ir.Const)
                            and other.value is not None
                        ):
                            marks[side.name].add(float(other.value))
    return marks


def _peer_columns(program: ir.Program) -> set[str]:
    """The columns through which the other organisations of a cohort reach a row's result: those that feed a
    cohort function or a metric scored against the cohort."""
    decls = {d.name: d for d in program.decls}
    stack: list[str] = []
    for decl in program.decls:
        if isinstance(decl, ir.Score) and isinstance(decl.scoring, (ir.Ranked, ir.Relative)):
            stack.append(decl.metric)
        elif isinstance(decl, ir.Derived):
            for node in _nodes(decl):
                if isinstance(node, (ir.Cohort, ir.Quantile, ir.Quartile)):
                    stack.extend(ir.loads(node.operand))
    return {name for name in walk.closure(program, stack) if isinstance(decls[name], ir.Column)}


def _together(program: ir.Program) -> list[set[str]]:
    """For each derived value reading several columns (themselves, or through their scores), those columns."""
    decls = {d.name: d for d in program.decls}
    groups = []
    for decl in program.decls:
        if isinstance(decl, ir.Derived):
            read = [decls[n] for n in ir.reads(decl) if isinstance(decls.get(n), (ir.Column, ir.Score))]
            group = {d.metric if isinstance(d, ir.Score) else d.name for d in read}
            if len(group) > 1:
                groups.append(group)
    return groups


def _score(scoring: ir.Scoring, value: float) -> float | None:
    """The score a value gets where that does not depend on the cohort (a ranked value neither meeting the
    standard nor failing the floor: the middle of its spread); None where no band holds it, or it always does."""
    if isinstance(scoring, ir.Bands):
        return next((float(band.result) for band in scoring.rows if band.holds(value)), None)
    if isinstance(scoring, ir.Ranked):
        higher, standard, floor = scoring.higher, scoring.standard, scoring.floor
        if standard is not None and (value >= standard if higher else value <= standard):
            return 1.0
        if floor is not None and (value < floor if higher else value > floor):
            return 4.0
        return ((1.0 if standard is None else 2.0) + (4.0 if floor is None else 3.0)) / 2
    return None


def _number(unit: str | None, marks: set[float], scoring: ir.Scoring | None) -> dict[str, st.SearchStrategy]:
    """A number column's strategy in each way of drawing numbers (NUMBERS). Anywhere: missing first, then each
    threshold and the values just either side of it, then integers and one-decimal numbers over a range that holds
    the thresholds. Highest and lowest: those of the thresholds and their neighbours that score highest or lowest."""
    near = list(dict.fromkeys(round(m + d, 6) for m in sorted(marks) for d in (0, -0.1, 0.1, -1, 1)))
    if unit == "percent":
        lo, hi = min([0.0, *near]), max([100.0, *near])
    elif marks:
        lo, hi = min(marks) - 50, max(marks) + 50
    else:
        lo, hi = 0.0, 10.0
    anywhere = st.one_of(
        [st.none()]
        + ([st.sampled_from(near)] if near else [])
        + [
            st.integers(math.ceil(lo), math.floor(hi)).map(float),
            st.floats(lo, hi, allow_nan=False).map(lambda x: min(max(round(x, 1), lo), hi)),
        ]
    )
    out = {"absent": st.none(), "anywhere": anywhere, "highest": anywhere, "lowest": anywhere}
    scored = {x: s for x in near if scoring is not None and (s := _score(scoring, x)) is not None}
    if len(set(scored.values())) > 1:
        for mode, pick in (("highest", max), ("lowest", min)):
            best = pick(scored.values())
            out[mode] = st.sampled_from((None, *(x for x, s in scored.items() if s == best)))
    return out


def _mapped(labels: tuple[str, ...], scoring: ir.Mapped, allowed: tuple[str, ...]) -> dict[str, st.SearchStrategy]:
    """A metric scored by a mapping of its labels (of those `allowed`), in each way of drawing numbers."""
    scores = {label: score for label, score in zip(labels, scoring.scores, strict=True) if label in allowed}
    out = {"absent": st.none(), "anywhere": st.sampled_from((None, *scores))}
    for mode, pick in (("highest", max), ("lowest", min)):
        best = pick(scores.values())
        out[mode] = st.sampled_from((None, *(label for label, score in scores.items() if score == best)))
    return out


def _merged_types(a: ir.Program, b: ir.Program) -> dict[str, Type]:
    """Each column either policy reads, with the one type a shared table would give it."""
    types = {c.name: c.type for c in a.columns}
    for column in b.columns:
        mine = types.get(column.name)
        if mine is None:
            types[column.name] = column.type
        elif mine.kind != column.type.kind and {mine.kind, column.type.kind} != {"labels", "scale"}:
            raise ValueError(
                f"column `{column.name}` is {mine} under one policy and {column.type} under the other; "
                "one table cannot hold both"
            )
        elif mine.kind in ("labels", "scale"):
            # only the labels both policies can read
            both = tuple(x for x in mine.labels if x in column.type.labels)
            if not both:
                raise ValueError(
                    f"column `{column.name}` is {mine} under one policy and {column.type} under the "
                    "other: no value that both can read"
                )
            types[column.name] = attrs.evolve(mine, labels=both)
    return types


class _Space:
    """The profiles of two policies: each column's strategies, and which columns each policy reads."""

    def __init__(self, a: ir.Program, b: ir.Program, cohort_size: int):
        self.programs = (a, b)
        self.cohort_size = cohort_size
        self.types = _merged_types(a, b)
        self.peer = _peer_columns(a) | _peer_columns(b)
        marks: dict[str, set[float]] = {}
        scorings: dict[str, tuple[ir.Scoring, Type]] = {}  # each metric's scoring, and its type where scored so
        for program in (b, a):  # A's last: where both score a column, A's scoring picks its bands
            for name, found in _marks(program).items():
                marks.setdefault(name, set()).update(found)
            scorings.update(
                {d.metric: (d.scoring, program.decl(d.metric).type) for d in program.decls if isinstance(d, ir.Score)}
            )
        self.strategies: dict[str, dict[str, st.SearchStrategy]] = {}
        for name, kind in self.types.items():
            scoring, scored = scorings.get(name, (None, None))
            if kind.kind == "number":
                self.strategies[name] = _number(kind.unit, marks.get(name, set()), scoring)
            elif isinstance(scoring, ir.Mapped):
                self.strategies[name] = _mapped(scored.labels, scoring, kind.labels)
            else:
                values = (False, True) if kind.kind == "bool" else kind.labels
                # present three times in four: a row's gates that agree are of use all present, or nearly
                self.strategies[name] = {
                    "any": st.sampled_from((None, *values)),
                    "first": st.sampled_from((None, *[values[0]] * 3)),
                    "last": st.sampled_from((None, *[values[-1]] * 3)),
                }
        self.built: dict[tuple, st.SearchStrategy] = {}

    @property
    def independent(self) -> bool:
        a, b = ({c.name for c in p.columns} for p in self.programs)
        return not a & b

    def profiles(self, org_types: tuple[str, ...], sides: tuple[int, ...] = (0, 1)) -> st.SearchStrategy:
        """Profiles of one of `org_types` holding the columns of the policies `sides`: a cohort of 1 to
        `cohort_size` organisations, the subject first. The subject holds every column those policies read for its
        type, the peers only those that reach the subject through the cohort. Each row draws, for each policy, how
        its values fall (NUMBERS, GATES): a good or bad result often needs every value of a policy that is present
        to be good or bad together, which values drawn one by one hardly ever are."""

        def row(org_type: str, peer: bool) -> st.SearchStrategy:
            ways = st.tuples(st.sampled_from(NUMBERS), st.sampled_from(GATES))
            return st.tuples(*(ways for _ in sides)).flatmap(lambda modes: self._row(org_type, peer, sides, modes))

        def cohort(org_type: str) -> st.SearchStrategy:
            return st.tuples(
                st.just(org_type), row(org_type, False), st.lists(row(org_type, True), max_size=self.cohort_size - 1)
            ).map(lambda parts: (parts[0], (parts[1], *parts[2])))

        return st.one_of([cohort(t) for t in org_types])

    def _row(
        self, org_type: str, peer: bool, sides: tuple[int, ...], modes: tuple[tuple[str, str], ...]
    ) -> st.SearchStrategy:
        key = (org_type, peer, sides, modes)
        if key not in self.built:
            columns: dict[str, st.SearchStrategy] = {}
            for side, (numbers, gates) in zip(sides, modes, strict=True):
                program = self.programs[side]
                position = program.org_types.index(org_type)
                for column in program.columns:
                    if position in column.applies and (not peer or column.name in self.peer):
                        ways = self.strategies[column.name]
                        columns.setdefault(column.name, ways[numbers] if numbers in ways else ways[gates])
            self.built[key] = st.fixed_dictionaries(columns)
        return self.built[key]


# ---------------------------------------------------------------- evaluating a profile


def _encode(kind: Type, value: results.Value) -> float:
    if value is None:
        return math.nan
    if kind.kind == "bool":
        return 1.0 if value else 0.0
    if kind.kind in ("labels", "scale"):
        return float(kind.labels.index(value))
    return float(value)


def orgs(n: int) -> tuple[str, ...]:
    """The org codes of a profile of `n` organisations: the subject, then peer1, peer2, ..."""
    return (SUBJECT, *(f"peer{k}" for k in range(1, n)))


def profile_frame(program: ir.Program, org_type: str, rows: tuple[Row, ...]) -> runtime.Frame:
    """A profile as a policy reads it: every column the policy reads, missing where the profile leaves it out."""
    return runtime.Frame(
        org=orgs(len(rows)),
        org_type=np.full(len(rows), program.org_types.index(org_type), dtype=np.int64),
        period=None,
        columns={
            c.name: np.array([_encode(c.type, row.get(c.name)) for row in rows], dtype=np.float64)
            for c in program.columns
        },
    )


class _Rater:
    """One policy's outcome for the subject of a profile."""

    def __init__(self, compiled: Compiled):
        self.compiled = compiled
        self.module = compiled.module()
        self.name = outcome(compiled.program)
        self.type = compiled.program.decl(self.name).type
        if self.type.kind != "scale":
            raise ValueError(
                f"policy `{compiled.program.name}`: its outcome `{self.name}` is {self.type}, not a "
                "value of a scale, so it has no standing to compare"
            )
        self.scale = tuple(results.csv_text(results.decode(self.type, p)) for p in range(len(self.type.labels)))
        self.steps = self._steps(compiled.program)

    def _steps(self, program: ir.Program) -> tuple[str, ...]:
        """The derived values on the outcome's scale that it rests on (the 2009 domains under `overall`)."""
        found = set(walk.upstream(program, [self.name]))
        return tuple(
            d.name
            for d in program.decls
            if d.name in found
            and isinstance(d, ir.Derived)
            and d.type.kind == "scale"
            and d.type.scale == self.type.scale
        )

    def evaluate(self, profile: Profile, notes: dict | None = None):
        frame = profile_frame(self.compiled.program, *profile)
        return frame, self.module.evaluate(frame, notes)

    def rate(self, profile: Profile) -> tuple[str | None, ...]:
        """The outcome for the subject, then its steps."""
        values = self.evaluate(profile)[1]
        return tuple(self.shown(values[name][0]) for name in (self.name, *self.steps))

    def shown(self, encoded: float) -> str | None:
        value = results.decode(self.type, encoded)
        return None if value is None else results.csv_text(value)

    def distance(self, value: str | None, goal: str) -> float:
        """How far a value is from the goal, in standings; 2 (further than any value) when it is missing."""
        if value is None:
            return 2.0
        return abs(
            standing(self.scale.index(value), len(self.scale)) - standing(self.scale.index(goal), len(self.scale))
        )

    def closeness(self, rating: tuple[str | None, ...], goal: str) -> float:
        """How far a rating is from the goal: the outcome's distance, and a finer signal for Hypothesis to climb
        toward it, the mean distance of its steps (to be performing overall, every domain must be)."""
        steps = rating[1:]
        return self.distance(rating[0], goal) + (
            sum(self.distance(v, goal) for v in steps) / len(steps) if steps else 0.0
        )


# ---------------------------------------------------------------- the search


def _settings(max_examples: int) -> settings:
    # From Hypothesis's own defaults, not the profile loaded (by a test suite, say): the search is the same anywhere.
    return settings(
        settings.get_profile("default"),
        max_examples=max(max_examples, 1),
        database=None,
        derandomize=False,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.target, Phase.shrink),
        verbosity=Verbosity.quiet,
        print_blob=False,
        report_multiple_bugs=False,
    )


class _Search:
    """One search: the two raters, the space of profiles, and what the profiles tried so far gave."""

    def __init__(self, a: Compiled, b: Compiled, cohort_size: int, number: int):
        self.raters = (_Rater(a), _Rater(b))
        self.space = _Space(a.program, b.program, cohort_size)
        self.seed = number
        self.seen: Counter[Pair] = Counter()
        # the first profile explored of each org type rated each way by A, by B and by both: where Hypothesis finds
        # no witness of its own, the search falls back on one of these, simplified
        self.examples: dict[tuple[str, tuple[int, ...], tuple[str | None, ...]], Profile] = {}
        self.tried = 0
        self.failed = 0

    def want(self, want) -> tuple[str, str] | None:
        if want is None:
            return None
        pair = (str(want[0]), str(want[1]))
        for value, rater, which in zip(pair, self.raters, ("first", "second"), strict=True):
            if value not in rater.scale:
                raise ValueError(
                    f"`{value}` is not a value of the {which} policy's outcome `{rater.name}`: "
                    f"one of {', '.join(rater.scale)}"
                )
        return pair

    def rate(self, profile: Profile, sides: tuple[int, ...]) -> tuple[tuple[str | None, ...], ...] | None:
        """The ratings under the policies `sides`; None when one cannot evaluate the profile."""
        self.tried += 1
        try:
            return tuple(self.raters[side].rate(profile) for side in sides)
        except runtime.EvalError:
            self.failed += 1
            return None

    def rated(self, profile: Profile, sides: tuple[int, ...], goal: tuple[str, ...]) -> bool:
        ratings = self.rate(profile, sides)
        return ratings is not None and tuple(x[0] for x in ratings) == goal

    def delta(self, pair: Pair) -> float | None:
        return _delta(pair, self.raters[0].scale, self.raters[1].scale)

    def reached(self, org_type: str, side: int) -> set[str]:
        return {
            values[0]
            for t, sides, values in self.examples
            if t == org_type and sides == (side,) and values[0] is not None
        }

    def explore(self, org_types: tuple[str, ...], budget: int, wanted: tuple[str, str] | None) -> None:
        """Profiles rated by both policies, Hypothesis guided toward large differences either way (and toward
        `wanted`)."""

        @_settings(budget)
        @given(self.space.profiles(org_types))
        def run(profile: Profile):
            ratings = self.rate(profile, (0, 1))
            if ratings is None:
                return
            pair = (ratings[0][0], ratings[1][0])
            self.seen[pair] += 1
            for sides, values in (((0,), pair[:1]), ((1,), pair[1:]), ((0, 1), pair)):
                self.examples.setdefault((profile[0], sides, values), profile)
            delta = self.delta(pair)
            if delta is not None:
                target(delta, label="B rates worse")
                target(-delta, label="A rates worse")
            if wanted is not None:
                target(
                    -sum(r.closeness(x, w) for r, x, w in zip(self.raters, ratings, wanted, strict=True)),
                    label="toward the wanted pair",
                )

        hypothesis.seed(self.seed)(run)()

    def most_different(self, org_types: tuple[str, ...]) -> tuple[str, str] | None:
        """The largest difference reached either way; on a tie the pair seen more often, then the first in scale
        order. When the policies read no column in common, the outcomes of one reached on an org type combine with
        any of the other's there, whether or not a single profile explored had both."""
        pairs = {p for p in self.seen if p[0] is not None and p[1] is not None}
        if self.space.independent:
            pairs |= {(x, y) for t in org_types for x in self.reached(t, 0) for y in self.reached(t, 1)}
        if not pairs:
            return None
        a, b = (r.scale for r in self.raters)
        return max(pairs, key=lambda p: (abs(self.delta(p)), self.seen[p], -a.index(p[0]), -b.index(p[1])))

    def find(self, org_types: list[str], goal: tuple[str, ...], sides: tuple[int, ...], budget: int) -> Profile | None:
        """The simplest profile rated `goal` by the policies `sides`: Hypothesis's, in three tries with a third of
        the budget each (how soon it comes on one varies widely from one seed to another), else the simplified
        first explored. Hypothesis's find is not guided by `target` here: its hill climbing stays on a plateau
        for the rest of the budget more often than it leaves it."""
        strategy = self.space.profiles(tuple(org_types), sides)
        for attempt in range(3):
            try:
                return hypothesis.find(
                    strategy,
                    lambda profile: self.rated(profile, sides, goal),
                    settings=_settings(max(budget // 3, 1)),
                    random=Random(f"{self.seed}:{attempt}"),
                )
            except NoSuchExample:
                pass
        for org_type in org_types:
            explored = self.examples.get((org_type, sides, goal))
            if explored is not None:
                return self.simplify(explored, sides, goal)
        return None

    def simplify(self, profile: Profile, sides: tuple[int, ...], goal: tuple[str, ...]) -> Profile:
        """The profile with the columns of the policies `sides` only; then without each peer, each set of columns
        read together (from every row), each column and each cell in turn that it can do without and still be rated
        `goal`, and the peers left empty. Sets first: a count of passes may need all of its columns gone at once."""
        org_type, rows = profile
        programs = [self.space.programs[side] for side in sides]
        names = list(dict.fromkeys(c.name for program in programs for c in program.columns))
        kept = [{k: v for k, v in row.items() if k in names and v is not None} for row in rows]

        def holds(trial: list[Row]) -> bool:
            return self.rated((org_type, tuple(trial)), sides, goal)

        def without_peers() -> None:
            for n in reversed(range(1, len(kept))):
                if holds(kept[:n] + kept[n + 1 :]):
                    del kept[n]

        without_peers()
        for group in [g for program in programs for g in _together(program)] + [{name} for name in names]:
            trial = [{k: v for k, v in row.items() if k not in group} for row in kept]
            if trial != kept and holds(trial):
                kept = trial
        for row in kept:
            for name in list(row):
                value = row.pop(name)
                if not holds(kept):
                    row[name] = value
        without_peers()
        return org_type, tuple(kept)

    def witness_profile(self, org_types: tuple[str, ...], goal: tuple[str, str], budget: int) -> Profile | None:
        """A simple profile rated `goal`. Policies that read no column in common are searched one at a time, each
        for its own outcome, and the two profiles joined row by row (a row that holds none of a policy's columns is
        left out of its cohort functions; the joined profile is evaluated again to be sure): first the outcome that
        exploration reached less often, on any org type, with two thirds of the budget; then the other on the org
        type found; then again without that org type, while the budget lasts. `budget` counts the profiles
        generated: Hypothesis's shrinking of what it finds comes on top, as with its own max_examples."""
        types = list(org_types)
        if not self.space.independent:
            return self.find(types, goal, (0, 1), budget)
        first, second = sorted((0, 1), key=lambda s: sum(n for p, n in self.seen.items() if p[s] == goal[s]))
        spent = 0
        while types and spent < budget:
            allowed, before = max((budget - spent) * 2 // 3, 1), self.tried
            one = self.find(types, goal[first : first + 1], (first,), allowed)
            spent += min(allowed, self.tried - before)
            if one is None:
                return None
            allowed, before = max(budget - spent, 1), self.tried
            other = self.find([one[0]], goal[second : second + 1], (second,), allowed)
            spent += min(allowed, self.tried - before)
            if other is not None:
                rows = zip_longest(one[1], other[1], fillvalue={})
                profile = (one[0], tuple({**x, **y} for x, y in rows))
                if self.rated(profile, (0, 1), goal):
                    return profile
            types.remove(one[0])
        return None

    def witness(self, profile: Profile, goal: tuple[str, str]) -> Witness:
        explanations = []
        for rater in self.raters:
            notes: dict = {}
            frame, values = rater.evaluate(profile, notes)
            explanations.append(explain(rater.compiled, rater.module, frame, values, notes, SUBJECT) or "")
        # each row's cells in the order the policies declare their columns, A's first
        order = list(dict.fromkeys(c.name for program in self.space.programs for c in program.columns))
        present = tuple({name: row[name] for name in order if row.get(name) is not None} for row in profile[1])
        return Witness(profile[0], goal[0], goal[1], self.delta(goal), present, *explanations)


def search(
    a: Compiled,
    b: Compiled,
    *,
    want: tuple[str, str] | None = None,
    max_examples: int = 2000,
    seed: int = 0,
    cohort_size: int = 6,
) -> SearchResult:
    """Profiles that `a` and `b` rate differently. A quarter of the budget explores profiles rated by both; the rest
    finds the simplest profile rated `want` (outcomes as reported, A's then B's), else the most different pair
    reached (exploring costs most: each profile is evaluated by both policies, and has every column of both).
    The same seed gives the same result in the same program (Hypothesis also draws on constants of the local code
    loaded). A search, not a proof: a pair not found may still be reachable."""
    started = time.perf_counter()
    state = _Search(a, b, cohort_size, seed)
    wanted = state.want(want)
    org_types = tuple(t for t in a.program.org_types if t in b.program.org_types)
    most = goal = profile = None
    explored = 0
    if org_types:
        if max_examples // 4:
            state.explore(org_types, max_examples // 4, wanted)
        explored = state.tried
        most = state.most_different(org_types)
        goal = wanted or most
        if goal is not None:
            profile = state.witness_profile(org_types, goal, max_examples - explored)
    witness = state.witness(profile, goal) if profile is not None else None
    return SearchResult(
        state.raters[0].name,
        state.raters[1].name,
        state.raters[0].scale,
        state.raters[1].scale,
        org_types,
        cohort_size,
        seed,
        state.space.independent,
        dict(state.seen),
        explored,
        state.tried,
        state.failed,
        time.perf_counter() - started,
        most,
        goal,
        witness is not None,
        witness,
    )


# ---------------------------------------------------------------- reports


def _cells(row: Row) -> str:
    return ", ".join(f"{name} = {results.csv_text(value)}" for name, value in row.items()) or "(no values)"


def _side(scale: tuple[str, ...], value: str) -> str:
    return f"{value} ({tier(standing(scale.index(value), len(scale)))})"


def _table(result: SearchResult) -> list[str]:
    """The pairs explored, A's outcomes down and B's across, missing last where any was."""
    a_values = [*result.a_scale, *([None] if any(a is None for a, _ in result.pairs_seen) else [])]
    b_values = [*result.b_scale, *([None] if any(b is None for _, b in result.pairs_seen) else [])]
    head = ["", *("missing" if b is None else b for b in b_values)]
    body = [
        [
            "missing" if a is None else a,
            *(f"{result.pairs_seen[a, b]:,}" if (a, b) in result.pairs_seen else "." for b in b_values),
        ]
        for a in a_values
    ]
    widths = [max(len(row[n]) for row in [head, *body]) for n in range(len(head))]
    return [
        "  "
        + "  ".join(
            cell.ljust(w) if n == 0 else cell.rjust(w) for n, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [head, *body]
    ]


def to_text(result: SearchResult, a_name: str, b_name: str) -> str:
    """What was searched, the outcome pairs explored, the most different pair, and the witness with its explanation
    under each policy."""
    lines = [
        "Organisation profiles that A and B rate differently: a search without data, not a proof",
        f"  A  {a_name}: outcome {result.a_outcome}, {' > '.join(result.a_scale)}",
        f"  B  {b_name}: outcome {result.b_outcome}, {' > '.join(result.b_scale)}",
    ]
    if not result.org_types:
        return "\n".join([*lines, "", "A and B rate no org type in common: there is nothing to compare."]) + "\n"
    lines += [
        f"Searched the org types both rate ({', '.join(result.org_types)}), in cohorts of 1 to "
        f"{result.cohort_size} organisations of one type whose first is the subject:",
        f"{result.examples_tried:,} profiles tried in {result.seconds:.1f} s (seed {result.seed}), "
        f"{result.explored:,} of them explored under both policies.",
    ]
    if result.independent:
        lines.append(
            "A and B read no column in common: each side of the witness was searched under its own policy, "
            "and the two joined."
        )
    if result.failed:
        lines.append(f"{result.failed:,} profiles could not be evaluated by one of the policies and were left out.")
    if result.pairs_seen:
        lines += [
            "",
            f"Outcome pairs of the {result.explored:,} profiles explored "
            f"(A's {result.a_outcome} down, B's {result.b_outcome} across):",
            *_table(result),
        ]
    lines.append("")
    if result.most_different is None:
        lines.append("No profile explored was rated by both policies.")
    else:
        a, b = result.most_different
        delta = result.delta(result.most_different)
        way = "the same" if delta == 0 else f"B rates the subject {abs(delta):.2f} {'worse' if delta > 0 else 'better'}"
        lines.append(
            f"Most different pair reached: A = {_side(result.a_scale, a)}, B = {_side(result.b_scale, b)}: "
            f"{way} (standings 0 best to 1 worst)."
        )
    if result.wanted is not None and result.wanted != result.most_different:
        lines.append(f"Searched for: A = {result.wanted[0]}, B = {result.wanted[1]}.")
    if result.wanted is None:
        return "\n".join(lines) + "\n"
    witness = result.witness
    if witness is None:
        lines.append(
            f"No profile found with A = {result.wanted[0]} and B = {result.wanted[1]} in "
            f"{result.examples_tried:,} profiles tried; a search, not a proof."
        )
        return "\n".join(lines) + "\n"
    size = len(witness.rows)
    article = "an" if witness.org_type[:1] in "aeiou" else "a"
    lines += [
        "",
        f"Witness: {article} {witness.org_type} organisation rated {_side(result.a_scale, witness.a_value)} "
        f"by A and {_side(result.b_scale, witness.b_value)} by B, in a cohort of {size}"
        f"{'' if size > 1 else ' (alone)'}; every value not shown is missing:",
        f"  {SUBJECT}  {_cells(witness.subject)}",
    ]
    lines += [f"  {f'peer{n}':<{len(SUBJECT)}}  {_cells(row)}" for n, row in enumerate(witness.peers, 1)]
    for name, policy, text in (("A", a_name, witness.explanation_a), ("B", b_name, witness.explanation_b)):
        lines += ["", f"Under {name} ({policy}):", *("  " + line if line else "" for line in text.rstrip().split("\n"))]
    return "\n".join(lines) + "\n"


def to_json(result: SearchResult) -> str:
    def pair(values: Pair | None) -> dict | None:
        return None if values is None else {"a": values[0], "b": values[1], "delta": result.delta(values)}

    witness = result.witness
    document = {
        "a": {"outcome": result.a_outcome, "scale": list(result.a_scale)},
        "b": {"outcome": result.b_outcome, "scale": list(result.b_scale)},
        "org_types": list(result.org_types),
        "cohort_size": result.cohort_size,
        "seed": result.seed,
        "independent": result.independent,
        "explored": result.explored,
        "examples_tried": result.examples_tried,
        "failed": result.failed,
        "seconds": round(result.seconds, 3),
        "pairs_seen": [{**pair(p), "count": n} for p, n in result.pairs_seen.items()],
        "most_different": pair(result.most_different),
        "wanted": pair(result.wanted),
        "found": result.found,
        "witness": None
        if witness is None
        else {
            "org_type": witness.org_type,
            "a": witness.a_value,
            "b": witness.b_value,
            "delta": witness.delta,
            "rows": [
                {"org": org, "values": row} for org, row in zip(orgs(len(witness.rows)), witness.rows, strict=True)
            ],
            "explanation_a": witness.explanation_a,
            "explanation_b": witness.explanation_b,
        },
    }
    return json.dumps(document, indent=2, allow_nan=False)
