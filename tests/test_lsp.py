"""`policyc lsp` driven as an editor drives it: a subprocess spoken to over stdio, on the shipped policies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lsprotocol import types as lsp
from test_lsp_client import ROOT, Client, ServerError, position_of

from policyc.format.printer import format_text

BASE = ROOT / "policies" / "oversight_2025.policy"
VARIANT = ROOT / "policies" / "oversight_2025_q3_cut_points.policy"
REGIME_2009 = ROOT / "policies" / "performance_2009.policy"
TEXT = re.compile(r'"(?:[^"\\\n]|\\.)*"|#[^\n]*')


def uses(text: str, name: str) -> int:
    """How many times a name is written in a policy, outside its strings and comments."""
    return len(re.findall(rf"\b{name}\b", TEXT.sub("", text)))


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    server = Client()
    server.initialize()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def opened(client: Client) -> dict[str, str]:
    """The shipped policies open in the editor, each checked once."""
    uris = {}
    for path in (BASE, VARIANT, REGIME_2009):
        uris[path.name] = client.open(path)
        assert client.diagnostics(uris[path.name]) == []
    return uris


def doc(uri: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri)


def hover(client: Client, uri: str, where: lsp.Position) -> str:
    result = client.request("textDocument/hover", lsp.HoverParams(doc(uri), where), lsp.Hover)
    assert isinstance(result.contents, lsp.MarkupContent)
    return result.contents.value


def complete(client: Client, uri: str, where: lsp.Position) -> dict[str, lsp.CompletionItem]:
    result = client.request("textDocument/completion", lsp.CompletionParams(doc(uri), where), lsp.CompletionList)
    return {item.label: item for item in result.items}


def end_of(text: str) -> lsp.Position:
    """The position just past the text's last character."""
    return position_of(text + "\x00", "\x00")


def append(client: Client, uri: str, version: int, text: str, typed: str) -> str:
    """Type `typed` at the end of the document that holds `text`; the document's text after it."""
    end = end_of(text)
    client.change(uri, version, edit_at(end, end, typed))
    return text + typed


def replace_all(text: str) -> list[lsp.TextDocumentContentChangeEvent]:
    return [lsp.TextDocumentContentChangeWholeDocument(text=text)]


def edit_at(start: lsp.Position, end: lsp.Position, text: str) -> list[lsp.TextDocumentContentChangeEvent]:
    return [lsp.TextDocumentContentChangePartial(range=lsp.Range(start=start, end=end), text=text)]


def test_initialize_offers_every_feature() -> None:
    server = Client()
    try:
        caps = server.initialize().capabilities
        assert caps.hover_provider and caps.definition_provider and caps.references_provider
        assert caps.document_symbol_provider and caps.document_formatting_provider
        assert caps.completion_provider is not None and caps.code_action_provider
        assert isinstance(caps.rename_provider, lsp.RenameOptions) and caps.rename_provider.prepare_provider
        assert caps.semantic_tokens_provider is not None
        assert server.close() == 0
    finally:
        server.kill()


def test_an_error_typed_appears_with_its_code_range_and_help_and_goes_when_fixed(
    client: Client, opened: dict[str, str]
) -> None:
    uri = opened[BASE.name]
    text = BASE.read_text(encoding="utf-8")
    start = position_of(text, "quartile(average_score", within=len("quartile("))
    end = lsp.Position(line=start.line, character=start.character + len("average_score"))
    client.change(uri, 2, edit_at(start, end, "average_scor"))
    (diag,) = client.diagnostics(uri, version=2)
    assert diag.code == "PC201" and diag.severity == lsp.DiagnosticSeverity.Error
    assert diag.range == lsp.Range(start=start, end=lsp.Position(line=start.line, character=end.character - 1))
    assert diag.message == "unknown name `average_scor`"
    (helped,) = diag.related_information or []
    assert helped.message == "help: did you mean `average_score`?"
    assert helped.location == lsp.Location(uri, diag.range)

    actions = client.request(
        "textDocument/codeAction",
        lsp.CodeActionParams(doc(uri), diag.range, lsp.CodeActionContext(diagnostics=[diag])),
        list[lsp.CodeAction],
    )
    (action,) = actions
    assert action.kind == lsp.CodeActionKind.QuickFix and action.edit is not None and action.edit.changes is not None
    assert list(action.edit.changes[uri]) == [lsp.TextEdit(range=diag.range, new_text="average_score")]

    client.change(uri, 3, edit_at(diag.range.start, diag.range.end, "average_score"))
    assert client.diagnostics(uri, version=3) == []


