"""Declarations: scales, domains, declared types, org types a rule applies to, the outcome, and what goes unused."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from policyc.semantics.context import Context
from policyc.semantics.resolve import UNITS, unknown_org_type
from policyc.semantics.types import BOOL, ERROR, TIERS, Type, item_key, number, number_key, tier_value_key
from policyc.syntax import ast
from policyc.syntax.diagnostics import did_you_mean


def check_scales(ctx: Context) -> None:
    for scale in ctx.scope.scales.values():
        kinds = {type(item.key) for item in scale.items}
        if len(kinds) > 1:
            ctx.malformed_scales.add(scale.name.text)
            ctx.error(
                "PC313",
                f"scale `{scale.name.text}` mixes numbers and labels",
                scale.span,
                "a scale is either all labels (best first) or all numbers (best first)",
            )
        seen = set()
        for item in scale.items:
            key = item_key(item)
            if key in seen:
                ctx.error(
                    "PC313",
                    f"`{item.key.text}` appears twice in scale `{scale.name.text}`",
                    item.span,
                    "each value of a scale appears once",
                )
            seen.add(key)
            if isinstance(item.key, ast.Name) and ctx.scope.named(key) is not None:
                ctx.error(
                    "PC208",
                    f"`{key}` is both a label of scale `{scale.name.text}` and a value",
                    item.key.span,
                    f"rename the label or the value `{key}`",
                )
        if scale.tiers is not None and scale.name.text not in ctx.malformed_scales:
            check_tiers(ctx, scale, scale.tiers)


# How the tiers of a scale are written, for help lines.
_TIER_ORDER = "high, then middle, then low"


def check_tiers(ctx: Context, scale: ast.Scale, clause: ast.Tiers) -> None:
    """A scale's tiers: known names, each once and best first; every value of the scale in one tier, and each
    tier's values next to each other on the scale, so that the tiers cut the scale into runs, best first."""
    name = scale.name.text
    labels = list(dict.fromkeys(item_key(item) for item in scale.items))
    sound = True
    named: dict[str, ast.Tier] = {}
    for tier in clause.tiers:
        text = tier.name.text
        if text not in TIERS:
            sound = False
            ctx.error(
                "PC321",
                f"`{text}` is not a tier",
                tier.name.span,
                did_you_mean(text, TIERS) or f"a scale's tiers are {', '.join(f'`{t}`' for t in TIERS)}",
            )
        elif text in named:
            sound = False
            ctx.error(
                "PC322",
                f"tier `{text}` is given twice in scale `{name}`",
                tier.name.span,
                f"list every value of tier `{text}` in one place",
            )
        else:
            named[text] = tier
    tier_of: dict[str, str] = {}
    unknown = False  # a value not of the scale is likely a misspelling of one it seems to leave out
    for tier in clause.tiers:
        for value in tier.values:
            key = tier_value_key(value)
            if key not in labels:
                sound, unknown = False, True
                values = ", ".join(f"`{label}`" for label in labels)
                ctx.error(
                    "PC323",
                    f"`{value.text}` is not a value of scale `{name}`",
                    value.span,
                    did_you_mean(value.text, labels) or f"the values of `{name}` are {values}",
                )
            elif key in tier_of:
                sound = False
                again = tier_of[key] == tier.name.text
                ctx.error(
                    "PC324",
                    f"`{value.text}` is listed twice in tier `{tier.name.text}`"
                    if again
                    else f"`{value.text}` is in two tiers of scale `{name}`, `{tier_of[key]}` and `{tier.name.text}`",
                    value.span,
                    "remove the repeated value" if again else "a value of the scale is in one tier; remove it from one",
                )
            else:
                tier_of[key] = tier.name.text
    left_out = [label for label in labels if label not in tier_of]
    if left_out and not unknown:
        sound = False
        listed = ", ".join(f"`{label}`" for label in left_out)
        ctx.error(
            "PC324",
            f"{'a value' if len(left_out) == 1 else 'values'} of scale `{name}` in no tier: {listed}",
            clause.span,
            "put every value of the scale in a tier",
        )
    if not sound:
        return
    tiers = list(named.values())
    for before, after in zip(tiers, tiers[1:], strict=False):
        if TIERS.index(after.name.text) < TIERS.index(before.name.text):
            ctx.error(
                "PC325",
                f"tier `{after.name.text}` comes after tier `{before.name.text}`",
                after.name.span,
                f"give the tiers best first: {_TIER_ORDER}",
            )
            return
    spans = {tier_value_key(v): v.span for tier in tiers for v in tier.values}
    # Best first along the scale, a value's tier is never better than the tier of the value before it.
    for better, worse in zip(labels, labels[1:], strict=False):
        if TIERS.index(tier_of[worse]) < TIERS.index(tier_of[better]):
            ctx.error(
                "PC325",
                f"`{worse}` is in tier `{tier_of[worse]}`, but `{better}`, better on scale `{name}`, is in tier "
                f"`{tier_of[better]}`",
                spans[worse],
                f"each tier holds values next to each other on the scale, best first: {_TIER_ORDER}",
            )
            return


