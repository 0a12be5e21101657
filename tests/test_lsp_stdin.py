"""Unsaved text piped in, as editors and their formatters do: `policyc check -` and `policyc fmt -`."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import invoke

from policyc.cli import main

ROOT = Path(__file__).resolve().parent.parent
VARIANT = ROOT / "policies" / "oversight_2025_q3_cut_points.policy"
BROKEN = 'policy "p" version "1"\norg types acute\n\nscore = finanse\n'
MESSY = 'policy   "p"  version "1"\norg  types acute\nx=1\n'


def test_check_reads_standard_input_under_the_name_given() -> None:
    result = invoke("check", "-", "--stdin-filename", "drafts/p.policy", input=BROKEN)
    assert result.exit_code == 1
    assert result.stdout.startswith("drafts/p.policy:4:9: error[PC201]: unknown name `finanse`")
    assert result.stdout.endswith("checked 1 file: 1 error, 0 warnings\n")


def test_check_without_a_name_calls_it_stdin() -> None:
    result = invoke("check", "--format", "json", "-", input=BROKEN)
    document = json.loads(result.stdout)
    assert document["files"] == [{"path": "<stdin>", "ok": False}]
    assert [d["code"] for d in document["diagnostics"]] == ["PC201"]


def test_a_variant_on_standard_input_finds_its_base_beside_the_name() -> None:
    text = VARIANT.read_text(encoding="utf-8")
    assert invoke("check", "-", "--stdin-filename", VARIANT, input=text).exit_code == 0
    elsewhere = invoke("check", "-", "--stdin-filename", "elsewhere/v.policy", input=text)
    assert elsewhere.exit_code == 1 and "error[PC209]: cannot read the base policy" in elsewhere.stdout


def test_check_of_standard_input_that_is_not_utf8_is_unreadable() -> None:
    result = CliRunner().invoke(main, ["check", "-"], input=b"\xff\xfe policy", catch_exceptions=False)
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_fmt_prints_the_canonical_text_and_changes_no_file(tmp_path: Path) -> None:
    result = invoke("fmt", "-", "--stdin-filename", tmp_path / "p.policy", input=MESSY)
    assert result.exit_code == 0
    assert result.stdout == 'policy "p" version "1"\n\norg types acute\n\nx = 1\n'
    assert list(tmp_path.iterdir()) == []
    assert invoke("fmt", "-", input=result.stdout).stdout == result.stdout


def test_fmt_check_of_standard_input_names_it_and_fails() -> None:
    result = invoke("fmt", "--check", "-", "--stdin-filename", "p.policy", input=MESSY)
    assert result.exit_code == 1 and result.stdout == "would reformat p.policy\n"


def test_fmt_of_standard_input_with_a_syntax_error_says_where() -> None:
    result = invoke("fmt", "-", "--stdin-filename", "p.policy", input='policy "p"\norg types acute\nx = (1\n')
    assert result.exit_code == 1 and result.stdout == ""
    assert "p.policy:" in result.stderr and "error[PC101]" in result.stderr
