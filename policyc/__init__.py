"""policyc: a declarative rules language for NHS performance-assessment frameworks.

The Python API (docs/python.md): `policyc.load` a policy, `Policy.evaluate` it on a data frame or a CSV
file, `Policy.explain` a result, `policyc.compare` two policies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from policyc.version import __version__ as __version__

if TYPE_CHECKING:
    from policyc.api import (
        Comparison,
        DataError,
        DataWarning,
        EvaluationError,
        Explanation,
        Policy,
        PolicyError,
        compare,
        load,
    )

__all__ = [
    "Comparison",
    "DataError",
    "DataWarning",
    "EvaluationError",
    "Explanation",
    "Policy",
    "PolicyError",
    "compare",
    "load",
]


def __getattr__(name: str) -> Any:
    # policyc.api is loaded on first use, not on `import policyc`, so that the command line starts without it.
    if name in __all__:
        return getattr(importlib.import_module("policyc.api"), name)
    raise AttributeError(f"module 'policyc' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
