"""Commands of the validation loop: ``sample``, ``export``, ``validate``; and the helpers behind
``summarize --adjust``, ``train --base`` and ``evaluate --compare`` (registered on the app)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .._exceptions import InputError
from ._common import (
    EXIT_REJECTS,
    ModelOpt,
    OverwriteOpt,
    Unit,
    _model,
    app,
    guard_new_output,
    out,
)

_TABLE_EXT = (".jsonl", ".parquet")


class Strategy(StrEnum):
    validate = "validate"
    uncertain = "uncertain"
    diverse = "diverse"


class SampleFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    parquet = "parquet"
    labelstudio = "labelstudio"
    prodigy = "prodigy"
    doccano = "doccano"
    csv = "csv"


class AnnFormat(StrEnum):
    auto = "auto"
    labelstudio = "labelstudio"
    prodigy = "prodigy"
    doccano = "doccano"
    csv = "csv"


def _sample_format(path: Path, fmt: SampleFormat) -> str:
    if fmt != SampleFormat.auto:
        return fmt.value
    name = path.name.lower()
    for f, suffix in (
        ("labelstudio", ".labelstudio.json"),
        ("prodigy", ".prodigy.jsonl"),
        ("doccano", ".doccano.jsonl"),
    ):
        if name.endswith(suffix):
            return f
    if name.endswith(".csv"):
        return "csv"
    if name.endswith(".jsonl"):
        return "jsonl"
    if name.endswith(".parquet"):
        return "parquet"
    raise InputError(
        f"cannot tell the sample format of {path}: use .jsonl, .parquet, .csv, .labelstudio.json, "
        ".prodigy.jsonl or .doccano.jsonl, or --to"
    )


def _guard_tasks(path: Path, fmt: str, overwrite: bool, inputs: tuple[Path, ...]) -> None:
    """:func:`guard_new_output` for every file the sample or export writes: Label Studio tasks
    come with their labelling config ``NAME.labelstudio.xml``, which may be a user's edited copy."""
    from ..io._annotation_tools import _sibling

    guard_new_output(path, overwrite, inputs)
    if fmt == "labelstudio":
        guard_new_output(_sibling(path, ".labelstudio.xml"), overwrite, inputs)


def _write_sample(sample, path: Path, fmt: str, model, blind: bool) -> list[Path]:
    from ..io._annotation_tools import export_tasks

    if fmt in ("jsonl", "parquet"):
        import json
        import os

        tmp = path.with_name(path.name + ".partial")
        if fmt == "parquet":
            sample.to_parquet(tmp, index=False)
        else:
            with open(tmp, "w", encoding="utf-8") as fh:
                for rec in sample.to_dict("records"):
                    fh.write(json.dumps(rec, ensure_ascii=False, default=_jsonable) + "\n")
        os.replace(tmp, path)
        return [path]
    tax = model.taxonomy
    hints = {f: tax.frame(f).definition for f in tax.fine_labels}
    extra = [c for c in sample.columns if c not in _MODEL_COLS]
    version = f"narratives {model.manifest.get('name', 'model')}"
    return export_tasks(
        sample,
        path,
        fmt,
        tax.fine_labels,
        tax.none_label,
        predictions=not blind,
        model_version=version,
        extra_fields=extra,
        hints=hints,
    )


_MODEL_COLS = {
    "sample_id",
    "text",
    "model_frames",
    "model_stances",
    "model_stance",
    "scores",
    "evidence",
    "families",
    "countries",
    "lang",
    "n_passages",
    "seed",
    "rank",
}


def _jsonable(v):
    if hasattr(v, "tolist"):
        return v.tolist()
    if hasattr(v, "item"):
        return v.item()
    return str(v)


