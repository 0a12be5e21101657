"""The C allocator set for tables of millions of rows: memory freed by one column's temporaries kept for the next.

glibc's malloc serves every block over its mmap threshold (at most 32 MiB: a float64 column of 4,194,304 rows)
with a fresh mapping and unmaps it when it is freed, and it returns freed memory at the top of its heap to the
system past a trim threshold. On a table of 5,000,000 rows every temporary column is such a block, so each is
a fresh mapping whose pages fault in one by one, and the kernel's time grows faster than the rows. Served from
the heap and never trimmed, the same blocks are reused: bench/RESULTS.md has the figures.

`policyc`'s commands call `keep_freed_memory()` once, for their own short-lived process; a long-lived program
that evaluates large tables through the API may call it too. It changes nothing on other C libraries.
"""

from __future__ import annotations

import ctypes
import sys

# <malloc.h>
_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
_NEVER = -1  # as M_TRIM_THRESHOLD: never give freed memory back (mallopt(3))


def keep_freed_memory() -> bool:
    """Serve large blocks from the heap and keep what is freed, where the C library is glibc; whether it was set."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return mallopt(_M_MMAP_MAX, 0) == 1 and mallopt(_M_TRIM_THRESHOLD, _NEVER) == 1
