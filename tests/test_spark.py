"""The Spark dialect run on a local Spark session: the shipped policies on the bundled datasets give every value
the numpy engine gives, bit for bit (docs/sql.md, On Spark). Skips without pyspark or a Java runtime."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from policyc.analysis.evaluation import evaluate_file
from policyc.backend.compile import compile_file
from policyc.backend.sql.engine import input_table
from policyc.backend.sql.generate import FIXED, TABLE, generate
from policyc.backend.sql.query import ROW

ROOT = Path(__file__).parent.parent
SHIPPED = [
    ("performance_2009.policy", "performance_2009_synthetic.csv"),
    ("oversight_2025.policy", "england_synthetic.csv"),
]

pytestmark = [
    pytest.mark.slow,
    # pyspark checks the pandas it finds even when it reads Arrow, and warns of pandas 3
    pytest.mark.filterwarnings("ignore:PySpark does not yet fully support pandas:FutureWarning"),
]


@pytest.fixture(scope="module")
def spark():
    pyspark_sql = pytest.importorskip("pyspark.sql", reason="pyspark is not installed (the test extra installs it)")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime for Spark (.ci/run installs one)")
    # The settings docs/sql.md gives for a policy the size of the 2025/26 framework.
    session = (
        pyspark_sql.SparkSession.builder.master("local[2]")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.analyzer.maxIterations", "1000")
        .config("spark.driver.memory", "6g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.mark.parametrize(("policy", "data"), SHIPPED, ids=[p for p, _ in SHIPPED])
def test_the_spark_dialect_gives_every_value_the_numpy_engine_gives(spark, policy: str, data: str) -> None:
    import pyarrow as pa

    result, compiled = compile_file(ROOT / "policies" / policy)
    assert compiled is not None, result.diagnostics.sorted()
    evaluation = evaluate_file(compiled, str(ROOT / "examples" / data))
    table = input_table(compiled.program, evaluation.frame)
    generated = generate(compiled.program, "spark", columns=[name for name in table if name not in FIXED])
    assert generated.sql is not None, generated.diagnostics

    spark.createDataFrame(pa.table(table)).createOrReplaceTempView(TABLE)
    rows = spark.sql(generated.sql).toArrow()
    assert rows.column(ROW).to_pylist() == list(range(evaluation.frame.n))
    differing = []
    for decl in compiled.program.outputs():
        numpy_values = np.asarray(evaluation.values[decl.name], dtype=np.float64)
        spark_values = rows.column(decl.name).to_numpy(zero_copy_only=False).astype(np.float64)
        same = (numpy_values == spark_values) | (np.isnan(numpy_values) & np.isnan(spark_values))
        if not same.all():
            differing.append((decl.name, int((~same).sum())))
    assert differing == []
