"""Time `policyc check` on a policy: as a whole process, and the parser's share of it.

    python bench/check_speed.py [POLICY] [--runs N]

Prints the median wall time of N whole `policyc check` processes, then, in one process, the time
to import policyc, to load the LALR parser from its shipped tables, to parse the file with Lark, and to run the
whole check (parse, syntax tree, resolution, type and table checks).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("policy", nargs="?", default=str(ROOT / "policies" / "oversight_2025.policy"))
    args.add_argument("--runs", type=int, default=15)
    opts = args.parse_args()
    policyc = Path(sys.executable).parent / "policyc"

    subprocess.run([policyc, "check", opts.policy], capture_output=True, check=False)  # warm the cache
    walls = []
    for _ in range(opts.runs):
        start = time.perf_counter()
        subprocess.run([policyc, "check", opts.policy], capture_output=True, check=False)
        walls.append(time.perf_counter() - start)

    start = time.perf_counter()
    import policyc.cli  # noqa: F401
    from policyc.semantics import driver
    from policyc.syntax import parse
    from policyc.syntax.diagnostics import Diagnostics

    imported = time.perf_counter()
    parse.parser()
    loaded = time.perf_counter()
    source = driver.read_source(opts.policy)
    parses, checks = [], []
    for _ in range(opts.runs):
        t0 = time.perf_counter()
        parse.parse(source, Diagnostics())
        t1 = time.perf_counter()
        driver.check_source(source)
        t2 = time.perf_counter()
        parses.append(t1 - t0)
        checks.append(t2 - t1)

    wall = statistics.median(walls)
    lark_parse = statistics.median(parses)
    parser_total = (loaded - imported) + lark_parse
    lines = source.text.count("\n")
    print(f"policy: {opts.policy} ({lines} lines)")
    print(f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    print(f"policyc check, whole process (median of {opts.runs}): {wall * 1000:.0f} ms")
    print(f"  import policyc:            {(imported - start) * 1000:.0f} ms")
    print(f"  load the parser:           {(loaded - imported) * 1000:.0f} ms")
    print(f"  Lark parse of the file:    {lark_parse * 1000:.1f} ms")
    print(f"  whole check, in process:   {statistics.median(checks) * 1000:.1f} ms")
    print(f"  parser's share of the process (load + parse): {parser_total / wall:.0%}")


if __name__ == "__main__":
    main()
