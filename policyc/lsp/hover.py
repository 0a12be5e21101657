"""What a hover shows: a metric's definition in full, a value's rule, a label's scale, a function's signature."""

from __future__ import annotations

import re

from policyc.semantics.builtins import BUILTINS, Builtin
from policyc.semantics.resolve import BUILTIN_VALUES
from policyc.syntax import ast

from .index import Index, Key

# What the columns that every table has hold.
BUILTIN_TEXT = {
    "org": "the organisation a row is about (its code)",
    "org_type": "the row's org type",
    "period": "the row's period, such as `2025Q3`",
}
USAGE_CALL = re.compile(r"`([a-z_]+\([^`]*\))`")


def signature(builtin: Builtin) -> str:
    """How a function is called, as its usage line writes it, or from its arguments."""
    found = USAGE_CALL.search(builtin.usage)
    if found and found.group(1).startswith(builtin.name + "("):
        return found.group(1)
    args = ["x" if n == 0 else f"x{n + 1}" for n in range(builtin.arity)]
    if builtin.variadic:
        args.append("...")
    return f"{builtin.name}({', '.join(args)})"


def function_text(builtin: Builtin) -> str:
    lines = [f"```policy\n{signature(builtin)}\n```"]
    if builtin.selectors:
        takes = "`metric scores [in domain D [/ S]]`, weighted by each metric's `weight`"
        lines.append("takes " + (takes if builtin.weighted else "values, or " + takes.split(",")[0]))
    if builtin.named:
        lines.append("named arguments: " + ", ".join(f"`{n}`" for n in builtin.named))
    lines.append(builtin.usage)
    return "\n\n".join(lines)


def _type_text(decl_type: ast.Type) -> str:
    if isinstance(decl_type, ast.BoolType):
        return "yes/no"
    if isinstance(decl_type, ast.LabelsType):
        return "one of " + " / ".join(label.text for label in decl_type.labels)
    return decl_type.name.text


def _applies_text(applies: ast.Applies | None) -> str:
    if applies is None or applies.org_types is None:
        return "all"
    return ", ".join(name.text for name in applies.org_types)


def _number(number: ast.Number | None) -> str:
    return number.text if number is not None else ""


def scoring_text(scoring: ast.Scoring | None) -> str:
    if scoring is None:
        return "none (contextual: read, never scored)"
    if isinstance(scoring, ast.Ranked):
        parts = ["ranked within the cohort"]
        if scoring.standard is not None:
            parts.append(f"standard {_number(scoring.standard)}")
        if scoring.floor is not None:
            parts.append(f"floor {_number(scoring.floor)}")
        return ", ".join(parts)
    if isinstance(scoring, ast.Bands):
        rows = []
        for row in scoring.rows:
            low = f"{row.lower.value.text} {'<=' if row.lower.inclusive else '<'} " if row.lower else ""
            high = f" {'<=' if row.upper.inclusive else '<'} {row.upper.value.text}" if row.upper else ""
            rows.append(f"`{low}value{high}: {row.result.text}`")
        return "bands: " + "; ".join(rows)
    if isinstance(scoring, ast.Scores):
        return "scores " + ", ".join(f"{p.label.text} {p.score.text}" for p in scoring.pairs)
    return f"fails more than {scoring.k.text} sd {scoring.side} the cohort mean"


def _provenance(provenance: tuple[ast.Provenance, ...]) -> list[str]:
    names = {"source": "source", "assume": "assumption", "provisional": "provisional"}
    return [f"- {names[p.kind]}: {p.text}" for p in provenance]


def metric_text(metric: ast.Metric, index: Index) -> str:
    lines = [f"**metric** `{metric.name.text}`" + (f": {metric.title}" if metric.title else ""), ""]
    lines.append(f"- unit: {_type_text(metric.type)}")
    if metric.direction:
        lines.append(f"- {metric.direction} is better")
    lines.append(f"- for: {_applies_text(metric.applies)}")
    if metric.domain is not None:
        sub = f" / {metric.domain.subdomain.text}" if metric.domain.subdomain else ""
        lines.append(f"- domain: {metric.domain.domain.text}{sub}")
    if metric.weight is not None:
        lines.append(f"- weight: {_source_text(metric.weight.value, index)}")
    lines.append(f"- scoring: {scoring_text(metric.scoring)}")
    lines.extend(_provenance(metric.provenance))
    return "\n".join(lines)


def _source_text(node: ast.Node, index: Index) -> str:
    span = node.span
    source = index.sources.get(span.file) if span is not None else None
    if span is None or source is None:
        return ""
    return source.text[span.start : span.end]


def value_text(value: ast.Value, index: Index) -> str:
    t = index.type_of(value.name.text)
    head = f"**value** `{value.name.text}`" + (f": {t}" if t is not None and not t.is_error else "")
    rule = _source_text(value, index)
    return f"{head}\n\n```policy\n{rule}\n```"


