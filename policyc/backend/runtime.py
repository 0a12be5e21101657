"""What generated evaluators import: the table they read, and numpy column operations for each primitive.

Values are float64 columns, one cell per row: a number, yes/no as 1/0, a label or scale value as
its position in its type's labels, NaN for missing (docs/semantics.md).
"""

from __future__ import annotations

import os
import sys
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from decimal import Context as DecimalContext
from typing import NamedTuple

import numpy as np

from .frame import EvalError, Frame

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


# Decimal places kept below the rounding position, to absorb the binary error of the arithmetic before.
GUARD = 6


def round_half(a, places: int):
    """Half away from zero, on each value written to `places + GUARD` decimal places (docs/semantics.md)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        return float(round_half(a.reshape(1), places)[0])
    scale = 10.0**places
    # In place where it can be: on a block of scores, every temporary costs as much as the arithmetic.
    with np.errstate(over="ignore", invalid="ignore"):  # too large to scale: settled in decimal below
        fraction = np.abs(a) * scale
        whole = np.floor(fraction)
        fraction -= whole
        out = whole + (fraction >= 0.5)
        out /= scale
        np.copysign(out, a, out=out)
        # Within the guard digits of a half, or too large to scale, a value is settled in decimal.
        fraction -= 0.5
        np.abs(fraction, out=fraction)
        whole *= 1e-12
        whole += 10.0**-GUARD
        near = np.flatnonzero(~(fraction > whole) & ~np.isnan(a))
    if places + GUARD > 22:
        near = np.flatnonzero(~np.isnan(a))
    if near.size:
        settled, unsure = _round_near(a.flat[near], places)
        out.flat[near] = settled
        for i in near[unsure]:
            out.flat[i] = _round_decimal(float(a.flat[i]), places)
    return out


def _round_near(x: np.ndarray, places: int) -> tuple[np.ndarray, np.ndarray]:
    """The guarded decimal as an integer, rounded half up in integer arithmetic; with a mask of the values
    this cannot settle exactly (left to `_round_decimal`)."""
    with np.errstate(invalid="ignore", over="ignore"):
        lifted = np.abs(x) * 10.0 ** (places + GUARD)
        whole = np.rint(lifted)
        # Exact below 2**53, unless the first digit past the guard is itself about 5.
        exact = (lifted < 2.0**53) & (np.abs(lifted - np.floor(lifted) - 0.5) > 1e-3) & (places + GUARD <= 22)
        step = 10**GUARD
        rounded = (np.where(exact, whole, 0).astype(np.int64) + step // 2) // step
        settled = np.copysign(rounded / 10.0**places, x)
    return settled, ~exact


def _round_decimal(x: float, places: int) -> float:
    if not np.isfinite(x):
        return x
    context = DecimalContext(prec=800)  # enough digits for any double; the default 28 refuses 1e30 to 2 places
    guarded = Decimal(x).quantize(Decimal(1).scaleb(-(places + GUARD)), rounding=ROUND_HALF_EVEN, context=context)
    return float(guarded.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=context))


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


# ---------------------------------------------------------------- ranking

# The most decimal places a key may have to be ranked by counting.
COUNT_PLACES = 6
# Keys a guess at the decimal places is made from.
SAMPLE = 1024
# Bins a histogram of codes may have beyond one per row; a wider span of codes is sorted instead.
COUNT_SLACK = 1 << 16
# Codes, and the bin arithmetic on them, are exact in a double below 2**53.
LARGEST_CODE = 2.0**53
# The most ranked values, less one (m = n - 1), for which `lo + (hi - lo) * r / m` rounds to 2 places the
# same in integers: the quotient is either on a half or at least 1 / (200 m) from one, farther than the
# 6 guard places (5e-9) and the double's error (under 1e-15) together can move it.
EXACT_ROUNDING = 999_998


class RankingPath(NamedTuple):
    """How the ranked step scored one metric in one cohort group."""

    metric: int  # position among the ranked metrics, in declaration order
    group: int  # the cohort group: a cohort, in one period when the table has periods
    rows: int
    ranked: int  # rows with a value that neither meets the standard nor fails the floor
    path: str  # "counting" or "sorting"
    reason: str
    rounding: str


class _Model(NamedTuple):
    higher: bool
    standard: float | None
    floor: float | None

    @property
    def lo(self) -> float:
        return 1.0 if self.standard is None else 2.0

    @property
    def hi(self) -> float:
        return 4.0 if self.floor is None else 3.0

    def met(self, v: np.ndarray) -> np.ndarray:
        if self.standard is None:
            return np.zeros(v.shape, dtype=bool)
        return v >= self.standard if self.higher else v <= self.standard

    def failed(self, v: np.ndarray) -> np.ndarray:
        if self.floor is None:
            return np.zeros(v.shape, dtype=bool)
        return v < self.floor if self.higher else v > self.floor


class _Codes(NamedTuple):
    places: int | None  # None: no group is counted
    scale: float  # 10 ** places
    low: float  # the smallest code counted
    span: int  # codes counted, from `low`
    sorting: dict[int, str]  # the groups to sort, each with the reason
    reason: str  # why the others are counted


class _Scratch:
    """The ranked step's temporaries, one column each, reused by every metric."""

    def __init__(self, n: int):
        self.codes = np.empty(n)
        self.check = np.empty(n)
        self.exact = np.empty(n, dtype=bool)
        self.missing = np.empty(n, dtype=bool)
        self.bins = np.empty(n, dtype=np.intp)


