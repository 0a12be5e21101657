"""How sure an outcome is that rests on an average of metric scores: a percentile bootstrap of each organisation's
own scores, as NHS England's league tables give their likely ranges.

In each replicate every organisation's present metric scores are resampled with replacement (as many as it has),
the average recomputed as the policy computes it (its weights and its rounding), and the whole policy evaluated
again with that average given, so that the outcome follows from it by the policy's own rules (cut points, caps,
overrides). The rank is each organisation's place in its cohort group (the cohort and period its scores are ranked
in) by outcome and then average, the better first, ties at the best place, as the league tables rank. The ranges
are the central `level` of the replicates: the average's and the rank's, and each outcome value's share.

Replicates are drawn in blocks of whole arrays, never one at a time in Python; a seed gives the same ranges.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
import numpy as np

from policyc.backend.compile import Compiled
from policyc.backend.frame import Frame, repeated
from policyc.backend.rounding import round_half
from policyc.backend.runtime import Context
from policyc.data import results
from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.ir.nodes import outcome as outcome_of

# Replicates are drawn, and the policy evaluated on them, in blocks of about this many cells (rows times scores).
BLOCK_CELLS = 4_000_000
# And evaluated on at most this many rows at once.
BLOCK_ROWS = 500_000


class NoAverage(ValueError):
    """The outcome rests on no average of metric scores, so there is nothing to resample."""


@attrs.frozen
class Average:
    """The value that averages metric scores: its name, the scores it reads with their weights, and the places it
    is rounded to (None when it is not)."""

    name: str
    scores: tuple[str, ...]
    weights: tuple[float, ...]
    places: int | None
    low_is_better: bool


def average_of(program: ir.Program, outcome: str | None = None) -> Average:
    """The average of metric scores the outcome rests on: of the values on its way that are a mean of scores
    (`round(weighted_mean(metric scores), 2)`, with perhaps values beside them that stand for scores), the one over
    the most. Raises NoAverage where there is none."""
    outcome = outcome or outcome_of(program)
    decls = {d.name: d for d in program.decls}
    found: list[Average] = []
    for name in walk.closure(program, [outcome]):
        decl = decls[name]
        if not isinstance(decl, ir.Derived):
            continue
        expr: ir.Expr = decl.expr
        places = None
        if isinstance(expr, ir.Round):
            places = expr.places
            expr = expr.operand
        if not (isinstance(expr, ir.Aggregate) and expr.kind == "mean" and expr.args):
            continue
        names = [a.name for a in expr.args if isinstance(a, ir.Load)]
        if len(names) != len(expr.args) or not any(isinstance(decls.get(n), ir.Score) for n in names):
            continue
        # the metric scores say which way is better; a value beside them (a score given as an input, a combined
        # score) is taken as a score of theirs, as the mean takes it
        directions = {program.score(n).low_is_better for n in names if isinstance(decls.get(n), ir.Score)}
        if len(directions) != 1 or None in directions:
            continue
        weights = tuple(expr.weights) if expr.weights is not None else (1.0,) * len(names)
        found.append(Average(name, tuple(names), weights, places, bool(directions.pop())))
    if not found:
        raise NoAverage(
            f"`{outcome}` rests on no mean of metric scores that point one way, so there is nothing to resample: "
            "likely ranges need an average such as `average_score = round(mean(metric scores), 2)`"
        )
    return max(found, key=lambda a: len(a.scores))


@attrs.frozen(eq=False)
class LikelyRanges:
    """Per row of the table: the average's central range, the rank and its range, and each outcome value's share
    of the replicates, as columns named for what they describe."""

    average: Average
    outcome: str
    replicates: int
    level: float
    seed: int
    columns: dict[str, np.ndarray]  # float64, NaN where a row has no average
    labels: tuple[str, ...]  # the outcome's values, best first, as the `p_` columns name them
    peers: np.ndarray  # per row, how many rows with an average its group ranks (itself included)
    present: np.ndarray  # per row, how many of the average's scores it has

    @property
    def whole(self) -> dict[str, bool]:
        """The columns, each with whether its numbers are whole (the ranks), as results render them."""
        return {name: name.startswith("rank") for name in self.columns}

    def describe(self, row: int) -> list[str]:
        """The row's likely ranges in words, for its explanation."""
        c = self.columns
        average = c[f"{self.average.name}_low"][row], c[f"{self.average.name}_high"][row]
        if np.isnan(average[0]):
            return [f"likely ranges: none, since the row has no {self.average.name}"]
        shares = [(label, c[f"p_{self.outcome}_{label}"][row]) for label in self.labels]
        return [
            f"likely ranges ({self.level:.0%} of {self.replicates:,} bootstrap replicates of its "
            f"{int(self.present[row])} metric scores, seed {self.seed}):",
            f"  {self.average.name} {average[0]:g} to {average[1]:g}",
            f"  rank {int(c['rank'][row])} of {int(self.peers[row])} in its cohort, likely "
            f"{int(c['rank_low'][row])} to {int(c['rank_high'][row])}",
            f"  {self.outcome}: " + ", ".join(f"{label} {_percent(share)}" for label, share in shares if share > 0),
        ]


