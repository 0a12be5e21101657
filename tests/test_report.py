"""The HTML comparison report: escaping, self-containment, sections and size; then in a real browser."""

from __future__ import annotations

import html
import json
import random
import re
import struct
import time
import tomllib
import zlib
from collections import Counter
from importlib import resources
from pathlib import Path

import attrs
import pytest

from policyc.analysis.comparison import (
    BETTER,
    HIGHER,
    LOWER,
    MISSING,
    NOT_RATED,
    PASS,
    TIERS,
    WORSE,
    Assumption,
    Crosstab,
    Difference,
    Document,
    Outcome,
    Policy,
    Row,
    Step,
    driver,
    plain,
    reported,
)
from policyc.report.html import render_html

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = '<script>window.__pwned = 1</script> & "Quoted" <img src=x onerror="window.__pwned = 2"> Trust'

A_SCALE = ["performing", "under_review", "underperforming"]
B_SCALE = ["1", "2", "3", "4", "5"]
A_TIER = {"performing": "high", "under_review": "middle", "underperforming": "low"}
B_TIER = {"1": "high", "2": "high", "3": "middle", "4": "low", "5": "low"}
TYPES = [
    ("acute", "Synthetic Acute Hospitals NHS Trust", 134),
    ("ambulance", "Synthetic Ambulance Service", 10),
    ("community", "Synthetic Community Health Services", 14),
    ("icb", "Synthetic Integrated Care Board", 42),
    ("mental_health", "Synthetic Mental Health Partnership", 36),
]


def _policy(side: int, assumptions: int, rated: int, not_rated: int) -> Policy:
    if side == 0:
        return Policy(
            file="policies/performance_2009.policy",
            name="NHS Performance Framework",
            version="2009/10",
            outcome="overall",
            scale=tuple(A_SCALE),
            descriptions={
                "performing": "Performing",
                "under_review": "Performance under review",
                "underperforming": "Underperforming",
            },
            assumptions=tuple(
                Assumption(
                    f"performance_2009.policy:{100 + 7 * n}",
                    f"threshold {n} from the 2008/09 Annual Health Check; the Annex is not in the source",
                )
                for n in range(assumptions)
            ),
            rated=rated,
            not_rated=not_rated,
        )
    return Policy(
        file="policies/oversight_2025.policy",
        name="NHS Oversight Framework",
        version="2025/26",
        outcome="segment",
        scale=tuple(B_SCALE),
        descriptions={
            "1": "consistently high-performing across domains",
            "2": "good performance across domains",
            "3": "off-track in a range of areas",
            "4": "significantly off-track in a range of areas",
            "5": "in the Recovery Support Programme",
        },
        assumptions=tuple(
            Assumption(
                f"oversight_2025.policy:{200 + 11 * n}", f"cut point {n} read off the published quarter 3 segments"
            )
            for n in range(assumptions)
        ),
        rated=rated,
        not_rated=not_rated,
    )


def _steps(*steps: dict) -> tuple[Step, ...]:
    return tuple(Step(**step) for step in steps)


def _steps_a(value: str, rng: random.Random) -> tuple[Step, ...]:
    score = round(rng.uniform(1.5, 3.8), 2)
    return _steps(
        {
            "name": "overall",
            "value": value,
            "why": "the lowest of finance, operational standards and targets, and "
            "quality and safety; user experience only moderates",
            "source": "performance_2009.policy:402",
            "kind": "worst",
            "driver": f"overall: the worst is {rng.choice(('finance', 'operational_standards'))}",
        },
        {
            "name": "operational_standards",
            "value": value,
            "why": f"operational score {score} against the band cut points 2.5 and 3.0",
            "source": "performance_2009.policy:380",
        },
        {
            "name": "operational_score",
            "value": str(score),
            "why": f"weighted sum of 14 indicator scores, {rng.randint(0, 4)} missing",
            "source": "performance_2009.policy:371",
        },
        {
            "name": "finance",
            "value": rng.choice(A_SCALE),
            "why": f"finance score {round(rng.uniform(1, 4), 1)}; no over-riding rule applies",
            "source": "performance_2009.policy:355",
        },
        {
            "name": "quality_safety",
            "value": "performing",
            "why": "registered with the CQC without conditions",
            "source": "performance_2009.policy:330",
        },
        {"name": "major_failing", "value": "no", "why": "given in the table (a judgement)", "source": None},
    )


