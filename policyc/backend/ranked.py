"""The ranked step of the standard model: each cohort group ranked by counting where its keys allow, else
by sorting, and the rank spread over the scores in integers (docs/semantics.md, Scoring metrics).

In: one evaluation's cohort groups (from `runtime.Context`) and the columns of the ranked metrics. Out: each
metric's scores, and the path each group took (`RankingPath`). Called by `runtime.Context.ranked` only.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .rounding import round_half

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
        # Bins number at most n + COUNT_SLACK: 32 bits carry them in half the memory traffic of 64.
        self.bins: np.ndarray[tuple[int], np.dtype[np.signedinteger]] = np.empty(
            n, dtype=np.int32 if n + COUNT_SLACK < 2**31 else np.intp
        )


def _places(keys: np.ndarray, start: int) -> int:
    """The fewest decimal places from `start` at which every key is exact, or COUNT_PLACES."""
    with np.errstate(over="ignore", invalid="ignore"):
        for places in range(start, COUNT_PLACES):
            scale = 10.0**places
            if np.all(np.rint(keys * scale) / scale == keys):
                return places
    return COUNT_PLACES


# Rows per block of the passes over whole columns: a block of each column they touch stays in the cache
# between passes, where whole columns of millions of rows would be read from memory at every pass.
BLOCK = 1 << 16


def _code(values: np.ndarray, places: int, s: _Scratch, missing: bool = False) -> tuple[int, int]:
    """Codes of `values` to `places` into `s.codes`, whether each is exact into `s.exact`; how many are, and (with
    `missing`, which also marks the missing values in `s.missing`) how many values are present."""
    scale = 10.0**places
    exact = absent = 0
    with np.errstate(over="ignore", invalid="ignore"):
        for start in range(0, len(values), BLOCK):
            block = slice(start, start + BLOCK)
            v, codes, check, same = values[block], s.codes[block], s.check[block], s.exact[block]
            if missing:
                absent += int(np.count_nonzero(np.isnan(v, out=s.missing[block])))
            np.multiply(v, scale, out=codes)
            np.rint(codes, out=codes)
            np.divide(codes, scale, out=check)
            np.equal(check, v, out=same)
            exact += int(np.count_nonzero(same))
    return exact, len(values) - absent


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


def ranking_listing(paths: list[RankingPath], order: np.ndarray, bounds: np.ndarray, cohort: np.ndarray, period) -> str:
    """The ranked step's paths: one line per ranked metric (by position, in declaration order) and cohort group."""
    return "\n".join(
        f"ranked metric {p.metric + 1}, {_group_name(p.group, order, bounds, cohort, period)}: {p.rows:,} rows, "
        f"{p.ranked:,} ranked; {p.path}, {p.reason}; rounded {p.rounding}"
        for p in paths
    )


def _group_name(group: int, order: np.ndarray, bounds: np.ndarray, cohort: np.ndarray, period) -> str:
    row = int(order[bounds[group]])
    name = f"cohort {int(cohort[row])}"
    if period is None:
        return name
    year, quarter = divmod(int(period[row]), 4)
    return f"{name} in {year}Q{quarter + 1}"


