"""The language server (`policyc lsp`): what an editor shows while a policy is written.

In: JSON-RPC over standard input from an editor (open, change, hover, completion, ...), with the
documents' text as the editor holds it. Out: diagnostics from the same checks as `policyc check`
(`semantics.driver.check_source`), hovers, locations, completions, symbols, edits and semantic
tokens, read from the syntax tree and the checker's scope and types. Called by `policyc lsp`
(`cli/authoring.py`); `server.py` wires the protocol, the modules beside it answer one kind of request each.
"""
