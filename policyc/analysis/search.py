"""Two policies compared without data: a search of organisation profiles for those they rate most differently."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from itertools import zip_longest
from random import Random

import hypothesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings, target
from hypothesis.errors import NoSuchExample

from policyc.analysis.compare import standing
from policyc.analysis.explain import explain
from policyc.analysis.profiles import SUBJECT, Pair, Profile, Row, Space, profile_frame, together
from policyc.analysis.witness import SearchResult, Witness, standing_delta, to_json, to_text
from policyc.backend import runtime
from policyc.backend.compile import Compiled
from policyc.data import results
from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.ir.nodes import outcome
from policyc.syntax.text import printable

# What the command line reads here: the search, and its result as text and JSON.
__all__ = ["SearchResult", "Witness", "search", "to_json", "to_text"]


class _Rater:
    """One policy's outcome for the subject of a profile."""

    def __init__(self, compiled: Compiled):
        self.compiled = compiled
        self.module = compiled.module()
        self.name = outcome(compiled.program)
        self.type = compiled.program.decl(self.name).type
        if self.type.kind != "scale":
            raise ValueError(
                f"policy `{printable(compiled.program.name)}`: its outcome `{self.name}` is {self.type}, not a "
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

    def __init__(
        self, a: Compiled, b: Compiled, cohort_size: int, number: int, progress: Callable[[int], object] | None = None
    ):
        self.progress = progress
        self.raters = (_Rater(a), _Rater(b))
        self.space = Space(a.program, b.program, cohort_size)
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
                    f"`{printable(value)}` is not a value of the {which} policy's outcome `{rater.name}`: "
                    f"one of {', '.join(rater.scale)}"
                )
        return pair

    def rate(self, profile: Profile, sides: tuple[int, ...]) -> tuple[tuple[str | None, ...], ...] | None:
        """The ratings under the policies `sides`; None when one cannot evaluate the profile."""
        self.tried += 1
        if self.progress is not None:
            self.progress(self.tried)
        try:
            return tuple(self.raters[side].rate(profile) for side in sides)
        except runtime.EvalError:
            self.failed += 1
            return None

    def rated(self, profile: Profile, sides: tuple[int, ...], goal: tuple[str, ...]) -> bool:
        ratings = self.rate(profile, sides)
        return ratings is not None and tuple(x[0] for x in ratings) == goal

    def delta(self, pair: tuple[str, str]) -> float:
        return standing_delta(pair, self.raters[0].scale, self.raters[1].scale)

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
            a, b = pair
            if a is not None and b is not None:
                delta = self.delta((a, b))
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
        pairs = {(x, y) for x, y in self.seen if x is not None and y is not None}
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
        kept: list[Row] = [{k: v for k, v in row.items() if k in names and v is not None} for row in rows]

        def holds(trial: list[Row]) -> bool:
            return self.rated((org_type, tuple(trial)), sides, goal)

        def without_peers() -> None:
            for n in reversed(range(1, len(kept))):
                if holds(kept[:n] + kept[n + 1 :]):
                    del kept[n]

        without_peers()
        for group in [g for program in programs for g in together(program)] + [{name} for name in names]:
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
                empty: Row = {}
                rows = zip_longest(one[1], other[1], fillvalue=empty)
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


def parse_want(text: str) -> tuple[str, str]:
    """Two outcomes written `A,B` (A's, then B's), as `search` wants them; ValueError quoting the text otherwise."""
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 2 or not all(parts):
        raise ValueError(
            f"--want takes two outcomes separated by a comma (A's, then B's), e.g. performing,4; got `{text}`"
        )
    return parts[0], parts[1]


def search(
    a: Compiled,
    b: Compiled,
    *,
    want: tuple[str, str] | None = None,
    max_examples: int = 2000,
    seed: int = 0,
    cohort_size: int = 6,
    progress: Callable[[int], object] | None = None,
) -> SearchResult:
    """Profiles that `a` and `b` rate differently. A quarter of the budget explores profiles rated by both; the rest
    finds the simplest profile rated `want` (outcomes as reported, A's then B's), else the most different pair
    reached (exploring costs most: each profile is evaluated by both policies, and has every column of both).
    The same seed gives the same result in the same program (Hypothesis also draws on constants of the local code
    loaded). A search, not a proof: a pair not found may still be reachable. `progress`, if given, hears how
    many profiles have been tried as each is (about `max_examples` in all)."""
    started = time.perf_counter()
    state = _Search(a, b, cohort_size, seed, progress)
    wanted = state.want(want)
    org_types = tuple(t for t in a.program.org_types if t in b.program.org_types)
    most = goal = witness = None
    explored = 0
    if org_types:
        if max_examples // 4:
            state.explore(org_types, max_examples // 4, wanted)
        explored = state.tried
        most = state.most_different(org_types)
        goal = wanted or most
        if goal is not None:
            profile = state.witness_profile(org_types, goal, max_examples - explored)
            if profile is not None:
                witness = state.witness(profile, goal)
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
        state.raters[0].type.tiers,
        state.raters[1].type.tiers,
    )
