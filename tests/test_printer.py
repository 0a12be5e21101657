"""The formatter: printing gives back the same tree, comments included, and printing is stable."""

import os
import re
from pathlib import Path

import pytest
from hypothesis import given
from strategies import expression_policies, messy_texts, policies

from policyc.format import printer
from policyc.format.printer import format_text, print_policy
from policyc.syntax import ast
from policyc.syntax.read import parse_text

HERE = Path(__file__).parent
GOLDEN = HERE / "golden" / "fmt"
SKELETONS = [HERE / "policies" / "valid" / "skeleton_2009.policy", HERE / "policies" / "valid" / "skeleton_2025.policy"]
SHIPPED = sorted((HERE.parent / "policies").glob("*.policy"))


def fmt(text: str) -> str:
    out, diags = format_text("t.policy", text)
    assert out is not None, [(d.code, d.message) for d in diags.items]
    return out


def comments_of(node) -> list[str]:
    """Every comment in a tree, in the order of its fields."""
    if isinstance(node, tuple):
        return [c for child in node for c in comments_of(child)]
    if not hasattr(node, "__attrs_attrs__"):
        return []
    found = list(getattr(node, "comments", ()))
    if getattr(node, "trailing", None) is not None:
        found.append(node.trailing)
    for field in node.__attrs_attrs__:
        if field.name not in ("comments", "trailing", "end_comments", "span"):
            found.extend(comments_of(getattr(node, field.name)))
    return found + list(getattr(node, "end_comments", ()))


# ---------------------------------------------------------------- properties


@given(policies)
def test_printed_tree_parses_back_to_itself(tree):
    text = print_policy(tree)
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert parse_text("gen.policy", text).policy == tree


@given(expression_policies)
def test_printed_expression_parses_back_to_itself(tree):
    assert parse_text("gen.policy", print_policy(tree)).policy == tree


@given(messy_texts())
def test_any_layout_and_comment_placement_survives_formatting(text):
    parsed = parse_text("messy.policy", text)
    assert parsed.policy is not None and not parsed.diagnostics.has_errors
    once = fmt(text)
    assert parse_text("messy.policy", once).policy == parsed.policy
    assert fmt(once) == once


@given(policies)
def test_wrapped_tree_parses_back_to_itself(tree):
    """At a narrow width nearly every list wraps, among comments that must stay where they belong."""
    text = print_policy(tree, width=20)
    assert parse_text("gen.policy", text).policy == tree
    assert print_policy(parse_text("gen.policy", text).policy, width=20) == text


@given(expression_policies)
def test_wrapped_expression_parses_back_to_itself(tree):
    assert parse_text("gen.policy", print_policy(tree, width=20)).policy == tree


@given(policies)
def test_formatting_is_idempotent(tree):
    once = fmt(print_policy(tree))
    assert fmt(once) == once


# ---------------------------------------------------------------- the example policies


@pytest.mark.parametrize("path", SKELETONS, ids=lambda p: p.name)
def test_example_policy_round_trips(path):
    text = path.read_text(encoding="utf-8")
    original = parse_text(str(path), text).policy
    once = fmt(text)
    assert parse_text(str(path), once).policy == original
    assert fmt(once) == once
    assert comments_of(parse_text(str(path), once).policy) == comments_of(original)
    for comment in comments_of(original):
        assert comment in once


def unbreakable_past_width(line: str) -> bool:
    """Whether a string literal or comment on the line runs past WIDTH: nothing can shorten it."""
    for match in re.finditer(r'"(?:[^"\\]|\\.)*"|#.*$', line):
        if match.end() > printer.WIDTH:
            return True
    return False


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_policy_lines_fit_the_width(path):
    out = fmt(path.read_text(encoding="utf-8"))
    long = [line for line in out.splitlines() if len(line) > printer.WIDTH and not unbreakable_past_width(line)]
    assert long == []