def _percent(share: float) -> str:
    """A share as a percentage to one place, never rounded to 0% or 100% when it is neither."""
    if 0 < share < 0.0005:
        return "<0.1%"
    if 0.9995 <= share < 1:
        return ">99.9%"
    return f"{share:.1%}"


def likely_ranges(
    compiled: Compiled,
    module,
    frame: Frame,
    values: dict[str, np.ndarray],
    *,
    replicates: int = 10_000,
    level: float = 0.95,
    seed: int = 0,
    progress: Callable[[int], object] | None = None,
) -> LikelyRanges:
    """The likely ranges of every row's average, rank and outcome, from `replicates` bootstrap replicates.

    `values` are the table's evaluated values (the organisation's own average, outcome and rank come from them);
    `progress`, if given, hears how many replicates are done. Raises NoAverage for an outcome that rests on no
    average of scores, and ValueError for names the results would already use or settings out of range."""
    if replicates < 1:
        raise ValueError("the number of replicates must be at least 1")
    if not 0 < level < 1:
        raise ValueError("the level must be between 0 and 1, such as 0.95")
    program = compiled.program
    outcome = outcome_of(program)
    average = average_of(program, outcome)
    out_type = program.decl(outcome).type
    labels = [results.csv_text(v) for v in _outcome_values(out_type)]
    names = [f"{average.name}_low", f"{average.name}_high", "rank", "rank_low", "rank_high"]
    names += [f"p_{outcome}_{label}" for label in labels]
    taken = sorted(set(names) & {d.name for d in program.decls})
    if taken:
        raise ValueError(f"the policy already names {', '.join(taken)}: the likely ranges would hide it")

    scores = np.column_stack([np.asarray(values[s], dtype=np.float64) for s in average.scores])
    weights = np.asarray(average.weights, dtype=np.float64)
    group = Context(frame, program.cohorts, ()).group
    n, k = scores.shape
    # each row's present scores first, so that a draw of slot j < present reads a present score
    present = (~np.isnan(scores)).sum(axis=1)
    order = np.argsort(np.isnan(scores), axis=1, kind="stable")
    packed = np.take_along_axis(scores, order, axis=1)
    packed_weights = weights[order]
    rated = present > 0

    # A metric read only through its score is the same in every replicate: its score is given, and its raw values
    # left out, so that the replicates do not rank it again.
    read = {name for d in program.decls if isinstance(d, ir.Derived) for name in ir.reads(d)}
    given: dict[str, np.ndarray | None] = {
        d.name: np.asarray(values[d.name], dtype=np.float64)
        for d in program.decls
        if isinstance(d, ir.Score) and d.metric not in read
    }
    given.update({program.score(name).metric: None for name in list(given)})  # None: left out
    equal = bool(np.all(weights == weights[0]))

    rng = np.random.default_rng(seed)
    per_block = max(1, min(BLOCK_CELLS // max(n * k, 1), BLOCK_ROWS // max(n, 1)))
    averages = np.empty((replicates, n))
    positions = np.empty((replicates, n))
    done = 0
    while done < replicates:
        b = min(per_block, replicates - done)
        mean = _means(rng, packed, None if equal else packed_weights, present, b)
        if average.places is not None:
            mean = round_half(mean, average.places)
        averages[done : done + b] = mean
        positions[done : done + b] = _outcomes(module, frame, given, average.name, outcome, mean)
        done += b
        if progress is not None:
            progress(done)

    own_average = np.asarray(values[average.name], dtype=np.float64)
    own_position = np.asarray(values[outcome], dtype=np.float64)
    size = len(labels)
    tail = (1 - level) / 2
    columns: dict[str, np.ndarray] = {}
    low, high = np.full(n, np.nan), np.full(n, np.nan)
    for row in np.flatnonzero(rated):
        exact = _exact_range(packed[row, : present[row]], packed_weights[row, : present[row]], tail)
        if exact is None:  # scores off a decimal lattice, or weighted: the replicates' percentiles
            low[row], high[row] = np.quantile(averages[:, row], [tail, 1 - tail], method="inverted_cdf")
        else:
            low[row], high[row] = exact
    if average.places is not None:
        low, high = round_half(low, average.places), round_half(high, average.places)
    columns[names[0]], columns[names[1]] = low, high
    ranks = _ranks(positions, averages, group, size, average.low_is_better)
    columns["rank"] = _ranks(own_position[None, :], own_average[None, :], group, size, average.low_is_better)[0]
    rank_low = np.quantile(ranks, tail, axis=0, method="inverted_cdf")
    rank_high = np.quantile(ranks, 1 - tail, axis=0, method="inverted_cdf")
    columns["rank_low"] = np.where(rated, rank_low, np.nan)
    columns["rank_high"] = np.where(rated, rank_high, np.nan)
    for code, label in enumerate(labels):
        share = (positions == code).mean(axis=0)
        columns[f"p_{outcome}_{label}"] = np.where(rated, share, np.nan)
    peers = np.bincount(group, weights=rated, minlength=int(group.max()) + 1 if n else 0)[group]
    return LikelyRanges(average, outcome, replicates, level, seed, columns, tuple(labels), peers, present)


def _means(
    rng: np.random.Generator, packed: np.ndarray, weights: np.ndarray | None, present: np.ndarray, b: int
) -> np.ndarray:
    """`b` replicates of each row's mean: as many draws with replacement from its present scores (packed first in
    its row) as it has, weighted by `weights` where they differ. NaN for a row without scores."""
    n, k = packed.shape
    # a draw into slot j counts where j < present; it reads slot floor(u * present), always a present score
    slots = (rng.random((b, n, k)) * present[:, None]).astype(np.int64)
    slots += (np.arange(n) * k)[:, None]
    counted = np.arange(k)[None, :] < present[:, None]
    drawn = packed.ravel()[slots]
    with np.errstate(invalid="ignore", divide="ignore"):
        if weights is None:
            return np.where(counted, drawn, 0.0).sum(axis=2) / present
        w = np.where(counted, weights.ravel()[slots], 0.0)
        return (np.where(counted, drawn, 0.0) * w).sum(axis=2) / w.sum(axis=2)


def _exact_range(scores: np.ndarray, weights: np.ndarray, tail: float) -> tuple[float, float] | None:
    """The `tail` and `1 - tail` quantiles of the mean of `len(scores)` draws with replacement from `scores`, exactly:
    the scores written as whole numbers of a decimal place (at most 4), the distribution of the draws' sum is the
    scores' own distribution convolved with itself once per draw (by Fourier transform). None where the weights
    differ (the mean's denominator then varies with the draw) or the scores are not on such a lattice."""
    k = len(scores)
    if k == 0 or np.any(weights != weights[0]):
        return None
    for places in range(5):
        whole = np.round(scores * 10.0**places)
        if np.all(np.abs(whole - scores * 10.0**places) < 1e-6):
            break
    else:
        return None
    base = int(whole.min())
    steps = (whole - base).astype(np.int64)
    width = int(steps.max()) * k + 1
    if width > 4_000_000:
        return None
    pmf = np.bincount(steps, minlength=int(steps.max()) + 1) / k
    size = 1 << (width - 1).bit_length()
    total = np.fft.irfft(np.fft.rfft(pmf, size) ** k, size)[:width]
    cdf = np.cumsum(np.clip(total, 0.0, None))
    cdf /= cdf[-1]
    # the smallest sum whose cumulative share reaches each quantile, allowing for the transform's rounding
    ends = [int(np.searchsorted(cdf, q - 1e-9)) for q in (tail, 1 - tail)]
    lo, hi = ((base * k + end) / k / 10.0**places for end in ends)
    return lo, hi


def _outcome_values(t) -> list:
    if t.kind in ("labels", "scale"):
        return [results.decode(t, float(code)) for code in range(len(t.labels))]
    if t.kind == "bool":
        return [True, False]
    raise NoAverage("likely ranges give each outcome value's share, so the outcome must be a scale or yes/no")


def _outcomes(
    module, frame: Frame, given: dict[str, np.ndarray | None], average: str, outcome: str, means: np.ndarray
) -> np.ndarray:
    """The outcome (encoded) of every row in every replicate of a block: the policy evaluated on the table repeated
    once per replicate with the replicate's average given, and the values `given` (None: a column left missing).
    The copies are kept apart (`repeated`), so that cohort groups, `previous` and `run` stay within a replicate."""
    b, n = means.shape
    missing = np.full(b * n, np.nan)
    columns = {name: np.tile(column, b) for name, column in frame.columns.items() if name not in given}
    columns.update({name: missing if cells is None else np.tile(cells, b) for name, cells in given.items()})
    columns[average] = means.reshape(-1)
    evaluated = module.evaluate(repeated(frame, b, columns), {})
    return np.asarray(evaluated[outcome], dtype=np.float64).reshape(b, n)


def _ranks(
    positions: np.ndarray, averages: np.ndarray, group: np.ndarray, size: int, low_is_better: bool
) -> np.ndarray:
    """Each row's place in its group in each replicate (rows of `positions` and `averages`): by outcome, best first,
    then by average, the better first; ties share the best place; a row without an average has none."""
    b, n = averages.shape
    rated = ~np.isnan(averages)
    oriented = np.where(rated, averages if low_is_better else -averages, 0.0)
    if not rated.any():
        return np.full((b, n), np.nan)
    lo, hi = float(oriented[rated].min()), float(oriented[rated].max())
    span = hi - lo + 1.0
    outcome = np.where(np.isnan(positions), size, positions)  # no outcome: after every value
    # keys of rated rows lie below span * (size + 1); a row without an average comes after them all
    key = np.where(rated, outcome * span + (oriented - lo), span * (size + 1))
    step = span * (size + 2)  # each replicate's keys lifted clear of the one before's
    ranks = np.full((b, n), np.nan)
    for g in np.unique(group):
        members = np.flatnonzero(group == g)
        keys = key[:, members] + (np.arange(b) * step)[:, None]
        # rows sorted one by one, then lifted, are sorted as one: a search counts what comes before in the row
        ordered = np.sort(keys, axis=1).ravel()
        place = np.searchsorted(ordered, keys.ravel(), side="left").reshape(keys.shape)
        place -= (np.arange(b) * len(members))[:, None]
        ranks[:, members] = place + 1
    return np.where(rated, ranks, np.nan)
