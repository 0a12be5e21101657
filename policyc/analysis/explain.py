"""The explanation of one organisation's result: the decisive steps behind each value, with their sources."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from policyc.analysis.likely import LikelyRanges
from policyc.backend.compile import Compiled
from policyc.backend.interp import Reader
from policyc.backend.runtime import Context, Frame, cut_point
from policyc.data import results
from policyc.data.cells import format_period, parse_period
from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.ir.nodes import outcome
from policyc.syntax.diagnostics import did_you_mean
from policyc.syntax.text import printable

# The kinds of decisive step: a value given in the table, an adjustment that changed it, a worst or best, a quartile,
# a decision table's row, an average of metric scores, a value passed on unchanged, and any other rule.
GIVEN, ADJUSTMENT, QUARTILE, TABLE, AVERAGE, PASS, RULE = (
    "given",
    "adjustment",
    "quartile",
    "table",
    "average",
    "pass",
    "rule",
)
KINDS = (GIVEN, ADJUSTMENT, "worst", "best", QUARTILE, TABLE, AVERAGE, PASS, RULE)


class Explainer:
    def __init__(self, compiled: Compiled, frame: Frame, values: dict[str, np.ndarray], notes: dict, sources):
        self.compiled = compiled
        self.program = compiled.program
        self.frame = frame
        self.values = values
        self.notes = notes
        self.steps = {entry: n for n, entry in enumerate(sources) if entry is not None}
        self.decls = {d.name: d for d in self.program.decls}
        self.context: Context | None = None  # the cohort groups, worked out when a quartile is explained
        self.reader: Reader | None = None  # reads a decision table's conditions, made when one is explained

    def text(self, node: ir.Node) -> str:
        """A rule as the policy writes it, on one line."""
        return rule_text(self.compiled, node)

    def quote(self, node: ir.Node) -> str:
        """A rule as the policy writes it, on one line, with where it is."""
        text = self.text(node)
        return f"{text}{self.where(node)}" if text and node.span is not None else ""

    @staticmethod
    def where(node: ir.Node) -> str:
        """Where a rule is in the policy, as the explanation shows it after the rule."""
        return f"    ({Path(node.span.file).name}:{node.span.line})" if node.span is not None else ""

    def value(self, name: str, row: int) -> results.Value:
        """A value as reported (None when missing), a number that is not finite as missing, as JSON gives it."""
        value = results.decode(self.decls[name].type, float(self.values[name][row]))
        return None if isinstance(value, float) and not math.isfinite(value) else value

    def shown(self, name: str, row: int) -> str:
        value = results.decode(self.decls[name].type, float(self.values[name][row]))
        if value is None:
            return "missing"
        return results.csv_text(value)

    def chain(self, outcome: str) -> list[str]:
        """The outcome and every value it rests on, in evaluation order."""
        return walk.closure(self.program, [outcome])

    def given(self, name: str, row: int) -> bool:
        cells = self.frame.columns.get(name)
        return cells is not None and not isinstance(self.decls[name], ir.Column) and not np.isnan(cells[row])

    def defaulted(self, column: ir.Column, row: int) -> bool:
        """Whether the input's value on this row is its declared default, read for an empty cell."""
        if column.default is None or int(self.frame.org_type[row]) not in column.applies:
            return False
        cells = self.frame.columns.get(column.name)
        return cells is None or bool(np.isnan(cells[row]))

    def row(self, row: int, outcome: str) -> list[str]:
        """The explanation's lines, each printable: a line holds no break of its own, so escaping every control
        character of it escapes those of the policy's texts and the table's codes."""
        period = format_period(int(self.frame.period[row])) if self.frame.period is not None else None
        org_type = self.program.org_types[self.frame.org_type[row]]
        head = printable(
            f"{self.frame.org[row]} ({org_type}{', ' + period if period else ''}): "
            f"{outcome} = {self.shown(outcome, row)}"
        )
        lines = [head, "=" * len(head)]
        chain = self.chain(outcome)
        assumptions: list[tuple[str, str]] = []
        derived = [n for n in reversed(chain) if isinstance(self.decls[n], ir.Derived)]
        for name in derived:
            decl = self.program.derived(name)
            lines.append("")
            lines.append(f"{name} = {self.shown(name, row)}")
            if self.given(name, row):
                lines.append("  given in the table, not computed")
                continue
            if isinstance(decl.expr, ir.Table) and decl.expr.rows:
                # A decision table is named by the row that chose and the values that chose it, not quoted whole.
                table = decl.expr
                count = len(table.rows) + (table.otherwise is not None)
                lines.append(f"  rule: a decision table of {count} rows{self.where(decl)}")
                lines.append(f"  chosen: {self.why(table, decl, row)[0]}")
            else:
                lines.append(f"  rule: {self.quote(decl)}")
            lines += self.provenance(decl.provenance, decl, assumptions)
            for adjust in decl.adjusts:
                lines.append(f"  then: {self.quote(adjust)}: {self.applied(adjust, row)}")
                lines += ["  " + line for line in self.provenance(adjust.provenance, adjust, assumptions)]
            read = [n for n in ir.reads(decl) if not isinstance(self.decls[n], ir.Score)]
            if read:
                lines.append("  reads: " + ", ".join(f"{n} = {self.shown(n, row)}" for n in read))
            scores = [n for n in ir.reads(decl) if isinstance(self.decls[n], ir.Score)]
            if scores:
                present = sum(not np.isnan(self.values[n][row]) for n in scores)
                plural = "s" if len(scores) != 1 else ""
                lines.append(
                    f"  reads {len(scores)} metric score{plural}: {present} present, {len(scores) - present} missing"
                )
        scored = [n for n in chain if isinstance(self.decls[n], ir.Score) and not np.isnan(self.values[n][row])]
        if scored:
            lines += ["", "metric scores (value, then score)"]
            width = max(len(n) for n in scored)
            for name in scored:
                score = self.program.score(name)
                lines.append(
                    f"  {name:<{width}}  {self.shown(score.metric, row):>8}  {self.shown(name, row):>6}"
                    + ("  (given)" if self.given(name, row) else "")
                )
                self.provenance(score.provenance, score, assumptions)
        inputs = [c for n in chain if isinstance(c := self.decls[n], ir.Column) and c.kind != "metric"]
        if inputs:
            lines += ["", "inputs"]
            for column in inputs:
                name = column.name
                kind = " (a judgement)" if column.kind == "judgement" else ""
                lines.append(f"  {name} = {self.shown(name, row)}{kind}")
                if self.defaulted(column, row):
                    lines[-1] += " (default: the cell is empty)"
                    lines += ["  " + line for line in self.provenance(column.default_provenance, column, assumptions)]
        lines += [
            "",
            f"this result rests on {len(assumptions)} assumption{'s' if len(assumptions) != 1 else ''}"
            + (":" if assumptions else ""),
        ]
        lines += [f"  - {where}: {text}" for where, text in assumptions]
        return [printable(line) for line in lines]

    def summary(self, row: int, outcome: str) -> str:
        """One printable line: the derived values the outcome rests on, and the adjustments that applied or were
        unknown."""
        parts: list[str] = []
        seen: set[str] = set()

        def visit(name: str, top: bool = False) -> None:
            decl = self.decls[name]
            if name in seen or not isinstance(decl, ir.Derived):
                return
            seen.add(name)
            head = f"{name} {self.shown(name, row)}"
            if self.given(name, row):
                parts.append(head + " (given)")
                return
            crossed = self.cut_points(decl.expr, row)
            details = [crossed[0]] if crossed is not None else []
            for adjust, changed in zip(decl.adjusts, self.changes(decl, row), strict=True):
                state = self.applied(adjust, row)
                # the outcome's own adjustments all count; below it, those that changed something
                if top or changed:
                    text = self.text(adjust)
                    details.append(f"`{text if len(text) <= 60 else text[:57] + '...'}` {state}")
            parts.append(head + (f" ({'; '.join(d for d in details if d)})" if any(details) else ""))
            for read in ir.loads(decl.expr):
                visit(read)

        visit(outcome, top=True)
        return printable("; ".join(parts))

    def decisive(self, row: int, outcome: str) -> list[dict]:
        """The steps that decided the outcome, in business terms: each adjustment that applied (a cap, a moderator,
        an override), which argument of a worst/best decided, the quartile and the cut point crossed, and the
        metric scores that weighed most on an average. Outcome first; each step with the source it rests on, its
        kind (KINDS) and its driver: the step in words that do not depend on the row's numbers, so that rows
        decided the same way group together."""
        steps: list[dict] = []
        seen: set[str] = set()

        def step(name: str, why: str, node, kind: str, driver: str) -> None:
            source = next((p.text for p in node.provenance if p.kind == "source"), None)
            value = self.value(name, row)
            steps.append({"name": name, "value": value, "why": why, "source": source, "kind": kind, "driver": driver})

        def visit(name: str) -> None:
            decl = self.decls[name]
            if name in seen or not isinstance(decl, ir.Derived):
                return
            seen.add(name)
            if self.given(name, row):
                step(name, "given in the table", decl, GIVEN, f"{name} given in the table")
                return
            for adjust, changed in zip(decl.adjusts, self.changes(decl, row), strict=True):
                if changed:
                    state = self.applied(adjust, row)
                    text = self.text(adjust)
                    why = f"{text} ({'applied' if state == 'applies' else state})"
                    step(name, why, adjust, ADJUSTMENT, f"{name}: {text}")
            why, follow, kind, driver = self.why(decl.expr, decl, row)
            step(name, why, decl, kind, f"{name}: {driver}" if driver else name)
            for read in follow:
                visit(read)

        visit(outcome)
        return steps

    def why(self, expr: ir.Expr, decl: ir.Derived, row: int) -> tuple[str, list[str], str, str]:
        """An expression (the rule, or a decision table's chosen result) on this row: what it came to in words, the
        values to follow, its kind and its driver (the words without the row's numbers)."""
        written = self.text(expr) if expr is not decl.expr else self.text(decl).split("=", 1)[-1].strip()
        while isinstance(expr, (ir.Cast, ir.Round)):
            expr = expr.operand
        names = [n for n in ir.loads(expr) if n in self.decls]
        loaded = [a.name for a in expr.args if isinstance(a, ir.Load)] if isinstance(expr, ir.Extreme) else []
        if isinstance(expr, ir.Extreme) and len(loaded) == len(expr.args):
            present = [(float(self.values[n][row]), n) for n in loaded if not np.isnan(self.values[n][row])]
            if present:
                pick = max(present)[0] if expr.kind == "worst" else min(present)[0]
                deciding = [n for v, n in present if v == pick]
                shown = ", ".join(f"{n} {self.shown(n, row)}" for _, n in present)
                by = " and ".join(deciding)
                return f"the {expr.kind} of {shown}: decided by {by}", deciding, expr.kind, f"the {expr.kind} is {by}"
        if isinstance(expr, ir.Quartile):
            crossed = self.cut_points(decl.expr, row)
            if crossed is None:
                return f"{decl.name} by quartiles", names, QUARTILE, "by quartiles"
            return crossed[0], names, QUARTILE, crossed[1]
        if isinstance(expr, ir.Table):
            if self.reader is None:
                self.reader = Reader(self.program, self.frame, self.values)
            chosen = self.reader.chosen(expr, row)
            if chosen is not None:
                condition, result = chosen
                read = [n for n in ir.loads(condition) if n in self.decls] if condition is not None else []
                shown = ", ".join(f"{n} {self.shown(n, row)}" for n in read)
                when = "otherwise" if condition is None else f"when {self.text(condition)}"
                head = when + (f" (with {shown})" if shown else "")
                if isinstance(result, ir.Const):
                    return f"{head}: {self.text(result)}", read, TABLE, f"{when}: {self.text(result)}"
                inner, follow, kind, driver = self.why(result, decl, row)
                if condition is not None:  # the row's condition chose the rule, so the row decides
                    kind, driver = TABLE, f"{when}: {driver}" if driver else when
                return f"{head}: {inner}", read + [n for n in follow if n not in read], kind, driver
        scores = [n for n in names if isinstance(self.decls[n], ir.Score)]
        if isinstance(expr, ir.Aggregate) and scores:
            return (
                self.weighed(expr, scores, row),
                [n for n in names if n not in scores],
                AVERAGE,
                f"{expr.kind} of metric scores",
            )
        shown = ", ".join(f"{n} {self.shown(n, row)}" for n in names if n != "org_type")
        kind = PASS if isinstance(expr, ir.Load) and expr.name in self.decls else RULE
        return written + (f", with {shown}" if shown else ""), names, kind, written

    def weighed(self, expr: ir.Aggregate, scores: list[str], row: int) -> str:
        """An average of metric scores: how many were present, and the three that pulled it furthest the wrong way."""
        present = [n for n in scores if not np.isnan(self.values[n][row])]
        text = f"{expr.kind} of {len(present)} of {len(scores)} metric scores"
        directions = {self.program.score(n).low_is_better for n in present}
        if len(directions) != 1 or None in directions or not present:
            return text
        worst = sorted(present, key=lambda n: float(self.values[n][row]), reverse=directions == {True})[:3]
        metric = {n: self.program.score(n).metric for n in worst}
        listed = ", ".join(f"{metric[n]} {self.shown(n, row)} (value {self.shown(metric[n], row)})" for n in worst)
        return f"{text}; the worst: {listed}"

    def assumptions(self, outcome: str) -> list[tuple[str, str]]:
        """Every assumption on the way to the outcome, as (file:line, text), once each."""
        found: list[tuple[str, str]] = []
        for name in self.chain(outcome):
            decl = self.decls[name]
            self.provenance(decl.provenance, decl, found)
            for adjust in getattr(decl, "adjusts", ()):
                self.provenance(adjust.provenance, adjust, found)
            if isinstance(decl, ir.Column) and decl.default is not None:
                self.provenance(decl.default_provenance, decl, found)
        return found

    def cut_points(self, rule: ir.Expr, row: int) -> tuple[str, str] | None:
        """Where a quartile's cut points fell in the row's cohort group and which the row's value crossed, when the
        rule quartiles a named value: the words, and the driver (the cut point crossed, without the numbers)."""
        if not isinstance(rule, ir.Quartile):
            return None
        operand = rule.operand
        if not isinstance(operand, ir.Load) or operand.name not in self.values:
            return None
        if self.context is None:
            self.context = Context(self.frame, self.program.cohorts, ())
        within, by = rule.within, None
        if within is None:
            groups, where = self.context.own, "in its cohort"
        elif within.by is None:
            groups, where = self.context.within(), "across every org type"
        else:
            by = within.by.name if isinstance(within.by, ir.Load) else None
            if by is None or (by not in self.values and by != "org_type"):
                return None
            cells = self.frame.org_type if by == "org_type" else self.values[by]
            groups = self.context.within(np.asarray(cells, dtype=np.float64))
            where = f"with its {by} ({self.shown(by, row)})" if by != "org_type" else "of its org type"
        if groups.outside is not None and groups.outside[row]:
            return None
        values = groups.inside(np.asarray(self.values[operand.name], dtype=np.float64))
        group = values[groups.group == groups.group[row]]
        ordered = np.sort(group[~np.isnan(group)])
        points = [cut_point(ordered, p, rule.method) for p in (0.25, 0.5, 0.75)]
        cuts = ", ".join(f"{x:.4g}" for x in points)
        text = f"quartiles of {operand.name} over {len(ordered)} {where}, cut points {cuts}"
        value = float(self.values[operand.name][row])
        if np.isnan(value) or any(np.isnan(points)):
            return text, "by quartiles"
        above = sum(value > x for x in points)
        below = sum(value < x for x in points)
        ordinal = ("first", "second", "third")
        if below == 3:
            where = "below the first cut point"
        elif above == 3:
            where = "above the third cut point"
        elif above + below == 3:
            where = f"between the {ordinal[above - 1]} and {ordinal[above]} cut points"
        else:  # on a cut point: the quartile's method says which side it falls
            where = "on the " + " and ".join(ordinal[k] for k, x in enumerate(points) if x == value) + " cut point"
        shown = f"{operand.name} {self.shown(operand.name, row)}"
        return f"{shown} {where}: {text}", f"{operand.name} {where}"

    def provenance(self, items, node, assumptions: list) -> list[str]:
        out = []
        for p in items:
            out.append(f'  {p.kind} "{p.text}"')
            if p.kind in ("assume", "provisional"):
                span = node.span
                where = f"{Path(span.file).name}:{span.line}" if span else "?"
                if (where, p.text) not in assumptions:
                    assumptions.append((where, p.text))
        return out

    def note(self, adjust: ir.Adjust) -> tuple[np.ndarray, np.ndarray] | None:
        """The adjustment's condition and the value before it, as the evaluator noted them."""
        span = adjust.span
        return self.notes.get(self.steps.get((span.file, span.line, span.col)) if span else None)

    def applied(self, adjust: ir.Adjust, row: int) -> str:
        noted = self.note(adjust)
        if noted is None:
            return "not recorded"
        value = noted[0][row]
        return "condition missing" if np.isnan(value) else ("applies" if value == 1 else "does not apply")

    def changes(self, decl: ir.Derived, row: int) -> list[bool]:
        """For each of the value's adjustments, whether it changed the value on this row."""
        befores = [noted for adjust in decl.adjusts if (noted := self.note(adjust)) is not None]
        if len(befores) < len(decl.adjusts):
            return [True] * len(decl.adjusts)
        values = [float(b[1][row]) for b in befores] + [float(self.values[decl.name][row])]
        return [not (a == b or a != a and b != b) for a, b in zip(values, values[1:], strict=False)]  # x != x: NaN


