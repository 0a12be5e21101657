"""policies/nof_2025_26.policy against NHS England's published data for mental health and community trusts.

The pivot and the counting are the evidence script's (policies/evidence/nof_2025_26_scoring.py); the
figures below are the agreement it measured, held as floors so that a change to the policy or to
policyc that loses agreement fails here. Skipped when ../shared/data is absent.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "policies" / "evidence" / "nof_2025_26_scoring.py"
DATA = ROOT.parent / "shared" / "data" / "nof_2025_26_mhc" / "trust_data_q1_q3.csv"

pytestmark = pytest.mark.skipif(not DATA.exists(), reason="../shared/data/nof_2025_26_mhc is absent")


def _script():
    spec = importlib.util.spec_from_file_location("nof_2025_26_scoring", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def found():
    return _script().run()


# Metric_ID -> reproduced published values in quarters 1, 2 and 3, the policy scoring every metric
# from the raw values.
FROM_RAW = {
    "OF1005": (10, 10, 14),
    "OF1016": (8, 4, 8),
    "OF1041": (3, 3, 3),
    "OF1057": (8, 6, 5),
    "OF1061": (54, 54, 54),
    "OF1063": (6, 4, 6),
    "OF1079": (61, 61, 61),
    "OF1081": (61, 61, 61),
    "OF1080": (61, 61, 61),
    "OF1082": (3, 1, 2),
    "OF1084": (40, 40, 40),
    "OF1086": (2, 4, 4),
    "OF5002": (7, 6, 4),
    "OF4000": (8, 3, 5),
    "OF4002": (28, 18, 26),
    "OF4003": (9, 7, 7),
    "OF4004": (2, 1, 1),
    "OF4005": (14, 8, 12),
    "OF4100": (44, 53, 52),
    "OF4102": (59, 59, 60),
    "OF4103": (57, 59, 61),
    "OF4104": (55, 41, 45),
    "OF4105": (49, 50, 52),
    "OF5003": (57, 54, 58),
    "OF5000": (58, 55, 60),
}

# Metric_ID -> reproduced published values in quarters 1 to 4, each published metric score given.
FROM_SCORES = {
    "OF5002": (60, 56, 58, 57),
    "OF4000": (49, 51, 51, 52),
    "OF4002": (61, 48, 49, 54),
    "OF4003": (45, 44, 44, 44),
    "OF4004": (50, 48, 44, 46),
    "OF4005": (59, 53, 52, 52),
    "OF4100": (58, 58, 59, 59),
    "OF4102": (61, 59, 61, 60),
    "OF4103": (60, 60, 60, 60),
    "OF4104": (60, 61, 59, 61),
    "OF4105": (59, 60, 60, 59),
    "OF5003": (61, 61, 60, 61),
    "OF5000": (61, 61, 61, 61),
}


@pytest.mark.parametrize("metric", sorted(FROM_RAW))
def test_from_raw_values(found, metric):
    got = found["raw"][metric]
    for period, floor in zip(("2025Q1", "2025Q2", "2025Q3"), FROM_RAW[metric], strict=True):
        reproduced, published = got[period]
        assert reproduced >= floor, (metric, period, reproduced, published)


@pytest.mark.parametrize("metric", sorted(FROM_SCORES))
def test_from_published_scores(found, metric):
    got = found["scores"][metric]
    for period, floor in zip(("2025Q1", "2025Q2", "2025Q3", "2025Q4"), FROM_SCORES[metric], strict=True):
        reproduced, published = got[period]
        assert reproduced >= floor, (metric, period, reproduced, published)


@pytest.mark.parametrize(
    ("evaluation", "metric"), [("raw", "OF1079"), ("raw", "OF1081"), ("raw", "OF1080"), ("scores", "OF5000")]
)
def test_exact_rules(found, evaluation, metric):
    """The finance bands, the combined finance score and the financial override hold on every trust."""
    for period, (reproduced, published) in found[evaluation][metric].items():
        assert reproduced == published == 61, (metric, period)


def test_recovery_segment(found):
    """OF5005 is published for quarters 1 and 2: segment 5 for a trust in the programme, else OF5000."""
    assert found["scores"]["OF5005"] == {"2025Q1": (61, 61), "2025Q2": (61, 61)}


def test_agree_through_the_long_mapping_counts_what_the_evidence_script_counts(found) -> None:
    import json

    from click.testing import CliRunner

    from policyc import cli

    result = CliRunner().invoke(
        cli.main,
        [
            "agree",
            str(ROOT / "policies" / "nof_2025_26.policy"),
            "--data",
            str(DATA),
            "--map",
            str(ROOT / "mappings" / "nof_2025_26_trust_data.toml"),
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    steps = {step["published"]: step for step in json.loads(result.stdout)["steps"]}
    assert set(steps) == set(found["raw"])
    for key, by_period in found["raw"].items():
        counted = {g["period"]: (g["agree"], g["compared"]) for g in steps[key]["groups"]}
        assert counted == by_period, key