def test_ranges_count_utf16_code_units_after_characters_beyond_the_basic_plane(
    client: Client, opened: dict[str, str], tmp_path: Path
) -> None:
    text = 'policy "p" version "1"\norg types acute\ninput in_deficit "D\U0001d538\u00e9": yes/no for acut\n'
    uri = client.open(tmp_path / "wide.policy", text)
    found = {d.code: d for d in client.diagnostics(uri)}
    start = position_of(text, "for acut")
    assert start.character == len('input in_deficit "D') + 2 + 1 + len('": yes/no ')
    assert found["PC212"].range == lsp.Range(start=start, end=lsp.Position(line=2, character=start.character + 8))


def test_an_error_in_the_base_is_shown_on_the_variants_extends(client: Client, tmp_path: Path) -> None:
    base = 'policy "b" version "1"\norg types acute\n\nscore = finanse\n'
    variant = 'policy "v" version "1" extends "base.policy"\n\nextra = 1\n'
    (tmp_path / "base.policy").write_text(base, encoding="utf-8")
    uri = client.open(tmp_path / "variant.policy", variant)
    (diag,) = client.diagnostics(uri)
    assert diag.code == "PC201" and diag.message.startswith("in the base policy base.policy:4: unknown name `finanse`")
    assert diag.range.start == position_of(variant, '"base.policy"')
    related, helped = diag.related_information or []
    assert related.location.uri == (tmp_path / "base.policy").resolve().as_uri()
    assert related.location.range.start == position_of(base, "finanse")
    assert helped.location == related.location and helped.message.startswith("help: declare it as an input")


def test_a_syntax_error_is_reported_and_hover_still_answers(client: Client, opened: dict[str, str]) -> None:
    uri = opened[REGIME_2009.name]
    text = REGIME_2009.read_text(encoding="utf-8")
    broken = text + "\nbroken = (1 +\n"
    client.change(uri, 2, replace_all(broken))
    diags = client.diagnostics(uri, version=2)
    assert [d.code for d in diags] == ["PC101"]
    assert diags[0].range.start.line >= text.count("\n")
    assert "**scale**" in hover(client, uri, position_of(broken, "scale category", within=len("scale c")))
    client.change(uri, 3, replace_all(text))
    assert client.diagnostics(uri, version=3) == []


def test_hover_on_a_metric_gives_its_whole_definition(client: Client, opened: dict[str, str]) -> None:
    text = BASE.read_text(encoding="utf-8")
    shown = hover(client, opened[BASE.name], position_of(text, "metric ae_4_hours", within=len("metric ae")))
    assert shown.startswith("**metric** `ae_4_hours`")
    for part in ("- unit: percent", "- higher is better", "- for: acute", "- domain: operating_priorities /"):
        assert part in shown
    assert "- scoring: ranked within the cohort, standard 78" in shown
    assert "- source: " in shown and "- assumption: " in shown


def test_hover_on_a_value_gives_its_rule_and_on_a_label_its_scale(client: Client, opened: dict[str, str]) -> None:
    text = REGIME_2009.read_text(encoding="utf-8")
    uri = opened[REGIME_2009.name]
    name = "consecutive_underperforming"
    value = hover(client, uri, position_of(text, f"{name} =", within=3))
    assert value.startswith(f"**value** `{name}`") and f"```policy\n{name} =" in value
    label = hover(client, uri, position_of(text, "is underperforming", within=len("is under")))
    assert "**label** `underperforming` of scale `category`" in label
    assert "performing" in label and ">" in label


def test_definition_and_references_reach_across_extends(client: Client, opened: dict[str, str]) -> None:
    variant = VARIANT.read_text(encoding="utf-8")
    base = BASE.read_text(encoding="utf-8")
    where = position_of(variant, "average_score <= 2.06", within=4)
    (location,) = client.request(
        "textDocument/definition", lsp.DefinitionParams(doc(opened[VARIANT.name]), where), list[lsp.Location]
    )
    assert location.uri == opened[BASE.name]
    assert location.range.start == position_of(base, "\naverage_score =", within=1)

    references = client.request(
        "textDocument/references",
        lsp.ReferenceParams(
            context=lsp.ReferenceContext(include_declaration=True),
            text_document=doc(opened[BASE.name]),
            position=location.range.start,
        ),
        list[lsp.Location],
    )
    in_variant = [r for r in references if r.uri == opened[VARIANT.name]]
    assert len(in_variant) == uses(variant, "average_score") > 0
    assert len(references) - len(in_variant) == uses(base, "average_score")


