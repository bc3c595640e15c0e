"""``narratives tag`` and ``narratives summarize``: tagging corpora and summarising the output."""

from __future__ import annotations

import contextlib
import gc
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from .._exceptions import InputError
from .._internal.atomic import write_atomically, write_text_atomically
from ._common import (
    EXIT_REJECTS,
    Engine,
    FormatOpt,
    IdCol,
    InFormat,
    ModelOpt,
    OverwriteOpt,
    TextCol,
    Unit,
    _model,
    err,
    guard_new_output,
    is_quiet,
    out,
)


@contextlib.contextmanager
def _frozen_heap():
    """Everything alive before tagging (the loaded model, the imported modules) outside the
    garbage collector's reach while tagging: its full passes walked all of it again and again,
    about a twentieth of the time of a run. Forked workers inherit it so."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
            "--output",
            "-o",
            help="Output file: .jsonl, .csv or .parquet (SemEval: any name). An existing file is "
            "refused unless --overwrite.",
        ),
    ],
    overwrite: Annotated[
        bool,
        typer.Option(
            "--overwrite",
            help="Replace an existing output file (also with --resume); it is replaced only when "
            "the run finishes.",
        ),
    ] = False,
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
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            help="Treat every document as this language (ISO 639-1 code, one of the model's languages: see `narratives info`) instead of detecting it per document.",
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
    follow_links: Annotated[
        bool,
        typer.Option(
            "--follow-links",
            help="In a folder of .txt files, read symbolic links to files outside the folder (by default they are rejected).",
        ),
    ] = False,
    progress_every: Annotated[
        float,
        typer.Option(
            "--progress-every",
            min=0.0,
            help="Seconds between progress lines when stderr is not a terminal.",
        ),
    ] = 10.0,
) -> None:
    """Tag a corpus with narrative frames and stance: streaming, parallel, resumable.

    INPUT '-' (or a pipe such as /dev/stdin) reads standard input (JSONL unless --format);
    --output '-' writes JSONL to standard output (the summary and any rejects go to stderr)."""
    from ..engine import TagOptions, check_run_paths, checkpoint_dir, tag_file
    from ..io import check_output_path, output_format

    with _streams(input, output, fmt, resume) as (input, output, to_stdout):
        check_output_path(output)  # fail before any work: missing, unwritable or unknown output
        if fmt != InFormat.semeval:
            output_format(output)
        # nothing the run writes or removes is the input, or a file it did not create
        check_run_paths(input, output, overwrite=overwrite)
        m = _model(model)
        try:
            _stop_on_sigterm()  # `kill PID` stops like Ctrl-C: workers stopped, checkpoint kept
            options = TagOptions(
                unit=unit.value,
                fmt=fmt.value,
                text_column=text_column,
                id_column=id_column,
                chunk_rows=chunk_rows,
                workers=workers,
                engine=engine.value,
                scheduler=scheduler,
                resume=resume,
                restart=restart,
                dedup=dedup,
                max_chars=max_chars,
                follow_links=follow_links,
                lang=lang,
                overwrite=overwrite,
            )
            progress = None if is_quiet() else _progress(progress_every)
            with _frozen_heap():
                summary = tag_file(input, output, m, options, progress=progress)
        except KeyboardInterrupt:
            if checkpoint_dir(output).is_dir() and not to_stdout:
                out.print(
                    f"checkpoint kept in {escape(str(checkpoint_dir(output)))}: run the same command with --resume to continue"
                )
            raise
        rows = "document" if fmt == InFormat.semeval else unit.value
        if not to_stdout:
            _print_summary(summary, unit=rows)  # nothing with --quiet (``out`` is quiet)
            if is_quiet() and summary.rejected:
                err.print(
                    f"{summary.rejected} input rows rejected; rows and reasons in {escape(str(summary.rejects))}",
                    highlight=False,
                )
        else:
            rejects, summary.output, summary.rejects = summary.rejects, "-", None
            if not is_quiet():
                _print_summary(summary, err, unit=rows)
            _copy_to(output, sys.stdout.buffer)
            if rejects:  # the whole rejects file, on stderr: no row is lost
                err.print("rejected rows (JSON lines):", highlight=False)
                _copy_to(Path(rejects), sys.stderr.buffer)
        if summary.rejected:
            raise typer.Exit(EXIT_REJECTS)


_SPOOL_SUFFIX = {
    "auto": ".jsonl",
    "jsonl": ".jsonl",
    "csv": ".csv",
    "parquet": ".parquet",
    "txt": ".txt",
}


@contextlib.contextmanager
def _streams(input: Path, output: Path, fmt: InFormat, resume: bool):
    """Standard input and output as files: INPUT '-' or a pipe is first copied to a temporary
    file (the engine reads its input more than once: format, row count, chunks); OUTPUT '-' is
    written to a temporary folder and copied to stdout at the end. Both are removed after."""
    made: list[Path] = []
    try:
        is_stream = str(input) in ("-", "/dev/stdin") or (
            input.exists() and not input.is_file() and not input.is_dir()
        )
        if is_stream:
            if fmt.value not in _SPOOL_SUFFIX:
                raise InputError(
                    f"standard input can be {', '.join(list(_SPOOL_SUFFIX)[1:])} (--format), not {fmt.value}"
                )
            fd, name = tempfile.mkstemp(prefix="narratives-stdin-", suffix=_SPOOL_SUFFIX[fmt.value])
            made.append(Path(name))
            with open(fd, "wb") as dst:
                if str(input) == "-":
                    shutil.copyfileobj(sys.stdin.buffer, dst, 1 << 20)
                else:
                    with open(input, "rb") as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
            input = Path(name)
        to_stdout = str(output) == "-"
        if to_stdout:
            if resume:
                raise InputError("--resume needs an output file: '-' (stdout) keeps no checkpoint")
            if fmt == InFormat.semeval:
                raise InputError("SemEval predictions need an output file, not '-'")
            folder = Path(tempfile.mkdtemp(prefix="narratives-stdout-"))
            made.append(folder)
            output = folder / "stdout.jsonl"
        yield input, output, to_stdout
    finally:
        for p in made:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)


def _copy_to(path: Path, stream) -> None:
    with open(path, "rb") as fh:
        shutil.copyfileobj(fh, stream, 1 << 20)
    stream.flush()


def _stop_on_sigterm() -> None:
    import os
    import signal

    main_pid = os.getpid()

    def stop(signum, frame):
        if os.getpid() != main_pid:
            # A worker forked before its initializer reset this handler: die as SIGTERM would,
            # without a traceback on the user's terminal.
            os._exit(128 + signum)
        raise KeyboardInterrupt

    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, stop)


def _progress(every: float):
    from ..engine import LineProgress, RichProgress

    return RichProgress(err) if err.is_terminal else LineProgress(sys.stderr, interval=every)


def _print_summary(s, out=out, unit: str = "passage") -> None:
    rows = "passage" if unit == "passage" else "document"
    rows_word = f"{rows}{'' if s.output_rows == 1 else 's'}"
    t = Table(
        title=f"{s.documents} document{'' if s.documents == 1 else 's'} tagged into "
        f"{s.output_rows:,} {rows} row{'' if s.output_rows == 1 else 's'} -> {s.output}",
        caption=f"{rows_word} with each frame; a {rows} can have several frames; "
        f"none: {rows}s without a frame",
        caption_justify="left",
        show_header=True,
    )
    t.add_column("frame")
    t.add_column(f"{rows}s", justify="right")
    for f, n in sorted(s.frame_counts.items(), key=lambda kv: -kv[1]):
        t.add_row(f, str(n))
    out.print(t)
    out.print(
        f"input rows {s.input_rows}, tagged {s.documents}, rejected {s.rejected}, duplicate ids {s.duplicate_ids}, "
        f"truncated {s.truncated}, unsupported language {s.unsupported_language}, output rows {s.output_rows}, "
        f"{s.seconds:.1f}s ({s.rows_per_second:.0f} rows/s, {s.workers} worker{'s' if s.workers > 1 else ''}, {s.engine} engine)"
    )
    if s.replaced_ids:
        out.print(
            f"ids replaced by row numbers: {s.replaced_ids} (missing, or not a string or number; "
            "the id is row-N)"
        )
    if s.duplicate_ids:
        out.print(
            f"repeated ids made unique: {s.duplicate_ids} (a repeated id gets #2, #3, ...; "
            "its input id is in the column id_input)",
            markup=False,
            highlight=False,
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
                    if str(r.get("source", ""))
                    .lower()
                    .removesuffix(".gz")
                    .removesuffix(".zst")
                    .endswith((".jsonl", ".ndjson", ".json"))
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
            help="Count documents (with the frames tag decided for each document: the length-aware "
            "document rule, not 'any passage has it') or passages."
        ),
    ] = Unit.document,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Also write the table to FILE.csv or FILE.md (an existing file is refused unless --overwrite).",
        ),
    ] = None,
    overwrite: OverwriteOpt = False,
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
    if output is not None:
        if output.suffix.lower() not in (".csv", ".md"):
            raise InputError(f"cannot tell the table format of {output}: use .csv or .md")
        guard_new_output(output, overwrite, (tagged,))  # before reading the tags
    table = summarize_fn(tagged, by=by, unit=unit.value, stance=stance)
    if output is not None:
        if output.suffix.lower() == ".csv":
            from .._internal.csvsafe import neutralise

            safe = table.rename(columns=neutralise)
            for c in safe.columns:
                if safe[c].dtype.kind == "O":
                    safe[c] = safe[c].map(neutralise)
            # group values come from the input: no formulas
            write_atomically(output, lambda p: safe.to_csv(p, index=False))
        else:
            write_text_atomically(output, summary_to_markdown(table))
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
    for line in summary_legend(unit.value, by, shares):
        out.print(line, highlight=False)
    if output is not None:
        out.print(f"table written to {escape(str(output))}")


def summary_legend(unit: str, by: str | None, shares: list[str]) -> list[str]:
    """What the columns of a ``summarize`` table mean, one line each, under the table."""
    units = f"{unit}s"
    group = " in the group" if by else ""
    stances = [c for c in shares if c != "all"]
    lines = [f"all: share of the {units}{group} with the label, whatever its stance"]
    if stances and unit == "document":
        lines.append(
            f"{' / '.join(stances)}: share of the {units}{group} with the label in a passage of "
            f"that stance; a document whose passages differ counts under each of their stances, "
            f"so these can add up to more than all"
        )
    elif stances:
        lines.append(
            f"{' / '.join(stances)}: share of the {units}{group} with the label at that stance "
            f"(a passage has one stance per label)"
        )
    lines.append(
        f"n: {units}{group} with the label; total: {units}{group} counted, the denominator of "
        f"the shares"
    )
    if by:
        lines.append(f"(no label): a group in which no {unit} has any label, kept for its total")
    return lines
