"""The notebooks in notebooks/ run from a fresh clone and show what they promise.

Each notebook is executed with nbclient in a kernel on this interpreter (ipykernel's own
``python3`` spec, so a ``python3`` kernelspec elsewhere on the machine cannot pick another
Python), in the notebooks/ folder as Jupyter would. The executed copy stays in memory: stored
notebooks carry no outputs, and nothing from ../shared is written anywhere.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = [
    "01_explore_default_model.ipynb",
    "02_train_your_own.ipynb",
    "03_validate_and_correct.ipynb",
]

log = logging.getLogger(__name__)


def execute(path: Path, timeout: int = 300) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel; returns the executed notebook."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import KernelManager

    nb = nbformat.read(path, as_version=4)
    # No kernel dirs: jupyter_client falls back to ipykernel's built-in "python3" spec, whose
    # argv is this interpreter (sys.executable), whatever PATH or ~/.local/share/jupyter say.
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    client = nbclient.NotebookClient(
        nb,
        km=km,
        kernel_name="python3",
        timeout=timeout,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return nb


def outputs(nb: nbformat.NotebookNode, mime: str) -> list[str]:
    return [
        o["data"][mime]
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if mime in o.get("data", {})
    ]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_is_stored_without_outputs(name):
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, (
                f"{name}: clear outputs before committing"
            )


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_runs_and_draws(name):
    t0 = time.perf_counter()
    nb = execute(NOTEBOOK_DIR / name)
    seconds = time.perf_counter() - t0
    log.warning("%s executed in %.1f s", name, seconds)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert not errors
    pngs = outputs(nb, "image/png")
    assert pngs, f"{name} produced no figure"
    tagged = [
        c for c in nb.cells if any(t.startswith("docs-img:") for t in c.metadata.get("tags", []))
    ]
    for cell in tagged:  # the cells benchmarks/render_notebook_figures.py saves to docs/img
        assert any("image/png" in o.get("data", {}) for o in cell.outputs), cell.metadata["tags"]
    html = "".join(outputs(nb, "text/html"))
    if name.startswith("01"):
        assert "<mark" in html and "narratives-overview" in html  # highlighted evidence, overview
    else:
        assert "<table" in html  # metrics, errors, label-noise tables; validation tables
    if name.startswith("03"):  # raw vs corrected prevalence, and new minus base after train --base
        assert len(pngs) >= 2 and "corrected" in html and "new - base" in html
