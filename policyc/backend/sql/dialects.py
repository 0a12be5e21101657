"""What each SQL dialect can express exactly, and the few functions spelled differently in each."""

from __future__ import annotations

import attrs
from sqlglot import exp


@attrs.frozen
class Dialect:
    name: str  # sqlglot's name for it
    infinity: bool  # a DOUBLE can hold an infinity (and NaN, which the query turns into missing)
    raise_function: str | None  # a function that fails the query with a message, for a value not on a scale
    # ranks, counts and cut points in cohort tables joined back (query.Side), or else window functions over the
    # whole query: Spark's analyser takes minutes over a query joining a cohort table per ranked metric
    cohort_tables: bool = True

    def fail(self, message: exp.Expression) -> exp.Expression:
        assert self.raise_function is not None
        return exp.Anonymous(this=self.raise_function, expressions=[message])


DIALECTS = {
    "duckdb": Dialect("duckdb", infinity=True, raise_function="error"),
    "spark": Dialect("spark", infinity=True, raise_function="raise_error", cohort_tables=False),
    "postgres": Dialect("postgres", infinity=True, raise_function=None),
    # SQL Server's float holds no infinity and no NaN: arithmetic that would give one raises an error instead.
    "tsql": Dialect("tsql", infinity=False, raise_function=None),
}
