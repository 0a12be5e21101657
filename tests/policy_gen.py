"""A Hypothesis strategy for valid policies, as text, with a random table to evaluate them on.

The policy is assembled from parts by a small generator that knows the language's typing rules
(docs/language.md, policyc/semantics/check.py): every expression is generated for a wanted type, and
only forms that are well typed for it are chosen, so the text passes `check` by construction.
Numbers carry their unit the way the checker works it out, so that comparisons, sums and table
results never mix units. The table is drawn after the policy is checked and lowered, from the
types of its declarations.

What a policy may hold: 2-3 org types and perhaps a cohort of two; inputs and judgements that are
numbers (percent, count, score, days), yes/no, label sets (one sometimes a reordered part of
another, so that labels are recoded), the labelled scale `grade` and a numbered scale `segment`, for
some org types or all, some with a `default` for an empty cell; metrics scored `ranked` (with or
without standard and floor, either direction), by `bands` (numbers or grades, gap-free, best first),
by `scores` on labels, or by `fails more than k sd below/above mean`, perhaps weighted and in a
domain or sub-domain; and derived values of every type, built from every operator and function of
the language, decision tables with and without `otherwise`, casts to `segment` (now and then of a
number that is not on it), `previous` and `run` when the table has periods, and adjustments.
Literals include decimal halves, huge numbers and infinities; names and policy titles are sometimes
awkward in Python.

`cases()` draws a `Case` (text, frame, and the lowered program); `policy_texts()` draws text alone.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import attrs
import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from policyc.backend import runtime
from policyc.ir import nodes as ir
from policyc.ir.lower import lower
from policyc.semantics.driver import check_source
from policyc.syntax.source import Source

FILE = "gen.policy"
ANY = "*"  # a wanted unit: any unit will do

ORG_TYPE_NAMES = ("acute", "ambulance", "community")
GRADE = ("good", "fair", "poor")
METHODS = ("linear", "exclusive", "lower", "higher", "nearest", "midpoint")
QUANTILE_PS = ("0.25", "0.5", "0.75", "0", "1", "0.1", "0.9", "1/3")
# Literals in expressions: small values, the grid's boundaries, and halves that round differently in binary.
NUMBER_LITERALS = ("1", "0", "2", "0.5", "3", "4", "50", "78", "78.5", "100", "2.5", "2.675", "0.125", "1.005")
# Decimal halves whose doubles lie just below or above them.
HALVES = ("1.005", "0.285", "2.675", "0.575", "1.255", "0.125", "1.45", "2.5")
# Numbers whose products overflow to infinity (and whose differences then are not numbers).
HUGE_LITERALS = ("100000000000000000000", "1" + "0" * 300, "1" + "0" * 307)
# Infinities, whose sums and differences are not numbers (missing values, in a column).
INFINITIES = (f"({HUGE_LITERALS[1]} * {HUGE_LITERALS[1]})", f"(-({HUGE_LITERALS[1]} * {HUGE_LITERALS[1]}))")
# Names of values, now and then, that are names in the generated module or in Python.
AWKWARD_NAMES = (
    "t",
    "n",
    "rt",
    "frame",
    "notes",
    "error",
    "evaluate",
    "_evaluate",
    "_1",
    "exec",
    "eval",
    "None",
    "True",
    "class",
    "import",
    "lambda",
    "__class__",
    "__import__",
    "v_x",
    "s_m",
    "POLICY",
    "SOURCES",
    "Exception",
    "print",
    "np",
    "self",
    "return",
    "score",
)
# Policy names and versions (as written in the policy) reach the module as literals.
AWKWARD_STRINGS = (
    "Generated",
    r"a \"quoted\" name",
    "it's ''' here",
    r"back\\slash",
    "Ünïcode — name",
    "{x} %s",
    r"\"\"\"",
)
# Numbered scales, best first: from 1 up, or from 4 down.
SEGMENTS = (("1", "2", "3", "4"), ("1", "2", "3", "4", "5"), ("4", "3", "2", "1"))
# Cells of the table: few values, so that ties and boundary hits are common.
PERCENT_GRID = (50.0, 0.0, 0.5, 1.0, 2.5, 78.0, 78.5, 100.0)
COUNT_GRID = (1.0, 0.0, 2.0, 3.0, 4.0, 5.0)
NUMBER_GRID = (1.0, 0.0, -1.0, 0.5, 2.0, 2.5, 3.0, 4.0, 50.0, 78.5, 100.0, 1e300)
SCORE_GRID = (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 1.33, 2.675)
BOUNDARIES = {"percent": (0, 0.5, 1, 2.5, 50, 78, 78.5, 100), "count": (0, 1, 2, 3, 4, 5)}
NAN = math.nan


@attrs.frozen
class Ty:
    """A type as the generator tracks it: `num` with a unit (None: a plain number), `bool`, `scale`, `labels`."""

    kind: str
    unit: str | None = None
    name: str | None = None  # a scale's or a label set's name
    labels: tuple[str, ...] = ()
    numbered: bool = False
    within: str | None = None  # a label set whose labels are all labels of set `within`


BOOL = Ty("bool")
GRADE_T = Ty("scale", name="grade", labels=GRADE)


def num(unit: str | None = None) -> Ty:
    return Ty("num", unit=unit)


def fits(unit: str | None, want: str | None) -> bool:
    """Whether a number of `unit` may stand where `want` is wanted (None mixes with any unit)."""
    return want == ANY or unit is None or want is None or unit == want


def joined(*units: str | None) -> str | None:
    """The unit the checker gives several agreeing numbers: the first one that has a unit."""
    return next((u for u in units if u is not None), None)


class Case:
    """A policy's text, the program it checks and lowers to, and a table to evaluate it on."""

    def __init__(self, text: str, frame: runtime.Frame, program: ir.Program):
        self.text, self.frame, self.program = text, frame, program

    def __repr__(self) -> str:  # the program is the text's; a falsifying example shows text and table
        return f"Case(text={self.text!r}, frame={frame_source(self.frame)})"


