"""The report's tables: the cross-tabulation, drawn here, and the frames of the movers and organisations tables,
whose rows the script draws from the page's data."""

from __future__ import annotations

from collections import Counter, defaultdict

from policyc.analysis.comparison import BETTER, HIGHER, LOWER, WORSE, Document
from policyc.report.markup import colours, display, e, label, side_tag

# A cell's shade: blue where both policies give an outcome, grey where one has none (it compares nothing).
# A cell of movers is marked by the way its rows moved: one direction's word, `moved` for movers of no direction,
# `mixed` for a cell (of a number's bins) whose movers went both ways.
_MOVES = {WORSE: "worse", BETTER: "better", HIGHER: "higher", LOWER: "lower", None: "moved"}
_COMPARED_HUE = "0,94,184"
_UNCOMPARED_HUE = "76,98,114"


def crosstab(document: Document, tiers: list[dict[str, str | None]]) -> str:
    table = document.crosstab
    a_policy, b_policy = document.policies
    a_values, b_values, counts = table.a_values, table.b_values, table.counts
    peak = max((c for row in counts for c in row), default=0) or 1
    a_colours, b_colours = (colours(p, t) for p, t in zip(document.policies, tiers, strict=True))
    head = "".join(f'<th scope="col">{label(b_policy, b_colours, v)}</th>' for v in b_values)
    # the movers in each cell, by direction: a cell of rows both rate whose standing differs is a move
    moves: defaultdict[tuple[int, int], Counter[str | None]] = defaultdict(Counter)
    for row in document.rows:
        if row.moved and row.both:
            moves[table.cell(row)][row.direction] += 1
    body = []
    for i, a_value in enumerate(a_values):
        cells = []
        for j, b_value in enumerate(b_values):
            count = counts[i][j]
            share = count / peak
            style = ""
            if count:
                # 6% to 92% opaque, so that an almost empty cell still shows and the fullest still reads in white
                hue = _UNCOMPARED_HUE if a_policy.special(a_value) or b_policy.special(b_value) else _COMPARED_HUE
                ink = ";color:#fff" if share > 0.5 else ""
                style = f' style="background:rgba({hue},{0.06 + 0.86 * share:.3f}){ink}"'
            moved, mark, said = moves.get((i, j)), "", ""
            if moved and not (a_policy.special(a_value) or b_policy.special(b_value)):
                ways = list(moved)
                mark = f' data-move="{_MOVES[ways[0]] if len(ways) == 1 else "mixed"}"'
                said = "; moved: " + ", ".join(f"{n:,} {way or 'standing differs'}" for way, n in moved.items())
            cells.append(
                f'<td class="cell{" zero" if not count else ""}"{style} data-a="{e(a_value)}" '
                f'data-b="{e(b_value)}" data-i="{i}" data-j="{j}"{mark} tabindex="0" '
                f'title="{e(display(a_policy, a_value))} under A, {e(display(b_policy, b_value))} under B: '
                f'{count:,}{e(said)}">{count:,}</td>'
            )
        body.append(
            f'<tr><th scope="row">{label(a_policy, a_colours, a_value)}</th>{"".join(cells)}'
            f'<td class="total">{sum(counts[i]):,}</td></tr>'
        )
    column_totals = "".join(f'<td class="total">{sum(row[j] for row in counts):,}</td>' for j in range(len(b_values)))
    return (
        f'<section id="crosstab" class="card"><div class="section-head"><h2>Cross-tabulation of outcomes</h2>'
        f'<div class="legend-scale"><span>0</span><i></i><span>{peak:,}</span></div></div>'
        f'<p class="lede">Each row of the data counted once: its outcome under A ({e(a_policy.outcome)}, '
        f"down the side) against its outcome under B ({e(b_policy.outcome)}, across the top). Shading is "
        "proportional to the count, in grey where one side has no outcome; a marked cell holds movers, rows that "
        "stand differently under the two; choose a cell to list its organisations.</p>"
        f'<div class="table-scroll"><table class="xtab"><thead><tr><th class="corner" rowspan="2">'
        f'{side_tag(0)}{e(a_policy.name)} &darr;</th><th class="bhead" colspan="{len(b_values)}">'
        f'{side_tag(1)}{e(b_policy.name)} &rarr;</th><th rowspan="2" class="total-h">Total</th></tr>'
        f'<tr>{head}</tr></thead><tbody>{"".join(body)}</tbody><tfoot><tr><th scope="row">Total</th>'
        f'{column_totals}<td class="total grand">{table.total:,}</td></tr></tfoot></table></div>'
        f"{_move_key(document, moves)}</section>"
    )


def _move_key(document: Document, moves: dict[tuple[int, int], Counter[str | None]]) -> str:
    """The legend of the cells marked as moves: a mark for each way rows moved, and the unmarked cells."""
    if not document.comparable:
        return ""
    ways = sorted({way for counted in moves.values() for way in counted}, key=lambda w: list(_MOVES).index(w))
    marks = [(_MOVES[w], f"Moved: {w}" if w else "Moved: standing differs") for w in ways]
    if any(len(counted) > 1 for counted in moves.values()):
        marks.append(("mixed", "Moved both ways"))
    items = "".join(f'<span><i data-move="{m}"></i>{text}</span>' for m, text in marks)
    return (
        f'<div class="move-key" aria-label="Key to the cells">{items}<span><i class="same"></i>Unmarked: the same '
        "standing under both, or a side without an outcome</span></div>"
    )


