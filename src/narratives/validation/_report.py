"""The validation report: ``validation.json``, ``report.md`` and ``report.html`` in a folder,
and the corrected prevalence tables read back from it (``narratives summarize --adjust``)."""

from __future__ import annotations

import html
import json
import math
import os
from pathlib import Path
from typing import Any

import pandas as pd

from .._exceptions import InputError

__all__ = [
    "REPORT_FILE",
    "check_report_dir",
    "prevalence_table",
    "read_report",
    "write_validation_report",
]

REPORT_FILE = "validation.json"


def check_report_dir(path: str | Path) -> Path:
    """Refuse a folder that holds anything but an earlier validation report (never overwrite
    files this command did not write)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(f"report path {path} exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not (path / REPORT_FILE).is_file():
        raise InputError(
            f"report folder {path} is not empty and holds no earlier validation report: choose another folder"
        )
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.exists():
        raise InputError(f"output folder does not exist: {parent}")
    return path


def _pct(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    return f"{100 * v:.{digits}f}%"


def _ci(v, lo, hi, digits: int = 1) -> str:
    if v is None:
        return "n/a"
    return f"{_pct(v, digits)} [{_pct(lo, digits)}, {_pct(hi, digits)}]"


def _num(v: Any) -> str:
    return "n/a" if v is None else f"{int(v):,}"


def _where(d: dict | None) -> str:
    if not d:
        return ""
    return ", ".join(f"{k} +{v}" for k, v in d.items() if v)


def error_table(res: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for r in res["errors"]:
        if r["stance"] != "any":
            continue
        rows.append(
            {
                "frame": r["frame"],
                "annotated positive": r["gold_positive"],
                "precision": _ci(r["precision"], r["precision_low"], r["precision_high"]),
                "recall": _ci(r["recall"], r["recall_low"], r["recall_high"]),
                "stance agreement": ""
                if r.get("stance_agreement") is None
                else f"{_pct(r['stance_agreement'], 0)} of {r['stance_agreement_n']}",
            }
        )
    return pd.DataFrame(rows)


def prevalence_table(
    res: dict[str, Any], stance: str = "any", grouped: bool = False
) -> pd.DataFrame:
    """Corrected prevalence as display strings: overall (``grouped=False``) or by group."""
    gcols = res["summary"]["by"]
    rows = []
    for r in res["prevalence"]:
        if r["stance"] != stance:
            continue
        is_all = all(r.get(c) == "(all)" for c in gcols)
        if grouped == is_all and gcols:
            continue
        rec = {c: r[c] for c in gcols} if grouped else {}
        rec.update(
            {
                "frame": r["frame"],
                "raw": _pct(r["raw"]),
                "corrected": _ci(r["corrected"], r["low"], r["high"]),
                "units": _num(r["units"]),
                "annotated": _num(r["annotated"]),
            }
        )
        if grouped:
            rec["method"] = r["method"]
        else:
            err = next(
                (e for e in res["errors"] if e["frame"] == r["frame"] and e["stance"] == stance), {}
            )
            rec["more to halve the interval"] = (
                "n/a"
                if r["more_to_halve"] is None
                else f"{r['more_to_halve']:,} ({_where(err.get('more_to_halve_where'))})"
            )
            rec["same design"] = (
                "n/a"
                if r.get("more_to_halve_same_design") is None
                else f"{r['more_to_halve_same_design']:,}"
            )
        rows.append(rec)
    return pd.DataFrame(rows)


def _md(df: pd.DataFrame) -> list[str]:
    if not len(df):
        return ["(none)"]
    cols = list(df.columns)
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for rec in df.itertuples(index=False, name=None):
        out.append("| " + " | ".join(str(v).replace("|", "\\|") for v in rec) + " |")
    return out


def _sections(res: dict[str, Any]) -> list[tuple[str, str, pd.DataFrame | None]]:
    s = res["summary"]
    lvl = f"{round(100 * s['level'])}%"
    secs: list[tuple[str, str, pd.DataFrame | None]] = [
        (
            "Model error on this corpus",
            f"Per frame, the model's precision and recall measured on the annotated sample, design-weighted, with {lvl} intervals. "
            "Stance agreement: the share of correctly found frames whose stance the model also got right.",
            error_table(res),
        ),
        (
            "Corrected prevalence",
            f"Share of {s['unit']}s carrying each frame: raw (the model's count) and corrected with the measured error rates, "
            f"with {lvl} intervals. 'more to halve the interval': the fewest extra annotations, placed where they help most "
            "(by post-stratum: pos = units the model gives the frame, near = units just below its threshold, far = the rest); "
            "'same design': extra annotations drawn like this sample.",
            prevalence_table(res, "any"),
        ),
        (
            "Corrected prevalence, promoting stance",
            f"Share of {s['unit']}s that promote each frame (the frame with stance 'promotes').",
            prevalence_table(res, "promotes"),
        ),
    ]
    if s["by"]:
        secs.append(
            (
                f"Corrected prevalence by {', '.join(s['by'])}",
                f"method 'domain': the group's own annotations (at least {s['min_group']}); 'pooled': the error rates of the "
                "whole sample applied to the group's own counts (assumes the model errs alike in every group).",
                prevalence_table(res, "any", grouped=True),
            )
        )
    d = pd.DataFrame([{"stratum": h, **v} for h, v in res["design"]["strata"].items()])
    secs.append(("Sample design", f"Estimator: {res['design']['estimator']}.", d))
    if res["rejects"]:
        rj = pd.DataFrame(res["rejects"][:50])[["id", "row", "reason"]]
        secs.append(
            (
                f"Rejected annotations ({len(res['rejects'])})",
                "Annotations that could not be used, with the reason (first 50).",
                rj,
            )
        )
    return secs


def render_markdown(res: dict[str, Any]) -> str:
    s = res["summary"]
    lines = [
        "# Validation report",
        "",
        f"- tags: `{s['tags']}` ({s['units']:,} {s['unit']}s; fingerprint {s['tags_fingerprint']})",
        f"- annotations: `{s['annotations']}` ({s['annotation_format']}): {s['annotated']} used, {s['rejected']} rejected; sample {s['run']}",
        f"- intervals: {round(100 * s['level'])}%",
        "",
    ]
    for title, text, df in _sections(res):
        lines += [f"## {title}", "", text, ""]
        if df is not None:
            lines += [*_md(df), ""]
    return "\n".join(lines)


def render_html(res: dict[str, Any]) -> str:
    s = res["summary"]
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>narratives validation report</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;font-size:14px}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}"
        "th{background:#f3f3f3}</style></head><body>",
        "<h1>Validation report</h1><ul>",
        f"<li>tags: <code>{html.escape(s['tags'])}</code> ({s['units']:,} {s['unit']}s)</li>",
        f"<li>annotations: <code>{html.escape(s['annotations'])}</code> ({s['annotation_format']}): {s['annotated']} used, {s['rejected']} rejected</li>",
        f"<li>intervals: {round(100 * s['level'])}%</li></ul>",
    ]
    for title, text, df in _sections(res):
        parts.append(f"<h2>{html.escape(title)}</h2><p>{html.escape(text)}</p>")
        if df is not None:
            parts.append(df.to_html(index=False, escape=True, border=0))
    parts.append("</body></html>")
    return "\n".join(parts)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_validation_report(res: dict[str, Any], path: str | Path) -> dict[str, Path]:
    """Write ``validation.json``, ``report.md`` and ``report.html`` into the folder ``path``."""
    path = check_report_dir(path)
    path.mkdir(exist_ok=True)
    out = {"json": path / REPORT_FILE, "markdown": path / "report.md", "html": path / "report.html"}
    _write(out["markdown"], render_markdown(res))
    _write(out["html"], render_html(res))
    _write(out["json"], json.dumps(res, indent=1, default=_jsonable) + "\n")
    return out


def _jsonable(v: Any) -> Any:
    if hasattr(v, "item"):
        return v.item()
    if hasattr(v, "tolist"):
        return v.tolist()
    return str(v)


def read_report(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    f = p / REPORT_FILE if p.is_dir() else p
    if not f.is_file():
        raise InputError(
            f"no validation report in {p} (expected {REPORT_FILE}; write one with narratives validate)"
        )
    try:
        res = json.loads(f.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise InputError(f"{f} is not a readable validation report") from None
    if not isinstance(res, dict) or "prevalence" not in res or "summary" not in res:
        raise InputError(f"{f} is not a narratives validation report")
    return res