def test_completion_offers_names_labels_and_domains_where_each_fits(client: Client, opened: dict[str, str]) -> None:
    uri = opened[BASE.name]
    text = BASE.read_text(encoding="utf-8")
    after = append(client, uri, 4, text, "\nsketch = segment is ")
    labels = complete(client, uri, end_of(after))
    assert [label for label, item in labels.items() if item.kind == lsp.CompletionItemKind.EnumMember] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]

    names = complete(client, uri, position_of(after, "sketch = ", within=len("sketch = ")))
    assert names["ae_4_hours"].kind == lsp.CompletionItemKind.Field
    assert names["average_score"].kind == lsp.CompletionItemKind.Variable
    assert names["round"].detail == "round(x, places)" and names["round"].kind == lsp.CompletionItemKind.Function
    assert "quartile" in names and "and" in names

    domains = complete(client, uri, position_of(text, "in domain operating_priorities", within=len("in domain ")))
    assert {"operating_priorities", "outcomes"} <= set(domains) and "ae_4_hours" not in domains
    prefix = "in domain operating_priorities / "
    subdomains = complete(client, uri, position_of(text, prefix, within=len(prefix)))
    assert "urgent_emergency_care" in subdomains and "outcomes" not in subdomains

    client.change(uri, 5, replace_all(text))
    assert client.diagnostics(uri, version=5) == []


def test_completion_offers_org_types_in_a_list_of_them_and_units_where_a_type_goes(
    client: Client, opened: dict[str, str]
) -> None:
    uri = opened[BASE.name]
    text = BASE.read_text(encoding="utf-8")
    after = append(client, uri, 6, text, '\ninput sketch "S": ')
    types = complete(client, uri, end_of(after))
    units = {label for label, item in types.items() if item.kind == lsp.CompletionItemKind.Unit}
    assert {"percent", "rate", "days", "money"} <= units
    assert types["yes/no"].kind == lsp.CompletionItemKind.Keyword and "acute" not in types

    listed = append(client, uri, 7, after, "percent for acute, ")
    org_types = complete(client, uri, end_of(listed))
    assert set(org_types) == {"icb", "acute", "mental_health", "community", "ambulance"}
    assert all(item.kind == lsp.CompletionItemKind.EnumMember for item in org_types.values())

    client.change(uri, 8, replace_all(text))
    assert client.diagnostics(uri, version=8) == []


def test_formatting_gives_the_canonical_text(client: Client, opened: dict[str, str]) -> None:
    uri = opened[REGIME_2009.name]
    text = REGIME_2009.read_text(encoding="utf-8")
    messy = text.replace("org types ", "org   types   ", 1)
    client.change(uri, 10, replace_all(messy))
    (edit,) = client.request(
        "textDocument/formatting",
        lsp.DocumentFormattingParams(doc(uri), lsp.FormattingOptions(tab_size=2, insert_spaces=True)),
        list[lsp.TextEdit],
    )
    assert edit.range.start == lsp.Position(line=0, character=0)
    assert edit.new_text == format_text(str(REGIME_2009), messy)[0] == text
    client.change(uri, 11, replace_all(text))
    assert client.diagnostics(uri, version=11) == []
    assert (
        client.request(
            "textDocument/formatting",
            lsp.DocumentFormattingParams(doc(uri), lsp.FormattingOptions(tab_size=2, insert_spaces=True)),
        )
        == []
    )


def test_rename_changes_every_occurrence_in_base_and_variant_and_refuses_a_taken_name(
    client: Client, opened: dict[str, str]
) -> None:
    base = BASE.read_text(encoding="utf-8")
    variant = VARIANT.read_text(encoding="utf-8")
    where = position_of(base, "\naverage_score =", within=3)
    uri = opened[BASE.name]
    prepared = client.request("textDocument/prepareRename", lsp.PrepareRenameParams(doc(uri), where), lsp.Range)
    assert prepared.start.character == 0 and prepared.end.character == len("average_score")

    result = client.request("textDocument/rename", lsp.RenameParams(doc(uri), where, "mean_score"), lsp.WorkspaceEdit)
    assert result.changes is not None
    assert len(result.changes[opened[BASE.name]]) == uses(base, "average_score")
    assert len(result.changes[opened[VARIANT.name]]) == uses(variant, "average_score")
    assert {e.new_text for edits in result.changes.values() for e in edits} == {"mean_score"}

    with pytest.raises(ServerError, match="`delivery_score` is already taken"):
        client.request("textDocument/rename", lsp.RenameParams(doc(uri), where, "delivery_score"))
    with pytest.raises(ServerError, match="keyword"):
        client.request("textDocument/rename", lsp.RenameParams(doc(uri), where, "metric"))