def test_long_lists_wrap_with_a_hanging_indent():
    names = ", ".join(f"sub_domain_{n}" for n in range(10))
    out = fmt(f"domain d: {names}  # end\n")
    assert out == (
        "domain d: sub_domain_0, sub_domain_1, sub_domain_2, sub_domain_3, sub_domain_4, sub_domain_5,\n"
        "    sub_domain_6, sub_domain_7, sub_domain_8, sub_domain_9  # end\n"
    )
    items = " > ".join(f'level_{n} "Level {n} of the scale"' for n in range(4))
    assert fmt(f"scale s: {items}\n") == (
        'scale s: level_0 "Level 0 of the scale"\n    > level_1 "Level 1 of the scale"\n'
        '    > level_2 "Level 2 of the scale"\n    > level_3 "Level 3 of the scale"\n'
    )


def test_a_scales_tiers_get_a_line_of_their_own_before_its_provenance_and_keep_their_comments():
    messy = (
        'scale rating: outstanding > good > requires_improvement > inadequate source "CQC"\n'
        "# how the ratings group\n"
        "tiers high : outstanding ,good ;middle:requires_improvement;\n  low: inadequate  # the worst\n"
    )
    assert fmt(messy) == (
        "scale rating: outstanding > good > requires_improvement > inadequate\n"
        "  # how the ratings group\n"
        "  tiers high: outstanding, good; middle: requires_improvement; low: inadequate  # the worst\n"
        '  source "CQC"\n'
    )
    assert fmt("scale segment: 1 > 2 > 3 > 4 > 5 tiers high: 1, 2; middle: 3; low: 4, 5\n") == (
        "scale segment: 1 > 2 > 3 > 4 > 5\n  tiers high: 1, 2; middle: 3; low: 4, 5\n"
    )
    # too long for its line, the tiers break after each `;`
    values = [f"level_{n}_of_a_long_scale" for n in range(6)]
    tiers = f"high: {values[0]}, {values[1]}; middle: {values[2]}, {values[3]}; low: {values[4]}, {values[5]}"
    out = fmt(f"scale s: {' > '.join(values)}\n  tiers {tiers}\n")
    assert out.split("\n")[-4:] == [
        f"  tiers high: {values[0]}, {values[1]};",
        f"      middle: {values[2]}, {values[3]};",
        f"      low: {values[4]}, {values[5]}",
        "",
    ]


def test_example_comment_stays_on_the_header():
    text = SKELETONS[0].read_text(encoding="utf-8")
    header = parse_text("t.policy", fmt(text)).policy.header
    assert header.comments == ("# The NHS Performance Framework, 2009/10 (skeleton)",)


def test_a_comment_inside_a_declaration_stays_with_it():
    assert fmt("x =\n  # why\n  1\ny = 2\n") == "# why\nx = 1\ny = 2\n"
    assert fmt("metric m\n  percent,  # the unit\n  for all\ny = 2\n") == (
        "# the unit\nmetric m\n  percent, for all\n\ny = 2\n"
    )


# ---------------------------------------------------------------- golden files


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.input.policy")), ids=lambda p: p.name)
def test_golden(path):
    """Set POLICYC_UPDATE_GOLDEN=1 to write the expected files from what the formatter prints."""
    expected_path = path.with_name(path.name.replace(".input.", ".expected."))
    text = path.read_text(encoding="utf-8")
    out = fmt(text)
    if os.environ.get("POLICYC_UPDATE_GOLDEN") == "1":
        expected_path.write_text(out, encoding="utf-8")
    assert out == expected_path.read_text(encoding="utf-8")
    assert fmt(out) == out
    assert comments_of(parse_text("t.policy", out).policy) == comments_of(parse_text("t.policy", text).policy)


def test_golden_files_exist():
    inputs = sorted(GOLDEN.glob("*.input.policy"))
    assert inputs
    for path in inputs:
        assert path.with_name(path.name.replace(".input.", ".expected.")).exists()


# ---------------------------------------------------------------- expressions


def value_text(expr: ast.Expr) -> str:
    return print_policy(ast.Policy((ast.Value(ast.Name("x"), expr, (), ()),)))


