"""Changes the server offers: the canonical layout, a rename across a policy and its variants, "did you mean" fixes."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lsprotocol import types as lsp

from policyc.format.printer import format_text
from policyc.syntax.parse import keywords
from policyc.syntax.source import Source

from .index import Index, Key, Occurrence
from .positions import span_range, whole

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What a rename can change: the names a policy declares (functions, units and the columns every
# table has are the language's).
RENAMEABLE = ("value", "scale", "domain", "subdomain", "org_type", "cohort", "label")


class RenameRefused(Exception):
    """A rename that cannot be made, with the reason an editor shows."""


def formatting(source: Source) -> list[lsp.TextEdit]:
    """One edit replacing the text with its canonical form; none when it is already canonical or does not parse."""
    text, _ = format_text(source.path, source.text)
    if text is None or text == source.text:
        return []
    return [lsp.TextEdit(range=whole(source), new_text=text)]


def check_rename(key: Key, new_name: str, indexes: Iterable[Index]) -> None:
    kind, name = key
    if kind not in RENAMEABLE:
        raise RenameRefused(f"`{name}` belongs to the language and cannot be renamed")
    if not IDENTIFIER.fullmatch(new_name):
        raise RenameRefused(f"`{new_name}` is not a name: use letters, digits and `_`, starting with a letter")
    if new_name in keywords():
        raise RenameRefused(f"`{new_name}` is a keyword of the language")
    new_key = (kind, f"{name.split('/')[0]}/{new_name}" if kind == "subdomain" else new_name)
    for index in indexes:
        if new_name != name and index.taken(new_key):
            raise RenameRefused(f"`{new_name}` is already taken in this policy")


def rename_edits(
    new_name: str, occurrences: Iterable[tuple[Occurrence, Source]], uri_of: Callable[[str], str]
) -> lsp.WorkspaceEdit:
    """An edit of every occurrence (each with the source it lies in), once each, grouped by file."""
    changes: dict[str, list[lsp.TextEdit]] = {}
    seen = set()
    for occurrence, source in occurrences:
        span = occurrence.span
        if (span.file, span.start) in seen:
            continue
        seen.add((span.file, span.start))
        changes.setdefault(uri_of(span.file), []).append(
            lsp.TextEdit(range=span_range(source, span), new_text=new_name)
        )
    return lsp.WorkspaceEdit(changes=changes)


def quick_fixes(uri: str, diagnostics: Iterable[lsp.Diagnostic]) -> list[lsp.CodeAction]:
    """A fix for each diagnostic whose help offers the word to write instead ("did you mean `finance`?")."""
    out = []
    for diag in diagnostics:
        fix = diag.data.get("fix") if isinstance(diag.data, dict) else None
        if not fix:
            continue
        out.append(
            lsp.CodeAction(
                title=f"Change to `{fix}`",
                kind=lsp.CodeActionKind.QuickFix,
                diagnostics=[diag],
                is_preferred=True,
                edit=lsp.WorkspaceEdit(changes={uri: [lsp.TextEdit(range=diag.range, new_text=fix)]}),
            )
        )
    return out
