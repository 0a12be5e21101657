"""What values rest on: a chain, a diamond, names that read nothing, and a walk that stops at given values."""

from __future__ import annotations

from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.ir.lower import lower
from policyc.semantics.driver import check_source
from policyc.syntax.source import Source

HEADER = 'policy "P" version "1"\norg types acute\n'


def program_of(rules: str) -> ir.Program:
    result = check_source(Source("walk.policy", HEADER + rules))
    assert result.ok, [d.message for d in result.diagnostics.items]
    return lower(result.checked)


CHAIN = program_of("input x: number for all\na = x + 1\nb = a * 2\nc = b - 3\n")

# `top` reads `left` and `right`, which both read `base`; `scored` reads a metric through its score.
DIAMOND = program_of(
    "input x: number for all\n"
    "metric m percent, higher is better, for all\n  ranked\n"
    "base = x + 1\n"
    "right = base * 3\n"
    "left = base * 2\n"
    "top = right + left\n"
    "scored = round(m.score, 0)\n"
)

LONE = program_of("input x: number for all\ninput y: number for all\nk = 3\n")


def test_a_chain_rests_on_every_value_before_it_in_declaration_order() -> None:
    assert walk.upstream(CHAIN, ["c"]) == ["x", "a", "b"]
    assert walk.upstream(CHAIN, ["a"]) == ["x"]
    assert walk.closure(CHAIN, ["c"]) == ["x", "a", "b", "c"]
    assert walk.closure(CHAIN, ["b"]) == ["x", "a", "b"]


def test_a_diamond_names_what_both_sides_share_once() -> None:
    assert walk.upstream(DIAMOND, ["top"]) == ["x", "base", "right", "left"]
    assert walk.upstream(DIAMOND, ["right"]) == ["x", "base"]
    assert walk.closure(DIAMOND, ["left", "right"]) == ["x", "base", "right", "left"]
    # the order is the program's, whatever the order of the names asked about
    assert walk.closure(DIAMOND, ["right", "left"]) == walk.closure(DIAMOND, ["left", "right"])


def test_a_score_rests_on_its_metric() -> None:
    assert walk.upstream(DIAMOND, ["scored"]) == ["m", "m.score"]
    assert walk.upstream(DIAMOND, ["m.score"]) == ["m"]


def test_names_that_read_nothing_rest_on_nothing() -> None:
    assert walk.upstream(LONE, ["x"]) == []
    assert walk.upstream(LONE, ["k"]) == []
    assert walk.closure(LONE, ["k", "y"]) == ["y", "k"]
    assert walk.reads_of(LONE.decls) == []


def test_one_of_the_names_is_upstream_only_when_another_rests_on_it() -> None:
    assert walk.upstream(CHAIN, ["a", "c"]) == ["x", "a", "b"]
    assert walk.upstream(CHAIN, ["a", "b"]) == ["x", "a"]


def test_names_the_program_does_not_declare_are_left_out() -> None:
    assert walk.closure(CHAIN, ["nowhere", "a"]) == ["x", "a"]
    assert walk.upstream(CHAIN, ["nowhere"]) == []


def test_a_stop_keeps_the_name_and_follows_nothing_through_it() -> None:
    assert walk.closure(CHAIN, ["c"], stop=lambda name: name == "b") == ["b", "c"]
    assert walk.closure(DIAMOND, ["top"], stop=lambda name: name == "left") == ["x", "base", "right", "left", "top"]


def test_the_names_several_rules_read_each_once_in_the_order_first_read() -> None:
    rules = [DIAMOND.decl("top"), DIAMOND.decl("scored"), DIAMOND.decl("left"), DIAMOND.decl("right")]
    assert walk.reads_of(rules) == ["right", "left", "m.score", "base"]
    assert walk.reads_of([DIAMOND.decl("m.score")]) == ["m"]