@app.command()
def sample(
    tags: Annotated[
        Path, typer.Argument(help="Output of narratives tag (.parquet, .jsonl or .csv).")
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output",
            "-o",
            help="Sample file: .jsonl/.parquet (a table), .csv (a spreadsheet to fill in), "
            ".labelstudio.json (+ .labelstudio.xml config), .prodigy.jsonl or .doccano.jsonl.",
        ),
    ],
    n: Annotated[int, typer.Option("--n", min=1, help="Units to draw.")] = 300,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    unit: Annotated[Unit, typer.Option(help="Sample passages or documents.")] = Unit.passage,
    strategy: Annotated[
        Strategy,
        typer.Option(
            help="validate: stratified random sample with inclusion probabilities (for estimates); "
            "uncertain: nearest the thresholds (active learning); diverse: covers the corpus (k-means++)."
        ),
    ] = Strategy.validate,
    model: ModelOpt = None,
    to: Annotated[
        SampleFormat, typer.Option("--to", help="Output format (default: from the file name).")
    ] = SampleFormat.auto,
    blind: Annotated[
        bool, typer.Option("--blind", help="Leave the model's labels out of the annotation tasks.")
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Draw a sample of a tagged corpus to annotate (with the model's labels, scores and evidence)."""
    from ..validation import draw_sample, load_units

    fmt = _sample_format(output, to)
    _guard_tasks(output, fmt, overwrite, (tags,))
    m = _model(model)
    units = load_units(tags, unit=unit.value, labels=m.taxonomy.fine_labels)
    if "text" not in units.frame.columns:
        raise InputError(
            f"{tags} has no text column (document-level tags): tag with --unit passage and sample with --unit document"
        )
    s = draw_sample(units, n, strategy.value, seed=seed, thresholds=m.thresholds)
    files = _write_sample(s, output, fmt, m, blind)
    t = Table(
        title=f"{strategy.value} sample: {len(s)} of {len(units.frame):,} {unit.value}s -> {output}"
    )
    if strategy == Strategy.validate:
        for c in ("stratum", "units", "drawn", "inclusion probability"):
            t.add_column(c, justify="left" if c == "stratum" else "right")
        g = s.groupby("stratum").agg(
            units=("stratum_size", "first"), drawn=("stratum_sample_size", "first")
        )
        for h, r in g.iterrows():
            t.add_row(
                escape(str(h)), f"{int(r.units):,}", str(int(r.drawn)), f"{r.drawn / r.units:.3f}"
            )
        out.print(t)
    out.print(f"sample {s['run'].iloc[0]} written to {', '.join(escape(str(f)) for f in files)}")


@app.command()
def export(
    sample_file: Annotated[
        Path,
        typer.Argument(
            metavar="SAMPLE", help="A sample written by narratives sample (.jsonl or .parquet)."
        ),
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Tasks file (format from the name, or --to).")
    ],
    to: Annotated[
        SampleFormat, typer.Option("--to", help="labelstudio, prodigy, doccano or csv.")
    ] = SampleFormat.auto,
    model: ModelOpt = None,
    blind: Annotated[
        bool, typer.Option("--blind", help="Leave the model's labels out of the tasks.")
    ] = False,
    overwrite: OverwriteOpt = False,
) -> None:
    """Export a sample to an annotation tool's file format."""
    import pandas as pd

    fmt = _sample_format(output, to)
    if fmt in ("jsonl", "parquet"):
        raise InputError(
            "export writes annotation tasks: use --to labelstudio, prodigy, doccano or csv"
        )
    _guard_tasks(output, fmt, overwrite, (sample_file,))
    if not sample_file.is_file():
        raise InputError(f"sample not found: {sample_file}")
    if sample_file.suffix.lower() not in (".jsonl", ".parquet"):
        raise InputError(
            f"{sample_file} is not a sample: export takes the .jsonl or .parquet file that "
            "narratives sample wrote (annotation tools' files are read back by validate and train)"
        )
    try:
        s = (
            pd.read_parquet(sample_file)
            if sample_file.suffix.lower() == ".parquet"
            else pd.read_json(sample_file, lines=True, dtype=False)
        )
    except ValueError as exc:
        raise InputError(f"cannot read {sample_file}: {str(exc).splitlines()[0]}") from None
    files = _write_sample(s, output, fmt, _model(model), blind)
    out.print(f"{len(s)} tasks written to {', '.join(escape(str(f)) for f in files)}")


@app.command()
def validate(
    tags: Annotated[Path, typer.Argument(help="The tag output the sample was drawn from.")],
    annotations: Annotated[
        Path,
        typer.Argument(
            help="Annotated sample: Label Studio JSON export, Prodigy db-out JSONL, doccano JSONL or the filled-in CSV."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Report folder: validation.json, report.md, report.html."
        ),
    ],
    fmt: Annotated[
        AnnFormat,
        typer.Option("--format", "-f", help="Annotation format (default: from the file)."),
    ] = AnnFormat.auto,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Also by group: comma-separated columns, date:day/week/month/quarter/year."
        ),
    ] = None,
    level: Annotated[float, typer.Option(min=0.5, max=0.999, help="Interval level.")] = 0.9,
    min_group: Annotated[
        int,
        typer.Option(
            min=2,
            help="Annotated units a group needs for its own estimate (else pooled error rates).",
        ),
    ] = 10,
    model: ModelOpt = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace an earlier report in the folder.")
    ] = False,
) -> None:
    """Precision and recall of the model on your corpus and corrected prevalence, with intervals."""
    from ..validation._report import REPORT_FILE, check_report_dir, write_validation_report
    from ..validation._validate import validate as validate_fn

    check_report_dir(output)
    if (output / REPORT_FILE).is_file() and not overwrite:
        raise InputError(
            f"{output} holds an earlier validation report: choose another folder, or pass "
            "--overwrite to replace it"
        )
    m = _model(model)
    tax = m.taxonomy
    res = validate_fn(
        tags,
        annotations,
        m.thresholds,
        frames=tax.fine_labels,
        fmt=fmt.value,
        by=by,
        level=level,
        min_group=min_group,
        none=tax.none_label,
    )
    paths = write_validation_report(res, output)
    print_adjusted(res)
    s = res["summary"]
    out.print(
        f"{s['annotated']} annotations used, {s['rejected']} rejected; report written to {escape(str(paths['html']))} "
        f"(also {paths['markdown'].name}, {paths['json'].name})"
    )
    if res["rejects"]:
        for r in res["rejects"][:5]:
            out.print(
                f"  rejected {r['id']} (row {r['row']}): {r['reason']}",
                markup=False,
                highlight=False,
            )
        raise typer.Exit(EXIT_REJECTS)


