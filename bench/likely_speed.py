"""Time `--likely-range` (policyc.analysis.likely): bootstrap replicates of each organisation's metric scores and
the policy evaluated on them, at the sizes of NHS England's league tables and beyond.

    python bench/likely_speed.py [--replicates 10000] [--seed 0] [--runs 3]

Cases: the published quarter 4 scores of the 61 mental health and community trusts (11 scores each, the policy
in tests/likely/), when ../shared is beside the project; and generated tables of 200 organisations with 12 and
with 80 ranked metrics in one cohort (values 0.0 to 100.0 in steps of 0.1, about 10% missing), their average
rounded to 2 places, quartiled into segments 1-4 and capped at 3 in deficit. Each case is read and evaluated once
(not timed), then `likely_ranges` timed with time.perf_counter over --runs runs in this process; the best and
the first are reported.

Then `improve` (policyc.analysis.improve) for organisations of the bundled England dataset under the 2025 policy
(examples/england_synthetic.csv, quarter 3), timed the same way: the search of every metric, the fewest metrics
together where none alone reaches the target, and the verification of each suggestion on the whole table.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "likely"))

from policyc.analysis.evaluation import evaluate_text  # noqa: E402
from policyc.analysis.likely import likely_ranges  # noqa: E402
from policyc.backend.compile import compile_file  # noqa: E402


def generated(metrics: int, rows: int, seed: int) -> tuple[str, str]:
    names = [f"m{k:02d}" for k in range(metrics)]
    lines = [
        'policy "Likely range benchmark" version "1"',
        "org types trust",
        "outcome segment",
        "",
        "scale segment: 1 > 2 > 3 > 4",
        "input in_deficit: yes/no for all",
        "",
    ]
    for k, name in enumerate(names):
        direction = "higher" if k % 2 else "lower"
        lines += [f'metric {name} "Metric {k}" number, {direction} is better, for trust', "  ranked"]
    lines += [
        "",
        "average_score = round(mean(metric scores), 2)",
        "band = quartile(average_score)",
        "segment = band as segment",
        "  no better than 3 when in_deficit",
        "",
    ]
    rng = np.random.default_rng(seed)
    values = np.round(rng.uniform(0, 100, (rows, metrics)), 1)
    values[rng.random((rows, metrics)) < 0.1] = np.nan
    table = ["org,org_type,in_deficit," + ",".join(names)]
    for r in range(rows):
        cells = ["" if np.isnan(v) else repr(float(v)) for v in values[r]]
        table.append(f"T{r:03d},trust,{'yes' if r % 4 == 0 else 'no'}," + ",".join(cells))
    return "\n".join(lines), "\n".join(table) + "\n"


def cases(seed: int):
    import q4

    if q4.DATA.is_dir():
        yield "61 trusts, 11 published scores (quarter 4)", q4.POLICY, q4.table()
    folder = Path(tempfile.mkdtemp(prefix="policyc-likely-"))
    for metrics in (12, 80):
        policy, table = generated(metrics, 200, seed)
        path = folder / f"m{metrics}.policy"
        path.write_text(policy)
        yield f"200 organisations, {metrics} ranked metrics", path, table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(f"{opts.replicates:,} replicates, seed {opts.seed}, best and first of {opts.runs} runs")
    for name, policy, table in cases(opts.seed):
        result, compiled = compile_file(str(policy))
        assert compiled is not None, result.diagnostics
        run = evaluate_text(compiled, table, "table.csv")
        times = []
        for _ in range(opts.runs):
            started = time.perf_counter()
            likely_ranges(compiled, run.module, run.frame, run.values, replicates=opts.replicates, seed=opts.seed)
            times.append(time.perf_counter() - started)
        print(f"  {name}: best {min(times):.2f} s, first {times[0]:.2f} s")
    improving(opts.runs)


def improving(runs: int) -> None:
    from policyc.analysis.explain import rows_of
    from policyc.analysis.improve import improve

    _, compiled = compile_file(str(ROOT / "policies" / "oversight_2025.policy"))
    data = ROOT / "examples" / "england_synthetic.csv"
    run = evaluate_text(compiled, data.read_text(), str(data))
    print("improve, policies/oversight_2025.policy on examples/england_synthetic.csv:")
    for org, target in (("SYNA009", "2"), ("SYNA005", "3"), ("SYNA004", "1")):
        (row,) = rows_of(run.frame, org, "2025Q3")
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            found = improve(compiled, run.module, run.frame, run.values, run.notes, row, target)
            times.append(time.perf_counter() - started)
        together = 0 if found.together is None else len(found.together.changes)
        print(
            f"  {org}@2025Q3 to {target}: best {min(times):.2f} s, first {times[0]:.2f} s "
            f"({len(found.alone)} alone, {together} together)"
        )


if __name__ == "__main__":
    main()
