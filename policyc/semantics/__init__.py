"""Semantics: syntax trees in, a checked policy (`check.Checked`: every name resolved, every type known) out.

`resolve` builds the scopes, `check` collects every name, type, unit and table error, and `driver` runs the
stages on one file and the base it extends, deciding alone when to stop. The compile step and the `check`
command call `driver.check_file`; the IR's `lower` takes the checked policy it gives.
"""
