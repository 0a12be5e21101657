"""Semantics: syntax trees in, a checked policy (`check.Checked`: every name resolved, every type known) out.

`resolve` builds the scopes, `check` collects every name, type, unit and table error (its parts:
`declarations`, `scoring`, `expressions`, `builtins`, the one table of the functions, and `policy_tests`),
and `driver` runs the stages on one file and the base it extends, deciding alone when to stop. The compile
step and the `check` command call `driver.check_file`; the IR's `lower` takes the checked policy it gives,
and reads the type the checker recorded for each expression.
"""
