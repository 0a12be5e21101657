"""What the values of a program rest on: the names their rules read, followed from one rule to the next."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .nodes import Decl, Program, reads


def reads_of(decls: Iterable[Decl]) -> list[str]:
    """The names any of these declarations' rules read, each once, in the order they are first read."""
    return list(dict.fromkeys(name for decl in decls for name in reads(decl)))


def closure(program: Program, names: Iterable[str], stop: Callable[[str], bool] | None = None) -> list[str]:
    """`names` and every value they rest on, in declaration order; a name the program does not declare is left out.

    A name for which `stop` holds is kept, but what its rule reads is not followed through it (a value the
    table gives needs nothing its rule reads).
    """
    decls = {d.name: d for d in program.decls}
    found: set[str] = set()
    pending = [name for name in names if name in decls]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        if stop is None or not stop(name):
            pending.extend(n for n in reads(decls[name]) if n in decls)
    return [d.name for d in program.decls if d.name in found]


def upstream(program: Program, names: Iterable[str]) -> list[str]:
    """The values `names` rest on, in declaration order: what they read, and what that reads, on down.

    One of `names` is among them only when another of them rests on it.
    """
    decls = {d.name: d for d in program.decls}
    return closure(program, reads_of(decls[name] for name in names if name in decls))
