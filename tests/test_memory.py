"""The allocator setting the policyc command makes for large tables (policyc.backend.memory)."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Run in a process of its own, since the setting is the process's: a 64 MiB column, past any mmap threshold,
# then freed. Prints the bytes in mapped blocks it added, and whether the heap kept it free for the next.
SCRIPT = """
import ctypes, sys
import numpy as np
from policyc.backend.memory import keep_freed_memory
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
        ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]
info = ctypes.CDLL(None).mallinfo2
info.restype = Info
if sys.argv[1] == "kept":
    assert keep_freed_memory()
mapped = info().hblkhd
column = np.ones(8 << 20)
print(info().hblkhd - mapped)
del column
print(info().fordblks >= 64 << 20)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt and mallinfo2 are glibc's")
@pytest.mark.parametrize(("allocator", "mapped", "kept"), [("glibc", 64 << 20, False), ("kept", 0, True)])
def test_a_large_column_comes_from_the_heap_and_stays_there_when_freed(allocator: str, mapped: int, kept: bool) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, allocator], capture_output=True, text=True, timeout=60, check=True
    )
    added, free = done.stdout.split()
    assert int(added) >= mapped if mapped else int(added) == 0
    assert free == str(kept)
