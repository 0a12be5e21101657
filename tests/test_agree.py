"""Column mappings and `policyc agree`: published results read as a policy's inputs, and the agreement reported."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyc.cli import main
from policyc.data import mapping
from policyc.data.table import DataError

ROOT = Path(__file__).resolve().parents[1]
PUBLISHED = ROOT.parent / "shared" / "data" / "nof_q3_2025_26" / "trusts.csv"
NOF_MAP = ROOT / "mappings" / "nof_q3_2025_26.toml"
BASE = ROOT / "policies" / "oversight_2025.policy"
VARIANT = ROOT / "policies" / "oversight_2025_q3_cut_points.policy"

SMALL_POLICY = """policy "P" version "1"
org types acute, ambulance
outcome band
scale level: good > fair > poor
input score: number for all
input capped: yes/no for all

band =
  when score <= 2: good
  when score <= 3: fair
  otherwise: poor
  source "test"
  no better than fair when capped
    source "test"
"""

SMALL_MAP = """title = "Test results"
assumptions = ["an empty flag is no"]

[columns]
org = "code"
org_type = "kind"
score = "avg"
capped = "flag"

[values.org_type]
"Acute trust" = "acute"
"Ambulance trust" = "ambulance"

[values.capped]
"1.0" = "yes"
"0.0" = "no"

[defaults]
capped = "no"

[published]
outcome = "published"
group = "kind"
name = "title"
"""

SMALL_DATA = """code,title,kind,avg,flag,published
A,Alpha,Acute trust,1.5,0.0,good
B,Beta,Acute trust,1.8,1.0,fair

