"""The report's distribution of outcomes as inline SVG: a bar chart per policy on one axis and one denominator, for
all periods and for each, and a bar per period of each policy's shares."""

from __future__ import annotations

import math
from collections import Counter

from policyc.analysis.comparison import MISSING, NOT_RATED, TIERS, Document, Policy, Row
from policyc.report.markup import (
    MISSING_COLOUR,
    SIDES,
    TIER_COLOUR,
    adds,
    colours,
    e,
    policy_title,
    sentence,
    side_tag,
)


def distribution(document: Document, tiers: list[dict[str, str | None]]) -> str:
    """Both regimes' distributions on one axis and one denominator, the rows that both rate (the rows one side alone
    rates said apart, beneath), for all periods and for each; then how each distribution changes across periods."""
    periods = document.periods
    rows = document.rows
    shown = ["", *periods]  # "": every period at once
    groups = [rows] + [tuple(r for r in rows if r.period == p) for p in periods]
    table = document.crosstab
    # a bar for each value (or a number's bin) the cross-tabulation counts, so that every rated row has its bar
    values = [[v for v in side_values if v != NOT_RATED] for side_values in (table.a_values, table.b_values)]
    palettes = [colours(policy, tiers[side]) for side, policy in enumerate(document.policies)]
    counted = [
        [Counter(table.counted(side, r.outcomes[side]) for r in members if r.both) for members in groups]
        for side in (0, 1)
    ]
    # one axis for both regimes in each group; its margin and every chart's label area sized for the largest and
    # deepest, so that the two plots stand level
    peaks = [
        max(max((c[v] for v in values[k]), default=0) for k, c in enumerate(group))
        for group in zip(*counted, strict=True)
    ]
    left = left_margin(peaks[0])  # every period's counts are at most all periods'
    labels = [
        x_labels(policy, values[side], band(len(values[side]), left)) for side, policy in enumerate(document.policies)
    ]
    depth = max((len(lines) + bool(code) for side in labels for lines, code in side), default=1)
    charts = []
    for side, policy in enumerate(document.policies):
        other = SIDES[1 - side]
        figures = []
        for n, (period, members) in enumerate(zip(shown, groups, strict=True)):
            counts = counted[side][n]
            both = sum(1 for r in members if r.both)
            alone = sum(1 for r in members if r.outcomes[side] is not None and r.outcomes[1 - side] is None)
            what = "organisation-periods" if periods and not period else "organisations"
            note = f"Bars: the {both:,} {what} rated by both regimes; each share is of them."
            if alone:
                note += (
                    f' <span class="apart">Not charted: {alone:,} rated by {SIDES[side]} alone, of organisation '
                    f"types {other} does not rate.</span>"
                )
            chart = bar_chart(
                policy, values[side], counts, palettes[side], what, peaks[n], both, labels[side], depth, left
            )
            figures.append(
                f'<div class="chart-group" data-period="{e(period)}"{" hidden" if period else ""}>'
                f'<div class="chart-scroll">{chart}</div><p class="chart-note">{note}</p></div>'
            )
        charts.append(
            f'<figure class="chart-card"><figcaption>{side_tag(side)}{policy_title(policy)} '
            f'<span class="muted">&middot; {e(policy.outcome)}</span></figcaption>'
            f"{''.join(figures)}</figure>"
        )
    selector = ""
    if periods:
        options = "".join(f'<option value="{e(p)}">{e(p)}</option>' for p in periods)
        selector = (
            f'<label class="control">Period <select id="dist-period"><option value="">All periods</option>'
            f"{options}</select></label>"
        )
    legend = "".join(
        f'<span><i class="sw" style="background:{TIER_COLOUR[t]}"></i>{sentence(t)} tier</span>' for t in TIERS
    )
    legend += f'<span><i class="sw" style="background:{MISSING_COLOUR}"></i>{sentence(MISSING)}</span>'
    return (
        f'<section id="distribution" class="card"><div class="section-head"><h2>Distribution of outcomes</h2>'
        f'{selector}</div><p class="lede">How many rows each regime places on each value of its scale, best '
        "first, bars coloured by tier. Both charts count the same rows, those that both regimes rate, on one axis, "
        "so that a bar&rsquo;s height compares across the two.</p>"
        f'<div class="charts">{"".join(charts)}</div><div class="legend">{legend}</div>'
        f"{over_periods(document, values, palettes, groups[1:])}</section>"
    )


# The bar chart's frame, in the SVG's own units; a count axis's left margin grows with its longest tick.
WIDTH, RIGHT, TOP, PLOT = 600, 12, 40, 210
# Estimated widths of a character, in the SVG's own units, wider than the fonts' average so that a label measured
# by them fits its band: a value's name (11px), its code (10.5px, monospaced), a count (13px, bold), a tick (11px)
# and a share (11px, semibold, its % sign wide).
NAME_W, CODE_W, COUNT_W, SMALL_W, SHARE_W = 7.2, 6.6, 8.2, 6.6, 9.0
LINE = 15  # a label line's height
NAME_LINES = 5  # a value's name wraps to at most this many lines


