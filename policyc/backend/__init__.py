"""Back ends: an IR program in, values for every row of a `Frame` out.

`codegen` writes a numpy module that imports `runtime` (which leans on `ranked` for the standard model's
ranking and `rounding` for half-away-from-zero); `compile` checks, lowers, generates and loads it
(`Compiled`); `interp` is the row-by-row reference interpreter the generated code is held to. `frame` is the
table they both evaluate. The data and analysis layers, the API and the CLI call `compile.compile_file`.
"""
