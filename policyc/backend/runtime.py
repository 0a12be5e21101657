"""What generated evaluators import: the table they read, and numpy column operations for each primitive.

Values are float64 columns, one cell per row: a number, yes/no as 1/0, a label or scale value as
its position in its type's labels, NaN for missing (docs/semantics.md).
"""

from __future__ import annotations

import os
import sys

import numpy as np

from .frame import EvalError, Frame
from .ranked import RankedStep, RankingPath, ranking_listing
from .rounding import round_half as round_half  # what generated evaluators call

MISSING = np.nan
INFINITY = np.inf
absolute = np.abs


# ---------------------------------------------------------------- row-wise operations


def column(value, n: int) -> np.ndarray:
    """A value as a whole column (a constant becomes a column of it)."""
    if np.ndim(value) == 0:
        return np.full(n, value, dtype=np.float64)
    return np.asarray(value, dtype=np.float64)


def _missing(*values) -> np.ndarray:
    out = np.isnan(values[0])
    for v in values[1:]:
        out = out | np.isnan(v)
    return out


def div(a, b):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(_missing(a, b) | (b == 0), np.nan, a / np.where(b == 0, 1.0, b))


def _compare(result, a, b):
    return np.where(_missing(a, b), np.nan, result)


def lt(a, b):
    return _compare(a < b, a, b)


def le(a, b):
    return _compare(a <= b, a, b)


def gt(a, b):
    return _compare(a > b, a, b)


def ge(a, b):
    return _compare(a >= b, a, b)


def eq(a, b):
    return _compare(a == b, a, b)


def ne(a, b):
    return _compare(a != b, a, b)


def not_(a):
    return np.where(np.isnan(a), np.nan, a == 0)


def and_(a, b):
    return np.where((a == 0) | (b == 0), 0.0, np.where(_missing(a, b), np.nan, 1.0))


def or_(a, b):
    return np.where((a == 1) | (b == 1), 1.0, np.where(_missing(a, b), np.nan, 0.0))


def is_missing(a):
    return np.isnan(a).astype(np.float64)


def is_present(a):
    return (~np.isnan(a)).astype(np.float64)


def if_missing(a, b):
    return np.where(np.isnan(a), b, a)


def recode(a, codes: tuple[int, ...]):
    table = np.asarray(codes, dtype=np.float64)
    return np.where(np.isnan(a), np.nan, table[np.nan_to_num(a).astype(np.int64)])


def choose(rows, otherwise):
    """A decision table: the first row whose condition is yes; a missing condition before it: missing."""
    result = otherwise
    for condition, value in reversed(rows):
        result = np.where(condition == 1, value, np.where(condition == 0, result, np.nan))
    return result


def step(a, steps: int, size: int):
    return np.where(np.isnan(a), np.nan, np.clip(a + steps, 0, size - 1))


def no_better_than(value, cap, condition):
    return _adjust(condition, value, np.where(_missing(value, cap), np.nan, np.fmax(value, cap)))


def no_worse_than(value, cap, condition):
    return _adjust(condition, value, np.where(_missing(value, cap), np.nan, np.fmin(value, cap)))


def becomes(value, new, condition):
    return _adjust(condition, value, new)


def _adjust(condition, value, adjusted):
    # an unknown condition matters only where the adjustment would change the value
    return np.where(condition == 1, adjusted, np.where((condition == 0) | (adjusted == value), value, np.nan))


def aggregate(kind: str, args, weights=None, n: int = 1):
    """mean, sum, min, max or count over the arguments present, left to right; none present: missing."""
    args = [column(a, n) for a in args]
    if kind in ("min", "max"):
        pick = np.fmin if kind == "min" else np.fmax
        return pick.reduce(args)
    # In place, one argument at a time: over dozens of scores, a fresh temporary per argument costs more than the sums.
    total = np.zeros(n)
    count = np.zeros(n)
    seen = np.zeros(n, dtype=bool)
    gap = np.empty(n, dtype=bool)
    here = np.empty(n, dtype=bool)
    term = np.empty(n)
    for k, a in enumerate(args):
        np.isnan(a, out=gap)
        np.logical_not(gap, out=here)
        seen |= here
        if kind == "count":
            total += a == 1
            continue
        w = 1.0 if weights is None else weights[k]
        if weights is None:
            np.copyto(term, a)
        else:
            np.multiply(a, w, out=term)
        np.copyto(term, 0.0, where=gap)
        total += term
        np.add(count, w, out=count, where=here)
    if kind == "mean":
        with np.errstate(divide="ignore", invalid="ignore"):
            total /= count
    return np.where(seen, total, np.nan)


