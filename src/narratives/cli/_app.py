"""The ``narratives`` command line: each command parses options and calls one library function."""

from __future__ import annotations

import json
import logging
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .._exceptions import InputError, NarrativesError

app = typer.Typer(
    name="narratives",
    help="Tag text with disinformation narrative frames; train and evaluate your own models.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

#: Exit codes (documented in README).
EXIT_OK, EXIT_REJECTS, EXIT_INPUT, EXIT_MODEL, EXIT_INTERNAL = 0, 1, 2, 3, 70


class Unit(StrEnum):
    passage = "passage"
    document = "document"


class Engine(StrEnum):
    local = "local"
    dask = "dask"


class InFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"
    txt = "txt"
    semeval = "semeval"
    labelstudio = "labelstudio"
    prodigy = "prodigy"
    doccano = "doccano"


ModelOpt = Annotated[
    Path | None,
    typer.Option("--model", "-m", help="Model directory (default: the embedded default model)."),
]
FormatOpt = Annotated[
    InFormat, typer.Option("--format", "-f", help="Input format; auto guesses from the path.")
]
TextCol = Annotated[str, typer.Option("--text-column", help="Column holding the text.")]
IdCol = Annotated[
    str | None,
    typer.Option(
        "--id-column", help="Column holding the id (default: 'id' if present, else the row number)."
    ),
]


def _model(path: Path | None):
    from .. import load

    return load(path)


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@app.callback()
def _main(
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Log progress to stderr.")
    ] = False,
) -> None:
    _setup_logging(verbose)


@app.command()
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
) -> None:
    """Train a model on labelled data and save it to a directory (--base: improve a model with annotations)."""
    from .. import train as train_fn
    from ..persistence import check_model_path

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

    check_model_path(output)  # before training: never after an hour of work
    model = train_fn(
        data,
        taxonomy=taxonomy,
        fmt=fmt.value,
        text_column=text_column,
        id_column=id_column,
        seed=seed,
        unit=unit,
        name=name,
    )
    model.save(output)
    tm = model.manifest.get("training_metrics", {})
    out.print(f"saved model to [bold]{output}[/] ({model.manifest['training_data']['n_texts']} texts; "
              f"out-of-fold macro F1 fine {tm.get('oof_macro_f1_fine')}, coarse {tm.get('oof_macro_f1_coarse')})")  # fmt: skip


@app.command()
def tag(
    input: Annotated[
        Path,
        typer.Argument(
            help="JSONL, CSV, Parquet, a .txt file, a folder of .txt files, or a SemEval folder."
        ),
    ],
    output: Annotated[
        Path,
        typer.Option(
            "--output", "-o", help="Output file: .jsonl, .csv or .parquet (SemEval: any name)."
        ),
    ],
    model: ModelOpt = None,
    unit: Annotated[Unit, typer.Option(help="One row per passage or per document.")] = Unit.passage,
    fmt: FormatOpt = InFormat.auto,
    text_column: TextCol = "text",
    id_column: IdCol = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Worker processes, each loading the model once (dask engine: LocalCluster workers). The output is the same for any number, in input order.",
        ),
    ] = 1,
    chunk_rows: Annotated[
        int,
        typer.Option(
            min=1, help="Rows per chunk (the unit of work, of checkpointing and of --resume)."
        ),
    ] = 500,
    max_chars: Annotated[
        int | None,
        typer.Option(
            "--max-chars",
            min=1,
            help="Process at most this many characters of each document; longer documents are tagged up to the limit and flagged 'truncated' (default: the model's limit, 2,000,000).",
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume",
            help="Continue an interrupted run from its checkpoint OUTPUT.partial/ (finished chunks are not redone).",
        ),
    ] = False,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart", help="Discard the checkpoint of an interrupted run and start over."
        ),
    ] = False,
    dedup: Annotated[
        bool,
        typer.Option(
            "--dedup",
            help="Tag each exact or near-duplicate passage once and copy its labels to the copies.",
        ),
    ] = False,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="local (worker processes) or dask (a dask.distributed cluster; pip install 'narratives\\[dask]').",
        ),
    ] = Engine.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Dask scheduler address (tcp://host:8786); default: a LocalCluster with --workers workers.",
        ),
    ] = None,
    progress_every: Annotated[
        float,
        typer.Option(
            "--progress-every",
            min=0.0,
            help="Seconds between progress lines when stderr is not a terminal.",
        ),
    ] = 10.0,
) -> None:
    """Tag a corpus with narrative frames and stance: streaming, parallel, resumable."""
    from ..engine import checkpoint_dir, tag_file
    from ..io import check_output_path, output_format

    check_output_path(output)  # fail before any work: missing, unwritable or unknown output
    if fmt != InFormat.semeval:
        output_format(output)
    if input.exists() and output.exists() and input.resolve() == output.resolve():
        raise InputError(f"the output {output} is the input: choose another output file")
    m = _model(model)
    try:
        _stop_on_sigterm()  # `kill PID` stops like Ctrl-C: workers stopped, checkpoint kept
        summary = tag_file(
            input, output, m, unit=unit.value, fmt=fmt.value, text_column=text_column, id_column=id_column,
            chunk_rows=chunk_rows, workers=workers, engine=engine.value, scheduler=scheduler, resume=resume,
            restart=restart, dedup=dedup, max_chars=max_chars, progress=_progress(progress_every),
        )  # fmt: skip
    except KeyboardInterrupt:
        if checkpoint_dir(output).is_dir():
            out.print(
                f"checkpoint kept in {escape(str(checkpoint_dir(output)))}: run the same command with --resume to continue"
            )
        raise
    _print_summary(summary)
    if summary.rejected:
        raise typer.Exit(EXIT_REJECTS)


