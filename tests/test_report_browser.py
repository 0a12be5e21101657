"""The HTML comparison report in Chromium at a phone's, a small laptop's and a desktop's width: the page fits its
viewport, the navigation stays, no box scrolls inside the page, the charts' texts never overlap, every control does
what it says, and the tables' CSV downloads hold the rows shown, quoted and guarded."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from pathlib import Path

import attrs
import pytest
from test_report import HOSTILE, make_document, numeric_document, png_colours

from policyc.analysis.comparison import Document, reported
from policyc.report.html import render_html

ROOT = Path(__file__).resolve().parents[1]
WIDTHS = (390, 800, 1280)

# Every visible text of the distribution's charts, as its box on the page; a pair of boxes that overlap by more
# than a hair, and a text outside its chart.
OVERLAPS = """() => {
  const found = [];
  for (const svg of document.querySelectorAll("#distribution svg")) {
    if (!svg.getClientRects().length) continue;
    const frame = svg.getBoundingClientRect();
    const boxes = [...svg.querySelectorAll("text")].map((t) => [t.textContent, t.getBoundingClientRect()])
      .filter(([text, r]) => text.trim() && r.width > 0);
    for (const [text, r] of boxes) {
      if (r.left < frame.left - 1 || r.right > frame.right + 1 || r.top < frame.top - 1 || r.bottom > frame.bottom + 1)
        found.push(["outside", text]);
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [p, a] = boxes[i], [q, b] = boxes[j];
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (x > 0.5 && y > 0.5) found.push([p, q]);
    }
  }
  return found;
}"""
# Elements that scroll vertically inside the page: none should. The row tables' rows are drawn alike, so the first
# thirty of each stand for the rest (styling a thousand rows' cells one by one takes seconds).
INNER_SCROLL = """() => [...document.querySelectorAll("body *")].filter((e) => {
  const row = e.closest("tbody > tr");
  if (row && row.sectionRowIndex >= 30) return false;
  const s = getComputedStyle(e);
  return /auto|scroll/.test(s.overflowY) && e.scrollHeight > e.clientHeight + 1;
}).map((e) => e.tagName + "." + e.className)"""
FITS = "document.scrollingElement.scrollWidth <= innerWidth"


@pytest.fixture(scope="module")
def bundled() -> Document:
    """The comparison README shows: the shipped regimes on the bundled synthetic data."""
    from policyc import api

    return api.compare(
        ROOT / "policies/performance_2009.policy",
        ROOT / "policies/oversight_2025.policy",
        ROOT / "examples/england_synthetic.csv",
    ).document


@pytest.fixture(scope="module")
def bundled_page(bundled, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_html(bundled), encoding="utf-8")
    return path


def open_page(browser, path: Path, width: int):
    page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(path.as_uri())
    return page, problems


def shown(page, table: str) -> list[str]:
    """The organisation codes of a table's rows, in the order shown."""
    return page.locator(f"#{table} tbody tr[data-i] td.org .code").all_text_contents()