def _places(keys: np.ndarray, start: int) -> int:
    """The fewest decimal places from `start` at which every key is exact, or COUNT_PLACES."""
    with np.errstate(over="ignore", invalid="ignore"):
        for places in range(start, COUNT_PLACES):
            scale = 10.0**places
            if np.all(np.rint(keys * scale) / scale == keys):
                return places
    return COUNT_PLACES


def _code(values: np.ndarray, places: int, s: _Scratch) -> int:
    """Codes of `values` to `places` into `s.codes`, whether each is exact into `s.exact`; how many are."""
    scale = 10.0**places
    with np.errstate(over="ignore", invalid="ignore"):
        np.multiply(values, scale, out=s.codes)
        np.rint(s.codes, out=s.codes)
        np.divide(s.codes, scale, out=s.check)
    np.equal(s.check, values, out=s.exact)
    return int(np.count_nonzero(s.exact))


def _bounds(codes: np.ndarray, counted: np.ndarray | None) -> tuple[float, float]:
    """The least and greatest code, of the `counted` rows or else of all but the NaN; inf and -inf when none."""
    if counted is None:
        return float(np.fmin.reduce(codes, initial=np.inf)), float(np.fmax.reduce(codes, initial=-np.inf))
    low = np.fmin.reduce(codes, where=counted, initial=np.inf)
    return float(low), float(np.fmax.reduce(codes, where=counted, initial=-np.inf))


