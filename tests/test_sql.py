"""The SQL back end: the shipped policies give the numpy engine's JSON on DuckDB, the query is deterministic and
parses back in every dialect, user text never becomes SQL, and what a dialect cannot do exactly is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlglot
from conftest import compile_text, invoke
from sqlglot import exp

from policyc.backend.frame import Frame
from policyc.backend.sql import engine
from policyc.backend.sql.generate import generate

pytest.importorskip("duckdb")

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = [
    ("policies/performance_2009.policy", "examples/performance_2009_synthetic.csv"),
    ("policies/oversight_2025.policy", "examples/england_synthetic.csv"),
    ("policies/oversight_2025_q3_cut_points.policy", "examples/england_synthetic.csv"),
]
DIALECTS = ("duckdb", "spark", "postgres", "tsql")


@pytest.mark.parametrize(("policy", "data"), SHIPPED)
def test_the_shipped_policies_give_the_same_json_on_duckdb_as_on_numpy(policy, data):
    args = ("eval", ROOT / policy, "--data", ROOT / data, "--format", "json")
    numpy_run, duckdb_run = invoke(*args), invoke(*args, "--engine", "duckdb")
    assert numpy_run.exit_code == 0, numpy_run.stderr
    assert duckdb_run.exit_code == 0, duckdb_run.stderr
    assert duckdb_run.stdout == numpy_run.stdout


def test_duckdb_spills_into_a_private_folder_it_removes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    spills: list[Path] = []
    connect = duckdb.connect

    def recorded(*args, config=None, **kwargs):
        spills.append(Path(config["temp_directory"]))
        assert spills[-1].is_dir()
        return connect(*args, config=config, **kwargs)

    monkeypatch.setattr(duckdb, "connect", recorded)
    monkeypatch.chdir(tmp_path)
    policy, data = SHIPPED[0]
    result = invoke("eval", ROOT / policy, "--data", ROOT / data, "--engine", "duckdb")
    assert result.exit_code == 0, result.stderr
    (spill,) = spills
    assert not spill.exists() and tmp_path not in spill.parents  # not DuckDB's own `.tmp` in the current folder
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("dialect", ["duckdb", "spark"])
@pytest.mark.parametrize(("policy", "data"), SHIPPED)
def test_the_shipped_policies_compile_to_sql_that_parses_back(policy, data, dialect):
    result = invoke("compile", ROOT / policy, "--target", "sql", "--dialect", dialect)
    assert result.exit_code == 0, result.stderr
    again = invoke("compile", ROOT / policy, "--target", "sql", "--dialect", dialect)
    assert again.stdout == result.stdout  # the same bytes twice
    (statement,) = sqlglot.parse(result.stdout, read=dialect)
    assert isinstance(statement, exp.Select)
    assert {t.name for t in statement.find_all(exp.Table)} - {c.alias for c in statement.find_all(exp.CTE)} == {
        "policy_input"
    }


POLICY = """policy "Hostile" version "1"
org types acute
scale grade: good "Good" > fair > poor "Poor"
input x "X": percent for acute
input q "Q": grade for acute
metric m "M" percent, higher is better, for acute
  ranked
