"""Time policyc's compiled evaluator against polars doing the same scoring, on the same table, interleaved.

    python bench/against_polars.py [--sizes 100000,1000000,5000000] [--repeats 5] [--seed 2025]

The policy and the table are bench/eval_speed.py's: 77 ranked metrics in 5 cohorts, their weighted
mean rounded to 2 places, its quartile in the cohort and the segment capped at 3 in deficit. The
polars version (`polars_scores`) reads each metric's model from the compiled policy's IR and writes
the standard model as a polars user would: a `min` rank over the cohort of the values that neither
meet the standard nor fail the floor, the spread rounded half away from zero, the weighted mean, the
linear quartile over the cohort. It runs lazily on polars's own thread pool; policyc runs on one core.

For each size, one process builds the table once and the polars DataFrame from the same columns
(missing cells as null; neither is timed), then alternates policyc, polars, policyc, polars, ...
`--repeats` times each, so that both see the same state of the machine. It reports each engine's
median and fastest run, the median time per row, the ratio of the medians (policyc / polars) and
the load average (/proc/loadavg, 1 minute) before and after. The two must give the same scores,
average score and segment on every row; the report says whether they did.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_speed import ORG_TYPES, compile_policy, machine, make_frame  # noqa: E402

from policyc.backend.memory import keep_freed_memory  # noqa: E402
from policyc.ir import nodes as ir  # noqa: E402


def load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def half_up(x: pl.Expr, places: int) -> pl.Expr:
    """Half away from zero, taking a value within 5e-7 of a half (at 10**places) as the half, as `round`'s guard
    places do; the last `round` only gives the double nearest the quotient, which polars's division by a
    constant (a multiplication by its inverse) may miss."""
    scale = 10.0**places
    return ((x.abs() * scale + 0.5 + 5e-7).floor() / scale).round(places) * x.sign()


def polars_scores(program: ir.Program):
    """The benchmark policy as one lazy polars query over a DataFrame of its inputs: a function of the frame."""
    scores = [d for d in program.decls if isinstance(d, ir.Score) and isinstance(d.scoring, ir.Ranked)]
    ranked = []
    for score in scores:
        model = score.scoring
        assert isinstance(model, ir.Ranked)
        v, standard, floor = pl.col(score.metric), model.standard, model.floor
        met = pl.lit(False) if standard is None else (v >= standard if model.higher else v <= standard)
        failed = pl.lit(False) if floor is None else (v < floor if model.higher else v > floor)
        lo = 1.0 if model.standard is None else 2.0
        hi = 4.0 if model.floor is None else 3.0
        others = pl.when(met | failed).then(None).otherwise(v)
        r = others.rank("min", descending=model.higher).over("org_type") - 1
        n = others.count().over("org_type")
        spread = pl.when(n > 1).then(lo + (hi - lo) * r / (n - 1)).otherwise(lo)
        ranked.append(pl.when(met).then(1.0).when(failed).then(4.0).otherwise(half_up(spread, 2)).alias(score.name))
    total = pl.sum_horizontal([(pl.col(s.name) * s.weight).fill_null(0.0) for s in scores])
    weight = pl.sum_horizontal([pl.col(s.name).is_not_null().cast(pl.Float64) * s.weight for s in scores])
    average = half_up(pl.when(weight > 0).then(total / weight), 2).alias("average_score")
    a = pl.col("average_score")
    q1, q2, q3 = (a.quantile(p, interpolation="linear").over("org_type") for p in (0.25, 0.5, 0.75))
    delivery = pl.when(a.is_null()).then(None).when(a <= q1).then(1.0).when(a <= q2).then(2.0)
    delivery = delivery.when(a <= q3).then(3.0).otherwise(4.0).alias("delivery_score")
    position = pl.col("delivery_score") - 1  # segment 1 is position 0
    segment = pl.when(pl.col("in_deficit") == 1).then(pl.max_horizontal(position, pl.lit(2.0))).otherwise(position)

    def run(df: pl.DataFrame) -> pl.DataFrame:
        query = df.lazy().with_columns(ranked).with_columns(average).with_columns(delivery)
        return query.with_columns(segment.alias("segment")).collect()

    return run, [s.name for s in scores]


def frame_for_polars(frame) -> pl.DataFrame:
    columns = {"org_type": pl.Series(frame.org_type)}
    for name, values in frame.columns.items():
        columns[name] = pl.Series(name, values, nan_to_null=True)
    return pl.DataFrame(columns)


def same_results(ours: dict, theirs: pl.DataFrame, names: list[str]) -> bool:
    for name in [*names, "average_score", "segment"]:
        if not np.array_equal(ours[name], theirs[name].to_numpy().astype(np.float64), equal_nan=True):
            print(f"  {name} differs", file=sys.stderr)
            return False
    return True


def measure(rows: int, repeats: int, seed: int) -> dict:
    program, module = compile_policy()
    polars_run, names = polars_scores(program)
    frame = make_frame(rows, seed)
    df = frame_for_polars(frame)
    gc.collect()
    before = load()
    times: dict[str, list[float]] = {"policyc": [], "polars": []}
    agree = True
    for k in range(repeats):
        start = time.perf_counter()
        ours = module.evaluate(frame)
        times["policyc"].append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs = polars_run(df)
        times["polars"].append(time.perf_counter() - start)
        if k == 0:
            agree = same_results(ours, theirs, names)
        del ours, theirs
        gc.collect()
    return {"rows": rows, "times": times, "load": (before, load()), "agree": agree}


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--sizes", default="100000,1000000,5000000", help="comma-separated row counts")
    args.add_argument("--repeats", type=int, default=5, help="runs of each engine, alternating")
    args.add_argument("--seed", type=int, default=2025)
    args.add_argument(
        "--allocator",
        choices=["kept", "glibc"],
        default="kept",
        help="kept: freed memory kept for reuse, as the policyc command sets it; glibc: the C library's defaults",
    )
    opts = args.parse_args()
    if opts.allocator == "kept":
        keep_freed_memory()  # polars has an allocator of its own, which this does not touch
    sizes = [int(s.replace("_", "")) for s in opts.sizes.split(",")]

    threads = pl.thread_pool_size()
    print(f"machine: {machine()}, polars {pl.__version__} on {threads} threads; allocator {opts.allocator}")
    print(f"policy: 77 ranked metrics, {len(ORG_TYPES)} cohorts; seed {opts.seed}; {opts.repeats} runs each, in turn")
    print()
    header = (
        f"{'rows':>10} {'policyc median s':>16} {'best s':>7} {'us/row':>7} {'polars median s':>15} {'best s':>7} "
        f"{'us/row':>7} {'policyc/polars':>14} {'load before, after':>18}  same"
    )
    print(header)
    print("-" * len(header))
    per_row = {}
    for rows in sizes:
        print(f"  {rows:,} rows ...", file=sys.stderr, flush=True)
        r = measure(rows, opts.repeats, opts.seed)
        ours, theirs = statistics.median(r["times"]["policyc"]), statistics.median(r["times"]["polars"])
        per_row[rows] = ours / rows
        print(
            f"{rows:>10,} {ours:>16.3f} {min(r['times']['policyc']):>7.3f} {ours / rows * 1e6:>7.2f} "
            f"{theirs:>15.3f} {min(r['times']['polars']):>7.3f} {theirs / rows * 1e6:>7.2f} {ours / theirs:>14.2f} "
            f"{r['load'][0]:>9.2f}, {r['load'][1]:>6.2f}  {'yes' if r['agree'] else 'NO'}",
            flush=True,
        )
    print()
    for smaller, rows in zip(sizes, sizes[1:], strict=False):
        print(f"policyc time per row at {rows:,} / at {smaller:,}: {per_row[rows] / per_row[smaller]:.2f}")


if __name__ == "__main__":
    main()
