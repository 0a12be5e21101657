"""Runs the stages in order on one file (and the base it extends); only here is the decision to stop made."""

from __future__ import annotations

from pathlib import Path

import attrs

from policyc.syntax.diagnostics import Diagnostics
from policyc.syntax.read import NotAPolicy, parse_source, read_base, read_source
from policyc.syntax.source import Source

from . import missing
from .check import Checked, check
from .resolve import build_scope, merge, order_values


@attrs.define
class Result:
    """What checking one file found: its sources (for quoting), diagnostics, and the checked policy."""

    path: str
    sources: dict[str, Source]
    diagnostics: Diagnostics
    checked: Checked | None = None

    @property
    def ok(self) -> bool:
        return not self.diagnostics.has_errors and self.checked is not None


class Unreadable(Exception):
    """The file named on the command line cannot be read as UTF-8 text."""


def _load(source: Source, sources: dict[str, Source], diags: Diagnostics, stack: tuple[Path, ...]):
    """The syntax tree of a file laid over every base it extends (None after errors), and whether it extends."""
    parsed = parse_source(source)
    diags.extend(parsed.diagnostics.items)
    policy = parsed.policy
    if policy is None or parsed.diagnostics.has_errors:
        return None, False
    header = policy.header
    if header is None or header.extends is None:
        return policy, False
    base_path = Path(source.path).parent / header.extends
    if base_path.resolve() in stack:
        diags.error(
            "PC209",
            f"`{header.extends}` extends this file in turn",
            header.extends_span,
            "a chain of variants cannot loop; extend the original policy",
        )
        return None, True
    try:
        base_source = read_base(base_path)
    except (OSError, UnicodeDecodeError, ValueError, NotAPolicy) as error:  # ValueError: a NUL in the path
        if isinstance(error, UnicodeDecodeError):
            reason = "it is not UTF-8 text"  # the error's own message quotes the bytes
        else:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        diags.error(
            "PC209",
            f"cannot read the base policy `{header.extends}`: {reason}",
            header.extends_span,
            "the path is relative to this file's folder",
        )
        return None, True
    sources[base_source.path] = base_source
    base, _ = _load(base_source, sources, diags, (*stack, base_path.resolve()))
    if base is None:
        return None, True
    return merge(base, policy, diags), True


def check_source(source: Source, missing_data: bool = False) -> Result:
    """Parse, resolve and check one policy file (and its base); collect every diagnostic. With `missing_data`, also
    warn (PC352) of each input without a default that, missing alone, can blank the outcome."""
    diags = Diagnostics()
    result = Result(source.path, {source.path: source}, diags)
    try:
        policy, is_variant = _load(source, result.sources, diags, (Path(source.path).resolve(),))
        if policy is None or diags.has_errors:
            return result
        scope = build_scope(policy, diags, is_variant=is_variant)
        order_values(scope, diags)
        checked = check(policy, scope, diags)
    except RecursionError:
        diags.error(
            "PC902",
            "the policy is nested too deeply to check",
            source.span(0, 0),
            "split the deepest expression into named values",
        )
        return result
    if not diags.has_errors:
        result.checked = checked
        if missing_data:
            missing.report(checked, result.sources, diags)
    return result


def check_file(path: str | Path, missing_data: bool = False) -> Result:
    try:
        source = read_source(path)
    except (OSError, UnicodeDecodeError) as error:
        raise Unreadable(str(error)) from error
    return check_source(source, missing_data)
