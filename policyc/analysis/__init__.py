"""Analyses: a compiled policy (and a table, where one is needed) in, findings out.

`evaluation` runs a policy on a table; `explain` says how one organisation's result came about; `testing`
runs a policy's own tests and their coverage; `compare` sets two policies side by side on one table and
`comparison` is the document it gives; `agreement` holds an outcome to a published result; `search` looks for
profiles two policies rate apart, over the space `profiles` draws from, and `witness` is what it found.
The report, the API and the CLI call them.
"""