def worst(args, n: int):
    return np.fmax.reduce([column(a, n) for a in args])


def best(args, n: int):
    return np.fmin.reduce([column(a, n) for a in args])


def bands(values, rows):
    """The result of the first band holding each value: rows of (lower, inclusive, upper, inclusive, result)."""
    out = np.full(values.shape, np.nan)
    free = ~np.isnan(values)
    for lower, lower_inclusive, upper, upper_inclusive, result in rows:
        inside = free.copy()
        if lower is not None:
            inside &= (values >= lower) if lower_inclusive else (values > lower)
        if upper is not None:
            inside &= (values <= upper) if upper_inclusive else (values < upper)
        out[inside] = result
        free &= ~inside
    return out


def mapped(values, scores):
    table = np.asarray(scores, dtype=np.float64)
    return np.where(np.isnan(values), np.nan, table[np.nan_to_num(values).astype(np.int64)])


# ---------------------------------------------------------------- the table: cohorts and periods


def cut_point(ordered: np.ndarray, p: float, method: str) -> float:
    """The `p` cut point of values sorted ascending, by a method of docs/semantics.md."""
    n = len(ordered)
    if n == 0:
        return np.nan
    h = (n + 1) * p - 1 if method == "exclusive" else (n - 1) * p
    h = min(max(h, 0.0), n - 1.0)
    lo, hi = int(np.floor(h)), int(np.ceil(h))
    if method == "lower":
        return float(ordered[lo])
    if method == "higher":
        return float(ordered[hi])
    if method == "nearest":
        return float(ordered[round(h)])
    if method == "midpoint":
        return float((ordered[lo] + ordered[hi]) / 2)
    return float(ordered[lo] + (ordered[hi] - ordered[lo]) * (h - lo))


class Groups:
    """The rows in the groups a cohort function runs over: `group` each row's (from 0), `order` the rows group by
    group, `bounds` where each group starts in `order`; `outside` the rows in no group (their values left out, and
    none given them), or None."""

    def __init__(self, key: np.ndarray, outside: np.ndarray | None = None):
        n = len(key)
        self.group = np.unique(key, return_inverse=True)[1].reshape(-1) if n else np.zeros(0, np.int64)
        self.count = int(self.group.max()) + 1 if n else 0
        self.order = np.argsort(self.group, kind="stable")
        self.bounds = np.searchsorted(self.group[self.order], np.arange(self.count + 1))
        self.outside = outside if outside is not None and outside.any() else None

    def slices(self):
        """Each group's rows, as positions in the table."""
        for g in range(self.count):
            yield self.order[self.bounds[g] : self.bounds[g + 1]]

    def inside(self, values: np.ndarray) -> np.ndarray:
        """The values with those of the rows outside every group left out (missing)."""
        return values if self.outside is None else np.where(self.outside, np.nan, values)


