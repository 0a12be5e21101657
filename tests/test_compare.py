"""`policyc compare` on a table: outcomes side by side, the cross-tabulation, movers with their decisive steps."""

import json
import math
import time
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from policyc.analysis import compare, comparison
from policyc.backend.compile import compile_file
from policyc.cli import main
from policyc.data.table import read_text

ROOT = Path(__file__).resolve().parents[1]

A = """policy "Old" version "1"
org types acute, ambulance
outcome overall
scale category: performing "Performing" > under_review "Performance under review" > underperforming "Underperforming"
input score: number for all
input failing: yes/no for all

overall =
  when score >= 80: performing
  when score >= 60: under_review
  otherwise: underperforming
  source "old rule"
  becomes underperforming when failing
    source "old override"
"""

B = """policy "New" version "2"
org types acute, icb
outcome segment
scale segment: 1 > 2 > 3 > 4 > 5
input score: number for all
input in_deficit: yes/no for all

base =
  when score >= 90: 1
  when score >= 75: 2
  when score >= 50: 3
  otherwise: 4
  source "new rule"

segment = base as segment
  source "new segment"
  no better than 3 when in_deficit
    source "new cap"
"""

VARIANT = """policy "Old, stricter" version "1b"
  extends "a.policy"

replace overall =
  when score >= 90: performing
  when score >= 60: under_review
  otherwise: underperforming
  source "stricter rule"
"""

DATA = """org,org_name,org_type,period,score,failing,in_deficit
X1,Trust One,acute,2025Q1,85,no,no
X2,Trust Two,acute,2025Q1,85,no,yes

X3,Trust Three,acute,2025Q1,70,yes,no
X4,Ambulance Four,ambulance,2025Q1,70,no,
X5,Board Five,icb,2025Q1,95,,no
"""


@pytest.fixture
def files(tmp_path: Path):
    for name, text in (("a.policy", A), ("b.policy", B), ("v.policy", VARIANT), ("d.csv", DATA)):
        (tmp_path / name).write_text(text)
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def doc_of(tmp_path: Path, second: str = "b.policy") -> dict:
    result = invoke(
        "compare", tmp_path / "a.policy", tmp_path / second, "--data", tmp_path / "d.csv", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.0, "high"), (0.25, "high"), (1 / 3, "middle"), (0.5, "middle"), (2 / 3, "middle"), (0.75, "low"), (1.0, "low")],
)
def test_tier_edges(value: float, expected: str) -> None:
    assert compare.tier(value) == expected


def test_standing_and_tier() -> None:
    assert [compare.standing(p, 3) for p in range(3)] == [0.0, 0.5, 1.0]
    assert [compare.tier(compare.standing(p, 5)) for p in range(5)] == ["high", "high", "middle", "low", "low"]
    assert [compare.tier(compare.standing(p, 3)) for p in range(3)] == ["high", "middle", "low"]
    assert compare.standing(0, 1) == 0.0


def test_rows_of_other_org_types_are_blanked_keeping_line_numbers() -> None:
    text, skipped = compare.only_org_types('org,org_type\nA,acute\nB,icb\n"C\nD",icb\nE,acute\n', ("acute",))
    assert skipped == 2
    assert text.split("\n") == ["org,org_type", "A,acute", "", "", "", "E,acute", ""]


def test_each_row_has_both_outcomes_or_not_rated(files: Path) -> None:
    doc = doc_of(files)
    rows = {r["org"]: r for r in doc["rows"]}
    values = {org: [o and o["value"] for o in r["outcomes"]] for org, r in rows.items()}
    assert values == {
        "X1": ["performing", "2"],
        "X2": ["performing", "3"],
        "X3": ["underperforming", "3"],
        "X4": ["under_review", None],
        "X5": [None, "1"],
    }
    assert rows["X4"]["outcomes"][1] is None and rows["X5"]["outcomes"][0] is None
    assert rows["X1"]["name"] == "Trust One"
    # performing (high) -> segment 3 (middle) moves; performing -> 2 (both high) does not
    assert [org for org, r in rows.items() if r["moved"]] == ["X2", "X3"]
    assert rows["X3"]["direction"] == "better under B" and rows["X3"]["delta"] == -0.5
    assert rows["X2"]["direction"] == "worse under B" and rows["X2"]["delta"] == 0.5
    assert doc["policies"][0]["descriptions"]["under_review"] == "Performance under review"
    assert (doc["policies"][0]["rated"], doc["policies"][0]["not_rated"]) == (4, 1)


