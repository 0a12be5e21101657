"""`python -m policyc`, as the `policyc` command."""

from policyc.cli import main

main()
