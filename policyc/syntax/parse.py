"""The Lark parser, loaded from its shipped tables; syntax errors become diagnostics, and parsing resumes at the next
declaration."""

from __future__ import annotations

import functools
import re
import unicodedata

import lark
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from policyc.syntax import tables
from policyc.syntax.diagnostics import Diagnostics, did_you_mean
from policyc.syntax.source import Source

MAX_SYNTAX_ERRORS = 20

# What a terminal is called in a message.
TERMINAL_NAMES = {
    "NAME": "a name",
    "NUMBER": "a number",
    "STRING": 'a quoted string ("...")',
    "PERIOD": "a period such as 2025Q3",
    "YESNO": "`yes/no`",
    "$END": "the end of the file",
    "COLON": "`:`",
    "COMMA": "`,`",
    "EQUAL": "`=`",
    "LPAR": "`(`",
    "RPAR": "`)`",
    "DOT": "`.`",
    "MORETHAN": "`>`",
}

# Declarations begin with one of these at the start of a line; after a syntax error, parsing
# resumes at the next line that begins with one (or with `name =`).
DECLARATION_START = re.compile(
    r"^(policy|org|cohort|outcome|scale|domain|input|judgement|metric|test|replace)\b|^[A-Za-z_][A-Za-z0-9_]*[ \t]*=",
    re.MULTILINE,
)


# The lexer hands comments (which the grammar ignores) to whichever list is collecting them.
_comment_sink: list[list[lark.Token]] = [[]]


@functools.cache
def parser() -> lark.Lark:
    return tables.load(lexer_callbacks={"COMMENT": lambda token: _comment_sink[-1].append(token)})


@functools.cache
def keywords() -> frozenset[str]:
    """Every keyword of the language (for "did you mean" and reserved-name checks)."""
    out = set()
    for term in parser().terminals:
        pattern = term.pattern
        if pattern.type == "str" and re.fullmatch(r"[a-z][a-z/]*", pattern.value):
            out.add(pattern.value)
    return frozenset(out)


def _describe(terminals) -> list[str]:
    names = set()
    for name in terminals:
        if name in TERMINAL_NAMES:
            names.add(TERMINAL_NAMES[name])
            continue
        try:
            pattern = parser().get_terminal(name).pattern
        except KeyError:
            names.add(name.lower())
            continue
        names.add(f"`{pattern.value}`" if pattern.type == "str" else name.lower())
    return sorted(names)


def _expected_text(names: list[str]) -> str:
    if len(names) > 8:
        return "expected a declaration, clause or expression here"
    if len(names) == 1:
        return f"expected {names[0]}"
    return "expected " + ", ".join(names[:-1]) + f" or {names[-1]}"