def test_the_cross_tabulation_counts_every_row_once(files: Path) -> None:
    table = doc_of(files)["crosstab"]
    assert table["a_values"] == ["performing", "under_review", "underperforming", "not rated"]
    assert table["b_values"] == ["1", "2", "3", "4", "5", "not rated"]
    assert table["counts"] == [[0, 1, 1, 0, 0, 0], [0, 0, 0, 0, 0, 1], [0, 0, 1, 0, 0, 0], [1, 0, 0, 0, 0, 0]]


def test_the_decisive_steps_name_the_cap_the_rule_and_its_source(files: Path) -> None:
    rows = {r["org"]: r for r in doc_of(files)["rows"]}
    x2 = rows["X2"]["outcomes"][1]["steps"]
    assert x2[0] == {
        "name": "segment",
        "value": 3,
        "why": "no better than 3 when in_deficit (applied)",
        "source": "new cap",
        "kind": "adjustment",
        "driver": "segment: no better than 3 when in_deficit",
    }
    assert x2[1] == {
        "name": "segment",
        "value": 3,
        "why": "base as segment, with base 2",
        "source": "new segment",
        "kind": "pass",
        "driver": "segment: base as segment",
    }
    assert x2[2] == {
        "name": "base",
        "value": 2,
        "why": "when score >= 75 (with score 85): 2",
        "source": "new rule",
        "kind": "table",
        "driver": "base: when score >= 75: 2",
    }
    assert all(isinstance(step["value"], int | float) for step in x2)  # numbers as numbers, not their text
    x3 = rows["X3"]["outcomes"][0]["steps"]
    assert x3[0]["why"] == "becomes underperforming when failing (applied)"
    assert x3[0]["value"] == "underperforming"  # a label as its text


def test_the_decisive_step_is_the_first_that_does_more_than_pass_a_value_on(files: Path) -> None:
    rows = {r["org"]: r for r in doc_of(files)["rows"]}
    # X2: the cap applied, so it decided; X1: `segment = base as segment` passes base on, whose row decided
    x1, x2 = (rows[k]["outcomes"][1] for k in ("X1", "X2"))
    decisive = [next(s for s in o["steps"] if s["kind"] != "pass") for o in (x1, x2)]
    assert [s["why"] for s in decisive] == [
        "when score >= 75 (with score 85): 2",
        "no better than 3 when in_deficit (applied)",
    ]
    # a mover's driver is the decisive step of the side that rates it worse, without the row's numbers
    assert rows["X2"]["direction"] == "worse under B"
    assert rows["X2"]["driver"] == "B: segment: no better than 3 when in_deficit"
    assert rows["X3"]["direction"] == "better under B"
    assert rows["X3"]["driver"] == "A: overall: becomes underperforming when failing"
    assert rows["X4"]["driver"] is None and not rows["X4"]["moved"]


def test_movers_of_the_bundled_comparison_are_grouped_by_their_drivers(bundled: compare.Document) -> None:
    movers = bundled.movers()
    drivers = movers.drivers()
    assert sum(n for _, n in drivers) == len(movers.rows) == 276
    assert [n for _, n in drivers] == sorted((n for _, n in drivers), reverse=True)
    counted = dict(drivers)
    # the 2025 cap and the quartile cut points, the 2009 worst domain, each named as the rule says it
    assert counted["B: adjusted_segment: no better than 3 when in_deficit"] == 59
    assert counted["B: delivery_score: average_score above the third cut point"] == 100
    assert counted["A: overall: the worst is finance"] == 7
    for row in movers.rows:
        worse = row.outcomes[0 if row.direction == comparison.BETTER else 1]
        assert worse is not None and worse.decisive is not None
        assert row.driver == ("B: " if worse is row.outcomes[1] else "A: ") + worse.decisive.driver
    # the cut point crossed, with the row's value and the cohort's cut points
    capped = next(r for r in movers.rows if r.driver.endswith("above the third cut point"))
    why = capped.outcomes[1].decisive.why
    assert why.startswith("average_score ") and " above the third cut point: quartiles of average_score over " in why


