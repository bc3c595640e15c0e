"""``report.md``: the evaluation result as Markdown, readable in a terminal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._format import (
    HEADLINE,
    PLOT_TITLES,
    SHORT,
    _fmt,
    _system_order,
    comparison_rows,
    crosswalk_lines,
    with_ci,
)


def _md_table(header: list[str], rows: Iterable[list[Any]]) -> list[str]:
    esc = lambda v: str(v).replace("|", "\\|").replace("\n", " ")  # noqa: E731
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(esc(v) for v in r) + " |" for r in rows]
    return out


def comparison_markdown(result: dict[str, Any]) -> list[str]:
    """The headline comparison (systems x metrics with intervals, difference, speed) as Markdown."""
    rows = []
    for r in comparison_rows(result):
        delta = (
            "—"
            if r["delta_f1_samples_fine"] is None
            else (
                f"{r['delta_f1_samples_fine']:+.3f} [{r['delta_ci']['low']:+.3f}, {r['delta_ci']['high']:+.3f}], p={r['p_value']:.3f}"
            )
        )
        rows.append(
            [
                r["title"],
                *[with_ci(r[k], r[f"{k}_ci"]) for k in HEADLINE],
                delta,
                _fmt(r["fit_seconds_mean"], 1),
                _fmt(r["predict_docs_per_second"], 1),
            ]
        )
    return _md_table(
        [
            "system",
            *[SHORT[k] for k in HEADLINE],
            "Δ F1-samples fine, narratives minus system",
            "train s/fold",
            "predict docs/s",
        ],
        rows,
    )


def render_markdown(
    result: dict[str, Any], plot_paths: dict[str, str] | None = None, include_texts: bool = True
) -> str:
    """``report.md``: readable in a terminal; links the plot PNGs when ``plot_paths`` is given."""
    p = result.get("protocol", {})
    lines = ["# narratives evaluation report", ""]
    lines += _protocol_lines(result)
    lines += [
        "",
        "## Headline comparison",
        "",
        "Mean over documents with 95% percentile-bootstrap intervals (documents resampled, "
        f"{p.get('bootstrap', {}).get('n')} resamples, seed {p.get('seed')}). Δ: narratives minus the baseline, paired bootstrap.",
        "",
    ]
    lines += comparison_markdown(result)
    lines += ["", "## Other metrics (narratives)", ""]
    lines += _md_table(
        ["metric", "fine", "coarse"],
        [
            [k, _fmt(result.get(f"{k}_fine")), _fmt(result.get(f"{k}_coarse"))]
            for k in ("f1_samples_std", "hamming_loss", "subset_accuracy", "map")
        ],
    )
    for level in ("fine", "coarse"):
        cal = result.get(f"calibration_{level}")
        if cal:
            lines.append(
                f"\nCalibration ({level}): ECE {cal['ece']:.4f}, Brier {cal['brier']:.4f} over {cal['n_cells']} document-label cells."
            )
    st = result.get("stance")
    if st:
        lines += [
            "",
            f"Stance accuracy on framed documents: {_fmt(st['accuracy'])} (n={st['n']}); on all: {_fmt(st['accuracy_all'])} (n={st['n_all']}).",
            "",
        ]
        lines += _md_table(
            ["gold \\ predicted", *st["confusion"]["pred"]],
            [
                [g, *row]
                for g, row in zip(st["confusion"]["gold"], st["confusion"]["matrix"], strict=True)
            ],
        )
    lines += ["", "## Per-label scores (fine)", ""]
    lines += _per_label_md(result, "fine")
    lines += ["", "## Per-label scores (coarse)", ""]
    lines += _per_label_md(result, "coarse")
    lines += ["", "## Threshold tuning", ""]
    lines += _threshold_lines(result)
    lines += ["", "## Label-noise suspects", ""]
    lines += _noise_md(result, include_texts)
    lines += ["", "## Errors per label", ""]
    lines += _errors_md(result, include_texts)
    if plot_paths:
        lines += ["", "## Plots", ""]
        lines += [f"![{PLOT_TITLES.get(k, k)}]({v})" for k, v in plot_paths.items()]
    return "\n".join(lines) + "\n"


def _protocol_lines(result: dict[str, Any]) -> list[str]:
    d, p = result.get("data", {}), result.get("protocol", {})
    g = p.get("grouping", {})
    lines = [
        f"- data: `{d.get('source')}`: {d.get('n_documents')} documents ({d.get('n_rejected', 0)} rejected), taxonomy "
        f"`{d.get('taxonomy')}` ({d.get('n_fine_labels')} fine / {d.get('n_coarse_labels')} coarse labels; "
        f"{d.get('fine_labels_with_support')} fine labels occur), {100 * d.get('none_share', 0):.0f}% labelled "
        f"`{d.get('none_label')}`, {d.get('label_cardinality_fine', 0):.2f} fine labels per document"
    ]
    if p.get("mode") == "cross-validation":
        lines.append(
            f"- protocol: {p.get('folds')}-fold cross-validation, seed {p.get('seed')}; folds keep {g.get('n_groups')} groups "
            f"intact ({g.get('near_duplicate_clusters')} near-duplicate clusters covering "
            f"{g.get('texts_in_near_duplicate_clusters')} texts"
            + (f", plus column `{g['group_column']}`" if g.get("group_column") else "")
            + f"); fold sizes {g.get('fold_sizes')}"
        )
    else:
        lines.append("- protocol: holdout: a trained model scored on this data")
    if d.get("unknown_gold_labels"):
        lines.append(
            f"- {len(d['unknown_gold_labels'])} gold labels are unknown to the taxonomy and count as misses"
        )
    lines.append("- label space: " + str(p.get("label_space", "")))
    lines += [f"- {line}" for line in crosswalk_lines(result)]
    for name in _system_order(result):
        info = result["systems"][name].get("info", {})
        lines.append(
            f"- **{result['systems'][name].get('title', name)}**: {info.get('description', '')}"
            + (f" ({info['calibration']})" if info.get("calibration") else "")
        )
    return lines


def _per_label_md(result: dict[str, Any], level: str) -> list[str]:
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
    out = _md_table(
        ["label", "support", "predicted", "precision", "recall", "F1 [95% CI]", "AP"], body
    )
    none = result.get(f"none_label_{level}")
    if none:
        out.append(
            f"\nnone label `{none['label']}`: precision {_fmt(none['precision'])}, recall {_fmt(none['recall'])}, F1 {_fmt(none['f1'])}, support {none['support']}."
        )
    return out


def _threshold_lines(result: dict[str, Any]) -> list[str]:
    tt = result.get("threshold_tuning", {})
    if not tt:
        return ["n/a"]
    s = tt["summary"]
    obj = (
        "maximise each label's F1"
        if tt["objective"] == "f1"
        else f"reach precision {tt['target_precision']} with the highest recall"
    )
    lines = [
        f"Per-label thresholds on out-of-fold scores to {obj}, against one global threshold of {s['base_threshold']}. "
        "In-sample: tuned and scored on the same predictions (optimistic). Cross-fitted: each fold's thresholds tuned on "
        "the other folds (what to expect on new data).",
        "",
    ]
    cols = [
        ("at_base", f"global {s['base_threshold']}"),
        ("tuned_in_sample", "tuned, in-sample"),
        ("cross_fitted", "tuned, cross-fitted"),
    ]
    body = []
    for key, name in cols:
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
    md = tt.get("model_decision")
    if md:
        body.append(
            [
                "model's own decision rule",
                _fmt(md["f1_macro"]),
                _fmt(md["f1_micro"]),
                _fmt(md["f1_samples"]),
                "",
            ]
        )
    lines += _md_table(
        ["thresholds", "macro F1", "micro F1", "F1-samples", "macro precision"], body
    )
    g = s["gain"]
    lines.append(
        f"\nGain over {s['base_threshold']} ({s['gain_basis'].replace('_', '-')}): macro F1 {g['f1_macro']:+.3f}, "
        f"micro F1 {g['f1_micro']:+.3f}, F1-samples {g['f1_samples']:+.3f}."
    )
    if tt.get("unreachable"):
        lines.append(
            f"Labels that cannot reach the target precision (kept at {s['base_threshold']}): {len(tt['unreachable'])}."
        )
    if tt.get("note"):
        lines.append(tt["note"])
    return lines


def _passage(row: dict[str, Any], include_texts: bool, limit: int = 160) -> str:
    p = row.get("passage")
    if not p:
        return ""
    if include_texts and p.get("text"):
        t = p["text"]
        return t if len(t) <= limit else t[: limit - 1] + "…"
    return f"passage {p.get('index')} [{p.get('start')}:{p.get('end')}]"


def _errors_md(result: dict[str, Any], include_texts: bool, max_labels: int = 15) -> list[str]:
    errs = result.get("errors", {})
    if not errs:
        return ["no errors recorded"]
    lines = [
        "Most confident false positives (highest score) and false negatives (lowest score) per label, with the best-scoring "
        "passage and the features that pushed the score up. Full list: metrics.json.",
        "",
    ]
    for lab in list(errs)[:max_labels]:
        e = errs[lab]
        lines.append(f"### {lab} ({e['n_false_positives']} FP, {e['n_false_negatives']} FN)")
        body = []
        for kind, key in (("FP", "false_positives"), ("FN", "false_negatives")):
            for r in e[key][:3]:
                feats = ", ".join(f[0] for f in r.get("features", [])[:4])
                body.append([kind, r["id"], _fmt(r["score"]), _passage(r, include_texts), feats])
        lines += _md_table(["", "id", "score", "passage", "evidence"], body)
        lines.append("")
    if len(errs) > max_labels:
        lines.append(f"... {len(errs) - max_labels} more labels in metrics.json and report.html")
    return lines


def _noise_md(result: dict[str, Any], include_texts: bool, top: int = 10) -> list[str]:
    nz = result.get("label_noise", {})
    if not nz:
        return ["n/a"]
    lines = [
        f"{nz['n_suspects']} (document, label) cells where the out-of-fold score contradicts the gold label by at least "
        f"{nz['margin']} ({nz['n_doubted_gold']} gold labels the model doubts, {nz['n_missing_gold']} possibly missing). "
        "Ranked by disagreement x the label's average precision.",
        "",
    ]
    body = [
        [
            r["id"],
            r["label"],
            r["gold"],
            _fmt(r["score"]),
            _fmt(r["label_average_precision"]),
            _passage(r, include_texts),
        ]
        for r in nz["suspects"][:top]
    ]
    return lines + _md_table(["id", "label", "gold", "score", "label AP", "passage"], body)
