"""Time the language server as an editor sees it: diagnostics after a change, hover and completion.

    python bench/lsp_speed.py [POLICY] [--runs N]

Starts `policyc lsp` as a subprocess and speaks to it over stdio (the client of tests/test_lsp_client.py), opens
the policy, then N times: changes the text (a misspelt name in, then out again) and times the wait until the
diagnostics of that version arrive, debounce included; and times a hover on a metric and a completion in an
expression and after `in domain`, each a round trip.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from lsprotocol import types as lsp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from test_lsp_client import Client, position_of  # noqa: E402


def timed(action) -> float:
    """Milliseconds a request takes to answer; an empty answer is no measurement."""
    start = time.perf_counter()
    answer = action()
    elapsed = (time.perf_counter() - start) * 1000
    assert answer and (answer.get("contents") or answer.get("items")), answer
    return elapsed


def summary(name: str, times: list[float]) -> str:
    ordered = sorted(times)
    p90 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]
    return f"{name:<34} median {statistics.median(times):6.1f} ms   p90 {p90:6.1f} ms   max {max(times):6.1f} ms"


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("policy", nargs="?", default=str(ROOT / "policies" / "oversight_2025.policy"))
    args.add_argument("--runs", type=int, default=20)
    opts = args.parse_args()
    path = Path(opts.policy)
    text = path.read_text(encoding="utf-8")

    client = Client()
    try:
        client.initialize()
        uri = client.open(path)
        client.diagnostics(uri)
        document = lsp.TextDocumentIdentifier(uri=uri)
        # The change: the first metric's name, where a value reads it, misspelt and then put right.
        start = position_of(text, "(average_score", within=1)
        end = lsp.Position(line=start.line, character=start.character + len("average_score"))
        short = lsp.Position(line=end.line, character=end.character - 1)
        changes, hovers, names, domains = [], [], [], []
        version = 1
        for run in range(opts.runs):
            version += 1
            misspelt = run % 2 == 0
            span = lsp.Range(start=start, end=end if misspelt else short)
            edit = lsp.TextDocumentContentChangePartial(
                range=span, text="average_scor" if misspelt else "average_score"
            )
            sent = time.perf_counter()
            client.change(uri, version, [edit])
            found = client.diagnostics(uri, version=version)
            changes.append((time.perf_counter() - sent) * 1000)
            assert (len(found) == 1) == (run % 2 == 0), found
            time.sleep(0.05)  # as between keystrokes: the check of this version is done before the next request
        where = position_of(text, "metric ae_4_hours", within=len("metric ae"))
        expression = position_of(text, "(average_score", within=1)
        in_domain = position_of(text, "in domain operating_priorities", within=len("in domain "))
        for _ in range(opts.runs):
            hovers.append(timed(lambda: client.request("textDocument/hover", lsp.HoverParams(document, where))))
            names.append(
                timed(lambda: client.request("textDocument/completion", lsp.CompletionParams(document, expression)))
            )
            domains.append(
                timed(lambda: client.request("textDocument/completion", lsp.CompletionParams(document, in_domain)))
            )
        client.close()
    finally:
        client.kill()

    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "?")
    print(f"policy: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({text.count(chr(10))} lines)")
    print(f"machine: {cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; {opts.runs} runs each")
    print(summary("diagnostics after a change", changes))
    print(summary("hover on a metric", hovers))
    print(summary("completion in an expression", names))
    print(summary("completion after `in domain`", domains))


if __name__ == "__main__":
    main()
