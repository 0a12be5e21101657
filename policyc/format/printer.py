"""The formatter: a syntax tree back to canonical policy text, checked by parsing what it prints."""

from __future__ import annotations

import attrs

from policyc.syntax import ast
from policyc.syntax.diagnostics import Diagnostics
from policyc.syntax.read import parse_text
from policyc.syntax.source import Source

# Precedence, loosest first. A table binds loosest of all: outside the places where the grammar
# takes a whole `expr` (a value, a weight, a call argument, parentheses) it needs parentheses.
TABLE, OR, AND, NOT, COMPARE, CAST, SUM, PRODUCT, NEGATE, ATOM = range(10)

BINARY_LEVEL = {"or": OR, "and": AND, "+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT}
BINARY_LEVEL.update((op, COMPARE) for op in ast.COMPARISON)

# A clause indents STEP under the line it belongs to; where a comment breaks an expression, the
# expression goes on CONTINUATION deeper than the line it began on.
STEP = 2
CONTINUATION = 4

# A line longer than WIDTH wraps its lists onto lines CONTINUATION deeper; strings never split.
WIDTH = 100

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
        writer = _Writer(width)
        _DECLARATIONS[type(decl)](writer, decl)
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
    whole_file = Source(path, text).span(0, 0)
    try:
        parsed = parse_text(path, text)
        diags = parsed.diagnostics
        # A parse error that still yields a tree (a second `extends`, a second scoring model) has
        # dropped part of the text; printing that tree would silently delete it.
        if parsed.policy is None or diags.has_errors:
            return None, diags
        printed = print_policy(parsed.policy)
        again = parse_text(path, printed)
        same = again.policy is not None and not again.diagnostics.has_errors and again.policy == parsed.policy
    except RecursionError:
        diags = Diagnostics()
        diags.error(
            "PC902",
            "the policy is nested too deeply to format",
            whole_file,
            "split the deepest expression into named values",
        )
        return None, diags
    if not same:
        diags.error(
            "PC901",
            "the formatter would change the meaning of this file; it was left as it is",
            whole_file,
            "please report this with the file",
        )
        return None, diags
    return printed, diags


# ---------------------------------------------------------------- lines and comments


@attrs.frozen
class _Comments:
    """Leading comments inside an expression: they need lines of their own."""

    lines: tuple[str, ...]


@attrs.frozen
class _Trailing:
    """A comment that ends the line after the unit just written."""

    text: str


@attrs.frozen
class _Break:
    """A place a line too long may wrap. An `every` break wraps whenever its line is too long; the
    others fill: they wrap only where the next piece would not fit."""

    every: bool = False


@attrs.frozen
class _Nest:
    """Into (+1) or out of (-1) parentheses: a fill break measures what follows it up to the next
    break as shallow as itself, so a line wraps outside parentheses before it wraps inside them."""

    step: int


Part = str | _Comments | _Trailing | _Break | _Nest


class _Writer:
    """Builds lines; an expression continues on a new line wherever a comment forces one, and a
    line too long wraps at its breaks, its continuation lines CONTINUATION deeper than it."""

    def __init__(self, width: int = WIDTH) -> None:
        self.width = width
        self.lines: list[str] = []
        # The open line, in pieces between its breaks, and for each break whether it is `every`
        # and how deep in parentheses it stands.
        self.open: list[str] | None = None
        self.breaks: list[tuple[bool, int]] = []
        self.depth = 0
        self.indent = 0

    def begin(self, indent: int, comments: tuple[str, ...], text: str) -> None:
        """A new line at `indent`, after its leading comments; continuation lines go deeper."""
        self.end()
        self.indent = indent
        self.depth = 0
        self.comments(comments)
        self.write(text)
        self.indent = indent + CONTINUATION

    def write(self, *parts: Part) -> None:
        for part in parts:
            if isinstance(part, _Comments):
                self.comments(part.lines)
            elif isinstance(part, _Trailing):
                self.trailing(part.text)
            elif isinstance(part, _Nest):
                self.depth += part.step
            elif isinstance(part, _Break):
                if self.open is not None:
                    self.open.append("")
                    self.breaks.append((part.every, self.depth))
            elif self.open is None:
                self.open = [" " * self.indent + part.lstrip(" ")]
                self.breaks = []
            else:
                self.open[-1] += part

    def comments(self, lines: tuple[str, ...]) -> None:
        if lines:
            self.end()
            self.lines.extend(" " * self.indent + line for line in lines)

    def trailing(self, comment: str | None) -> None:
        if comment is None:
            return
        # Only a tree the parser cannot give (a trailing comment after a unit's last clause) gets here
        # with no line open; the comment then stands on a line of its own.
        if self.open is None:
            self.open = [" " * self.indent + comment]
            self.breaks = []
        else:
            # The comment must end the line that holds the unit's last token: it joins the last
            # piece with text in it, so no wrap can come between them.
            while len(self.open) > 1 and not self.open[-1].strip():
                self.open[-2] += self.open.pop()
                self.breaks.pop()
            self.open[-1] += "  " + comment
        self.end()

    def end(self) -> None:
        if self.open is not None:
            self.lines.extend(self._layout(self.open, self.breaks))
        self.open = None

    def _layout(self, pieces: list[str], breaks: list[tuple[bool, int]]) -> list[str]:
        """The open line, wrapped at its breaks if it is longer than the width."""
        whole = "".join(pieces).rstrip()
        if not whole.strip():
            return []
        if len(whole) <= self.width:
            return [whole]
        lines = []
        line = pieces[0]
        for index in range(1, len(pieces)):
            piece = pieces[index]
            every, depth = breaks[index - 1]
            if every:
                wrap = True
            else:
                # What must share the line with this piece: up to the next break as shallow as this.
                end = next(
                    (later for later in range(index + 1, len(pieces)) if breaks[later - 1][1] <= depth), len(pieces)
                )
                following = "".join(pieces[index:end])
                # A line that a string or comment already makes too long gains nothing by wrapping.
                fits = len(line.rstrip()) <= self.width
                wrap = fits and len((line + following).rstrip()) > self.width
            if wrap and piece.strip() and line.strip():
                lines.append(line.rstrip())
                line = " " * self.indent + piece.lstrip(" ")
            else:
                line += piece
        lines.append(line.rstrip())
        return lines

    def finish(self) -> list[str]:
        self.end()
        return self.lines


# ---------------------------------------------------------------- small pieces


def _string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(items, separator: str = ", ", every: bool = False) -> list[Part]:
    """Items that may wrap: after a comma, or before any other separator (` > `, ` / `); the first
    item may go to the next line too when it does not fit. Each item is a string or a list of parts."""
    parts: list[Part] = [_Break()]
    for index, item in enumerate(items):
        if index:
            if separator.startswith(","):
                parts.extend([separator, _Break(every)])
            else:
                parts.extend([_Break(every), separator])
        parts.extend([item] if isinstance(item, str) else item)
    return parts


def _names(names: tuple[ast.Name, ...]) -> list[Part]:
    return _list([name.text for name in names])


def _replace(decl) -> str:
    return "replace " if decl.replace else ""


def _title(title: str | None) -> str:
    return "" if title is None else " " + _string(title)


def _type(type_: ast.Type) -> list[Part]:
    if isinstance(type_, ast.BoolType):
        return ["yes/no"]
    if isinstance(type_, ast.LabelsType):
        return ["one of ", *_list([label.text for label in type_.labels], " / ")]
    return [type_.name.text]


def _applies(applies: ast.Applies) -> list[Part]:
    return ["for all"] if applies.org_types is None else ["for ", *_names(applies.org_types)]


def _literal(literal: ast.Literal) -> str:
    return _string(literal.text) if literal.kind == "string" else literal.text


def _provenance(writer: _Writer, provenance: tuple[ast.Provenance, ...], indent: int) -> None:
    for item in provenance:
        writer.begin(indent, item.comments, f"{item.kind} {_string(item.text)}")
        writer.trailing(item.trailing)


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
        return ["(", _Nest(1), *_expr(expr), _Nest(-1), ")"]
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
        return [f"{expr.func.text}(", _Nest(1), *_list([_arg(arg) for arg in expr.args]), _Nest(-1), ")"]
    if isinstance(expr, ast.Unary):
        if expr.op == "not":
            return ["not ", *_expr(expr.operand, NOT)]
        return ["-", *_expr(expr.operand, NEGATE)]
    if isinstance(expr, ast.Binary):
        level = BINARY_LEVEL[expr.op]
        # Arithmetic and logic associate to the left; comparisons do not chain at all.
        left = level + 1 if level == COMPARE else level
        # A long condition wraps before `and` and `or`.
        wrap = [_Break()] if level in (OR, AND) else []
        return [*_expr(expr.left, left), *wrap, f" {expr.op} ", *_expr(expr.right, level + 1)]
    if isinstance(expr, ast.Cast):
        return [*_expr(expr.operand, SUM), f" as {expr.scale.text}"]
    if isinstance(expr, ast.Table):
        parts = []
        for index, row in enumerate(expr.rows):
            if index:
                parts.append(" ")
            if row.comments:
                parts.append(_Comments(row.comments))
            parts.extend(_row(row))
            if row.trailing is not None:
                parts.append(_Trailing(row.trailing))
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


def _expression_line(writer: _Writer, indent: int, comments: tuple[str, ...], head: str, expr: ast.Expr) -> None:
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


def _header(writer: _Writer, header: ast.Header) -> None:
    first = f"policy {_string(header.name)}"
    if header.version is not None:
        first += f" version {_string(header.version)}"
    # A comment at the end of the header's last line belongs to a provenance line that ends it,
    # so a header with provenance keeps its own comment only when `extends` comes last.
    extends_last = header.extends is not None and header.trailing is not None and bool(header.provenance)
    if header.extends is not None and not extends_last:
        first += f" extends {_string(header.extends)}"
    writer.begin(0, header.comments, first)
    _provenance(writer, header.provenance, STEP)
    if extends_last:
        writer.begin(STEP, (), f"extends {_string(header.extends)}")
    writer.trailing(header.trailing)


def _org_types(writer: _Writer, decl: ast.OrgTypes) -> None:
    writer.begin(0, decl.comments, "org types ")
    writer.write(*_names(decl.names))
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _cohort(writer: _Writer, decl: ast.Cohort) -> None:
    writer.begin(0, decl.comments, f"{_replace(decl)}cohort {decl.name.text}: ")
    writer.write(*_names(decl.members))
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _outcome(writer: _Writer, decl: ast.Outcome) -> None:
    writer.begin(0, decl.comments, f"{_replace(decl)}outcome {decl.name.text}")
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _scale(writer: _Writer, decl: ast.Scale) -> None:
    # A scale too long for its line puts each item on a line of its own, in order.
    items = _list([item.key.text + _title(item.label) for item in decl.items], " > ", every=True)
    writer.begin(0, decl.comments, f"{_replace(decl)}scale {decl.name.text}: ")
    writer.write(*items)
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _domain(writer: _Writer, decl: ast.Domain) -> None:
    writer.begin(0, decl.comments, f"{_replace(decl)}domain {decl.name.text}{_title(decl.title)}")
    if decl.subdomains:
        writer.write(": ", *_names(decl.subdomains))
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _input(writer: _Writer, decl: ast.Input) -> None:
    kind = "judgement" if decl.judgement else "input"
    writer.begin(0, decl.comments, f"{_replace(decl)}{kind} {decl.name.text}{_title(decl.title)}: ")
    writer.write(*_type(decl.type))
    if decl.applies is not None:
        writer.write(" ", *_applies(decl.applies))
    _provenance(writer, decl.provenance, STEP)
    writer.trailing(decl.trailing)


def _metric(writer: _Writer, metric: ast.Metric) -> None:
    writer.begin(0, metric.comments, f"{_replace(metric)}metric {metric.name.text}{_title(metric.title)}")
    described: list[list[Part]] = []
    if metric.direction is not None:
        described.append([f"{metric.direction} is better"])
    if metric.applies is not None:
        described.append(_applies(metric.applies))
    clauses = [metric.domain, metric.weight, metric.scoring, *metric.provenance]
    # A comment at the end of the metric's last line belongs to the clause on that line, so a
    # metric keeps its own comment only by ending with direction and applicability, which are no
    # clause of their own.
    described_last = metric.trailing is not None and bool(described) and any(c is not None for c in clauses)
    writer.begin(STEP, (), "")
    if described_last:
        writer.write(*_type(metric.type))
    else:
        for index, part in enumerate([_type(metric.type), *described]):
            writer.write(*([", ", _Break()] if index else []), *part)
    if metric.domain is not None:
        _in_domain(writer, metric.domain)
    if metric.weight is not None:
        _expression_line(writer, STEP, metric.weight.comments, "weight", metric.weight.value)
        writer.trailing(metric.weight.trailing)
    if metric.scoring is not None:
        _SCORING[type(metric.scoring)](writer, metric.scoring)
    _provenance(writer, metric.provenance, STEP)
    if described_last:
        writer.begin(STEP, (), "")
        for index, part in enumerate(described):
            writer.write(*([" "] if index else []), *part)
    writer.trailing(metric.trailing)


def _in_domain(writer: _Writer, clause: ast.InDomain) -> None:
    text = f"in domain {clause.domain.text}"
    if clause.subdomain is not None:
        text += f" / {clause.subdomain.text}"
    writer.begin(STEP, clause.comments, text)
    writer.trailing(clause.trailing)


def _ranked(writer: _Writer, clause: ast.Ranked) -> None:
    text = "ranked"
    if clause.standard is not None:
        text += f", standard {clause.standard.text}"
    if clause.floor is not None:
        text += f", floor {clause.floor.text}"
    writer.begin(STEP, clause.comments, text)
    writer.trailing(clause.trailing)


def _bands(writer: _Writer, clause: ast.Bands) -> None:
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


def _scores(writer: _Writer, clause: ast.Scores) -> None:
    writer.begin(STEP, clause.comments, "scores ")
    writer.write(*_list([f"{pair.label.text} {pair.score.text}" for pair in clause.pairs]))
    writer.trailing(clause.trailing)


def _relative(writer: _Writer, clause: ast.Relative) -> None:
    writer.begin(STEP, clause.comments, f"fails more than {clause.k.text} sd {clause.side} mean")
    writer.trailing(clause.trailing)


def _value(writer: _Writer, value: ast.Value) -> None:
    _expression_line(writer, 0, value.comments, f"{_replace(value)}{value.name.text} =", value.expr)
    _provenance(writer, value.provenance, STEP)
    for adjust in value.adjusts:
        writer.begin(STEP, adjust.comments, f"{adjust.kind} ")
        writer.write(*_expr(adjust.value, OR), " when ", *_expr(adjust.condition, OR))
        _provenance(writer, adjust.provenance, 2 * STEP)
        writer.trailing(adjust.trailing)
    writer.trailing(value.trailing)


def _test(writer: _Writer, test: ast.Test) -> None:
    writer.begin(0, test.comments, f"test {_string(test.name)}")
    for keyword, rows in (("given", test.givens), ("expect", test.expects)):
        for row in rows:
            text = keyword + " "
            if row.row is not None:
                text += f"{row.row.text}: "
            writer.begin(STEP, row.comments, text)
            writer.write(*_list([_assignment(item) for item in row.items]))
            writer.trailing(row.trailing)
    _provenance(writer, test.provenance, STEP)
    writer.trailing(test.trailing)


def _assignment(item: ast.Assignment) -> str:
    text = f"{item.key} {_literal(item.value)}"
    if item.tolerance is not None:
        text += f" within {item.tolerance.text}"
    return text


_SCORING = {
    ast.Ranked: _ranked,
    ast.Bands: _bands,
    ast.Scores: _scores,
    ast.Relative: _relative,
}

_DECLARATIONS = {
    ast.Header: _header,
    ast.OrgTypes: _org_types,
    ast.Cohort: _cohort,
    ast.Outcome: _outcome,
    ast.Scale: _scale,
    ast.Domain: _domain,
    ast.Input: _input,
    ast.Metric: _metric,
    ast.Value: _value,
    ast.Test: _test,
}
