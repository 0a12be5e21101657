"""Rounding half away from zero, exactly as the policy's decimals mean it (docs/semantics.md, Rounding).

Called by the runtime (`round`, and the spread of ranked scores) and by the reference interpreter.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from decimal import Context as DecimalContext

import numpy as np

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