def test_a_policy_and_its_variant_list_the_declarations_that_differ(files: Path) -> None:
    doc = doc_of(files, "v.policy")
    assert [(d["name"], d["change"]) for d in doc["differences"]] == [("overall", "changed")]
    assert "score >= 90: performing" in doc["differences"][0]["b"]
    rows = {r["org"]: r for r in doc["rows"]}
    # the same scale: any different value is a move (85 is performing, then under review)
    assert rows["X1"]["moved"] and rows["X1"]["direction"] == "worse under B"


def test_the_table_summary(files: Path) -> None:
    result = invoke("compare", files / "a.policy", files / "b.policy", "--data", files / "d.csv")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2 of 3 rows stand differently (1 worse under B, 1 better)" in out
    assert "  overall \\ segment      1      2      3      4      5  not rated" in out
    assert "  performing             0      1      1      0      0          0" in out
    assert "Declarations that differ" not in out  # two regimes, not a policy and its variant
    assert "X2 2025Q1 Trust Two (acute): overall performing -> segment 3" in out
    assert "B: segment 3: no better than 3 when in_deficit (applied)" in out


def test_bad_data_names_the_policy_and_the_line(files: Path) -> None:
    (files / "d.csv").write_text(DATA.replace("X3,Trust Three,acute,2025Q1,70", "X3,Trust Three,acute,2025Q1,seventy"))
    result = invoke("compare", files / "a.policy", files / "b.policy", "--data", files / "d.csv")
    assert result.exit_code == 1
    assert f"for {files / 'a.policy'}" in result.stderr
    assert "line 5, column score" in result.stderr


@pytest.fixture(scope="module")
def bundled() -> compare.Document:
    paths = [ROOT / "policies" / "performance_2009.policy", ROOT / "policies" / "oversight_2025.policy"]
    data = ROOT / "examples" / "england_synthetic.csv"
    compiled = [compile_file(p)[1] for p in paths]
    text = read_text(str(data))
    sides = [
        compare.Side.evaluate(
            str(p.relative_to(ROOT)), c, compare.load(c, text, str(data.relative_to(ROOT)), False, print)
        )
        for p, c in zip(paths, compiled, strict=True)
    ]
    return compare.document(*sides, str(data.relative_to(ROOT)), compare.names(text))


def test_the_shipped_regimes_on_the_bundled_dataset(bundled: compare.Document) -> None:
    doc = bundled
    assert len(doc.rows) == 944  # 236 organisations, four quarters
    assert doc.crosstab.total == 944
    movers = doc.movers()
    assert movers.compared == 144 * 4  # acute and ambulance trusts: the org types both regimes rate
    assert (len(movers.rows), movers.worse, movers.better) == (276, 236, 40)
    assert doc.crosstab.counts[0][3] > 0  # some trusts performing under 2009 are in segment 4 under 2025
    assert doc.differences == ()  # listed only for a policy and its variant


# The JSON's shape, as tools read it: each object's keys in this order.
SHAPE = {
    "document": ["title", "data", "policies", "periods", "rows", "crosstab", "differences"],
    "policy": [
        "file",
        "name",
        "version",
        "outcome",
        "scale",
        "descriptions",
        "assumptions",
        "rated",
        "not_rated",
        "better",
        "missing",
        "missing_causes",
    ],
    "assumption": ["where", "text"],
    "row": ["key", "org", "name", "org_type", "period", "outcomes", "moved", "direction", "delta", "driver"],
    "outcome": ["value", "standing", "tier", "steps", "assumptions"],
    "step": ["name", "value", "why", "source", "kind", "driver"],
    "crosstab": ["a_values", "b_values", "counts", "a_edges", "b_edges"],
}