def spread(r, ranked, lo: float, hi: float) -> np.ndarray:
    """`round(lo + (hi - lo) * r / (n - 1), 2)` for `r` (how many are better) of `n` ranked, and `lo` when `n` is 1.

    The rounding is exact in integers, to the same double, up to EXACT_ROUNDING; larger cohorts round the
    double as `round` does.
    """
    r = np.asarray(r, dtype=np.int64)
    n = np.asarray(ranked, dtype=np.int64)
    m = np.maximum(n - 1, 1)
    hundredths = 100 * int(lo) + (200 * int(hi - lo) * r + m) // (2 * m)
    out = hundredths / 100.0
    decimal = n - 1 > EXACT_ROUNDING
    if decimal.any():
        with np.errstate(divide="ignore", invalid="ignore"):
            guarded = round_half(lo + (hi - lo) * r.astype(np.float64) / (n - 1).astype(np.float64), 2)
        out = np.where(decimal, guarded, out)
    return np.where(n > 1, out, lo)


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
        if frame.period is not None and self.n:
            _, period = np.unique(frame.period, return_inverse=True)
            key = self.cohort * (int(period.max()) + 1) + period
        else:
            key = self.cohort
        _, self.group = np.unique(key, return_inverse=True)
        self.groups = int(self.group.max()) + 1 if self.n else 0
        self.order = np.argsort(self.group, kind="stable")
        self.bounds = np.searchsorted(self.group[self.order], np.arange(self.groups + 1))
        self._previous: np.ndarray | None = None
        self._group_number: np.ndarray | None = None
        self._applies: dict[tuple[int, ...], np.ndarray | None] = {}  # the rows a column applies to; None: all
        self.ranking: list[RankingPath] = []

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

    def column(self, name: str, applies: tuple[int, ...]) -> np.ndarray:
        cells = self.frame.columns.get(name)
        if cells is None:
            return np.full(self.n, np.nan)
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

    def slices(self):
        """Each cohort group's rows, as positions in the table."""
        for g in range(self.groups):
            yield self.order[self.bounds[g] : self.bounds[g + 1]]

    def _sums(self, values):
        present = ~np.isnan(values)
        count = np.bincount(self.group[present], minlength=self.groups).astype(np.float64)
        total = np.bincount(self.group[present], weights=values[present], minlength=self.groups)
        return total, count

    def cohort_mean(self, values) -> np.ndarray:
        values = column(values, self.n)
        total, count = self._sums(values)
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(count > 0, total / count, np.nan)
        return mean[self.group]

    def cohort_sd(self, values) -> np.ndarray:
        values = column(values, self.n)
        mean = self.cohort_mean(values)
        deviation, count = self._sums(np.square(values - mean))
        with np.errstate(divide="ignore", invalid="ignore"):
            sd = np.where(count > 1, np.sqrt(deviation / (count - 1)), np.nan)
        return sd[self.group]

    def relative(self, values, k: float, below: bool) -> np.ndarray:
        mean, sd = self.cohort_mean(values), self.cohort_sd(values)
        fails = values < mean - k * sd if below else values > mean + k * sd
        return np.where(np.isnan(values) | np.isnan(sd), np.nan, ~fails)

    def rank(self, values) -> np.ndarray:
        values = column(values, self.n)
        out = np.full(self.n, np.nan)
        for rows in self.slices():
            v = values[rows]
            ordered = np.sort(v[~np.isnan(v)])
            out[rows] = np.where(np.isnan(v), np.nan, np.searchsorted(ordered, v, side="left") + 1.0)
        return out

    def percentile_rank(self, values) -> np.ndarray:
        values = column(values, self.n)
        rank = self.rank(values)
        count = np.bincount(self.group[~np.isnan(values)], minlength=self.groups)[self.group].astype(np.float64)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(count > 1, (rank - 1) / (count - 1) * 100, np.where(np.isnan(rank), np.nan, 0.0))

    def _cuts(self, values, ps: tuple[float, ...], method: str):
        values = column(values, self.n)
        for rows in self.slices():
            v = values[rows]
            ordered = np.sort(v[~np.isnan(v)])
            yield rows, v, [cut_point(ordered, p, method) for p in ps]

    def quantile(self, values, p: float, method: str) -> np.ndarray:
        out = np.full(self.n, np.nan)
        for rows, _, (cut,) in self._cuts(values, (p,), method):
            out[rows] = cut
        return out

    def quartile(self, values, method: str) -> np.ndarray:
        out = np.full(self.n, np.nan)
        for rows, v, (q1, q2, q3) in self._cuts(values, (0.25, 0.5, 0.75), method):
            out[rows] = np.where(
                np.isnan(v), np.nan, np.where(v <= q1, 1.0, np.where(v <= q2, 2.0, np.where(v <= q3, 3.0, 4.0)))
            )
        return out

    def ranked(self, values, higher, standard, floor) -> list[np.ndarray]:
        """The standard model, metric by metric (docs/semantics.md, Scoring metrics).

        Each cohort group is ranked by counting where its keys allow, else by sorting (`_codes` says which);
        `self.ranking` keeps the path each took and why, and POLICYC_DEBUG_RANKING=1 prints it. The scratch
        columns serve every metric: past 32 MB a fresh temporary is a fresh mapping of memory, and touching
        its pages costs more than the arithmetic on them.
        """
        scratch = _Scratch(self.n)
        self.ranking = []
        scores = [
            self._ranked(k, column(v, self.n), _Model(h, s, f), scratch)
            for k, (v, h, s, f) in enumerate(zip(values, higher, standard, floor, strict=True))
        ]
        if os.environ.get("POLICYC_DEBUG_RANKING"):
            print(self.ranking_listing(), file=sys.stderr)
        return scores

    def ranking_listing(self) -> str:
        """The ranked step's paths: one line per ranked metric (by position, in declaration order) and cohort group."""
        return "\n".join(
            f"ranked metric {p.metric + 1}, {self._group_name(p.group)}: {p.rows:,} rows, {p.ranked:,} ranked; "
            f"{p.path}, {p.reason}; rounded {p.rounding}"
            for p in self.ranking
        )

    def _group_name(self, group: int) -> str:
        row = int(self.order[self.bounds[group]])
        name = f"cohort {int(self.cohort[row])}"
        if self.frame.period is None:
            return name
        year, quarter = divmod(int(self.frame.period[row]), 4)
        return f"{name} in {year}Q{quarter + 1}"

    def _ranked(self, metric: int, values: np.ndarray, model: _Model, s: _Scratch) -> np.ndarray:
        codes = self._codes(values, s)
        if codes.places is None:
            scores = np.full(self.n, np.nan)
            ranked = np.zeros(self.groups, dtype=np.int64)
        else:
            scores, ranked = self._rank_by_counting(values, model, codes, s)
        for g in codes.sorting:
            ranked[g] = self._rank_by_sorting(values, model, g, scores)
        for g in range(self.groups):
            if g in codes.sorting:
                path, reason = "sorting", codes.sorting[g]
            else:
                path, reason = "counting", codes.reason
            n = int(ranked[g])
            rounding = "in integers" if n - 1 <= EXACT_ROUNDING else f"in decimal: over {EXACT_ROUNDING + 1:,} ranked"
            rows = int(self.bounds[g + 1] - self.bounds[g])
            self.ranking.append(RankingPath(metric, g, rows, n, path, reason, rounding))
        return scores

    def _codes(self, values: np.ndarray, s: _Scratch) -> _Codes:
        """Each key as an integer code, `key * 10**places` (in `s.codes`), where every key of a cohort group
        is exactly such a code over 10**places: then codes order the keys as the keys do, ties included, and a
        histogram of them ranks the group. Groups whose keys are not, or whose codes would not fit, are sorted."""
        np.isnan(values, out=s.missing)
        present = self.n - int(np.count_nonzero(s.missing))
        sorting: dict[int, str] = {}
        # The places are guessed from a sample, then from the keys a guess leaves inexact, and each guess is
        # checked on every key: one check for most columns, and never more places than the counted keys need.
        sample = values[:: max(1, self.n // SAMPLE)]
        places = _places(sample[~np.isnan(sample)], 0)
        while True:
            exact = _code(values, places, s)
            if exact == present:
                break
            inexact = ~s.exact & ~s.missing
            if sorting:
                inexact &= ~self._in_groups(sorting)
            if not inexact.any():
                break
            if places < COUNT_PLACES:
                places = _places(values[inexact][:SAMPLE], places + 1)
                continue
            for g, row in self._first_in_groups(inexact):
                sorting[g] = f"a key with more than {COUNT_PLACES} decimal places ({float(values[row])!r})"
            if len(sorting) == self.groups:
                return _Codes(None, 1.0, 0.0, 0, sorting, "")
            # the other groups may need fewer places
            rest = values[~s.missing & ~self._in_groups(sorting)]
            places = _places(rest[:: max(1, len(rest) // SAMPLE)], 0)
        low, high = _bounds(s.codes, self._counted(sorting, s))
        if low <= high and not max(-low, high) < LARGEST_CODE:
            too_large = ~(np.abs(s.codes) < LARGEST_CODE) & ~s.missing & ~self._in_groups(sorting)
            for g, row in self._first_in_groups(too_large):
                sorting[g] = f"a key too large to count ({float(values[row])!r})"
            low, high = _bounds(s.codes, self._counted(sorting, s))
        if len(sorting) == self.groups:
            return _Codes(None, 1.0, 0.0, 0, sorting, "")
        span = int(high - low) + 1 if low <= high else 0  # no values to count: only the bin of the missing
        if span * self.groups > self.n + COUNT_SLACK:
            why = f"keys to {places} places span {span:,} codes, more bins than {self.n + COUNT_SLACK:,}"
            return _Codes(None, 1.0, 0.0, 0, {g: sorting.get(g, why) for g in range(self.groups)}, "")
        places_named = f"{places} decimal place{'' if places == 1 else 's'}"
        return _Codes(places, 10.0**places, low, span, sorting, f"keys exact to {places_named}, {span:,} codes")

    def _first_in_groups(self, rows: np.ndarray) -> list[tuple[int, int]]:
        """The groups that hold any of `rows` (a mask), each with its first such row."""
        where = np.flatnonzero(rows)
        groups, first = np.unique(self.group[where], return_index=True)
        return [(int(g), int(where[i])) for g, i in zip(groups, first, strict=True)]

    def _counted(self, sorting: dict[int, str], s: _Scratch) -> np.ndarray | None:
        """The rows whose codes are counted, when not all of them are (a missing key has a NaN code)."""
        return ~s.missing & ~self._in_groups(sorting) if sorting else None

    def _in_groups(self, groups) -> np.ndarray:
        chosen = np.zeros(self.groups, dtype=bool)
        chosen[list(groups)] = True
        return chosen[self.group]

    def _rank_by_counting(self, values, model: _Model, codes: _Codes, s: _Scratch) -> tuple[np.ndarray, np.ndarray]:
        """Scores of the counted groups, and how many each ranked: a histogram of (code, group), a running count
        along the codes for `r`, and each bin's score, taken by every row of the bin."""
        groups, span = self.groups, codes.span
        bins = s.codes  # the code, then the bin in place: (code - low) * groups + group
        bins -= codes.low
        if groups > 1:
            bins *= groups
            bins += self.group_number
        missing = span * groups  # the last bin, past every code: rows without a value, or in a sorted group
        np.fmin(bins, missing, out=bins)  # NaN becomes the missing bin
        if codes.sorting:
            bins[self._in_groups(codes.sorting)] = missing
        s.bins[...] = bins
        counts = np.bincount(s.bins, minlength=missing + 1)[:missing].reshape(span, groups)
        # Each code's key, by the same division that proved the keys' codes: the keys themselves.
        keys = (codes.low + np.arange(span)) / codes.scale
        met, failed = model.met(keys), model.failed(keys)
        counts[met | failed] = 0
        ranked = counts.sum(axis=0)
        at_most = np.cumsum(counts, axis=0)
        r = ranked - at_most if model.higher else at_most - counts  # how many are strictly better
        table = np.empty(missing + 1)
        scored = table[:missing].reshape(span, groups)
        scored[...] = spread(r, ranked, model.lo, model.hi)
        scored[met] = 1.0
        scored[failed] = 4.0
        table[missing] = np.nan
        return np.take(table, s.bins), ranked

    def _rank_by_sorting(self, values, model: _Model, group: int, scores: np.ndarray) -> int:
        """One group's scores by sorting its keys, into `scores`; how many it ranked."""
        rows = self.order[self.bounds[group] : self.bounds[group + 1]]
        v = values[rows]
        met, failed, missing = model.met(v), model.failed(v), np.isnan(v)
        excluded = met | failed | missing
        key = -v if model.higher else v.copy()  # ascending key: best first
        key[excluded] = np.inf  # sorting is several times faster without NaN; these rows are masked below
        order = np.argsort(key)
        ordered = key[order]
        starts = np.ones(len(rows), dtype=bool)
        starts[1:] = ordered[1:] != ordered[:-1]
        # r, how many are strictly better: the position where each cluster of ties starts
        better = np.maximum.accumulate(np.where(starts, np.arange(len(rows)), 0))
        r = np.empty(len(rows), dtype=np.int64)
        r[order] = better
        ranked = len(rows) - int(np.count_nonzero(excluded))
        out = spread(r, ranked, model.lo, model.hi)
        out[missing] = np.nan
        out[met] = 1.0
        out[failed] = 4.0
        scores[rows] = out
        return ranked

    @property
    def group_number(self) -> np.ndarray:
        """Each row's cohort group as a float64, for the counting path's bin arithmetic."""
        if self._group_number is None:
            self._group_number = self.group.astype(np.float64)
        return self._group_number

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