def input_text(decl: ast.Input) -> str:
    kind = "judgement" if decl.judgement else "input"
    lines = [f"**{kind}** `{decl.name.text}`" + (f": {decl.title}" if decl.title else ""), ""]
    lines.append(f"- type: {_type_text(decl.type)}")
    lines.append(f"- for: {_applies_text(decl.applies)}")
    lines.extend(_provenance(decl.provenance))
    return "\n".join(lines)


def scale_items(scale: ast.Scale) -> str:
    return " > ".join(i.key.text + (f' "{i.label}"' if i.label else "") for i in scale.items)


def tiers_text(scale: ast.Scale) -> str:
    """How `compare` groups the scale's values beside another scale's: its declared tiers, or thirds."""
    if scale.tiers is None:
        return "compared with other scales in thirds of its order (it declares no `tiers`)"
    tiers = "; ".join(f"{t.name.text}: {', '.join(v.text for v in t.values)}" for t in scale.tiers.tiers)
    return f"tiers {tiers}"


def tier_text(scale: ast.Scale, tier: str) -> str:
    values = [v.text for t in scale.tiers.tiers if t.name.text == tier for v in t.values] if scale.tiers else []
    held = ", ".join(f"`{v}`" for v in values) or "no value"
    return (
        f"**tier** `{tier}` of scale `{scale.name.text}`: {held}\n\n"
        "`compare` takes two outcomes of different scales to differ when their tiers do"
    )


def label_text(label: str, index: Index) -> str:
    scales = index.label_scales(label)
    if not scales:
        declared: list[ast.Input | ast.Metric] = [*index.scope.inputs.values(), *index.scope.metrics.values()]
        owners = [
            decl.name.text
            for decl in declared
            if isinstance(decl.type, ast.LabelsType) and any(lab.text == label for lab in decl.type.labels)
        ]
        if owners:
            return f"**label** `{label}` of " + ", ".join(f"`{o}`" for o in owners)
        return f"**label** `{label}`"
    return "\n\n".join(
        f"**label** `{label}` of scale `{s.name.text}` (best first)\n\n{scale_items(s)}\n\n{tiers_text(s)}"
        for s in scales
    )


def domain_text(domain: ast.Domain, index: Index) -> str:
    metrics = [m for m in index.scope.metrics.values() if m.domain and m.domain.domain.text == domain.name.text]
    lines = [f"**domain** `{domain.name.text}`" + (f": {domain.title}" if domain.title else ""), ""]
    if domain.subdomains:
        lines.append("- sub-domains: " + ", ".join(s.text for s in domain.subdomains))
    lines.append(f"- {len(metrics)} metric{'s' if len(metrics) != 1 else ''}")
    lines.extend(_provenance(domain.provenance))
    return "\n".join(lines)


def org_type_text(name: str, index: Index) -> str:
    cohort = index.scope.cohort_of.get(name)
    count = sum(
        1
        for m in index.scope.metrics.values()
        if m.applies is None or m.applies.org_types is None or any(t.text == name for t in m.applies.org_types)
    )
    where = f"scored in cohort `{cohort}`" if cohort else "a cohort of its own"
    return f"**org type** `{name}`: {where}; {count} metric{'s' if count != 1 else ''} apply to it"


def hover_text(key: Key, index: Index) -> str | None:
    kind, name = key
    if kind == "value":
        decl = index.scope.named(name)
        if isinstance(decl, ast.Metric):
            return metric_text(decl, index)
        if isinstance(decl, ast.Value):
            return value_text(decl, index)
        if isinstance(decl, ast.Input):
            return input_text(decl)
        if name in BUILTIN_VALUES:
            return f"**column** `{name}`: {BUILTIN_TEXT[name]}"
        return None
    if kind == "label":
        return label_text(name, index)
    if kind == "scale" and name in index.scope.scales:
        scale = index.scope.scales[name]
        return f"**scale** `{name}` (best first)\n\n{scale_items(scale)}\n\n{tiers_text(scale)}"
    if kind == "tier" and name.split("/", 1)[0] in index.scope.scales:
        scale_name, tier = name.split("/", 1)
        return tier_text(index.scope.scales[scale_name], tier)
    if kind == "domain" and name in index.scope.domains:
        return domain_text(index.scope.domains[name], index)
    if kind == "subdomain":
        domain, sub = name.split("/", 1)
        count = sum(
            1
            for m in index.scope.metrics.values()
            if m.domain and m.domain.domain.text == domain and m.domain.subdomain and m.domain.subdomain.text == sub
        )
        return f"**sub-domain** `{sub}` of domain `{domain}`: {count} metric{'s' if count != 1 else ''}"
    if kind == "function" and name in BUILTINS:
        return function_text(BUILTINS[name])
    if kind == "org_type":
        return org_type_text(name, index)
    if kind == "cohort" and name in index.scope.cohorts:
        members = ", ".join(m.text for m in index.scope.cohorts[name].members)
        return f"**cohort** `{name}`: {members}"
    if kind == "unit":
        return f"**unit** `{name}`"
    return None
