"""policyc.search: the search without data for profiles that two policies rate differently, and its witnesses."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import settings

from policyc.analysis import profiles, search
from policyc.analysis.witness import SearchResult, Witness, to_json, to_text
from policyc.backend import runtime
from policyc.backend.compile import Compiled, compile_file
from policyc.data import results
from policyc.ir.nodes import outcome

POLICIES = Path(__file__).parent.parent / "policies"

# Three small policies whose outcomes can be worked out by hand. A and B read no column in common, and rate one
# org type in common (acute): A is good for a green rating with a short wait and no failing, B ranks `access` in the
# cohort and puts the worst of a cohort of two in segment 4. A and C both read `rating`: C is low unless it is
# green, when A cannot be good unless it is green; so A good with C low is impossible.
TEXTS = {
    "a": """
policy "Test A" version "1"
org types acute, ambulance
outcome overall
scale grade: good > fair > poor
input rating: one of green / amber / red for all
judgement failing: yes/no for all
metric wait "Waiting time" weeks, lower is better, for all
  bands
    value <= 18: 3
    18 < value <= 52: 2
    52 < value: 1
overall =
  when rating is red or wait.score < 2: poor
  when rating is green and wait.score >= 3: good
  otherwise: fair
  becomes poor when failing
""",
    "b": """
policy "Test B" version "1"
org types acute, community
outcome segment
scale segment: 1 > 2 > 3 > 4
input in_deficit: yes/no for all
metric access "Seen on time" percent, higher is better, for all
  ranked, standard 90
average_score = round(weighted_mean(metric scores), 2)
delivery_score = quartile(average_score, method: linear)
segment = delivery_score as segment
  no better than 3 when in_deficit
""",
    "c": """
policy "Test C" version "1"
org types acute
outcome level
scale level: high > middle > low
input rating: one of green / amber / red for all
level =
  when rating is green: high
  otherwise: low
""",
    "icb_only": """
policy "Test ICB" version "1"
org types icb
outcome level
scale level: high > low
input flag: yes/no for all
level = when flag: high otherwise: low
""",
    "numeric": """
policy "Test number" version "1"
org types acute
outcome score
input x: number for all
score = x + 1
""",
}


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> dict[str, Compiled]:
    folder = tmp_path_factory.mktemp("policies")
    out = {}
    for name, text in TEXTS.items():
        path = folder / f"{name}.policy"
        path.write_text(text.lstrip())
        result, compiled = compile_file(path)
        assert compiled is not None, [d.message for d in result.diagnostics.sorted() if d.is_error]
        out[name] = compiled
    return out


@pytest.fixture(scope="module")
def shipped() -> tuple[Compiled, Compiled]:
    compiled = tuple(compile_file(POLICIES / name)[1] for name in ("performance_2009.policy", "oversight_2025.policy"))
    assert None not in compiled
    return compiled


def rated(compiled: Compiled, witness: Witness) -> str | None:
    """The witness's subject evaluated again by a policy, from its rows as reported (encoded here, not by search)."""
    program = compiled.program
    n = len(witness.rows)
    columns = {}
    for column in program.columns:
        cells = []
        for row in witness.rows:
            value = row.get(column.name)
            if value is None:
                cells.append(math.nan)
            elif column.type.kind == "bool":
                cells.append(1.0 if value else 0.0)
            elif column.type.kind in ("labels", "scale"):
                cells.append(float(column.type.labels.index(value)))
            else:
                cells.append(float(value))
        columns[column.name] = np.array(cells)
    frame = runtime.Frame(
        org=tuple(f"o{k}" for k in range(n)),
        period=None,
        columns=columns,
        org_type=np.full(n, program.org_types.index(witness.org_type), dtype=np.int64),
    )
    name = outcome(program)
    value = results.decode(program.decl(name).type, compiled.module().evaluate(frame)[name][0])
    return None if value is None else results.csv_text(value)


# ---------------------------------------------------------------- small policies


def test_a_reachable_pair_is_found_and_its_witness_rated_so(policies):
    result = search.search(policies["a"], policies["b"], want=("good", "4"), max_examples=600, cohort_size=4)
    assert result.org_types == ("acute",)
    assert result.independent
    assert result.found and result.wanted == ("good", "4")
    witness = result.witness
    assert (witness.a_value, witness.b_value, witness.delta) == ("good", "4", 1.0)
    assert rated(policies["a"], witness) == "good"
    assert rated(policies["b"], witness) == "4"
    # segment 4 needs a peer ranked above the subject; a good grade, a green rating and no failing
    assert len(witness.rows) >= 2
    assert witness.subject["rating"] == "green" and witness.subject["failing"] is False


def test_an_impossible_pair_is_reported_not_found(policies):
    result = search.search(policies["a"], policies["c"], want=("good", "low"), max_examples=200, cohort_size=4)
    assert not result.independent
    assert not result.found and result.witness is None
    text = to_text(result, "a.policy", "c.policy")
    assert (
        f"No profile found with A = good and B = low in {result.examples_tried:,} profiles tried; "
        "a search, not a proof." in text
    )


