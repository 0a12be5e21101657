"""Syntax: a policy file's text in, its syntax tree (`ast.Policy`, comments attached) and diagnostics out.

`read` reads and parses a file (`parse` runs the cached Lark grammar, `from_tree` and `comments` build the
tree); `source` and `diagnostics` hold the spans and messages every later stage reports with. The checker
(semantics) and the formatter (format) call it; nothing here knows what a policy means.
"""
