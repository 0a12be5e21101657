"""The example notebook runs top to bottom and shows what `policyc compare` and `policyc eval --explain` show."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from click.testing import CliRunner
from jupyter_client.kernelspec import NoSuchKernel
from jupyter_client.manager import start_new_kernel
from nbclient import NotebookClient

from policyc import cli

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NOTEBOOK = EXAMPLES / "notebook.ipynb"
REGIMES = ("performance_2009.policy", "oversight_2025.policy")

# Run after the notebook's own cells, in its kernel: what its cross-tabulation and comparison came to.
PROBE = """import json
print(json.dumps({
    "crosstab": {str(a): {str(b): int(n) for b, n in row.items()} for a, row in crosstab.iterrows()},
    "moved": int(rows["moved"].sum()),
}))"""


def cli_output(*args) -> str:
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def executed() -> nbformat.NotebookNode:
    try:
        manager, client = start_new_kernel(kernel_name="python3", startup_timeout=60)
    except (NoSuchKernel, RuntimeError, TimeoutError, OSError) as error:
        pytest.skip(f"no Jupyter kernel python3 could start: {error}")
    client.stop_channels()
    manager.shutdown_kernel(now=True)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(PROBE))
    NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(EXAMPLES)}}
    ).execute()
    return notebook


def output(cell: nbformat.NotebookNode, kind: str) -> str:
    found = [o["data"][kind] for o in cell.outputs if o.output_type == "execute_result" and kind in o.get("data", {})]
    assert len(found) == 1, cell.source
    return found[0]


def cell_with(notebook: nbformat.NotebookNode, text: str) -> nbformat.NotebookNode:
    found = [c for c in notebook.cells if c.cell_type == "code" and text in c.source]
    assert len(found) == 1, text
    return found[0]


def test_the_notebook_is_committed_without_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    assert all(not c.outputs and c.execution_count is None for c in notebook.cells if c.cell_type == "code")


def test_the_cross_tabulation_counts_what_policyc_compare_counts(executed) -> None:
    probe = json.loads("".join(o["text"] for o in executed.cells[-1].outputs if o.output_type == "stream"))
    document = json.loads(
        cli_output(
            "compare",
            *(ROOT / "policies" / p for p in REGIMES),
            "--data",
            EXAMPLES / "england_synthetic.csv",
            "--format",
            "json",
        )
    )
    table = document["crosstab"]
    a_scale, b_scale = (policy["scale"] for policy in document["policies"])
    counted = probe["crosstab"]
    for a, counts in zip(table["a_values"], table["counts"], strict=True):
        for b, count in zip(table["b_values"], counts, strict=True):
            if a in a_scale and b in b_scale:  # pandas leaves out a value that no row has
                assert counted.get(a, {}).get(b, 0) == count, (a, b)
    assert set(counted) <= set(a_scale) and all(set(row) <= set(b_scale) for row in counted.values())
    assert probe["moved"] == sum(r["moved"] for r in document["rows"])


def test_the_explanation_is_the_one_policyc_eval_gives(executed) -> None:
    cell = cell_with(executed, ".explain(")
    expected = cli_output(
        "eval", ROOT / "policies" / REGIMES[1], "--data", EXAMPLES / "england_synthetic.csv", "--explain", "SYNA002"
    )
    text = output(cell, "text/plain")
    assert text.startswith("SYNA002 (acute, 2025Q3): segment = ")
    assert text + "\n" in expected
    assert output(cell, "text/html").startswith('<pre class="policyc-explanation">SYNA002 (acute, 2025Q3)')


def test_the_comparison_shows_its_summary_and_its_rows(executed) -> None:
    summary = output(cell_with(executed, "policyc.compare("), "text/html")
    assert "NHS Performance Framework 2009/10 vs NHS Oversight Framework 2025/26" in summary
    assert "rows that both rate stand differently" in summary
    assert "<th>" in output(cell_with(executed, "to_frame()"), "text/html")