def _frame(table_id: str, columns: list[tuple[str, str | None]]) -> str:
    """A table's head, each column sortable by the script's key where it has one, and an empty body."""
    heads = "".join(
        f'<th scope="col" data-sort="{key}">{text}</th>' if key else f'<th scope="col">{text}</th>'
        for text, key in columns
    )
    return (
        f'<div class="table-scroll tall"><table class="data" id="{table_id}"><thead><tr>{heads}</tr></thead>'
        "<tbody></tbody></table></div>"
    )


def _row_columns(document: Document) -> list[tuple[str, str | None]]:
    columns: list[tuple[str, str | None]] = [("", None), ("Organisation", "org")]
    if document.periods:
        columns.append(("Period", "period"))
    return columns + [(f"{side_tag(side)}{e(p.outcome)}", "ab"[side]) for side, p in enumerate(document.policies)]


def movers(document: Document) -> str:
    columns = _row_columns(document) + [("Change", "change"), ("Reason", None)]
    return (
        f'<section id="movers" class="card"><div class="section-head"><h2>Movers</h2>'
        f'<span class="count" id="movers-count"></span>{_export("movers")}</div>'
        '<p class="lede">Rows whose standing differs between '
        "the two regimes, largest change first. The reason is each outcome&rsquo;s decisive step: the cap or "
        "override that applied, the worst domain, the cut point crossed, the decision table&rsquo;s row. Choose a "
        f"row for both explanations.</p>{_drivers(document)}{_frame('movers-table', columns)}"
        f"{delta_note(document)}<noscript><p>The tables need JavaScript.</p></noscript></section>"
    )


def _drivers(document: Document) -> str:
    """The movers grouped by what drove each: the decisive step of the side that rates it worse, with its count,
    the most frequent first; each a button that lists only its movers."""
    counted = document.movers().drivers()
    if not counted:
        return ""
    items = "".join(
        f'<li><button type="button" data-driver="{e(name)}" aria-pressed="false"><span class="what">{e(name)}'
        f"</span><b>{n:,}</b></button></li>"
        for name, n in counted
    )
    return (
        '<div class="drivers"><h3>What drove the moves</h3><p class="muted">Each mover counted once, by the decisive '
        "step of the side that rates it worse (A or B). Choose one to list its movers.</p>"
        f'<ul id="drivers">{items}</ul></div>'
    )


def _export(table: str) -> str:
    """The button that downloads the rows a table shows, as CSV; the script builds the file."""
    return (
        f'<button type="button" class="export" data-export="{table}" aria-describedby="{table}-count">'
        "Download CSV</button>"
    )


def delta_note(document: Document) -> str:
    """What the &Delta; beside a change says, in words, under each table that shows it."""
    if all(p.numeric for p in document.policies):
        return (
            '<p class="delta-note"><b>&Delta;</b> is B&rsquo;s number minus A&rsquo;s: positive (+) when B&rsquo;s '
            "is the higher, negative (&minus;) when it is the lower.</p>"
        )
    return (
        '<p class="delta-note"><b>&Delta; standing</b>: an outcome&rsquo;s standing is its place on its own scale, '
        "from 0 for the best value to 1 for the worst, so that scales of different lengths compare. &Delta; is "
        "B&rsquo;s standing minus A&rsquo;s: positive (+) when B rates the row worse, negative (&minus;) when B "
        "rates it better; +0.50 is half a scale worse. A row moves when its tier differs between the two (its value, "
        "when both use one scale).</p>"
    )


def organisations(document: Document) -> str:
    periods = document.periods
    numbers = all(p.numeric for p in document.policies)
    controls = []
    if periods:
        options = "".join(f'<option value="{e(p)}">{e(p)}</option>' for p in periods)
        controls.append(
            f'<label class="control">Period <select id="org-period"><option value="">All</option>'
            f"{options}</select></label>"
        )
    types = sorted({r.org_type for r in document.rows})
    options = "".join(f'<option value="{e(t)}">{e(t)}</option>' for t in types)
    controls.append(
        f'<label class="control">Type <select id="org-type"><option value="">All</option>{options}</select></label>'
    )
    controls.append('<label class="control check"><input type="checkbox" id="org-moved"> Moved only</label>')
    controls.append(
        '<span class="chip" id="cell-filter" hidden><span></span><button type="button" '
        'aria-label="Clear the cross-tabulation filter">&times;</button></span>'
    )
    columns = _row_columns(document) + [("Change", "change"), ("&Delta;" if numbers else "&Delta; standing", "delta")]
    return (
        f'<section id="organisations" class="card"><div class="section-head"><h2>Organisations</h2>'
        f'<span class="count" id="organisations-count"></span>{_export("organisations")}</div>'
        f'<div class="filters">{"".join(controls)}</div>{_frame("organisations-table", columns)}'
        f"{delta_note(document)}</section>"
    )
