"""Shared test helpers, and the Hypothesis profiles.

Profiles: `ci` (derandomised, bounded; what CI runs), `dev` (the default) and `deep`; HYPOTHESIS_PROFILE picks one.
Property tests that take seconds are marked `slow`, so `pytest -m "not slow"` is a quick run.

Helpers, imported by the tests as `from conftest import ...`:
- `checked_text` and `compile_text`: a policy's text checked (asserting it has no error) and lowered to the IR;
- `compiled_text`: the same, compiled to its evaluator;
- `invoke`: a `policyc` command through click's runner;
- `assert_golden`: text held to a golden file, which POLICYC_UPDATE_GOLDEN=1 writes instead.

Fixture: `browser`, a Chromium driven by Playwright for the report's tests, skipped where either is missing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, settings

from policyc.backend.codegen import generate
from policyc.backend.compile import Compiled
from policyc.cli import main
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import Result as Checked
from policyc.semantics.driver import check_source
from policyc.syntax.source import Source

settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.register_profile("deep", max_examples=3000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

# Output is compared as plain text: colour only where a test asks for it (tests/test_cli_style.py).
for _variable in ("FORCE_COLOR", "NO_COLOR"):
    os.environ.pop(_variable, None)

UPDATE_GOLDEN = os.environ.get("POLICYC_UPDATE_GOLDEN") == "1"


def checked_text(text: str, path: str = "t.policy") -> Checked:
    """A policy's text checked; it must have no error."""
    result = check_source(Source(path, text))
    assert result.ok, [(d.code, d.message) for d in result.diagnostics.sorted() if d.is_error]
    return result


def compile_text(text: str, path: str = "t.policy") -> ir.Program:
    """A policy's text checked (it must have no error) and lowered to the IR."""
    checked = checked_text(text, path).checked
    assert checked is not None
    return lower(checked)


def compiled_text(text: str, path: str = "t.policy") -> Compiled:
    """A policy's text compiled to its evaluator."""
    result = checked_text(text, path)
    program = compile_text(text, path)
    return Compiled(program, generate(program), result.sources)


def invoke(*args: str | Path, input: str | None = None) -> Result:
    """Run `policyc ARGS...` through click's runner, standard error kept apart."""
    return CliRunner().invoke(main, [str(a) for a in args], input=input, catch_exceptions=False)


def assert_golden(golden: Path, text: str) -> None:
    """`text` equals the golden file; with POLICYC_UPDATE_GOLDEN=1 the file is written from `text` first."""
    if UPDATE_GOLDEN:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"{golden} is missing; run with POLICYC_UPDATE_GOLDEN=1 to create it"
    assert text == golden.read_text(encoding="utf-8"), f"{golden} differs; POLICYC_UPDATE_GOLDEN=1 rewrites it"


@pytest.fixture(scope="session")
def browser():
    """Chromium, launched once for every test that drives the report in a browser."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed", exc_type=ImportError)
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("no chromium on PATH")
    with sync_api.sync_playwright() as p:
        try:
            launched = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        except Exception as error:  # a browser that will not start is an environment's problem, not the report's
            pytest.skip(f"chromium would not start: {error}")
        yield launched
        launched.close()