def _steps_b(value: str, org_type: str, rng: random.Random) -> tuple[Step, ...]:
    average = round(rng.uniform(1.4, 3.6), 2)
    deficit = rng.random() < 0.3
    return _steps(
        {
            "name": "segment",
            "value": value,
            "why": "delivery score as segment; `no better than 3 when in_deficit` "
            + ("applies" if deficit else "does not apply"),
            "source": "oversight_2025.policy:678",
            "kind": "pass",
            "driver": "segment: delivery_score as segment",
        },
        {
            "name": "delivery_score",
            "value": str(min(4, int(value))),
            "why": f"quartiles of average_score over "
            f"{rng.randint(10, 134)} in cohort {org_type}, cut points 1.98, 2.41, 2.87",
            "source": "oversight_2025.policy:642",
            "kind": "quartile",
            "driver": f"delivery_score: average_score {rng.choice(('above the third', 'below the first'))} cut point",
        },
        {
            "name": "average_score",
            "value": str(average),
            "why": f"round(weighted_mean(metric scores), 2): "
            f"{rng.randint(20, 45)} present, {rng.randint(5, 39)} missing",
            "source": "oversight_2025.policy:636",
        },
        {"name": "in_deficit", "value": "yes" if deficit else "no", "why": "given in the table", "source": None},
        {"name": "rsp_entry", "value": "no", "why": "given in the table", "source": None},
        {
            "name": "system_tests_failed",
            "value": str(rng.randint(0, 3)),
            "why": "count of Table 7's six tests answered yes",
            "source": "oversight_2025.policy:665",
        },
    )


def make_document(
    orgs: int = 236, periods: int = 4, seed: int = 0, hostile: bool = True, differences: bool = True
) -> Document:
    """A comparison of the 2009 and 2025 frameworks over synthetic organisations, shaped as `policyc compare` makes
    it: the 2009 framework rates acute and ambulance trusts only."""
    rng = random.Random(seed)
    period_names = [f"2025Q{q}" for q in range(1, periods + 1)]
    kinds = [(t, name) for t, name, n in TYPES for _ in range(n)]
    rows = []
    for n in range(orgs):
        org_type, stem = kinds[n * 37 % len(kinds)]  # 37 is prime to 236: a few organisations are of every type
        org = f"R{org_type[:2].upper()}{n:03d}"
        name = HOSTILE if hostile and n == 0 else f"{stem} {n:03d}"
        base_a, base_b = rng.randrange(3), rng.randrange(5)
        for period in period_names or [None]:
            a = None
            if org_type in ("acute", "ambulance"):
                value = None if rng.random() < 0.02 else A_SCALE[min(2, max(0, base_a + rng.choice((-1, 0, 0, 1))))]
                a = Outcome(
                    value=value,
                    standing=None if value is None else A_SCALE.index(value) / 2,
                    tier=A_TIER.get(value) if value else None,
                    steps=_steps_a(value, rng) if value else (),
                    assumptions=rng.randint(3, 12),
                )
            value = B_SCALE[min(4, max(0, base_b + rng.choice((-1, 0, 0, 0, 1))))]
            b = Outcome(
                value=value,
                standing=B_SCALE.index(value) / 4,
                tier=B_TIER[value],
                steps=_steps_b(value, org_type, rng),
                assumptions=rng.randint(2, 9),
            )
            delta = direction = None
            moved = False
            if a is not None:
                if a.standing is None:
                    moved = True
                else:
                    delta = b.standing - a.standing
                    moved = delta != 0
                    direction = BETTER if delta < 0 else WORSE if delta > 0 else None
            rows.append(
                Row(
                    key=f"{org}|{period}",
                    org=org,
                    name=name,
                    org_type=org_type,
                    period=period,
                    outcomes=(a, b),
                    moved=moved,
                    direction=direction,
                    delta=delta,
                    driver=driver((a, b), direction) if moved else None,
                )
            )
    rated = [sum(1 for r in rows if r.outcomes[side] is not None) for side in (0, 1)]
    diffs = (
        (
            Difference("segment", "added", None, "segment = delivery_score as segment"),
            Difference(
                "in_deficit",
                "changed",
                'input in_deficit "In deficit": yes/no for acute',
                'input in_deficit "In deficit </pre><b>": yes/no for all',
            ),
        )
        if differences
        else ()
    )
    return Document(
        title="NHS Performance Framework 2009/10 vs NHS Oversight Framework 2025/26",
        data="examples/england_synthetic.csv",
        policies=(_policy(0, 58, rated[0], len(rows) - rated[0]), _policy(1, 43, rated[1], len(rows) - rated[1])),
        periods=tuple(period_names),
        rows=tuple(rows),
        crosstab=tabulate(rows),
        differences=diffs,
    )


