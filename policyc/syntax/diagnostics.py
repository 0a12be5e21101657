"""Diagnostics: a stable code, a severity, a message, where, and the fix; one renderer for all formats."""

from __future__ import annotations

import enum
from collections.abc import Iterable

import attrs

from policyc.syntax.source import Source, Span
from policyc.syntax.suggest import Names, names
from policyc.syntax.text import printable


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None
    help: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


class Diagnostics:
    """Collects diagnostics; stages add to it and never raise for a user's mistake."""

    def __init__(self) -> None:
        self.items: list[Diagnostic] = []

    def error(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.items.append(Diagnostic(code, Severity.ERROR, message, span, help))

    def warning(self, code: str, message: str, span: Span | None, help: str | None = None) -> None:
        self.items.append(Diagnostic(code, Severity.WARNING, message, span, help))

    def extend(self, other: Iterable[Diagnostic]) -> None:
        self.items.extend(other)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.items)

    def sorted(self) -> list[Diagnostic]:
        def key(d: Diagnostic):
            s = d.span
            return (s.file, s.start, s.end, d.code) if s else ("", 0, 0, d.code)

        unique = list(dict.fromkeys(self.items))
        return sorted(unique, key=key)


def did_you_mean(name: str, candidates: Iterable[str] | Names) -> str | None:
    """A help line naming the closest candidate, if one is close enough."""
    pool = candidates if isinstance(candidates, Names) else names(tuple(candidates))
    close = pool.closest(name)
    return f"did you mean `{close}`?" if close is not None else None


def render_text(diag: Diagnostic, sources: dict[str, Source], color: bool = False) -> str:
    """`file:line:col: error[PC201]: message`, the quoted line with the span underlined, and help.

    Every piece of user text (the file's name, the quoted line, names in the message) has its control characters
    escaped, so that what a policy holds can neither drive the terminal nor split a diagnostic's lines.
    """

    def paint(text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if color else text

    kind = paint(diag.severity.value, "1;31" if diag.is_error else "1;33")
    message = printable(diag.message)
    help_line = f"  = help: {printable(diag.help)}" if diag.help else None
    span = diag.span
    if span is None:
        head = f"{kind}[{diag.code}]: {message}"
        return head + (f"\n{help_line}" if help_line else "")
    lines = [f"{printable(span.file)}:{span.line}:{span.col}: {kind}[{diag.code}]: {message}"]
    source = sources.get(span.file)
    if source is not None:
        text = source.line_text(span.line).removesuffix("\r").expandtabs(1)
        end_col = span.end_col if span.end_line == span.line else len(text) + 1
        # The underline is measured on the escaped text, so it stays under what it points at.
        before = printable(text[: span.col - 1])
        marked = printable(text[span.col - 1 : end_col - 1])
        gutter = str(span.line)
        pad = " " * len(gutter)
        lines.append(f"{pad} |")
        lines.append(f"{gutter} | {printable(text)}")
        underline = "^" * max(1, len(marked))
        lines.append(f"{pad} | {' ' * len(before)}{paint(underline, '1;31' if diag.is_error else '1;33')}")
    if help_line:
        lines.append(help_line)
    return "\n".join(lines)


def underlined(diag: Diagnostic, sources: dict[str, Source]) -> str:
    """The text a diagnostic points at (what its caret line underlines)."""
    span = diag.span
    if span is None or span.file not in sources:
        return ""
    return sources[span.file].text[span.start : span.end]


def to_json(diag: Diagnostic, sources: dict[str, Source]) -> dict:
    span = diag.span
    out = {
        "code": diag.code,
        "severity": diag.severity.value,
        "message": diag.message,
        "help": diag.help,
        "file": span.file if span else None,
        "line": span.line if span else None,
        "column": span.col if span else None,
        "end_line": span.end_line if span else None,
        "end_column": span.end_col if span else None,
        "text": underlined(diag, sources) if span else None,
    }
    return out


def to_sarif(diags: list[Diagnostic], unreadable: list[tuple[str, str]], version: str) -> dict:
    """SARIF 2.1.0 for code-scanning tools: one run, a result per diagnostic with its rule and region, and each
    file that could not be read as a notification of a run that did not succeed. Columns count code points."""
    from pathlib import PurePath
    from urllib.parse import quote

    def location(file: str, span: Span | None = None) -> dict:
        path = PurePath(file)
        uri = path.as_uri() if path.is_absolute() else quote(path.as_posix())  # relative: to where policyc ran
        physical: dict = {"artifactLocation": {"uri": uri}}
        if span is not None:
            physical["region"] = {
                "startLine": span.line,
                "startColumn": span.col,
                "endLine": span.end_line,
                "endColumn": span.end_col,
            }
        return {"physicalLocation": physical}

    results = []
    for diag in diags:
        result: dict = {
            "ruleId": diag.code,
            "level": "error" if diag.is_error else "warning",
            "message": {"text": diag.message + (f" (help: {diag.help})" if diag.help else "")},
        }
        if diag.span is not None:
            result["locations"] = [location(diag.span.file, diag.span)]
        results.append(result)
    notifications = [
        {"level": "error", "message": {"text": f"cannot read the file: {reason}"}, "locations": [location(path)]}
        for path, reason in unreadable
    ]
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "policyc",
                        "version": version,
                        "rules": [{"id": code} for code in sorted({d.code for d in diags})],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "invocations": [{"executionSuccessful": not unreadable, "toolExecutionNotifications": notifications}],
                "results": results,
            }
        ],
    }


def escape_data(text: str) -> str:
    """Text of a GitHub Actions workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_prop(text: str) -> str:
    """A property value (file=, title=) of a GitHub Actions workflow command."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(diag: Diagnostic) -> str:
    """A GitHub Actions workflow command, so that CI annotates the line."""
    kind = "error" if diag.is_error else "warning"
    message = f"[{diag.code}] {diag.message}" + (f" ({diag.help})" if diag.help else "")
    span = diag.span
    if span is None:
        return f"::{kind}::{escape_data(message)}"
    props = (
        f"file={escape_prop(span.file)},line={span.line},col={span.col},"
        f"endLine={span.end_line},endColumn={span.end_col},title={escape_prop(diag.code)}"
    )
    return f"::{kind} {props}::{escape_data(message)}"
