"""Render the README figures by running the notebooks: every code cell tagged ``docs-img:NAME``
has its (last) PNG output written to ``docs/img/NAME.png``.

    .venv/bin/python benchmarks/render_notebook_figures.py [--dpi 130] [notebooks/01_....ipynb ...]

The notebooks run exactly as stored (with ../shared data when it is present), in a kernel on this
interpreter; a first cell only raises the figure resolution. Executed notebooks are not saved.
"""

from __future__ import annotations

import argparse
import base64
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
TAG = "docs-img:"


def render(path: Path, dpi: int, out: Path) -> list[Path]:
    nb = nbformat.read(path, as_version=4)
    setup = nbformat.v4.new_code_cell(
        f'%config InlineBackend.print_figure_kwargs = {{"bbox_inches": "tight", "dpi": {dpi}}}'
    )
    nb.cells.insert(0, setup)
    km = KernelManager(kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[]))
    NotebookClient(
        nb,
        km=km,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    written = []
    for cell in nb.cells:
        names = [t[len(TAG) :] for t in cell.metadata.get("tags", []) if t.startswith(TAG)]
        if not names:
            continue
        pngs = [
            o["data"]["image/png"]
            for o in cell.get("outputs", [])
            if "image/png" in o.get("data", {})
        ]
        if not pngs:
            raise SystemExit(f"{path.name}: cell tagged {names} drew no figure")
        for name in names:
            target = out / f"{name}.png"
            target.write_bytes(base64.b64decode(pngs[-1]))
            written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--dpi", type=int, default=130)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for path in args.notebooks or sorted((ROOT / "notebooks").glob("*.ipynb")):
        t0 = time.perf_counter()
        written = render(path.resolve(), args.dpi, args.out)
        print(
            f"{path.name}: {time.perf_counter() - t0:.0f} s ->",
            ", ".join(str(p.relative_to(ROOT)) for p in written),
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
