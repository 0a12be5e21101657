"""The front end on valid policies: parse, variants, the types it infers, and error recovery."""

import os
from pathlib import Path

import pytest

from policyc.semantics.driver import check_file, check_source
from policyc.syntax import ast
from policyc.syntax.diagnostics import underlined
from policyc.syntax.read import MAX_BASE_BYTES, parse_text
from policyc.syntax.source import Source

VALID = Path(__file__).parent / "policies" / "valid"
SHIPPED = Path(__file__).parent.parent / "policies"


def check_text(text: str, path: str = "t.policy"):
    return check_source(Source(path, text))


def errors(result):
    return [(d.code, underlined(d, result.sources)) for d in result.diagnostics.sorted() if d.is_error]


@pytest.mark.parametrize(
    "path", sorted(VALID.glob("*.policy")) + sorted(SHIPPED.glob("*.policy")), ids=lambda p: p.name
)
def test_valid_policies_check_without_errors(path):
    result = check_file(path)
    assert errors(result) == []
    assert result.ok


def test_types_of_the_2009_skeleton():
    types = check_file(VALID / "skeleton_2009.policy").checked.types
    assert str(types["overall"]) == "a value of scale `category`"
    assert str(types["intervention_lead"]) == "a value of scale `lead`"
    assert str(types["ae_4hr.score"]) == "a value of scale `achievement`"
    assert str(types["ux_inpatient.score"]) == "yes/no"
    assert str(types["consecutive_underperforming"]) == "a number (count)"


def test_variant_replaces_in_place_and_adds():
    result = check_file(VALID / "skeleton_2025_fixed_cuts.policy")
    assert result.ok, result.diagnostics.sorted()
    scope = result.checked.scope
    assert isinstance(scope.values["delivery_score"].expr, ast.Table)
    assert "domain_count" in scope.values
    assert scope.header.name == "NHS Oversight Framework, fixed cut points"
    # the replaced value keeps its place, so everything that reads it still comes after it
    order = scope.order
    assert order.index("delivery_score") < order.index("segment")


CQC_BASE = """policy "Base" version "1"
org types acute
scale rating: outstanding > good > requires_improvement > inadequate
  tiers high: outstanding, good; middle: requires_improvement; low: inadequate
  source "CQC"
input inspected: rating for acute
rated = inspected
"""


def test_a_scales_declared_tiers_are_on_its_type_and_a_variant_replaces_them_with_the_scale(tmp_path: Path):
    base = check_text(CQC_BASE)
    assert errors(base) == []
    assert base.checked.types["rated"].tiers == ("high", "high", "middle", "low")
    numbered = check_text(
        'policy "P"\norg types acute\nscale segment: 1 > 2 > 3 > 4 > 5\n  tiers high: 1, 2.0; middle: 3; low: 4, 5\n'
        "input s: segment for all\nv = s\n"
    )
    assert errors(numbered) == [] and numbered.checked.types["v"].tiers == ("high", "high", "middle", "low", "low")

    (tmp_path / "base.policy").write_text(CQC_BASE, encoding="utf-8")
    variant = tmp_path / "variant.policy"

    def replaced(scale: str) -> list[tuple[str, str]] | tuple[str, ...]:
        variant.write_text(f'policy "V" extends "base.policy"\nreplace scale rating: {scale}\n', encoding="utf-8")
        result = check_file(variant)
        return errors(result) or result.checked.types["rated"].tiers

    values = "outstanding > good > requires_improvement > inadequate"
    regrouped = "tiers high: outstanding; middle: good, requires_improvement; low: inadequate"
    assert replaced(f"{values} {regrouped}") == ("high", "middle", "middle", "low")
    # a replacement without tiers has none: the scale is compared in thirds again
    assert replaced(values) == ()
    # the replacement's tiers are checked against the replacement's values
    assert replaced(f"{values.replace('inadequate', 'poor')} {regrouped}") == [("PC323", "inadequate")]


def variant_of(base: str, folder: Path) -> Path:
    variant = folder / "variant.policy"
    variant.write_text(f'policy "A variant" extends "{base}"\n  source "x"\n')
    return variant


def base_refusal(variant: Path) -> str:
    result = check_file(variant)
    assert [d.code for d in result.diagnostics.sorted()] == ["PC209"]
    (diag,) = result.diagnostics.sorted()
    assert diag.span is not None and diag.span.file == str(variant)  # quoted from the variant, never the target
    return diag.message


@pytest.mark.parametrize(
    "base", ["/etc/passwd", "../../../../../../../../etc/passwd", "/proc/self/environ", "/dev/zero", "/dev/stdin", "/"]
)
def test_a_base_that_is_no_policy_file_is_refused_quoting_nothing_of_it(base: str, tmp_path: Path) -> None:
    assert "a base policy is a `.policy` file" in base_refusal(variant_of(base, tmp_path))


