"""``narratives train``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ._common import FormatOpt, IdCol, InFormat, TextCol, guard_new_model, is_quiet, out


def train(
    data: Annotated[
        Path,
        typer.Argument(
            help="Labelled data: JSONL/CSV/Parquet with text and frames (+stance), or a SemEval folder."
        ),
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Model directory to write.")],
    fmt: FormatOpt = InFormat.auto,
    taxonomy: Annotated[
        Path | None,
        typer.Option(
            "--taxonomy",
            help="Taxonomy YAML/JSON (default: bundled, or SemEval's for SemEval data).",
        ),
    ] = None,
    text_column: TextCol = "text",
    id_column: IdCol = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    unit: Annotated[
        str, typer.Option(help="auto, passage or document: what one training text is.")
    ] = "auto",
    name: Annotated[str | None, typer.Option(help="Model name for the card.")] = None,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base",
            help="Improve this model: retrain on its own training data plus the annotations in DATA ('default': the embedded model).",
        ),
    ] = None,
    base_data: Annotated[
        Path | None,
        typer.Option(
            "--base-data",
            help="With --base: the base model's training data, when it cannot be found.",
        ),
    ] = None,
    holdout: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=0.9,
            help="With --base: share of annotated documents kept out of training, for evaluate --compare.",
        ),
    ] = 0.3,
    repeat: Annotated[
        int, typer.Option(min=1, help="With --base: count each annotation this many times.")
    ] = 1,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an existing model folder.")
    ] = False,
) -> None:
    """Train a model on labelled data and save it to a directory (--base: improve a model with annotations)."""
    from .. import train as train_fn

    guard_new_model(output, overwrite)  # before training: never after an hour of work
    if base is not None:
        from ._validate import train_base

        train_base(
            None if str(base) == "default" else base,
            data,
            output,
            fmt.value,
            base_data,
            holdout,
            seed,
            repeat,
            name,
        )
        return

    model = train_fn(
        data,
        taxonomy=taxonomy,
        fmt=fmt.value,
        text_column=text_column,
        id_column=id_column,
        seed=seed,
        unit=unit,
        name=name,
        progress=False if is_quiet() else None,
    )
    model.save(output)
    tm = model.manifest.get("training_metrics", {})
    td = model.manifest["training_data"]
    rejected = f", {td['n_rejected']} rows rejected" if td.get("n_rejected") else ""
    out.print(
        f"saved model to [bold]{output}[/] ({td['n_texts']} texts{rejected}; "
        f"out-of-fold macro F1 fine {tm.get('oof_macro_f1_fine')}, coarse {tm.get('oof_macro_f1_coarse')})"
    )
