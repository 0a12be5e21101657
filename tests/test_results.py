"""Results: encoded values decoded for people, and the JSON, CSV and table renderings."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from policyc.backend.frame import Frame
from policyc.data import results
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import check_source
from policyc.semantics.types import BOOL, Type, number
from policyc.syntax.source import Source

POLICY = """\
policy "R" version "2"
org types acute, ambulance
scale segment: 1 > 2 > 3 > 4 > 5
input in_deficit: yes/no for all
input rating: one of high / low for acute
metric ae "A&E" percent, higher is better, for acute
  ranked, standard 78
average = round(ae.score, 2)
segment = (when in_deficit: 3 otherwise: 1) as segment
flagged = in_deficit and rating is low
"""

NAN = math.nan


@pytest.fixture(scope="module")
def program() -> ir.Program:
    result = check_source(Source("r.policy", POLICY))
    assert result.ok, result.diagnostics.sorted()
    return lower(result.checked)


def values() -> dict[str, np.ndarray]:
    columns = {
        "in_deficit": [1, 0, NAN],
        "rating": [1, NAN, 0],
        "ae": [72.5, NAN, 80],
        "ae.score": [2.41, NAN, 1],
        "average": [2.41, NAN, 1],
        "segment": [2, 0, NAN],
        "flagged": [1, 0, NAN],
    }
    return {name: np.array(column, dtype=np.float64) for name, column in columns.items()}


def frame(periods: bool = True) -> Frame:
    period = np.array([2025 * 4 + 2, 2025 * 4 + 2, 2009 * 4 + 3], dtype=np.int64) if periods else None
    return Frame(org=("RX1", "RX2", "A3"), org_type=np.array([0, 1, 0], dtype=np.int64), period=period, columns={})


# ---------------------------------------------------------------- decode


def test_decode_each_type():
    assert results.decode(number("percent"), 78.5) == 78.5
    assert isinstance(results.decode(number(), 3.0), float)
    assert results.decode(number(), NAN) is None
    assert results.decode(BOOL, 1.0) is True
    assert results.decode(BOOL, 0.0) is False
    assert results.decode(BOOL, NAN) is None
    labels = Type("labels", labels=("high", "low"))
    assert results.decode(labels, 1.0) == "low"
    rating = Type("scale", scale="cqc", labels=("outstanding", "good"))
    assert results.decode(rating, 0.0) == "outstanding"
    assert results.decode(rating, NAN) is None
    segment = Type("scale", scale="segment", labels=("1", "2", "3"), numbered=True)
    three = results.decode(segment, 2.0)
    assert three == 3 and isinstance(three, int)
    halves = Type("scale", scale="h", labels=("0.5", "1.5"), numbered=True)
    assert results.decode(halves, 1.0) == 1.5
    assert results.decode(segment, np.float64(0.0)) == 1


def test_decode_column_agrees_with_decode(program):
    for decl in program.outputs():
        column = values()[decl.name]
        assert results.decode_column(decl.type, column) == [results.decode(decl.type, v) for v in column]


# ---------------------------------------------------------------- JSON


def test_json_shape(program):
    document = json.loads(results.to_json(program, frame(), values()))
    assert document["policy"] == {"name": "R", "version": "2"}
    assert document["results"] == [
        {
            "org": "RX1",
            "org_type": "acute",
            "period": "2025Q3",
            "values": {
                "in_deficit": True,
                "rating": "low",
                "ae": 72.5,
                "ae.score": 2.41,
                "average": 2.41,
                "segment": 3,
                "flagged": True,
            },
        },
        {
            "org": "RX2",
            "org_type": "ambulance",
            "period": "2025Q3",
            "values": {
                "in_deficit": False,
                "rating": None,
                "ae": None,
                "ae.score": None,
                "average": None,
                "segment": 1,
                "flagged": False,
            },
        },
        {
            "org": "A3",
            "org_type": "acute",
            "period": "2009Q4",
            "values": {
                "in_deficit": None,
                "rating": "high",
                "ae": 80.0,
                "ae.score": 1.0,
                "average": 1.0,
                "segment": None,
                "flagged": None,
            },
        },
    ]
    assert list(document["results"][0]["values"]) == [d.name for d in program.outputs()]


def test_json_text_is_indented_and_has_no_nan(program):
    text = results.to_json(program, frame(periods=False), values())
    assert "NaN" not in text and "Infinity" not in text
    assert text.startswith('{\n  "policy": {\n    "name": "R",\n    "version": "2"\n  },\n  "results": [\n')
    assert all(row["period"] is None for row in json.loads(text)["results"])


def test_json_overflow_is_null_not_invalid(program):
    overflowed = values()
    overflowed["ae"] = np.array([math.inf, NAN, 1.0])
    assert json.loads(results.to_json(program, frame(), overflowed))["results"][0]["values"]["ae"] is None


def test_rows(program):
    rows = results.rows(program, frame(periods=False), values())
    assert rows[1] == {
        "org": "RX2",
        "org_type": "ambulance",
        "period": None,
        "values": {
            "in_deficit": False,
            "rating": None,
            "ae": None,
            "ae.score": None,
            "average": None,
            "segment": 1,
            "flagged": False,
        },
    }


# ---------------------------------------------------------------- CSV


def test_csv(program):
    text = results.to_csv(program, frame(), values())
    assert text == (
        "org,org_type,period,in_deficit,rating,ae,ae.score,average,segment,flagged\n"
        "RX1,acute,2025Q3,yes,low,72.5,2.41,2.41,3,yes\n"
        "RX2,ambulance,2025Q3,no,,,,,1,no\n"
        "A3,acute,2009Q4,,high,80,1,1,,\n"
    )


def test_csv_without_periods_quotes_and_shortest_numbers(program):
    odd = frame(periods=False)
    odd = Frame(org=('R,"1"', "R2", "R3"), org_type=odd.org_type, period=None, columns={})
    numbers = values()
    numbers["ae"] = np.array([0.1 + 0.2, 1e-7, -0.0])
    text = results.to_csv(program, odd, numbers)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:3] == ['R,"1"', "acute", ""]
    assert [row[5] for row in rows[1:]] == ["0.30000000000000004", "1e-07", "-0"]


# ---------------------------------------------------------------- table


def test_table(program):
    assert results.to_table(program, frame(), values()) == (
        "org  org_type   period  average  segment  flagged\n"
        "---  ---------  ------  -------  -------  -------\n"
        "RX1  acute      2025Q3     2.41        3  yes\n"
        "RX2  ambulance  2025Q3        -        1  no\n"
        "A3   acute      2009Q4        1        -  -\n"
    )


def test_table_without_periods_rounds_to_two_places(program):
    numbers = values()
    numbers["average"] = np.array([2.0 / 3.0, -0.001, 10.5])
    assert results.to_table(program, frame(periods=False), numbers) == (
        "org  org_type   average  segment  flagged\n"
        "---  ---------  -------  -------  -------\n"
        "RX1  acute         0.67        3  yes\n"
        "RX2  ambulance        0        1  no\n"
        "A3   acute         10.5        -  -\n"
    )


def test_table_text():
    assert results.table_text(None) == "-"
    assert results.table_text(2.5) == "2.5"
    assert results.table_text(3.0) == "3"
    assert results.table_text(2.416) == "2.42"
    assert results.table_text(True) == "yes"
    assert results.table_text("under_review") == "under_review"