def print_adjusted(res) -> None:
    """The corrected prevalence and error tables of a validation result, as rich tables."""
    from ..validation._report import error_table, prevalence_table

    s = res["summary"]
    lvl = f"{round(100 * s['level'])}%"
    tables = [
        (
            f"model error on this corpus ({s['annotated']} annotated {s['unit']}s, {lvl} intervals)",
            error_table(res),
        ),
        (
            f"share of {s['unit']}s with each frame: raw and corrected ({lvl} intervals)",
            prevalence_table(res, "any"),
        ),
        (f"share of {s['unit']}s promoting each frame", prevalence_table(res, "promotes")),
    ]
    if s["by"]:
        tables.append(
            (
                f"corrected prevalence by {', '.join(s['by'])}",
                prevalence_table(res, "any", grouped=True),
            )
        )
    if not out.is_terminal:  # pipes and files get Markdown tables (paste-able, never wrapped)
        from ..validation._report import _md

        for title, df in tables:
            out.print(f"{title}\n\n" + "\n".join(_md(df)) + "\n", markup=False, highlight=False)
        return
    for title, df in tables:
        t = Table(title=title)
        for c in df.columns:
            t.add_column(str(c), justify="left" if c in ("frame", "method", *s["by"]) else "right")
        for rec in df.itertuples(index=False, name=None):
            t.add_row(*[escape(str(v)) for v in rec])
        out.print(t)


def adjust_summary(report: Path) -> None:
    """``narratives summarize --adjust REPORT_DIR``."""
    from ..validation._report import read_report

    print_adjusted(read_report(report))