C,Gamma,Ambulance trust,3.5,,fair
"""


def files(tmp_path: Path, policy: str = SMALL_POLICY, mapping_text: str = SMALL_MAP, data: str = SMALL_DATA):
    (tmp_path / "p.policy").write_text(policy)
    (tmp_path / "m.toml").write_text(mapping_text)
    (tmp_path / "d.csv").write_text(data)
    return str(tmp_path / "p.policy"), str(tmp_path / "m.toml"), str(tmp_path / "d.csv")


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


# ---------------------------------------------------------------- mappings


def test_a_mapping_renames_recodes_fills_and_adds_columns_keeping_line_numbers(tmp_path: Path) -> None:
    _, map_path, data_path = files(tmp_path)
    read = mapping.load(map_path)
    text = mapping.apply(read, SMALL_DATA, data_path)
    lines = text.split("\n")
    assert lines[0] == "org,org_type,score,capped,title,published"
    assert lines[1] == "A,acute,1.5,no,Alpha,good"
    assert lines[3] == ""  # the blank line stays, so line 5 is still Gamma's
    assert lines[4] == "C,ambulance,3.5,no,Gamma,fair"
    assert read.assumptions == ("an empty flag is no",)


def test_a_value_the_mapping_does_not_list_names_the_line_and_column(tmp_path: Path) -> None:
    _, map_path, data_path = files(tmp_path)
    with pytest.raises(DataError) as caught:
        mapping.apply(mapping.load(map_path), SMALL_DATA.replace("Gamma,Ambulance trust", "Gamma,Ambulance"), data_path)
    assert caught.value.message.startswith(
        f'{data_path}, line 5, column `kind`: "Ambulance" is not in [values.org_type]'
    )


def test_a_source_column_the_table_lacks_is_named_with_a_suggestion(tmp_path: Path) -> None:
    _, map_path, data_path = files(tmp_path, mapping_text=SMALL_MAP.replace('score = "avg"', 'score = "avgs"'))
    with pytest.raises(DataError) as caught:
        mapping.apply(mapping.load(map_path), SMALL_DATA, data_path)
    assert "maps `score` from column `avgs`" in caught.value.message
    assert "did you mean `avg`?" in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colums = {}\n", "unknown key `colums`"),
        ("[columns]\norg = 3\n", "[columns] org must be a string"),
        ('[published]\ngroup = "x"\n', "[published] needs `outcome`"),
        ('assumptions = "one"\n', "`assumptions` must be a list of strings"),
        ('[columns]\nx = "a"\n[constants]\nx = "b"\n', "`x` is both in [columns] and in [constants]"),
        ("title = [\n", "not a valid TOML mapping"),
    ],
)
def test_a_bad_mapping_is_one_message_naming_the_file(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "m.toml").write_text(text)
    with pytest.raises(DataError) as caught:
        mapping.load(str(tmp_path / "m.toml"))
    assert caught.value.message.startswith(str(tmp_path / "m.toml"))
    assert message in caught.value.message


# ---------------------------------------------------------------- policyc eval --map and policyc agree


def test_eval_reads_a_table_through_a_mapping(tmp_path: Path) -> None:
    policy, map_path, data_path = files(tmp_path)
    result = invoke("eval", policy, "--data", data_path, "--map", map_path, "--format", "csv")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1:] == [
        "A,acute,,1.5,no,good",
        "B,acute,,1.8,yes,fair",
        "C,ambulance,,3.5,no,poor",
    ]


def test_agree_counts_per_group_and_explains_each_disagreement(tmp_path: Path) -> None:
    policy, map_path, data_path = files(tmp_path)
    result = invoke("agree", policy, "--data", data_path, "--map", map_path)
    assert result.exit_code == 0, result.output
    assert "band agrees with the published `published` for 2 of 3 (66.7%)" in result.output
    assert "mapping assumes: an empty flag is no" in result.output
    assert "  Acute trust          2     2   100.0%" in result.output
    assert "  Ambulance trust      0     1     0.0%" in result.output
    assert "  C Gamma (Ambulance trust): band poor, published fair" in result.output
    assert "band poor (`no better than fair when capped` does not apply)" in result.output


def test_agree_as_json_and_fail_under(tmp_path: Path) -> None:
    policy, map_path, data_path = files(tmp_path)
    result = invoke("agree", policy, "--data", data_path, "--map", map_path, "--format", "json", "--fail-under", "90")
    assert result.exit_code == 1
    document = json.loads(result.stdout)
    assert (document["agree"], document["compared"]) == (2, 3)
    assert document["disagreements"][0]["org"] == "C"
    assert "error: agreement 66.7% is below 90%" in result.stderr


def test_agree_without_a_published_table_says_what_is_missing(tmp_path: Path) -> None:
    text = SMALL_MAP[: SMALL_MAP.index("[published]")]
    policy, map_path, data_path = files(tmp_path, mapping_text=text)
    result = invoke("agree", policy, "--data", data_path, "--map", map_path)
    assert result.exit_code == 1
    assert "no [published] table" in result.stderr


# ---------------------------------------------------------------- NHS England's published quarter 3 segments


def agreement(policy: Path) -> dict:
    result = invoke(
        "agree", str(policy), "--data", str(PUBLISHED), "--map", str(NOF_MAP), "--allow-missing", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def by_type(document: dict) -> dict[str, tuple[int, int]]:
    return {g["group"]: (g["agree"], g["compared"]) for g in document["groups"]}


def test_the_manuals_quartiles_against_the_published_quarter_3_segments() -> None:
    document = agreement(BASE)
    assert by_type(document) == {
        "Acute trust": (120, 129),
        "Ambulance trust": (0, 1),
        "Mental health and community trust": (7, 20),
    }
    # e.g. scores of 2.71 to 2.73: published segment 4, but q3 of the 129 acute trusts in the extract is 2.73
    reasons = {d["org"]: d["reason"] for d in document["disagreements"]}
    assert "cut points 2.16, 2.39, 2.73" in reasons["RF4"]


def test_the_cut_point_variant_against_the_published_quarter_3_segments() -> None:
    document = agreement(VARIANT)
    assert by_type(document) == {
        "Acute trust": (129, 129),
        "Ambulance trust": (1, 1),
        "Mental health and community trust": (19, 20),
    }
    (only,) = document["disagreements"]
    # the one trust of the 20 whose segment the mapping's "no deficit flag: not in deficit" gets wrong
    assert (only["org"], only["ours"], only["published"]) == ("RAT", 2, "3.0")