def download(page, table: str) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.click(f'#{table} button[data-export="{table}"]')
    data = Path(info.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # a byte-order mark, so that a spreadsheet reads it as UTF-8
    assert info.value.suggested_filename == f"{table}.csv"
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def assert_charts_clean(page) -> None:
    assert page.evaluate(OVERLAPS) == []


# Type wider than this machine's fonts draw it: another machine's fonts, or a reader's larger text, must not make the
# phone's page scroll sideways (a flex row of the assumptions' headings once did, by 5 px).
WIDER_TYPE = ("body, body * {letter-spacing: .06em}", "body {font-size: 108%}")


@pytest.mark.parametrize("css", WIDER_TYPE)
def test_the_phone_page_fits_with_wider_type(browser, bundled_page, css):
    page, problems = open_page(browser, bundled_page, WIDTHS[0])
    page.add_style_tag(content=css)
    assert page.evaluate(FITS), page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    page.click('.nav a[href="#assumptions"]')
    page.locator("details.assume summary").first.click()
    assert page.evaluate(FITS), page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert problems == []
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_bundled_report_at_each_width(browser, bundled, bundled_page, width, tmp_path: Path):
    from playwright.sync_api import expect

    page, problems = open_page(browser, bundled_page, width)
    rows = bundled.rows
    organisations = page.locator("#organisations tbody tr[data-i]")
    movers = page.locator("#movers tbody tr[data-i]")
    expect(organisations).to_have_count(len(rows))

    # the page fits its width and nothing scrolls inside it
    assert page.evaluate(FITS), page.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    assert page.evaluate(INNER_SCROLL) == []
    # each column of the row tables within its card, none clipped (the Reason column at 800 px was)
    outside = page.evaluate("""() => [...document.querySelectorAll("#movers tbody tr[data-i]:nth-child(-n+20) > td")]
      .filter((td) => { const r = td.getBoundingClientRect(), card = td.closest(".card").getBoundingClientRect();
        return r.width === 0 || r.right > card.right + 1 || r.left < card.left - 1; }).length""")
    assert outside == 0
    if width < 900:  # drawn as cards, each cell says which column it is
        labels = movers.first.locator("td[data-label]")
        assert labels.count() >= 5
        assert labels.nth(1).get_attribute("data-label") == "Period"
        assert "reason" in page.locator("#movers tbody tr[data-i] td.reason").first.get_attribute("data-label").lower()

    # the navigation is on screen, at the top, and stays there after a scroll
    nav = page.locator(".nav")
    links = page.locator(".nav .links a")
    assert nav.is_visible() and links.first.is_visible() and page.locator("#search").is_visible()
    page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight / 2)")
    assert nav.bounding_box()["y"] == 0 and links.first.is_visible()

    # screenshots at points down the page, none blank
    for section in ("summary", "distribution", "movers"):
        page.locator(f"#{section}").scroll_into_view_if_needed()
        shot = page.screenshot()
        w, h, colours = png_colours(shot)
        assert (w, h) == (width, 900) and colours > 30, section

    # the charts' texts apart, for every period
    assert_charts_clean(page)
    for period in bundled.periods:
        page.select_option("#dist-period", period)
        visible = page.locator("#distribution .chart-group:not([hidden])")
        assert visible.count() == 2 and visible.first.get_attribute("data-period") == period
        assert_charts_clean(page)
    page.select_option("#dist-period", "")

    # every section the navigation names is reached by its link, below the navigation, not under it
    for k in range(links.count()):
        link = links.nth(k)
        target = link.get_attribute("href")
        link.click()
        assert page.evaluate("location.hash") == target
        box = page.locator(target).bounding_box()
        bottom = nav.bounding_box()["height"]
        assert bottom - 1 <= box["y"] < 900, (target, box, bottom)

    # search: both tables keep the rows that match
    target = next(r for r in rows if r.org.endswith("7") and r.moved)
    page.fill("#search", target.org.lower())
    expect(organisations).to_have_count(sum(r.org == target.org for r in rows))
    expect(movers).to_have_count(sum(r.org == target.org and r.moved for r in rows))
    assert "Showing" in page.inner_text("#organisations-count")
    page.fill("#search", "")
    expect(organisations).to_have_count(len(rows))

    # the period and type selects and the moved-only box narrow the organisations
    period, kind = bundled.periods[1], "ambulance"
    page.select_option("#org-period", period)
    expect(organisations).to_have_count(sum(r.period == period for r in rows))
    assert set(page.locator("#organisations tbody tr[data-i] td:nth-child(3)").all_text_contents()) == {period}
    page.select_option("#org-type", kind)
    expect(organisations).to_have_count(sum(r.period == period and r.org_type == kind for r in rows))
    page.check("#org-moved")
    chosen = [r for r in rows if r.period == period and r.org_type == kind and r.moved]
    expect(organisations).to_have_count(len(chosen))
    assert shown(page, "organisations") == [r.org for r in chosen]

    # the CSV of what is shown: those rows, in that order, each cell as the page has it
    records = download(page, "organisations")
    assert [r["org"] for r in records] == [r.org for r in chosen]
    for record, row in zip(records, chosen, strict=True):
        assert record["period"] == period and record["org_type"] == kind and record["moved"] == "yes"
        assert record["name"] == row.name and record["direction"] == row.direction
        assert record["a_value"] == reported(row.outcomes[0]) and record["b_value"] == reported(row.outcomes[1])
        assert float(record["delta"]) == pytest.approx(row.delta)
    page.uncheck("#org-moved")
    # a sortable heading sorts, and again the other way (over one period's rows, to keep the test quick)
    page.select_option("#org-type", "")
    expect(organisations).to_have_count(sum(r.period == period for r in rows))
    heading = page.locator('#organisations th[data-sort="org"]')
    heading.click()
    assert heading.get_attribute("aria-sort") == "ascending"
    codes = shown(page, "organisations")
    assert codes == sorted(codes) and len(codes) == sum(r.period == period for r in rows)
    heading.click()
    assert heading.get_attribute("aria-sort") == "descending"
    assert shown(page, "organisations") == sorted(codes, reverse=True)
    change = page.locator('#movers th[data-sort="change"]')
    change.click()
    assert change.get_attribute("aria-sort") == "ascending"
    change.click()
    assert change.get_attribute("aria-sort") == "descending"
    page.select_option("#org-period", "")
    expect(organisations).to_have_count(len(rows))

    # a cross-tabulation cell lists its rows; its chip clears the filter
    counts = bundled.crosstab.counts
    i, j = max(((i, j) for i, row in enumerate(counts) for j, _ in enumerate(row)), key=lambda c: counts[c[0]][c[1]])
    page.locator(f'#crosstab td[data-i="{i}"][data-j="{j}"]').click()
    chip = page.locator("#cell-filter")
    assert chip.is_visible()
    expect(organisations).to_have_count(counts[i][j])
    assert page.locator("#organisations").bounding_box()["y"] < 900  # the list brought into view
    chip.locator("button").click()
    assert not chip.is_visible()
    expect(organisations).to_have_count(len(rows))

    # a row opens both explanations, and closes again
    movers.first.click()
    detail = page.locator("#movers tr.detail")
    assert detail.count() == 1 and detail.locator(".side").count() == 2
    for side in (0, 1):
        assert detail.locator(".side").nth(side).locator(".steps li").first.is_visible()
    assert page.evaluate(FITS)
    movers.first.click()
    assert detail.count() == 0

    # a driver lists its movers; the movers' CSV holds them with their drivers and reasons
    (name, n), *_ = bundled.movers().drivers()
    page.locator("#drivers button").first.click()
    expect(movers).to_have_count(n)
    records = download(page, "movers")
    assert len(records) == n and {r["driver"] for r in records} == {name}
    assert all(r["moved"] == "yes" and r["a_reason"] and r["b_reason"] for r in records)
    assert [r["org"] for r in records] == shown(page, "movers")
    page.locator("#drivers button").first.click()
    expect(movers).to_have_count(sum(r.moved for r in rows))

    assert page.evaluate(FITS) and page.evaluate(INNER_SCROLL) == []
    assert problems == []
    page.close()