def train_base(
    base_dir: Path | None,
    data: Path,
    output: Path,
    fmt: str,
    base_data: Path | None,
    holdout: float,
    seed: int,
    repeat: int,
    name: str | None,
) -> None:
    """``narratives train --base MODEL_DIR ANNOTATIONS -o NEW_DIR`` (``train`` has checked
    ``output`` with ``guard_new_model``)."""
    from ..validation._retrain import HELDOUT_FILE, train_with_annotations

    base = _model(base_dir)
    model, held = train_with_annotations(
        base,
        data,
        fmt=fmt if fmt != "auto" else "auto",
        base_data=base_data,
        holdout=holdout,
        seed=seed,
        repeat=repeat,
        name=name,
    )
    model.save(output)
    if len(held):
        import json

        with open(output / HELDOUT_FILE, "w", encoding="utf-8") as fh:
            for rec in held.to_dict("records"):
                fh.write(json.dumps(rec, ensure_ascii=False, default=_jsonable) + "\n")
    a = model.manifest["training_data"]["annotations"]
    out.print(
        f"saved model to [bold]{escape(str(output))}[/]: {a['base_n']} base texts + {a['n_used']} annotations"
        f" (x{a['repeat']}); {a['n_heldout']} held out in {escape(str(output / HELDOUT_FILE))}"
    )
    if len(held):
        out.print(
            f"compare: narratives evaluate {escape(str(output / HELDOUT_FILE))} --model {escape(str(output))} "
            f"--compare {escape(str(base_dir or 'default'))} -o REPORT_DIR"
        )


def compare_models(
    res_new, res_old, name_new: str, name_old: str, n_boot: int, seed: int, report_dir=None
):
    """Paired bootstrap of the new model minus the old on the same documents."""
    from ..evaluation import level_stats, paired_bootstrap

    rows_n, rows_o = res_new["oof_predictions"], res_old["oof_predictions"]
    none = res_new["data"]["none_label"]
    labels = sorted(
        {x for r in rows_n + rows_o for k in ("gold_fine", "pred_fine") for x in r[k]} - {none}
    )
    clabels = sorted(
        {x for r in rows_n + rows_o for k in ("gold_coarse", "pred_coarse") for x in r[k]} - {none}
    )

    def stats(rows):
        return {
            "fine": level_stats(
                [r["gold_fine"] for r in rows], [r["pred_fine"] for r in rows], labels, none
            ),
            "coarse": level_stats(
                [r["gold_coarse"] for r in rows], [r["pred_coarse"] for r in rows], clabels, none
            ),
        }

    diff = paired_bootstrap(stats(rows_n), stats(rows_o), n_boot, seed)
    title = (
        f"{name_new} minus {name_old} on the same {len(rows_n)} documents (paired bootstrap, 95%)"
    )
    cols = ("metric", name_old, name_new, "difference", "p")
    rows = []
    for metric, d in diff.items():
        if not isinstance(d, dict) or "diff" not in d:
            continue
        old_v, new_v = res_old.get(metric), res_new.get(metric)
        rows.append(
            (
                metric,
                "" if old_v is None else f"{old_v:.3f}",
                "" if new_v is None else f"{new_v:.3f}",
                f"{d['diff']:+.3f} [{d.get('low', float('nan')):+.3f}, {d.get('high', float('nan')):+.3f}]",
                f"{d.get('p_value', float('nan')):.3f}",
            )
        )
    if not out.is_terminal:  # pipes and files get a Markdown table, like evaluate's own
        md = [f"| {' | '.join(cols)} |", "|" + "---|" * len(cols)]
        md += [f"| {' | '.join(r)} |" for r in rows]
        out.print(f"{title}\n\n" + "\n".join(md) + "\n", markup=False, highlight=False)
    else:
        t = Table(title=title)
        for c in cols:
            t.add_column(c, justify="left" if c == "metric" else "right")
        for r in rows:
            t.add_row(*r)
        out.print(t)
    if report_dir is not None:
        import json

        doc = {
            "new": name_new,
            "old": name_old,
            "n_documents": len(rows_n),
            "metrics": {
                m: {"old": res_old.get(m), "new": res_new.get(m)}
                for m in diff
                if isinstance(diff[m], dict)
            },
            "paired_bootstrap_new_minus_old": diff,
        }
        (Path(report_dir) / "comparison.json").write_text(
            json.dumps(doc, indent=2, default=_jsonable) + "\n", encoding="utf-8"
        )
    return diff
