"""A run of policies' tests as JUnit XML, which CI services show test by test (`policyc test --format junit`).

In: the FileReports of analysis.testing. Out: one `testsuites` document, a `testsuite` per policy file (with its
coverage as a property) and a `testcase` per test, failed with each row's expectation or with the error that
stopped it. Every text is printable first, since XML 1.0 cannot hold most control characters at all.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from policyc.syntax.text import printable

from .testing import FileReport


def to_junit(reports: list[FileReport]) -> str:
    tests = sum(len(r.outcomes) for r in reports)
    failures = sum(sum(bool(o.failures) and o.error is None for o in r.outcomes) for r in reports)
    errors = sum(sum(o.error is not None for o in r.outcomes) for r in reports)
    root = ET.Element("testsuites", name="policyc test", tests=str(tests), failures=str(failures), errors=str(errors))
    for report in reports:
        suite = ET.SubElement(
            root,
            "testsuite",
            name=printable(report.path),
            tests=str(len(report.outcomes)),
            failures=str(sum(bool(o.failures) and o.error is None for o in report.outcomes)),
            errors=str(sum(o.error is not None for o in report.outcomes)),
            skipped="0",
        )
        properties = ET.SubElement(suite, "properties")
        ET.SubElement(properties, "property", name="coverage", value=f"{report.percent:.1f}")
        for outcome in report.outcomes:
            _, _, line = outcome.where.rpartition(":")
            case = ET.SubElement(
                suite,
                "testcase",
                classname=printable(report.path),
                name=printable(outcome.name),
                file=printable(report.path),
                line=line,
            )
            if outcome.error is not None:
                ET.SubElement(case, "error", message=printable(outcome.error)).text = printable(outcome.error)
            elif outcome.failures:
                lines = [f"row {f.row}: {f.name} expected {f.expected}, got {f.actual}" for f in outcome.failures]
                # Each line printable on its own, so the details keep their line breaks.
                details = "\n\n".join(
                    "\n".join(printable(x) for x in [head, *f.explanation.splitlines()])
                    for head, f in zip(lines, outcome.failures, strict=True)
                )
                ET.SubElement(case, "failure", message=printable("; ".join(lines))).text = details
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
