"""Types, units, scales, band tables, scoring models, tests and reachability: every error, not the first."""

from __future__ import annotations

import difflib
from decimal import Decimal

import attrs

from policyc.semantics.resolve import UNITS, Scope, unknown_org_type
from policyc.semantics.types import BOOL, ERROR, Type, join, number, same, units_agree
from policyc.syntax import ast
from policyc.syntax.diagnostics import Diagnostics, did_you_mean

QUANTILE_METHODS = ("linear", "exclusive", "lower", "higher", "nearest", "midpoint")
SELECTOR_FUNCTIONS = ("mean", "sum", "min", "max", "count", "weighted_mean", "weighted_sum")
SCORE = number("score")
# How each function is called, for the help line of a call with the wrong number of arguments.
SIGNATURES = {
    "round": "write `round(x, places)`, e.g. `round(mean(metric scores), 2)`",
    "abs": "write `abs(x)`",
    "worsen": "write `worsen(x, steps)`, e.g. `worsen(segment, 1)`",
    "improve": "write `improve(x, steps)`, e.g. `improve(segment, 1)`",
    "previous": "write `previous(x)`: `x` in the previous period",
    "run": "write `run(condition)`: how many periods in a row it has held",
    "if_missing": "write `if_missing(x, fallback)`",
    "rank": "write `rank(x)`",
    "percentile_rank": "write `percentile_rank(x)`",
    "cohort_mean": "write `cohort_mean(x)`",
    "cohort_sd": "write `cohort_sd(x)`",
    "quantile": "write `quantile(x, 0.25, method: linear)`",
    "quartile": "write `quartile(x, method: linear)`",
}


def number_key(value: Decimal) -> str:
    """One spelling for equal numbers (`4`, `4.0`), so that a numbered scale's values compare."""
    return format(value.normalize(), "f")


def item_key(item: ast.ScaleItem) -> str:
    return item.key.text if isinstance(item.key, ast.Name) else number_key(item.key.value)


def constant(expr) -> Decimal | None:
    """The value of an expression of numbers and arithmetic alone, or None."""
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.Unary) and expr.op == "-":
        inner = constant(expr.operand)
        return None if inner is None else -inner
    if isinstance(expr, ast.Binary) and expr.op in ast.ARITHMETIC:
        left, right = constant(expr.left), constant(expr.right)
        if left is None or right is None:
            return None
        if expr.op == "/":
            return None if right == 0 else left / right
        return {"+": left + right, "-": left - right, "*": left * right}[expr.op]
    return None


def select(scope: Scope, selector: ast.Selector) -> list[ast.Metric]:
    """The scored metrics that `metric scores [in domain D [/ S]]` stands for, in declaration order."""

    def chosen(metric: ast.Metric) -> bool:
        if metric.scoring is None:
            return False
        if selector.domain is None:
            return True
        where = metric.domain
        if where is None or where.domain.text != selector.domain.text:
            return False
        return selector.subdomain is None or (
            where.subdomain is not None and where.subdomain.text == selector.subdomain.text
        )

    return [m for m in scope.metrics.values() if chosen(m)]


@attrs.define
class Checked:
    """A policy that passed the checks, with the type of every named value (metric scores as `m.score`)."""

    policy: ast.Policy
    scope: Scope
    types: dict[str, Type]
    labels: dict[str, list[Type]]  # each bare label's types


