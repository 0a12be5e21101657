"""The space of organisation profiles that a search of two policies draws from: each column's strategies, by how
a row's values of one policy fall, and a profile as the frame a policy reads."""

from __future__ import annotations

import math

import attrs
import numpy as np
from hypothesis import strategies as st

from policyc.backend import runtime
from policyc.data import results
from policyc.ir import nodes as ir
from policyc.ir import walk
from policyc.semantics.types import Type

SUBJECT = "subject"
Pair = tuple[str | None, str | None]  # the two outcomes as reported; None where a policy gives none
Row = dict[str, results.Value]
Profile = tuple[str, tuple[Row, ...]]  # an org type and its cohort, the subject first

# How a row's numbers and metrics of one policy are drawn: none present, anywhere, or each where it scores highest
# or lowest; and its yes/no and label inputs (judgements, flags, ratings: few values each, and often a gate): any
# value, or each its first value (as declared; no before yes) or its last. Whatever the way, a value may be missing:
# the first ways are the shrink targets, and the simplest witness leaves out what does not matter.
NUMBERS = ("absent", "anywhere", "highest", "lowest")
GATES = ("any", "first", "last")


def _walk(expr: ir.Expr):
    yield expr
    for child in ir.children(expr):
        yield from _walk(child)


def _nodes(decl: ir.Derived):
    for expr in (decl.expr, *(e for adjust in decl.adjusts for e in (adjust.value, adjust.condition))):
        yield from _walk(expr)


def _marks(program: ir.Program) -> dict[str, set[float]]:
    """Each number column's thresholds: band bounds, standards, floors and constants it is compared with."""
    marks: dict[str, set[float]] = {c.name: set() for c in program.columns if c.type.kind == "number"}
    for decl in program.decls:
        if isinstance(decl, ir.Score) and isinstance(decl.scoring, ir.Ranked):
            marks[decl.metric].update(x for x in (decl.scoring.standard, decl.scoring.floor) if x is not None)
        elif isinstance(decl, ir.Score) and isinstance(decl.scoring, ir.Bands):
            marks[decl.metric].update(
                x for band in decl.scoring.rows for x in (band.lower, band.upper) if x is not None
            )
        elif isinstance(decl, ir.Derived):
            for node in _nodes(decl):
                if isinstance(node, ir.Binary) and node.op in ("<", "<=", ">", ">=", "==", "!="):
                    for side, other in ((node.left, node.right), (node.right, node.left)):
                        if (
                            isinstance(side, ir.Load)
                            and side.name in marks
                            and isinstance(other, ir.Const)
                            and other.value is not None
                        ):
                            marks[side.name].add(float(other.value))
    return marks


def _peer_columns(program: ir.Program) -> set[str]:
    """The columns through which the other organisations of a cohort reach a row's result: those that feed a
    cohort function or a metric scored against the cohort."""
    decls = {d.name: d for d in program.decls}
    stack: list[str] = []
    for decl in program.decls:
        if isinstance(decl, ir.Score) and isinstance(decl.scoring, (ir.Ranked, ir.Relative)):
            stack.append(decl.metric)
        elif isinstance(decl, ir.Derived):
            for node in _nodes(decl):
                if isinstance(node, (ir.Cohort, ir.Quantile, ir.Quartile)):
                    stack.extend(ir.loads(node))  # its operand, and the value that groups the rows
    return {name for name in walk.closure(program, stack) if isinstance(decls[name], ir.Column)}


def together(program: ir.Program) -> list[set[str]]:
    """For each derived value reading several columns (themselves, or through their scores), those columns."""
    decls = {d.name: d for d in program.decls}
    groups = []
    for decl in program.decls:
        if isinstance(decl, ir.Derived):
            read = [decls[n] for n in ir.reads(decl) if isinstance(decls.get(n), (ir.Column, ir.Score))]
            group = {d.metric if isinstance(d, ir.Score) else d.name for d in read}
            if len(group) > 1:
                groups.append(group)
    return groups


