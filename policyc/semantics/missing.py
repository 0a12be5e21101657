"""Which inputs, when missing alone, make a value missing: worked out from the rules, without data.

For each org type, each input, judgement or metric `x` and each value `v`, on a complete row (every input,
judgement and metric of the row present, nothing given in place of a derived value or score) with `x`'s cell
made empty, `v` is found to be

- `ALWAYS` missing: missing on every such row;
- `MAY` be missing: on some rows, or the analysis cannot tell (a conservative answer);
- `PRES`: present wherever it was present on the complete row (its value may change);
- `IND`: unchanged, for it does not depend on `x`.

The rules follow docs/semantics.md, "Missing values propagate": an operator is missing when an operand is; `and`,
`or`, the aggregates and `if_missing` only when what decides them is; a decision table when its first condition
is, or its chosen result; an adjustment whose condition is missing may blank the value. Beside the kind goes
whether the value is surely present on a complete row (`sure`), and whether it is missing on every row of the
org type whatever the cells (`dead`: an input that does not apply). An input with a default is never missing
alone: its empty cell reads as the default.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from policyc.semantics.builtins import BUILTINS, WITHIN_ALL, Builtin
from policyc.semantics.check import Checked
from policyc.semantics.declarations import check_applies
from policyc.syntax import ast
from policyc.syntax.diagnostics import Diagnostics
from policyc.syntax.source import Source, Span

IND, PRES, MAY, ALWAYS = "unchanged", "present", "may", "always"

# The code of the warning that an input without a default can blank the outcome (`check --missing-data`).
CODE = "PC352"


@attrs.frozen
class Step:
    """A place on the way from an input to a value: the value it passes through and the rule that passes it."""

    name: str
    rule: str
    span: Span | None


@attrs.frozen
class A:
    kind: str
    sure: bool = False  # present on every complete row of the org type
    dead: bool = False  # missing on every row of the org type
    via: tuple[Step, ...] = ()


_CONST = A(IND, sure=True)
_DEAD = A(IND, dead=True)


@attrs.frozen
class Finding:
    """`value` is missing (`ALWAYS`) or may be (`MAY`) when `input` alone is, on rows of `org_types`."""

    value: str
    input: str
    kind: str
    org_types: tuple[str, ...]
    via: tuple[Step, ...]


def _strict(parts: list[A], preserving: bool = True) -> A:
    """An operation missing when any operand is: `preserving` when present operands always give a present value."""
    sure = preserving and all(p.sure for p in parts)  # arithmetic on present values can divide by 0
    dead = any(p.dead for p in parts)
    for p in parts:
        if p.kind == ALWAYS:
            return A(ALWAYS, False, dead, p.via)
    mays = [p for p in parts if p.kind == MAY]
    if mays:
        return A(MAY, sure, dead, mays[0].via)
    if all(p.kind == IND for p in parts):
        return A(IND, sure, dead)
    pres = next(p for p in parts if p.kind == PRES)
    return A(PRES if preserving else MAY, sure, dead, pres.via)


def _any_present(parts: list[A]) -> A:
    """Missing only when every part is: an aggregate over the arguments present, `if_missing`."""
    live = [p for p in parts if not p.dead]
    if not live:
        return _DEAD
    sure = any(p.sure for p in live)
    if all(p.kind == IND for p in live):
        return A(IND, sure)
    if all(p.kind == ALWAYS for p in live):
        return A(ALWAYS, False, False, live[0].via)
    # a part that stays present (and is present) keeps the whole present
    if any(p.sure and p.kind in (IND, PRES) for p in live):
        via = next(p.via for p in live if p.kind != IND)
        return A(PRES, sure, False, via)
    if any(p.kind in (ALWAYS, MAY) for p in live):
        return A(MAY, sure, False, next(p.via for p in live if p.kind in (ALWAYS, MAY)))
    return A(PRES, sure, False, next(p.via for p in live if p.kind != IND))


def _and_or(left: A, right: A) -> A:
    parts = [left, right]
    sure = left.sure and right.sure
    if any(p.kind == MAY for p in parts) or (ALWAYS in (left.kind, right.kind) and left.kind != right.kind):
        return A(MAY, sure, False, next(p.via for p in parts if p.kind in (MAY, ALWAYS)))
    if left.kind == ALWAYS:
        return A(ALWAYS, False, left.dead and right.dead, left.via)
    if left.kind == right.kind == IND:
        return A(IND, sure, left.dead and right.dead)
    return A(PRES, sure, False, next(p.via for p in parts if p.kind == PRES))


class Analysis:
    """The analysis of one checked policy, for one org type and one input at a time."""

    def __init__(self, checked: Checked, sources: dict[str, Source]):
        self.checked = checked
        self.scope = checked.scope
        self.sources = sources
        self.org_types = list(self.scope.org_types)
        self.applies: dict[str, set[str]] = {}
        declared: list[ast.Input | ast.Metric] = [*self.scope.inputs.values(), *self.scope.metrics.values()]
        for decl in declared:
            self.applies[decl.name.text] = set(check_applies_quiet(checked, decl.applies))
        self.columns = [*self.scope.inputs, *self.scope.metrics]
        self.reads: dict[str, set[str]] = {}
        for name in self.scope.order:
            found: set[str] = set()
            value = self.scope.values[name]
            for expr in _exprs_of(value):
                for read in _names(expr, checked):
                    found |= {read} if read in self.applies else self.reads.get(read, set())
            self.reads[name] = found
        self.memo: dict[tuple[str, str, str | None], A] = {}

    # ------------------------------------------------------------ named values

    def named(self, name: str, org_type: str, x: str | None) -> A:
        """A named value (input, metric, `m.score`, derived value) on a row of `org_type` with `x`'s cell empty."""
        if name == "org_type":
            return _CONST
        if name.endswith(".score"):
            metric = self.scope.metrics[name[: -len(".score")]]
            if org_type not in self.applies[metric.name.text]:
                return _DEAD
            value = self.named(metric.name.text, org_type, x)
            sure = isinstance(metric.scoring, (ast.Ranked, ast.Scores))
            if value.kind == ALWAYS:
                return A(ALWAYS, False, False, value.via)
            return A(value.kind, sure and value.sure, False, value.via)
        if name in self.applies:
            if org_type not in self.applies[name]:
                return _DEAD
            if name != x:
                return _CONST
            decl = self.scope.named(name)
            if isinstance(decl, ast.Input) and decl.default is not None:
                return A(PRES, True)  # the empty cell reads as the default
            return A(ALWAYS)
        if x is not None and x not in self.reads.get(name, set()):
            x = None
        key = (name, org_type, x)
        if key not in self.memo:
            self.memo[key] = self.derived(self.scope.values[name], org_type, x)
        return self.memo[key]

    def derived(self, value: ast.Value, org_type: str, x: str | None) -> A:
        name = value.name.text
        rule = self.expr(value.expr, org_type, x, None)
        rule = self.passing(rule, name, self.quote(value.expr), value.expr.span)
        for adjust in value.adjusts:
            rule = self.adjust(adjust, rule, org_type, x, name)
        return rule

    def passing(self, got: A, name: str, rule: str, span: Span | None) -> A:
        """`got` as the value `name` gives it: a step of the way added when an input blanks it."""
        if got.kind in (ALWAYS, MAY):
            return attrs.evolve(got, via=(*got.via, Step(name, rule, span)))
        return got

    def adjust(self, adjust: ast.Adjust, before: A, org_type: str, x: str | None, name: str) -> A:
        so_far = {name: before}
        v = self.expr(adjust.value, org_type, x, so_far)
        c = self.expr(adjust.condition, org_type, x, so_far)
        parts = [before, v, c]
        sure = all(p.sure for p in parts)
        dead = before.dead and adjust.kind != "becomes"
        if all(p.kind == IND for p in parts):
            return A(IND, sure, dead)
        text = f"{adjust.kind} {self.quote(adjust.value)} when {self.quote(adjust.condition)}"
        here = Step(name, text, adjust.span)
        if before.kind == ALWAYS and adjust.kind != "becomes":
            return before  # a cap of a missing value is missing, whether or not it applies
        if c.kind in (ALWAYS, MAY):
            # a missing condition blanks the value wherever the adjustment would change it
            return A(MAY, False, False, (*c.via, here))
        if before.kind in (ALWAYS, MAY):
            return A(MAY, sure, False, before.via)
        if v.kind in (ALWAYS, MAY):
            return A(MAY, sure, False, (*v.via, here))
        if c.sure and v.sure and (adjust.kind != "becomes" or before.sure):
            return A(PRES, sure, False, before.via or v.via or c.via)
        return A(MAY, sure, False, (*(before.via or v.via or c.via), here))

    # ------------------------------------------------------------ expressions

    def expr(self, e: ast.Expr, org_type: str, x: str | None, so_far: dict[str, A] | None) -> A:
        def sub(child: ast.Expr) -> A:
            return self.expr(child, org_type, x, so_far)

        if isinstance(e, (ast.Number, ast.Bool)):
            return _CONST
        if isinstance(e, ast.Missing):
            return _DEAD
        if isinstance(e, ast.Ref):
            name = e.name.text
            if so_far is not None and name in so_far:
                return so_far[name]
            if self.scope.named(name) is None and name != "org_type":
                return _CONST  # a label
            return self.named(name, org_type, x)
        if isinstance(e, ast.Member):
            return self.named(f"{e.target.text}.score", org_type, x)
        if isinstance(e, ast.Unary):
            return _strict([sub(e.operand)])
        if isinstance(e, ast.Cast):
            return _strict([sub(e.operand)])
        if isinstance(e, ast.Binary):
            if e.op in ast.LOGIC:
                return _and_or(sub(e.left), sub(e.right))
            if e.op in ("is", "is not") and (isinstance(e.right, ast.Missing) or isinstance(e.left, ast.Missing)):
                operand = sub(e.left if isinstance(e.right, ast.Missing) else e.right)
                return A(IND if operand.kind == IND else PRES, True)
            # arithmetic on changed values can divide by 0 or meet an infinity: not surely present
            return _strict([sub(e.left), sub(e.right)], preserving=e.op in ast.COMPARISON)
        if isinstance(e, ast.Table):
            return self.table(e, sub)
        if isinstance(e, ast.Call):
            return self.call(e, sub, org_type, x)
        return A(MAY)

    def table(self, table: ast.Table, sub) -> A:
        conditions = [sub(row.condition) for row in table.rows if row.condition is not None]
        results = [sub(row.result) for row in table.rows]
        has_otherwise = any(row.condition is None for row in table.rows)
        sure = all(c.sure for c in conditions) and all(r.sure for r in results) and has_otherwise
        parts = conditions + results
        first = conditions[0] if conditions else None
        if first is not None and first.kind == ALWAYS:
            return A(ALWAYS, False, False, first.via)
        if all(p.kind == IND for p in parts):
            return A(IND, sure)
        if all(c.kind == IND for c in conditions):
            # the same row is chosen as on the complete row: its result decides
            if all(r.kind == ALWAYS or r.dead for r in results) and any(r.kind == ALWAYS for r in results):
                return A(ALWAYS, False, False, next(r.via for r in results if r.kind == ALWAYS))
            if all(r.kind in (IND, PRES) for r in results):
                return A(PRES, sure, False, next(r.via for r in results if r.kind == PRES))
            return A(MAY, sure, False, next(r.via for r in results if r.kind in (ALWAYS, MAY)))
        steady = all(c.kind in (IND, PRES) and c.sure for c in conditions)
        if steady and has_otherwise and all(r.kind in (IND, PRES) and r.sure for r in results):
            return A(PRES, sure, False, next(p.via for p in parts if p.kind == PRES))
        return A(MAY, sure, False, next(p.via for p in parts if p.kind != IND))

    def call(self, call: ast.Call, sub, org_type: str, x: str | None) -> A:
        builtin = BUILTINS.get(call.func.text)
        if builtin is None:
            return A(MAY)
        args: list[A] = []
        group: A | None = None  # a `within:` value: a row without one is in no group, and gets no value
        for arg in call.args:
            if isinstance(arg, ast.Selector):
                args += [self.named(f"{m.name.text}.score", org_type, x) for m in self.checked.selected(arg)]
            elif not isinstance(arg, ast.NamedArg):
                args.append(sub(arg))
            elif arg.name.text == "within" and isinstance(arg.value, ast.Ref) and arg.value.name.text != WITHIN_ALL:
                group = sub(arg.value)
        found = self.function(builtin, args)
        return found if group is None else _strict([found, group])

    def function(self, builtin: Builtin, args: list[A]) -> A:
        node = builtin.node
        if node in ("Aggregate", "Extreme", "IfMissing"):
            return _any_present(args)
        if node in ("Round", "Unary", "Step", "Cast", "Quartile", "Run"):
            return _strict(args[:1] if node in ("Round", "Step", "Quartile") else args)
        if node == "Previous":
            return A(IND, False, args[0].dead)  # another row's value: this row's empty cell does not reach it
        if node == "Cohort" and builtin.kind in ("rank", "percentile_rank"):
            return _strict(args)
        if node in ("Cohort", "Quantile"):
            # over the cohort's values: this row's own may be among them
            own = args[0]
            if own.kind == IND:
                return A(IND, own.sure and builtin.kind == "mean", own.dead)
            kind = PRES if own.kind == PRES else MAY
            return A(kind, own.sure and builtin.kind == "mean", False, own.via)
        return A(MAY)

    # ------------------------------------------------------------ the map

    def quote(self, node: ast.Node) -> str:
        """A rule as the policy writes it, on one line, cut short past 60 characters."""
        span = node.span
        source = self.sources.get(span.file) if span is not None else None
        if span is None or source is None:
            return ""
        text = " ".join(source.text[span.start : span.end].split())
        return text if len(text) <= 60 else text[:57] + "..."

    def findings(self, value: str, inputs: Iterable[str] | None = None) -> list[Finding]:
        """The inputs, judgements and metrics that, missing alone, blank `value` on rows of some org type."""
        out = []
        for x in inputs if inputs is not None else self.columns:
            if x not in self.reads.get(value, set()):
                continue
            by_type = {o: self.named(value, o, x) for o in self.org_types if o in self.applies[x]}
            blanks = {o: a for o, a in by_type.items() if a.kind in (ALWAYS, MAY)}
            if not blanks:
                continue
            always = all(a.kind == ALWAYS for a in by_type.values())
            first = next(iter(blanks.values()))
            out.append(Finding(value, x, ALWAYS if always else MAY, tuple(blanks), first.via))
        return out


