"""The parser's shipped tables: made from the grammar as it is, parsing as the grammar does, and never a cache
from the shared temporary folder."""

from __future__ import annotations

import getpass
import hashlib
import pickle
import subprocess
import sys
from pathlib import Path

import lark
import pytest

from policyc.syntax import tables
from policyc.syntax.parse import parser

ROOT = Path(__file__).parent.parent
POLICIES = sorted(ROOT.glob("policies/*.policy")) + sorted((ROOT / "tests" / "policies").rglob("*.policy"))


def test_the_tables_are_made_from_the_grammar_as_it_is():
    document = tables.read_tables()
    assert document["grammar_sha256"] == tables.fingerprint(tables.grammar_text())["grammar_sha256"], (
        "policy.lark changed since its tables were made: run `python -m policyc.syntax.tables`"
    )
    assert document["lark"] == lark.__version__, "run `python -m policyc.syntax.tables` for this version of Lark"


@pytest.fixture(scope="module")
def from_grammar() -> lark.Lark:
    return lark.Lark(tables.grammar_text(), **tables.OPTIONS)


def _outcome(parser_: lark.Lark, text: str) -> object:
    try:
        return parser_.parse(text)
    except lark.exceptions.UnexpectedInput as error:
        return type(error).__name__, error.line, error.column


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_shipped_tables_parse_as_the_grammar_does(path, from_grammar):
    text = path.read_text(encoding="utf-8-sig")
    assert _outcome(parser(), text) == _outcome(from_grammar, text)


def test_the_encoding_gives_back_exactly_what_it_was_given():
    data, memo = tables.serialized(lark.Lark(tables.grammar_text(), **tables.OPTIONS))
    document = tables.read_tables()
    # The state numbers differ from one build to the next; the shapes must not.
    assert type(document["data"]) is type(data) and document["data"].keys() == data.keys()
    states = document["data"]["parser"]["parser"]["states"]
    assert all(isinstance(state, int) for state in states)
    assert all(isinstance(action, tuple) for row in states.values() for action in row.values())
    assert document["memo"] == memo


class _Plant:
    """A pickle that, when loaded, creates a file: what a hostile user could leave in the temporary folder."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _lark_cache(tmp: Path) -> tuple[Path, str]:
    """The file Lark reads for `cache=True` with the parser's options, and the digest its first line must hold
    (lark/lark.py, `Lark.__init__`)."""
    options = {**tables.OPTIONS, "cache": True}
    hashed = tables.grammar_text() + "".join(k + str(v) for k, v in options.items()) + lark.__version__
    digest = hashlib.sha256((hashed + str(sys.version_info[:2])).encode("utf8")).hexdigest()
    major, minor = sys.version_info[:2]
    return tmp / f".lark_cache_{getpass.getuser()}_{digest}_{major}_{minor}.tmp", digest


def _run(code: str, tmp: Path) -> None:
    env = {"TMPDIR": str(tmp), "PATH": "/usr/bin:/bin", "HOME": str(tmp)}
    subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, check=True, capture_output=True)


def test_a_cache_planted_in_the_temporary_folder_is_never_loaded(tmp_path):
    planted, digest = _lark_cache(tmp_path)
    lark_marker = tmp_path / "loaded_by_lark"
    policyc_marker = tmp_path / "loaded_by_policyc"
    with planted.open("wb") as f:
        f.write(digest.encode() + b"\n")
        pickle.dump(_Plant(lark_marker), f)

    # The file is the one Lark itself would load, given the parser's options and `cache=True`.
    _run(
        "import lark; from policyc.syntax import tables\n"
        "lark.Lark(tables.grammar_text(), **tables.OPTIONS, cache=True)",
        tmp_path,
    )
    assert lark_marker.exists()

    with planted.open("wb") as f:
        f.write(digest.encode() + b"\n")
        pickle.dump(_Plant(policyc_marker), f)
    _run("from policyc.syntax.parse import parser; parser().parse('policy \"P\"\\norg types acute\\n')", tmp_path)
    assert not policyc_marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([planted.name, lark_marker.name])