# ---------------------------------------------------------------- the policy generator


class PolicyGen:
    """One policy, declaration by declaration; `periods`: the table will have periods (`previous`, `run`)."""

    def __init__(self, draw, periods: bool):
        self.draw = draw
        self.periods = periods
        self.lines: list[str] = []
        self.values: dict[str, Ty] = {}  # names a rule can read: inputs, metrics (their values), derived values
        self.scores: dict[str, Ty] = {}  # `m.score` of each scored metric
        self.sets: list[Ty] = []  # label sets of `one of` types that an input or metric has
        self.candidate_sets: list[Ty] = []  # label sets an input or metric may take
        self.used: set[str] = set()  # awkward names already taken
        self.forced: list[Ty] = []  # types the first inputs take
        self.set_uses: dict[str, int] = {}  # how many inputs and metrics have each label set
        self.org_types: tuple[str, ...] = ()
        self.segment: Ty | None = None
        self.selectors: list[tuple[str, str]] = []  # (text, kind of the scores it selects)
        self.domain_of: dict[str, str | None] = {}  # each metric's `in domain`

    # ------------------------------------------------------------ drawing

    def integer(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def chance(self, percent: int) -> bool:
        """Yes about `percent` times in 100; shrinking prefers no (the simpler policy)."""
        return self.draw(st.integers(0, 99)) >= 100 - percent

    def choice(self, options):
        return self.draw(st.sampled_from(list(options)))

    def pick(self, options: list[tuple]):
        """One of weighted thunks, run; the first is what shrinking prefers.

        An option is `(weight, thunk)`, or `(weight, thunk, available)`: an option that the policy so far
        cannot give (no name of the type yet) keeps its share of the draws and falls back to the first
        available one, so that removing a declaration does not change what the draws for others mean.
        Weight 0 leaves an option out.
        """
        options = [(o[0], o[1], o[2] if len(o) > 2 else True) for o in options if o[0] > 0]
        k = self.integer(0, sum(w for w, _, _ in options) - 1)
        for w, f, available in options:
            if k < w:
                if not available:
                    f = next(g for _, g, ok in options if ok)
                return f()
            k -= w
        raise AssertionError("unreachable")

    # ------------------------------------------------------------ the policy

    def policy(self) -> str:
        name = self.choice(AWKWARD_STRINGS) if self.chance(20) else "Generated"
        version = self.choice(AWKWARD_STRINGS) if self.chance(10) else str(self.integer(1, 9))
        self.lines.append(f'policy "{name}" version "{version}"')
        count = self.integer(2, 3)
        self.org_types = ORG_TYPE_NAMES[:count]
        self.lines.append("org types " + ", ".join(self.org_types))
        if self.chance(40):
            pair = sorted(
                self.draw(st.lists(st.sampled_from(self.org_types), min_size=2, max_size=2, unique=True)),
                key=self.org_types.index,
            )
            self.lines.append(f"cohort grouped: {pair[0]}, {pair[1]}")
        self.lines.append('scale grade: good "Good" > fair > poor "Poor"')
        self.segment = Ty("scale", name="segment", labels=self.choice(SEGMENTS), numbered=True)
        self.lines.append("scale segment: " + " > ".join(self.segment.labels))
        self.lines.append('domain main "Main": first, second')
        self.lines.append("domain other")
        self.label_sets()
        self.several(lambda k: self.input(self.fresh(f"i{k}")), max(1, len(self.forced)), 5)
        self.several(lambda k: self.metric(self.fresh(f"m{k}")), 1, 6)
        self.find_selectors()
        derived = self.several(lambda k: self.derived(self.fresh(f"d{k}")), 3, 16)
        if self.chance(30):
            self.lines.append(f"outcome {self.choice(derived)}")
        return "\n".join(self.lines) + "\n"

    def several(self, declare: Callable[[int], str], low: int, high: int) -> list[str]:
        """`declare(k)` for k = 0, 1, ...: a list to Hypothesis, so that shrinking can drop a declaration whole."""
        names: list[str] = []

        @st.composite
        def one(draw):
            outer, self.draw = self.draw, draw
            try:
                names.append(declare(len(names)))
            finally:
                self.draw = outer

        self.draw(st.lists(one(), min_size=low, max_size=high))
        return names

    def fresh(self, usual: str) -> str:
        """A name for a declaration: usually `usual`, sometimes a name the generated module or Python has."""
        if self.chance(8):
            name = self.choice(AWKWARD_NAMES)
            if name not in self.used:
                self.used.add(name)
                return name
        return usual

    def label_sets(self) -> None:
        for k in range(self.choice([1, 0, 2])):
            size = self.integer(2, 4)
            self.candidate_sets.append(
                Ty("labels", name=f"set{k}", labels=tuple(f"s{k}{chr(97 + j)}" for j in range(size)))
            )
        if self.candidate_sets and self.chance(50):
            # A set of some of another set's labels, in another order: reading one where the other is
            # wanted recodes its positions.
            base = self.candidate_sets[0]
            part = self.draw(st.permutations(base.labels))[: self.integer(2, len(base.labels))]
            self.candidate_sets.append(Ty("labels", name="part", labels=tuple(part), within=base.name))
            if self.chance(70):
                self.forced = [base, self.candidate_sets[-1]]

    def typed_with(self, t: Ty) -> Ty:
        """`t` as the type of an input or metric: a label set becomes known to the policy."""
        if t.kind == "labels":
            if t not in self.sets:
                self.sets.append(t)
            self.set_uses[t.name] = self.set_uses.get(t.name, 0) + 1
        return t

    def applies(self, required: bool) -> str:
        if self.chance(35):
            return "for all" if required or self.chance(50) else ""
        chosen = self.draw(
            st.lists(st.sampled_from(self.org_types), min_size=1, max_size=len(self.org_types), unique=True)
        )
        return "for " + ", ".join(chosen)

    def spell(self, t: Ty) -> str:
        if t.kind == "bool":
            return "yes/no"
        if t.kind == "num":
            return t.unit
        if t.kind == "scale":
            return t.name
        return "one of " + " / ".join(t.labels)

    def input(self, name: str) -> str:
        units = [num("percent"), num("count"), num("score"), num("days")]
        types = [*units[:2], BOOL, GRADE_T, self.segment, *self.candidate_sets, *units[2:]]
        t = self.typed_with(self.forced.pop(0) if self.forced else self.choice(types))
        kind = "judgement" if t.kind == "bool" and self.chance(30) else "input"
        title = f' "Input {name}"' if self.chance(50) else ""
        applies = self.applies(required=False)
        self.lines.append(f"{kind} {name}{title}: {self.spell(t)}{' ' + applies if applies else ''}")
        if self.chance(25):  # what an empty cell of the column reads as
            self.lines.append(f"  default {self.literal_of(t)}")
            self.lines.append(f'    assume "an empty cell of {name} is taken as this"')
        self.values[name] = t
        return name

    def literal_of(self, t: Ty) -> str:
        """A value of an input's type as a default writes it."""
        if t.kind == "bool":
            return self.choice(["no", "yes"])
        if t.kind in ("labels", "scale"):
            return self.choice(t.labels)
        return _text(self.choice(_grid(t)))

    def metric(self, name: str) -> str:
        model = self.choice(["ranked", "bands", "relative", "scores", "none"])
        labelled = [GRADE_T, *self.candidate_sets]
        if model == "scores":
            t = self.choice(labelled)
        elif model == "none":
            t = self.choice([num("percent"), num("count"), *labelled])
        else:
            t = num(self.choice(["percent", "count"]))
        self.typed_with(t)
        direction = self.choice(["higher", "lower"])
        head = f'metric {name} "Metric {name}" {self.spell(t)}'
        if t.kind == "num" and (model != "bands" or self.chance(80)):
            head += f", {direction} is better"
        head += ", " + self.applies(required=True)
        lines = [head]
        score: Ty | None = None
        if model != "none" and self.chance(60):
            lines.append("  in domain " + self.choice(["main", "main / first", "main / second", "other"]))
        if model != "none" and self.chance(30):
            lines.append("  weight " + self.choice(["1/3", "2", "0.5"]))
        if model == "ranked":
            lines.append("  " + self.ranked(t.unit, direction))
            score = num("score")
        elif model == "bands":
            text, score = self.bands(t.unit, direction)
            lines.append(text)
        elif model == "relative":
            k = self.choice(["1", "0.5", "1.5", "2"])
            lines.append(f"  fails more than {k} sd {'below' if direction == 'higher' else 'above'} mean")
            score = BOOL
        elif model == "scores":
            pairs = [
                f"{label} {self.choice(['1', '2', '3', '4', '0', '1.5', '-1'])}"
                for label in self.draw(st.permutations(t.labels))
            ]
            lines.append("  scores " + ", ".join(pairs))
            score = num("score")
        self.lines.extend(lines)
        self.values[name] = t
        if score is not None:
            self.scores[f"{name}.score"] = score
        self.domain_of[name] = next((line.split("in domain ")[1] for line in lines if "in domain" in line), None)
        return name

    def ranked(self, unit: str, direction: str) -> str:
        bounds = sorted(self.draw(st.lists(st.sampled_from(BOUNDARIES[unit]), min_size=2, max_size=2, unique=True)))
        standard, floor = (bounds[1], bounds[0]) if direction == "higher" else (bounds[0], bounds[1])
        parts = ["ranked"]
        shape = self.choice(["plain", "standard", "floor", "both"])
        if shape in ("standard", "both"):
            parts.append(f"standard {_text(standard)}")
        if shape in ("floor", "both"):
            parts.append(f"floor {_text(floor)}")
        return ", ".join(parts)

    def bands(self, unit: str, direction: str) -> tuple[str, Ty]:
        """A gap-free band table in the order the direction wants, best first."""
        cuts = sorted(self.draw(st.lists(st.sampled_from(BOUNDARIES[unit]), min_size=1, max_size=3, unique=True)))
        upper_side = [self.chance(50) for _ in cuts]  # each cut belongs to the band above it, or below it
        # intervals ascending: (lower, lower_inclusive, upper, upper_inclusive)
        intervals = []
        for k in range(len(cuts) + 1):
            lower = cuts[k - 1] if k > 0 else None
            upper = cuts[k] if k < len(cuts) else None
            intervals.append(
                (lower, lower is not None and upper_side[k - 1], upper, upper is not None and not upper_side[k])
            )
        labelled = self.chance(35)
        if labelled:
            results = [self.choice(GRADE) for _ in intervals]
        else:
            results = [self.choice(["1", "2", "3", "4", "0", "2.5", "-1"]) for _ in intervals]
        if direction == "higher":
            intervals = intervals[::-1]
        rows = []
        for (lower, lower_inclusive, upper, upper_inclusive), result in zip(intervals, results, strict=True):
            if lower is None:
                cond = f"value {'<=' if upper_inclusive else '<'} {_text(upper)}"
            elif upper is None:
                if self.chance(50):
                    cond = f"value {'>=' if lower_inclusive else '>'} {_text(lower)}"
                else:
                    cond = f"{_text(lower)} {'<=' if lower_inclusive else '<'} value"
            else:
                cond = (
                    f"{_text(lower)} {'<=' if lower_inclusive else '<'} value "
                    f"{'<=' if upper_inclusive else '<'} {_text(upper)}"
                )
            rows.append(f"    {cond}: {result}")
        return "  bands\n" + "\n".join(rows), (GRADE_T if labelled else num("score"))

    def find_selectors(self) -> None:
        scored = [m for m in self.values if f"{m}.score" in self.scores]
        options = [
            ("metric scores", None),
            ("metric scores in domain main", "main"),
            ("metric scores in domain main / first", "main / first"),
            ("metric scores in domain main / second", "main / second"),
            ("metric scores in domain other", "other"),
        ]
        for text, where in options:

            def chosen(m: str, where=where) -> bool:
                d = self.domain_of.get(m)
                if where is None:
                    return True
                if d is None:
                    return False
                return d == where if "/" in where else d.split(" /")[0] == where

            kinds = {self.scores[f"{m}.score"].kind for m in scored if chosen(m)}
            if len(kinds) == 1:
                self.selectors.append((text, kinds.pop()))

    def derived(self, name: str) -> str:
        kinds = [(40, lambda: num(ANY)), (25, lambda: BOOL), (12, lambda: GRADE_T), (12, lambda: self.segment)]
        sets = self.producible_sets()
        kinds.append((20 if any(t.within for t in self.sets) else 11, lambda: self.choice(sets), bool(sets)))
        want = self.pick(kinds)
        depth = self.integer(1, 3)
        if self.chance(4):
            # any number taken as a segment: an error on a row where it is present and not 1-4 (or 1-5)
            text, t = f"({self.number(ANY, depth - 1)[0]} as segment)", self.segment
        elif self.chance(12):
            text, t = self.table(want, depth, top=True)
        else:
            text, t = self.gen(want, depth)
        lines = [f"{name} = {text}"]
        if self.chance(15):
            lines.append('  source "generated"')
        self.values[name] = t  # an adjustment reads the value so far by its own name
        for _ in range(self.pick([(70, lambda: 0), (20, lambda: 1), (10, lambda: 2)])):
            kinds = ["becomes"] + (["no better than", "no worse than"] if t.kind == "scale" else [])
            kind = self.choice(kinds)
            value, _ = self.gen(t if t.kind != "num" else num(t.unit or ANY), self.integer(0, 1), typed=True)
            if kind == "becomes" and self.chance(10):
                value = "missing"
            condition, _ = self.gen(BOOL, self.integer(0, 2))
            lines.append(f"  {kind} {value} when {condition}")
        self.lines.extend(lines)
        return name

    # ------------------------------------------------------------ expressions

    def gen(self, want: Ty, depth: int, typed: bool = False) -> tuple[str, Ty]:
        """An expression of type `want` (for numbers: of a unit that fits `want.unit`), and its type.

        `typed`: the place already says which type it wants (a later table row, an adjustment), so a
        bare numbered-scale value or a label shared by two label sets may stand alone.
        """
        if want.kind == "num":
            x, unit = self.number(want.unit, depth)
            return x, num(unit)
        if want.kind == "bool":
            return self.boolean(depth), BOOL
        return self.category(want, depth, typed), want

    def names(self, want: Ty) -> list[str]:
        if want.kind == "num":
            return [n for n, t in self.values.items() if t.kind == "num" and fits(t.unit, want.unit)]
        return [n for n, t in self.values.items() if t == want]

    def score_names(self, want: Ty) -> list[str]:
        if want.kind == "num":
            return [n for n, t in self.scores.items() if t.kind == "num" and fits(t.unit, want.unit)]
        return [n for n, t in self.scores.items() if t == want]

    def leaf_name(self, want: Ty) -> tuple[str, Ty]:
        name = self.choice(self.names(want) + self.score_names(want))
        return name, self.values.get(name) or self.scores[name]

    # numbers

    def number(self, want: str | None, depth: int) -> tuple[str, str | None]:
        have_names = bool(self.names(num(want)) or self.score_names(num(want)))
        leaf = depth <= 0
        compound = 0 if leaf else 1
        score_ok = fits("score", want)
        num_selectors = [s for s, k in self.selectors if k == "num"] if score_ok else []
        bool_selectors = [s for s, k in self.selectors if k == "bool"]
        options = [
            (10, lambda: (self.choice(NUMBER_LITERALS), None)),
            (1, lambda: (self.choice(HUGE_LITERALS), None)),
            (1, lambda: (self.choice(INFINITIES), None)),
            (30, lambda: self._num_name(want), have_names),
            (8 * compound, lambda: self._arith(want, depth, "+-")),
            (8 * compound, lambda: self._arith(want, depth, "*/")),
            (2 * compound, lambda: self._unary(want, depth, "-{}")),
            (5 * compound, lambda: self._round(want, depth)),
            (2 * compound, lambda: self._unary(want, depth, "abs({})")),
            (5 * compound, lambda: self._aggregate(want, depth)),
            (5 * compound, lambda: self._selected(want, depth, num_selectors), bool(num_selectors)),
            (3 * compound if fits("count", want) else 0, lambda: self._count(depth, bool_selectors)),
            (6 * compound, lambda: self._cohort_unitless(depth)),
            (6 * compound, lambda: self._cohort(want, depth)),
            (
                4 * compound if self.periods and fits("count", want) else 0,
                lambda: (f"run({self.boolean(depth - 1)})", "count"),
            ),
            (4 * compound if self.periods else 0, lambda: self._previous_number(want, depth)),
            (3 * compound, lambda: self._if_missing_number(want, depth)),
            (3 * compound, lambda: self._table_number(want, depth)),
        ]
        return self.pick(options)

    def _table_number(self, want, depth):
        text, t = self.table(num(want), depth)
        return text, t.unit

    def _num_name(self, want):
        name, t = self.leaf_name(num(want))
        return name, t.unit

    def _arith(self, want, depth, ops):
        op = self.choice(ops)
        left, lu = self.number(want, depth - 1)
        right, ru = self.number(want if op in "*/" or lu is None else lu, depth - 1)
        if op in "+-":
            return f"({left} {op} {right})", joined(lu, ru)
        return f"({left} {op} {right})", None if lu and ru else joined(lu, ru)

    def _unary(self, want, depth, form):
        x, u = self.number(want, depth - 1)
        return "(" + form.format(x) + ")" if form.startswith("-") else form.format(x), u

    def _round(self, want, depth):
        if self.chance(25):
            # a decimal half that binary misses: 1.005 is 1.00499999999999989... as a double
            x = self.choice(HALVES)
            return f"round({x}, {len(x.split('.')[1]) - 1 if '.' in x else 0})", None
        x, u = self.number(want, depth - 1)
        return f"round({x}, {self.integer(0, 3)})", u

    def _aggregate(self, want, depth):
        func = self.choice(["mean", "sum", "min", "max"])
        args, units = [], []
        for _ in range(self.integer(1, 3)):
            x, u = self.number(joined(*units) or want, depth - 1)
            args.append(x)
            units.append(u)
        return f"{func}({', '.join(args)})", joined(*units)

    def _selected(self, want, depth, selectors):
        func = self.choice(["mean", "sum", "min", "max", "weighted_mean", "weighted_sum"])
        args = self.draw(st.lists(st.sampled_from(selectors), min_size=1, max_size=2))
        if not func.startswith("weighted") and self.chance(25):
            args.append(self.number("score", depth - 1)[0])
        return f"{func}({', '.join(args)})", "score"

    def _count(self, depth, selectors):
        if selectors and self.chance(40):
            return f"count({self.choice(selectors)})", "count"
        args = [self.boolean(depth - 1) for _ in range(self.integer(1, 3))]
        return f"count({', '.join(args)})", "count"

    def _cohort_unitless(self, depth):
        x, _ = self.number(ANY, depth - 1)
        func = self.choice(["rank", "percentile_rank", "quartile"])
        if func == "quartile":
            return f"quartile({x}{self.method()}{self.within()})", None
        return f"{func}({x}{self.within()})", None

    def _cohort(self, want, depth):
        x, u = self.number(want, depth - 1)
        func = self.choice(["cohort_mean", "cohort_sd", "quantile"])
        if func == "quantile":
            return f"quantile({x}, {self.choice(QUANTILE_PS)}{self.method()}{self.within()})", u
        return f"{func}({x}{self.within()})", u

    def method(self) -> str:
        if self.chance(15):
            return ""
        return f", method: {self.choice(METHODS)}"

    def within(self) -> str:
        """A cohort function's group: mostly the row's cohort; else every organisation of the period, or those
        sharing a value of `org_type` or of a yes/no, label or scale value declared so far."""
        if not self.chance(30):
            return ""
        grouping = [name for name, t in self.values.items() if t.kind in ("bool", "scale", "labels")]
        return f", within: {self.choice(['all', 'org_type', *grouping])}"

    def _previous_number(self, want, depth):
        x, u = self.number(want, depth - 1)
        return f"previous({x})", u

    def _if_missing_number(self, want, depth):
        x, xu = self.number(want, depth - 1)
        if self.chance(10):
            return f"if_missing({x}, missing)", xu
        y, yu = self.number(xu or want, depth - 1)
        return f"if_missing({x}, {y})", joined(xu, yu)

    # tables, for any type

    def table(self, want: Ty, depth: int, top: bool = False) -> tuple[str, Ty]:
        """A decision table; its results agree in type (and unit), a later one may be `missing`."""
        first, t = self.gen(want, depth - 1)
        results = [first]
        unit = t.unit if t.kind == "num" else None
        otherwise = self.chance(60)
        for _ in range(self.integer(0, 2) + (1 if otherwise else 0)):
            if self.chance(10):
                results.append("missing")
            elif want.kind == "num":
                x, u = self.number(unit or want.unit, depth - 1)
                unit = joined(unit, u)
                results.append(x)
            else:
                results.append(self.gen(self.sibling(want), depth - 1, typed=True)[0])
        rows = [f"when {self.boolean(depth - 1)}: {result}" for result in results[: -1 if otherwise else None]]
        if otherwise:
            rows.append(f"otherwise: {results[-1]}")
        t = num(unit) if want.kind == "num" else want
        if top:
            return "\n  " + "\n  ".join(rows), t
        return "(" + " ".join(rows) + ")", t

    def sibling(self, want: Ty) -> Ty:
        """A type whose values may follow one of `want` among alternatives: itself, or a set of some of its labels."""
        if want.kind == "labels":
            parts = [s for s in self.sets if s.within == want.name]
            if parts and self.chance(50):
                return self.choice(parts)
        return want

    # yes/no

    def boolean(self, depth: int) -> str:
        leaf = depth <= 0
        compound = 0 if leaf else 1
        names = self.names(BOOL) + self.score_names(BOOL)
        scales = [GRADE_T, self.segment]
        options = [
            (8, lambda: self.choice(["yes", "no"])),
            (25, lambda: self.choice(names), bool(names)),
            (6 * compound + 4 * leaf, lambda: self._compare(depth)),
            (3 * compound, lambda: f"(not {self.boolean(depth - 1)})"),
            (
                6 * compound,
                lambda: f"({self.boolean(depth - 1)} {self.choice(['and', 'or'])} {self.boolean(depth - 1)})",
            ),
            (6 * compound, lambda: self._equal(depth)),
            (
                3 * compound,
                lambda: f"({self.gen(self.any_type(), depth - 1)[0]} is {self.choice(['', 'not '])}missing)",
            ),
            (4 * compound, lambda: self._better(self.choice(scales), depth)),
            (2, lambda: f"(org_type is {'not ' if self.chance(30) else ''}{self.choice(self.org_types)})"),
            (2 * compound, lambda: self.table(BOOL, depth)[0]),
            (1 * compound, lambda: f"if_missing({self.boolean(depth - 1)}, {self.boolean(depth - 1)})"),
            (2 * compound if self.periods else 0, lambda: f"previous({self.boolean(depth - 1)})"),
        ]
        return self.pick(options)

    def any_type(self) -> Ty:
        sets = self.producible_sets()
        if sets and self.chance(30):
            return self.choice(sets)
        return self.choice([num(ANY), BOOL, GRADE_T, self.segment])

    def producible_sets(self) -> list[Ty]:
        """The label sets a value can be written in where nothing says the type: by a name, or a label of its own."""
        return [s for s in self.sets if self.names(s) or self.score_names(s) or self.bare_labels(s, False)]

    def _compare(self, depth):
        left, lu = self.number(ANY, depth - 1)
        right, _ = self.number(lu or ANY, depth - 1)
        return f"({left} {self.choice(['<', '<=', '>', '>='])} {right})"

    def _equal(self, depth):
        t = self.any_type()
        op = self.choice(["is", "is not"])
        left, lt = self.gen(t, depth - 1)
        if t.kind == "num":
            right, _ = self.number(lt.unit or ANY, depth - 1)
        elif left in t.labels:
            # a bare label on the left is read as a value of the right side's type: so it must be `t`
            right, _ = self.gen(t, depth - 1, typed=True)
        else:
            right, _ = self.gen(self.sibling(t), depth - 1, typed=True)
        if self.chance(20) and not t.numbered and right in t.labels and left not in t.labels:
            left, right = right, left  # a bare label first: the checker swaps the sides
        return f"({left} {op} {right})"

    def _better(self, t: Ty, depth):
        left, _ = self.gen(t, depth - 1)
        right, _ = self.gen(t, depth - 1, typed=True)
        return f"({left} {self.choice(['better than', 'worse than'])} {right})"

    # scales and labels

    def category(self, want: Ty, depth: int, typed: bool) -> str:
        leaf = depth <= 0
        compound = 0 if leaf else 1
        names = self.names(want) + self.score_names(want)
        bare = self.bare_labels(want, typed)
        options = [
            (10, lambda: self.choice(bare), bool(bare)),
            (25, lambda: self.choice(names), bool(names)),
            (3 * compound if want.kind == "labels" else 0, lambda: self._if_missing_category(want, depth)),
            (3 * compound, lambda: self.table(want, depth)[0]),
            (2 * compound if self.periods else 0, lambda: f"previous({self.category(want, depth - 1, False)})"),
        ]
        if want.kind == "scale":
            options += [
                (5 * compound, lambda: self._extreme(want, depth)),
                (
                    4 * compound,
                    lambda: (
                        f"{self.choice(['worsen', 'improve'])}("
                        f"{self.category(want, depth - 1, False)}, {self.integer(0, 3)})"
                    ),
                ),
                (3 * compound, lambda: self._if_missing_category(want, depth)),
            ]
        if want.numbered:
            options += [
                (6, lambda: f"({self.choice(want.labels)} as segment)"),
                (6 * compound, lambda: self._cast(depth)),
            ]
        return self.pick(options)

    def bare_labels(self, want: Ty, typed: bool) -> list[str]:
        if want.numbered:
            return list(want.labels) if typed else []
        if typed:
            return list(want.labels)
        # Alone, a label must belong to one type only; the checker counts a label set once for each
        # input or metric that has it.
        owners: dict[str, int] = {label: 1 for label in GRADE}
        for t in self.sets:
            for label in t.labels:
                owners[label] = owners.get(label, 0) + self.set_uses[t.name]
        return [label for label in want.labels if owners[label] == 1]

    def _if_missing_category(self, want, depth):
        first = self.category(want, depth - 1, False)
        second = self.category(self.sibling(want), depth - 1, True)
        return f"if_missing({first}, {second})"

    def _extreme(self, want, depth):
        args = [self.category(want, depth - 1, False)]
        args += [self.category(want, depth - 1, True) for _ in range(self.integer(0, 2))]
        return f"{self.choice(['worst', 'best'])}({', '.join(args)})"

    def _cast(self, depth):
        """A number taken as a segment: nearly always of a number that is on the scale (or missing)."""
        x, _ = self.number(ANY, depth - 1)
        top = len(self.segment.labels)
        inner = self.pick(
            [
                (5, lambda: f"quartile({x}{self.method()}{self.within()})"),
                (5, lambda: f"min(max(round({x}, 0), 1), {top})"),
                (3, lambda: f"(when ({x} > 50): 1 when ({x} > 2): 2 otherwise: {top})"),
                (1, lambda: f"rank({x})"),  # beyond the scale in a big cohort
                (1, lambda: x),  # anything: mostly not on the scale
            ]
        )
        return f"({inner} as segment)"


def _text(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


# ---------------------------------------------------------------- the table


def _cells(draw, grid, n: int, missing: int) -> np.ndarray:
    """n cells from a grid; about `missing` percent of them empty."""
    chooser = st.integers(0, 99).flatmap(lambda k: st.just(NAN) if k < missing else st.sampled_from(grid))
    return np.array(draw(st.lists(chooser, min_size=n, max_size=n)), dtype=np.float64)


def _grid(t) -> tuple[float, ...]:
    if t.kind == "bool":
        return (1.0, 0.0)
    if t.kind in ("labels", "scale"):
        return tuple(float(k) for k in range(len(t.labels)))
    if t.unit == "percent":
        return PERCENT_GRID
    if t.unit == "count":
        return COUNT_GRID
    if t.unit == "score":
        return SCORE_GRID
    return NUMBER_GRID


@st.composite
def frames(draw, program: ir.Program, periods: bool) -> runtime.Frame:
    types = len(program.org_types)
    if periods:
        orgs = draw(st.sampled_from(range(1, 7)))
        spread = draw(st.sampled_from(range(1, 6)))
        first = draw(st.sampled_from([8100, 8103, 8039]))  # 2025Q1, 2025Q4, 2009Q4
        pairs = [(o, first + p) for o in range(orgs) for p in range(spread)]
        size = draw(st.sampled_from(range(1, min(25, len(pairs)) + 1)))
        rows = draw(st.permutations(pairs))[:size]  # in no particular order, with gaps
        kinds = draw(st.lists(st.integers(0, types - 1), min_size=orgs, max_size=orgs))
        org = tuple(f"org{o}" for o, _ in rows)
        if draw(st.integers(0, 99)) >= 90:  # an organisation whose org type changes from one period to another
            org_type = np.array(
                draw(st.lists(st.integers(0, types - 1), min_size=len(rows), max_size=len(rows))), dtype=np.int64
            )
        else:
            org_type = np.array([kinds[o] for o, _ in rows], dtype=np.int64)
        period = np.array([p for _, p in rows], dtype=np.int64)
    else:
        n = draw(st.sampled_from(range(1, 26)))
        org = tuple(f"org{k}" for k in range(n))
        org_type = np.array(draw(st.lists(st.integers(0, types - 1), min_size=n, max_size=n)), dtype=np.int64)
        period = None
    n = len(org)
    missing = draw(st.sampled_from([15, 0, 40]))
    # A few draws pick the absent columns and the overrides whatever the number of declarations, so that
    # shrinking a declaration away leaves the rest of the table as it was.
    inputs = [d for d in program.decls if isinstance(d, ir.Column)]
    given = [d for d in program.decls if not isinstance(d, ir.Column)]
    absent = {draw(st.sampled_from(inputs)).name} if draw(st.integers(0, 99)) >= 90 else set()
    overrides = set()
    if draw(st.integers(0, 99)) >= 60:
        overrides = {d.name for d in draw(st.lists(st.sampled_from(given), min_size=1, max_size=3))}
    columns: dict[str, np.ndarray] = {}
    for decl in program.decls:
        if decl.name in overrides:  # the value given where the cell is not empty
            columns[decl.name] = _cells(draw, _grid(decl.type), n, 50)
        elif isinstance(decl, ir.Column) and decl.name not in absent:
            columns[decl.name] = _cells(draw, _grid(decl.type), n, missing)
    return runtime.Frame(org=org, org_type=org_type, period=period, columns=columns)


# ---------------------------------------------------------------- strategies


@st.composite
def policy_texts(draw, periods: bool | None = None) -> str:
    if periods is None:
        periods = draw(st.booleans())
    return PolicyGen(draw, periods).policy()


def checked_program(text: str) -> ir.Program | None:
    result = check_source(Source(FILE, text))
    if not result.ok:
        return None
    return lower(result.checked)


@st.composite
def cases(draw) -> Case:
    periods = draw(st.booleans())
    text = draw(policy_texts(periods))
    program = checked_program(text)
    assume(program is not None)  # a safety net: the generator only writes valid policies
    # previous() and run() are generated only for tables with periods; a table without them now and then
    # still evaluates every other policy.
    with_periods = periods if not program.uses_periods else True
    if not with_periods and draw(st.integers(0, 99)) >= 90:
        with_periods = True
    frame = draw(frames(program, with_periods))
    return Case(text, frame, program)


def describe_frame(frame: runtime.Frame, program: ir.Program | None = None) -> str:
    """The table as text, one line per row, for a failure's notes."""
    names = list(frame.columns)
    head = ["row", "org", "org_type"] + (["period"] if frame.period is not None else []) + names
    lines = ["  ".join(head)]
    for i in range(frame.n):
        kind = int(frame.org_type[i])
        cells = [str(i), frame.org[i], program.org_types[kind] if program else str(kind)]
        if frame.period is not None:
            p = int(frame.period[i])
            cells.append(f"{p // 4}Q{p % 4 + 1}")
        cells += ["." if math.isnan(frame.columns[c][i]) else format(frame.columns[c][i], "g") for c in names]
        lines.append("  ".join(cells))
    return "\n".join(lines)


def frame_source(frame: runtime.Frame) -> str:
    """The table as Python, to paste into a reproduction."""

    def cells(values) -> str:
        return "[" + ", ".join("np.nan" if math.isnan(x) else repr(float(x)) for x in values) + "]"

    columns = ", ".join(f"{k!r}: np.array({cells(v)})" for k, v in frame.columns.items())
    period = "None" if frame.period is None else f"np.array({[int(p) for p in frame.period]!r})"
    return (
        f"Frame(org={frame.org!r}, org_type=np.array({[int(t) for t in frame.org_type]!r}), "
        f"period={period}, columns={{{columns}}})"
    )
