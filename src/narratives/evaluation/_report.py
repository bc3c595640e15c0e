"""Evaluation reports: ``metrics.json``, ``oof_predictions.jsonl``, ``report.md`` and a
self-contained ``report.html`` (plots embedded as base64 PNG; opens offline).

Everything here is a function of the dict returned by :func:`narratives.evaluate`: shared
formatting in ``_format``, plots in ``_plots``, Markdown in ``_markdown``, HTML in ``_html``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from .._internal.atomic import write_text_atomically
from .._internal.jsonable import json_default_lenient
from ._format import HEADLINE, PLOT_TITLES, SHORT, comparison_rows, strip_texts
from ._html import render_html
from ._markdown import comparison_markdown, render_markdown
from ._plots import make_plots

__all__ = [
    "HEADLINE",
    "PLOT_TITLES",
    "SHORT",
    "comparison_markdown",
    "comparison_rows",
    "make_plots",
    "render_html",
    "render_markdown",
    "strip_texts",
    "write_report",
]


log = logging.getLogger(__name__)


def write_report(
    result: dict[str, Any], directory: str | Path, include_texts: bool = True, plots: bool = True
) -> dict[str, Path]:
    """Write ``metrics.json``, ``oof_predictions.jsonl``, ``report.md``, ``report.html`` and
    ``plots/*.png`` into ``directory`` (created if missing).

    ``include_texts=False`` leaves passage texts out of every file (ids, offsets and numbers only).
    ``metrics.json`` holds everything but the out-of-fold rows, which go to the JSONL file.
    """
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    res = result if include_texts else strip_texts(result)
    paths: dict[str, Path] = {}
    metrics = {k: v for k, v in res.items() if k != "oof_predictions"}
    paths["metrics"] = out / "metrics.json"
    write_text_atomically(
        paths["metrics"],
        json.dumps(metrics, indent=2, ensure_ascii=False, default=json_default_lenient) + "\n",
    )
    if res.get("oof_predictions") is not None:
        paths["oof_predictions"] = out / "oof_predictions.jsonl"
        write_text_atomically(
            paths["oof_predictions"],
            "".join(
                json.dumps(r, ensure_ascii=False, default=json_default_lenient) + "\n"
                for r in res["oof_predictions"]
            ),
        )
    images = make_plots(res) if plots else {}
    rel = {}
    if images:
        (out / "plots").mkdir(exist_ok=True)
        for k, png in images.items():
            write_text_atomically(out / "plots" / f"{k}.png", png)
            rel[k] = f"plots/{k}.png"
    paths["markdown"] = out / "report.md"
    write_text_atomically(paths["markdown"], render_markdown(res, rel, include_texts))
    paths["html"] = out / "report.html"
    write_text_atomically(paths["html"], render_html(res, images, include_texts))
    log.info("report written to %s", out)
    return paths
