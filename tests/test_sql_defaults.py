"""An input's declared default on the SQL back end: an empty cell, and a column the table lacks, read as the
default on the rows of the org types the input applies to, as the numpy evaluator reads them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from policyc.analysis.evaluation import evaluate_text
from policyc.backend.compile import compile_file

pytest.importorskip("duckdb")

POLICY = """policy "Defaults" version "1"
org types acute, icb
outcome band
scale level: good > fair > poor
input score: number for all
judgement failing "Failing": yes/no for acute
  default no
    assume "a test's reason"
input beds: number for all
  default 10
    assume "a test's reason"
band = when score >= 80 and beds >= 5: good when score >= 50: fair otherwise: poor
  becomes poor when failing
"""


def test_defaults_read_the_same_on_duckdb_as_on_numpy(tmp_path: Path) -> None:
    from policyc.backend.sql import engine

    (tmp_path / "p.policy").write_text(POLICY)
    _, compiled = compile_file(str(tmp_path / "p.policy"))
    for table in (
        "org,org_type,score,failing,beds\nA1,acute,90,,\nA2,acute,90,yes,3\nI1,icb,90,,\nA3,acute,60,no,20\n",
        "org,org_type,score\nA1,acute,90\nI1,icb,55\n",  # neither defaulted column: both read as their defaults
    ):
        run = evaluate_text(compiled, table, "d.csv", allow_missing=True)
        sql = engine.evaluate(compiled.program, run.frame, threads=1)
        for name in ("failing", "beds", "band"):
            assert np.array_equal(run.values[name], sql[name], equal_nan=True), (name, table)
    assert run.values["failing"].tolist()[1] != run.values["failing"].tolist()[1]  # icb: failing is not for it
