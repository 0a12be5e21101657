""" "Did you mean": difflib's choice among the names of a real policy, and fast among very many."""

from __future__ import annotations

import difflib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policyc.semantics.driver import check_source
from policyc.syntax.diagnostics import did_you_mean
from policyc.syntax.source import Source
from policyc.syntax.suggest import SHORTLIST, WHOLE, Names

NAME = st.text(alphabet="abcdeinoprstu_0123", min_size=1, max_size=12)


@given(NAME, st.lists(NAME, max_size=WHOLE))
def test_among_the_names_of_a_real_policy_the_choice_is_difflibs(name: str, pool: list[str]) -> None:
    close = difflib.get_close_matches(name, sorted(set(pool)), n=1, cutoff=0.6)
    if close:
        assert Names(pool).closest(name) == close[0]
    else:
        lowered = {c.lower(): c for c in sorted(set(pool))}
        assert Names(pool).closest(name) == lowered.get(name.lower())


def test_among_ten_thousand_names_a_misspelling_finds_its_name() -> None:
    pool = [f"input_{i:05d}" for i in range(10_000)]
    names = Names(pool)
    assert names.closest("inptu_00042") == "input_00042"
    assert names.closest("input_0042") == "input_00042"
    assert names.closest("INPUT_09999") == "input_09999"  # the same but for case, when nothing is close
    assert names.closest("zzzzzzzzzzzz") is None


def test_among_ten_thousand_names_each_question_scores_a_shortlist(monkeypatch: pytest.MonkeyPatch) -> None:
    scored = 0
    ratio = difflib.SequenceMatcher.ratio

    def counted(self: difflib.SequenceMatcher) -> float:
        nonlocal scored
        scored += 1
        return ratio(self)

    monkeypatch.setattr(difflib.SequenceMatcher, "ratio", counted)
    names = Names(f"input_{i:05d}" for i in range(10_000))
    for k in range(50):
        assert names.closest(f"inptu_{k * 7:05d}") == f"input_{k * 7:05d}"
    assert scored <= 50 * SHORTLIST


def test_a_policy_of_many_inputs_names_the_one_an_unknown_name_was_misspelt_from() -> None:
    inputs = "\n".join(f"input input_{i:05d}: number for all" for i in range(1_000))
    result = check_source(Source("t.policy", f'policy "P"\norg types acute\n{inputs}\nx = inptu_00512 + 1\n'))
    (unknown,) = [d for d in result.diagnostics.items if d.code == "PC201"]
    assert unknown.help == "did you mean `input_00512`?"


def test_the_help_line_names_the_closest() -> None:
    assert did_you_mean("beter", ["better", "worse"]) == "did you mean `better`?"
    assert did_you_mean("x", ["better", "worse"]) is None
