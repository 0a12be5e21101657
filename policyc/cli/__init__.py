"""The `policyc` command line: options, rendering and exit codes; each command calls the stages below it.

`group` holds the click group and what every command shares (the internal-error guard, options, output
delivery); `authoring` the commands on policy files (check, fmt, compile, test, lsp); `tables` those that
run policies on a table (eval, agree, compare). Entry point: `policyc.cli:main`.
"""

from policyc.cli import authoring, tables  # noqa: F401  (each registers its commands on the group)
from policyc.cli.group import main

__all__ = ["main"]
