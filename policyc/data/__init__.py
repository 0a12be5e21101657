"""Data: CSV text and column mappings in, a `Frame` of encoded cells out; encoded values back to text out.

`cells` parses and writes one cell, `mapping` renames a published table's columns to a policy's names,
`table` reads a CSV into the columns a program needs, and `results` decodes evaluated columns for output.
`files` finds the policy files that paths name and writes output files all at once.
The analyses, the API and the CLI call it.
"""
