"""``report.html``: one self-contained page (inline CSS, base64 PNG plots, no scripts)."""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable
from typing import Any

from ._format import HEADLINE, PLOT_TITLES, SHORT, _fmt, _system_order, comparison_rows, with_ci
from ._markdown import _noise_md, _passage, _protocol_lines, _threshold_lines
from ._plots import make_plots

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1180px;color:#1d1d1f;line-height:1.45;padding:0 16px}
h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px solid #ddd;padding-bottom:4px}h3{font-size:1.02em;margin-bottom:4px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:.86em}table.headline td small{color:#555;font-weight:400}th,td{border:1px solid #d9d9d9;padding:3px 7px;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.ours td{background:#eef4fc;font-weight:600}.note{color:#555;font-size:.9em}img{max-width:100%;height:auto;border:1px solid #eee;margin:6px 0}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:8px 18px;align-items:start}
details{margin:4px 0}summary{cursor:pointer}code{background:#f4f4f4;padding:0 3px;border-radius:3px}figure{margin:10px 0 24px}figcaption{font-weight:600}
"""


def _h(v: Any) -> str:
    return html.escape(str(v))


def _html_table(
    header: list[str],
    rows: Iterable[list[Any]],
    num_from: int = 1,
    row_classes: list[str] | None = None,
) -> str:
    out = ["<table><tr>" + "".join(f"<th>{_h(c)}</th>" for c in header) + "</tr>"]
    for i, r in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(
            f'<td class="num">{_h(v)}</td>' if j >= num_from else f"<td>{_h(v)}</td>"
            for j, v in enumerate(r)
        )
        out.append(f"<tr{cls}>{cells}</tr>")
    return "".join(out) + "</table>"


def _headline_html(result: dict[str, Any]) -> str:
    """The comparison table with each interval under its value (fits a 1280 px window)."""

    def cell(v: float | None, ci: dict[str, float] | None) -> str:
        if v is None:
            return '<td class="num">n/a</td>'
        sub = f"<br><small>[{ci['low']:.3f}, {ci['high']:.3f}]</small>" if ci else ""
        return f'<td class="num">{v:.3f}{sub}</td>'

    head = [
        "system",
        *[SHORT[k] for k in HEADLINE],
        "Δ F1-samples fine",
        "train s/fold",
        "predict docs/s",
    ]
    out = ["<table class='headline'><tr>" + "".join(f"<th>{_h(c)}</th>" for c in head) + "</tr>"]
    for r in comparison_rows(result):
        cls = ' class="ours"' if r["system"] == "narratives" else ""
        if r["delta_f1_samples_fine"] is None:
            delta = '<td class="num">—</td>'
        else:
            d = r["delta_ci"]
            delta = (
                f'<td class="num">{r["delta_f1_samples_fine"]:+.3f}<br><small>[{d["low"]:+.3f}, {d["high"]:+.3f}] '
                f"p={r['p_value']:.3f}</small></td>"
            )
        cells = "".join(cell(r[k], r[f"{k}_ci"]) for k in HEADLINE)
        out.append(
            f"<tr{cls}><td>{_h(r['title'])}</td>{cells}{delta}<td class='num'>{_fmt(r['fit_seconds_mean'], 1)}</td>"
            f"<td class='num'>{_fmt(r['predict_docs_per_second'], 1)}</td></tr>"
        )
    return "".join(out) + "</table>"


def _header_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """Title and protocol."""
    parts = [
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>narratives evaluation report</title><style>{_CSS}</style></head><body>"
    ]
    parts.append("<h1>narratives evaluation report</h1><ul>")
    for line in _protocol_lines(result):
        parts.append(f"<li>{_h(line[2:]).replace('**', '')}</li>")
    parts.append("</ul>")
    return parts


def _headline_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """The headline comparison."""
    p = result.get("protocol", {})
    parts: list[str] = []
    parts.append("<h2>Headline comparison</h2>")
    parts.append(
        f"<p class='note'>Mean over documents with 95% percentile-bootstrap intervals ({_h(p.get('bootstrap', {}).get('n'))} resamples of the "
        "documents). Δ: narratives minus the baseline on fine F1-samples (the SemEval ranking metric), paired bootstrap on the same resamples.</p>"
    )
    parts.append(_headline_html(result))
    return parts


def _plots_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """Plots: the compact ones side by side, the tall ones full width."""
    parts: list[str] = []
    parts.append("<h2>Plots</h2>")

    def figure(key: str) -> str:
        b64 = base64.b64encode(images[key]).decode("ascii")
        title = _h(PLOT_TITLES.get(key, key))
        return f"<figure id='{_h(key)}'><figcaption>{title}</figcaption><img alt='{title}' src='data:image/png;base64,{b64}'></figure>"

    grid = [k for k in ("reliability", "cooccurrence_coarse") if k in images]
    if grid:
        parts.append("<div class='grid'>" + "".join(figure(k) for k in grid) + "</div>")
    order = ["pr_curves", "thresholds", "per_label_f1", "cooccurrence_fine"]
    rest = sorted(
        (k for k in images if k not in grid),
        key=lambda k: order.index(k) if k in order else len(order),
    )
    parts.extend(figure(k) for k in rest)
    return parts


def _other_metrics_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """Other metrics per system: Hamming loss, subset accuracy, mean AP, calibration, stance."""
    parts: list[str] = []
    sysrows = []
    for name in _system_order(result):
        m = result["systems"][name]["metrics"]
        cf = m.get("calibration_fine")
        sysrows.append(
            [
                name,
                _fmt(m.get("hamming_loss_fine"), 4),
                _fmt(m.get("subset_accuracy_fine")),
                _fmt(m.get("subset_accuracy_coarse")),
                _fmt(m.get("map_fine")),
                _fmt(cf["ece"], 4) if cf else "n/a",
                _fmt(cf["brier"], 4) if cf else "n/a",
                _fmt(m.get("stance_accuracy")),
            ]
        )
    parts.append("<h2>Other metrics</h2>")
    parts.append(
        _html_table(
            [
                "system",
                "Hamming loss fine",
                "subset acc. fine",
                "subset acc. coarse",
                "mean AP fine",
                "ECE fine",
                "Brier fine",
                "stance acc.",
            ],
            sysrows,
        )
    )
    st = result.get("stance")
    if st:
        parts.append(
            f"<p>Stance accuracy on framed documents {_fmt(st['accuracy'])} (n={st['n']}); on all documents {_fmt(st['accuracy_all'])} (n={st['n_all']}).</p>"
        )
        parts.append(
            _html_table(
                ["gold \\ predicted", *st["confusion"]["pred"]],
                [
                    [g, *row]
                    for g, row in zip(
                        st["confusion"]["gold"], st["confusion"]["matrix"], strict=True
                    )
                ],
            )
        )
    return parts


def _comparison_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """Paired bootstrap differences, narratives minus each baseline, per headline metric."""
    parts: list[str] = []
    cmp = result.get("comparison", {})
    if cmp:
        parts.append("<h2>Paired bootstrap: narratives minus baseline</h2>")
        body = []
        for name, res in cmp.items():
            for k in HEADLINE:
                if k in res:
                    c = res[k]
                    body.append(
                        [
                            name,
                            SHORT[k],
                            f"{c['diff']:+.3f}",
                            f"[{c['low']:+.3f}, {c['high']:+.3f}]",
                            f"{c['a_better_share']:.3f}",
                            f"{c['p_value']:.4f}",
                        ]
                    )
        parts.append(
            _html_table(
                [
                    "baseline",
                    "metric",
                    "difference",
                    "95% CI",
                    "share of resamples narratives better",
                    "p (two-sided)",
                ],
                body,
                num_from=2,
            )
        )
    return parts


def _per_label_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """Per-label scores, fine and coarse."""
    parts: list[str] = []
    for level in ("fine", "coarse"):
        per = result.get(f"per_label_{level}", {})
        ci = result.get("ci", {}).get(f"per_label_{level}", {})
        rows = sorted(per.items(), key=lambda kv: (-kv[1]["support"], kv[0]))
        body = [
            [
                lab,
                v["support"],
                v["predicted"],
                _fmt(v["precision"]),
                _fmt(v["recall"]),
                with_ci(v["f1"], ci.get(lab)),
                _fmt(v.get("average_precision")),
            ]
            for lab, v in rows
            if v["support"] or v["predicted"]
        ]
        parts.append(f"<h2>Per-label scores ({level})</h2>")
        parts.append(
            _html_table(
                ["label", "support", "predicted", "precision", "recall", "F1 [95% CI]", "AP"], body
            )
        )
    return parts


def _thresholds_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """Threshold tuning: global vs tuned (in-sample, cross-fitted), and per label."""
    parts: list[str] = []
    parts.append("<h2>Threshold tuning</h2>")
    md = _threshold_lines(result)
    parts.append(f"<p class='note'>{_h(md[0])}</p>")
    tt = result.get("threshold_tuning", {})
    if tt:
        s = tt["summary"]
        body = []
        for key, name in (
            ("at_base", f"global {s['base_threshold']}"),
            ("tuned_in_sample", "tuned, in-sample"),
            ("cross_fitted", "tuned, cross-fitted"),
        ):
            if key in s:
                body.append(
                    [
                        name,
                        _fmt(s[key]["f1_macro"]),
                        _fmt(s[key]["f1_micro"]),
                        _fmt(s[key]["f1_samples"]),
                        _fmt(s[key]["precision_macro"]),
                    ]
                )
        if tt.get("model_decision"):
            m = tt["model_decision"]
            body.append(
                [
                    "model's own decision rule",
                    _fmt(m["f1_macro"]),
                    _fmt(m["f1_micro"]),
                    _fmt(m["f1_samples"]),
                    "",
                ]
            )
        parts.append(
            _html_table(
                ["thresholds", "macro F1", "micro F1", "F1-samples", "macro precision"], body
            )
        )
        for line in md[1:]:
            if line and not line.startswith("|"):
                parts.append(f"<p>{_h(line.strip())}</p>")
        prow = sorted(tt["per_label"].items(), key=lambda kv: (-kv[1]["support"], kv[0]))
        body = [
            [
                lab,
                v["support"],
                _fmt(v["threshold"], 2),
                _fmt(v["at_base"]["f1"]),
                _fmt(v["tuned"]["f1"]),
                _fmt(v.get("cross_fitted", {}).get("f1")),
                _fmt(v.get("threshold_spread"), 3),
            ]
            for lab, v in prow
        ]
        parts.append("<details><summary>Per-label thresholds</summary>")
        parts.append(
            _html_table(
                [
                    "label",
                    "support",
                    "threshold",
                    f"F1 at {s['base_threshold']}",
                    "F1 tuned (in-sample)",
                    "F1 cross-fitted",
                    "threshold s.d. across folds",
                ],
                body,
            )
        )
        parts.append("</details>")
    return parts


def _noise_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """Label-noise suspects."""
    parts: list[str] = []
    nz = result.get("label_noise", {})
    parts.append("<h2>Label-noise suspects</h2>")
    if nz:
        parts.append(f"<p class='note'>{_h(_noise_md(result, include_texts)[0])}</p>")
        body = [
            [
                r["id"],
                r["label"],
                r["gold"],
                _fmt(r["score"]),
                _fmt(r["label_average_precision"]),
                _passage(r, include_texts, 400),
                ", ".join(f[0] for f in r.get("features", [])[:5]),
            ]
            for r in nz["suspects"]
        ]
        parts.append(
            _html_table(
                ["id", "label", "gold", "score", "label AP", "passage", "evidence"],
                body,
                num_from=2,
            )
        )
    return parts


def _errors_section(
    result: dict[str, Any], images: dict[str, bytes], include_texts: bool
) -> list[str]:
    """Errors per label, with evidence; and the footer."""
    parts: list[str] = []
    parts.append(
        "<h2>Errors per label</h2><p class='note'>Most confident false positives (highest score) and false negatives "
        "(lowest score), with the passage that scores the label highest and the features that pushed the score up.</p>"
    )
    for lab, e in result.get("errors", {}).items():
        parts.append(
            f"<details><summary><b>{_h(lab)}</b>: {e['n_false_positives']} false positives, {e['n_false_negatives']} false negatives</summary>"
        )
        body = []
        for kind, key in (("FP", "false_positives"), ("FN", "false_negatives")):
            for r in e[key]:
                feats = ", ".join(f"{f[0]} (+{f[1]:.2f})" for f in r.get("features", []))
                body.append(
                    [
                        kind,
                        r["id"],
                        _fmt(r["score"]),
                        "; ".join(r["gold"]) or "—",
                        "; ".join(r["predicted"]) or "—",
                        _passage(r, include_texts, 400),
                        feats + (f" [{r['note']}]" if r.get("note") else ""),
                    ]
                )
        parts.append(
            _html_table(
                ["", "id", "score", "gold", "predicted", "passage", "evidence"], body, num_from=2
            )
        )
        parts.append("</details>")
    parts.append(
        "<p class='note'>Generated by <code>narratives evaluate</code>. Machine-readable numbers: metrics.json; "
        "out-of-fold predictions: oof_predictions.jsonl.</p></body></html>"
    )
    return parts


def render_html(
    result: dict[str, Any], images: dict[str, bytes] | None = None, include_texts: bool = True
) -> str:
    """``report.html``: one self-contained page (inline CSS, base64 PNG plots, no scripts)."""
    images = make_plots(result) if images is None else images
    sections = (
        _header_section,
        _headline_section,
        _plots_section,
        _other_metrics_section,
        _comparison_section,
        _per_label_section,
        _thresholds_section,
        _noise_section,
        _errors_section,
    )
    return "\n".join(
        part for section in sections for part in section(result, images, include_texts)
    )