def _score(scoring: ir.Scoring, value: float) -> float | None:
    """The score a value gets where that does not depend on the cohort (a ranked value neither meeting the
    standard nor failing the floor: the middle of its spread); None where no band holds it, or it always does."""
    if isinstance(scoring, ir.Bands):
        return next((float(band.result) for band in scoring.rows if band.holds(value)), None)
    if isinstance(scoring, ir.Ranked):
        higher, standard, floor = scoring.higher, scoring.standard, scoring.floor
        if standard is not None and (value >= standard if higher else value <= standard):
            return 1.0
        if floor is not None and (value < floor if higher else value > floor):
            return 4.0
        return ((1.0 if standard is None else 2.0) + (4.0 if floor is None else 3.0)) / 2
    return None


def _number(unit: str | None, marks: set[float], scoring: ir.Scoring | None) -> dict[str, st.SearchStrategy]:
    """A number column's strategy in each way of drawing numbers (NUMBERS). Anywhere: missing first, then each
    threshold and the values just either side of it, then integers and one-decimal numbers over a range that holds
    the thresholds. Highest and lowest: those of the thresholds and their neighbours that score highest or lowest."""
    near = list(dict.fromkeys(round(m + d, 6) for m in sorted(marks) for d in (0, -0.1, 0.1, -1, 1)))
    if unit == "percent":
        lo, hi = min([0.0, *near]), max([100.0, *near])
    elif marks:
        lo, hi = min(marks) - 50, max(marks) + 50
    else:
        lo, hi = 0.0, 10.0
    anywhere = st.one_of(
        [st.none()]
        + ([st.sampled_from(near)] if near else [])
        + [
            st.integers(math.ceil(lo), math.floor(hi)).map(float),
            st.floats(lo, hi, allow_nan=False).map(lambda x: min(max(round(x, 1), lo), hi)),
        ]
    )
    out = {"absent": st.none(), "anywhere": anywhere, "highest": anywhere, "lowest": anywhere}
    scored = {x: s for x in near if scoring is not None and (s := _score(scoring, x)) is not None}
    if len(set(scored.values())) > 1:
        for mode, pick in (("highest", max), ("lowest", min)):
            best = pick(scored.values())
            out[mode] = st.sampled_from((None, *(x for x, s in scored.items() if s == best)))
    return out


def _mapped(labels: tuple[str, ...], scoring: ir.Mapped, allowed: tuple[str, ...]) -> dict[str, st.SearchStrategy]:
    """A metric scored by a mapping of its labels (of those `allowed`), in each way of drawing numbers."""
    scores = {label: score for label, score in zip(labels, scoring.scores, strict=True) if label in allowed}
    out = {"absent": st.none(), "anywhere": st.sampled_from((None, *scores))}
    for mode, pick in (("highest", max), ("lowest", min)):
        best = pick(scores.values())
        out[mode] = st.sampled_from((None, *(label for label, score in scores.items() if score == best)))
    return out


def _merged_types(a: ir.Program, b: ir.Program) -> dict[str, Type]:
    """Each column either policy reads, with the one type a shared table would give it."""
    types = {c.name: c.type for c in a.columns}
    for column in b.columns:
        mine = types.get(column.name)
        if mine is None:
            types[column.name] = column.type
        elif mine.kind != column.type.kind and {mine.kind, column.type.kind} != {"labels", "scale"}:
            raise ValueError(
                f"column `{column.name}` is {mine} under one policy and {column.type} under the other; "
                "one table cannot hold both"
            )
        elif mine.kind in ("labels", "scale"):
            # only the labels both policies can read
            both = tuple(x for x in mine.labels if x in column.type.labels)
            if not both:
                raise ValueError(
                    f"column `{column.name}` is {mine} under one policy and {column.type} under the "
                    "other: no value that both can read"
                )
            types[column.name] = attrs.evolve(mine, labels=both)
    return types


