"""Hypothesis strategies for syntax trees that the grammar can express, comments included."""

from __future__ import annotations

import attrs
from hypothesis import strategies as st

from policyc.format.printer import print_policy
from policyc.syntax import ast
from policyc.syntax.parse import keywords, parser

# Some of these begin with a keyword (`order`, `nota`, `within_x`), to catch a printer that
# glues a keyword to what follows it.
NAME_POOL = [
    name
    for name in (
        "a",
        "b",
        "org_type",
        "ae_4hr",
        "x1",
        "_tmp",
        "Segment",
        "order",
        "nota",
        "isx",
        "within_x",
        "yes_no",
        "Q3",
        "rating",
    )
    if name not in keywords() and name != "value"
]

names = st.sampled_from(NAME_POOL).map(ast.Name)
name_lists = st.lists(names, min_size=1, max_size=3).map(tuple)

# Decimal text as the lexer reads it: digits, then perhaps a point and more digits.
number_texts = st.builds(
    lambda whole, fraction: whole if fraction is None else f"{whole}.{fraction}",
    st.from_regex(r"[0-9]{1,3}", fullmatch=True),
    st.none() | st.from_regex(r"[0-9]{1,2}", fullmatch=True),
)
numbers = number_texts.map(ast.Number)
signed_numbers = st.builds(lambda minus, text: ast.Number(minus + text), st.sampled_from(["", "-"]), number_texts)

# Printable text on one line: letters, marks, digits, punctuation, symbols and spaces.
_printable = st.characters(categories=["L", "M", "N", "P", "S", "Zs"])
strings = st.text(_printable | st.sampled_from('"\\#'), max_size=10)

# The parser keeps a comment without the spaces that end its line.
comment_texts = st.builds(
    lambda start, body: (start + body).rstrip(), st.sampled_from(["#", "# "]), st.text(_printable, max_size=10)
)
leading = st.just(()) | st.lists(comment_texts, min_size=1, max_size=2).map(tuple)
trailing = st.none() | comment_texts


def _maybe(strategy):
    return st.none() | strategy


# ---------------------------------------------------------------- expressions

selectors = st.just(ast.Selector(None, None)) | st.builds(ast.Selector, names, _maybe(names))

BINARY_OPS = ast.ARITHMETIC + ast.LOGIC + ast.COMPARISON


def _tables(inner):
    whens = st.lists(st.builds(ast.TableRow, inner, inner, comments=leading, trailing=trailing), min_size=1, max_size=3)
    otherwise = _maybe(st.builds(ast.TableRow, st.none(), inner, comments=leading, trailing=trailing))
    return st.builds(lambda rows, last: ast.Table(tuple(rows) + ((last,) if last else ())), whens, otherwise)


def _compound(inner):
    args = inner | st.builds(ast.NamedArg, names, inner) | selectors
    return st.one_of(
        st.builds(ast.Call, names, st.lists(args, max_size=3).map(tuple)),
        st.builds(ast.Unary, st.sampled_from(["-", "not"]), inner),
        st.builds(ast.Binary, st.sampled_from(BINARY_OPS), inner, inner),
        st.builds(ast.Cast, inner, names),
        _tables(inner),
    )


_atoms = st.one_of(
    numbers,
    st.builds(ast.Bool, st.booleans()),
    st.just(ast.Missing()),
    st.builds(ast.Ref, names),
    st.builds(ast.Member, names, names),
)

expressions = st.recursive(_atoms, _compound, max_leaves=8)

# ---------------------------------------------------------------- provenance, types, literals

provenance = st.lists(
    st.builds(
        ast.Provenance,
        st.sampled_from(["source", "assume", "provisional"]),
        strings,
        comments=leading,
        trailing=trailing,
    ),
    max_size=2,
).map(tuple)

types = st.one_of(
    st.builds(ast.BoolType),
    st.builds(ast.LabelsType, st.lists(names, min_size=2, max_size=3).map(tuple)),
    st.builds(ast.NamedType, names),
)

applies = st.builds(ast.Applies, _maybe(name_lists))

literals = st.one_of(
    signed_numbers.map(lambda number: ast.Literal("number", number.text)),
    st.sampled_from(["yes", "no"]).map(lambda text: ast.Literal("bool", text)),
    names.map(lambda name: ast.Literal("label", name.text)),
    st.just(ast.Literal("missing", "missing")),
    st.from_regex(r"[0-9]{4}Q[1-4]", fullmatch=True).map(lambda text: ast.Literal("period", text)),
    strings.map(lambda text: ast.Literal("string", text)),
)