def left_margin(peak: int) -> int:
    """Room for the rotated axis title and the longest tick label of an axis up to `peak`."""
    top, _ = axis(peak)
    return 30 + math.ceil(len(f"{top:,}") * SMALL_W) + 10


def band(values: int, left: int) -> float:
    return (WIDTH - left - RIGHT) / max(1, values)


def x_labels(policy: Policy, values: list[str], width: float) -> list[tuple[list[str], str | None]]:
    """Each value's label under its bar: its display name first (the description the policy gives, else the value),
    wrapped to the bar's band, then its code where the name says something else."""
    names, codes = max(3, int((width - 10) / NAME_W)), max(3, int((width - 10) / CODE_W))
    out = []
    for value in values:
        description = policy.descriptions.get(value)
        if policy.special(value):
            name, code = sentence(value), None
        elif description:
            name, code = description, value if adds(description, value) else None
        else:
            name, code = value, None
        out.append((wrap(name, names, NAME_LINES), None if code is None else wrap(code, codes, 1)[0]))
    return out


def axis(peak: int) -> tuple[int, int]:
    """The top of a count axis and its tick step: 1, 2 or 5 times a power of ten, about five ticks."""
    if peak <= 4:
        return max(peak, 1), 1
    raw = peak / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(peak / step), step


def _pieces(word: str, width: int) -> list[str]:
    """A word no wider than `width`, or its pieces: split after its hyphens, then cut where a piece is still wider."""
    if len(word) <= width:
        return [word]
    parts = [p + "-" for p in word.split("-")]
    parts[-1] = parts[-1][:-1]
    out: list[str] = []
    for part in (p for p in parts if p):
        if out and len(out[-1]) + len(part) <= width:
            out[-1] += part
        else:
            out.extend(part[k : k + width] for k in range(0, len(part), width))
    return out


def wrap(text: str, width: int, lines: int) -> list[str]:
    """`text` in at most `lines` lines of at most `width` characters (a longer word broken after a hyphen, or cut),
    the last cut short with an ellipsis when the text does not fit."""
    out: list[str] = []
    for word in text.split():
        for piece in _pieces(word, width):
            if out and not out[-1].endswith("-") and len(out[-1]) + 1 + len(piece) <= width:
                out[-1] += " " + piece
            elif out and out[-1].endswith("-") and len(out[-1]) + len(piece) <= width:
                out[-1] += piece
            else:
                out.append(piece)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: max(1, width - 1)].rstrip() + "\u2026"
    return out or [""]


def bar_chart(
    policy: Policy,
    values: list[str],
    counts: Counter[str],
    palette: dict[str, str],
    what: str,
    peak: int,
    total: int,
    labels: list[tuple[list[str], str | None]],
    depth: int,
    left: int,
) -> str:
    """One regime's bars: `counts` of `total` rows on an axis up to `peak` (the larger of both regimes'), each bar's
    value named beneath it in `depth` lines."""
    plot_w = WIDTH - left - RIGHT
    height = TOP + PLOT + 14 + LINE * depth + 26
    axis_top, step = axis(peak)
    out = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{e(policy.name)}: rows by {e(policy.outcome)}">'
    ]
    for tick in range(0, axis_top + 1, step):
        y = TOP + PLOT - PLOT * tick / axis_top
        out.append(
            f'<line class="grid" x1="{left}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>'
        )
    out.append(
        f'<text class="axis-title" transform="translate(16 {TOP + PLOT / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{sentence(what)}</text>'
    )
    width = band(len(values), left)
    bar = min(76.0, width * 0.62)
    for n, (value, (name, code)) in enumerate(zip(values, labels, strict=True)):
        count = counts[value]
        h = PLOT * count / axis_top
        x, y = left + width * n + (width - bar) / 2, TOP + PLOT - h
        centre = x + bar / 2
        share = f"{100 * count / total:.0f}%" if total else "0%"
        description = policy.descriptions.get(value) or ""
        full = (
            e(description) + f" ({e(value)})" if description else e(sentence(value) if policy.special(value) else value)
        )
        out.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" rx="3" '
            f'fill="{palette.get(value, TIER_COLOUR[None])}" data-value="{e(value)}" data-count="{count}">'
            f"<title>{full}: {count:,} of {total:,} ({share})</title></rect>"
        )
        # the count and its share on one line where the band holds both, else the share above the count
        if len(f"{count:,}") * COUNT_W + len(f" · {share}") * SHARE_W <= width - 6:
            out.append(
                f'<text class="count" x="{centre:.1f}" y="{y - 7:.1f}" text-anchor="middle">{count:,}'
                f'<tspan class="pct"> &middot; {share}</tspan></text>'
            )
        else:
            out.append(
                f'<text class="count" x="{centre:.1f}" y="{y - 7:.1f}" text-anchor="middle">{count:,}</text>'
                f'<text class="pct" x="{centre:.1f}" y="{y - 22:.1f}" text-anchor="middle">{share}</text>'
            )
        below = TOP + PLOT + 18
        out.append(f"<g><title>{full}</title>")
        for k, line in enumerate(name):
            out.append(
                f'<text class="xv" x="{centre:.1f}" y="{below + LINE * k}" text-anchor="middle">{e(line)}</text>'
            )
        if code is not None:
            out.append(
                f'<text class="xd" x="{centre:.1f}" y="{below + LINE * len(name)}" text-anchor="middle">'
                f"{e(code)}</text>"
            )
        out.append("</g>")
    out.append(
        f'<line class="base" x1="{left}" x2="{WIDTH - RIGHT}" y1="{TOP + PLOT}" y2="{TOP + PLOT}"/>'
        f'<text class="axis-title" x="{left + plot_w / 2:.1f}" y="{height - 8}" text-anchor="middle">'
        f"{e(policy.outcome)}, best to worst</text></svg>"
    )
    return "".join(out)