def check_domains(ctx: Context) -> None:
    for domain in ctx.scope.domains.values():
        seen = set()
        for sub in domain.subdomains:
            if sub.text in seen:
                ctx.error("PC202", f"sub-domain `{sub.text}` is listed twice", sub.span, "remove the repeated name")
            seen.add(sub.text)


def declared_type(ctx: Context, decl_type: ast.Type) -> Type:
    if isinstance(decl_type, ast.BoolType):
        return BOOL
    if isinstance(decl_type, ast.LabelsType):
        names = [n.text for n in decl_type.labels]
        for n, label in enumerate(decl_type.labels):
            if label.text in names[:n]:
                ctx.error("PC313", f"label `{label.text}` is listed twice", label.span, "remove the repeated label")
        return Type("labels", labels=tuple(dict.fromkeys(names)))
    name = decl_type.name.text
    if name in UNITS:
        return number(name)
    if name in ctx.scope.scales:
        ctx.used.add(f"scale:{name}")
        scale = ctx.scale_type(name)
        ctx.produced.setdefault(name, set()).update(scale.labels)
        return scale
    hint = did_you_mean(name, [*UNITS, *ctx.scope.scales])
    units = ", ".join(UNITS)
    ctx.error(
        "PC201",
        f"unknown unit or scale `{name}`",
        decl_type.name.span,
        hint or f"a type is `yes/no`, `one of a / b`, a scale of this policy, or a unit: {units}",
    )
    return ERROR


def index_labels(ctx: Context) -> None:
    """Which types each label belongs to: labelled scales, the label sets of inputs and metrics, the org types."""
    for name in ctx.scope.scales:
        scale = ctx.scale_type(name)
        if not scale.numbered:
            for label in scale.labels:
                ctx.labels.setdefault(label, []).append(scale)
    for t in ctx.types.values():
        if t.kind == "labels":
            for label in t.labels:
                ctx.labels.setdefault(label, []).append(t)
    for org_type in ctx.scope.org_types:
        ctx.labels.setdefault(org_type, []).append(ctx.org_type)


def check_applies(ctx: Context, applies: ast.Applies | None) -> list[str]:
    """The org types a declaration applies to (all of them when it does not say)."""
    scope = ctx.scope
    if applies is None or applies.org_types is None:
        return list(scope.org_types)
    known = [n.text for n in applies.org_types if n.text in scope.org_types]
    if not known and scope.org_types:
        names = ", ".join(f"`{n.text}`" for n in applies.org_types)
        declared = ", ".join(f"`{t}`" for t in scope.org_types)
        hint = did_you_mean(applies.org_types[0].text, scope.org_types)
        ctx.error(
            "PC212",
            f"applies to no org type of the policy ({names})",
            applies.span,
            hint or f"the org types of this policy are {declared}",
        )
        return []
    for name in applies.org_types:
        if name.text not in scope.org_types:
            unknown_org_type(name, scope, ctx.diags)
    return known