def rule_text(compiled: Compiled, node: ir.Node) -> str:
    """A rule as the policy writes it, on one line; empty for a node with no place in the policy's files."""
    span = node.span
    source = compiled.sources.get(span.file) if span else None
    return " ".join(source.text[span.start : span.end].split()) if span is not None and source is not None else ""


def summaries(compiled: Compiled, module, frame: Frame, values, notes: dict, rows: list[int]) -> list[str]:
    """For each of `rows`, one line saying how its outcome came about."""
    explainer = Explainer(compiled, frame, values, notes, module.SOURCES)
    return [explainer.summary(row, outcome(compiled.program)) for row in rows]


class NotInTable(LookupError):
    """No row of the table is the organisation (and period) asked for; the message says what the table has."""


def rows_of(frame: Frame, org: str, period: str | None = None, table: str = "the table") -> list[int]:
    """The rows of `org`, or of `org` in `period` (`2025Q3`). Raises NotInTable, naming `table` with the nearest
    code or the periods `org` has, and ValueError for a period not written like `2025Q3`."""
    rows = [n for n, o in enumerate(frame.org) if o == org]
    if not rows:
        parts = org.split()
        if len(parts) == 2 and parse_period(parts[1]) >= 0 and parts[0] in frame.org:
            hint: str | None = f"for one period, write `{parts[0]}@{parts[1]}`"
        else:
            hint = did_you_mean(org, sorted(set(frame.org)))
        raise NotInTable(f"no organisation `{org}` in {table}" + (f"; {hint}" if hint else ""))
    if period is None:
        return rows
    code = parse_period(period)
    if code < 0:
        raise ValueError(f"expected a period like 2025Q3 (year, Q, quarter 1 to 4), got {period!r}")
    if frame.period is None:
        raise NotInTable(f"{table} has no period column; leave out the period")
    chosen = [row for row in rows if int(frame.period[row]) == code]
    if not chosen:
        has = ", ".join(format_period(int(frame.period[row])) for row in rows)
        raise NotInTable(f"`{org}` has no row for period {format_period(code)}; it has {has}")
    return chosen


def explain(
    compiled: Compiled,
    module,
    frame: Frame,
    values,
    notes: dict,
    org: str,
    period: str | None = None,
    table: str = "the table",
    likely: LikelyRanges | None = None,
) -> str:
    """The chain of values behind the outcome of one organisation, for each of its periods or for `period`, with
    its likely ranges where they are given.

    Raises NotInTable and ValueError as `rows_of` does."""
    rows = rows_of(frame, org, period, table)
    explainer = Explainer(compiled, frame, values, notes, module.SOURCES)
    blocks = []
    for row in rows:
        lines = explainer.row(row, outcome(compiled.program))
        if likely is not None:
            lines += ["", *(printable(line) for line in likely.describe(row))]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"