def _record(error: UnexpectedInput, source: Source, diags: Diagnostics, end: int | None = None) -> int:
    """Add a diagnostic for one syntax error; return the offset it occurred at.

    `end` is where the text that failed stops, when it is a declaration cut short by the next one.
    """
    if isinstance(error, UnexpectedEOF) or (isinstance(error, UnexpectedToken) and error.token.type == "$END"):
        offset = len(source.text[:end].rstrip())
        message = "this declaration is unfinished" if end is not None else "unexpected end of file"
        expected = error.expected if isinstance(error, UnexpectedEOF) else (error.accepts or error.expected)
        diags.error("PC101", message, source.span(max(0, offset - 1), offset), _expected_text(_describe(expected)))
        return offset
    if isinstance(error, UnexpectedCharacters):
        # lark declares `pos_in_stream = None` on UnexpectedInput; UnexpectedCharacters sets it to the lexer's offset.
        offset = error.pos_in_stream  # type: ignore[assignment]
        char = source.text[offset] if offset < len(source.text) else ""
        if char == '"':
            line_end = source.text.find("\n", offset)
            line_end = len(source.text) if line_end < 0 else line_end
            diags.error(
                "PC103",
                "unterminated string",
                source.span(offset, line_end),
                'close the string with `"` on the same line',
            )
        elif unicodedata.category(char) == "Nd":
            diags.error(
                "PC106",
                f"`{char}` (U+{ord(char):04X} {unicodedata.name(char, 'a digit')}) is not a digit a number can use",
                source.span(offset, offset + 1),
                "write numbers with the digits 0 to 9",
            )
        else:
            shown = repr(char)[1:-1] if char.isprintable() else f"U+{ord(char):04X}"
            diags.error(
                "PC102",
                f"unexpected character `{shown}`",
                source.span(offset, offset + 1),
                "remove it; names are letters, digits and `_`, and text goes in double quotes",
            )
        return offset
    assert isinstance(error, UnexpectedToken)
    token = error.token
    offset = token.start_pos
    expected = error.accepts or error.expected
    taught = _teach(error, source)
    if taught is not None:
        message, (start, stop), help_text = taught
        diags.error("PC101", message, source.span(start, stop), help_text)
        return offset
    if _stray_word(error, source, diags):
        return offset
    names = _describe(expected)
    help_text = _expected_text(names)
    if token.type == "NAME" or str(token) in keywords():
        candidates = [
            parser().get_terminal(t).pattern.value
            for t in expected
            if t in {term.name for term in parser().terminals} and parser().get_terminal(t).pattern.type == "str"
        ]
        hint = did_you_mean(str(token), candidates)
        if hint:
            help_text = hint if len(names) == 1 else f"{hint} ({help_text})"
        elif str(token) in keywords() and "NAME" in expected:
            help_text = f"`{token}` is a keyword of the language; choose another name"
    diags.error("PC101", f"unexpected `{token}`", source.span(offset, offset + len(str(token))), help_text)
    return offset


WORD_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)[ \t]*$")
# What a newcomer writes from other languages, found around a syntax error, and the form the language has.
_EQUALS = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)[ \t]*(==?)[ \t]*([^\s:]+)")
_IS_ORDER = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)[ \t]+is[ \t]+(not[ \t]+)?(better|worse)[ \t]+than[ \t]+([^\s:]+)")
_IF = re.compile(r"(?<![\w.])(if|then|else)\b")
_TEXT = re.compile(r'"[^"\n]*"?|#.*')  # strings and a comment, which hold words that are not code


def _teach(error: UnexpectedToken, source: Source) -> tuple[str, tuple[int, int], str] | None:
    """The message, span and help for a syntax error that is a form of another language, if it is one."""
    token = error.token
    at = token.start_pos or 0
    line_start = source.text.rfind("\n", 0, at) + 1
    line_end = source.text.find("\n", at)
    line = source.text[line_start : len(source.text) if line_end < 0 else line_end]
    line = _TEXT.sub(lambda m: " " * len(m.group()), line)  # the same length, so offsets still hold
    expected = set(error.accepts or error.expected)
    for found in _IS_ORDER.finditer(line):
        if line_start + found.start() <= at <= line_start + found.end():
            a, negated, order, b = found.group(1), found.group(2), found.group(3), found.group(4)
            right = f"not {a} {order} than {b}" if negated else f"{a} {order} than {b}"
            wrong = found.group(0)
            return (
                f"`{wrong}` is not a comparison of the language",
                (line_start + found.start(), line_start + found.end()),
                f"write `{right}`: `better than` and `worse than` compare without `is`",
            )
    if token.type == "EQUAL" and "IS" in expected:
        for found in _EQUALS.finditer(line):
            if line_start + found.start(2) == at:
                return (
                    f"`{found.group(2)}` does not compare",
                    (at, at + len(found.group(2))),
                    f"write `{found.group(1)} is {found.group(3)}`: `is` compares a value (and `=` names one)",
                )
    conditional = _IF.search(line)
    if conditional is not None and line_start + conditional.start() <= at:
        start = line_start + conditional.start()
        return (
            f"`{conditional.group(1)}` is not part of the language",
            (start, start + len(conditional.group(1))),
            "choose a value with a decision table: `when CONDITION: VALUE` rows, then `otherwise: VALUE`",
        )
    if token.type == "COLON" and re.match(r"[ \t]*(replace[ \t]+)?metric\b", line):
        return (
            "a metric's title is not followed by `:`",
            (at, at + 1),
            'write `metric NAME "Title" UNIT, ...` with no colon (an `input` has one: `input NAME "Title": UNIT`)',
        )
    return None


