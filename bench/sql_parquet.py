"""The policy's SQL on DuckDB reading its input from Parquet and writing its result to Parquet, at sizes past memory.

    python bench/sql_parquet.py [--rows 10000000] [--batch 1000000] [--memory-limit 5GB] [--threads N]
                                [--seed 2025]

The policy and the table are bench/eval_speed.py's (77 ranked percent metrics, the average score, its quartile and a
capped segment; one period, 5 org types each its own cohort). The input table is written by pyarrow as Parquet, a
row group per batch of --batch rows (each batch drawn with its own seed; `#row` and the organisation codes run on
across batches), in a private temporary folder removed after. A child process then times, with
time.perf_counter, DuckDB running the query generated for the duckdb dialect (rows in no order, `#row` among its
columns) over `read_parquet` of that file and writing every column of the result to another Parquet file with
COPY, DuckDB's memory limit set to --memory-limit and its spill folder inside the same temporary folder. The child
reports its own peak resident set (getrusage ru_maxrss): the whole process, Python and DuckDB together.

Up to 2,000,000 rows the numpy evaluator also runs on the whole table (built in memory in the parent) and every
value of every row of the result file must equal its value; past that, the numpy engine's own result alone would
take more memory than the aim allows, and the report says the values were not compared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_speed import compile_policy, make_frame  # noqa: E402

from policyc.backend.sql.engine import input_table  # noqa: E402
from policyc.backend.sql.generate import FIXED, TABLE, generate  # noqa: E402
from policyc.backend.sql.query import ROW  # noqa: E402

COMPARED_UP_TO = 2_000_000


def batch_table(program, start: int, rows: int, seed: int) -> dict[str, np.ndarray]:
    table = input_table(program, make_frame(rows, seed))
    table[ROW] = np.arange(start, start + rows, dtype=np.int64)
    table["org"] = np.array([f"ORG{i:08d}" for i in range(start, start + rows)], dtype=object)
    table["period"] = np.full(rows, np.nan)  # one period: no period column in the frame, NULL in the table
    return table


def write_input(program, path: Path, rows: int, batch: int, seed: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    writer = None
    for start in range(0, rows, batch):
        columns = batch_table(program, start, min(batch, rows - start), seed + start // batch)
        # NaN written as a null, as the engine's own input table gives DuckDB a missing value
        table = pa.table({name: pa.array(values, from_pandas=True) for name, values in columns.items()})
        if writer is None:
            writer = pq.ParquetWriter(path, table.schema)
        writer.write_table(table)
    assert writer is not None
    writer.close()


def run_duckdb(folder: Path, memory_limit: str, threads: int | None) -> dict:
    """In the child: the query over the input file, its result written to `result.parquet`."""
    import duckdb

    program, _ = compile_policy()
    columns = ["in_deficit", *(c.name for c in program.columns)]
    generated = generate(program, "duckdb", columns=columns, table=TABLE, ordered=False, pretty=False)
    assert generated.sql is not None
    connection = duckdb.connect(config={"temp_directory": str(folder / "spill"), "memory_limit": memory_limit})
    if threads is not None:
        connection.execute(f"SET threads TO {int(threads)}")
    source = str(folder / "input.parquet").replace("'", "''")
    connection.execute(f"CREATE VIEW \"{TABLE}\" AS SELECT * FROM read_parquet('{source}')")
    target = str(folder / "result.parquet").replace("'", "''")
    start = time.perf_counter()
    connection.execute(f"COPY ({generated.sql.rstrip()}) TO '{target}' (FORMAT parquet)")
    seconds = time.perf_counter() - start
    connection.close()
    return {"seconds": seconds, "peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def compare(program, module, folder: Path, rows: int, batch: int, seed: int) -> bool:
    """Every value of the result file against the numpy evaluator on the same whole table."""
    import pyarrow.parquet as pq

    from policyc.backend.frame import Frame

    tables = [batch_table(program, s, min(batch, rows - s), seed + s // batch) for s in range(0, rows, batch)]
    whole = {name: np.concatenate([t[name] for t in tables]) for name in tables[0]}
    names = {d.name for d in program.decls}
    values = {k: v for k, v in whole.items() if k not in FIXED and k in names}
    ours = module.evaluate(Frame(tuple(whole["org"]), whole["org_type"], None, values))
    result = pq.read_table(folder / "result.parquet")
    order = np.argsort(result.column(ROW).to_numpy())
    for d in program.outputs():
        theirs = result.column(d.name).to_numpy(zero_copy_only=False).astype(np.float64)[order]
        if not np.array_equal(np.asarray(ours[d.name], dtype=np.float64), theirs, equal_nan=True):
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--batch", type=int, default=1_000_000)
    parser.add_argument("--memory-limit", default="5GB", help="DuckDB's memory_limit")
    parser.add_argument("--threads", type=int, default=None, help="DuckDB's threads (its default: every core)")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child is not None:
        print(json.dumps(run_duckdb(Path(opts.child), opts.memory_limit, opts.threads)))
        return

    program, module = compile_policy()
    with tempfile.TemporaryDirectory(prefix="policyc-bench-") as name:
        folder = Path(name)
        t0 = time.perf_counter()
        write_input(program, folder / "input.parquet", opts.rows, opts.batch, opts.seed)
        written = time.perf_counter() - t0
        size = (folder / "input.parquet").stat().st_size
        print(f"rows {opts.rows:,}; input Parquet {size / 2**20:,.0f} MiB, written in {written:.1f} s")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
        command = [sys.executable, __file__, "--child", str(folder), "--memory-limit", opts.memory_limit]
        if opts.threads is not None:
            command += ["--threads", str(opts.threads)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"the DuckDB run failed (status {done.returncode}):\n{done.stderr}")
        report = json.loads(done.stdout.strip().splitlines()[-1])
        out = (folder / "result.parquet").stat().st_size
        print(f"duckdb: {report['seconds']:.1f} s, result Parquet {out / 2**20:,.0f} MiB")
        peak = report["peak_kib"] / 2**20
        print(f"duckdb process peak resident set: {peak:.2f} GiB (memory limit {opts.memory_limit})")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if opts.rows <= COMPARED_UP_TO:
            same = compare(program, module, folder, opts.rows, opts.batch, opts.seed)
            print(f"every value of every row equal to the numpy engine's: {'yes' if same else 'NO'}")
        else:
            print(f"values not compared with the numpy engine (only up to {COMPARED_UP_TO:,} rows)")


if __name__ == "__main__":
    main()