def test_outline_groups_metrics_by_domain(client: Client, opened: dict[str, str]) -> None:
    symbols = client.request(
        "textDocument/documentSymbol", lsp.DocumentSymbolParams(doc(opened[BASE.name])), list[lsp.DocumentSymbol]
    )
    domain = next(s for s in symbols if s.name == "operating_priorities")
    assert domain.kind == lsp.SymbolKind.Module and domain.children
    uec = next(c for c in domain.children if c.name == "urgent_emergency_care")
    assert "ae_4_hours" in {m.name for m in uec.children or []}
    assert not any(s.kind == lsp.SymbolKind.Field for s in symbols)  # every metric of this policy has its domain
    for symbol in symbols:
        assert symbol.range.start.line <= symbol.selection_range.start.line <= symbol.range.end.line


def test_semantic_tokens_colour_comments_keywords_names_numbers_and_strings(
    client: Client, opened: dict[str, str]
) -> None:
    assert client.initialized is not None and client.initialized.capabilities.semantic_tokens_provider is not None
    legend = client.initialized.capabilities.semantic_tokens_provider.legend.token_types
    result = client.request(
        "textDocument/semanticTokens/full", lsp.SemanticTokensParams(doc(opened[VARIANT.name])), lsp.SemanticTokens
    )
    data = result.data
    first_line = VARIANT.read_text(encoding="utf-8").split("\n")[0]
    assert len(data) % 5 == 0 and list(data[:5]) == [0, 0, len(first_line), legend.index("comment"), 0]
    kinds = {legend[data[n + 3]] for n in range(0, len(data), 5)}
    assert {"keyword", "variable", "number", "string", "comment"} <= kinds


TIERED = """policy "CQC" version "1"
org types acute
scale rating: outstanding "Outstanding" > good "Good" > requires_improvement "Requires improvement" > inadequate
  tiers high: outstanding, good; middle: requires_improvement; low: inadequate
input inspected: rating for acute
rated = when inspected is good: good otherwise: inspected
"""


def test_a_scales_tiers_are_hovered_completed_coloured_and_renamed_with_its_labels(
    client: Client, tmp_path: Path
) -> None:
    uri = client.open(tmp_path / "tiered.policy", TIERED)
    assert client.diagnostics(uri) == []
    scale = hover(client, uri, position_of(TIERED, "scale rating", within=len("scale r")))
    assert "tiers high: outstanding, good; middle: requires_improvement; low: inadequate" in scale
    tier = hover(client, uri, position_of(TIERED, "middle:", within=2))
    assert tier.startswith("**tier** `middle` of scale `rating`: `requires_improvement`")
    label = hover(client, uri, position_of(TIERED, "is good", within=len("is g")))
    assert "tiers high: outstanding, good" in label

    # typing a second scale's tiers: the tiers not yet given, then the values not yet placed
    text = append(client, uri, 2, TIERED, "scale s: a > b > c\n  tiers ")
    assert set(complete(client, uri, end_of(text))) == {"high", "middle", "low"}
    text = append(client, uri, 3, text, "high: a, ")
    offered = complete(client, uri, end_of(text))
    assert set(offered) == {"b", "c"} and offered["b"].kind == lsp.CompletionItemKind.EnumMember
    text = append(client, uri, 4, text, "b; ")
    assert set(complete(client, uri, end_of(text))) == {"middle", "low"}
    client.change(uri, 5, replace_all(TIERED))
    assert client.diagnostics(uri, version=5) == []

    legend = client.initialized.capabilities.semantic_tokens_provider.legend.token_types  # type: ignore[union-attr]
    data = client.request("textDocument/semanticTokens/full", lsp.SemanticTokensParams(doc(uri)), lsp.SemanticTokens)
    source_line = position_of(TIERED, "  tiers ").line
    line = 0
    kinds: dict[str, list[int]] = {}  # the semantic tokens of the tiers line, by kind: their lengths
    for n in range(0, len(data.data), 5):
        line += data.data[n]
        if line == source_line:
            kinds.setdefault(legend[data.data[n + 3]], []).append(data.data[n + 2])
    assert kinds["keyword"] == [len("tiers")]
    assert len(kinds["enumMember"]) == 7  # three tiers and four values

    where = position_of(TIERED, "good", within=1)
    result = client.request("textDocument/rename", lsp.RenameParams(doc(uri), where, "fine"), lsp.WorkspaceEdit)
    assert result.changes is not None and len(result.changes[uri]) == uses(TIERED, "good") == 4
    with pytest.raises(ServerError, match="cannot be renamed"):
        client.request("textDocument/rename", lsp.RenameParams(doc(uri), position_of(TIERED, "middle:"), "centre"))


def test_shutdown_and_exit_end_the_server(client: Client, opened: dict[str, str]) -> None:
    assert client.close() == 0