class Space:
    """The profiles of two policies: each column's strategies, and which columns each policy reads."""

    def __init__(self, a: ir.Program, b: ir.Program, cohort_size: int):
        self.programs = (a, b)
        self.cohort_size = cohort_size
        self.types = _merged_types(a, b)
        self.peer = _peer_columns(a) | _peer_columns(b)
        marks: dict[str, set[float]] = {}
        scorings: dict[str, tuple[ir.Scoring, Type]] = {}  # each metric's scoring, and its type where scored so
        for program in (b, a):  # A's last: where both score a column, A's scoring picks its bands
            for name, found in _marks(program).items():
                marks.setdefault(name, set()).update(found)
            scorings.update(
                {d.metric: (d.scoring, program.decl(d.metric).type) for d in program.decls if isinstance(d, ir.Score)}
            )
        self.strategies: dict[str, dict[str, st.SearchStrategy]] = {}
        for name, kind in self.types.items():
            scored = scorings.get(name)
            if kind.kind == "number":
                self.strategies[name] = _number(kind.unit, marks.get(name, set()), scored[0] if scored else None)
            elif scored is not None and isinstance(scored[0], ir.Mapped):
                self.strategies[name] = _mapped(scored[1].labels, scored[0], kind.labels)
            else:
                values = (False, True) if kind.kind == "bool" else kind.labels
                # present three times in four: a row's gates that agree are of use all present, or nearly
                self.strategies[name] = {
                    "any": st.sampled_from((None, *values)),
                    "first": st.sampled_from((None, *[values[0]] * 3)),
                    "last": st.sampled_from((None, *[values[-1]] * 3)),
                }
        self.built: dict[tuple, st.SearchStrategy] = {}

    @property
    def independent(self) -> bool:
        a, b = ({c.name for c in p.columns} for p in self.programs)
        return not a & b

    def profiles(self, org_types: tuple[str, ...], sides: tuple[int, ...] = (0, 1)) -> st.SearchStrategy:
        """Profiles of one of `org_types` holding the columns of the policies `sides`: a cohort of 1 to
        `cohort_size` organisations, the subject first. The subject holds every column those policies read for its
        type, the peers only those that reach the subject through the cohort. Each row draws, for each policy, how
        its values fall (NUMBERS, GATES): a good or bad result often needs every value of a policy that is present
        to be good or bad together, which values drawn one by one hardly ever are."""

        def row(org_type: str, peer: bool) -> st.SearchStrategy:
            ways = st.tuples(st.sampled_from(NUMBERS), st.sampled_from(GATES))
            return st.tuples(*(ways for _ in sides)).flatmap(lambda modes: self._row(org_type, peer, sides, modes))

        def cohort(org_type: str) -> st.SearchStrategy:
            return st.tuples(
                st.just(org_type), row(org_type, False), st.lists(row(org_type, True), max_size=self.cohort_size - 1)
            ).map(lambda parts: (parts[0], (parts[1], *parts[2])))

        return st.one_of([cohort(t) for t in org_types])

    def _row(
        self, org_type: str, peer: bool, sides: tuple[int, ...], modes: tuple[tuple[str, str], ...]
    ) -> st.SearchStrategy:
        key = (org_type, peer, sides, modes)
        if key not in self.built:
            columns: dict[str, st.SearchStrategy] = {}
            for side, (numbers, gates) in zip(sides, modes, strict=True):
                program = self.programs[side]
                position = program.org_types.index(org_type)
                for column in program.columns:
                    if position in column.applies and (not peer or column.name in self.peer):
                        ways = self.strategies[column.name]
                        columns.setdefault(column.name, ways[numbers] if numbers in ways else ways[gates])
            self.built[key] = st.fixed_dictionaries(columns)
        return self.built[key]


# ---------------------------------------------------------------- evaluating a profile


def _encode(kind: Type, value: results.Value) -> float:
    if value is None:
        return math.nan
    if kind.kind == "bool":
        return 1.0 if value else 0.0
    if kind.kind in ("labels", "scale"):
        return float(kind.labels.index(value))
    return float(value)


def orgs(n: int) -> tuple[str, ...]:
    """The org codes of a profile of `n` organisations: the subject, then peer1, peer2, ..."""
    return (SUBJECT, *(f"peer{k}" for k in range(1, n)))


def profile_frame(program: ir.Program, org_type: str, rows: tuple[Row, ...]) -> runtime.Frame:
    """A profile as a policy reads it: every column the policy reads, missing where the profile leaves it out."""
    return runtime.Frame(
        org=orgs(len(rows)),
        org_type=np.full(len(rows), program.org_types.index(org_type), dtype=np.int64),
        period=None,
        columns={
            c.name: np.array([_encode(c.type, row.get(c.name)) for row in rows], dtype=np.float64)
            for c in program.columns
        },
    )
