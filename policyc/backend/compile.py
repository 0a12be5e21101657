"""A policy file to its compiled evaluator: checked, lowered, generated, and loaded as a module."""

from __future__ import annotations

import types
from pathlib import Path

import attrs
import numpy as np

from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import Result, check_file
from policyc.syntax.source import Source

from .codegen import generate
from .frame import EvalError, Frame


@attrs.frozen
class Compiled:
    program: ir.Program
    code: str  # the evaluator module's source
    sources: dict[str, Source]  # the policy's files, to quote its rules

    def module(self) -> types.ModuleType:
        module = types.ModuleType("policyc_evaluator")
        exec(compile(self.code, f"<evaluator of {self.program.name}>", "exec"), module.__dict__)
        # Overflow to infinity, infinity minus infinity and division by zero are defined (docs/semantics.md,
        # "Numbers"), so numpy's warnings about them would only reach the user's terminal as noise.
        quiet = np.errstate(over="ignore", invalid="ignore", divide="ignore")
        module.__dict__["evaluate"] = quiet(module.__dict__["evaluate"])
        return module


def compile_file(path: str | Path) -> tuple[Result, Compiled | None]:
    """Check a policy file and, when it has no error, compile it (raises driver.Unreadable)."""
    result = check_file(path)
    if result.checked is None or not result.ok:
        return result, None
    program = lower(result.checked)
    return result, Compiled(program, generate(program), result.sources)


def describe_failure(error: EvalError, frame: Frame, data_path: str) -> str:
    where = f"{error.where[0]}:{error.where[1]}:{error.where[2]}: " if error.where else ""
    row = ""
    if error.row is not None:
        row = f" (on {data_path}, line {frame.line(error.row)}, org {frame.org[error.row]})"
    return f"{where}{error.message}{row}"