class RankedStep:
    """One evaluation's ranked metrics, over its cohort groups: `group` gives each row's, `order` the rows
    grouped, `bounds` where each group starts in `order`.

    The scratch columns serve every metric: past 32 MB a fresh temporary is a fresh mapping of memory, and
    touching its pages costs more than the arithmetic on them.
    """

    def __init__(self, n: int, group: np.ndarray, order: np.ndarray, bounds: np.ndarray, cohort, period):
        self.n = n
        self.group = group
        self.groups = len(bounds) - 1
        self.order = order
        self.bounds = bounds
        self.cohort = cohort
        self.period = period
        # per ranked metric: how many rows each group ranked, the groups sorted (with why) and why the rest counted
        self._records: list[tuple[int, np.ndarray, dict[int, str], str]] = []
        self._group_number: np.ndarray | None = None

    @property
    def paths(self) -> list[RankingPath]:
        """The path each ranked metric took in each cohort group, and why: made when asked for, since a table of
        many groups (the replicates of a likely range) would spend more on them than on the ranking."""
        rows = np.diff(self.bounds).tolist()
        out = []
        for metric, ranked, sorting, reason in self._records:
            for g, n in enumerate(ranked.tolist()):
                path, why = ("sorting", sorting[g]) if g in sorting else ("counting", reason)
                rounding = (
                    "in integers" if n - 1 <= EXACT_ROUNDING else f"in decimal: over {EXACT_ROUNDING + 1:,} ranked"
                )
                out.append(RankingPath(metric, g, rows[g], int(n), path, why, rounding))
        return out

    def score(self, values: list[np.ndarray], higher, standard, floor) -> list[np.ndarray]:
        """Each metric's scores; `self.paths` gets the path each cohort group took (`_codes` says which)."""
        scratch = _Scratch(self.n)
        return [
            self._ranked(k, v, _Model(h, s, f), scratch)
            for k, (v, h, s, f) in enumerate(zip(values, higher, standard, floor, strict=True))
        ]

    def _ranked(self, metric: int, values: np.ndarray, model: _Model, s: _Scratch) -> np.ndarray:
        if np.isnan(values).all():  # nothing to rank: every score is missing (a column the table leaves empty)
            self._records.append((metric, np.zeros(self.groups, dtype=np.int64), {}, "no value to rank"))
            return np.full(self.n, np.nan)
        codes = self._codes(values, s)
        if codes.places is None:
            scores = np.full(self.n, np.nan)
            ranked = np.zeros(self.groups, dtype=np.int64)
        else:
            scores, ranked = self._rank_by_counting(values, model, codes, s)
        for g in codes.sorting:
            ranked[g] = self._rank_by_sorting(values, model, g, scores)
        self._records.append((metric, ranked, dict(codes.sorting), codes.reason))
        return scores

    def _codes(self, values: np.ndarray, s: _Scratch) -> _Codes:
        """Each key as an integer code, `key * 10**places` (in `s.codes`), where every key of a cohort group
        is exactly such a code over 10**places: then codes order the keys as the keys do, ties included, and a
        histogram of them ranks the group. Groups whose keys are not, or whose codes would not fit, are sorted."""
        sorting: dict[int, str] = {}
        # The places are guessed from a sample, then from the keys a guess leaves inexact, and each guess is
        # checked on every key: one check for most columns, and never more places than the counted keys need.
        sample = values[:: max(1, self.n // SAMPLE)]
        places = _places(sample[~np.isnan(sample)], 0)
        exact, present = _code(values, places, s, missing=True)  # and the missing values marked, in one pass
        while exact != present:
            inexact = ~s.exact & ~s.missing
            if sorting:
                inexact &= ~self._in_groups(sorting)
            if not inexact.any():
                break
            if places < COUNT_PLACES:
                places = _places(values[inexact][:SAMPLE], places + 1)
            else:
                for g, row in self._first_in_groups(inexact):
                    sorting[g] = f"a key with more than {COUNT_PLACES} decimal places ({float(values[row])!r})"
                if len(sorting) == self.groups:
                    return _Codes(None, 1.0, 0.0, 0, sorting, "")
                # the other groups may need fewer places
                rest = values[~s.missing & ~self._in_groups(sorting)]
                places = _places(rest[:: max(1, len(rest) // SAMPLE)], 0)
            exact, _ = _code(values, places, s)
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
        missing = span * groups  # the last bin, past every code: rows without a value, or in a sorted group
        numbers = self.group_number if groups > 1 else None
        sorted_rows = self._in_groups(codes.sorting) if codes.sorting else None
        # A histogram of few bins is counted block by block, while the block's bins are in the cache.
        by_block = missing < BLOCK
        total = np.zeros(missing + 1, dtype=np.int64)
        for start in range(0, self.n, BLOCK):
            block = slice(start, start + BLOCK)
            bins = s.codes[block]  # the code, then the bin in place: (code - low) * groups + group
            bins -= codes.low
            if numbers is not None:
                bins *= groups
                bins += numbers[block]
            np.fmin(bins, missing, out=bins)  # NaN becomes the missing bin
            binned = s.bins[block]
            binned[...] = bins
            if sorted_rows is not None:
                binned[sorted_rows[block]] = missing
            if by_block:
                total += np.bincount(binned, minlength=missing + 1)
        if not by_block:
            total = np.bincount(s.bins, minlength=missing + 1)
        counts = total[:missing].reshape(span, groups)
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