def check_domain_ref(ctx: Context, domain: ast.Name, sub: ast.Name | None) -> bool:
    """Whether the domain (and sub-domain) exist; reports them if not."""
    if domain.text not in ctx.scope.domains:
        ctx.error(
            "PC201",
            f"unknown domain `{domain.text}`",
            domain.span,
            did_you_mean(domain.text, ctx.scope.domains) or "declare it with `domain`",
        )
        return False
    ctx.used.add(f"domain:{domain.text}")
    decl = ctx.scope.domains[domain.text]
    subs = [s.text for s in decl.subdomains]
    if sub is not None and sub.text not in subs:
        listed = ", ".join(f"`{s}`" for s in subs) or "none"
        ctx.error(
            "PC201",
            f"unknown sub-domain `{sub.text}` of domain `{domain.text}`",
            sub.span,
            did_you_mean(sub.text, subs) or f"its sub-domains are {listed}",
        )
        return False
    return True


def check_outcome(ctx: Context) -> None:
    outcome = ctx.scope.outcome
    if outcome is None:
        return
    name = outcome.name.text
    if ctx.scope.named(name) is None:
        ctx.error(
            "PC201",
            f"unknown name `{name}`",
            outcome.name.span,
            did_you_mean(name, ctx.scope.value_names()) or "name a value of the policy",
        )
    else:
        ctx.used.add(f"input:{name}")


def report_unused(ctx: Context) -> None:
    for name, decl in ctx.scope.inputs.items():
        if f"input:{name}" not in ctx.used:
            what = "judgement" if decl.judgement else "input"
            ctx.warning("PC250", f"no rule reads {what} `{name}`", decl.name.span, "use it in a rule, or remove it")
    for name, scale in ctx.scope.scales.items():
        if f"scale:{name}" not in ctx.used:
            ctx.warning(
                "PC251",
                f"scale `{name}` is never used",
                scale.name.span,
                "use it as a type or in a rule, or remove it",
            )
            continue
        produced = ctx.produced.get(name, set())
        for item in scale.items:
            if item_key(item) not in produced:
                ctx.warning(
                    "PC350",
                    f"no rule can give `{item.key.text}` on scale `{name}`",
                    item.span,
                    "a rule that gives it is missing, or the value is not needed",
                )
    for name, domain in ctx.scope.domains.items():
        if f"domain:{name}" not in ctx.used:
            ctx.warning(
                "PC251",
                f"domain `{name}` has no metric",
                domain.name.span,
                "put metrics in it with `in domain`, or remove it",
            )


def check_default(ctx: Context, decl: ast.Input | ast.Metric | ast.Value, t: Type) -> None:
    """An input's `default`: of the input's type, with its own `source` or `assume`; no other value takes one."""
    clause = decl.default
    if clause is None:
        return
    name = decl.name.text
    if isinstance(decl, ast.Metric):
        ctx.error(
            "PC328",
            f"metric `{name}` cannot take a default: a metric's missing value stays missing",
            clause.span,
            "remove the `default`; a missing value is skipped by `metric scores`, or write `if_missing(...)` in a rule",
        )
        return
    if isinstance(decl, ast.Value):
        ctx.error(
            "PC328",
            f"derived value `{name}` cannot take a default: its rule says when it is missing",
            clause.span,
            "remove the `default`; write `if_missing(...)` in the rule, or give the inputs it reads their defaults",
        )
        return
    if not any(p.kind in ("source", "assume") for p in clause.provenance):
        ctx.error(
            "PC326",
            f"the default of `{name}` says neither where it comes from nor why it is assumed",
            clause.span,
            'follow it with `source "..."` or `assume "..."`, indented under the default',
        )
    if t.is_error:
        return
    problem = default_problem(clause.value, t)
    if problem is not None:
        ctx.error(
            "PC327", f"the default of `{name}` must be {t}, not `{clause.value.text}`", clause.value.span, problem
        )


def default_problem(value: ast.Literal, t: Type) -> str | None:
    """What to write instead of a default that is not a value of `t`, or None when it is one."""
    if t.kind == "bool":
        return None if value.kind == "bool" else "write `yes` or `no`"
    if t.kind == "number":
        return None if value.kind == "number" else "write a number"
    if t.kind == "scale" and t.numbered:
        try:
            fits = value.kind == "number" and number_key(Decimal(value.text)) in t.labels
        except InvalidOperation:
            fits = False
        return None if fits else "write one of " + ", ".join(t.labels)
    if value.kind == "label" and value.text in t.labels:
        return None
    hint = did_you_mean(value.text, t.labels) if value.kind == "label" else None
    return hint or "write one of " + ", ".join(t.labels)
