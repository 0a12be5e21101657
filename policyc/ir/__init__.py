"""The IR: a checked policy in, `nodes.Program` out, the one form both back ends and every analysis read.

`lower` turns the checked syntax tree into resolved, typed nodes with values encoded one way (`nodes`);
`walk` follows what reads what. The backend, data and analysis layers call it; `Program`'s typed accessors
(`column`, `score`, `derived`) give a declaration of the kind the caller needs.
"""