# ---------------------------------------------------------------- declarations
#
# A comment at the end of a unit's last line goes to the innermost unit ending there, so a
# unit whose last line is a clause of its own (a provenance line, a band row) can hold no
# trailing comment of its own: the parser never gives it one, and these strategies do not either.


@st.composite
def headers(draw):
    prov = draw(provenance)
    extends = draw(_maybe(strings))
    own_last_line = not prov or extends is not None
    return ast.Header(
        draw(strings),
        draw(_maybe(strings)),
        extends,
        prov,
        comments=draw(leading),
        trailing=draw(trailing) if own_last_line else None,
    )


def _simple(build):
    """A declaration whose only clauses are provenance lines."""

    @st.composite
    def declarations(draw):
        prov = draw(provenance)
        node = build(draw, prov)
        return node if prov else attrs.evolve(node, trailing=draw(trailing))

    return declarations()


org_types = _simple(lambda draw, prov: ast.OrgTypes(draw(name_lists), prov, comments=draw(leading)))
cohorts = _simple(
    lambda draw, prov: ast.Cohort(draw(names), draw(name_lists), prov, draw(st.booleans()), comments=draw(leading))
)
outcomes = _simple(lambda draw, prov: ast.Outcome(draw(names), prov, draw(st.booleans()), comments=draw(leading)))
# Any name may stand for a tier (`check` holds them to high, middle and low), any name or number for its values.
tiers = st.builds(
    ast.Tiers,
    st.lists(
        st.builds(
            ast.Tier,
            st.sampled_from(["high", "middle", "low"]).map(ast.Name) | names,
            st.lists(names | numbers, min_size=1, max_size=3).map(tuple),
        ),
        min_size=1,
        max_size=3,
    ).map(tuple),
    comments=leading,
    trailing=trailing,
)


@st.composite
def scales(draw):
    prov = draw(provenance)
    clause = draw(_maybe(tiers))
    return ast.Scale(
        draw(names),
        tuple(draw(st.lists(st.builds(ast.ScaleItem, names | numbers, _maybe(strings)), min_size=1, max_size=3))),
        prov,
        draw(st.booleans()),
        clause,
        comments=draw(leading),
        # a comment at the end of the tiers line is the clause's own
        trailing=draw(trailing) if not prov and clause is None else None,
    )


domains = _simple(
    lambda draw, prov: ast.Domain(
        draw(names),
        draw(_maybe(strings)),
        tuple(draw(st.lists(names, max_size=2))),
        prov,
        draw(st.booleans()),
        comments=draw(leading),
    )
)


@st.composite
def defaults(draw, with_provenance: bool = True):
    """`default V` and, for an input's or a value's, the default's own provenance."""
    prov = draw(provenance) if with_provenance else ()
    return ast.Default(draw(literals), prov, comments=draw(leading), trailing=None if prov else draw(trailing))


@st.composite
def inputs(draw):
    prov = draw(provenance)
    default = draw(_maybe(defaults()))
    return ast.Input(
        draw(names),
        draw(_maybe(strings)),
        draw(types),
        draw(_maybe(applies)),
        draw(st.booleans()),
        prov,
        draw(st.booleans()),
        default,
        comments=draw(leading),
        trailing=draw(trailing) if not prov and default is None else None,
    )


@st.composite
def weights(draw):
    value = draw(expressions)
    # A weight that is a table ends on its last row.
    comment = None if isinstance(value, ast.Table) else draw(trailing)
    return ast.Weight(value, comments=draw(leading), trailing=comment)


@st.composite
def band_rows(draw):
    shape = draw(st.sampled_from(["lower", "upper", "both"]))
    lower = ast.Bound(draw(signed_numbers), draw(st.booleans())) if shape != "upper" else None
    upper = ast.Bound(draw(signed_numbers), draw(st.booleans())) if shape != "lower" else None
    return ast.BandRow(lower, upper, draw(literals), comments=draw(leading), trailing=draw(trailing))


scorings = st.one_of(
    st.builds(ast.Ranked, _maybe(signed_numbers), _maybe(signed_numbers), comments=leading, trailing=trailing),
    st.builds(ast.Bands, st.lists(band_rows(), min_size=1, max_size=3).map(tuple), comments=leading),
    st.builds(
        ast.Scores,
        st.lists(st.builds(ast.LabelScore, names, signed_numbers), min_size=1, max_size=3).map(tuple),
        comments=leading,
        trailing=trailing,
    ),
    st.builds(ast.Relative, numbers, st.sampled_from(["below", "above"]), comments=leading, trailing=trailing),
)

