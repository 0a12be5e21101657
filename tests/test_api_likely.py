"""The Python API's likely ranges and `improve`: the same answers as the command line gives."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner

import policyc
from policyc import cli

ROOT = Path(__file__).resolve().parents[1]
REGIME_2025 = ROOT / "policies" / "oversight_2025.policy"
ENGLAND = ROOT / "examples" / "england_synthetic.csv"


def test_likely_ranges_in_a_data_frame_equal_the_command_s_csv() -> None:
    policy = policyc.load(REGIME_2025)
    policy.evaluate(ENGLAND)
    frame = policy.likely_ranges(replicates=200, seed=3)
    out = CliRunner().invoke(
        cli.main,
        [
            "eval",
            str(REGIME_2025),
            "--data",
            str(ENGLAND),
            "--likely-range",
            "--replicates",
            "200",
            "--seed",
            "3",
            "--format",
            "csv",
        ],
    )
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert list(frame.columns) == [
        "org",
        "org_type",
        "period",
        "average_score_low",
        "average_score_high",
        "rank",
        "rank_low",
        "rank_high",
        *(f"p_segment_{k}" for k in range(1, 6)),
    ]
    assert len(frame) == len(rows)
    for k in (0, 17, 400):
        for name in ("average_score_low", "rank_high", "p_segment_4"):
            shown = rows[k][name]
            value = frame[name].iloc[k]
            assert (shown == "" and value != value) or float(shown) == pytest.approx(float(value)), (k, name)
    assert str(frame["rank"].dtype) == "Int64"


def test_improve_gives_the_command_s_answer_and_asks_for_a_period() -> None:
    policy = policyc.load(REGIME_2025)
    policy.evaluate(ENGLAND)
    found = policy.improve("SYNA009", to=2, period="2025Q3")
    assert found.average_needed == pytest.approx(2.42) and found.together is not None
    out = CliRunner().invoke(
        cli.main, ["improve", str(REGIME_2025), "--data", str(ENGLAND), "--org", "SYNA009@2025Q3", "--to", "2"]
    )
    assert str(found) == out.stdout
    with pytest.raises(LookupError, match="give period="):
        policy.improve("SYNA009", to=2)
    with pytest.raises(ValueError, match="not a value of `segment`"):
        policy.improve("SYNA009", to="6", period="2025Q3")
    with pytest.raises(ValueError, match="call policy.evaluate"):
        policyc.load(REGIME_2025).likely_ranges()