def test_the_json_of_the_bundled_comparison_keeps_its_shape(bundled: compare.Document) -> None:
    doc = json.loads(compare.to_json(bundled))
    assert list(doc) == SHAPE["document"]
    for policy in doc["policies"]:
        assert list(policy) == SHAPE["policy"]
        assert all(list(a) == SHAPE["assumption"] for a in policy["assumptions"])
    assert list(doc["crosstab"]) == SHAPE["crosstab"]
    # no 2009 outcome is missing: a missing finance cell leaves its over-riding rule out
    assert doc["crosstab"]["a_values"] == ["performing", "under_review", "underperforming", "not rated"]
    assert doc["crosstab"]["counts"][0] == [122, 70, 135, 42, 0]
    for row in doc["rows"]:
        assert list(row) == SHAPE["row"]
        assert row["direction"] in (None, "worse under B", "better under B")
        for outcome in row["outcomes"]:
            if outcome is not None:
                assert list(outcome) == SHAPE["outcome"]
                assert outcome["tier"] in (None, "high", "middle", "low")
                assert all(list(step) == SHAPE["step"] for step in outcome["steps"])
    first = doc["rows"][0]
    assert (first["key"], first["outcomes"][0]["value"], first["outcomes"][1]["value"]) == (
        "SYNA001 2025Q1",
        "under_review",
        "4",
    )
    assert first["moved"] is True and first["delta"] == 0.25


def test_the_json_is_the_documents_classes(bundled: compare.Document) -> None:
    assert json.loads(compare.to_json(bundled)) == bundled.as_dict()
    assert compare.to_json(bundled) == json.dumps(attrs.asdict(bundled), indent=1) + "\n"


def test_records_flatten_each_row_for_a_data_frame(bundled: compare.Document) -> None:
    records = bundled.records()
    assert len(records) == len(bundled.rows)
    first = records[0]
    assert first == {
        "org": "SYNA001",
        "name": "Synthetic Acute Trust 001",
        "org_type": "acute",
        "period": "2025Q1",
        "a_rated": True,
        "a_outcome": "under_review",
        "a_standing": 0.5,
        "a_tier": "middle",
        "b_rated": True,
        "b_outcome": "4",
        "b_standing": 0.75,
        "b_tier": "low",
        "moved": True,
        "direction": "worse under B",
        "delta": 0.25,
    }
    icb = next(r for r in records if r["org_type"] == "icb")
    assert (icb["a_rated"], icb["a_outcome"], icb["moved"], icb["delta"]) == (False, None, False, None)
    assert sum(r["moved"] for r in records) == len(bundled.movers().rows)


def test_the_movers_largest_first(files: Path) -> None:
    texts = {name: (files / name).read_text() for name in ("a.policy", "b.policy", "d.csv")}
    sides = []
    for name in ("a.policy", "b.policy"):
        compiled = compile_file(files / name)[1]
        sides.append(
            compare.Side.evaluate(name, compiled, compare.load(compiled, texts["d.csv"], "d.csv", False, print))
        )
    movers = compare.document(*sides, "d.csv").movers()
    assert [r.org for r in movers.largest_first()] == ["X2", "X3"]  # both move by half the scale: by key
    assert (movers.compared, movers.worse, movers.better) == (3, 1, 1)


