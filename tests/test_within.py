"""Cohort functions over another group than the row's cohort: `within: all` (every organisation of the period)
and `within: VALUE` (those sharing a yes/no, label or scale value), worked by hand on a small table and held
equal on the numpy engine, the interpreter and DuckDB."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import compile_text, invoke

from policyc.backend import interp
from policyc.data.table import load_text
from policyc.semantics.driver import check_source
from policyc.syntax.source import Source

POLICY = """policy "W" version "1"
  source "a test"

org types icb, acute, community
cohort providers: acute, community
outcome q

scale sector: trust > system

input x: number for all
input region: one of north / south for all

sector = when org_type is icb: system
  otherwise: trust
  source "a test"

r_all = rank(x, within: all)
  source "a test"
r_region = rank(x, within: region)
  source "a test"
r_own = rank(x)
  source "a test"
r_type = rank(x, within: org_type)
  source "a test"
m_sector = cohort_mean(x, within: sector)
  source "a test"
sd_all = cohort_sd(x, within: all)
  source "a test"
p_region = percentile_rank(x, within: region)
  source "a test"
med_all = quantile(x, 0.5, within: all)
  source "a test"
q = quartile(x, method: linear, within: sector)
  source "a test"
"""

DATA = """org,org_type,period,x,region
A,icb,2025Q1,1,north
B,icb,2025Q1,2,south
C,acute,2025Q1,3,north
D,acute,2025Q1,4,
E,community,2025Q1,5,south
F,community,2025Q1,,north
G,acute,2025Q2,7,north
H,community,2025Q2,8,north
"""

# Worked by hand. 2025Q1: x is 1 to 5 (F has none); the ICBs A and B are the sector `system`, the rest `trust`;
# north holds A, C and F, south B and E, D has no region. 2025Q2 holds G and H, both north and trusts.
EXPECTED = {
    "r_all": [1, 2, 3, 4, 5, None, 1, 2],
    "r_region": [1, 1, 2, None, 2, None, 1, 2],  # D in no region: no rank
    "r_own": [1, 2, 1, 2, 3, None, 1, 2],  # the cohorts: icb, and providers (acute with community)
    "r_type": [1, 2, 1, 2, 1, None, 1, 1],  # org_type alone, the cohort set aside
    "m_sector": [1.5, 1.5, 4, 4, 4, 4, 7.5, 7.5],  # F's own value is missing, its sector's mean is not
    "sd_all": [2.5**0.5] * 6 + [0.5**0.5] * 2,
    "p_region": [0, 0, 100, None, 100, None, 0, 100],
    "med_all": [3, 3, 3, 3, 3, 3, 7.5, 7.5],
    # system: 1 and 2, cut points 1.25, 1.5, 1.75; trust: 3, 4 and 5, cut points 3.5, 4, 4.5 (4 on one: 2)
    "q": [1, 4, 1, 2, 4, None, 1, 4],
}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "w.policy").write_text(POLICY, encoding="utf-8")
    (tmp_path / "w.csv").write_text(DATA, encoding="utf-8")
    return tmp_path


def values(folder: Path, *args: str) -> dict[str, list]:
    result = invoke("eval", folder / "w.policy", "--data", folder / "w.csv", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)["results"]
    return {name: [row["values"][name] for row in rows] for name in EXPECTED}


def close(got: list, want: list) -> bool:
    return all((g is None) == (w is None) and (g is None or abs(g - w) < 1e-12) for g, w in zip(got, want, strict=True))


@pytest.mark.parametrize("engine", ["numpy", "duckdb"])
def test_each_group_is_the_one_worked_by_hand(folder: Path, engine: str) -> None:
    got = values(folder, "--engine", engine)
    for name, want in EXPECTED.items():
        assert close(got[name], want), (name, got[name], want)


def test_the_interpreter_gives_the_same() -> None:
    program = compile_text(POLICY)
    frame = load_text(DATA, "w.csv", program).frame
    got = interp.evaluate(program, frame)
    for name, want in EXPECTED.items():
        assert close(got[name], want), (name, got[name], want)


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("rank(x, within: x)", "`within` groups by a yes/no, a label or a scale value, and `x` is a number"),
        ("quartile(x, within: 3)", "`within` takes `all` or the name of a value to group the organisations by"),
        ("cohort_mean(x, within: regoin)", "unknown name `regoin`"),
        ("mean(x, within: all)", "`mean` takes no argument `within`"),
    ],
)
def test_a_wrong_group_is_an_error_at_its_place(rule: str, message: str) -> None:
    text = POLICY.replace("rank(x, within: all)", rule, 1)
    result = check_source(Source("w.policy", text))
    errors = [d for d in result.diagnostics.sorted() if d.is_error]
    assert [d.code for d in errors] in (["PC308"], ["PC201"]), [(d.code, d.message) for d in errors]
    assert message in errors[0].message
    assert errors[0].span is not None and errors[0].span.line == text.splitlines().index(f"r_all = {rule}") + 1
    if "regoin" in rule:
        assert "did you mean `region`" in (errors[0].help or "")


def test_a_missing_group_value_is_in_the_map_of_what_blanks_a_value(folder: Path) -> None:
    result = invoke("check", "--explain-missing", folder / "w.policy")
    assert "`r_region` is missing whenever `region` is missing: `rank(x, within: region)`" in result.stdout
    assert "`r_all` is missing whenever `region`" not in result.stdout


def test_an_explanation_names_the_group_its_cut_points_came_from(folder: Path) -> None:
    (folder / "all.policy").write_text(POLICY.replace("method: linear, within: sector", "method: linear, within: all"))
    result = invoke("compare", folder / "all.policy", folder / "w.policy", "--data", folder / "w.csv")
    assert result.exit_code == 0, result.stderr
    shown = " ".join(result.stdout.split())
    # B, an ICB with x 2: segment 1 over every organisation, 4 among the ICBs
    assert "x 2 on the first cut point: quartiles of x over 5 across every org type, cut points 2, 3, 4" in shown
    assert "x 2 above the third cut point: quartiles of x over 2 with its sector (system), cut points 1.25" in shown


def test_fmt_keeps_the_group(folder: Path) -> None:
    assert invoke("fmt", folder / "w.policy").exit_code == 0
    formatted = (folder / "w.policy").read_text(encoding="utf-8")
    assert "quartile(x, method: linear, within: sector)" in formatted
    assert "rank(x, within: all)" in formatted


def test_the_sql_partitions_by_the_group() -> None:
    from policyc.backend.sql.generate import generate

    sql = generate(compile_text(POLICY), "duckdb").sql
    assert sql is not None
    assert 'PARTITION BY "#all", "period"' in sql
