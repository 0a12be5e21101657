"""Time the policy's SQL on DuckDB (embedded) against the numpy evaluator, interleaved in one process.

    python bench/sql_speed.py [--rows 1000000] [--rounds 3] [--threads N] [--seed 2025]

The policy and the table are bench/eval_speed.py's (77 ranked percent metrics, the average score, its quartile
and a capped segment; one period, 5 org types each its own cohort, about 5% of metric cells missing). Each round
runs both engines on the same Frame, numpy first then DuckDB, and times each with time.perf_counter: numpy is
the generated module's `evaluate(frame)`; DuckDB is `policyc.backend.sql.engine.evaluate(program, frame)`,
which generates the query (rows in no order), connects, registers the frame's numpy columns as the input table,
runs the query, reads every column back as float64 and puts the rows in table order by `#row`. Generating and
rendering the query (in order, pretty-printed, as `policyc compile` writes it) are also timed apart. Every value of
every row of the two engines must be equal (NaN with NaN); the report says whether they are.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_speed import compile_policy, make_frame  # noqa: E402

from policyc.backend.sql import engine  # noqa: E402
from policyc.backend.sql.generate import generate  # noqa: E402


def same(a: dict, b: dict) -> bool:
    return all(np.array_equal(np.asarray(a[k], dtype=np.float64), b[k], equal_nan=True) for k in b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None, help="DuckDB's threads (its default: every core)")
    parser.add_argument("--seed", type=int, default=2025)
    opts = parser.parse_args()

    program, module = compile_policy()
    t0 = time.perf_counter()
    generated = generate(program, "duckdb", columns=["in_deficit", *(c.name for c in program.columns)])
    t1 = time.perf_counter()
    assert generated.sql is not None
    frame = make_frame(opts.rows, opts.seed)
    print(f"rows {opts.rows:,}; query {len(generated.sql):,} characters, generated in {t1 - t0:.2f} s")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {os.cpu_count()} cores")
    times: dict[str, list[float]] = {"numpy": [], "duckdb": []}
    agree = True
    for n in range(opts.rounds):
        t0 = time.perf_counter()
        ours = module.evaluate(frame)
        t1 = time.perf_counter()
        theirs = engine.evaluate(program, frame, threads=opts.threads)
        t2 = time.perf_counter()
        times["numpy"].append(t1 - t0)
        times["duckdb"].append(t2 - t1)
        agree = agree and same(ours, theirs)
        print(f"round {n + 1}: numpy {t1 - t0:.2f} s, duckdb {t2 - t1:.2f} s")
        del ours, theirs
    best = {k: min(v) for k, v in times.items()}
    ratio = best["duckdb"] / best["numpy"]
    print(f"best: numpy {best['numpy']:.2f} s, duckdb {best['duckdb']:.2f} s (duckdb / numpy {ratio:.1f}x)")
    print(f"every value of every row equal: {'yes' if agree else 'NO'}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
