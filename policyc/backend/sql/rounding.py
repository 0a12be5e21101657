"""Rounding and cut points in SQL, step by step, exactly as docs/semantics.md defines them.

`round(x, n)` writes x to n + 6 decimal places (halves to even) and rounds that half away from zero. Casting a
double to DECIMAL is no help: engines scale it by a power of ten in double precision first, which is not exact.
So the query works on the double itself: with a = |x| = ip + fp (whole and fraction, both exact), the exact
product fp * 10^(n+6) is p + err (Dekker's two-product, exact in IEEE arithmetic), and the result's last digit
j is the largest with j * 10^6 - 500000.5 <= p + err: guessed from p, then corrected by the sign of the exact
difference. The result is the double nearest ip + j / 10^n. Beyond 2^52 every double is whole and is its own
rounding. Up to 7 places the last division and addition give that nearest double (checked against the
interpreter's Decimal arithmetic on millions of values near halves).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from .query import (
    NULL,
    ONE,
    ZERO,
    Part,
    add,
    case,
    div,
    eq,
    greatest,
    integer,
    is_null,
    least,
    mul,
    sub,
    window,
)

if TYPE_CHECKING:
    from .exprs import Translator

MAX_PLACES = 7
WHOLE = 2.0**52  # from here on every double is a whole number
SPLIT = 134217729.0  # 2^27 + 1: Veltkamp's constant, splitting a double into two halves of 26 bits
GUARD = 6


def _split(value: float) -> tuple[float, float]:
    c = SPLIT * value
    high = c - (c - value)
    return high, value - high


def round_half(t: Translator, x: Part, places: int) -> Part:
    x = t.shared(x)
    scale = 10.0 ** (places + GUARD)
    scale_high, scale_low = _split(scale)
    n = t.number
    a = t.column(Part(exp.Abs(this=x.sql), x.step))
    whole = t.column(Part(t.floor(least(a.sql, n(WHOLE))), a.step))
    # past 2^52 the fraction is 0, and left at 0 so that nothing below can overflow
    fraction = t.column(
        Part(case((exp.LT(this=a.sql, expression=n(WHOLE)), sub(a.sql, whole.sql)), default=ZERO), whole.step)
    )
    c = t.column(Part(mul(n(SPLIT), fraction.sql), fraction.step))
    high = t.column(Part(sub(c.sql, sub(c.sql, fraction.sql)), c.step))
    low = t.column(Part(sub(fraction.sql, high.sql), high.step))
    product = t.column(Part(mul(fraction.sql, n(scale)), fraction.step))
    error = t.column(
        Part(
            sub(
                mul(low.sql, n(scale_low)),
                sub(
                    sub(sub(product.sql, mul(high.sql, n(scale_high))), mul(low.sql, n(scale_high))),
                    mul(high.sql, n(scale_low)),
                ),
            ),
            max(low.step, product.step),
        )
    )
    million = n(10.0**GUARD)
    guess = t.column(Part(t.floor(div(add(product.sql, n(500000.5)), million)), product.step))
    threshold = t.column(Part(sub(mul(guess.sql, million), n(500000.5)), guess.step))
    below = exp.LT(this=add(sub(product.sql, threshold.sql), error.sql), expression=ZERO)
    above = exp.GTE(this=add(sub(product.sql, add(threshold.sql, million)), error.sql), expression=ZERO)
    digits = t.column(
        Part(
            add(sub(guess.sql, case((below, ONE), default=ZERO)), case((above, ONE), default=ZERO)),
            max(threshold.step, error.step),
        )
    )
    power = n(10.0**places)
    rounded = case(
        (is_null(a.sql), NULL),
        (exp.GTE(this=a.sql, expression=n(WHOLE)), a.sql),
        (exp.LT(this=a.sql, expression=n(WHOLE / 10.0**places)), div(add(mul(whole.sql, power), digits.sql), power)),
        default=add(whole.sql, div(digits.sql, power)),
    )
    magnitude = t.column(Part(rounded, digits.step))
    negative = exp.LT(this=x.sql, expression=ZERO)
    return Part(case((negative, exp.Neg(this=magnitude.sql)), default=magnitude.sql), magnitude.step)


def cut_point(t: Translator, x: Part, p: float, method: str) -> Part:
    """The cohort's `p` cut point of column `x`, by `method`: each row of the cohort gets it; NULL with no values.

    Worked out in a cohort table of the values (one row per value, with its count and how many come before it),
    kept at the smallest value (one row per cohort and period) and joined on the cohort and period."""
    ranking = t.ranking(x, matched=2)
    before, count, value, repeats = ranking.before, ranking.total, ranking.value, ranking.repeats
    with t.within(ranking):
        n = count.sql
        if method == "exclusive":
            clamped = greatest(sub(mul(add(n, ONE), t.number(p)), ONE), ZERO)
            h_sql: exp.Expr = least(clamped, sub(n, ONE))
        else:
            h_sql = mul(sub(n, ONE), t.number(p))
        h = t.column(Part(h_sql, count.step))
        lo = t.column(Part(t.floor(h.sql), h.step))
        hi = t.column(Part(exp.cast(exp.Ceil(this=h.sql), "DOUBLE"), h.step))

        def value_at(index: exp.Expr) -> Part:
            # the value whose sorted positions, from `before` on, hold the index
            holds = exp.and_(
                exp.LTE(this=before.sql, expression=index),
                exp.LT(this=index.copy(), expression=add(before.sql, repeats.sql)),
            )
            picked = case((holds, value.sql))
            return t.column(Part(window(exp.Max(this=picked), ranking.partition), max(lo.step, hi.step, before.step)))

        if method == "nearest":
            beyond = sub(h.sql, lo.sql)
            odd = eq(sub(lo.sql, mul(integer(2), t.floor(div(lo.sql, integer(2))))), ONE)
            half_to_even = exp.or_(
                exp.GT(this=beyond, expression=t.number(0.5)), exp.and_(eq(beyond.copy(), t.number(0.5)), odd)
            )
            index = t.column(Part(case((half_to_even, hi.sql), default=lo.sql), max(lo.step, hi.step)))
            cut = value_at(index.sql)
        elif method in ("lower", "higher"):
            cut = value_at(lo.sql if method == "lower" else hi.sql)
        else:
            low, high = value_at(lo.sql), value_at(hi.sql)
            if method == "midpoint":
                between: exp.Expr = div(add(low.sql, high.sql), integer(2))
            else:
                between = add(low.sql, mul(sub(high.sql, low.sql), sub(h.sql, lo.sql)))
            cut = Part(t.present(between), max(low.step, high.step))
    # every group of a cohort holds its cut point; the one of the smallest value is joined
    ranking.only(eq(before.sql, ZERO))
    return t.found(ranking, cut)