def check_applies_quiet(checked: Checked, applies: ast.Applies | None) -> list[str]:
    """The org types a declaration applies to, for a policy already checked (nothing is reported again)."""
    from policyc.semantics.context import Context

    return check_applies(Context(checked.scope, Diagnostics()), applies)


def _exprs_of(value: ast.Value) -> list[ast.Expr]:
    return [value.expr, *(e for a in value.adjusts for e in (a.value, a.condition))]


def _names(expr: ast.Expr, checked: Checked) -> set[str]:
    """The named values an expression reads: inputs, metrics, scores (`m.score`), derived values."""
    found: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, ast.Ref):
            found.add(node.name.text)
        elif isinstance(node, ast.Member):
            found.add(node.target.text)
        elif isinstance(node, ast.Selector):
            found.update(m.name.text for m in checked.selected(node))
        if isinstance(node, tuple):
            for child in node:
                visit(child)
        elif isinstance(node, ast.Node):
            for field in attrs.fields(type(node)):
                if field.name != "span":
                    visit(getattr(node, field.name))

    visit(expr)
    return found


def outcome_name(checked: Checked) -> str | None:
    """The value a result is about: the declared outcome, else the last derived value."""
    scope = checked.scope
    if scope.outcome is not None and scope.outcome.name.text in scope.values:
        return scope.outcome.name.text
    return scope.order[-1] if scope.order else None


