"""The formatter: a policy's text in, its canonical text out (or diagnostics when printing would change it).

`printer` turns syntax trees into parts and checks that what it prints parses back to the same tree; `layout`
lays the parts out on lines, wrapped to a width. `policyc fmt` calls `printer.format_text`; it reads only syntax.
"""