def test_the_charts_share_one_axis_and_one_denominator(bundled):
    text = render_html(bundled)
    both = sum(r.both for r in bundled.rows)
    groups = re.findall(r'<div class="chart-group" data-period="([^"]*)"[^>]*>(.*?)</svg>', text, re.S)
    assert len(groups) == 2 * (1 + len(bundled.periods))
    for period in ["", *bundled.periods]:
        charts = [chart for p, chart in groups if p == period]
        totals = [sum(map(int, re.findall(r'data-count="(\d+)"', chart))) for chart in charts]
        expected = sum(r.both for r in bundled.rows if not period or r.period == period)
        assert totals == [expected, expected]  # the same rows on both sides
        ticks = [re.findall(r'<text class="tick"[^>]*>([\d,]+)</text>', chart) for chart in charts]
        assert ticks[0] == ticks[1] and len(ticks[0]) > 2  # one axis
    # B rates organisation types A does not: said apart, not charted
    alone = sum(r.outcomes[1] is not None and r.outcomes[0] is None for r in bundled.rows)
    assert alone and f"Not charted: {alone:,} rated by B alone" in text and f"the {both:,} organisation-periods" in text
    # a bar per period of each regime's shares, every rated row counted in its period's bar
    segments = re.findall(r'<rect class="seg"[^>]*data-period="([^"]*)"[^>]*data-count="(\d+)"', text)
    counted = Counter()
    for period, count in segments:
        counted[period] += int(count)
    assert counted == {p: 2 * sum(r.both for r in bundled.rows if r.period == p) for p in bundled.periods}