def _ink(colour: str) -> str:
    """The class of text that reads better on `colour`, dark or light, by the colour's relative luminance."""
    r, g, b = (int(colour[k : k + 2], 16) / 255 for k in (1, 3, 5))
    lum = sum(
        w * (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4)
        for w, c in zip((0.2126, 0.7152, 0.0722), (r, g, b), strict=True)
    )
    return "dark" if lum > 0.3 else "light"


def over_periods(
    document: Document, values: list[list[str]], palettes: list[dict[str, str]], groups: list[tuple[Row, ...]]
) -> str:
    """How each regime's distribution changes across the periods: a bar per period, its rows rated by both as
    shares of 100%, a segment per value in the order of the scale."""
    periods = document.periods
    if len(periods) < 2:
        return ""
    row_h, gap, top = 26, 12, 6
    names = max(4, min(16, max(len(p) for p in periods)))
    left = 12 + math.ceil(names * SMALL_W) + 8
    plot_w = WIDTH - left - RIGHT
    height = top + len(periods) * (row_h + gap)
    table = document.crosstab
    figures = []
    for side, policy in enumerate(document.policies):
        palette = palettes[side]
        out = [
            f'<svg class="period-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-label="{e(policy.name)}: {e(policy.outcome)} by period">'
        ]
        for n, (period, members) in enumerate(zip(periods, groups, strict=True)):
            y = top + n * (row_h + gap)
            rated = [r for r in members if r.both]
            counts = Counter(table.counted(side, r.outcomes[side]) for r in rated)
            shown = period if len(period) <= names else period[: names - 1] + "\u2026"
            out.append(
                f'<text class="tick" x="{left - 8}" y="{y + row_h / 2 + 4:.1f}" text-anchor="end">'
                f"<title>{e(period)}</title>{e(shown)}</text>"
            )
            if not rated:
                out.append(
                    f'<rect class="none" x="{left}" y="{y}" width="{plot_w}" height="{row_h}" rx="3"/>'
                    f'<text class="pct" x="{left + 8}" y="{y + row_h / 2 + 4:.1f}">none rated by both</text>'
                )
                continue
            x = float(left)
            for value in values[side]:
                count = counts[value]
                if not count:
                    continue
                w = plot_w * count / len(rated)
                colour = palette.get(value, TIER_COLOUR[None])
                description = policy.descriptions.get(value)
                name = e(description) + f" ({e(value)})" if description else e(value)
                share = f"{100 * count / len(rated):.0f}%"
                out.append(
                    f'<rect class="seg" x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h}" fill="{colour}" '
                    f'data-period="{e(period)}" data-value="{e(value)}" data-count="{count}">'
                    f"<title>{e(period)}: {name}: {count:,} of {len(rated):,} ({share})</title></rect>"
                )
                if w >= len(share) * SHARE_W + 8:
                    out.append(
                        f'<text class="seg-pct {_ink(colour)}" x="{x + w / 2:.1f}" y="{y + row_h / 2 + 4:.1f}" '
                        f'text-anchor="middle">{share}</text>'
                    )
                x += w
        out.append("</svg>")
        keys = "".join(
            f'<span><i class="sw" style="background:{palette.get(v, TIER_COLOUR[None])}"></i>{_key(policy, v)}</span>'
            for v in values[side]
        )
        figures.append(
            f'<figure class="chart-card"><figcaption>{side_tag(side)}{policy_title(policy)} '
            f'<span class="muted">&middot; {e(policy.outcome)} by period</span></figcaption>{"".join(out)}'
            f'<div class="legend keys">{keys}</div></figure>'
        )
    return (
        '<h3 class="sub-head" id="over-periods">Over the periods</h3><p class="lede">Each period&rsquo;s rows rated '
        "by both regimes as shares of 100%, a segment per value, best first: how each regime&rsquo;s distribution "
        f'changes from one period to the next.</p><div class="charts">{"".join(figures)}</div>'
    )


def _key(policy: Policy, value: str) -> str:
    """A value in a legend: its display name first, then its code where the name says something else."""
    description = policy.descriptions.get(value)
    if policy.special(value):
        return e(sentence(value))
    if description and adds(description, value):
        return f"{e(description)} <code>{e(value)}</code>"
    return e(description or value)