def _stop_on_sigterm() -> None:
    import signal

    def stop(signum, frame):
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, stop)


def _progress(every: float):
    from ..engine import LineProgress, RichProgress

    return RichProgress(err) if err.is_terminal else LineProgress(sys.stderr, interval=every)


def _print_summary(s) -> None:
    t = Table(title=f"tagged {s.documents} documents -> {s.output}", show_header=True)
    t.add_column("frame")
    t.add_column("rows", justify="right")
    for f, n in sorted(s.frame_counts.items(), key=lambda kv: -kv[1]):
        t.add_row(f, str(n))
    out.print(t)
    out.print(
        f"input rows {s.input_rows}, tagged {s.documents}, rejected {s.rejected}, duplicate ids {s.duplicate_ids}, "
        f"truncated {s.truncated}, non-English {s.non_english}, output rows {s.output_rows}, "
        f"{s.seconds:.1f}s ({s.rows_per_second:.0f} rows/s, {s.workers} worker{'s' if s.workers > 1 else ''}, {s.engine} engine)"
    )
    if s.resumed_chunks:
        out.print(
            f"resumed: {s.resumed_rows} input rows ({s.resumed_chunks} chunks) came from the checkpoint"
        )
    if s.dedup_exact or s.dedup_near or s.dedup_documents:
        out.print(
            f"dedup: {s.dedup_skipped} passages tagged once and copied ({s.dedup_exact} exact, {s.dedup_near} near duplicates), "
            f"{s.dedup_documents} repeated documents segmented once"
        )
    if s.rejects:
        out.print(f"rejected rows and reasons: {s.rejects}")
        for line in _first_rejects(s.rejects):
            out.print(f"  {line}", markup=False, highlight=False)


def _first_rejects(path: str, n: int = 5) -> list[str]:
    """The first ``n`` rejects as 'line 7: reason' (JSONL lines, table rows or files)."""
    lines = []
    try:
        with open(path, encoding="utf-8") as fh:
            for k, raw in enumerate(fh):
                if k == n:
                    lines.append("...")
                    break
                r = json.loads(raw)
                where = (
                    "line"
                    if str(r.get("source", "")).lower().endswith((".jsonl", ".ndjson", ".json"))
                    else "row"
                )
                if isinstance(r.get("row"), int):
                    where = f"{where} {r['row']}" + (
                        f" (id {r['id']})" if r.get("id") is not None else ""
                    )
                else:
                    where = f"file {r.get('row')}"
                lines.append(f"{where}: {r['reason']}")
    except (OSError, ValueError, KeyError):
        return lines
    return lines