def test_display_names_come_before_codes(bundled):
    text = render_html(bundled)
    b = bundled.policies[1]
    first = b.scale[0]
    description = b.descriptions[first]
    chart = re.findall(r'<div class="chart-group" data-period="">(.*?)</svg>', text, re.S)[1]  # B's, all periods
    names = re.findall(r'<text class="xv"[^>]*>([^<]*)</text>', chart)
    assert names[0] == description.split()[0]  # the name first, its code beneath
    assert re.search(rf'<text class="xd"[^>]*>{re.escape(first)}</text>', chart)
    table = re.search(r'<section id="crosstab".*?</section>', text, re.S).group(0)
    assert f'{description}</span><span class="d"><code>{first}</code>' in table.replace("&#x27;", "'")


def test_the_cross_tabulation_marks_the_cells_of_movers(bundled):
    text = render_html(bundled)
    table = bundled.crosstab
    expected: dict[tuple[int, int], set] = {}
    for row in bundled.rows:
        i, j = table.cell(row)
        special = bundled.policies[0].special(table.a_values[i]) or bundled.policies[1].special(table.b_values[j])
        if row.moved and row.both and not special:
            expected.setdefault((i, j), set()).add(row.direction.split()[0])
    marked = {
        (int(i), int(j)): move for i, j, move in re.findall(r'data-i="(\d+)" data-j="(\d+)" data-move="(\w+)"', text)
    }
    assert marked and marked == {cell: ways.pop() for cell, ways in expected.items() if len(ways) == 1}
    # off the diagonal only: a cell where both give the same tier holds no mover
    assert 'data-move="worse"' in text and 'data-move="better"' in text and '<div class="move-key"' in text
    assert "Moved: worse under B" in text and "Unmarked" in text
    # what the Δ means, in words, under both row tables
    assert text.count('<p class="delta-note"><b>&Delta; standing</b>: an outcome&rsquo;s standing is') == 2


def test_hostile_names_in_the_csv_stay_text(browser, tmp_path: Path):
    document = make_document(orgs=8, periods=1, seed=3)
    names = ["=1+2", "@SUM(A1:A2)", "+cmd", "-2+3", '\tsay "hi", then\nmore', HOSTILE, "-1.5", "plain"]
    rows = tuple(attrs.evolve(r, name=names[n % len(names)]) for n, r in enumerate(document.rows))
    document = attrs.evolve(document, rows=rows)
    path = tmp_path / "hostile.html"
    path.write_text(render_html(document), encoding="utf-8")
    page, problems = open_page(browser, path, 1280)
    records = download(page, "organisations")
    assert [r["org"] for r in records] == [r.org for r in rows]
    got = [r["name"] for r in records]
    guarded = ["'=1+2", "'@SUM(A1:A2)", "'+cmd", "'-2+3", '\'\tsay "hi", then\nmore', HOSTILE, "-1.5", "plain"]
    assert got == guarded
    # a negative change is a number, not guarded
    deltas = [r["delta"] for r in records if r["delta"].startswith("-")]
    assert all(float(d) < 0 for d in deltas)
    assert page.evaluate("window.__pwned") is None and problems == []
    page.close()


def test_a_number_in_ten_bins_labels_apart_at_the_narrowest_width(browser, tmp_path: Path):
    document = numeric_document(600)
    path = tmp_path / "numbers.html"
    path.write_text(render_html(document), encoding="utf-8")
    page, problems = open_page(browser, path, 390)
    assert page.locator("#distribution svg.chart").first.locator("rect.bar").count() > 5
    assert_charts_clean(page)
    assert page.evaluate(FITS) and page.evaluate(INNER_SCROLL) == []
    assert problems == []
    page.close()