def test_a_pair_of_policies_sharing_a_column_is_searched_together(policies):
    result = search.search(policies["a"], policies["c"], want=("poor", "low"), max_examples=200, cohort_size=4)
    assert result.found
    assert rated(policies["a"], result.witness) == "poor"
    assert rated(policies["c"], result.witness) == "low"


def test_without_want_the_most_different_pair_is_witnessed(policies):
    result = search.search(policies["a"], policies["b"], max_examples=300, cohort_size=4)
    assert result.wanted == result.most_different
    assert abs(result.delta(result.wanted)) == 1.0
    assert result.found
    assert (rated(policies["a"], result.witness), rated(policies["b"], result.witness)) == result.wanted


def test_an_invalid_want_names_the_valid_values(policies):
    with pytest.raises(
        ValueError, match="`excellent` is not a value of the first policy's outcome `overall`: one of good, fair, poor"
    ):
        search.search(policies["a"], policies["b"], want=("excellent", "4"))
    with pytest.raises(
        ValueError, match="`5` is not a value of the second policy's outcome `segment`: one of 1, 2, 3, 4"
    ):
        search.search(policies["a"], policies["b"], want=("good", "5"))


def test_an_outcome_off_a_scale_is_refused(policies):
    with pytest.raises(ValueError, match="outcome `score` is a number"):
        search.search(policies["a"], policies["numeric"])


def test_policies_with_no_org_type_in_common(policies):
    result = search.search(policies["a"], policies["icb_only"], max_examples=50)
    assert result.org_types == () and not result.found and result.examples_tried == 0
    assert "A and B rate no org type in common" in to_text(result, "a.policy", "icb.policy")


def test_the_same_seed_gives_the_same_witness_whatever_the_hypothesis_profile(policies):
    def run(seed: int) -> SearchResult:
        return search.search(
            policies["a"], policies["b"], want=("good", "4"), max_examples=600, seed=seed, cohort_size=4
        )

    first = run(0)
    settings.load_profile("deep")  # registered by conftest.py: many more examples, if the search obeyed it
    try:
        again = run(0)
    finally:
        settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))  # as conftest.py loads it
    assert (again.witness, again.pairs_seen, again.examples_tried) == (
        first.witness,
        first.pairs_seen,
        first.examples_tried,
    )


def test_reports(policies):
    result = search.search(policies["a"], policies["b"], want=("good", "4"), max_examples=600, cohort_size=4)
    text = to_text(result, "a.policy", "b.policy")
    assert f"Outcome pairs of the {result.explored} profiles explored (A's overall down, B's segment across):" in text
    assert "Witness: an acute organisation rated good (high) by A and 4 (low) by B" in text
    assert "Under A (a.policy):" in text and "subject (acute): overall = good" in text
    assert "Under B (b.policy):" in text and "subject (acute): segment = 4" in text
    document = json.loads(to_json(result))
    assert document["wanted"] == {"a": "good", "b": "4", "delta": 1.0} and document["found"]
    assert [row["org"] for row in document["witness"]["rows"]] == list(profiles.orgs(len(result.witness.rows)))
    assert sum(p["count"] for p in document["pairs_seen"]) == result.explored


# ---------------------------------------------------------------- the shipped policies


@pytest.mark.slow
def test_performing_in_2009_and_segment_4_in_2025(shipped):
    result = search.search(*shipped, want=("performing", "4"), max_examples=800, cohort_size=3)
    assert result.org_types == ("acute", "ambulance")
    assert result.found, to_text(result, "2009", "2025")
    assert rated(shipped[0], result.witness) == "performing"
    assert rated(shipped[1], result.witness) == "4"
    assert "overall = performing" in result.witness.explanation_a
    assert "segment = 4" in result.witness.explanation_b


def test_the_search_names_each_outcome_by_the_tier_its_scale_declares_else_its_third() -> None:
    result = SearchResult(
        a_outcome="rated",
        b_outcome="overall",
        a_scale=("outstanding", "good", "requires_improvement", "inadequate"),
        b_scale=("performing", "under_review", "underperforming"),
        org_types=("acute",),
        cohort_size=1,
        seed=0,
        independent=False,
        pairs_seen={("good", "performing"): 1},
        explored=1,
        examples_tried=1,
        failed=0,
        seconds=0.0,
        most_different=("good", "performing"),
        wanted=None,
        found=False,
        witness=None,
        a_tiers=("high", "high", "middle", "low"),
    )
    assert "A = good (high), B = performing (high)" in to_text(result, "a.policy", "b.policy")
    thirds = to_text(attrs.evolve(result, a_tiers=()), "a.policy", "b.policy")
    assert "A = good (middle), B = performing (high)" in thirds
