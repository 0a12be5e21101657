"""Remakes README's pictures of the comparison report: the shipped regimes compared on the bundled synthetic data,
drawn by Chromium at a desktop's width (report.png, 1280 px) and a phone's (report-390.png, 390 px).

    .venv/bin/python docs/images/make_screenshots.py

Needs Playwright (the test extra) and Chromium on PATH, as the report's browser tests do.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

import policyc

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
# (file, viewport width, height of the picture): the top of the report, down to the distribution's charts
SHOTS = (("report.png", 1280, 1900), ("report-390.png", 390, 2400))


def main() -> int:
    os.chdir(ROOT)  # the report names its files as given: relative to the checkout, as README's command does
    comparison = policyc.compare(
        "policies/performance_2009.policy", "policies/oversight_2025.policy", "examples/england_synthetic.csv"
    )
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        print("no chromium on PATH", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as p:
        page_file = Path(folder) / "report.html"
        page_file.write_text(comparison.html(), encoding="utf-8")
        browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        for name, width, height in SHOTS:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(page_file.as_uri())
            page.screenshot(path=str(HERE / name))
            page.close()
            print(f"wrote {HERE / name} ({width} x {height})")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