class Context:
    """One evaluation: the frame, its cohort groups, and each row's previous period."""

    def __init__(self, frame: Frame, cohorts: tuple[int, ...], sources: tuple, notes: dict | None = None):
        self.frame = frame
        self.notes = notes
        self.n = frame.n
        self.sources = sources
        self.step = 0
        self.org_type = frame.org_type.astype(np.float64)
        self.cohort = np.asarray(cohorts, dtype=np.int64)[frame.org_type] if self.n else np.zeros(0, np.int64)
        self.periods = 1
        self.period_index = np.zeros(self.n, dtype=np.int64)
        if frame.period is not None and self.n:
            _, period = np.unique(frame.period, return_inverse=True)
            self.period_index = period.reshape(-1).astype(np.int64)
            self.periods = int(period.max()) + 1
        own = Groups(self.cohort * self.periods + self.period_index)
        self.group, self.groups, self.order, self.bounds = own.group, own.count, own.order, own.bounds
        self.own = own
        self._all: Groups | None = None
        self._previous: np.ndarray | None = None
        self._applies: dict[tuple[int, ...], np.ndarray | None] = {}  # the rows a column applies to; None: all
        self._ranked: RankedStep | None = None

    def fail(self, error: Exception) -> EvalError:
        """Any failure during evaluation, with the policy line of the step that was running."""
        where = self.sources[self.step] if self.sources else None
        if isinstance(error, EvalError):
            if error.where is None:
                error.where = where
            return error
        return EvalError(f"internal error: {type(error).__name__}: {error}", None, where)

    def note(self, step: int, condition, before):
        """An adjustment's condition and the value before it, kept for an explanation when one was asked for."""
        if self.notes is not None:
            self.notes[step] = (column(condition, self.n), column(before, self.n))
        return condition

    # ------------------------------------------------------------ columns

    def column(self, name: str, applies: tuple[int, ...], default: float | None = None) -> np.ndarray:
        """An input's cells on the rows it applies to (missing elsewhere); an empty cell reads as `default`."""
        cells = self.frame.columns.get(name)
        if cells is None:
            if default is None:
                return np.full(self.n, np.nan)
            cells = np.full(self.n, np.nan)
        if default is not None:
            cells = np.where(np.isnan(cells), float(default), cells)
        if applies not in self._applies:
            allowed = np.zeros(int(self.frame.org_type.max(initial=0)) + 1, dtype=bool)
            allowed[[a for a in applies if a < allowed.size]] = True
            self._applies[applies] = None if allowed.all() else allowed[self.frame.org_type]
        rows = self._applies[applies]
        return np.array(cells, dtype=np.float64) if rows is None else np.where(rows, cells, np.nan)

    def given(self, name: str, computed) -> np.ndarray:
        """A computed value, replaced where the table gives the value itself."""
        computed = column(computed, self.n)
        cells = self.frame.columns.get(name)
        return computed if cells is None else np.where(np.isnan(cells), computed, cells)

    def cast(self, values, numbers: tuple[float, ...], scale: str, step: int) -> np.ndarray:
        values = column(values, self.n)
        out = np.full(self.n, np.nan)
        for position, number in enumerate(numbers):
            out[values == number] = position
        bad = np.flatnonzero(~np.isnan(values) & np.isnan(out))
        if bad.size:
            row = int(bad[0])
            shown = ", ".join(format(x, "g") for x in numbers)
            raise EvalError(
                f"{format(values[row], 'g')} is not a value of scale `{scale}` ({shown})", row, self.sources[step]
            )
        return out

    # ------------------------------------------------------------ cohorts

    def within(self, by=None) -> Groups:
        """The groups of `within:` in each period: every organisation (`by` None), or those with the same value of
        `by`; a row whose `by` is missing is in none."""
        if by is None:
            if self._all is None:
                self._all = Groups(self.period_index)
            return self._all
        by = column(by, self.n)
        missing = np.isnan(by)
        code = np.unique(np.where(missing, -1.0, by), return_inverse=True)[1].reshape(-1) if self.n else by
        return Groups(code * self.periods + self.period_index, missing)

    def slices(self):
        """Each cohort group's rows, as positions in the table."""
        return self.own.slices()

    def _groups(self, values, within: Groups | None) -> tuple[np.ndarray, Groups]:
        g = self.own if within is None else within
        return g.inside(column(values, self.n)), g

    @staticmethod
    def _sums(values, g: Groups):
        present = ~np.isnan(values)
        count = np.bincount(g.group[present], minlength=g.count).astype(np.float64)
        total = np.bincount(g.group[present], weights=values[present], minlength=g.count)
        return total, count

    def cohort_mean(self, values, within: Groups | None = None) -> np.ndarray:
        values, g = self._groups(values, within)
        total, count = self._sums(values, g)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(count > 0, total / count, np.nan)
        return g.inside(mean[g.group])

    def cohort_sd(self, values, within: Groups | None = None) -> np.ndarray:
        values, g = self._groups(values, within)
        mean = self.cohort_mean(values, g)
        deviation, count = self._sums(np.square(values - mean), g)
        with np.errstate(divide="ignore", invalid="ignore"):
            sd = np.where(count > 1, np.sqrt(deviation / (count - 1)), np.nan)
        return g.inside(sd[g.group])

    def relative(self, values, k: float, below: bool) -> np.ndarray:
        mean, sd = self.cohort_mean(values), self.cohort_sd(values)
        fails = values < mean - k * sd if below else values > mean + k * sd
        return np.where(np.isnan(values) | np.isnan(sd), np.nan, ~fails)

    def rank(self, values, within: Groups | None = None) -> np.ndarray:
        values, g = self._groups(values, within)
        out = np.full(self.n, np.nan)
        for rows in g.slices():
            v = values[rows]
            ordered = np.sort(v[~np.isnan(v)])
            out[rows] = np.where(np.isnan(v), np.nan, np.searchsorted(ordered, v, side="left") + 1.0)
        return out

    def percentile_rank(self, values, within: Groups | None = None) -> np.ndarray:
        values, g = self._groups(values, within)
        rank = self.rank(values, g)
        count = np.bincount(g.group[~np.isnan(values)], minlength=g.count)[g.group].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(count > 1, (rank - 1) / (count - 1) * 100, np.where(np.isnan(rank), np.nan, 0.0))

    def _cuts(self, values, ps: tuple[float, ...], method: str, within: Groups | None):
        values, g = self._groups(values, within)
        for rows in g.slices():
            v = values[rows]
            ordered = np.sort(v[~np.isnan(v)])
            yield rows, v, [cut_point(ordered, p, method) for p in ps]

    def quantile(self, values, p: float, method: str, within: Groups | None = None) -> np.ndarray:
        out = np.full(self.n, np.nan)
        for rows, _, (cut,) in self._cuts(values, (p,), method, within):
            out[rows] = cut
        return out if within is None else within.inside(out)

    def quartile(self, values, method: str, within: Groups | None = None) -> np.ndarray:
        out = np.full(self.n, np.nan)
        for rows, v, (q1, q2, q3) in self._cuts(values, (0.25, 0.5, 0.75), method, within):
            out[rows] = np.where(
                np.isnan(v), np.nan, np.where(v <= q1, 1.0, np.where(v <= q2, 2.0, np.where(v <= q3, 3.0, 4.0)))
            )
        return out

    def ranked(self, values, higher, standard, floor) -> list[np.ndarray]:
        """The standard model, metric by metric (docs/semantics.md, Scoring metrics): see `ranked.RankedStep`.

        `self.ranking` keeps the path each cohort group took and why, and POLICYC_DEBUG_RANKING=1 prints it.
        """
        step = RankedStep(self.n, self.group, self.order, self.bounds, self.cohort, self.frame.period)
        scores = step.score([column(v, self.n) for v in values], higher, standard, floor)
        self._ranked = step
        if os.environ.get("POLICYC_DEBUG_RANKING"):
            print(self.ranking_listing(), file=sys.stderr)
        return scores

    @property
    def ranking(self) -> list[RankingPath]:
        """The path each ranked metric took in each cohort group, and why (empty before the ranked step)."""
        return [] if self._ranked is None else self._ranked.paths

    def ranking_listing(self) -> str:
        """The ranked step's paths: one line per ranked metric (by position, in declaration order) and cohort group."""
        return ranking_listing(self.ranking, self.order, self.bounds, self.cohort, self.frame.period)

    # ------------------------------------------------------------ periods

    @property
    def previous_row(self) -> np.ndarray:
        """Each row's row in the period before, of the same organisation; -1 where there is none."""
        if self._previous is None:
            out = np.full(self.n, -1, dtype=np.int64)
            if self.frame.period is not None and self.n:
                _, org = np.unique(np.asarray(self.frame.org, dtype=object), return_inverse=True)
                span = int(self.frame.period.max() - self.frame.period.min()) + 2
                key = org.astype(np.int64) * span + (self.frame.period - self.frame.period.min())
                order = np.argsort(key, kind="stable")
                wanted = np.searchsorted(key[order], key - 1)
                found = wanted < self.n
                hit = np.zeros(self.n, dtype=bool)
                hit[found] = key[order][wanted[found]] == key[found] - 1
                out[hit] = order[wanted[hit]]
            self._previous = out
        return self._previous

    def previous(self, values) -> np.ndarray:
        values = column(values, self.n)
        prev = self.previous_row
        return np.where(prev >= 0, values[np.maximum(prev, 0)] if self.n else values, np.nan)

    def run(self, condition) -> np.ndarray:
        condition = column(condition, self.n)
        out = np.full(self.n, np.nan)
        if self.frame.period is None:
            return np.where(condition == 1, 1.0, np.where(condition == 0, 0.0, np.nan))
        prev = self.previous_row
        for period in np.unique(self.frame.period):
            rows = np.flatnonzero(self.frame.period == period)
            before = np.where(prev[rows] >= 0, out[np.maximum(prev[rows], 0)], np.nan)
            carried = 1.0 + np.where(np.isnan(before), 0.0, before)
            c = condition[rows]
            out[rows] = np.where(c == 1, carried, np.where(c == 0, 0.0, np.nan))
        return out