class Checker:
    def __init__(self, scope: Scope, diags: Diagnostics):
        self.scope = scope
        self.diags = diags
        self.types: dict[str, Type] = {}
        self.used: set[str] = set()  # inputs, scales and domains that something reads
        self.produced: dict[str, set[str]] = {}  # scale -> labels some rule can give
        self.labels: dict[str, list[Type]] = {}  # label -> the types it belongs to
        self.malformed_scales: set[str] = set()  # reported once; later uses stay quiet
        self.org_type = Type("labels", labels=tuple(scope.org_types))

    # ------------------------------------------------------------ entry

    def run(self) -> dict[str, Type]:
        self.check_scales()
        self.check_domains()
        for decl in self.scope.inputs.values():
            self.types[decl.name.text] = self.declared_type(decl.type)
            self.check_applies(decl.applies)
        for metric in self.scope.metrics.values():
            self.types[metric.name.text] = self.declared_type(metric.type)
        self.index_labels()
        for metric in self.scope.metrics.values():
            self.check_metric(metric)
        for name in self.scope.order:
            self.check_value(self.scope.values[name])
        for test in self.scope.tests:
            self.check_test(test)
        self.check_outcome()
        self.report_unused()
        return self.types

    def error(self, code, message, span, help_text=None):
        self.diags.error(code, message, span, help_text)

    # ------------------------------------------------------------ scales, domains, types

    def check_scales(self) -> None:
        for scale in self.scope.scales.values():
            kinds = {type(item.key) for item in scale.items}
            if len(kinds) > 1:
                self.malformed_scales.add(scale.name.text)
                self.error(
                    "PC313",
                    f"scale `{scale.name.text}` mixes numbers and labels",
                    scale.span,
                    "a scale is either all labels (best first) or all numbers (best first)",
                )
            seen = set()
            for item in scale.items:
                key = item_key(item)
                if key in seen:
                    self.error(
                        "PC313",
                        f"`{item.key.text}` appears twice in scale `{scale.name.text}`",
                        item.span,
                        "each value of a scale appears once",
                    )
                seen.add(key)
                if isinstance(item.key, ast.Name) and self.scope.named(key) is not None:
                    self.error(
                        "PC208",
                        f"`{key}` is both a label of scale `{scale.name.text}` and a value",
                        item.key.span,
                        f"rename the label or the value `{key}`",
                    )

    def check_domains(self) -> None:
        for domain in self.scope.domains.values():
            seen = set()
            for sub in domain.subdomains:
                if sub.text in seen:
                    self.error(
                        "PC202", f"sub-domain `{sub.text}` is listed twice", sub.span, "remove the repeated name"
                    )
                seen.add(sub.text)

    def scale_type(self, name: str) -> Type:
        scale = self.scope.scales[name]
        numbered = all(isinstance(i.key, ast.Number) for i in scale.items)
        labels = tuple(item_key(i) for i in scale.items)
        return Type("scale", scale=name, labels=labels, numbered=numbered)

    def declared_type(self, decl_type: ast.Type) -> Type:
        if isinstance(decl_type, ast.BoolType):
            return BOOL
        if isinstance(decl_type, ast.LabelsType):
            names = [n.text for n in decl_type.labels]
            for n, label in enumerate(decl_type.labels):
                if label.text in names[:n]:
                    self.error(
                        "PC313", f"label `{label.text}` is listed twice", label.span, "remove the repeated label"
                    )
            return Type("labels", labels=tuple(dict.fromkeys(names)))
        name = decl_type.name.text
        if name in UNITS:
            return number(name)
        if name in self.scope.scales:
            self.used.add(f"scale:{name}")
            scale = self.scale_type(name)
            self.produced.setdefault(name, set()).update(scale.labels)
            return scale
        hint = did_you_mean(name, [*UNITS, *self.scope.scales])
        units = ", ".join(UNITS)
        self.error(
            "PC201",
            f"unknown unit or scale `{name}`",
            decl_type.name.span,
            hint or f"a type is `yes/no`, `one of a / b`, a scale of this policy, or a unit: {units}",
        )
        return ERROR

    def index_labels(self) -> None:
        for name in self.scope.scales:
            scale = self.scale_type(name)
            if not scale.numbered:
                for label in scale.labels:
                    self.labels.setdefault(label, []).append(scale)
        for t in self.types.values():
            if t.kind == "labels":
                for label in t.labels:
                    self.labels.setdefault(label, []).append(t)
        for org_type in self.scope.org_types:
            self.labels.setdefault(org_type, []).append(self.org_type)

    def check_applies(self, applies: ast.Applies | None) -> list[str]:
        """The org types a declaration applies to (all of them when it does not say)."""
        if applies is None or applies.org_types is None:
            return list(self.scope.org_types)
        known = [n.text for n in applies.org_types if n.text in self.scope.org_types]
        if not known and self.scope.org_types:
            names = ", ".join(f"`{n.text}`" for n in applies.org_types)
            declared = ", ".join(f"`{t}`" for t in self.scope.org_types)
            hint = did_you_mean(applies.org_types[0].text, self.scope.org_types)
            self.error(
                "PC212",
                f"applies to no org type of the policy ({names})",
                applies.span,
                hint or f"the org types of this policy are {declared}",
            )
            return []
        for name in applies.org_types:
            if name.text not in self.scope.org_types:
                unknown_org_type(name, self.scope, self.diags)
        return known

    # ------------------------------------------------------------ metrics

    def check_metric(self, metric: ast.Metric) -> None:
        name = metric.name.text
        raw = self.types[name]
        if metric.applies is None:
            self.error(
                "PC213",
                f"metric `{name}` does not say which org types it applies to",
                metric.name.span,
                "add `for acute, ...` (the source table's last column) or `for all`",
            )
        else:
            self.check_applies(metric.applies)
        if metric.domain is not None:
            self.check_domain_ref(metric.domain.domain, metric.domain.subdomain)
        if metric.weight is not None:
            weight = constant(metric.weight.value)
            if weight is None:
                self.infer(metric.weight.value)  # its names are read, even though it is wrong
            if weight is None or weight <= 0:
                self.error(
                    "PC314",
                    "a weight is a positive constant number",
                    metric.weight.value.span,
                    "write a number such as `1/3`",
                )
        scoring = metric.scoring
        score = ERROR
        if scoring is None:
            score = ERROR
        elif isinstance(scoring, ast.Ranked):
            score = SCORE
            self.need_number(metric, raw, "ranked")
            self.need_direction(metric, "ranked")
            self.check_standard_floor(metric, raw)
        elif isinstance(scoring, ast.Relative):
            score = BOOL
            self.need_number(metric, raw, "scored against the cohort mean")
            if self.need_direction(metric, "scored against the cohort mean"):
                wrong = "below" if metric.direction == "lower" else "above"
                if scoring.side == wrong:
                    right = "above" if wrong == "below" else "below"
                    self.error(
                        "PC311",
                        f"`{name}` is {metric.direction} is better, so it fails {right} the mean, not {wrong} it",
                        scoring.span,
                        f"write `fails more than {scoring.k.text} sd {right} mean`",
                    )
            if scoring.k.value <= 0:
                self.error(
                    "PC314",
                    "the number of standard deviations must be positive",
                    scoring.k.span,
                    "write a number above 0, such as `fails more than 1 sd below mean`",
                )
        elif isinstance(scoring, ast.Bands):
            self.need_number(metric, raw, "banded")
            score = self.check_bands(scoring, metric.direction, raw)
        elif isinstance(scoring, ast.Scores):
            score = SCORE
            self.check_scores(metric, raw, scoring)
        self.types[f"{name}.score"] = score

    def need_number(self, metric: ast.Metric, raw: Type, how: str) -> None:
        if not raw.is_error and raw.kind != "number":
            self.error(
                "PC312",
                f"metric `{metric.name.text}` is {raw}, so it cannot be {how}",
                metric.scoring.span,
                "give the metric a unit (percent, rate, ...), or map its labels with `scores`",
            )

    def need_direction(self, metric: ast.Metric, how: str) -> bool:
        if metric.direction is None:
            self.error(
                "PC312",
                f"metric `{metric.name.text}` is {how} but does not say which way is better",
                metric.scoring.span,
                "add `higher is better` or `lower is better`",
            )
            return False
        return True

    def check_standard_floor(self, metric: ast.Metric, raw: Type) -> None:
        ranked = metric.scoring
        standard, floor = ranked.standard, ranked.floor
        for bound, what in ((standard, "standard"), (floor, "floor")):
            if bound is not None and raw.unit == "percent" and not 0 <= bound.value <= 100:
                self.error(
                    "PC307",
                    f"a {what} of {bound.text} is not a percentage",
                    bound.span,
                    "a percent lies between 0 and 100",
                )
        if standard is None or floor is None or metric.direction is None:
            return
        higher = metric.direction == "higher"
        if (standard.value <= floor.value) if higher else (standard.value >= floor.value):
            side = "above" if higher else "below"
            self.error(
                "PC307",
                f"the standard ({standard.text}) must be {side} the floor ({floor.text}) "
                f"when {metric.direction} is better",
                ranked.span,
                "meeting the standard scores 1 and failing the floor scores 4; swap them, "
                "or check the metric's direction",
            )

    def check_bands(self, bands: ast.Bands, direction: str | None, raw: Type) -> Type:
        intervals = []
        for row in bands.rows:
            lo = row.lower.value.value if row.lower else None
            hi = row.upper.value.value if row.upper else None
            if (
                lo is not None
                and hi is not None
                and (lo > hi or (lo == hi and not (row.lower.inclusive and row.upper.inclusive)))
            ):
                self.error(
                    "PC306",
                    "this band holds no value",
                    row.span,
                    "the lower bound must come first and be below the upper bound",
                )
                continue
            intervals.append((row, lo, hi))
        if len(intervals) == len(bands.rows):
            self.check_band_order(intervals, direction)
        return self.band_results(bands)

    def check_band_order(self, intervals, direction: str | None) -> None:
        def position(item):
            _, lo, hi = item
            return (Decimal("-Infinity") if lo is None else lo, Decimal("Infinity") if hi is None else hi)

        ascending = sorted(intervals, key=position)
        if direction == "higher":
            wanted, how = ascending[::-1], "from the highest values to the lowest (higher is better)"
        elif direction == "lower":
            wanted, how = ascending, "from the lowest values to the highest (lower is better)"
        else:
            wanted, how = (ascending if intervals == ascending else ascending[::-1]), "in order of value"
        if [r for r, _, _ in wanted] != [r for r, _, _ in intervals]:
            out_of_place = next(r for (r, _, _), (w, _, _) in zip(intervals, wanted, strict=True) if r is not w)
            self.error("PC306", "band rows are out of order", out_of_place.span, f"list the bands {how}")
            return
        for (low_row, _, low_hi), (high_row, high_lo, _) in zip(ascending, ascending[1:], strict=False):
            low_incl = low_row.upper.inclusive if low_row.upper else True
            high_incl = high_row.lower.inclusive if high_row.lower else True
            if low_hi is None or high_lo is None or low_hi > high_lo:
                self.error(
                    "PC305",
                    "this band overlaps another",
                    high_row.span,
                    "a value must fall in one band only; make each band end where the next begins",
                )
            elif low_hi < high_lo:
                self.error(
                    "PC304",
                    f"values between {low_hi} and {high_lo} fall in no band",
                    high_row.span,
                    f"start this band at {low_hi}, or end the other at {high_lo}",
                )
            elif low_incl and high_incl:
                self.error(
                    "PC305",
                    f"{low_hi} falls in two bands",
                    high_row.span,
                    f"use `<` on one side of {low_hi} and `<=` on the other",
                )
            elif not low_incl and not high_incl:
                self.error(
                    "PC304", f"{low_hi} itself falls in no band", high_row.span, f"use `<=` on one side of {low_hi}"
                )

    def band_results(self, bands: ast.Bands) -> Type:
        results = [row.result for row in bands.rows]
        kinds = {lit.kind for lit in results}
        if kinds <= {"number"}:
            return SCORE
        if kinds <= {"label"}:
            names = [lit.text for lit in results]
            candidates = [t for t in self.labels.get(names[0], []) if all(n in t.labels for n in names)]
            if len(candidates) >= 1:
                found = candidates[0]
                self.mark_produced(found, names)
                return found
            stray = next((lit for lit in results if lit.text not in self.labels), results[0])
            self.error(
                "PC303",
                f"the band results are not all labels of one scale (`{stray.text}`)",
                stray.span,
                did_you_mean(stray.text, self.labels) or "declare a scale that holds every result of the table",
            )
            return ERROR
        self.error(
            "PC316",
            "band results mix kinds: all numbers, or all labels of one scale",
            bands.span,
            "make every result a score, or every result a label",
        )
        return ERROR

    def check_scores(self, metric: ast.Metric, raw: Type, scores: ast.Scores) -> None:
        if raw.is_error:
            return
        if raw.kind not in ("labels", "scale") or raw.numbered:
            self.error(
                "PC312",
                f"metric `{metric.name.text}` is {raw}; `scores` maps labels to scores",
                scores.span,
                "give the metric a scale or `one of ...` type",
            )
            return
        mapped = []
        for pair in scores.pairs:
            if pair.label.text not in raw.labels:
                self.error(
                    "PC303",
                    f"`{pair.label.text}` is not {raw}",
                    pair.label.span,
                    did_you_mean(pair.label.text, raw.labels) or "map only the metric's labels",
                )
            elif pair.label.text in mapped:
                self.error(
                    "PC310", f"`{pair.label.text}` is mapped twice", pair.label.span, "give each label one score"
                )
            mapped.append(pair.label.text)
        meant = {
            m
            for text in mapped
            if text not in raw.labels
            for m in difflib.get_close_matches(text, raw.labels, n=1, cutoff=0.6)
        }
        missing = [label for label in raw.labels if label not in mapped and label not in meant]
        if missing:
            names = ", ".join(f"`{m}`" for m in missing)
            self.error("PC310", f"`scores` gives no score for {names}", scores.span, "give every label a score")

    def check_domain_ref(self, domain: ast.Name, sub: ast.Name | None) -> bool:
        """Whether the domain (and sub-domain) exist; reports them if not."""
        if domain.text not in self.scope.domains:
            self.error(
                "PC201",
                f"unknown domain `{domain.text}`",
                domain.span,
                did_you_mean(domain.text, self.scope.domains) or "declare it with `domain`",
            )
            return False
        self.used.add(f"domain:{domain.text}")
        decl = self.scope.domains[domain.text]
        subs = [s.text for s in decl.subdomains]
        if sub is not None and sub.text not in subs:
            listed = ", ".join(f"`{s}`" for s in subs) or "none"
            self.error(
                "PC201",
                f"unknown sub-domain `{sub.text}` of domain `{domain.text}`",
                sub.span,
                did_you_mean(sub.text, subs) or f"its sub-domains are {listed}",
            )
            return False
        return True

    # ------------------------------------------------------------ values

    def check_value(self, value: ast.Value) -> None:
        name = value.name.text
        t = self.infer(value.expr)
        self.types[name] = t
        for adjust in value.adjusts:
            self.expect_bool(adjust.condition, "the condition of an adjustment")
            if adjust.kind != "becomes" and not t.is_error and t.kind != "scale":
                self.error(
                    "PC301",
                    f"`{adjust.kind}` needs a scale, and `{name}` is {t}",
                    adjust.span,
                    f"give `{name}` a scale (e.g. `... as segment`), or use `becomes`",
                )
                self.infer(adjust.value)
                continue
            got = self.infer(adjust.value, t)
            if not same(t, got):
                self.error(
                    "PC301",
                    f"`{name}` is {t}, but this adjustment gives {got}",
                    adjust.value.span,
                    f"give a value of the same type as `{name}`",
                )
            if isinstance(adjust.condition, ast.Bool) and not adjust.condition.value:
                self.diags.warning(
                    "PC351", "this adjustment never applies", adjust.span, "its condition is always `no`; remove it"
                )

    def expect_bool(self, expr, what: str) -> None:
        t = self.infer(expr)
        if not t.is_error and t.kind != "bool":
            self.error(
                "PC301",
                f"{what} must be yes/no, not {t}",
                expr.span,
                "compare it with something, e.g. `x is y` or `x >= 3`",
            )

    def is_bare_label(self, expr) -> bool:
        return (
            isinstance(expr, ast.Ref)
            and self.scope.named(expr.name.text) is None
            and expr.name.text not in ("org", "org_type", "period")
        )

    def infer(self, expr, expected: Type | None = None, produce: bool = True) -> Type:
        if isinstance(expr, ast.Number):
            if expected is not None and expected.kind == "scale" and expected.numbered:
                if number_key(expr.value) in expected.labels:
                    if produce:
                        self.mark_produced(expected, [number_key(expr.value)])
                    return expected
                self.error(
                    "PC303",
                    f"{expr.text} is not a value of scale `{expected.scale}`",
                    expr.span,
                    f"scale `{expected.scale}` has " + ", ".join(expected.labels),
                )
                return ERROR
            return number()
        if isinstance(expr, ast.Bool):
            return BOOL
        if isinstance(expr, ast.Missing):
            return expected or ERROR
        if isinstance(expr, ast.Ref):
            return self.infer_ref(expr, expected, produce)
        if isinstance(expr, ast.Member):
            return self.infer_member(expr)
        if isinstance(expr, ast.Unary):
            if expr.op == "not":
                self.expect_bool(expr.operand, "the operand of `not`")
                return BOOL
            t = self.infer(expr.operand)
            self.need_numeric(t, expr.operand, "`-`")
            return t if t.kind == "number" else ERROR
        if isinstance(expr, ast.Binary):
            return self.infer_binary(expr)
        if isinstance(expr, ast.Cast):
            return self.infer_cast(expr)
        if isinstance(expr, ast.Table):
            return self.infer_table(expr, expected)
        if isinstance(expr, ast.Call):
            return self.infer_call(expr, expected)
        raise TypeError(f"not an expression: {expr!r}")

    def infer_ref(self, expr: ast.Ref, expected: Type | None, produce: bool) -> Type:
        name = expr.name.text
        if name in self.scope.values:
            return self.types.get(name, ERROR)
        if name in self.scope.inputs or name in self.scope.metrics:
            self.used.add(f"input:{name}")
            return self.types.get(name, ERROR)
        if name == "org_type":
            return self.org_type
        if name in ("org", "period"):
            self.error(
                "PC301",
                f"`{name}` cannot be used in a rule",
                expr.span,
                "rules see one organisation and period at a time; use `previous(...)` or `run(...)` to look back",
            )
            return ERROR
        if expected is not None and expected.kind in ("labels", "scale") and not expected.numbered:
            if name in expected.labels:
                if produce:
                    self.mark_produced(expected, [name])
                return expected
            if name in self.labels:
                self.error(
                    "PC303",
                    f"`{name}` is not {expected}",
                    expr.span,
                    did_you_mean(name, expected.labels) or "use one of: " + ", ".join(expected.labels),
                )
                return ERROR
        owners = self.labels.get(name, [])
        if len(owners) == 1:
            if produce:
                self.mark_produced(owners[0], [name])
            return owners[0]
        if len(owners) > 1:
            scales = ", ".join(str(t) for t in owners)
            self.error(
                "PC211",
                f"`{name}` is a label of more than one scale ({scales})",
                expr.span,
                "compare it with a value of the scale you mean, so the scale is clear",
            )
            return ERROR
        hint = did_you_mean(name, [*self.scope.value_names(), *self.labels])
        self.error(
            "PC201",
            f"unknown name `{name}`",
            expr.span,
            hint or "declare it as an input, metric or value, or as a label of a scale",
        )
        return ERROR

    def infer_member(self, expr: ast.Member) -> Type:
        target = expr.target.text
        self.used.add(f"input:{target}")
        if target not in self.scope.metrics:
            what = "is not a metric" if self.scope.named(target) else "is not declared"
            self.error(
                "PC201",
                f"`{target}` {what}; only metrics have a `.score`",
                expr.target.span,
                did_you_mean(target, self.scope.metrics) or "use the name of a metric",
            )
            return ERROR
        if expr.member.text != "score":
            self.error(
                "PC201",
                f"a metric has no `.{expr.member.text}`",
                expr.member.span,
                f"write `{target}.score` for its score, or `{target}` for its value",
            )
            return ERROR
        metric = self.scope.metrics[target]
        if metric.scoring is None:
            self.error(
                "PC312",
                f"metric `{target}` is not scored",
                expr.span,
                "give it a scoring model (`ranked`, `bands`, `scores` or `fails ...`)",
            )
            return ERROR
        return self.types.get(f"{target}.score", ERROR)

    def need_numeric(self, t: Type, expr, what: str) -> bool:
        if t.is_error or t.kind == "number":
            return True
        help_text = (
            "compare scale values with `better than`, `worse than` or `is`"
            if t.kind == "scale"
            else "use a number here"
        )
        self.error("PC301", f"{what} needs numbers, and this is {t}", expr.span, help_text)
        return False

    def infer_binary(self, expr: ast.Binary) -> Type:
        op = expr.op
        if op in ast.LOGIC:
            self.expect_bool(expr.left, f"each side of `{op}`")
            self.expect_bool(expr.right, f"each side of `{op}`")
            return BOOL
        if op in ("is", "is not", "better than", "worse than"):
            return self.infer_equality(expr)
        left, right = self.infer(expr.left), self.infer(expr.right)
        ok = self.need_numeric(left, expr.left, f"`{op}`") & self.need_numeric(right, expr.right, f"`{op}`")
        if not ok or left.is_error or right.is_error:
            return BOOL if op in ast.COMPARISON else ERROR
        if op in ("+", "-", "<", "<=", ">", ">="):
            if not units_agree(left, right):
                self.error(
                    "PC302", f"`{op}` between {left.unit} and {right.unit}", expr.span, "both sides need the same unit"
                )
            return BOOL if op in ast.COMPARISON else number(left.unit or right.unit)
        if left.unit and right.unit:
            return number(None)
        return number(left.unit or right.unit)

    def infer_equality(self, expr: ast.Binary) -> Type:
        op = expr.op
        first, second = expr.left, expr.right
        if self.is_bare_label(first) and not self.is_bare_label(second):
            first, second = second, first
        t1 = self.infer(first, produce=False)
        t2 = self.infer(second, t1 if not t1.is_error else None, produce=False)
        if t1.is_error or t2.is_error:
            return BOOL
        if op in ("better than", "worse than"):
            if t1.kind != "scale" or not same(t1, t2):
                self.error(
                    "PC301",
                    f"`{op}` compares two values of one scale, not {t1} and {t2}",
                    expr.span,
                    "use `<` or `>` for numbers" if t1.kind == "number" else "compare values of one scale",
                )
            return BOOL
        if t1.kind == "number" and t2.kind == "number":
            if not units_agree(t1, t2):
                self.error(
                    "PC302", f"`{op}` between {t1.unit} and {t2.unit}", expr.span, "both sides need the same unit"
                )
            return BOOL
        if not (same(t1, t2) or same(t2, t1)):
            self.error("PC301", f"`{op}` between {t1} and {t2}", expr.span, "compare values of the same kind")
        return BOOL

    def infer_cast(self, expr: ast.Cast) -> Type:
        t = self.infer(expr.operand)
        self.need_numeric(t, expr.operand, "`as`")
        name = expr.scale.text
        if name not in self.scope.scales:
            self.error(
                "PC201",
                f"unknown scale `{name}`",
                expr.scale.span,
                did_you_mean(name, self.scope.scales) or "declare it with `scale`",
            )
            return ERROR
        self.used.add(f"scale:{name}")
        if name in self.malformed_scales:
            return ERROR
        scale = self.scale_type(name)
        if not scale.numbered:
            self.error(
                "PC315",
                f"scale `{name}` has labels; only a numbered scale takes a number",
                expr.span,
                "use a decision table (`when ...: label`) to turn a number into a label",
            )
            return ERROR
        self.produced.setdefault(name, set()).update(scale.labels)
        return scale

    def infer_alternatives(self, exprs: list, expected: Type | None, what: str) -> Type:
        """The common type of several results (table rows, worst/best arguments)."""
        if expected is None:
            # The first result that says its type sets it, so a later odd one is the one blamed.
            for e in exprs:
                if self.is_bare_label(e):
                    owners = self.labels.get(e.name.text, [])
                    if len(owners) == 1:
                        expected = owners[0]
                        break
                    continue
                expected = self.infer(e, produce=False)
                if not expected.is_error:
                    break
                expected = None
        if expected is None:
            labels = [e for e in exprs if self.is_bare_label(e)]
            common = None
            for e in labels:
                owners = self.labels.get(e.name.text, [])
                common = owners if common is None else [t for t in common if t in owners]
            if common and len(common) == 1:
                expected = common[0]
        result = expected
        for e in exprs:
            t = self.infer(e, expected)
            if result is None or result.is_error:
                result = t
            elif not t.is_error and not same(result, t) and not same(t, result):
                self.error(
                    "PC317",
                    f"{what} give different kinds of value: {result} and {t}",
                    e.span,
                    "every result must be of the same type",
                )
                return ERROR
            else:
                result = join(result, t)
        return result or ERROR

    def infer_table(self, table: ast.Table, expected: Type | None) -> Type:
        seen = []
        for row in table.rows:
            if row.condition is None:
                continue
            self.expect_bool(row.condition, "the condition of a `when` row")
            if any(row.condition == earlier for earlier in seen) or any(
                isinstance(c, ast.Bool) and c.value for c in seen
            ):
                self.diags.warning(
                    "PC351",
                    "this row can never be chosen",
                    row.span,
                    "an earlier row already catches every case it would; remove or reorder it",
                )
            seen.append(row.condition)
        return self.infer_alternatives([row.result for row in table.rows], expected, "the rows of this table")

    def mark_produced(self, t: Type, labels) -> None:
        if t.kind == "scale":
            self.produced.setdefault(t.scale, set()).update(labels)
            self.used.add(f"scale:{t.scale}")

    # ------------------------------------------------------------ functions

    def infer_call(self, call: ast.Call, expected: Type | None) -> Type:
        name = call.func.text
        handler = getattr(self, f"fn_{name}", None)
        if handler is None:
            known = sorted(n[3:] for n in dir(self) if n.startswith("fn_"))
            self.error(
                "PC206",
                f"unknown function `{name}`",
                call.func.span,
                did_you_mean(name, known) or "the functions are " + ", ".join(known),
            )
            for arg in call.args:
                if not isinstance(arg, (ast.Selector, ast.NamedArg)):
                    self.infer(arg)
            return ERROR
        positional = [a for a in call.args if not isinstance(a, ast.NamedArg)]
        named = {a.name.text: a for a in call.args if isinstance(a, ast.NamedArg)}
        for arg in positional:
            if isinstance(arg, ast.Selector) and name not in SELECTOR_FUNCTIONS:
                self.error(
                    "PC308",
                    f"`metric scores` cannot be an argument of `{name}`",
                    arg.span,
                    "use it in " + ", ".join(f"`{f}`" for f in SELECTOR_FUNCTIONS),
                )
                return ERROR
        allowed = {"quantile": ("method",), "quartile": ("method",)}.get(name, ())
        for key, arg in named.items():
            if key not in allowed:
                self.error(
                    "PC308",
                    f"`{name}` takes no argument `{key}`",
                    arg.name.span,
                    f"`{name}` takes `method`" if allowed else "remove it",
                )
        return handler(call, positional, named, expected)

    def arity(self, call: ast.Call, args: list, low: int, high: int | None = None) -> bool:
        high = low if high is None else high
        if low <= len(args) <= high:
            return True
        want = f"{low}" if low == high else (f"at least {low}" if high == 99 else f"{low} to {high}")
        self.error(
            "PC308",
            f"`{call.func.text}` takes {want} argument{'s' if want != '1' else ''}, not {len(args)}",
            call.span,
            SIGNATURES.get(call.func.text, f"give `{call.func.text}` at least one value"),
        )
        for arg in args:
            if not isinstance(arg, ast.Selector):
                self.infer(arg)
        return False

    def integer_literal(self, arg, what: str) -> None:
        if not isinstance(arg, ast.Number) or arg.value != arg.value.to_integral_value() or arg.value < 0:
            self.error(
                "PC308",
                f"{what} must be a whole number written out",
                arg.span,
                "write a number such as 2, not an expression or a fraction",
            )

    def selection(self, selector: ast.Selector) -> list[ast.Metric]:
        if selector.domain is not None and not self.check_domain_ref(selector.domain, selector.subdomain):
            return []
        chosen = select(self.scope, selector)
        if not chosen:
            self.error(
                "PC320",
                "`metric scores` selects no scored metric",
                selector.span,
                "check the domain, or give its metrics a scoring model",
            )
        return chosen

    def many(self, call: ast.Call, args: list, want: str) -> Type:
        """Arguments that may be a selector or several expressions, all numbers or all yes/no."""
        if not self.arity(call, args, 1, 99):
            return ERROR
        wanted = "numbers" if want == "number" else "yes/no"
        result = None
        failed = False
        for arg in args:
            if isinstance(arg, ast.Selector):
                for metric in self.selection(arg):
                    t = self.types.get(f"{metric.name.text}.score", ERROR)
                    if not t.is_error and t.kind != want:
                        self.error(
                            "PC301",
                            f"`{call.func.text}` needs {wanted}, but metric `{metric.name.text}` scores {t}",
                            arg.span,
                            "select metrics whose scores are all of one kind",
                        )
                        failed = True
                        break
                    result = t if result is None else join(result, t)
                continue
            t = self.infer(arg)  # every argument is checked, so one mistake does not hide another
            if not t.is_error and t.kind != want:
                self.error(
                    "PC301",
                    f"`{call.func.text}` needs {wanted}, not {t}",
                    arg.span,
                    "narrow the arguments to values of one kind",
                )
                failed = True
                continue
            if result is not None and want == "number" and not units_agree(result, t):
                self.error(
                    "PC302",
                    f"`{call.func.text}` of {result.unit} and {t.unit}",
                    arg.span,
                    "every argument needs the same unit",
                )
            result = t if result is None else join(result, t)
        return ERROR if failed or result is None else result

    def fn_round(self, call, args, named, expected):
        if not self.arity(call, args, 2):
            return ERROR
        t = self.infer(args[0])
        self.need_numeric(t, args[0], "`round`")
        self.integer_literal(args[1], "the number of decimal places")
        return t if t.kind == "number" else ERROR

    def fn_abs(self, call, args, named, expected):
        if not self.arity(call, args, 1):
            return ERROR
        t = self.infer(args[0])
        self.need_numeric(t, args[0], "`abs`")
        return t

    def _numbers(self, call, args, named, expected):
        return self.many(call, args, "number")

    fn_mean = fn_sum = fn_min = fn_max = _numbers

    def _weighted(self, call, args, named, expected):
        if not args or not all(isinstance(arg, ast.Selector) for arg in args):
            self.error(
                "PC308",
                f"`{call.func.text}` takes `metric scores` (weighted by each metric's weight)",
                call.span,
                f"write `{call.func.text}(metric scores in domain ...)`",
            )
            return ERROR
        return self.many(call, args, "number")

    fn_weighted_mean = fn_weighted_sum = _weighted

    def fn_count(self, call, args, named, expected):
        self.many(call, args, "bool")
        return number("count")

    def _extreme(self, call, args, named, expected):
        if not self.arity(call, args, 1, 99):
            return ERROR
        t = self.infer_alternatives(args, expected, f"the arguments of `{call.func.text}`")
        if not t.is_error and t.kind != "scale":
            self.error(
                "PC301",
                f"`{call.func.text}` picks from a scale, and these are {t}",
                call.span,
                "use `min` or `max` for numbers",
            )
            return ERROR
        return t

    fn_worst = fn_best = _extreme

    def _step(self, call, args, named, expected):
        if not self.arity(call, args, 2):
            return ERROR
        t = self.infer(args[0], expected)
        if not t.is_error and t.kind != "scale":
            self.error(
                "PC301",
                f"`{call.func.text}` moves along a scale, and this is {t}",
                args[0].span,
                "give a value of a scale; for numbers use `+` or `-`",
            )
        self.integer_literal(args[1], "the number of steps")
        return t

    fn_worsen = fn_improve = _step

    def fn_previous(self, call, args, named, expected):
        if not self.arity(call, args, 1):
            return ERROR
        return self.infer(args[0], expected)

    def fn_run(self, call, args, named, expected):
        if self.arity(call, args, 1):
            self.expect_bool(args[0], "the argument of `run`")
        return number("count")

    def fn_if_missing(self, call, args, named, expected):
        if not self.arity(call, args, 2):
            return ERROR
        return self.infer_alternatives(args, expected, "the arguments of `if_missing`")

    def _cohort(self, call, args, named, expected):
        if not self.arity(call, args, 1):
            return ERROR
        t = self.infer(args[0])
        self.need_numeric(t, args[0], f"`{call.func.text}`")
        if call.func.text in ("rank", "percentile_rank"):
            return number()
        return t

    fn_rank = fn_percentile_rank = fn_cohort_mean = fn_cohort_sd = _cohort

    def method(self, named) -> None:
        arg = named.get("method")
        if arg is None:
            return
        value = arg.value
        if not isinstance(value, ast.Ref) or value.name.text not in QUANTILE_METHODS:
            shown = value.name.text if isinstance(value, ast.Ref) else "this"
            self.error(
                "PC308",
                f"unknown quantile method `{shown}`",
                value.span,
                did_you_mean(shown, QUANTILE_METHODS) or "methods: " + ", ".join(QUANTILE_METHODS),
            )

    def fn_quantile(self, call, args, named, expected):
        self.method(named)
        if not self.arity(call, args, 2):
            return ERROR
        t = self.infer(args[0])
        self.need_numeric(t, args[0], "`quantile`")
        p = constant(args[1])
        if p is None or not 0 <= p <= 1:
            self.error("PC308", "the quantile is a constant between 0 and 1", args[1].span, "e.g. 0.25")
        return t

    def fn_quartile(self, call, args, named, expected):
        self.method(named)
        if not self.arity(call, args, 1):
            return ERROR
        t = self.infer(args[0])
        self.need_numeric(t, args[0], "`quartile`")
        return number()

    def check_outcome(self) -> None:
        outcome = self.scope.outcome
        if outcome is None:
            return
        name = outcome.name.text
        if self.scope.named(name) is None:
            self.error(
                "PC201",
                f"unknown name `{name}`",
                outcome.name.span,
                did_you_mean(name, self.scope.value_names()) or "name a value of the policy",
            )
        else:
            self.used.add(f"input:{name}")

    # ------------------------------------------------------------ tests

    def check_test(self, test: ast.Test) -> None:
        rows: dict[str, ast.Given] = {}
        for given in test.givens:
            if given.row is not None:
                if given.row.text in rows:
                    self.error(
                        "PC202", f"row `{given.row.text}` is given twice", given.row.span, "give each row its own name"
                    )
                rows[given.row.text] = given
            elif len(test.givens) > 1:
                self.error(
                    "PC318", "a test with several rows names each one", given.span, "write `given a: org_type ..., ...`"
                )
            keys = [a.key for a in given.items]
            if "org_type" not in keys and len(self.scope.org_types) != 1:
                self.error(
                    "PC318",
                    "this row does not say its org type",
                    given.span,
                    "add `org_type acute` (or another org type of the policy)",
                )
            for item in given.items:
                self.check_assignment(item)
        for expect in test.expects:
            if expect.row is not None and expect.row.text not in rows:
                self.error(
                    "PC201",
                    f"unknown row `{expect.row.text}`",
                    expect.row.span,
                    did_you_mean(expect.row.text, rows) or "name a row of a `given` line",
                )
            elif expect.row is None and len(test.givens) > 1:
                self.error("PC318", "say which row this expectation is for", expect.span, "write `expect a: ...`")
            for item in expect.items:
                t = self.check_assignment(item)
                if item.tolerance is not None and t is not None and not t.is_error and t.kind != "number":
                    self.error("PC318", "a tolerance is for numbers only", item.tolerance.span, "remove `within ...`")

    def check_assignment(self, item: ast.Assignment) -> Type | None:
        key = item.key
        lit = item.value
        if key == "org":
            return None
        if key == "period":
            if lit.kind != "period":
                self.error(
                    "PC301",
                    "a period is a year and a quarter",
                    lit.span,
                    "write it like 2025Q3 (financial year 2025/26, quarter 3)",
                )
            return None
        if key == "org_type":
            expected = self.org_type
        elif key in self.types and (item.member is None or key.endswith(".score")):
            expected = self.types[key]
        else:
            pool = [*self.types, "org", "org_type", "period"]
            span = item.name.span.cover(item.member.span if item.member else None)
            self.error(
                "PC201",
                f"unknown name `{key}`",
                span,
                did_you_mean(key, pool) or "use an input, metric or value of the policy",
            )
            return None
        self.literal_fits(lit, expected)
        return expected

    def literal_fits(self, lit: ast.Literal, t: Type) -> None:
        if t.is_error or lit.kind == "missing":
            return
        if lit.kind == "number" and t.kind == "scale" and t.numbered:
            if number_key(Decimal(lit.text)) in t.labels:
                return
            self.error(
                "PC303",
                f"{lit.text} is not a value of scale `{t.scale}`",
                lit.span,
                "use one of " + ", ".join(t.labels),
            )
            return
        if lit.kind == "label" and t.kind in ("labels", "scale"):
            if lit.text not in t.labels:
                self.error(
                    "PC303",
                    f"`{lit.text}` is not {t}",
                    lit.span,
                    did_you_mean(lit.text, t.labels) or "use one of " + ", ".join(t.labels),
                )
            return
        fits = {"number": "number", "bool": "bool"}.get(lit.kind) == t.kind
        if not fits:
            example = {"bool": "`yes` or `no`", "number": "a number"}.get(t.kind, "a label")
            self.error("PC301", f"expected {t}, not `{lit.text}`", lit.span, f"write {example}")

    # ------------------------------------------------------------ warnings

    def report_unused(self) -> None:
        for name, decl in self.scope.inputs.items():
            if f"input:{name}" not in self.used:
                what = "judgement" if decl.judgement else "input"
                self.diags.warning(
                    "PC250", f"no rule reads {what} `{name}`", decl.name.span, "use it in a rule, or remove it"
                )
        for name, scale in self.scope.scales.items():
            if f"scale:{name}" not in self.used:
                self.diags.warning(
                    "PC251",
                    f"scale `{name}` is never used",
                    scale.name.span,
                    "use it as a type or in a rule, or remove it",
                )
                continue
            produced = self.produced.get(name, set())
            for item in scale.items:
                if item_key(item) not in produced:
                    self.diags.warning(
                        "PC350",
                        f"no rule can give `{item.key.text}` on scale `{name}`",
                        item.span,
                        "a rule that gives it is missing, or the value is not needed",
                    )
        for name, domain in self.scope.domains.items():
            if f"domain:{name}" not in self.used:
                self.diags.warning(
                    "PC251",
                    f"domain `{name}` has no metric",
                    domain.name.span,
                    "put metrics in it with `in domain`, or remove it",
                )


def check(policy: ast.Policy, scope: Scope, diags: Diagnostics) -> Checked:
    checker = Checker(scope, diags)
    types = checker.run()
    return Checked(policy, scope, types, checker.labels)
