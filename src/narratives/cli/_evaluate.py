"""``narratives evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ._common import FormatOpt, IdCol, InFormat, ModelOpt, TextCol, _model, is_quiet, out


def evaluate(
    data: Annotated[
        Path, typer.Argument(help="Labelled data (JSONL/CSV/Parquet or SemEval folder).")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Report directory: metrics.json, report.md, report.html, oof_predictions.jsonl.",
        ),
    ],
    model: ModelOpt = None,
    fmt: FormatOpt = InFormat.auto,
    cv: Annotated[
        int | None,
        typer.Option(
            min=2,
            help="Cross-validate the pipeline and the baselines with K group-aware folds instead of scoring a model.",
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed (folds, training, bootstrap).")] = 0,
    group_column: Annotated[
        str | None,
        typer.Option(
            "--group-column",
            help="Column (e.g. source or outlet) whose values must not span folds.",
        ),
    ] = None,
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            help="Taxonomy for --cv training (default: SemEval's for SemEval data, else bundled).",
        ),
    ] = None,
    baselines: Annotated[
        str,
        typer.Option(
            help="Comma-separated baselines for --cv: majority, cue_lexicon, spacy_bow; 'none' for none."
        ),
    ] = "majority,cue_lexicon,spacy_bow",
    bootstrap: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples for the confidence intervals (0: none).")
    ] = 1000,
    tune: Annotated[
        str,
        typer.Option(
            help="Threshold tuning objective: f1, or precision (with --target-precision)."
        ),
    ] = "f1",
    target_precision: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Precision each label's threshold should reach (implies --tune precision).",
        ),
    ] = None,
    text_column: TextCol = "text",
    id_column: IdCol = None,
    texts: Annotated[
        bool,
        typer.Option(
            "--texts/--no-texts",
            help="Include passage texts in the error analysis (--no-texts: ids and offsets only).",
        ),
    ] = True,
    compare: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help="Also score this model (e.g. the base of train --base; 'default': the embedded one) and compare, paired, on the same data (written to comparison.json).",
        ),
    ] = None,
    crosswalk: Annotated[
        Path | None,
        typer.Option(
            "--crosswalk",
            help="YAML mapping frame -> \\[labels]: score the model's frames as the data's labels they map to, at document level. Default: the taxonomy's own crosswalk (e.g. to SemEval) when the data's labels are not the model's.",
        ),
    ] = None,
    no_crosswalk: Annotated[
        bool,
        typer.Option("--no-crosswalk", help="Never score through the taxonomy's crosswalk."),
    ] = False,
) -> None:
    """Score a model on labelled data, or cross-validate it against baselines, and write a report."""
    from .. import evaluate as evaluate_fn
    from ..evaluation import (
        comparison_markdown,
        comparison_rows,
        crosswalk_lines,
        with_ci,
        write_report,
    )

    if crosswalk is not None and no_crosswalk:
        raise typer.BadParameter(
            "--crosswalk and --no-crosswalk cannot be combined", param_hint="'--crosswalk'"
        )
    walk = False if no_crosswalk else crosswalk

    names = (
        []
        if baselines.strip().lower() in ("", "none")
        else [b.strip() for b in baselines.split(",") if b.strip()]
    )
    res = evaluate_fn(
        None if cv else _model(model),
        data,
        cv=cv,
        fmt=fmt.value,
        seed=seed,
        baselines=names,
        group_column=group_column,
        taxonomy=taxonomy,
        n_bootstrap=bootstrap,
        threshold_objective="precision" if target_precision else tune,
        target_precision=target_precision,
        text_column=text_column,
        id_column=id_column,
        progress=False if is_quiet() else None,
        crosswalk=walk,
    )
    paths = write_report(res, output, include_texts=texts)
    p = res["protocol"]
    title = (
        f"{p['folds']}-fold cross-validation"
        if p["mode"] == "cross-validation"
        else "holdout evaluation"
    )
    title += f" on {res['data']['n_documents']} documents, mean [95% bootstrap CI]"
    if not out.is_terminal:  # pipes and files get a Markdown table (paste-able, never wrapped)
        out.print(
            f"{title}\n\n" + "\n".join(comparison_markdown(res)) + "\n",
            markup=False,
            highlight=False,
        )
    else:
        t = Table(title=title)
        for col in (
            "system",
            "F1-samples fine",
            "F1-samples coarse",
            "macro F1 fine",
            "macro F1 coarse",
            "micro F1 fine",
            "Δ F1-samples fine",
            "train s/fold",
            "docs/s",
        ):
            t.add_column(col, justify="left" if col == "system" else "right")

        for r in comparison_rows(res):
            delta = (
                ""
                if r["delta_f1_samples_fine"] is None
                else f"{r['delta_f1_samples_fine']:+.3f} (p={r['p_value']:.3f})"
            )
            t.add_row(
                r["title"],
                *[
                    with_ci(r[k], r[f"{k}_ci"])
                    for k in (
                        "f1_samples_fine",
                        "f1_samples_coarse",
                        "f1_macro_fine",
                        "f1_macro_coarse",
                        "f1_micro_fine",
                    )
                ],
                delta,
                "" if r["fit_seconds_mean"] is None else f"{r['fit_seconds_mean']:.1f}",
                ""
                if r["predict_docs_per_second"] is None
                else f"{r['predict_docs_per_second']:.0f}",
            )
        out.print(t)
    for line in crosswalk_lines(res):
        out.print(line, markup=False, highlight=False)
    g = res["threshold_tuning"]["summary"]["gain"]
    out.print(
        f"per-label thresholds ({res['threshold_tuning']['objective']}) vs 0.5: macro F1 {g['f1_macro']:+.3f}, "
        f"F1-samples {g['f1_samples']:+.3f} ({res['threshold_tuning']['summary']['gain_basis'].replace('_', '-')})"
    )
    if "stance_accuracy" in res:
        out.print(f"stance accuracy (framed documents): {res['stance_accuracy']:.3f}")
    if compare is not None and not cv:
        from ._validate import compare_models

        other = _model(None if str(compare) == "default" else compare)
        res_old = evaluate_fn(
            other,
            data,
            fmt=fmt.value,
            seed=seed,
            baselines=[],
            n_bootstrap=bootstrap,
            text_column=text_column,
            id_column=id_column,
            crosswalk=walk,
        )
        compare_models(
            res,
            res_old,
            "new (--model)",
            f"compared ({compare})",
            max(bootstrap, 1),
            seed,
            report_dir=output,
        )
    out.print(
        f"report written to {paths['html']} (also {paths['markdown'].name}, {paths['metrics'].name}, oof_predictions.jsonl)"
    )
