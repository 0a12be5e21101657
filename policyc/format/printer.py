"""The formatter: a syntax tree back to canonical policy text (laid out by `layout`), checked by parsing it back."""

from __future__ import annotations

from policyc.format.layout import WIDTH, Break, Comments, Nest, Part, Trailing, Writer, wrapped
from policyc.syntax import ast
from policyc.syntax.diagnostics import Diagnostics
from policyc.syntax.read import parse_text
from policyc.syntax.source import Source

# Precedence, loosest first. A table binds loosest of all: outside the places where the grammar
# takes a whole `expr` (a value, a weight, a call argument, parentheses) it needs parentheses.
TABLE, OR, AND, NOT, COMPARE, CAST, SUM, PRODUCT, NEGATE, ATOM = range(10)

BINARY_LEVEL = {"or": OR, "and": AND, "+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT}
BINARY_LEVEL.update((op, COMPARE) for op in ast.COMPARISON)

# A clause indents STEP under the line it belongs to.
STEP = 2

# Declarations of these kinds that fit on one line stay together, without blank lines between.
GROUP = {
    ast.OrgTypes: "org",
    ast.Cohort: "org",
    ast.Outcome: "org",
    ast.Scale: "scale",
    ast.Domain: "domain",
    ast.Input: "input",
    ast.Value: "value",
}


def print_policy(policy: ast.Policy, width: int = WIDTH) -> str:
    """Canonical text for a syntax tree; parsing it gives the same tree, comments included."""
    out: list[str] = []
    previous_group = None
    for index, decl in enumerate(policy.items):
        writer = Writer(width)
        _declaration(writer, decl)
        lines = writer.finish()
        one_line = len(lines) - len(decl.comments) == 1
        group = GROUP.get(type(decl)) if one_line else None
        if index and (group is None or group != previous_group):
            out.append("")
        out.extend(lines)
        previous_group = group
    if policy.end_comments:
        if out:
            out.append("")
        out.extend(policy.end_comments)
    return "\n".join(out) + "\n"


def format_text(path: str, text: str) -> tuple[str | None, Diagnostics]:
    """The canonical text of a file, or None when it has errors or printing would change its tree."""
    parsed = parse_text(path, text)
    diags = parsed.diagnostics
    # A parse error that still yields a tree (a second `extends`, a second scoring model) has
    # dropped part of the text; printing that tree would silently delete it.
    if parsed.policy is None or diags.has_errors:
        return None, diags
    printed = print_policy(parsed.policy)
    again = parse_text(path, printed)
    if again.policy is None or again.diagnostics.has_errors or again.policy != parsed.policy:
        diags.error(
            "PC901",
            "the formatter would change the meaning of this file; it was left as it is",
            Source(path, text).span(0, 0),
            "please report this with the file",
        )
        return None, diags
    return printed, diags


# ---------------------------------------------------------------- small pieces


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _names(names: tuple[ast.Name, ...]) -> list[Part]:
    return wrapped([name.text for name in names])


def _replace(replace: bool) -> str:
    return "replace " if replace else ""


def _title(title: str | None) -> str:
    return "" if title is None else " " + _string(title)


def _type(type_: ast.Type) -> list[Part]:
    if isinstance(type_, ast.BoolType):
        return ["yes/no"]
    if isinstance(type_, ast.LabelsType):
        return ["one of ", *wrapped([label.text for label in type_.labels], " / ")]
    return [type_.name.text]


def _applies(applies: ast.Applies) -> list[Part]:
    return ["for all"] if applies.org_types is None else ["for ", *_names(applies.org_types)]


def _literal(literal: ast.Literal) -> str:
    return _string(literal.text) if literal.kind == "string" else literal.text


def _provenance(writer: Writer, provenance: tuple[ast.Provenance, ...], indent: int) -> None:
    for item in provenance:
        writer.begin(indent, item.comments, f"{item.kind} {_string(item.text)}")
        writer.trailing(item.trailing)


def _default(writer: Writer, clause: ast.Default | None) -> None:
    """`default V` on a line of its own, its provenance beneath it."""
    if clause is None:
        return
    writer.begin(STEP, clause.comments, f"default {_literal(clause.value)}")
    _provenance(writer, clause.provenance, 2 * STEP)
    writer.trailing(clause.trailing)


# ---------------------------------------------------------------- expressions


def _level(expr: ast.Expr) -> int:
    if isinstance(expr, ast.Table):
        return TABLE
    if isinstance(expr, ast.Binary):
        return BINARY_LEVEL[expr.op]
    if isinstance(expr, ast.Unary):
        return NOT if expr.op == "not" else NEGATE
    if isinstance(expr, ast.Cast):
        return CAST
    return ATOM


def _expr(expr: ast.Expr, at_least: int = TABLE) -> list[Part]:
    """The parts of an expression that stands where the grammar wants precedence `at_least`."""
    if _level(expr) < at_least:
        return ["(", Nest(1), *_expr(expr), Nest(-1), ")"]
    if isinstance(expr, ast.Number):
        return [expr.text]
    if isinstance(expr, ast.Bool):
        return ["yes" if expr.value else "no"]
    if isinstance(expr, ast.Missing):
        return ["missing"]
    if isinstance(expr, ast.Ref):
        return [expr.name.text]
    if isinstance(expr, ast.Member):
        return [f"{expr.target.text}.{expr.member.text}"]
    if isinstance(expr, ast.Call):
        return [f"{expr.func.text}(", Nest(1), *wrapped([_arg(arg) for arg in expr.args]), Nest(-1), ")"]
    if isinstance(expr, ast.Unary):
        if expr.op == "not":
            return ["not ", *_expr(expr.operand, NOT)]
        return ["-", *_expr(expr.operand, NEGATE)]
    if isinstance(expr, ast.Binary):
        level = BINARY_LEVEL[expr.op]
        # Arithmetic and logic associate to the left; comparisons do not chain at all.
        left = level + 1 if level == COMPARE else level
        # A long condition wraps before `and` and `or`.
        wrap = [Break()] if level in (OR, AND) else []
        return [*_expr(expr.left, left), *wrap, f" {expr.op} ", *_expr(expr.right, level + 1)]
    if isinstance(expr, ast.Cast):
        return [*_expr(expr.operand, SUM), f" as {expr.scale.text}"]
    if isinstance(expr, ast.Table):
        parts: list[Part] = []
        for index, row in enumerate(expr.rows):
            if index:
                parts.append(" ")
            if row.comments:
                parts.append(Comments(row.comments))
            parts.extend(_row(row))
            if row.trailing is not None:
                parts.append(Trailing(row.trailing))
        return parts
    raise TypeError(f"not an expression: {expr!r}")


def _arg(arg: ast.Expr | ast.NamedArg | ast.Selector) -> list[Part]:
    if isinstance(arg, ast.NamedArg):
        return [f"{arg.name.text}: ", *_expr(arg.value)]
    if isinstance(arg, ast.Selector):
        text = "metric scores"
        if arg.domain is not None:
            text += f" in domain {arg.domain.text}"
            if arg.subdomain is not None:
                text += f" / {arg.subdomain.text}"
        return [text]
    return _expr(arg)


def _row(row: ast.TableRow) -> list[Part]:
    if row.condition is None:
        return ["otherwise: ", *_expr(row.result, OR)]
    return ["when ", *_expr(row.condition, OR), ": ", *_expr(row.result, OR)]


def _expression_line(writer: Writer, indent: int, comments: tuple[str, ...], head: str, expr: ast.Expr) -> None:
    """`head expr` at `indent`; a table that is the whole expression puts each row on a line below."""
    if isinstance(expr, ast.Table):
        writer.begin(indent, comments, head)
        for row in expr.rows:
            writer.begin(indent + STEP, row.comments, "")
            writer.write(*_row(row))
            writer.trailing(row.trailing)
    else:
        writer.begin(indent, comments, head + " ")
        writer.write(*_expr(expr))


# ---------------------------------------------------------------- declarations


def _header(writer: Writer, header: ast.Header) -> None:
    first = f"policy {_string(header.name)}"
    if header.version is not None:
        first += f" version {_string(header.version)}"
    extends = None if header.extends is None else f"extends {_string(header.extends)}"
    # A comment at the end of the header's last line belongs to a provenance line that ends it,
    # so a header with provenance keeps its own comment only when `extends` comes last.
    extends_last = extends is not None and header.trailing is not None and bool(header.provenance)
    if extends is not None and not extends_last:
        first += " " + extends
    writer.begin(0, header.comments, first)
    _provenance(writer, header.provenance, STEP)
    if extends is not None and extends_last:
        writer.begin(STEP, (), extends)
    writer.trailing(header.trailing)


def _org_types(writer: Writer, decl: ast.OrgTypes) -> None:
    writer.begin(0, decl.comments, "org types ")
    writer.write(*_names(decl.names))
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _cohort(writer: Writer, decl: ast.Cohort) -> None:
    writer.begin(0, decl.comments, f"{_replace(decl.replace)}cohort {decl.name.text}: ")
    writer.write(*_names(decl.members))
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _outcome(writer: Writer, decl: ast.Outcome) -> None:
    writer.begin(0, decl.comments, f"{_replace(decl.replace)}outcome {decl.name.text}")
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _scale(writer: Writer, decl: ast.Scale) -> None:
    # A scale too long for its line puts each item on a line of its own, in order.
    items = wrapped([item.key.text + _title(item.label) for item in decl.items], " > ", every=True)
    writer.begin(0, decl.comments, f"{_replace(decl.replace)}scale {decl.name.text}: ")
    writer.write(*items)
    if decl.tiers is not None:
        _tiers(writer, decl.tiers)
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _tiers(writer: Writer, clause: ast.Tiers) -> None:
    # A line too long breaks after a tier's `;` first, then between its values.
    writer.begin(STEP, clause.comments, "tiers ")
    for index, tier in enumerate(clause.tiers):
        if index:
            writer.write(";", Break(every=True), " ")
        writer.write(f"{tier.name.text}: ", Nest(1), *wrapped([value.text for value in tier.values])[1:], Nest(-1))
    writer.trailing(clause.trailing)


def _domain(writer: Writer, decl: ast.Domain) -> None:
    writer.begin(0, decl.comments, f"{_replace(decl.replace)}domain {decl.name.text}{_title(decl.title)}")
    if decl.subdomains:
        writer.write(": ", *_names(decl.subdomains))
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _input(writer: Writer, decl: ast.Input) -> None:
    kind = "judgement" if decl.judgement else "input"
    writer.begin(0, decl.comments, f"{_replace(decl.replace)}{kind} {decl.name.text}{_title(decl.title)}: ")
    writer.write(*_type(decl.type))
    if decl.applies is not None:
        writer.write(" ", *_applies(decl.applies))
    _provenance(writer, decl.provenance, STEP)
    _default(writer, decl.default)
    writer.trailing(decl.trailing)


def _metric(writer: Writer, metric: ast.Metric) -> None:
    writer.begin(0, metric.comments, f"{_replace(metric.replace)}metric {metric.name.text}{_title(metric.title)}")
    described: list[list[Part]] = []
    if metric.direction is not None:
        described.append([f"{metric.direction} is better"])
    if metric.applies is not None:
        described.append(_applies(metric.applies))
    clauses = [metric.domain, metric.weight, metric.scoring, metric.default, *metric.provenance]
    # A comment at the end of the metric's last line belongs to the clause on that line, so a
    # metric keeps its own comment only by ending with direction and applicability, which are no
    # clause of their own.
    described_last = metric.trailing is not None and bool(described) and any(c is not None for c in clauses)
    writer.begin(STEP, (), "")
    if described_last:
        writer.write(*_type(metric.type))
    else:
        for index, part in enumerate([_type(metric.type), *described]):
            separator: list[Part] = [", ", Break()] if index else []
            writer.write(*separator, *part)
    if metric.domain is not None:
        _in_domain(writer, metric.domain)
    if metric.weight is not None:
        _expression_line(writer, STEP, metric.weight.comments, "weight", metric.weight.value)
        writer.trailing(metric.weight.trailing)
    if metric.scoring is not None:
        _scoring(writer, metric.scoring)
    _default(writer, metric.default)  # a metric's default has no provenance of its own: what follows is the metric's
    _provenance(writer, metric.provenance, STEP)
    if described_last:
        writer.begin(STEP, (), "")
        for index, part in enumerate(described):
            writer.write(*([" "] if index else []), *part)
    writer.trailing(metric.trailing)


def _in_domain(writer: Writer, clause: ast.InDomain) -> None:
    text = f"in domain {clause.domain.text}"
    if clause.subdomain is not None:
        text += f" / {clause.subdomain.text}"
    writer.begin(STEP, clause.comments, text)
    writer.trailing(clause.trailing)


def _ranked(writer: Writer, clause: ast.Ranked) -> None:
    text = "ranked"
    if clause.standard is not None:
        text += f", standard {clause.standard.text}"
    if clause.floor is not None:
        text += f", floor {clause.floor.text}"
    writer.begin(STEP, clause.comments, text)
    writer.trailing(clause.trailing)


def _bands(writer: Writer, clause: ast.Bands) -> None:
    writer.begin(STEP, clause.comments, "bands")
    writer.trailing(clause.trailing)
    for row in clause.rows:
        writer.begin(2 * STEP, row.comments, f"{_band_range(row)}: {_literal(row.result)}")
        writer.trailing(row.trailing)


def _band_range(row: ast.BandRow) -> str:
    def less(bound: ast.Bound) -> str:
        return "<=" if bound.inclusive else "<"

    lower, upper = row.lower, row.upper
    if lower is not None and upper is not None:
        return f"{lower.value.text} {less(lower)} value {less(upper)} {upper.value.text}"
    if lower is not None:
        return f"{lower.value.text} {less(lower)} value"
    if upper is not None:
        return f"value {less(upper)} {upper.value.text}"
    raise ValueError("a band row needs a bound")


def _scores(writer: Writer, clause: ast.Scores) -> None:
    writer.begin(STEP, clause.comments, "scores ")
    writer.write(*wrapped([f"{pair.label.text} {pair.score.text}" for pair in clause.pairs]))
    writer.trailing(clause.trailing)


def _relative(writer: Writer, clause: ast.Relative) -> None:
    writer.begin(STEP, clause.comments, f"fails more than {clause.k.text} sd {clause.side} mean")
    writer.trailing(clause.trailing)


def _value(writer: Writer, value: ast.Value) -> None:
    _expression_line(writer, 0, value.comments, f"{_replace(value.replace)}{value.name.text} =", value.expr)
    _provenance(writer, value.provenance, STEP)
    for adjust in value.adjusts:
        writer.begin(STEP, adjust.comments, f"{adjust.kind} ")
        writer.write(*_expr(adjust.value, OR), " when ", *_expr(adjust.condition, OR))
        _provenance(writer, adjust.provenance, 2 * STEP)
        writer.trailing(adjust.trailing)
    _default(writer, value.default)
    writer.trailing(value.trailing)


def _test(writer: Writer, test: ast.Test) -> None:
    writer.begin(0, test.comments, f"test {_string(test.name)}")
    for keyword, rows in (("given", test.givens), ("expect", test.expects)):
        for row in rows:
            text = keyword + " "
            if row.row is not None:
                text += f"{row.row.text}: "
            writer.begin(STEP, row.comments, text)
            writer.write(*wrapped([_assignment(item) for item in row.items]))
            writer.trailing(row.trailing)
    _provenance(writer, test.provenance, STEP)
    writer.trailing(test.trailing)


def _assignment(item: ast.Assignment) -> str:
    text = f"{item.key} {_literal(item.value)}"
    if item.tolerance is not None:
        text += f" within {item.tolerance.text}"
    return text


def _scoring(writer: Writer, clause: ast.Scoring) -> None:
    match clause:
        case ast.Ranked():
            _ranked(writer, clause)
        case ast.Bands():
            _bands(writer, clause)
        case ast.Scores():
            _scores(writer, clause)
        case ast.Relative():
            _relative(writer, clause)


def _declaration(writer: Writer, decl: ast.Decl) -> None:
    match decl:
        case ast.Header():
            _header(writer, decl)
        case ast.OrgTypes():
            _org_types(writer, decl)
        case ast.Cohort():
            _cohort(writer, decl)
        case ast.Outcome():
            _outcome(writer, decl)
        case ast.Scale():
            _scale(writer, decl)
        case ast.Domain():
            _domain(writer, decl)
        case ast.Input():
            _input(writer, decl)
        case ast.Metric():
            _metric(writer, decl)
        case ast.Value():
            _value(writer, decl)
        case ast.Test():
            _test(writer, decl)