def test_a_base_that_is_a_device_a_pipe_or_a_folder_in_disguise_is_refused(tmp_path: Path) -> None:
    (tmp_path / "zero.policy").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.policy")  # opened for reading, it would wait for a writer
    (tmp_path / "folder.policy").mkdir()
    (tmp_path / "environ.policy").symlink_to("/proc/self/environ")  # a regular file whose size says 0
    assert "not a regular file" in base_refusal(variant_of("zero.policy", tmp_path))
    assert "not a regular file" in base_refusal(variant_of("fifo.policy", tmp_path))
    assert "Is a directory" in base_refusal(variant_of("folder.policy", tmp_path))
    assert "size changed" in base_refusal(variant_of("environ.policy", tmp_path))


def test_a_base_too_large_or_not_text_is_refused_quoting_nothing_of_it(tmp_path: Path) -> None:
    with open(tmp_path / "large.policy", "wb") as large:
        large.truncate(MAX_BASE_BYTES + 1)
    (tmp_path / "binary.policy").write_bytes(b'policy "\xff secret"\n')
    assert "larger than 4 MiB" in base_refusal(variant_of("large.policy", tmp_path))
    message = base_refusal(variant_of("binary.policy", tmp_path))
    assert "not UTF-8 text" in message and "secret" not in message and "xff" not in message


def test_spans_point_at_the_text():
    parsed = parse_text("s.policy", 'policy "P"\norg types acute\nx = 1 + 2\n')
    value = parsed.policy.items[2]
    assert (value.span.line, value.span.col) == (3, 1)
    assert (value.expr.span.line, value.expr.span.col, value.expr.span.end_col) == (3, 5, 10)


def test_spans_do_not_affect_equality():
    a = parse_text("a.policy", 'policy "P"\norg types acute\nx = 1 + 2\n').policy
    b = parse_text("b.policy", 'policy  "P"   org types acute\n\n\n   x=1+2').policy
    assert a == b


def test_every_syntax_error_is_reported_not_only_the_first():
    text = 'policy "P"\norg types acute\na = 1 +\nmetric m "M" percent, higher is beter, for acute\nb = (2\nc = 3\n'
    codes = errors(check_text(text))
    assert [c for c, _ in codes] == ["PC101", "PC101", "PC101"]
    assert [t for _, t in codes] == ["+", "beter", "2"]


def test_a_misspelt_keyword_gets_did_you_mean():
    result = check_text('policy "P"\norg types acute\nmetric m "M" percent, higher is beter, for acute\n')
    (diag,) = result.diagnostics.sorted()
    assert diag.help.startswith("did you mean `better`?")


def test_labels_resolve_by_context_when_two_scales_share_one():
    text = (
        'policy "P"\norg types acute\n'
        "scale a: good > bad\nscale b: good > poor\n"
        "input x: a for all\ninput y: b for all\n"
        "p = x is good\nq = when y is poor: good otherwise: poor\n"
    )
    result = check_text(text)
    assert errors(result) == []
    assert str(result.checked.types["q"]) == "a value of scale `b`"


def test_a_label_of_two_scales_without_context_is_ambiguous():
    text = 'policy "P"\norg types acute\nscale a: good > bad\nscale b: good > poor\nv = good\n'
    assert errors(check_text(text)) == [("PC211", "good")]


def test_adjustments_see_the_value_so_far_without_a_cycle():
    text = (
        'policy "P"\norg types acute\nscale s: 1 > 2 > 3\ninput n: number for all\n'
        "v = n as s\n  becomes 3 when v is 2\n"
    )
    assert errors(check_text(text)) == []


def test_previous_of_itself_is_a_cycle():
    text = 'policy "P"\norg types acute\nv = previous(v) + 1\n'
    assert errors(check_text(text)) == [("PC203", "v")]


NUMBER_PLACES = [
    "scale segment: 1 > 2 > 1e400\nx = 1 as segment\n",
    "metric m percent, higher is better, for acute\n  fails more than 1e400 sd below mean\n",
    "metric m percent, higher is better, for acute\n  bands\n    value < 1e400: 1\n    1e400 <= value: 2\n",
    "metric m percent, higher is better, for acute\n  scores a 1e400\n",
    "x = 2 * 1e400\n",
    'x = 2\ntest "t"\n  given org_type acute\n  expect x 1e400 within 1e400\n',
]


@pytest.mark.parametrize("text", NUMBER_PLACES)
def test_a_number_too_large_is_refused_wherever_it_stands(text):
    result = check_text('policy "P"\norg types acute\n' + text)
    assert errors(result) and all(e == ("PC106", "1e400") for e in errors(result))