def describe(finding: Finding, analysis: Analysis) -> str:
    """`segment` is missing whenever `in_deficit` is: `no better than 3 when in_deficit`, line 686."""
    verb = "is missing whenever" if finding.kind == ALWAYS else "can be missing when"
    every = len(finding.org_types) == len(analysis.applies[finding.input])
    where = "" if every else f" (for {', '.join(finding.org_types)})"
    steps = "; ".join(
        f"`{s.rule}`"
        + (f", line {s.span.line}" if s.span is not None else "")
        + ("" if s.name == finding.value else f" ({s.name})")
        for s in finding.via
    )
    return f"`{finding.value}` {verb} `{finding.input}` is missing{where}" + (f": {steps}" if steps else "")


def report(checked: Checked, sources: dict[str, Source], diags: Diagnostics) -> None:
    """Warn (PC352) of each input or judgement without a default that, missing alone, can blank the outcome."""
    outcome = outcome_name(checked)
    if outcome is None:
        return
    analysis = Analysis(checked, sources)
    candidates = [n for n, d in checked.scope.inputs.items() if d.default is None]
    for finding in analysis.findings(outcome, candidates):
        decl = checked.scope.inputs[finding.input]
        what = "judgement" if decl.judgement else "input"
        diags.warning(
            CODE,
            describe(finding, analysis),
            decl.name.span,
            f"say what an empty cell of this {what} means with `default` (and its `source` or `assume`), "
            "or read it with `if_missing` or `is missing` in the rule",
        )


def explain_missing(checked: Checked, sources: dict[str, Source], path: str) -> list[str]:
    """The whole map, outcome first: for each derived value, the inputs, judgements and metrics that missing alone
    make it missing (or may), with the way through the rules; an input with a default is never among them."""
    analysis = Analysis(checked, sources)
    outcome = outcome_name(checked)
    names = list(reversed(checked.scope.order))
    if outcome is not None:
        names = [outcome, *(n for n in names if n != outcome)]
    lines = [f"{path}: what a missing cell can blank"]
    for name in names:
        findings = analysis.findings(name)
        head = f"  {name}" + (" (the outcome)" if name == outcome else "")
        if not findings:
            lines.append(f"{head}: no input missing alone blanks it")
            continue
        lines.append(f"{head}:")
        for finding in findings:
            lines.append(f"    - {describe(finding, analysis)}")
    return lines
