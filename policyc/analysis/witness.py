"""What a search of two policies found: the outcome pairs it explored, the most different, and the witness with its
explanations, as text and as JSON."""

from __future__ import annotations

import json

import attrs

from policyc.analysis.compare import scale_tier, standing
from policyc.analysis.profiles import SUBJECT, Pair, Row, orgs
from policyc.data import results
from policyc.syntax.text import printable


@attrs.frozen
class Witness:
    """A profile and how each policy rates its subject: `rows` holds the cells present, the subject's first."""

    org_type: str
    a_value: str
    b_value: str
    delta: float  # standing under B minus standing under A: positive when B rates the subject worse
    rows: tuple[Row, ...]
    explanation_a: str
    explanation_b: str

    @property
    def subject(self) -> Row:
        return self.rows[0]

    @property
    def peers(self) -> tuple[Row, ...]:
        return self.rows[1:]


@attrs.frozen
class SearchResult:
    a_outcome: str
    b_outcome: str
    a_scale: tuple[str, ...]  # the outcome's values as reported, best first
    b_scale: tuple[str, ...]
    org_types: tuple[str, ...]  # those searched: rated by both policies
    cohort_size: int
    seed: int
    independent: bool  # the policies read no column in common: each side of a witness is searched on its own
    pairs_seen: dict[Pair, int]  # over the profiles explored with both policies
    explored: int
    examples_tried: int  # every profile evaluated: explored, then searched for the witness (shrinking included)
    failed: int  # profiles on which a policy could not evaluate
    seconds: float
    most_different: tuple[str, str] | None  # the most different pair reached
    wanted: tuple[str, str] | None  # the pair the witness was searched for: asked for, else the most different
    found: bool
    witness: Witness | None
    # each outcome value's tier as its scale declares them, in the order of the scale; () when it declares none
    a_tiers: tuple[str, ...] = ()
    b_tiers: tuple[str, ...] = ()

    def delta(self, pair: Pair) -> float | None:
        """Standing under B minus standing under A; None when either policy gives no outcome."""
        a, b = pair
        return None if a is None or b is None else standing_delta((a, b), self.a_scale, self.b_scale)


def standing_delta(pair: tuple[str, str], a_scale: tuple[str, ...], b_scale: tuple[str, ...]) -> float:
    """Standing under B minus standing under A: positive when B rates worse."""
    a, b = pair
    return standing(b_scale.index(b), len(b_scale)) - standing(a_scale.index(a), len(a_scale))


def _cells(row: Row) -> str:
    return ", ".join(f"{name} = {printable(results.csv_text(value))}" for name, value in row.items()) or "(no values)"


def _side(result: SearchResult, side: int, value: str) -> str:
    """A value of one side's outcome with its tier: the one its scale declares, else its third."""
    scale, tiers = (result.a_scale, result.a_tiers) if side == 0 else (result.b_scale, result.b_tiers)
    return f"{value} ({scale_tier(scale.index(value), len(scale), tiers)})"


