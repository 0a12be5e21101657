"""The report's distribution of outcomes: a bar chart per policy, for all periods and for each, as inline SVG."""

from __future__ import annotations

import math
from collections import Counter

from policyc.analysis.comparison import MISSING, NOT_RATED, TIERS, Document, Policy
from policyc.report.markup import MISSING_COLOUR, TIER_COLOUR, adds, colours, e, policy_title, sentence, side_tag


def distribution(document: Document, tiers: list[dict[str, str | None]]) -> str:
    periods = document.periods
    rows = document.rows
    shown = ["", *periods]  # "": every period at once
    groups = [rows] + [tuple(r for r in rows if r.period == p) for p in periods]
    charts = []
    table = document.crosstab
    for side, policy in enumerate(document.policies):
        counted = [Counter(table.counted(side, r.outcomes[side]) for r in members) for members in groups]
        # a bar for each value (or a number's bin) the cross-tabulation counts, so that every rated row has its bar
        values = [v for v in (table.a_values, table.b_values)[side] if v != NOT_RATED]
        palette = colours(policy, tiers[side])
        figures = []
        for period, counts in zip(shown, counted, strict=True):
            y_title = "Organisation-periods" if periods and not period else "Organisations"
            note = (
                f"{counts[NOT_RATED]:,} not rated: org types the policy does not cover"
                if counts[NOT_RATED]
                else "Every row rated"
            )
            figures.append(
                f'<div class="chart-group" data-period="{e(period)}"{" hidden" if period else ""}>'
                f"{bar_chart(policy, values, counts, palette, y_title)}"
                f'<p class="chart-note">{note}.</p></div>'
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
        f'first; bars coloured by tier.</p><div class="charts">{"".join(charts)}</div>'
        f'<div class="legend">{legend}</div></section>'
    )


def axis(peak: int) -> tuple[int, int]:
    """The top of a count axis and its tick step: 1, 2 or 5 times a power of ten, about five ticks."""
    if peak <= 4:
        return max(peak, 1), 1
    raw = peak / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(peak / step), step


def wrap(text: str, width: int, lines: int) -> list[str]:
    """`text` in at most `lines` lines of about `width` characters, the last cut short with an ellipsis."""
    out: list[str] = []
    for word in text.split():
        if out and len(out[-1]) + 1 + len(word) <= width:
            out[-1] += " " + word
        else:
            out.append(word)
    if len(out) > lines:
        out = out[:lines]
        out[-1] = out[-1][: max(1, width - 1)].rstrip() + "\u2026"
    return out


def bar_chart(policy: Policy, values: list[str], counts: Counter[str], palette: dict[str, str], y_title: str) -> str:
    width, height, left, right, top, bottom = 600, 330, 62, 12, 26, 92
    plot_w, plot_h = width - left - right, height - top - bottom
    axis_top, step = axis(max((counts[v] for v in values), default=0))
    rated = sum(counts[v] for v in values)
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{e(policy.name)}: rows by {e(policy.outcome)}">'
    ]
    for tick in range(0, axis_top + 1, step):
        y = top + plot_h - plot_h * tick / axis_top
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{tick:,}</text>'
        )
    out.append(
        f'<text class="axis-title" transform="translate(16 {top + plot_h / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{y_title}</text>'
    )
    band = plot_w / max(1, len(values))
    bar = min(76.0, band * 0.62)
    for n, value in enumerate(values):
        count = counts[value]
        h = plot_h * count / axis_top
        x, y = left + band * n + (band - bar) / 2, top + plot_h - h
        centre = x + bar / 2
        share = f"{100 * count / rated:.0f}%" if rated else "0%"
        description = policy.descriptions.get(value) or ""
        out.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" rx="3" '
            f'fill="{palette.get(value, TIER_COLOUR[None])}" data-value="{e(value)}" data-count="{count}">'
            f"<title>{e(value)}{': ' + e(description) if description else ''}: {count:,} ({share})</title>"
            f'</rect><text class="count" x="{centre:.1f}" y="{y - 7:.1f}" text-anchor="middle">{count:,}'
            f'<tspan class="pct"> &middot; {share}</tspan></text>'
            f'<text class="xv" x="{centre:.1f}" y="{top + plot_h + 19}" text-anchor="middle">{e(value)}</text>'
        )
        if description and adds(description, value):
            for k, line in enumerate(wrap(description, max(8, int(band / 6.4)), 3)):
                out.append(
                    f'<text class="xd" x="{centre:.1f}" y="{top + plot_h + 35 + 14 * k}" '
                    f'text-anchor="middle">{e(line)}</text>'
                )
    out.append(
        f'<line class="base" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
        f'<text class="axis-title" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">'
        f"{e(policy.outcome)}, best to worst</text></svg>"
    )
    return "".join(out)
