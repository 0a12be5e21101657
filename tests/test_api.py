"""The Python API: the same values, messages and explanations as `policyc eval`, from files and data frames."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
from click.testing import CliRunner

import policyc
from policyc import cli

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
ENGLAND = ROOT / "examples" / "england_synthetic.csv"
SYNTHETIC_2009 = ROOT / "examples" / "performance_2009_synthetic.csv"

# Each shipped policy with a bundled dataset that holds its org types.
SHIPPED = [
    ("oversight_2025.policy", ENGLAND),
    ("oversight_2025_q3_cut_points.policy", ENGLAND),
    ("performance_2009.policy", SYNTHETIC_2009),
]

POLICY = """policy "Test framework" version "1"
  source "a test"

org types acute, ambulance
outcome segment

scale segment: 1 > 2 > 3 > 4

input in_deficit "In deficit": yes/no for all
input rating: one of good / fair / poor for all
input unused: yes/no for all

metric ae "A&E" percent, higher is better, for acute, ambulance
  ranked, standard 90
  source "Table 3"

average = round(mean(metric scores), 2)
  source "step 2"

band = when average <= 2: 1 when average <= 3: 2 otherwise: 3

segment = band as segment
  no better than 3 when in_deficit
    source "step 3"
"""

ROWS = {
    "org": ["A1", "A2", "A3", "B1"],
    "org_type": ["acute", "acute", "acute", "ambulance"],
    "in_deficit": [False, True, None, False],
    "rating": ["good", "fair", None, "poor"],
    "unused": [True, True, True, True],
    "ae": [0.1 + 0.2, 80.0, None, 60.0],
}


def run(*args) -> str:
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def cli_failure(*args) -> str:
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    assert result.exit_code == 1
    return result.stderr


def cells(table, name: str) -> list:
    """A result column's values, with each library's missing value as None."""
    if isinstance(table, pd.DataFrame):
        values = table[name].tolist()
    elif isinstance(table, pl.DataFrame):
        values = table[name].to_list()
    else:
        values = table.column(name).to_pylist()
    return [None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def rows(table) -> list[dict]:
    columns = list(table.columns) if not isinstance(table, pa.Table) else table.column_names
    by_column = {name: cells(table, name) for name in columns}
    return [{name: by_column[name][n] for name in columns} for n in range(len(by_column["org"]))]


@pytest.fixture(scope="module")
def shipped() -> dict[str, policyc.Policy]:
    return {name: policyc.load(POLICIES / name) for name, _ in SHIPPED}


@pytest.mark.parametrize(("name", "data"), SHIPPED)
def test_every_value_equals_what_policyc_eval_gives_as_json(shipped, name: str, data: Path) -> None:
    expected = json.loads(run("eval", POLICIES / name, "--data", data, "--format", "json"))["results"]
    got = rows(shipped[name].evaluate(data))
    assert len(got) == len(expected)
    for row, want in zip(got, expected, strict=True):
        assert {k: row[k] for k in ("org", "org_type", "period")} == {k: want[k] for k in ("org", "org_type", "period")}
        assert list(row)[3:] == list(want["values"])
        assert {k: row[k] for k in want["values"]} == want["values"]


def read_pandas(path: Path):
    return pd.read_csv(path)


def read_polars(path: Path):
    return pl.read_csv(path, infer_schema_length=None)


def read_arrow(path: Path):
    return pa_csv.read_csv(path)


READERS = [read_pandas, read_polars, read_arrow]


@pytest.mark.parametrize("reader", READERS, ids=["pandas", "polars", "pyarrow"])
@pytest.mark.parametrize(("name", "data"), SHIPPED)
def test_a_data_frame_gives_the_same_values_as_its_file_in_a_table_of_its_kind(
    shipped, name: str, data: Path, reader
) -> None:
    frame = reader(data)
    result = shipped[name].evaluate(frame)
    assert type(result) is type(frame)
    assert rows(result) == rows(shipped[name].evaluate(data))


def test_results_are_typed_as_their_values(shipped) -> None:
    result = shipped["oversight_2025.policy"].evaluate(ENGLAND)
    assert isinstance(result, pd.DataFrame)
    assert result["segment"].dtype == "Int64"  # a numbered scale: its numbers
    assert result["in_deficit"].dtype == "boolean"
    assert result["ae_4_hours"].dtype == "float64"
    assert set(result["cqc_safe"].dropna()) <= {"outstanding", "good", "requires_improvement", "inadequate"}
    assert list(result.columns[:4]) == ["org", "org_type", "period", shipped["oversight_2025.policy"].values[0]]
    polars = shipped["oversight_2025.policy"].evaluate(read_polars(ENGLAND))
    assert polars.schema["segment"] == pl.Int64 and polars.schema["in_deficit"] == pl.Boolean
    arrow = shipped["oversight_2025.policy"].evaluate(read_arrow(ENGLAND))
    assert arrow.schema.field("segment").type == pa.int64() and arrow.schema.field("cqc_safe").type == pa.string()


@pytest.mark.parametrize(
    "make",
    [pd.DataFrame, pl.DataFrame, pa.table],
    ids=["pandas", "polars", "pyarrow"],
)
def test_a_frame_keeps_its_nulls_booleans_and_full_precision(make) -> None:
    policy = policyc.load(POLICY)
    result = rows(policy.evaluate(make(ROWS)))
    assert [r["in_deficit"] for r in result] == [False, True, None, False]
    assert [r["rating"] for r in result] == ["good", "fair", None, "poor"]
    assert result[0]["ae"] == 0.30000000000000004
    assert result[2]["ae"] is None and result[2]["ae.score"] is None
    assert [r["segment"] for r in result] == [3, 3, None, 1]


@pytest.mark.parametrize(
    ("make", "where"),
    [
        (pd.DataFrame, "<DataFrame>, row 2, column ae"),
        (pl.DataFrame, "<polars DataFrame>, row 2, column ae"),
        (pa.table, "<pyarrow Table>, row 2, column ae"),
    ],
    ids=["pandas", "polars", "pyarrow"],
)
def test_a_bad_cell_raises_data_error_naming_the_frame_row_and_column(make, where: str) -> None:
    data = {**ROWS, "ae": ["95", "80", "lots", ""]}
    with pytest.raises(policyc.DataError) as raised:
        policyc.load(POLICY).evaluate(make(data))
    assert str(raised.value) == f'{where}: expected a number (percent), found "lots"'


def test_a_pandas_row_is_named_by_its_index_too_and_a_named_index_is_read_as_columns() -> None:
    policy = policyc.load(POLICY)
    frame = pd.DataFrame({**ROWS, "ae": ["95", "80", "lots", ""]}).set_index("org")
    with pytest.raises(policyc.DataError, match=r"^<DataFrame>, row 2 \(index A3\), column ae: "):
        policy.evaluate(frame)
    assert rows(policy.evaluate(pd.DataFrame(ROWS).set_index("org"))) == rows(policy.evaluate(pd.DataFrame(ROWS)))


def test_a_duplicate_organisation_names_both_rows() -> None:
    frame = pd.DataFrame(ROWS)
    frame.loc[3, "org"] = "A1"
    with pytest.raises(policyc.DataError) as raised:
        policyc.load(POLICY).evaluate(frame)
    assert str(raised.value) == (
        "<DataFrame>, row 3: org A1 appears twice (a table without a period column has one row per organisation); "
        "first on row 0"
    )


def test_bad_data_in_a_file_raises_the_message_policyc_eval_prints(shipped) -> None:
    expected = cli_failure("eval", POLICIES / "performance_2009.policy", "--data", ENGLAND)
    with pytest.raises(policyc.DataError) as raised:
        shipped["performance_2009.policy"].evaluate(str(ENGLAND))
    assert f"error: {raised.value}\n" == expected


def test_missing_columns_fail_or_warn_with_allow_missing() -> None:
    policy = policyc.load(POLICY)
    frame = pd.DataFrame(ROWS).drop(columns=["ae"])
    with pytest.raises(policyc.DataError, match=r"missing columns the policy reads: ae \(use allow_missing=True"):
        policy.evaluate(frame)
    with pytest.warns(policyc.DataWarning, match="<DataFrame>: columns the policy reads are missing"):
        result = policy.evaluate(frame, allow_missing=True)
    assert cells(result, "ae") == [None] * 4


def test_a_rule_that_cannot_give_a_value_raises_evaluation_error() -> None:
    frame = pd.DataFrame({**ROWS, "band": [None, 7.0, None, None]})
    with pytest.raises(policyc.EvaluationError) as raised:
        policyc.load(POLICY).evaluate(frame)
    assert str(raised.value) == (
        "<policy text>:22:11: 7 is not a value of scale `segment` (1, 2, 3, 4) (on <DataFrame>, row 1, org A2)"
    )


def test_a_mapping_reads_a_frame_as_it_reads_the_file(tmp_path: Path) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\norg = "code"\n\n[values.rating]\n"G" = "good"\n"F" = "fair"\n"P" = "poor"\n')
    frame = pd.DataFrame(ROWS).rename(columns={"org": "code"})
    frame["rating"] = ["G", "F", None, "P"]
    path = tmp_path / "data.csv"
    frame.to_csv(path, index=False)
    policy = policyc.load(POLICY)
    from_frame = rows(policy.evaluate(frame, mapping=mapping))
    assert from_frame == rows(policy.evaluate(path, mapping=mapping))
    assert [r["rating"] for r in from_frame] == ["good", "fair", None, "poor"]
    frame.loc[1, "rating"] = "X"
    with pytest.raises(policyc.DataError, match=r'^<DataFrame>, row 1, column `rating`: "X" is not in'):
        policy.evaluate(frame, mapping=mapping)


def test_anything_else_is_refused_with_the_kinds_of_table_taken() -> None:
    with pytest.raises(TypeError, match="expected a pandas DataFrame, a polars DataFrame, a pyarrow Table"):
        policyc.load(POLICY).evaluate([{"org": "A1"}])


# ---------------------------------------------------------------- loading


def test_a_policy_loads_from_text_or_file_with_its_names(shipped) -> None:
    policy = shipped["oversight_2025.policy"]
    assert policy.name == "NHS Oversight Framework" and policy.version == "2025/26"
    assert policy.outcome == "segment"
    assert "segment" in policy.values and "ae_4_hours.score" in policy.values
    assert "ae_4_hours" in policy.inputs and "segment" not in policy.inputs
    assert policy.org_types == ("icb", "acute", "mental_health", "community", "ambulance")
    text = (POLICIES / "oversight_2025.policy").read_text(encoding="utf-8")
    from_text = policyc.load(text)
    assert from_text.path == "<policy text>" and from_text.values == policy.values


def test_a_variant_given_as_text_extends_relative_to_the_current_folder(monkeypatch, shipped) -> None:
    text = (POLICIES / "oversight_2025_q3_cut_points.policy").read_text(encoding="utf-8")
    monkeypatch.chdir(POLICIES)
    variant = policyc.load(text)
    assert rows(variant.evaluate(ENGLAND)) == rows(shipped["oversight_2025_q3_cut_points.policy"].evaluate(ENGLAND))


def test_warnings_are_kept_and_errors_raise_policy_error_rendered_as_policyc_check(tmp_path: Path) -> None:
    policy = policyc.load(POLICY)
    assert [(d.code, d.message, d.is_error) for d in policy.diagnostics] == [
        ("PC250", "no rule reads input `rating`", False),
        ("PC250", "no rule reads input `unused`", False),
    ]
    broken = POLICY.replace("mean(metric scores)", "mean(metric scores, rating_typo)")
    with pytest.raises(policyc.PolicyError) as raised:
        policyc.load(broken)
    assert [d.code for d in raised.value.diagnostics] == ["PC250", "PC250", "PC201"]
    assert [d.code for d in raised.value.errors] == ["PC201"]
    path = tmp_path / "broken.policy"
    path.write_text(broken, encoding="utf-8")
    check = CliRunner().invoke(cli.main, ["check", str(path)])
    with pytest.raises(policyc.PolicyError) as from_file:
        policyc.load(path)
    blocks, summary = str(from_file.value).rsplit("\n\n", 1)
    assert check.stdout == blocks + "\n\n" + "checked 1 file: 1 error, 2 warnings\n"
    assert summary == f"{path}: 1 error, 2 warnings"


def test_a_path_that_names_no_file_raises_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        policyc.load("policies/no_such.policy")


# ---------------------------------------------------------------- explanations


def test_explain_is_the_text_policyc_eval_explain_prints(shipped) -> None:
    policy = shipped["performance_2009.policy"]
    expected = run("eval", POLICIES / "performance_2009.policy", "--data", SYNTHETIC_2009, "--explain", "SYNA003")
    result = policy.evaluate(pd.read_csv(SYNTHETIC_2009))
    explanation = policy.explain("SYNA003")
    assert str(explanation) == expected
    periods = result.loc[result["org"] == "SYNA003", "period"].tolist()
    assert len(periods) > 1
    each = [str(policy.explain("SYNA003", period=period)) for period in periods]
    assert each[0].startswith(f"SYNA003 (acute, {periods[0]}): overall = ")
    assert "\n".join(each) == expected
    page = explanation._repr_html_()
    assert page.startswith("<pre") and "<" not in page[page.index(">") + 1 : page.rindex("</pre>")]


def test_explain_needs_an_evaluation_and_an_organisation_in_it(shipped) -> None:
    policy = policyc.load(POLICY)
    with pytest.raises(ValueError, match="no table evaluated yet"):
        policy.explain("A1")
    policy.evaluate(pd.DataFrame(ROWS))
    assert str(policy.explain("A2")).startswith("A2 (acute): segment = 3")
    with pytest.raises(LookupError, match="no organisation `a2` in the table; did you mean `A2`"):
        policy.explain("a2")
    with pytest.raises(LookupError, match="no period column"):
        policy.explain("A2", period="2025Q3")
    with pytest.raises(LookupError, match=r"`SYNA003` has no row for period 2011Q1; it has 2009Q1, "):
        shipped["performance_2009.policy"].evaluate(SYNTHETIC_2009)
        shipped["performance_2009.policy"].explain("SYNA003", period="2011Q1")


# ---------------------------------------------------------------- comparisons

REGIMES = (str(POLICIES / "performance_2009.policy"), str(POLICIES / "oversight_2025.policy"))


@pytest.fixture(scope="module")
def comparison() -> policyc.Comparison:
    return policyc.compare(*REGIMES, str(ENGLAND))


def test_compare_gives_the_document_policyc_compare_gives(comparison) -> None:
    assert comparison.to_json() == run("compare", *REGIMES, "--data", ENGLAND, "--format", "json")
    assert str(comparison) == run("compare", *REGIMES, "--data", ENGLAND)
    assert comparison.html() == run("compare", *REGIMES, "--data", ENGLAND, "--format", "html")


def test_compare_takes_policies_and_a_frame(shipped, comparison) -> None:
    from_frame = policyc.compare(shipped["performance_2009.policy"], REGIMES[1], pd.read_csv(ENGLAND))
    assert from_frame.document.data == "<DataFrame>"
    assert from_frame.to_frame().equals(comparison.to_frame())


def test_the_comparison_frame_has_a_row_per_organisation_and_period_that_counts_as_its_crosstab(comparison) -> None:
    frame = comparison.to_frame()
    assert len(frame) == len(comparison.document.rows) == len(frame.drop_duplicates(["org", "period"]))
    assert frame["a_standing"].dtype == "float64" and frame["moved"].dtype == bool

    def reported(side: str) -> pd.Series:
        missing = frame[f"{side}_outcome"].isna()
        labels = frame[f"{side}_outcome"].where(~missing, "missing")
        return labels.where(frame[f"{side}_rated"], "not rated")

    counted = pd.crosstab(reported("a"), reported("b"))
    table = comparison.document.crosstab
    for a_value, counts in zip(table.a_values, table.counts, strict=True):
        for b_value, count in zip(table.b_values, counts, strict=True):
            got = counted.at[a_value, b_value] if a_value in counted.index and b_value in counted.columns else 0
            assert got == count, (a_value, b_value)
    assert frame["moved"].sum() == len(comparison.document.movers().rows)


def test_the_comparison_shows_its_summary_in_a_notebook(comparison) -> None:
    page = comparison._repr_html_()
    movers = comparison.document.movers()
    assert f"{len(movers.rows)} of the {movers.compared} rows that both rate stand differently" in page
    table = comparison.document.crosstab
    first = f"<tr><th>{table.a_values[0]}</th>" + "".join(f"<td>{c}</td>" for c in table.counts[0]) + "</tr>"
    assert first in page
    assert "overall \\ segment" in page


def test_compare_names_the_policy_and_the_frame_row_of_bad_data() -> None:
    frame = pd.read_csv(ENGLAND)
    frame["period"] = frame["period"].astype(object)
    frame.loc[7, "period"] = "2025Q5"
    with pytest.raises(policyc.DataError) as raised:
        policyc.compare(*REGIMES, frame)
    assert str(raised.value).startswith(
        f"reading for {REGIMES[1]}: <DataFrame>, row 7, column period: expected a period like 2025Q3"
    )


# ---------------------------------------------------------------- the documentation


def test_the_examples_in_docs_python_md_run_as_written(monkeypatch, capsys) -> None:
    text = (ROOT / "docs" / "python.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 5
    monkeypatch.chdir(ROOT)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/python.md", "exec"), namespace)
    printed = capsys.readouterr().out
    assert printed.startswith("<policy text>:3:5: error[PC201]") and f"```\n{printed}```" in text


# ---------------------------------------------------------------- imports


def test_import_policyc_imports_no_data_frame_library() -> None:
    code = (
        "import sys, policyc\n"
        "policy = policyc.load(sys.argv[1])\n"
        "print(sorted(m for m in ('pandas', 'polars', 'pyarrow') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(POLICIES / "oversight_2025.policy")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == "[]\n"