def _table(result: SearchResult) -> list[str]:
    """The pairs explored, A's outcomes down and B's across, missing last where any was."""
    a_values = [*result.a_scale, *([None] if any(a is None for a, _ in result.pairs_seen) else [])]
    b_values = [*result.b_scale, *([None] if any(b is None for _, b in result.pairs_seen) else [])]
    head = ["", *("missing" if b is None else b for b in b_values)]
    body = [
        [
            "missing" if a is None else a,
            *(f"{result.pairs_seen[a, b]:,}" if (a, b) in result.pairs_seen else "." for b in b_values),
        ]
        for a in a_values
    ]
    widths = [max(len(row[n]) for row in [head, *body]) for n in range(len(head))]
    return [
        "  "
        + "  ".join(
            cell.ljust(w) if n == 0 else cell.rjust(w) for n, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in [head, *body]
    ]


def to_text(result: SearchResult, a_name: str, b_name: str) -> str:
    """What was searched, the outcome pairs explored, the most different pair, and the witness with its explanation
    under each policy. The policies' files are named printable; the explanations are printable already."""
    a_name, b_name = printable(a_name), printable(b_name)
    lines = [
        "Organisation profiles that A and B rate differently: a search without data, not a proof",
        f"  A  {a_name}: outcome {result.a_outcome}, {' > '.join(result.a_scale)}",
        f"  B  {b_name}: outcome {result.b_outcome}, {' > '.join(result.b_scale)}",
    ]
    if not result.org_types:
        return "\n".join([*lines, "", "A and B rate no org type in common: there is nothing to compare."]) + "\n"
    lines += [
        f"Searched the org types both rate ({', '.join(result.org_types)}), in cohorts of 1 to "
        f"{result.cohort_size} organisations of one type whose first is the subject:",
        f"{result.examples_tried:,} profiles tried in {result.seconds:.1f} s (seed {result.seed}), "
        f"{result.explored:,} of them explored under both policies.",
    ]
    if result.independent:
        lines.append(
            "A and B read no column in common: each side of the witness was searched under its own policy, "
            "and the two joined."
        )
    if result.failed:
        lines.append(f"{result.failed:,} profiles could not be evaluated by one of the policies and were left out.")
    if result.pairs_seen:
        lines += [
            "",
            f"Outcome pairs of the {result.explored:,} profiles explored "
            f"(A's {result.a_outcome} down, B's {result.b_outcome} across):",
            *_table(result),
        ]
    lines.append("")
    if result.most_different is None:
        lines.append("No profile explored was rated by both policies.")
    else:
        a, b = result.most_different
        delta = standing_delta(result.most_different, result.a_scale, result.b_scale)
        way = "the same" if delta == 0 else f"B rates the subject {abs(delta):.2f} {'worse' if delta > 0 else 'better'}"
        lines.append(
            f"Most different pair reached: A = {_side(result, 0, a)}, B = {_side(result, 1, b)}: "
            f"{way} (standings 0 best to 1 worst)."
        )
    if result.wanted is not None and result.wanted != result.most_different:
        lines.append(f"Searched for: A = {result.wanted[0]}, B = {result.wanted[1]}.")
    if result.wanted is None:
        return "\n".join(lines) + "\n"
    witness = result.witness
    if witness is None:
        lines.append(
            f"No profile found with A = {result.wanted[0]} and B = {result.wanted[1]} in "
            f"{result.examples_tried:,} profiles tried; a search, not a proof."
        )
        return "\n".join(lines) + "\n"
    size = len(witness.rows)
    article = "an" if witness.org_type[:1] in "aeiou" else "a"
    lines += [
        "",
        f"Witness: {article} {witness.org_type} organisation rated {_side(result, 0, witness.a_value)} "
        f"by A and {_side(result, 1, witness.b_value)} by B, in a cohort of {size}"
        f"{'' if size > 1 else ' (alone)'}; every value not shown is missing:",
        f"  {SUBJECT}  {_cells(witness.subject)}",
    ]
    lines += [f"  {f'peer{n}':<{len(SUBJECT)}}  {_cells(row)}" for n, row in enumerate(witness.peers, 1)]
    for name, policy, text in (("A", a_name, witness.explanation_a), ("B", b_name, witness.explanation_b)):
        lines += ["", f"Under {name} ({policy}):", *("  " + line if line else "" for line in text.rstrip().split("\n"))]
    return "\n".join(lines) + "\n"


def to_json(result: SearchResult) -> str:
    def pair(values: Pair) -> dict[str, str | float | None]:
        return {"a": values[0], "b": values[1], "delta": result.delta(values)}

    witness = result.witness
    document = {
        "a": {"outcome": result.a_outcome, "scale": list(result.a_scale)},
        "b": {"outcome": result.b_outcome, "scale": list(result.b_scale)},
        "org_types": list(result.org_types),
        "cohort_size": result.cohort_size,
        "seed": result.seed,
        "independent": result.independent,
        "explored": result.explored,
        "examples_tried": result.examples_tried,
        "failed": result.failed,
        "seconds": round(result.seconds, 3),
        "pairs_seen": [{**pair(p), "count": n} for p, n in result.pairs_seen.items()],
        "most_different": None if result.most_different is None else pair(result.most_different),
        "wanted": None if result.wanted is None else pair(result.wanted),
        "found": result.found,
        "witness": None
        if witness is None
        else {
            "org_type": witness.org_type,
            "a": witness.a_value,
            "b": witness.b_value,
            "delta": witness.delta,
            "rows": [
                {"org": org, "values": row} for org, row in zip(orgs(len(witness.rows)), witness.rows, strict=True)
            ],
            "explanation_a": witness.explanation_a,
            "explanation_b": witness.explanation_b,
        },
    }
    return json.dumps(document, indent=2, allow_nan=False)
