"""Control characters in user text never reach the terminal raw."""

from hypothesis import given
from hypothesis import strategies as st

from policyc.syntax.text import printable


def test_escapes_name_the_character() -> None:
    assert printable("a\x1b[31mb") == "a\\x1b[31mb"
    assert printable("one\ntwo\r\tthree") == "one\\ntwo\\r\\tthree"
    assert printable("\u202eevil\u2028") == "\\u202eevil\\u2028"
    assert printable("\x9b") == "\\x9b"


def test_printable_text_is_unchanged() -> None:
    assert printable("Trust £ é ≥ 80% \\x1b") == "Trust £ é ≥ 80% \\x1b"


@given(st.text())
def test_no_control_character_survives(text: str) -> None:
    shown = printable(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c in "\u2028\u2029" for c in shown)