in_domains = st.builds(ast.InDomain, names, _maybe(names), comments=leading, trailing=trailing)


@st.composite
def metrics(draw):
    direction = draw(_maybe(st.sampled_from(["higher", "lower"])))
    applies_ = draw(_maybe(applies))
    domain = draw(_maybe(in_domains))
    weight = draw(_maybe(weights()))
    scoring = draw(_maybe(scorings))
    default = draw(_maybe(defaults(with_provenance=False)))
    prov = draw(provenance)
    has_clauses = any(c is not None for c in (domain, weight, scoring, default)) or bool(prov)
    # Direction and applicability can end a metric, after its clauses; nothing else of its own can.
    own_last_line = not has_clauses or direction is not None or applies_ is not None
    return ast.Metric(
        draw(names),
        draw(_maybe(strings)),
        draw(types),
        direction,
        applies_,
        domain,
        weight,
        scoring,
        prov,
        draw(st.booleans()),
        default,
        comments=draw(leading),
        trailing=draw(trailing) if own_last_line else None,
    )


@st.composite
def adjusts(draw):
    prov = draw(provenance)
    return ast.Adjust(
        draw(st.sampled_from(["no better than", "no worse than", "becomes"])),
        draw(expressions),
        draw(expressions),
        prov,
        comments=draw(leading),
        trailing=None if prov else draw(trailing),
    )


@st.composite
def values(draw):
    expr = draw(expressions)
    prov = draw(provenance)
    adjust_list = tuple(draw(st.lists(adjusts(), max_size=2)))
    default = draw(st.none() | st.none() | defaults())
    own_last_line = not prov and not adjust_list and default is None and not isinstance(expr, ast.Table)
    return ast.Value(
        draw(names),
        expr,
        prov,
        adjust_list,
        draw(st.booleans()),
        default,
        comments=draw(leading),
        trailing=draw(trailing) if own_last_line else None,
    )


def _assignments(with_tolerance: bool):
    tolerance = _maybe(numbers) if with_tolerance else st.none()
    return st.lists(st.builds(ast.Assignment, names, _maybe(names), literals, tolerance), min_size=1, max_size=3).map(
        tuple
    )


givens = st.builds(ast.Given, _maybe(names), _assignments(False), comments=leading, trailing=trailing)
expects = st.builds(ast.Expect, _maybe(names), _assignments(True), comments=leading, trailing=trailing)

tests = st.builds(
    ast.Test,
    strings,
    st.lists(givens, min_size=1, max_size=2).map(tuple),
    st.lists(expects, min_size=1, max_size=2).map(tuple),
    provenance,
    comments=leading,
)

declarations = st.one_of(
    headers(), org_types, cohorts, outcomes, scales(), domains, inputs(), metrics(), values(), tests
)

policies = st.builds(
    ast.Policy,
    st.lists(declarations, max_size=6).map(tuple),
    st.lists(comment_texts, max_size=2).map(tuple),
)

# One value around a bigger expression: expressions get most of the examples.
expression_policies = st.builds(
    lambda expr: ast.Policy((ast.Value(ast.Name("x"), expr, (), ()),)),
    st.recursive(_atoms, _compound, max_leaves=20),
)


def without_comments(node):
    """The same tree with every comment removed."""
    if isinstance(node, tuple):
        return tuple(without_comments(child) for child in node)
    if not attrs.has(type(node)):
        return node
    changes = {}
    for field in attrs.fields(type(node)):
        if not field.init or field.name == "span":
            continue
        if field.name in ("comments", "end_comments"):
            changes[field.name] = ()
        elif field.name == "trailing":
            changes[field.name] = None
        else:
            changes[field.name] = without_comments(getattr(node, field.name))
    return attrs.evolve(node, **changes)


# Between two tokens: a space, a line break, or a comment at the end of a line or on a line of its own.
_separators = st.one_of(
    st.just(" "),
    st.just("\n"),
    comment_texts.map(lambda comment: f"  {comment}\n"),
    comment_texts.map(lambda comment: f"\n{comment}\n"),
)


@st.composite
def messy_texts(draw):
    """Policy text laid out at random, with comments wherever a line can end or stand alone."""
    # The printer only supplies the tokens; the layout and the comments are drawn here.
    text = print_policy(without_comments(draw(policies)))
    tokens = [str(token) for token in parser().lex(text)]
    return draw(_separators) + "".join(token + draw(_separators) for token in tokens)