def test_without_data_the_search_finds_a_witness_or_says_it_found_none(
    files: Path, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = invoke("compare", files / "a.policy", files / "b.policy", "--want", "performing,2", "--examples", "1000")
    assert result.exit_code == 0, result.output
    assert "Witness: an acute organisation rated performing (high) by A and 2 (high) by B" in result.stdout
    assert not (tmp_path / ".hypothesis").exists()  # the search leaves nothing behind
    result = invoke("compare", files / "a.policy", files / "b.policy", "--want", "performing,9")
    assert result.exit_code == 1
    assert "1, 2, 3, 4, 5" in result.stderr
    result = invoke("compare", files / "a.policy", files / "b.policy", "--want", "performing")
    assert result.exit_code == 1 and "two outcomes separated by a comma" in result.stderr


MEAN = """policy "Mean" version "1"
org types acute
outcome average
input x: number for all
input y: number for all

average = mean(x, y)
  source "the mean"
"""

HIGHEST = MEAN.replace('"Mean"', '"Highest"').replace("mean(x, y)", "max(x, y)")


def _numbers_table(rows: int) -> str:
    # every third row has x == y, where the mean and the highest agree
    lines = ["org,org_type,x,y"]
    lines += [f"N{k:05d},acute,{k % 97},{k % 97 if k % 3 == 0 else k % 89 + 100}" for k in range(rows)]
    return "\n".join(lines) + "\n"


def test_numeric_outcomes_compare_by_value_in_bounded_bins(tmp_path: Path) -> None:
    (tmp_path / "mean.policy").write_text(MEAN)
    (tmp_path / "highest.policy").write_text(HIGHEST)
    (tmp_path / "d.csv").write_text(_numbers_table(6000))
    args = ["compare", tmp_path / "mean.policy", tmp_path / "highest.policy", "--data", tmp_path / "d.csv"]
    started = time.perf_counter()
    result = invoke(*args)
    assert time.perf_counter() - started < 20
    assert result.exit_code == 0, result.output
    assert len(result.stdout) < 20_000
    assert "4000 of 6000 rows stand differently (4000 higher under B, 0 lower)" in result.stdout
    doc = json.loads(invoke(*args, "--format", "json").stdout)
    table = doc["crosstab"]
    assert len(table["a_values"]) <= comparison.MAX_BINS and len(table["b_values"]) <= comparison.MAX_BINS
    assert table["a_edges"] == table["b_edges"]  # both numbers: the same bins, so the diagonal means the same value
    assert sum(map(sum, table["counts"])) == 6000
    assert table["a_values"][0] == "[0, 20)" and table["a_values"][-1].endswith("]")
    rows = {r["org"]: r for r in doc["rows"]}
    assert (rows["N00003"]["moved"], rows["N00003"]["delta"]) == (False, 0.0)
    assert rows["N00001"]["direction"] == "higher under B" and rows["N00001"]["delta"] == 101 - 51
    # a number's outcome is a number in the JSON, not its text
    assert rows["N00001"]["outcomes"] == [
        {**rows["N00001"]["outcomes"][0], "value": 51.0},
        {**rows["N00001"]["outcomes"][1], "value": 101.0},
    ]
    assert rows["N00001"]["driver"] == "B: average: max(x, y)"


def test_a_metric_outcome_compares_by_its_direction(tmp_path: Path) -> None:
    metric = """policy "Metric" version "1"
org types acute
outcome wait
metric wait "Waiting time"
  days, lower is better, for acute
  ranked
"""
    eased = """policy "Eased" version "1"
org types acute
outcome eased
metric wait "Waiting time"
  days, lower is better, for acute
  ranked
input allowance: days for all

eased = wait - allowance
"""
    (tmp_path / "a.policy").write_text(metric)
    (tmp_path / "b.policy").write_text(eased)
    (tmp_path / "d.csv").write_text("org,org_type,wait,allowance\nW1,acute,10,2\nW2,acute,12,0\nW3,acute,5,-1\n")
    doc = doc_of_files(tmp_path / "a.policy", tmp_path / "b.policy", tmp_path / "d.csv")
    assert doc["policies"][0]["better"] == "lower" and doc["policies"][1]["better"] is None
    directions = {r["org"]: (r["moved"], r["direction"]) for r in doc["rows"]}
    assert directions == {"W1": (True, "better under B"), "W2": (False, None), "W3": (True, "worse under B")}


def doc_of_files(a: Path, b: Path, data: Path) -> dict:
    result = invoke("compare", a, b, "--data", data, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@given(st.lists(st.floats(allow_nan=False), min_size=1, max_size=40))
def test_bins_are_few_and_hold_each_number(numbers: list[float]) -> None:
    edges = comparison.bin_edges(numbers)
    finite = [x for x in numbers if math.isfinite(x)]
    if not finite:
        assert edges == ()
        return
    headings = comparison.bin_values(edges)
    assert 1 <= len(headings) <= comparison.MAX_BINS and len(set(headings)) == len(headings)
    assert list(edges) == sorted(edges) and edges[0] <= min(finite) and max(finite) <= edges[-1]
    table = comparison.Crosstab(tuple(headings), (), (), edges)
    for x in finite:
        k = headings.index(table.counted(0, attrs.evolve(OUTCOME, value=repr(x))))
        assert edges[k] <= x <= edges[k + 1]


OUTCOME = comparison.Outcome(value="0", standing=None, tier=None, steps=(), assumptions=0)


def test_a_policy_that_rates_none_of_the_tables_org_types_says_so(files: Path) -> None:
    (files / "icb.policy").write_text(A.replace("org types acute, ambulance", "org types icb, community"))
    (files / "trusts.csv").write_text(DATA.replace("X5,Board Five,icb", "X5,Board Five,acute"))
    result = invoke("compare", files / "a.policy", files / "icb.policy", "--data", files / "trusts.csv")
    assert result.exit_code == 1
    assert "no rows after the header" not in result.stderr
    assert (
        f"error: reading for {files / 'icb.policy'}: {files / 'trusts.csv'}: the policy rates none of the table's "
        "org types; the table has acute, ambulance, the policy declares icb, community"
    ) in result.stderr


def test_csv_has_a_row_per_organisation_with_both_outcomes_and_their_reasons(bundled: compare.Document) -> None:
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(compare.to_csv(bundled))))
    assert len(rows) == len(bundled.rows)
    by_key = {(r["org"], r["period"]): r for r in rows}
    for row in bundled.rows:
        cells = by_key[(row.org, row.period or "")]
        for side, outcome in zip("ab", row.outcomes, strict=True):
            value, status, reason = (cells[f"{side}_{column}"] for column in ("value", "status", "reason"))
            if outcome is None:
                assert (value, status, reason) == ("", "not rated", "")
            elif outcome.value is None:
                assert (value, status) == ("", "missing")
            else:
                assert (value, status) == (outcome.value, "rated")
                assert reason.startswith(f"{outcome.steps[0].name} {outcome.steps[0].text}: ")
        assert cells["moved"] == ("yes" if row.moved else "no") and cells["direction"] == (row.direction or "")
    # ICBs are not rated by 2009; no 2009 outcome is missing (a missing finance cell leaves its cap out)
    assert {r["a_status"] for r in rows} == {"rated", "not rated"}


