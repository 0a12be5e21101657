"""Metrics and their scoring models: ranked with standard and floor, bands, scores of labels, the cohort mean."""

from __future__ import annotations

import difflib
from decimal import Decimal

from policyc.semantics.context import Context
from policyc.semantics.declarations import check_applies, check_domain_ref
from policyc.semantics.expressions import Expressions
from policyc.semantics.numbers import constant
from policyc.semantics.types import BOOL, ERROR, Type, number
from policyc.syntax import ast
from policyc.syntax.diagnostics import did_you_mean

SCORE = number("score")

# A band row with its bounds' values (None: open).
_Interval = tuple[ast.BandRow, Decimal | None, Decimal | None]


def check_metric(ctx: Context, ex: Expressions, metric: ast.Metric) -> None:
    """Check a metric's declaration and scoring model, and record the type of its score."""
    name = metric.name.text
    raw = ctx.types[name]
    if metric.applies is None:
        ctx.error(
            "PC213",
            f"metric `{name}` does not say which org types it applies to",
            metric.name.span,
            "add `for acute, ...` (the source table's last column) or `for all`",
        )
    else:
        check_applies(ctx, metric.applies)
    if metric.domain is not None:
        check_domain_ref(ctx, metric.domain.domain, metric.domain.subdomain)
    if metric.weight is not None:
        _check_weight(ctx, ex, metric.weight.value)
    scoring = metric.scoring
    score = ERROR
    if isinstance(scoring, ast.Ranked):
        score = SCORE
        _need_number(ctx, metric, scoring, raw, "ranked")
        _need_direction(ctx, metric, scoring, "ranked")
        _check_standard_floor(ctx, metric, scoring, raw)
    elif isinstance(scoring, ast.Relative):
        score = BOOL
        _need_number(ctx, metric, scoring, raw, "scored against the cohort mean")
        _check_relative(ctx, metric, scoring)
    elif isinstance(scoring, ast.Bands):
        _need_number(ctx, metric, scoring, raw, "banded")
        score = _check_bands(ctx, scoring, metric.direction)
    elif isinstance(scoring, ast.Scores):
        score = SCORE
        _check_scores(ctx, metric, raw, scoring)
    ctx.types[f"{name}.score"] = score


def _check_weight(ctx: Context, ex: Expressions, expr: ast.Expr) -> None:
    weight = constant(expr)
    if weight is None:
        ex.infer(expr)  # its names are read, even though it is wrong
    if weight is None or weight <= 0:
        ctx.error("PC314", "a weight is a positive constant number", expr.span, "write a number such as `1/3`")
        return
    ctx.constants[expr] = weight


def _need_number(ctx: Context, metric: ast.Metric, scoring: ast.Scoring, raw: Type, how: str) -> None:
    if not raw.is_error and raw.kind != "number":
        ctx.error(
            "PC312",
            f"metric `{metric.name.text}` is {raw}, so it cannot be {how}",
            scoring.span,
            "give the metric a unit (percent, rate, ...), or map its labels with `scores`",
        )


def _need_direction(ctx: Context, metric: ast.Metric, scoring: ast.Scoring, how: str) -> bool:
    if metric.direction is None:
        ctx.error(
            "PC312",
            f"metric `{metric.name.text}` is {how} but does not say which way is better",
            scoring.span,
            "add `higher is better` or `lower is better`",
        )
        return False
    return True


def _check_relative(ctx: Context, metric: ast.Metric, scoring: ast.Relative) -> None:
    if _need_direction(ctx, metric, scoring, "scored against the cohort mean"):
        wrong = "below" if metric.direction == "lower" else "above"
        if scoring.side == wrong:
            right = "above" if wrong == "below" else "below"
            ctx.error(
                "PC311",
                f"`{metric.name.text}` is {metric.direction} is better, so it fails {right} the mean, not {wrong} it",
                scoring.span,
                f"write `fails more than {scoring.k.text} sd {right} mean`",
            )
    if scoring.k.value <= 0:
        ctx.error(
            "PC314",
            "the number of standard deviations must be positive",
            scoring.k.span,
            "write a number above 0, such as `fails more than 1 sd below mean`",
        )


def _check_standard_floor(ctx: Context, metric: ast.Metric, ranked: ast.Ranked, raw: Type) -> None:
    standard, floor = ranked.standard, ranked.floor
    for bound, what in ((standard, "standard"), (floor, "floor")):
        if bound is not None and raw.unit == "percent" and not 0 <= bound.value <= 100:
            ctx.error(
                "PC307",
                f"a {what} of {bound.text} is not a percentage",
                bound.span,
                "a percent lies between 0 and 100",
            )
    if standard is None or floor is None or metric.direction is None:
        return
    higher = metric.direction == "higher"
    if (standard.value <= floor.value) if higher else (standard.value >= floor.value):
        side = "above" if higher else "below"
        ctx.error(
            "PC307",
            f"the standard ({standard.text}) must be {side} the floor ({floor.text}) when {metric.direction} is better",
            ranked.span,
            "meeting the standard scores 1 and failing the floor scores 4; swap them, or check the metric's direction",
        )


# ---------------------------------------------------------------- bands


