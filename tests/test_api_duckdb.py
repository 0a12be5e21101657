"""The Python API on DuckDB: `engine="duckdb"` gives the numpy engine's table with the same messages, and a DuckDB
relation is read as the pyarrow Table it gives."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from test_api import POLICY, ROWS, SHIPPED, rows

import policyc

duckdb = pytest.importorskip("duckdb")
ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("name", "data"), SHIPPED)
def test_the_duckdb_engine_gives_the_numpy_engines_table(name: str, data: Path) -> None:
    policy = policyc.load(ROOT / "policies" / name)
    on_numpy = policy.evaluate(data)
    on_duckdb = policy.evaluate(data, engine="duckdb")
    assert isinstance(on_duckdb, pd.DataFrame)
    assert list(on_duckdb.columns) == list(on_numpy.columns)
    assert list(on_duckdb.dtypes) == list(on_numpy.dtypes)
    assert rows(on_duckdb) == rows(on_numpy)


def test_a_frame_on_duckdb_gives_a_table_of_its_kind_and_the_same_messages() -> None:
    policy = policyc.load(POLICY)
    table = pa.table(ROWS)
    got = policy.evaluate(table, engine="duckdb")
    assert isinstance(got, pa.Table) and rows(got) == rows(policy.evaluate(table))
    bad = pd.DataFrame({**ROWS, "ae": ["95", "80", "lots", ""]})
    with pytest.raises(policyc.DataError) as raised:
        policy.evaluate(bad, engine="duckdb")
    assert str(raised.value) == '<DataFrame>, row 2, column ae: expected a number (percent), found "lots"'
    failing = pd.DataFrame({**ROWS, "band": [None, 7.0, None, None]})
    with pytest.raises(policyc.EvaluationError) as failed:
        policy.evaluate(failing, engine="duckdb")
    assert str(failed.value) == (
        "<policy text>:22:11: 7 is not a value of scale `segment` (1, 2, 3, 4) (on <DataFrame>, row 1, org A2)"
    )


def test_an_evaluation_on_duckdb_is_not_explained_and_an_unknown_engine_is_refused() -> None:
    policy = policyc.load(POLICY)
    policy.evaluate(pd.DataFrame(ROWS), engine="duckdb")
    with pytest.raises(ValueError, match=r"evaluated with engine='duckdb': policy.explain\(org\) needs the numpy"):
        policy.explain("A1")
    policy.evaluate(pd.DataFrame(ROWS))
    assert "A1" in policy.explain("A1").text
    with pytest.raises(ValueError, match=r"engine is one of 'numpy', 'duckdb', not 'spark'"):
        policy.evaluate(pd.DataFrame(ROWS), engine="spark")


def test_a_policy_the_query_cannot_express_raises_policy_error_naming_the_line() -> None:
    text = 'policy "P"\norg types acute\ninput x "X": number for acute\ny = round(x, 9)\n'
    policy = policyc.load(text)
    frame = pd.DataFrame({"org": ["A"], "org_type": ["acute"], "x": [1.5]})
    assert rows(policy.evaluate(frame))[0]["y"] == 1.5
    with pytest.raises(policyc.PolicyError) as raised:
        policy.evaluate(frame, engine="duckdb")
    assert [(d.code, d.span.line) for d in raised.value.errors if d.span is not None] == [("PC701", 4)]
    assert "rounding to 9 places cannot be expressed exactly in duckdb SQL" in str(raised.value)


def test_a_duckdb_relation_is_read_as_its_rows_and_gives_a_pyarrow_table() -> None:
    policy = policyc.load(POLICY)
    connection = duckdb.connect()
    connection.register("rows", pa.table(ROWS))
    relation = connection.sql("SELECT * FROM rows ORDER BY org")
    for engine in ("numpy", "duckdb"):
        got = policy.evaluate(relation, engine=engine)
        assert isinstance(got, pa.Table)
        assert rows(got) == rows(policy.evaluate(pd.DataFrame(ROWS)))
    bad = connection.sql(
        "SELECT * REPLACE (CASE WHEN org = 'A3' THEN 'lots' ELSE CAST(ae AS VARCHAR) END AS ae) FROM rows"
    )
    with pytest.raises(policyc.DataError, match=r"^<DuckDB relation>, row 2, column ae: expected a number"):
        policy.evaluate(bad)