score = round(mean(m.score, m.score), 2)
half = round(x / 3, 1)
worst_grade = worst(q, good)
"""
HOSTILE = ['"; DROP TABLE x; --', "it's", 'a "quoted" name', "back\\slash", "line\nbreak", "{x} %s"]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("hostile", HOSTILE)
def test_user_text_stays_an_identifier_or_a_literal(dialect, hostile):
    escaped = hostile.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    text = POLICY.replace('"Hostile"', f'"{escaped}"').replace('"Good"', f'"{escaped}"')
    program = compile_text(text)
    generated = generate(program, dialect, table=hostile)
    assert generated.sql is not None, generated.diagnostics
    statements = sqlglot.parse(generated.sql, read=dialect)
    assert len(statements) == 1 and isinstance(statements[0], exp.Select)
    query = statements[0]
    assert not list(query.find_all(exp.Drop, exp.Insert, exp.Delete, exp.Update, exp.Command))
    names = {d.name for d in program.decls} | {"org", "org_type", "period"}
    identifiers = {i.this for i in query.find_all(exp.Identifier)}
    own = {i for i in identifiers if i.startswith(("#", "policyc step ", "policyc cohort "))}
    assert identifiers - own - names == {hostile}
    assert all(i.quoted for i in query.find_all(exp.Identifier))
    strings = {s.this for s in query.find_all(exp.Literal) if s.is_string}
    assert all(s in ("NaN", "Infinity", "-Infinity") or _number(s) for s in strings), strings


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("dialect", DIALECTS)
def test_generation_is_deterministic(dialect):
    program = compile_text(POLICY)
    assert generate(program, dialect).sql == generate(compile_text(POLICY), dialect).sql


def test_rounding_beyond_seven_places_is_refused_with_its_span():
    program = compile_text('policy "P"\norg types acute\ninput x "X": number for acute\ny = round(x, 9)\n')
    generated = generate(program, "duckdb")
    assert generated.sql is None
    (diagnostic,) = generated.diagnostics
    assert diagnostic.code == "PC701" and diagnostic.span is not None and diagnostic.span.line == 4
    with pytest.raises(engine.Refused):
        engine.evaluate(program, Frame(("A",), np.array([0]), None, {"x": np.array([1.0])}))


CAST_POLICY = 'policy "P"\norg types acute\nscale segment: 1 > 2 > 3\ninput x "X": number for acute\ny = x as segment\n'


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_scale_cast_is_refused_where_sql_cannot_fail_a_query(dialect):
    generated = generate(compile_text(CAST_POLICY), dialect)
    if dialect in ("duckdb", "spark"):
        assert generated.sql is not None
        return
    (diagnostic,) = generated.diagnostics
    assert diagnostic.code == "PC701" and diagnostic.span is not None and diagnostic.span.line == 5
    assert "cannot be expressed exactly in" in diagnostic.message


def test_the_cli_prints_a_refusal_as_a_diagnostic(tmp_path):
    policy = tmp_path / "cast.policy"
    policy.write_text(CAST_POLICY, encoding="utf-8")
    result = invoke("compile", policy, "--target", "sql", "--dialect", "postgres")
    assert result.exit_code == 1 and "error[PC701]" in result.stderr and "x as segment" in result.stderr


def test_the_duckdb_engine_without_its_extra_names_the_extra(monkeypatch):
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "duckdb" else find_spec(name, *a))
    args = (
        "eval",
        ROOT / "policies/performance_2009.policy",
        "--data",
        ROOT / "examples/performance_2009_synthetic.csv",
    )
    result = invoke(*args, "--engine", "duckdb")
    assert result.exit_code == 2
    assert result.stderr == "error: the duckdb engine needs duckdb: pip install 'policyc[sql]'\n"


def test_rounding_is_exact_near_halves_and_far_from_zero():
    program = compile_text('policy "P"\norg types acute\ninput x "X": number for acute\ny = round(x, 2)\n')
    xs = [2.675, 0.125, -1.5, 1.7499999999999998, 1.005, 0.285, -0.125, 1e300, 4503599627370495.5, 123456789.125]
    values = engine.evaluate(
        program, Frame(tuple(map(str, range(len(xs)))), np.zeros(len(xs), int), None, {"x": np.array(xs)})
    )
    from policyc.backend.interp import round_half_up

    assert values["y"].tolist() == [round_half_up(x, 2) for x in xs]


def test_a_value_not_on_the_scale_fails_naming_the_policy_line_and_row():
    program = compile_text(CAST_POLICY)
    frame = Frame(("A", "B"), np.array([0, 0]), None, {"x": np.array([1.0, 7.0])})
    with pytest.raises(engine.EvalError) as failed:
        engine.evaluate(program, frame)
    assert failed.value.row == 1 and failed.value.where is not None and failed.value.where[1] == 5
    assert failed.value.message == "7 is not a value of scale `segment` (1, 2, 3)"


COHORTS_POLICY = """policy "Cohorts" version "1"
org types acute, community, ambulance
cohort providers: acute, community
input x "X": percent for all
input y "Y": number for acute, community
metric m "M" percent, higher is better, for all
  ranked, standard 90
metric n "N" percent, lower is better, for all
  ranked, floor 95
metric p "P" percent, higher is better, for all
  ranked
place = rank(x)
share = percentile_rank(y)
low = quantile(x, 0.1, method: exclusive)
mid = quantile(y, 0.5, method: midpoint)
near = quantile(x, 0.3, method: nearest)
under = quantile(x, 0.7, method: lower)
over = quantile(x, 0.7, method: higher)
band = quartile(y, method: linear)
"""


@pytest.mark.parametrize("periods", [False, True])
def test_cohort_tables_and_window_functions_give_the_numpy_engines_values(monkeypatch, periods):
    # ranks, percentile ranks, cut points by every method and ranked scores, with ties, missing values, a cohort
    # of two org types and (with periods) two periods: both forms of the query give what the numpy engine gives
    import attrs
    from conftest import compiled_text

    from policyc.backend.sql import dialects

    compiled = compiled_text(COHORTS_POLICY)
    rng = np.random.default_rng(20)
    n = 400
    columns = {}
    for name in ("x", "y", "m", "n", "p"):
        values = rng.integers(0, 40, size=n) * 2.5  # 0 to 97.5: ties, and values past the standard and floor
        values[rng.random(n) < 0.1] = np.nan
        columns[name] = values
    period = np.repeat([8100, 8101], n // 2) if periods else None
    frame = Frame(tuple(f"O{i % (n // 2)}" for i in range(n)), rng.integers(0, 3, size=n), period, columns)
    expected = compiled.module().evaluate(frame)
    grouped = engine.evaluate(compiled.program, frame)
    monkeypatch.setitem(dialects.DIALECTS, "duckdb", attrs.evolve(dialects.DIALECTS["duckdb"], cohort_tables=False))
    windowed = engine.evaluate(compiled.program, frame)
    assert set(grouped) == set(windowed) == {d.name for d in compiled.program.outputs()}
    for name, values in grouped.items():
        wanted = np.asarray(expected[name], dtype=np.float64)
        assert np.array_equal(values, wanted, equal_nan=True), name
        assert np.array_equal(windowed[name], wanted, equal_nan=True), name
    assert not np.isnan(grouped["m.score"]).all() and not np.isnan(grouped["band"]).all()
    windows = generate(compiled.program, "duckdb").sql
    monkeypatch.undo()
    tables = generate(compiled.program, "duckdb").sql
    assert tables is not None and windows is not None
    assert "LEFT JOIN" in tables and "RANK()" not in tables and "LEFT JOIN" not in windows and "RANK()" in windows