def ref(name: str) -> ast.Ref:
    return ast.Ref(ast.Name(name))


@pytest.mark.parametrize(
    "expr, text",
    [
        (ast.Binary("-", ref("a"), ast.Binary("-", ref("b"), ref("c"))), "a - (b - c)"),
        (ast.Binary("-", ast.Binary("-", ref("a"), ref("b")), ref("c")), "a - b - c"),
        (ast.Binary("*", ast.Binary("+", ref("a"), ref("b")), ref("c")), "(a + b) * c"),
        (ast.Binary("<", ast.Binary("<", ref("a"), ref("b")), ref("c")), "(a < b) < c"),
        (ast.Binary("is", ref("a"), ast.Unary("not", ref("b"))), "a is (not b)"),
        (ast.Binary("is not", ref("a"), ref("b")), "a is not b"),
        (ast.Unary("-", ast.Cast(ref("a"), ast.Name("s"))), "-(a as s)"),
        (ast.Cast(ast.Cast(ref("a"), ast.Name("s")), ast.Name("t")), "(a as s) as t"),
        (ast.Binary("/", ast.Bool(True), ast.Bool(False)), "yes / no"),
        (ast.Unary("-", ast.Unary("-", ast.Number("2.40"))), "--2.40"),
    ],
)
def test_expression_parentheses(expr, text):
    assert value_text(expr) == f"x = {text}\n"
    assert parse_text("t.policy", value_text(expr)).policy.items[0].expr == expr


def test_table_inside_a_call_stays_inline_and_parses_back():
    table = ast.Table((ast.TableRow(ref("a"), ast.Number("1")), ast.TableRow(None, ast.Number("2"))))
    call = ast.Call(ast.Name("worst"), (table, ref("b")))
    assert value_text(call) == "x = worst(when a: 1 otherwise: 2, b)\n"
    assert value_text(ast.Binary("+", table, ref("b"))) == "x = (when a: 1 otherwise: 2) + b\n"


def test_band_row_above_prints_as_lower_bound():
    text = "metric m percent\n  bands\n    value > 3: a\n    value >= 1: b\n"
    out = fmt(text)
    assert "    3 < value: a\n    1 <= value: b\n" in out


def test_strings_escape_quotes_and_backslashes():
    tree = ast.Policy((ast.Header('say "hi" \\ there', None, None, ()),))
    assert print_policy(tree) == 'policy "say \\"hi\\" \\\\ there"\n'
    assert parse_text("t.policy", print_policy(tree)).policy == tree


def test_empty_policy_is_one_newline():
    assert print_policy(ast.Policy(())) == "\n"


# ---------------------------------------------------------------- format_text


def test_syntax_error_returns_no_text():
    out, diags = format_text("t.policy", "metric m percent bands\n")
    assert out is None
    assert [d.code for d in diags.items if d.is_error] and all(d.code != "PC901" for d in diags.items)


@pytest.mark.parametrize(
    "altered",
    [
        lambda text: text.replace("achieved", "failed"),
        lambda text: text.replace("source", "sauce"),
        lambda text: text.replace("# The NHS", "# A NHS"),
    ],
)
def test_format_refuses_when_printing_would_change_the_tree(monkeypatch, altered):
    text = SKELETONS[0].read_text(encoding="utf-8")
    real = printer.print_policy
    monkeypatch.setattr(printer, "print_policy", lambda policy: altered(real(policy)))
    out, diags = format_text("t.policy", text)
    assert out is None
    [internal] = [d for d in diags.items if d.code == "PC901"]
    assert internal.span.file == "t.policy" and internal.span.line == 1  # names the file it left alone
    assert internal.message == "the formatter would change the meaning of this file; it was left as it is"
    assert internal.help == "please report this with the file"


def test_nesting_too_deep_to_format_is_a_diagnostic():
    out, diags = format_text("t.policy", "x = " + "not " * 3000 + "a\n")
    assert out is None
    assert [d.code for d in diags.items] == ["PC902"]