def tabulate(rows: list[Row] | tuple[Row, ...]) -> Crosstab:
    """The rows cross-tabulated as a comparison does: each scale, then what else the rows hold, missing and not
    rated where they occur."""

    def values(scale: list[str], side: int) -> tuple[str, ...]:
        seen = [reported(r.outcomes[side]) for r in rows]
        extra = sorted({v for v in seen if v not in scale and v not in (MISSING, NOT_RATED)})
        return (*scale, *extra, *(v for v in (MISSING, NOT_RATED) if v in seen))

    a_values, b_values = values(A_SCALE, 0), values(B_SCALE, 1)
    counts = [[0] * len(b_values) for _ in a_values]
    for row in rows:
        a, b = row.outcomes
        counts[a_values.index(reported(a))][b_values.index(reported(b))] += 1
    return Crosstab(a_values, b_values, tuple(map(tuple, counts)))


def blob(page: str) -> str:
    match = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S)
    assert match, "no data blob"
    return match.group(1)


@pytest.fixture(scope="module")
def small() -> Document:
    return make_document(orgs=12, periods=2, seed=1)


@pytest.fixture(scope="module")
def page(small) -> str:
    return render_html(small)


def unpack(data: dict, kind: str, packed: list) -> dict:
    """A packed instance of the page's data read back by the field names the data gives, as the script does."""
    record = dict(zip(data["fields"][kind], packed, strict=True))
    if kind == "row":
        record["outcomes"] = [None if o is None else unpack(data, "outcome", o) for o in record["outcomes"]]
    elif kind == "outcome":
        record["steps"] = [
            {name: None if k is None else data["strings"][k] for name, k in zip(data["fields"]["step"], s, strict=True)}
            for s in record["steps"]
        ]
    return record


# ---------------------------------------------------------------- the HTML as text


def test_a_hostile_name_is_text_everywhere(small):
    a, b = small.policies
    document = attrs.evolve(
        small,
        title=HOSTILE,
        policies=(
            attrs.evolve(a, name=HOSTILE, assumptions=(Assumption("x.policy:1", HOSTILE), *a.assumptions[1:])),
            attrs.evolve(b, descriptions={**b.descriptions, "3": HOSTILE}),
        ),
    )
    text = render_html(document)
    assert "<script>window" not in text and "<img src=x" not in text
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt; &amp; &quot;Quoted&quot;" in text
    # only the report's own two script elements, and no element made of the hostile text
    assert text.count("<script") == 2 and text.count("</script>") == 2


# Control characters a policy or a table may hold: escape, carriage return, line feed, NUL, DEL, a C1 control,
# the line separator and the right-to-left override.
CONTROL = "Esc\x1b[31mred\rback\nline\x00nul\x7f\x85next\u2028sep\u202eevil"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def with_controls(document: Document) -> Document:
    a, b = document.policies
    first = document.rows[0]
    outcome = first.outcomes[1]
    assert outcome is not None
    step = attrs.evolve(outcome.steps[0], why=CONTROL, source=CONTROL)
    outcomes = (first.outcomes[0], attrs.evolve(outcome, steps=(step,)))
    row = attrs.evolve(first, org=CONTROL, key=CONTROL, name=CONTROL, outcomes=outcomes)
    return attrs.evolve(
        document,
        title=CONTROL,
        data=CONTROL,
        rows=(row, *document.rows[1:]),
        policies=(
            attrs.evolve(a, name=CONTROL, file=CONTROL, assumptions=(Assumption(CONTROL, CONTROL),)),
            attrs.evolve(b, descriptions={**b.descriptions, "3": CONTROL}),
        ),
        differences=(Difference(CONTROL, "changed", CONTROL, CONTROL),),
    )