def _check_bands(ctx: Context, bands: ast.Bands, direction: str | None) -> Type:
    intervals: list[_Interval] = []
    for row in bands.rows:
        lo = row.lower.value.value if row.lower else None
        hi = row.upper.value.value if row.upper else None
        if row.lower and row.upper and lo is not None and hi is not None:
            if lo > hi or (lo == hi and not (row.lower.inclusive and row.upper.inclusive)):
                ctx.error(
                    "PC306",
                    "this band holds no value",
                    row.span,
                    "the lower bound must come first and be below the upper bound",
                )
                continue
        intervals.append((row, lo, hi))
    if len(intervals) == len(bands.rows):
        _check_band_order(ctx, intervals, direction)
    return _band_results(ctx, bands)


def _check_band_order(ctx: Context, intervals: list[_Interval], direction: str | None) -> None:
    def position(item: _Interval) -> tuple[Decimal, Decimal]:
        _, lo, hi = item
        return (Decimal("-Infinity") if lo is None else lo, Decimal("Infinity") if hi is None else hi)

    ascending = sorted(intervals, key=position)
    if direction == "higher":
        wanted, how = ascending[::-1], "from the highest values to the lowest (higher is better)"
    elif direction == "lower":
        wanted, how = ascending, "from the lowest values to the highest (lower is better)"
    else:
        wanted, how = (ascending if intervals == ascending else ascending[::-1]), "in order of value"
    if [r for r, _, _ in wanted] != [r for r, _, _ in intervals]:
        out_of_place = next(r for (r, _, _), (w, _, _) in zip(intervals, wanted, strict=True) if r is not w)
        ctx.error("PC306", "band rows are out of order", out_of_place.span, f"list the bands {how}")
        return
    for (low_row, _, low_hi), (high_row, high_lo, _) in zip(ascending, ascending[1:], strict=False):
        _check_meeting(ctx, low_row, low_hi, high_row, high_lo)


def _check_meeting(
    ctx: Context, low_row: ast.BandRow, low_hi: Decimal | None, high_row: ast.BandRow, high_lo: Decimal | None
) -> None:
    """Whether two bands, next to each other in value, meet without a gap or an overlap."""
    low_incl = low_row.upper.inclusive if low_row.upper else True
    high_incl = high_row.lower.inclusive if high_row.lower else True
    if low_hi is None or high_lo is None or low_hi > high_lo:
        ctx.error(
            "PC305",
            "this band overlaps another",
            high_row.span,
            "a value must fall in one band only; make each band end where the next begins",
        )
    elif low_hi < high_lo:
        ctx.error(
            "PC304",
            f"values between {low_hi} and {high_lo} fall in no band",
            high_row.span,
            f"start this band at {low_hi}, or end the other at {high_lo}",
        )
    elif low_incl and high_incl:
        ctx.error(
            "PC305",
            f"{low_hi} falls in two bands",
            high_row.span,
            f"use `<` on one side of {low_hi} and `<=` on the other",
        )
    elif not low_incl and not high_incl:
        ctx.error("PC304", f"{low_hi} itself falls in no band", high_row.span, f"use `<=` on one side of {low_hi}")


def _band_results(ctx: Context, bands: ast.Bands) -> Type:
    results = [row.result for row in bands.rows]
    kinds = {lit.kind for lit in results}
    if kinds <= {"number"}:
        return SCORE
    if kinds <= {"label"}:
        names = [lit.text for lit in results]
        candidates = [t for t in ctx.labels.get(names[0], []) if all(n in t.labels for n in names)]
        if len(candidates) >= 1:
            found = candidates[0]
            ctx.mark_produced(found, names)
            return found
        stray = next((lit for lit in results if lit.text not in ctx.labels), results[0])
        ctx.error(
            "PC303",
            f"the band results are not all labels of one scale (`{stray.text}`)",
            stray.span,
            did_you_mean(stray.text, ctx.labels) or "declare a scale that holds every result of the table",
        )
        return ERROR
    ctx.error(
        "PC316",
        "band results mix kinds: all numbers, or all labels of one scale",
        bands.span,
        "make every result a score, or every result a label",
    )
    return ERROR


# ---------------------------------------------------------------- scores of labels


def _check_scores(ctx: Context, metric: ast.Metric, raw: Type, scores: ast.Scores) -> None:
    if raw.is_error:
        return
    if raw.kind not in ("labels", "scale") or raw.numbered:
        ctx.error(
            "PC312",
            f"metric `{metric.name.text}` is {raw}; `scores` maps labels to scores",
            scores.span,
            "give the metric a scale or `one of ...` type",
        )
        return
    mapped: list[str] = []
    for pair in scores.pairs:
        if pair.label.text not in raw.labels:
            ctx.error(
                "PC303",
                f"`{pair.label.text}` is not {raw}",
                pair.label.span,
                did_you_mean(pair.label.text, raw.labels) or "map only the metric's labels",
            )
        elif pair.label.text in mapped:
            ctx.error("PC310", f"`{pair.label.text}` is mapped twice", pair.label.span, "give each label one score")
        mapped.append(pair.label.text)
    meant = {
        m
        for text in mapped
        if text not in raw.labels
        for m in difflib.get_close_matches(text, raw.labels, n=1, cutoff=0.6)
    }
    missing = [label for label in raw.labels if label not in mapped and label not in meant]
    if missing:
        names = ", ".join(f"`{m}`" for m in missing)
        ctx.error("PC310", f"`scores` gives no score for {names}", scores.span, "give every label a score")
