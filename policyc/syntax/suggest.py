"""The closest of many names, for a diagnostic's "did you mean": fast however many names a policy declares.

The closeness is difflib's ratio, with its cutoff of 0.6, as `difflib.get_close_matches` gives it. Scoring
every candidate that way costs tens of microseconds each, so a policy of 10,000 inputs naming 2,000 unknown
ones would take minutes. A pool of up to WHOLE names (as large as real policies' are) is scored whole, as
difflib would; in a larger one, the ratio is taken only on the SHORTLIST candidates that share the most pairs
of adjacent characters with the name (its bigrams, the ends marked), found at once by counting through an
index of the pool, built once per pool.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

WHOLE = 200  # a pool this small is scored whole
SHORTLIST = 8  # the candidates of a larger pool that are scored
CUTOFF = 0.6


def _bigrams(name: str) -> set[str]:
    padded = f"\0{name}\0"
    return {padded[i : i + 2] for i in range(len(padded) - 1)}


class Names:
    """A pool of candidate names, indexed once."""

    def __init__(self, candidates: Iterable[str]) -> None:
        self.pool = sorted(set(candidates))
        self.lowered = {c.lower(): c for c in self.pool}
        self._index: tuple[dict[str, np.ndarray], np.ndarray] | None = None

    def closest(self, name: str) -> str | None:
        """The candidate closest to `name` by difflib's ratio (at least 0.6), else one equal to it but for case."""
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(name)
        for tier in self._tiers(name):
            best: tuple[float, str] | None = None
            for candidate in tier:
                matcher.set_seq1(candidate)
                if matcher.real_quick_ratio() >= CUTOFF and matcher.quick_ratio() >= CUTOFF:
                    scored = (matcher.ratio(), candidate)
                    if scored[0] >= CUTOFF and (best is None or scored > best):
                        best = scored  # ties go to the greater name, as get_close_matches gives them
            if best is not None:
                return best[1]
        return self.lowered.get(name.lower())

    def _tiers(self, name: str) -> list[list[str]]:
        """The candidates to score, in tiers: the first tier that holds a close match gives the answer."""
        if len(self.pool) <= WHOLE:
            return [self.pool]
        import numpy as np

        if self._index is None:
            postings: dict[str, list[int]] = {}
            sizes = np.empty(len(self.pool), dtype=np.float64)
            for i, candidate in enumerate(self.pool):
                grams = _bigrams(candidate)
                sizes[i] = len(grams)
                for gram in grams:
                    postings.setdefault(gram, []).append(i)
            self._index = ({g: np.asarray(p, dtype=np.int64) for g, p in postings.items()}, sizes)
        index, sizes = self._index
        grams = _bigrams(name)
        hits = [index[g] for g in grams if g in index]
        if not hits:
            return []
        shared = np.bincount(np.concatenate(hits), minlength=len(self.pool))
        dice = 2.0 * shared / (sizes + len(grams))
        # The SHORTLIST best by the Dice coefficient of their bigrams, in tiers of equal coefficient.
        chosen = np.flatnonzero(shared)
        if len(chosen) > SHORTLIST:
            chosen = chosen[np.argpartition(-dice[chosen], SHORTLIST - 1)[:SHORTLIST]]
        tiers: dict[float, list[str]] = {}
        for i in chosen.tolist():
            tiers.setdefault(-float(dice[i]), []).append(self.pool[i])
        return [sorted(tiers[key]) for key in sorted(tiers)]


@lru_cache(maxsize=16)
def names(candidates: tuple[str, ...]) -> Names:
    """The indexed pool of these candidates; a check asks of the same pool many times."""
    return Names(candidates)