def test_control_characters_never_reach_the_page_raw(small):
    document = with_controls(small)
    text = render_html(document)
    outside = text.replace(blob(text), "")
    assert RAW.findall(text) == [] and "back\nline" not in text  # the page's own line breaks are its only ones
    assert "Esc\\x1b[31mred\\rback\\nline\\x00nul\\x7f\\x85next\\u2028sep\\u202eevil" in outside
    data = blob(text)
    assert "\\u001b" in data and "\\u202e" in data and "\\u2028" in data and "\\u0085" in data
    decoded = json.loads(data)
    assert unpack(decoded, "row", decoded["rows"][0])["name"] == CONTROL  # the data itself exact


def test_the_blob_cannot_close_its_element_and_reads_back(small, page):
    data = blob(page)
    assert "<" not in data and ">" not in data and "&" not in data
    decoded = json.loads(data)
    rows = [unpack(decoded, "row", packed) for packed in decoded["rows"]]
    assert rows[0]["name"] == HOSTILE
    # every row, with its outcomes and their steps, reads back as the document's classes give it
    assert rows == [plain(row) for row in small.rows]
    b = small.policies[1]
    assert decoded["policies"][1] == {"name": b.name, "scale": list(b.scale), "descriptions": b.descriptions}


def test_the_script_takes_the_documents_words_from_the_page(page):
    terms = json.loads(blob(page))["terms"]
    assert terms == {
        "missing": MISSING,
        "not_rated": NOT_RATED,
        "tiers": list(TIERS),
        "better": BETTER,
        "worse": WORSE,
        "higher": HIGHER,
        "lower": LOWER,
        "pass": PASS,
    }
    script = re.search(r"<script>(.*?)</script>", page, re.S).group(1)
    for word in (MISSING, NOT_RATED, BETTER, WORSE, HIGHER, LOWER, PASS, *TIERS):
        assert f'"{word}"' not in script and f"'{word}'" not in script, word


def test_the_stylesheet_and_script_are_package_files_inlined(page):
    css = resources.files("policyc.report").joinpath("report.css").read_text(encoding="utf-8")
    js = resources.files("policyc.report").joinpath("report.js").read_text(encoding="utf-8")
    assert ".kpi" in css and "renderAll()" in js
    assert f"<style>{css}</style>" in page and f"<script>{js}</script>" in page


def test_the_stylesheet_and_script_are_package_data():
    """Declared as package data, so that an installed wheel holds them as a checkout does."""
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    for name in ("report.css", "report.js"):
        assert name in declared["policyc.report"], name
        assert resources.files("policyc.report").joinpath(name).is_file(), name


