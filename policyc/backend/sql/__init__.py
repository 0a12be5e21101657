"""The SQL back end: a checked policy's IR to one SQL query, and the DuckDB runner that evaluates it.

In: an `ir.Program` and the columns of the input table. Out: the query as SQLGlot expressions rendered in a
dialect (duckdb, spark, postgres, tsql), or diagnostics naming the constructs a dialect cannot express exactly;
and, on DuckDB, the same float64 columns the numpy evaluator gives. Called by `policyc compile --target sql`,
`policyc eval --engine duckdb` and the API. docs/sql.md describes the table the query reads and what it gives.
"""