def test_csv_has_its_header_on_the_command_line_and_needs_data(files: Path) -> None:
    result = invoke("compare", files / "a.policy", files / "b.policy", "--data", files / "d.csv", "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("org,name,org_type,period,a_value,a_status,b_value,b_status,")
    searched = invoke("compare", files / "a.policy", files / "b.policy", "--format", "csv")
    assert searched.exit_code == 1 and "the CSV output needs --data" in searched.stderr


CQC = """policy "CQC ratings" version "1"
org types acute
outcome rated
scale rating: outstanding "Outstanding" > good "Good" > requires_improvement "Requires improvement" > inadequate
  tiers high: outstanding, good; middle: requires_improvement; low: inadequate
  source "CQC"
input inspected: rating for acute
rated = inspected
"""
CATEGORIES = """policy "Categories" version "1"
org types acute
outcome overall
scale category: performing > under_review > underperforming
input published: category for acute
overall = published
"""


@pytest.mark.parametrize("declared", [True, False], ids=["declared tiers", "thirds"])
def test_a_scales_declared_tiers_decide_who_moves_between_two_scales(tmp_path: Path, declared: bool) -> None:
    cqc = CQC if declared else "\n".join(line for line in CQC.split("\n") if "tiers" not in line)
    (tmp_path / "a.policy").write_text(cqc)
    (tmp_path / "b.policy").write_text(CATEGORIES)
    (tmp_path / "d.csv").write_text(
        "org,org_type,inspected,published\n"
        "O,acute,outstanding,performing\nG,acute,good,performing\n"
        "R,acute,requires_improvement,performing\nI,acute,inadequate,underperforming\n"
    )
    doc = doc_of_files(tmp_path / "a.policy", tmp_path / "b.policy", tmp_path / "d.csv")
    rows = {r["org"]: r for r in doc["rows"]}
    tiers = {org: [o["tier"] for o in r["outcomes"]] for org, r in rows.items()}
    moved = [org for org, r in rows.items() if r["moved"]]
    if declared:
        # good is declared high, as performing is; requires improvement is declared middle
        assert tiers == {"O": ["high", "high"], "G": ["high", "high"], "R": ["middle", "high"], "I": ["low", "low"]}
        assert moved == ["R"]
    else:
        # in thirds of a four-value scale, good (standing 1/3) falls in the middle with requires improvement
        assert tiers == {"O": ["high", "high"], "G": ["middle", "high"], "R": ["middle", "high"], "I": ["low", "low"]}
        assert moved == ["G", "R"]
    # the size of a move is the standings' difference either way
    assert rows["R"]["delta"] == pytest.approx(-2 / 3)


def test_a_scale_tier_is_the_declared_one_else_the_standings_third() -> None:
    assert compare.scale_tier(1, 4, ("high", "high", "middle", "low")) == "high"
    assert compare.scale_tier(1, 4) == "middle"
    assert [compare.scale_tier(p, 5) for p in range(5)] == ["high", "high", "middle", "low", "low"]
