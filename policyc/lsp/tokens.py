"""The policy's tokens as the parser's own lexer reads them, and the semantic tokens an editor colours by."""

from __future__ import annotations

import copy
import functools

import lark
from lark.exceptions import UnexpectedCharacters
from lark.lexer import BasicLexer, LexerThread
from lsprotocol import types as lsp

from policyc.syntax.parse import keywords, parser
from policyc.syntax.source import Source

from .index import Index
from .positions import utf16_length

TOKEN_TYPES = ["keyword", "variable", "function", "type", "namespace", "enumMember", "number", "string", "comment"]
TOKEN_MODIFIERS = ["declaration"]
LEGEND = lsp.SemanticTokensLegend(token_types=TOKEN_TYPES, token_modifiers=TOKEN_MODIFIERS)

# What each namespace of the index is coloured as.
KIND_TYPE = {
    "value": "variable",
    "function": "function",
    "scale": "type",
    "unit": "type",
    "domain": "namespace",
    "subdomain": "namespace",
    "cohort": "namespace",
    "label": "enumMember",
    "org_type": "enumMember",
    "tier": "enumMember",
}
WORDS = ("NAME", "NUMBER", "PERIOD", "STRING", "COMMENT")


@functools.cache
def _lexer() -> BasicLexer:
    # The parser's lexer configuration, without the callback that collects comments for the parser
    # and keeping comments as tokens: an editor colours them.
    conf = copy.copy(parser().lexer_conf)
    conf.callbacks = {}
    conf.ignore = ("WS",)
    return BasicLexer(conf)


def is_keyword(token: lark.Token) -> bool:
    return token.type not in WORDS and str(token) in keywords()


def lex(text: str, start: int = 0) -> list[lark.Token]:
    """The tokens of `text[start:]`, positions in `text`; a character the language has no place for is skipped."""
    out: list[lark.Token] = []
    while start < len(text):
        try:
            for token in LexerThread.from_text(_lexer(), text[start:]).lex(None):
                out.append(_moved(token, start))
            return out
        except UnexpectedCharacters as error:
            # lark declares `pos_in_stream = None` on UnexpectedInput; UnexpectedCharacters sets it.
            at = start + error.pos_in_stream  # type: ignore[operator]
            if text[at] == '"':  # an unterminated string runs to the end of its line
                end = text.find("\n", at)
                end = len(text) if end < 0 else end
                out.append(lark.Token("STRING", text[at:end], start_pos=at, end_pos=end))
                start = end
            else:
                start = at + 1
    return out


def _moved(token: lark.Token, by: int) -> lark.Token:
    if by == 0:
        return token
    start = (token.start_pos or 0) + by
    return lark.Token(token.type, str(token), start_pos=start, end_pos=start + len(str(token)))


def _kind(token: lark.Token, index: Index | None, file: str) -> tuple[str, int] | None:
    if token.type == "COMMENT":
        return "comment", 0
    if token.type == "STRING":
        return "string", 0
    if token.type in ("NUMBER", "PERIOD"):
        return "number", 0
    # Without the parser's context a keyword and a name look alike (`mean(...)` calls a function,
    # `org A` in a test is a column), so what the index found at the token decides first.
    found = index.at(file, token.start_pos or 0) if index is not None else None
    if found is not None and found.span.start == token.start_pos:
        return KIND_TYPE.get(found.key[0], "variable"), 1 if found.definition else 0
    if token.type == "NAME":
        return "variable", 0
    if is_keyword(token):
        return "keyword", 0
    return None


def semantic_tokens(source: Source, index: Index | None) -> list[int]:
    """The LSP's relative encoding: per token, line and start deltas, length, type and modifiers.

    Names are coloured by what the index says they are only when the index was built from this text.
    """
    usable = index if index is not None and index.sources.get(source.path) == source else None
    data: list[int] = []
    previous_line = previous_start = 0
    for token in lex(source.text):
        kind = _kind(token, usable, source.path)
        if kind is None:
            continue
        start = token.start_pos or 0
        line, col = source.position(start)
        line_start = source.line_starts[line - 1]
        text = str(token)
        # A token never spans lines here but a string cut short by the end of the line; an editor
        # wants one token per line.
        text = text.split("\n", 1)[0]
        character = utf16_length(source.text[line_start : line_start + col - 1])
        delta_line = line - 1 - previous_line
        delta_start = character - previous_start if delta_line == 0 else character
        data.extend([delta_line, delta_start, utf16_length(text), TOKEN_TYPES.index(kind[0]), kind[1]])
        previous_line, previous_start = line - 1, character
    return data
