"""Time `policyc check` on a policy of many inputs that names many values it does not declare.

    python bench/unknown_names.py [--inputs 10000] [--unknown 100,2000] [--runs 3]

Each unknown name is an input's name with two letters swapped (`inptu_00042` for `input_00042`), so
that every one of them has a close match to find among the inputs and the help line must name it. The
policy is written to a temporary folder; for each count of unknown names, the median wall time of
`--runs` whole `policyc check` processes is printed, with the number of errors and of help lines that
named the input the unknown name was made from.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def policy(inputs: int, unknown: int) -> str:
    lines = ['policy "Many names"', '  source "bench/unknown_names.py"', "", "org types acute", ""]
    lines += [f"input input_{i:05d}: number for all" for i in range(inputs)]
    step = max(1, inputs // max(unknown, 1))
    lines += [f"value_{k:05d} = inptu_{(k * step) % inputs:05d} + 1" for k in range(unknown)]
    return "\n".join(lines) + "\n"


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--inputs", type=int, default=10_000)
    args.add_argument("--unknown", default="100,2000")
    args.add_argument("--runs", type=int, default=3)
    opts = args.parse_args()
    policyc = Path(sys.executable).parent / "policyc"
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as folder:
        for unknown in (int(n) for n in opts.unknown.split(",")):
            path = Path(folder) / f"unknown_{unknown}.policy"
            path.write_text(policy(opts.inputs, unknown))
            walls = []
            for _ in range(opts.runs):
                start = time.perf_counter()
                done = subprocess.run([policyc, "check", path], capture_output=True, text=True, check=False)
                walls.append(time.perf_counter() - start)
            errors = done.stdout.count("error[PC201]")
            named = len(re.findall(r"did you mean `input_\d{5}`", done.stdout))
            print(
                f"{opts.inputs} inputs, {unknown} unknown names: {statistics.median(walls):.2f} s"
                f" (median of {opts.runs}); {errors} errors, {named} help lines naming the input"
            )


if __name__ == "__main__":
    main()
