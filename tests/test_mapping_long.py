"""A long table read through a mapping's [long] section: one row per organisation, period and key, pivoted into
the policy's inputs; every bad input named with the long table's line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc import cli

POLICY = """policy "Long" version "1"
org types mhc, community
outcome band
scale level: 1 > 2
input waits: number for all
input deficit: yes/no for all
raw = when waits <= 10: 1 otherwise: 2
band = raw as level
  no better than 2 when deficit
"""

MAPPING = """title = "a long table"
[columns]
org = "Trust_code"
org_type = "Trust_subtype"

[values.org_type]
"Mental Health" = "mhc"
"Community" = "community"

[values.deficit]
"1" = "yes"
"0" = "no"

[long]
key = "Metric_ID"
value = "Value"
period = "Quarter"
ignored = ["OF9999"]

[long.inputs]
OF0005 = "waits"
OF5004 = "deficit"

[long.published]
OF5000 = "band"

[published]
outcome = "OF5000"
name = "Trust_name"
"""

HEADER = "Quarter,Trust_subtype,Trust_code,Trust_name,Metric_ID,Value\n"
ROWS = [
    "Q1 2025/26,Mental Health,R1,Trust One,OF0005,4.5",
    "Q1 2025/26,Mental Health,R1,Trust One,OF5004,0",
    "Q1 2025/26,Mental Health,R1,Trust One,OF5000,1",
    "Q1 2025/26,Mental Health,R1,Trust One,OF9999,anything",
    "Q2 2025/26,Mental Health,R1,Trust One,OF0005,12",
    "Q2 2025/26,Mental Health,R1,Trust One,OF5004,0",
    'Q1 2025/26,Community,R2,"Trust, Two",OF0005,3',
    'Q1 2025/26,Community,R2,"Trust, Two",OF5004,1',
]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "p.policy").write_text(POLICY)
    (tmp_path / "m.toml").write_text(MAPPING)
    (tmp_path / "d.csv").write_text("\ufeff" + HEADER + "\n".join(ROWS) + "\n", encoding="utf-8")
    return tmp_path


def run(files: Path, *args: str):
    return CliRunner().invoke(
        cli.main,
        ["eval", str(files / "p.policy"), "--data", str(files / "d.csv"), "--map", str(files / "m.toml"), *args],
    )


def test_a_long_table_is_pivoted_into_one_row_per_organisation_and_period(files: Path) -> None:
    result = run(files, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "org,org_type,period,waits,deficit,raw,band",
        "R1,mhc,2025Q1,4.5,no,1,1",
        "R1,mhc,2025Q2,12,no,2,2",
        "R2,community,2025Q1,3,yes,1,2",
    ]


def write(files: Path, rows: list[str], mapping: str = MAPPING) -> None:
    (files / "d.csv").write_text(HEADER + "\n".join(rows) + "\n")
    (files / "m.toml").write_text(mapping)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            [*ROWS, "Q1 2025/26,Mental Health,R1,Trust One,OF0006,1"],
            'd.csv, line 10, column Metric_ID: key "OF0006" is not in [long] of',
        ),
        (
            [*ROWS, "Q1 2025/26,Mental Health,R1,Trust One,OF0005,4.5"],
            "d.csv, line 10: key OF0005 for R1 in 2025Q1 again; a key comes once",
        ),
        (
            [*ROWS, "Q1 2025/26,Mental Health,R1,Trust One,OF0005,7"],
            'd.csv, line 10: key OF0005 for R1 in 2025Q1 with another value (line 2 has "4.5")',
        ),
        (
            [*ROWS, "Q1 2025/26,Community,R1,Trust One,OF5000,1"],
            'd.csv, line 10, column Trust_subtype: "Community" for R1 in 2025Q1, where line 2 has "Mental Health"',
        ),
        (
            [*ROWS[:4], "Q5 2025/26,Mental Health,R1,Trust One,OF0005,1"],
            'd.csv, line 6, column Quarter: expected a period like `Q1 2025/26` or 2025Q1, found "Q5 2025/26"',
        ),
        (
            [*ROWS[:4], "Q2 2025/26,Mental Health,R1,Trust One,OF0005,lots"],
            'd.csv, line 6, column Value (OF0005, read as waits): expected a number (number), found "lots"',
        ),
        (
            [*ROWS[:4], "Q2 2025/26,Mental Health,R1,Trust One,OF5004,2"],
            'd.csv, line 6, column Value (OF5004, read as deficit): "2" is not in [values.deficit]',
        ),
    ],
)
def test_every_bad_row_is_named_by_its_line_in_the_long_table(files: Path, rows, message: str) -> None:
    write(files, rows)
    result = run(files)
    assert result.exit_code == 1, result.output
    assert message in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('key = "Metric_ID"', 'key = "Metric"'), "[long] reads the key from column `Metric`, which"),
        (('OF5000 = "band"\n', 'OF5000 = "band"\nOF0005 = "waits"\n'), "both in [long.inputs] and in [long.published]"),
        (('ignored = ["OF9999"]', 'ignored = ["OF0005"]'), "key `OF0005` is in [long] `ignored` and is also mapped"),
        (('value = "Value"\n', ""), "[long] needs `value`"),
        (('period = "Quarter"', 'period = "Quarter"\nwide = true'), "unknown key `wide` in [long]"),
    ],
)
def test_a_mapping_s_long_section_is_checked(files: Path, change, message: str) -> None:
    write(files, ROWS, MAPPING.replace(*change))
    result = run(files)
    assert result.exit_code == 1 and message in result.stderr, result.output


def test_compare_reads_a_long_table_too_and_names_its_lines(files: Path) -> None:
    args = ["compare", str(files / "p.policy"), str(files / "p.policy"), "--data", str(files / "d.csv")]
    result = CliRunner().invoke(cli.main, [*args, "--map", str(files / "m.toml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert (
        "0 of 3 rows stand differently" in CliRunner().invoke(cli.main, [*args, "--map", str(files / "m.toml")]).stdout
    )
    write(files, [*ROWS[:4], "Q2 2025/26,Mental Health,R1,Trust One,OF0005,lots"])
    bad = CliRunner().invoke(cli.main, [*args, "--map", str(files / "m.toml")])
    assert bad.exit_code == 1 and "d.csv, line 6, column Value (OF0005, read as waits)" in bad.stderr


def test_agree_checks_every_step_the_mapping_names_with_its_published_key(files: Path) -> None:
    args = ["agree", str(files / "p.policy"), "--data", str(files / "d.csv"), "--map", str(files / "m.toml")]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 0, result.output
    assert "  band  OF5000         1      1   100.0%" in result.stdout
    import json

    document = json.loads(CliRunner().invoke(cli.main, [*args, "--format", "json"]).stdout)
    (step,) = document["steps"]
    assert (step["value"], step["published"], step["agree"], step["compared"]) == ("band", "OF5000", 1, 1)
    assert step["groups"] == [{"group": "mhc", "period": "2025Q1", "agree": 1, "compared": 1}]
    write(files, [*ROWS, "Q2 2025/26,Mental Health,R1,Trust One,OF5000,1"])  # ours is 2
    wrong = CliRunner().invoke(cli.main, [*args, "--fail-under", "90"])
    assert wrong.exit_code == 1 and "below 90%: band 50.0%" in wrong.stderr
    assert "R1 2025Q2: ours 2, published 1" in wrong.stdout
    unknown = CliRunner().invoke(cli.main, [*args, "--step", "bnd"])
    assert unknown.exit_code == 2 and "`bnd` is not a step the mapping checks" in unknown.stderr


def test_inputs_set_per_period_reach_every_row_of_their_period(files: Path) -> None:
    policy = POLICY.replace("raw = when waits <= 10: 1", "input cut: number for all\nraw = when waits <= cut: 1")
    (files / "p.policy").write_text(policy)
    periods = '\n[long.periods."2025Q1"]\ncut = "4"\n\n[long.periods."2025Q2"]\ncut = "20"\n'
    write(files, ROWS, MAPPING + periods)
    result = run(files, "--format", "csv", "--columns", "cut,raw")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:] == ["R1,mhc,2025Q1,4,2", "R1,mhc,2025Q2,20,1", "R2,community,2025Q1,4,1"]
    write(files, ROWS, MAPPING + periods.split("\n\n")[0] + "\n")
    missing = run(files)
    assert missing.exit_code == 1 and "[long.periods] has no 2025Q2, which" in missing.stderr
    write(files, ROWS, MAPPING + periods.replace('cut = "20"', 'other = "20"'))
    uneven = run(files)
    assert uneven.exit_code == 1 and "every period in [long.periods] must set the same columns" in uneven.stderr