@app.command()
def summarize(
    tagged: Annotated[
        Path | None,
        typer.Argument(
            help="Output of narratives tag (.parquet, .jsonl or .csv; passage or document rows)."
        ),
    ] = None,
    adjust: Annotated[
        Path | None,
        typer.Option(
            "--adjust",
            help="Print the corrected prevalence tables of a narratives validate report folder.",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Comma-separated columns to group by: outlet, countries (exploded), date:month (day/week/month/quarter/year); frames or families alone: one row per label.",
        ),
    ] = None,
    unit: Annotated[
        Unit,
        typer.Option(
            help="Count documents (a document has a frame when one of its passages has it) or passages."
        ),
    ] = Unit.document,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Also write the table to FILE.csv or FILE.md."),
    ] = None,
    stance: Annotated[
        bool, typer.Option("--stance/--no-stance", help="Add a share column per stance.")
    ] = True,
) -> None:
    """Prevalence tables: the share of documents (or passages) with each frame, overall and per stance, by group."""
    from ..engine import summarize as summarize_fn
    from ..engine import summary_to_markdown

    if adjust is not None:
        from ._validate import adjust_summary

        adjust_summary(adjust)
        return
    if tagged is None:
        raise InputError("summarize needs a tag output (TAGGED) or --adjust REPORT_DIR")
    if output is not None and output.suffix.lower() not in (".csv", ".md"):
        raise InputError(f"cannot tell the table format of {output}: use .csv or .md")
    table = summarize_fn(tagged, by=by, unit=unit.value, stance=stance)
    if output is not None:
        if output.suffix.lower() == ".csv":
            table.to_csv(output, index=False)
        else:
            output.write_text(summary_to_markdown(table), encoding="utf-8")
    t = Table(title=f"share of {unit.value}s with each label" + (f", by {by}" if by else ""))
    shares = [c for c in table.columns if c not in ("n", "total") and table[c].dtype.kind == "f"]
    for c in table.columns:
        t.add_column(str(c), justify="right" if c in shares or c in ("n", "total") else "left")
    for rec in table.itertuples(index=False, name=None):
        t.add_row(
            *[
                f"{100 * v:.1f}%" if c in shares else escape(str(v))
                for c, v in zip(table.columns, rec, strict=True)
            ]
        )
    out.print(t)
    if output is not None:
        out.print(f"table written to {escape(str(output))}")


@app.command()
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
            help="Also score this model (e.g. the base of train --base; 'default': the embedded one) and compare, paired, on the same data.",
        ),
    ] = None,
) -> None:
    """Score a model on labelled data, or cross-validate it against baselines, and write a report."""
    from .. import evaluate as evaluate_fn
    from ..evaluation import comparison_markdown, comparison_rows, write_report

    names = (
        []
        if baselines.strip().lower() in ("", "none")
        else [b.strip() for b in baselines.split(",") if b.strip()]
    )
    res = evaluate_fn(
        None if cv else _model(model), data, cv=cv, fmt=fmt.value, seed=seed, baselines=names, group_column=group_column,
        taxonomy=taxonomy, n_bootstrap=bootstrap, threshold_objective="precision" if target_precision else tune,
        target_precision=target_precision, text_column=text_column, id_column=id_column,
    )  # fmt: skip
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
        for col in ("system", "F1-samples fine", "F1-samples coarse", "macro F1 fine", "macro F1 coarse", "micro F1 fine",
                    "Δ F1-samples fine", "train s/fold", "docs/s"):  # fmt: skip
            t.add_column(col, justify="left" if col == "system" else "right")

        def cell(v, ci):
            return (
                "n/a"
                if v is None
                else f"{v:.3f}" + (f" [{ci['low']:.3f}, {ci['high']:.3f}]" if ci else "")
            )

        for r in comparison_rows(res):
            delta = (
                ""
                if r["delta_f1_samples_fine"] is None
                else f"{r['delta_f1_samples_fine']:+.3f} (p={r['p_value']:.3f})"
            )
            t.add_row(r["title"], *[cell(r[k], r[f"{k}_ci"]) for k in ("f1_samples_fine", "f1_samples_coarse", "f1_macro_fine", "f1_macro_coarse", "f1_micro_fine")],
                      delta, "" if r["fit_seconds_mean"] is None else f"{r['fit_seconds_mean']:.1f}",
                      "" if r["predict_docs_per_second"] is None else f"{r['predict_docs_per_second']:.0f}")  # fmt: skip
        out.print(t)
    g = res["threshold_tuning"]["summary"]["gain"]
    out.print(f"per-label thresholds ({res['threshold_tuning']['objective']}) vs 0.5: macro F1 {g['f1_macro']:+.3f}, "
              f"F1-samples {g['f1_samples']:+.3f} ({res['threshold_tuning']['summary']['gain_basis'].replace('_', '-')})")  # fmt: skip
    if "stance_accuracy" in res:
        out.print(f"stance accuracy (framed documents): {res['stance_accuracy']:.3f}")
    if compare is not None and not cv:
        from ._validate import compare_models

        other = _model(None if str(compare) == "default" else compare)
        res_old = evaluate_fn(other, data, fmt=fmt.value, seed=seed, baselines=[], n_bootstrap=bootstrap,
                              text_column=text_column, id_column=id_column)  # fmt: skip
        compare_models(
            res, res_old, "new (--model)", f"compared ({compare})", max(bootstrap, 1), seed
        )
    out.print(
        f"report written to {paths['html']} (also {paths['markdown'].name}, {paths['metrics'].name}, oof_predictions.jsonl)"
    )


