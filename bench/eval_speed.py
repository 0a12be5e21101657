"""Time evaluation of a 77-metric policy: the compiled evaluator and the reference interpreter, by table size.

    python bench/eval_speed.py [--sizes 1000,100000,1000000] [--no-interp-above 100000]
                               [--repeats 5] [--repeat-under 30] [--seed 2025] [--allocator kept|glibc]

The policy is generated here (`policy_text`): 5 org types, each its own cohort; 77 percent metrics,
`for all`, of both directions, a third `ranked, standard N`, some `ranked, floor N`, the rest plain
`ranked`, three weighted 1/3; then the average score, its quartile in the cohort, and a segment
capped at 3 for organisations in deficit. The table is synthetic (`make_frame`): one period, org
types uniform over the 5, metric values 0.0 to 100.0 in steps of 0.1 (so ties occur), about 5% of
metric cells missing, `in_deficit` 0 or 1. The Frame is built directly; no CSV is read.

Each (engine, size) runs in a fresh process (`--one ENGINE ROWS`), which compiles the policy,
builds the table (timed apart: "build s"), and evaluates it, timed with time.perf_counter. The
evaluation is repeated while each run takes under --repeat-under seconds, up to --repeats runs
("runs"); "first s" is the first run, as a one-off `policyc eval` process would see it, and "best s"
the fastest, on which rows/s and the compiled/interpreted ratios are based. The first run in a fresh
process also pays for touching new memory, which is dear on some virtual machines. Each child sets the
C allocator as the `policyc` command does (`--allocator kept`, policyc.backend.memory), or leaves glibc's
defaults (`--allocator glibc`).

Memory is the process's peak resident set (getrusage ru_maxrss): "peak MiB" is the whole process
(Python, numpy, the policy and the table included); "eval + MiB" is that peak less the peak before
the first evaluation, i.e. what evaluating adds on top of the built table (results of one run are
dropped before the next). The compiled engine is `generate(lower(checked))` exec'd as a module, as
`policyc eval` runs it; the interpreter is `policyc.backend.interp`. Both must give the same count
of organisations in each segment; the report says whether they do.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from policyc.backend.memory import keep_freed_memory  # noqa: E402

ORG_TYPES = ("icb", "acute", "mental_health", "community", "ambulance")
METRICS = 77
ENGINES = ("compiled", "interp")


# ---------------------------------------------------------------- the policy and the table


def metric_names() -> list[str]:
    return [f"m{i:02d}" for i in range(1, METRICS + 1)]


def policy_text() -> str:
    """The benchmark policy; the same text on every call."""
    lines = [
        'policy "Evaluation benchmark" version "1"',
        f"org types {', '.join(ORG_TYPES)}",  # no `cohort`: each org type is a cohort of its own
        "outcome segment",
        'scale segment: 1 "best" > 2 > 3 > 4 > 5 "worst"',
        'input in_deficit "In deficit": yes/no for all',
        "",
    ]
    for i, name in enumerate(metric_names(), start=1):
        higher = i % 2 == 1
        if i % 3 == 0:  # 25 metrics with a standard
            model = f"ranked, standard {80 if higher else 20}"
        elif i % 5 == 1:  # 11 with a floor
            model = f"ranked, floor {10 if higher else 90}"
        else:  # 41 plain
            model = "ranked"
        lines.append(f'metric {name} "Synthetic metric {i}"')
        lines.append(f"  percent, {'higher' if higher else 'lower'} is better, for all")
        if i in (10, 11, 12):
            lines.append("  weight 1/3")
        lines.append(f"  {model}")
    lines += [
        "",
        "average_score = round(weighted_mean(metric scores), 2)",
        "delivery_score = quartile(average_score, method: linear)",
        "segment = delivery_score as segment",
        "  no better than 3 when in_deficit",
        "",
    ]
    return "\n".join(lines)


def compile_policy():
    """The checked policy lowered to IR, and its compiled evaluator module."""
    from policyc.backend.codegen import generate
    from policyc.ir.lower import lower
    from policyc.semantics.driver import check_source
    from policyc.syntax.source import Source

    result = check_source(Source("bench.policy", policy_text()))
    if not result.ok:
        raise SystemExit("the benchmark policy does not check:\n" + repr(result.diagnostics.items))
    program = lower(result.checked)
    module = types.ModuleType("bench_evaluator")
    exec(compile(generate(program), "<bench evaluator>", "exec"), module.__dict__)
    return program, module


def make_frame(rows: int, seed: int):
    """A synthetic table of `rows` organisations in one period (columns built one at a time: few temporaries)."""
    from policyc.backend.frame import Frame

    rng = np.random.default_rng(seed)
    org_type = rng.integers(0, len(ORG_TYPES), size=rows, dtype=np.int64)
    columns: dict[str, np.ndarray] = {"in_deficit": rng.integers(0, 2, size=rows).astype(np.float64)}
    for name in metric_names():
        values = rng.integers(0, 1001, size=rows) / 10.0  # 0.0 to 100.0, one decimal
        values[rng.random(rows) < 0.05] = np.nan
        columns[name] = values
    org = tuple(f"ORG{i:07d}" for i in range(rows))
    return Frame(org, org_type, None, columns)


# ---------------------------------------------------------------- one measurement, in its own process


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def measure(engine: str, rows: int, seed: int, repeats: int, repeat_under: float) -> dict:
    """Compile, build the table, evaluate it (repeatedly while runs are quick); what the parent reports, as a dict."""
    t0 = time.perf_counter()
    program, module = compile_policy()
    from policyc.backend import interp

    t1 = time.perf_counter()
    frame = make_frame(rows, seed)
    t2 = time.perf_counter()
    gc.collect()
    before = peak_kib()
    run = (lambda: module.evaluate(frame)) if engine == "compiled" else (lambda: interp.evaluate(program, frame))
    times: list[float] = []
    while True:
        start = time.perf_counter()
        values = run()
        times.append(time.perf_counter() - start)
        segments = np.asarray(values["segment"], dtype=np.float64)  # a list from the interpreter; None becomes NaN
        del values
        if len(times) >= repeats or times[-1] >= repeat_under:
            break
    return {
        "engine": engine,
        "rows": rows,
        "compile": t1 - t0,
        "build": t2 - t1,
        "times": times,
        "before_kib": before,
        "peak_kib": peak_kib(),
        # how many rows fall in each segment (positions 0-4), then missing: the engines must agree
        "segments": [int(np.count_nonzero(segments == k)) for k in range(5)] + [int(np.isnan(segments).sum())],
    }


def run_child(engine: str, rows: int, opts) -> dict:
    command = [
        sys.executable,
        __file__,
        "--one",
        engine,
        str(rows),
        "--seed",
        str(opts.seed),
        "--repeats",
        str(opts.repeats),
        "--repeat-under",
        str(opts.repeat_under),
        "--allocator",
        opts.allocator,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        how = f"signal {-done.returncode}" if done.returncode < 0 else f"exit status {done.returncode}"
        raise SystemExit(f"{engine} at {rows:,} rows failed ({how}):\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- the report


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores, Python {platform.python_version()}, numpy {np.__version__}"


def mib(kib: float) -> str:
    return f"{kib / 1024:,.0f}"


def report(results: list[dict], opts) -> None:
    print(f"machine: {machine()}")
    print(
        f"policy: {METRICS} ranked metrics, {len(ORG_TYPES)} cohorts; seed {opts.seed}; "
        f"up to {opts.repeats} runs, repeated while a run takes under {opts.repeat_under:g} s"
    )
    print()
    header = (
        f"{'engine':<9} {'rows':>10} {'build s':>8} {'first s':>8} {'best s':>8} {'runs':>4} "
        f"{'rows/s (best)':>13} {'peak MiB':>9} {'eval + MiB':>10} {'eval + B/row':>12}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        grew = (r["peak_kib"] - r["before_kib"]) * 1024
        best = min(r["times"])
        print(
            f"{r['engine']:<9} {r['rows']:>10,} {r['build']:>8.2f} {r['times'][0]:>8.3f} {best:>8.3f} "
            f"{len(r['times']):>4} {r['rows'] / best:>13,.0f} {mib(r['peak_kib']):>9} {mib(grew / 1024):>10} "
            f"{grew / r['rows']:>12,.0f}"
        )
    print()
    by = {(r["engine"], r["rows"]): r for r in results}
    for rows in sorted({r["rows"] for r in results}):
        if ("compiled", rows) in by and ("interp", rows) in by:
            ratio = min(by["interp", rows]["times"]) / min(by["compiled", rows]["times"])
            agree = "same" if by["interp", rows]["segments"] == by["compiled", rows]["segments"] else "DIFFERENT"
            print(f"compiled / interpreted speed at {rows:,} rows: {ratio:,.0f}x ({agree} segment counts)")
    compile_times = [r["compile"] for r in results]
    print(f"check + lower + generate + exec of the policy (each process): {min(compile_times):.2f} s at best")


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--sizes", default="1000,100000,1000000", help="comma-separated row counts")
    args.add_argument(
        "--no-interp-above",
        type=int,
        default=100_000,
        metavar="N",
        help="run the interpreter only on tables of at most N rows",
    )
    args.add_argument("--repeats", type=int, default=5, help="most evaluations per measurement")
    args.add_argument(
        "--repeat-under",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="repeat an evaluation only while each run takes under this",
    )
    args.add_argument("--seed", type=int, default=2025)
    args.add_argument(
        "--allocator",
        choices=["kept", "glibc"],
        default="kept",
        help="kept: freed memory kept for reuse, as the policyc command sets it (policyc.backend.memory); "
        "glibc: the C library's defaults",
    )
    args.add_argument("--one", nargs=2, metavar=("ENGINE", "ROWS"), help=argparse.SUPPRESS)
    opts = args.parse_args()

    if opts.one:
        if opts.allocator == "kept":
            keep_freed_memory()
        engine, rows = opts.one[0], int(opts.one[1])
        if engine not in ENGINES:
            raise SystemExit(f"unknown engine {engine!r}")
        print(json.dumps(measure(engine, rows, opts.seed, opts.repeats, opts.repeat_under)))
        return

    sizes = [int(s.replace("_", "")) for s in opts.sizes.split(",")]
    results = []
    for rows in sizes:
        for engine in ENGINES:
            if engine == "interp" and rows > opts.no_interp_above:
                continue
            print(f"  {engine} at {rows:,} rows ...", file=sys.stderr, flush=True)
            results.append(run_child(engine, rows, opts))
    report(results, opts)


if __name__ == "__main__":
    main()
