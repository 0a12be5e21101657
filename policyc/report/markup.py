"""What the report's sections share: escaping, the A and B tags, value headings and each value's colour."""

from __future__ import annotations

import html

from policyc.analysis.comparison import MISSING, TIERS, Policy, Row
from policyc.syntax.text import printable

# Tier colours: bluish green, amber and vermilion after Okabe & Ito, which stay apart under the common
# colour-vision deficiencies; a value whose tier is unknown is slate blue.
TIER_COLOUR: dict[str | None, str] = {
    **dict(zip(TIERS, ("#00806a", "#e0a526", "#c8372d"), strict=True)),
    None: "#5b7a94",
}
MISSING_COLOUR = "#a3adb5"
SIDES = ("A", "B")


def e(text: object) -> str:
    """Text for the page: HTML-escaped, and each control character shown as its escape, never sent raw."""
    return html.escape(printable(str(text)), quote=True)


def sentence(text: str) -> str:
    """`text` with a capital first letter, the rest as written (`Worse under B`)."""
    return text[:1].upper() + text[1:]


def value_tiers(rows: tuple[Row, ...], side: int) -> dict[str, str | None]:
    """Each reported value's tier, as the rows give it (the document carries tiers on outcomes, not on scales)."""
    tiers: dict[str, str | None] = {}
    for row in rows:
        outcome = row.outcomes[side]
        if outcome is not None and outcome.value is not None and outcome.reported not in tiers:
            tiers[outcome.reported] = outcome.tier
    return tiers


def label(policy: Policy, colours: dict[str, str], value: str) -> str:
    """A value as a column or row heading: its display name in bold (the description the policy gives, else the
    value), its code beneath when the name says something else."""
    if policy.special(value):
        return f'<span class="v special">{e(sentence(value))}</span>'
    description = policy.descriptions.get(value)
    swatch = f'<i class="sw" style="background:{colours.get(value, TIER_COLOUR[None])}"></i>'
    text = f'<span class="v">{swatch}{e(description or value)}</span>'
    if description and adds(description, value):
        text += f'<span class="d"><code>{e(value)}</code></span>'
    return text


def display(policy: Policy, value: str) -> str:
    """A value in words, its display name first: `Performance under review (under_review)`, `Missing`."""
    if policy.special(value):
        return sentence(value)
    description = policy.descriptions.get(value)
    if description and adds(description, value):
        return f"{description} ({value})"
    return description or value


def adds(description: str, value: str) -> bool:
    """Whether a value's description says more than the value itself (not `Performing` for `performing`)."""
    return _normal(description) != _normal(value)


def _normal(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _mix(colour: str, white: float) -> str:
    """`colour` lightened towards white by the fraction `white`."""
    rgb = [int(colour[k : k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * white):02x}" for c in rgb)


def colours(policy: Policy, tiers: dict[str, str | None]) -> dict[str, str]:
    """A bar colour per scale value: its tier's colour, strongest at the tier's extreme, so that two values of one
    tier (segments 1 and 2, say) stay apart."""
    members: dict[str | None, list[str]] = {}
    for value in policy.scale:
        members.setdefault(tiers.get(value), []).append(value)
    out = {}
    for tier, values in members.items():
        ordered = values[::-1] if tier == TIERS[-1] else values
        for k, value in enumerate(ordered):
            out[value] = _mix(TIER_COLOUR.get(tier, TIER_COLOUR[None]), 0.4 * k / max(1, len(ordered) - 1))
    out[MISSING] = MISSING_COLOUR
    return out


def side_tag(side: int) -> str:
    return f'<span class="tag tag-{SIDES[side].lower()}">{SIDES[side]}</span>'


def policy_title(policy: Policy) -> str:
    return e(policy.name) + (f' <span class="ver">{e(policy.version)}</span>' if policy.version else "")