def _stray_word(error: UnexpectedToken, source: Source, diags: Diagnostics) -> bool:
    """Report the word that caused an error found one token later, if that is what happened.

    A misspelt keyword inside a clause (`rankd, standard 98`) or an expression (`a ana b`) reads
    as the name of a new declaration, so the parser only objects to the token after it, wanting
    `=`; and a keyword used as a value's name (`test = ...`) fails at the `=`.
    """
    token = error.token
    expected = set(error.accepts or error.expected)
    before = WORD_BEFORE.search(source.text, 0, token.start_pos)
    if before is None:
        return False
    word = before.group(1)
    span = source.span(before.start(1), before.end(1))
    if expected == {"EQUAL"} and token.type != "EQUAL":
        hint = did_you_mean(word, keywords())
        diags.error(
            "PC101",
            f"unexpected `{word}`",
            span,
            hint or f"a new value is written `{word} = ...`; otherwise `{word}` has no place here",
        )
        return True
    line_start = source.text.rfind("\n", 0, before.start(1)) + 1
    if token.type == "EQUAL" and word in keywords() and not source.text[line_start : before.start(1)].strip():
        diags.error(
            "PC101",
            f"`{word}` cannot name a value",
            span,
            f"`{word}` is a keyword of the language; choose another name",
        )
        return True
    return False


def parse(source: Source, diags: Diagnostics) -> tuple[lark.Tree | None, list[lark.Token]]:
    """The parse tree and the comments, or None (with diagnostics) when the text has syntax errors.

    After an error, the rest of the file is parsed from the next declaration, so one run reports
    the syntax errors of every declaration, not only the first.
    """
    text = source.text
    offset = 0
    errors = 0
    while True:
        found: list[lark.Token] = []
        try:
            tree = _parse_with_comments(_masked(text, offset), found)
            if errors == 0:
                return tree, found
            return None, []
        except UnexpectedInput as error:
            errors += 1
            error, resume_at = _unfinished_before(error, text, offset)
            at = _record(error, source, diags, end=resume_at)
            if errors >= MAX_SYNTAX_ERRORS:
                return None, []
            if resume_at is None:
                resume = DECLARATION_START.search(text, _next_line(text, at))
                if resume is None:
                    return None, []
                resume_at = resume.start()
            offset = resume_at


def _masked(text: str, offset: int) -> str:
    """The text with everything before `offset` blanked out, so positions stay those of the file."""
    return re.sub(r"[^\n]", " ", text[:offset]) + text[offset:]


def _unfinished_before(error: UnexpectedInput, text: str, offset: int):
    """When an error lies on a line that opens a declaration, the declaration before may be unfinished.

    (`a = 1 +` followed by `metric m ...` reads `metric` as a name.) If the text before that line
    fails on its own at its end, that is the error to report, and parsing resumes at the line.
    """
    position = getattr(error, "pos_in_stream", None)
    if position is None and isinstance(error, UnexpectedToken):
        position = error.token.start_pos
    if position is None:
        return error, None
    line_start = text.rfind("\n", 0, position) + 1
    if line_start <= offset or not DECLARATION_START.match(text, line_start):
        return error, None
    try:
        parser().parse(_masked(text[:line_start], offset))
    except UnexpectedInput as earlier:
        ended = isinstance(earlier, UnexpectedEOF) or (
            isinstance(earlier, UnexpectedToken) and earlier.token.type == "$END"
        )
        if ended:
            return earlier, line_start
    return error, None


def _next_line(text: str, offset: int) -> int:
    end = text.find("\n", offset)
    return len(text) if end < 0 else end + 1


def _parse_with_comments(text: str, comments: list[lark.Token]) -> lark.Tree:
    _comment_sink.append(comments)
    try:
        return parser().parse(text)
    finally:
        _comment_sink.pop()