@app.command()
def explain(
    text: Annotated[str, typer.Argument(help="The text, or the path of a UTF-8 text file.")],
    model: ModelOpt = None,
    top_k: Annotated[int, typer.Option(help="Features shown per label.")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the evidence behind the labels of one text."""
    p = Path(text)
    if len(text) < 4096 and p.is_file():
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{p} is not valid UTF-8") from None
    ex = _model(model).explain(text, top_k=top_k)
    if as_json:
        out.print_json(json.dumps(ex, default=str))
        return
    out.print(
        f"frames: [bold]{', '.join(ex['frames'])}[/]   families: {', '.join(ex['families'])}   stance: [bold]{ex['stance']}[/]"
    )
    for lab in ex["labels"]:
        mark = "[green]✓[/]" if lab["predicted"] else "[dim]·[/]"
        out.print(
            f"\n{mark} [bold]{lab['label']}[/] ({lab['family']}) score {lab['score']:.2f} / threshold {lab['threshold']:.2f}"
        )
        for s in lab["sentences"][:2]:
            out.print(f"   sentence {s['score']:.2f}: {s['text'][:200]}")
        if lab["features"]:
            out.print("   features: " + ", ".join(f"{n} (+{w:.2f})" for n, w in lab["features"]))
        if lab["cues"]:
            out.print("   cues: " + ", ".join(repr(c["phrase"]) for c in lab["cues"][:8]))
    if ex["stance_cues"]:
        out.print("\nstance cues: " + ", ".join(repr(c["phrase"]) for c in ex["stance_cues"][:8]))


@app.command()
def info(
    model: ModelOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Print the model card."""
    m = _model(model)
    if as_json:
        out.print_json(json.dumps(m.info(), default=str))
    else:
        out.print(m.card(), markup=False)


def _click_exception_types() -> tuple[type[BaseException], ...]:
    """Click's exception base class, from typer's vendored copy and/or click itself."""
    import importlib

    found = []
    for mod in ("typer._click.exceptions", "click.exceptions"):
        try:
            found.append(importlib.import_module(mod).ClickException)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _usage_error_line(exc: BaseException) -> str:
    msg = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
    ctx = getattr(exc, "ctx", None)
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return f"{msg}{hint}"


def main(argv: list[str] | None = None) -> int:
    """Entry point: user errors print one line and exit with their code; bugs show a traceback.

    Exit codes: 0 ok, 1 ok with rejected rows, 2 usage or input error (including unreadable or
    unwritable files), 3 model error, 130 interrupted.
    """
    try:
        rv = app(args=argv, standalone_mode=False)
        if isinstance(rv, int):  # click returns typer.Exit codes in non-standalone mode
            if rv == 130:  # typer turns KeyboardInterrupt into Exit(130), silently
                err.print("interrupted", highlight=False)
            return rv
    except NarrativesError as exc:
        err.print(f"[red]error:[/] {escape(_one_line(exc))}", highlight=False)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except (KeyboardInterrupt, typer.Abort):
        err.print("interrupted", highlight=False)
        return 130
    except OSError as exc:  # the environment, not a bug: disk full, permission denied, ...
        where = f": {exc.filename}" if getattr(exc, "filename", None) else ""
        err.print(
            f"[red]error:[/] {escape(exc.strerror or type(exc).__name__)}{escape(where)}",
            highlight=False,
        )
        return EXIT_INPUT
    except Exception as exc:
        if isinstance(exc, _click_exception_types()):
            if getattr(exc, "exit_code", 1) == 0:
                return EXIT_OK
            if exc.format_message().strip():  # empty for "no arguments: help was shown"
                err.print(f"[red]error:[/] {escape(_usage_error_line(exc))}", highlight=False)
            return EXIT_INPUT
        raise
    return EXIT_OK


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