def test_nothing_is_fetched(page):
    big = render_html(make_document())
    for text in (page, big):
        assert not re.search(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", text, re.I)
        assert not re.search(r"url\s*\(", text, re.I)
        assert "@import" not in text and "<link" not in text and "<iframe" not in text
        assert "http://" not in text and "https://" not in text


def test_sections_and_ids(page):
    for element_id in (
        "summary",
        "crosstab",
        "distribution",
        "movers",
        "search",
        "organisations",
        "assumptions",
        "differences",
        "assumptions-a",
        "assumptions-b",
    ):
        assert f'id="{element_id}"' in page, element_id
    assert page.count('<svg class="chart"') == 2 * 3  # per policy: all periods, then each of the two
    assert 'id="dist-period"' in page and 'id="org-period"' in page
    assert "Performance under review" in page and "in the Recovery Support Programme" in page
    assert "NHS Performance Framework" in page and "2025/26" in page and "examples/england_synthetic.csv" in page
    # the differences' texts in pre, escaped
    assert "<pre>input in_deficit &quot;In deficit &lt;/pre&gt;&lt;b&gt;&quot;: yes/no for all</pre>" in page


def test_no_differences_no_periods_no_data():
    document = attrs.evolve(make_document(orgs=5, periods=0, differences=False), data=None)
    text = render_html(document)
    assert 'id="differences"' not in text and 'href="#differences"' not in text
    assert 'id="dist-period"' not in text and 'id="org-period"' not in text
    assert text.count('<svg class="chart"') == 2
    assert "Data <code>" not in text


def test_no_rows_and_a_value_off_the_scale():
    empty = render_html(make_document(orgs=0, periods=0, differences=False))
    assert 'id="crosstab"' in empty and '<span class="n">0</span>' in empty
    document = make_document(orgs=3, periods=1)
    first = document.rows[0]
    off = attrs.evolve(first, outcomes=(first.outcomes[0], attrs.evolve(first.outcomes[1], value="6")))
    rows = (off, *document.rows[1:])
    assert 'data-value="6" data-count="1"' in render_html(attrs.evolve(document, rows=rows, crosstab=tabulate(rows)))


def test_summary_figures(small, page):
    moved = sum(r.moved for r in small.rows)
    summary = re.search(r'<section id="summary".*?</section>', page, re.S).group(0)
    figures = dict(re.findall(r'<span class="k">([^<]+)</span><span class="n">([\d,]+)</span>', summary))
    assert figures == {
        "Rows compared": str(len(small.rows)),
        "Moved": str(moved),
        "Better under B": str(sum(r.direction == BETTER for r in small.rows)),
        "Worse under B": str(sum(r.direction == WORSE for r in small.rows)),
        "Unchanged": str(sum(r.both for r in small.rows) - moved),
    }


def test_crosstab_shading_follows_counts(small, page):
    table = re.search(r'<section id="crosstab".*?</section>', page, re.S).group(0)
    cells = re.findall(
        r'<td class="cell( zero)?"(?: style="background:rgba\(([\d,]+),([\d.]+)\)[^"]*")? '
        r'data-a="([^"]*)" data-b="([^"]*)"[^>]*>([\d,]+)</td>',
        table,
    )
    counts = small.crosstab.counts
    assert len(cells) == sum(len(row) for row in counts)
    peak = max(max(row) for row in counts)
    for zero, hue, alpha, a_value, _, count in cells:
        assert bool(zero) == (count == "0")
        if count != "0":
            assert float(alpha) == pytest.approx(0.06 + 0.86 * int(count) / peak, abs=1e-3)
            # blue where both policies give an outcome, grey where one has none
            assert hue == ("76,98,114" if a_value in (MISSING, NOT_RATED) else "0,94,184")
    assert "Not rated" in table and "Performance under review" in table


def test_distribution_bars_count_rows(small, page):
    chart = re.search(r'<div class="chart-group" data-period="">(.*?)</svg>', page, re.S).group(1)
    bars = dict(re.findall(r'data-value="([^"]+)" data-count="(\d+)"', chart))
    expected = Counter(reported(r.outcomes[0]) for r in small.rows if r.outcomes[0])
    assert {k: int(v) for k, v in bars.items() if int(v)} == dict(expected)


def test_a_thousand_rows_stay_small():
    document = make_document(orgs=236, periods=4)
    assert len(document.rows) == 944
    started = time.perf_counter()
    text = render_html(document)
    assert time.perf_counter() - started < 2
    size = len(text.encode("utf-8"))
    assert size < 1_500_000, size
    assert len(json.dumps(document.as_dict())) > 2 * size  # the interned blob is much smaller than the document


# ---------------------------------------------------------------- in a browser


def png_colours(data: bytes, max_rows: int = 300) -> tuple[int, int, int]:
    """Width, height and the number of distinct colours in the top `max_rows` rows of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        chunk = data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat.append(chunk)
        offset += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    bpp = 3 if colour_type == 2 else 4
    stride = width * bpp
    raw = zlib.decompressobj().decompress(b"".join(idat), (stride + 1) * min(height, max_rows))
    previous = bytearray(stride)
    colours = set()
    for y in range(min(height, max_rows)):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - bpp] if x >= bpp else 0
            up, corner = previous[x], previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + left) & 255
            elif kind == 2:
                line[x] = (line[x] + up) & 255
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        colours.update(bytes(line[k : k + 3]) for k in range(0, stride, bpp))
        previous = line
    return width, height, len(colours)


def test_in_a_browser(browser, small, tmp_path: Path):
    from playwright.sync_api import expect  # the browser fixture has made sure it imports

    started = time.perf_counter()
    path = tmp_path / "report.html"
    path.write_text(render_html(small), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(path.as_uri())

    assert page.evaluate("window.__pwned") is None
    for selector in ("#crosstab table", "#distribution svg.chart", "#movers table", "#organisations table", "#search"):
        assert page.locator(selector).first.is_visible(), selector
    bars = page.locator("#distribution .chart-group:not([hidden]) rect.bar")
    missing = any(r.outcomes[0] and r.outcomes[0].value is None for r in small.rows)
    assert bars.count() == 3 + missing + 5  # A's three values and missing if any, B's five
    assert page.locator("#distribution .chart-group:not([hidden]) svg").count() == 2
    assert page.get_by_role("heading", name="NHS Oversight Framework").first.is_visible()

    organisations = page.locator("#organisations tbody tr[data-i]")
    movers = page.locator("#movers tbody tr[data-i]")
    assert organisations.count() == len(small.rows)
    assert movers.count() == sum(r.moved for r in small.rows)
    # the hostile name is shown as text
    assert page.locator("#organisations tbody td", has_text="<script>window.__pwned").count() == 2

    # movers by |delta|, largest first
    deltas = [abs(r.delta) for r in small.rows if r.moved and r.delta is not None]
    shown = [float(t.split()[-1].replace("\u2212", "-")) for t in movers.locator("td.change small").all_inner_texts()]
    assert [abs(d) for d in shown] == sorted(deltas, reverse=True)

    target = small.rows[4]
    page.fill("#search", target.name.upper()[-10:])
    expect(organisations).to_have_count(sum(target.name == r.name for r in small.rows))
    assert organisations.first.locator("td.org .code").inner_text() == target.org
    page.fill("#search", target.org.lower())
    expect(organisations).to_have_count(sum(r.org == target.org for r in small.rows))
    assert "Showing" in page.inner_text("#organisations-count")

    organisations.first.click()
    detail = page.locator("#organisations tr.detail")
    assert detail.is_visible()
    sides = detail.locator(".side")
    assert sides.count() == 2
    assert sides.nth(0).locator(".steps li").first.is_visible()
    assert "overall" in sides.nth(0).inner_text() and "segment" in sides.nth(1).inner_text()
    assert target.outcomes[1].steps[1].why in sides.nth(1).inner_text()
    assert "assumption" in sides.nth(1).locator(".rests").inner_text()
    sides.nth(1).locator(".rests a").click()
    assert page.locator("#assumptions-b").evaluate("e => e.open")

    page.fill("#search", "")
    expect(organisations).to_have_count(len(small.rows))
    page.locator("#crosstab td.cell:not(.zero)").first.click()
    assert page.locator("#cell-filter").is_visible()
    a_value, b_value = (page.locator("#crosstab td.cell:not(.zero)").first.get_attribute(f"data-{s}") for s in "ab")
    expected = sum(1 for r in small.rows if reported(r.outcomes[0]) == a_value and reported(r.outcomes[1]) == b_value)
    assert organisations.count() == expected

    page.locator("#cell-filter button").click()
    organisations.first.click()  # the hostile name's own drill-down
    assert page.locator("#organisations tr.detail .who b").first.inner_text() == HOSTILE
    assert page.evaluate("window.__pwned") is None

    page.select_option("#dist-period", small.periods[1])
    assert page.locator("#distribution .chart-group:not([hidden])").count() == 2

    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    width, height, colours = png_colours(data)
    assert len(data) > 20_000 and width == 1280 and height > 1500
    assert colours > 20
    assert errors == [] and all(url.startswith("file://") for url in requests), (errors, requests)
    page.close()
    assert time.perf_counter() - started < 20


def test_a_thousand_rows_in_a_browser(browser, tmp_path: Path):
    from playwright.sync_api import expect

    document = make_document(orgs=250, periods=4, seed=2)
    path = tmp_path / "large.html"
    path.write_text(render_html(document), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    started = time.perf_counter()
    page.goto(path.as_uri())
    organisations = page.locator("#organisations tbody tr[data-i]")
    assert organisations.count() == 1000
    assert page.locator("#movers tbody tr[data-i]").count() == sum(r.moved for r in document.rows)
    page.locator("#search").press_sequentially("trust 12")  # as one types
    expected = sum("trust 12" in r.name.lower() for r in document.rows)
    assert expected > 0
    expect(organisations).to_have_count(expected)
    assert time.perf_counter() - started < 10
    # at the narrowest width the brief allows, the movers table fits its card without scrolling sideways
    assert page.locator("#movers .table-scroll").evaluate("e => e.scrollWidth <= e.clientWidth")
    assert errors == []
    page.close()


def numeric_document(rows: int) -> Document:
    from policyc.analysis import compare
    from policyc.backend.codegen import generate
    from policyc.backend.compile import Compiled
    from policyc.ir.lower import lower
    from policyc.semantics.driver import check_source
    from policyc.syntax.source import Source

    def side(name: str, rule: str) -> compare.Side:
        text = (
            f'policy "{name}"\norg types acute\noutcome average\ninput x: number for all\n'
            f"input y: number for all\n\naverage = {rule}\n"
        )
        checked = check_source(Source(f"{name}.policy", text))
        assert checked.checked is not None and checked.ok
        program = lower(checked.checked)
        compiled = Compiled(program, generate(program), checked.sources)
        table = "org,org_type,x,y\n" + "".join(f"N{k},acute,{k % 53},{(k * 7) % 31}\n" for k in range(rows))
        return compare.Side.evaluate(f"{name}.policy", compiled, compare.load(compiled, table, "d.csv", False, print))

    return compare.document(side("Mean", "mean(x, y)"), side("Highest", "max(x, y)"), "d.csv")


def test_numbers_are_charted_and_cross_tabulated_in_their_bins():
    from policyc.analysis.comparison import MAX_BINS

    document = numeric_document(3000)
    text = render_html(document)
    for chart in re.findall(r'<div class="chart-group" data-period="">(.*?)</div>', text, re.S):
        assert 1 < chart.count('<rect class="bar"') <= MAX_BINS
    assert len(document.crosstab.a_values) <= MAX_BINS
    table = re.search(r'<section id="crosstab".*?</section>', text, re.S).group(0)
    assert table.count('<td class="cell') == len(document.crosstab.a_values) * len(document.crosstab.b_values)
    cells = json.loads(blob(text))["cells"]
    counts = Counter(map(tuple, cells))
    assert all(document.crosstab.counts[i][j] == n for (i, j), n in counts.items())
    assert "Higher under B" in text and "B&rsquo;s number minus A&rsquo;s" in text
    assert len(text) < 3_000_000


def test_a_bin_of_numbers_lists_its_rows_in_a_browser(browser, tmp_path: Path):
    from playwright.sync_api import expect

    document = numeric_document(400)
    path = tmp_path / "numbers.html"
    path.write_text(render_html(document), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    counts = document.crosstab.counts
    i, j = max(((i, j) for i, row in enumerate(counts) for j, _ in enumerate(row)), key=lambda c: counts[c[0]][c[1]])
    page.locator(f'#crosstab td[data-i="{i}"][data-j="{j}"]').click()
    expect(page.locator("#organisations tbody tr[data-i]")).to_have_count(counts[i][j])
    assert errors == []
    page.close()


def test_movers_are_grouped_by_their_drivers_and_give_the_decisive_step(small):
    page = render_html(small)
    drivers = small.movers().drivers()
    assert drivers and sum(n for _, n in drivers) == len(small.movers().rows)
    buttons = re.findall(r'<button type="button" data-driver="([^"]*)" aria-pressed="false">', page)
    assert buttons == [html.escape(name, quote=True) for name, _ in drivers]
    assert "decisive step" in page


def test_a_driver_lists_its_movers_and_the_reason_is_the_decisive_step_in_a_browser(browser, small, tmp_path: Path):
    path = tmp_path / "report.html"
    path.write_text(render_html(small), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(path.as_uri())
    movers = page.locator("#movers tbody tr[data-i]")
    everyone = movers.count()
    (name, n), *_ = small.movers().drivers()
    button = page.locator("#drivers button").first
    button.click()
    assert button.get_attribute("aria-pressed") == "true"
    assert movers.count() == n < everyone
    # B's reason is its decisive step (the quartile), not the first step, which passes the delivery score on
    reasons = page.locator("#movers tbody td.reason").all_inner_texts()
    assert all("delivery_score = " in text and "segment = " not in text for text in reasons)
    button.click()
    assert button.get_attribute("aria-pressed") == "false" and movers.count() == everyone
    # the drill-down marks the decisive step
    movers.first.click()
    lead = page.locator("#movers tr.detail .side-b li.lead code")
    assert lead.inner_text() == "delivery_score"
    assert errors == []
    page.close()
