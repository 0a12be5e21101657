"""`policyc check` through click: exit codes, the three output formats, folders, and internal errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

import policyc.cli.authoring
from policyc.cli import main

POLICIES = Path(__file__).parent / "policies"
VALID = POLICIES / "valid" / "skeleton_2009.policy"
WITH_ERROR = POLICIES / "broken" / "PC201_unknown_name.policy"
WITH_WARNING = POLICIES / "broken" / "PC250_input_never_read.policy"
GITHUB_LINE = re.compile(r"^::(error|warning) file=[^,]+,line=\d+,col=\d+")


def run(*args: str | Path) -> Result:
    result = CliRunner().invoke(main, ["check", *map(str, args)])
    # Every outcome is an exit code; a Python exception escaping the command is a bug.
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


def position_of(path: Path, text: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of `text` outside the leading comments."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("#") and text in line:
            return number, line.index(text) + 1
    raise AssertionError(f"{text!r} is not in {path}")


# ---------------------------------------------------------------- exit codes


def test_valid_policy_exits_0_with_the_summary() -> None:
    result = run(VALID)
    assert result.exit_code == 0
    assert result.stdout.strip().splitlines()[-1] == "checked 1 file: 0 errors, 0 warnings"


def test_an_error_exits_1() -> None:
    result = run(WITH_ERROR)
    assert result.exit_code == 1
    assert "error[PC201]: unknown name `finanse`" in result.stdout
    assert "help: did you mean `finance`?" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "checked 1 file: 1 error, 0 warnings"


def test_warnings_alone_exit_0() -> None:
    result = run(WITH_WARNING)
    assert result.exit_code == 0
    assert "warning[PC250]" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "checked 1 file: 0 errors, 1 warning"


def test_strict_makes_a_warning_exit_1() -> None:
    assert run("--strict", WITH_WARNING).exit_code == 1
    assert run("--strict", VALID).exit_code == 0


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    missing = tmp_path / "absent.policy"
    result = run(missing)
    assert result.exit_code == 2
    assert f"{missing}: cannot read the file" in result.stderr


def test_a_file_that_is_not_utf8_exits_2(tmp_path: Path) -> None:
    latin1 = tmp_path / "latin1.policy"
    latin1.write_bytes('policy "Évaluation" version "2009/10"\norg types acute\n'.encode("latin-1"))
    result = run(latin1)
    assert result.exit_code == 2
    assert f"{latin1}: cannot read the file" in result.stderr


def test_an_unreadable_file_wins_over_errors_elsewhere(tmp_path: Path) -> None:
    result = run(WITH_ERROR, tmp_path / "absent.policy")
    assert result.exit_code == 2
    assert "error[PC201]" in result.stdout


def test_a_folder_without_policies_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a policy\n", encoding="utf-8")
    result = run(tmp_path)
    assert result.exit_code == 2
    assert "no .policy files found" in result.output


def test_a_byte_order_mark_is_not_an_error(tmp_path: Path) -> None:
    with_bom = tmp_path / "with_bom.policy"
    with_bom.write_bytes(b"\xef\xbb\xbf" + VALID.read_bytes())
    assert run(with_bom).exit_code == 0


def test_windows_line_endings_check_cleanly(tmp_path: Path) -> None:
    crlf = tmp_path / "crlf.policy"
    crlf.write_bytes(VALID.read_bytes().replace(b"\n", b"\r\n"))
    assert run(crlf).exit_code == 0


# ---------------------------------------------------------------- formats


def test_json_lists_each_diagnostic_with_its_position_and_text() -> None:
    result = run("--format", "json", WITH_ERROR, WITH_WARNING)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert [f["path"] for f in report["files"]] == [str(WITH_ERROR), str(WITH_WARNING)]
    assert [f["ok"] for f in report["files"]] == [False, True]
    assert report["unreadable"] == []
    by_code = {d["code"]: d for d in report["diagnostics"]}
    assert set(by_code) == {"PC201", "PC250"}
    for code, path, text, severity in (
        ("PC201", WITH_ERROR, "finanse", "error"),
        ("PC250", WITH_WARNING, "hcai", "warning"),
    ):
        diag = by_code[code]
        line, column = position_of(path, text if code == "PC201" else f"input {text}")
        column += 0 if code == "PC201" else len("input ")
        assert (diag["file"], diag["line"], diag["column"], diag["text"]) == (str(path), line, column, text)
        assert diag["severity"] == severity
        assert diag["end_line"] == line and diag["end_column"] == column + len(text)
        assert diag["message"] and diag["help"]


def test_json_reports_an_unreadable_file(tmp_path: Path) -> None:
    result = run("--format", "json", tmp_path / "absent.policy")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert [u["path"] for u in report["unreadable"]] == [str(tmp_path / "absent.policy")]
    assert report["files"] == [] and report["diagnostics"] == []


def test_json_of_a_valid_policy_has_no_diagnostics() -> None:
    result = run("--format", "json", VALID)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["diagnostics"] == []


def test_github_lines_are_workflow_commands() -> None:
    three = POLICIES / "broken" / "PC101_three_declarations.policy"
    result = run("--format", "github", WITH_ERROR, WITH_WARNING, three)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert len(lines) == 5  # one error, one warning, three syntax errors; no summary line
    for line in lines:
        assert GITHUB_LINE.match(line), line
    assert lines[0].startswith("::error ") and "[PC201]" in lines[0]
    assert any(line.startswith("::warning ") and "[PC250]" in line for line in lines)


def test_github_escapes_a_path_with_a_comma(tmp_path: Path) -> None:
    odd = tmp_path / "draft, v2.policy"
    shutil.copy(WITH_ERROR, odd)
    result = run("--format", "github", odd)
    assert result.exit_code == 1
    (line,) = result.stdout.splitlines()
    assert GITHUB_LINE.match(line), line
    assert "draft%2C v2.policy" in line


def test_github_escapes_the_path_of_an_unreadable_file(tmp_path: Path) -> None:
    result = run("--format", "github", tmp_path / "draft, v2.policy")
    assert result.exit_code == 2
    (line,) = result.stdout.splitlines()
    assert line.startswith("::error file=") and "draft%2C v2.policy" in line


# ---------------------------------------------------------------- folders


def test_a_folder_checks_every_policy_in_it(tmp_path: Path) -> None:
    shutil.copy(VALID, tmp_path / "a_valid.policy")
    shutil.copy(WITH_ERROR, tmp_path / "b_error.policy")
    (tmp_path / "drafts").mkdir()
    shutil.copy(WITH_WARNING, tmp_path / "drafts" / "c_warning.policy")
    (tmp_path / "README.txt").write_text("not a policy\n", encoding="utf-8")
    result = run("--format", "json", tmp_path)
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    checked = sorted(Path(f["path"]).relative_to(tmp_path).as_posix() for f in report["files"])
    assert checked == ["a_valid.policy", "b_error.policy", "drafts/c_warning.policy"]
    assert sorted(d["code"] for d in report["diagnostics"]) == ["PC201", "PC250"]
    text = run(tmp_path)
    assert text.stdout.strip().splitlines()[-1] == "checked 3 files: 1 error, 1 warning"


def test_a_folder_of_valid_policies_exits_0() -> None:
    result = run(POLICIES / "valid")
    assert result.exit_code == 0
    count = len(list((POLICIES / "valid").rglob("*.policy")))
    assert result.stdout.strip().splitlines()[-1] == f"checked {count} files: 0 errors, 0 warnings"


# ---------------------------------------------------------------- internal errors


def test_an_internal_error_is_pc901_naming_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(path):
        raise RuntimeError("the checker fell over")

    monkeypatch.setattr(policyc.cli.authoring, "check_file", explode)
    for fmt in ("text", "json", "github"):
        result = run("--format", fmt, VALID)
        assert result.exit_code == 1
        assert "PC901" in result.output
        assert str(VALID) in result.output
        assert "RuntimeError: the checker fell over" in result.output
        assert "Traceback" not in result.output


def test_an_internal_error_in_one_file_does_not_stop_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    real = policyc.cli.authoring.check_file

    def explode_on_valid(path):
        if Path(path) == VALID:
            raise RuntimeError("the checker fell over")
        return real(path)

    monkeypatch.setattr(policyc.cli.authoring, "check_file", explode_on_valid)
    result = run(VALID, WITH_ERROR)
    assert result.exit_code == 1
    assert "PC901" in result.stdout and "error[PC201]" in result.stdout


def test_a_policy_nested_too_deeply_is_named(tmp_path: Path) -> None:
    deep = tmp_path / "deep.policy"
    deep.write_text(
        'policy "P"\norg types acute\ninput a: yes/no for all\nx = ' + "not " * 5000 + "a\n", encoding="utf-8"
    )
    for fmt in ("text", "github"):
        result = run("--format", fmt, VALID, deep)
        assert result.exit_code == 1
        assert "PC902" in result.stdout
        (line,) = [line for line in result.stdout.splitlines() if "PC902" in line]
        assert str(deep) in line


def test_sarif_has_a_result_per_diagnostic_with_its_rule_level_and_region(tmp_path: Path) -> None:
    broken = Path("tests/policies/broken/PC201_unknown_name.policy")
    odd = tmp_path / "a draft, v2.policy"
    odd.write_text('policy "P"\norg types acute\ninput x: number for all\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--format", "sarif", str(broken), str(odd)])
    assert result.exit_code == 1
    sarif = json.loads(result.stdout)
    assert sarif["version"] == "2.1.0" and sarif["$schema"].endswith("sarif-2.1.0.json")
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "policyc" and run["columnKind"] == "unicodeCodePoints"
    assert run["tool"]["driver"]["rules"] == [{"id": "PC201"}, {"id": "PC250"}]
    assert run["invocations"] == [{"executionSuccessful": True, "toolExecutionNotifications": []}]
    error, warning = run["results"]
    assert (error["ruleId"], error["level"]) == ("PC201", "error")
    assert error["message"]["text"] == "unknown name `finanse` (help: did you mean `finance`?)"
    (where,) = error["locations"]
    assert where["physicalLocation"]["artifactLocation"]["uri"] == broken.as_posix()
    assert where["physicalLocation"]["region"] == {"startLine": 15, "startColumn": 17, "endLine": 15, "endColumn": 24}
    assert (warning["ruleId"], warning["level"]) == ("PC250", "warning")
    assert warning["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == odd.as_uri()


def test_sarif_reports_an_unreadable_file_as_a_run_that_did_not_succeed(tmp_path: Path) -> None:
    missing = tmp_path / "gone.policy"
    result = CliRunner().invoke(main, ["check", "--format", "sarif", str(missing)])
    assert result.exit_code == 2
    (run,) = json.loads(result.stdout)["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is False
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error" and notification["message"]["text"].startswith("cannot read the file")
    assert notification["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == missing.as_uri()
    assert run["results"] == []
