"""Corpus-scale tagging: stream in, tag chunk by chunk (in parallel), checkpoint, assemble.

See :func:`tag_file`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from .._exceptions import InputError
from .._internal.schema import UNITS
from .._model import NarrativeModel
from ..io import (
    check_new_output,
    check_output_path,
    count_rows,
    detect_format,
    input_fingerprint,
    iter_chunks,
    output_format,
    rejects_path,
)
from ..io._writers import is_rejects_file
from ._checkpoint import Checkpoint, checkpoint_dir
from ._executors import make_executor
from ._progress import Progress
from ._work import ChunkOptions, ChunkResult, empty_columns

__all__ = ["ENGINES", "TagOptions", "TagSummary", "check_run_paths", "tag_file"]

log = logging.getLogger(__name__)

#: The "no narrative" label of a SemEval-2025 Task 10 taxonomy (``io.semeval_taxonomy``), what a
#: model must use for ``--format semeval`` output to be a predictions file the task scores.
SEMEVAL_NONE = "Other"
ENGINES = ("local", "dask")


@dataclass
class TagSummary:
    """What a tagging run did. ``input_rows == documents + rejected``.

    Counts cover the whole output, including chunks finished by an interrupted run that this run
    resumed (``resumed_rows`` of them); ``seconds`` and :attr:`rows_per_second` are this run's.
    """

    output: str
    rejects: str | None
    input_rows: int = 0
    documents: int = 0
    rejected: int = 0
    duplicate_ids: int = 0
    replaced_ids: int = 0
    passages: int = 0
    output_rows: int = 0
    truncated: int = 0
    unsupported_language: int = 0
    words: int = 0
    seconds: float = 0.0
    chunks: int = 0
    resumed_chunks: int = 0
    resumed_rows: int = 0
    dedup_documents: int = 0
    dedup_exact: int = 0
    dedup_near: int = 0
    workers: int = 1
    engine: str = "local"
    frame_counts: dict[str, int] = field(default_factory=dict)
    stance_counts: dict[str, int] = field(default_factory=dict)

    @property
    def rows_per_second(self) -> float:
        """Input rows finished per second by this run."""
        return (self.input_rows - self.resumed_rows) / self.seconds if self.seconds else 0.0

    @property
    def dedup_skipped(self) -> int:
        """Passages whose labels were copied from an exact or near duplicate."""
        return self.dedup_exact + self.dedup_near

    def to_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "rows_per_second": round(self.rows_per_second, 1),
            "dedup_skipped": self.dedup_skipped,
        }


def _same_file(a: Path, b: Path) -> bool:
    """Same file or folder, through symlinks and hard links (``os.path.samefile``)."""
    try:
        return a.exists() and b.exists() and a.samefile(b)
    except OSError:
        return False


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a symlink loop: not inside anything we write
        return False


#: What a checkpoint folder may hold (see :mod:`narratives.engine._checkpoint`).
_CHECKPOINT_NAMES = ("lock", "state.sqlite", "parts", "dedup.sqlite")


def check_run_paths(
    input_path: str | Path, output_path: str | Path, *, overwrite: bool = False
) -> None:
    """Refuse, before any work, a run that would overwrite or remove a file it did not create.

    A run writes the output, ``OUT.rejects.jsonl`` and the checkpoint folder ``OUT.partial/``
    (removed at the end), and removes a stale rejects file of an earlier run. None of them may be
    the input, through a symlink or a hard link, and the input may not lie inside the checkpoint
    folder. An existing output is replaced only with ``overwrite`` (``--overwrite``), also when
    resuming. An existing ``OUT.rejects.jsonl`` must be a narratives rejects file, and an
    existing ``OUT.partial`` a checkpoint folder, with or without ``overwrite``: anything else
    under those names is someone else's file.
    """
    src, out = Path(input_path), Path(output_path)
    ckpt, rej = checkpoint_dir(out), rejects_path(out)
    for what, p in (
        ("the output", out),
        ("the rejects file", rej),
        ("the checkpoint folder", ckpt),
    ):
        if _same_file(src, p):
            raise InputError(
                f"{what} {p} is the input {src} (the same file, perhaps through a link), and the "
                "run overwrites or removes it: choose another output file"
            )
    if src.exists() and _inside(src, ckpt):
        raise InputError(
            f"the input {src} is inside the checkpoint folder {ckpt}, which the run removes: "
            "move it or choose another output file"
        )
    check_new_output(out, overwrite)
    if rej.exists() and not is_rejects_file(rej):
        raise InputError(
            f"{rej} exists and is not a narratives rejects file; this run would replace or remove it: "
            "move it or choose another output file"
        )
    if ckpt.is_file() or (
        ckpt.is_dir()
        and any(
            not p.name.startswith(_CHECKPOINT_NAMES) and not p.name.endswith(".tmp")
            for p in ckpt.iterdir()
        )
    ):
        raise InputError(
            f"{ckpt} exists and is not a narratives checkpoint folder; this run would remove it: "
            "move it or choose another output file"
        )


def _model_fingerprint(model: NarrativeModel) -> str:
    files = model.manifest.get("files") if model.path else None
    if files:
        return "manifest:" + hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest()
    return (
        "pickle:"
        + hashlib.sha256(pickle.dumps(model.pipeline, protocol=pickle.HIGHEST_PROTOCOL)).hexdigest()
    )


def _chunk_digest(chunk) -> str:
    """What identifies a chunk's content for ``--resume``: a hash of its rows (every column) and
    rejects as read, so an edit that keeps the file's size and modification time is still seen."""
    h = hashlib.blake2b(digest_size=16)
    cols = list(chunk.frame.columns)
    h.update(json.dumps(cols).encode())
    for rec in chunk.frame.itertuples(index=False, name=None):
        h.update(json.dumps(rec, default=str, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        h.update(b"\n")
    for r in chunk.rejects:
        h.update(json.dumps([r.id, r.row, r.reason], default=str).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


#: The output column holding a row's input id when the row's id was made unique.
ID_INPUT = "id_input"


def unique_ids(ckpt: Checkpoint, k: int, frame, warn: bool = True):
    """Chunk ``k``'s rows with ids unique across the run (:meth:`Checkpoint.assign_ids`): a
    repeated id becomes ``ID#2``, ``ID#3``, ... and the id it had in the input goes to the column
    :data:`ID_INPUT` (empty for the rows that kept theirs). Returns the frame and how many rows
    were renamed; the first renaming is logged as a warning when ``warn``."""
    ids = frame["id"].astype(str).tolist()
    new, renamed = ckpt.assign_ids(k, ids)
    if not renamed:
        return frame, 0
    col = ID_INPUT
    while col in frame.columns:  # the input has a column of that name: keep it as it is
        col += "_input"
    frame = frame.assign(id=new)
    frame[col] = [old if old != rid else None for old, rid in zip(ids, new, strict=True)]
    if warn:
        i = next(i for i, (a, b) in enumerate(zip(ids, new, strict=True)) if a != b)
        log.warning(
            "row %s: the id %r was used by an earlier row; this row's id becomes %r (the input "
            "id stays in the column %s; further repeated ids are counted in the summary)",
            frame["row"].iloc[i],
            ids[i][:80],
            new[i][:90],
            col,
        )
    return frame, renamed


def _count_in_background(path: Path, fmt: str, progress: Progress) -> None:
    def run() -> None:
        progress.set_total(count_rows(path, fmt))

    threading.Thread(target=run, name="narratives-count-rows", daemon=True).start()


@dataclass(frozen=True)
class TagOptions:
    """How :func:`tag_file` tags (see its parameters). Checked when made: bad combinations raise
    :class:`~narratives.InputError`."""

    unit: str = "passage"
    fmt: str = "auto"
    text_column: str = "text"
    id_column: str | None = None
    chunk_rows: int = 500
    with_text: bool = True
    workers: int = 1
    engine: str = "local"
    scheduler: str | None = None
    resume: bool = False
    restart: bool = False
    dedup: bool = False
    near_threshold: float = 0.8
    max_chars: int | None = None
    dask_processes: bool = True
    follow_links: bool = False
    lang: str | None = None
    overwrite: bool = False

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise InputError(f"unit must be one of {UNITS}, not {self.unit!r}")
        if self.engine not in ENGINES:
            raise InputError(f"engine must be one of {ENGINES}, not {self.engine!r}")
        if self.workers < 1 or self.chunk_rows < 1:
            raise InputError("workers and chunk_rows must be at least 1")
        if self.resume and self.restart:
            raise InputError("--resume and --restart exclude each other")
        if self.dedup and self.engine == "dask":
            raise InputError(
                "--dedup works with the local engine only (its store is a file next to the output)"
            )
        if self.max_chars is not None and self.max_chars < 1:
            raise InputError("max_chars must be at least 1")


def tag_file(
    input_path: str | Path,
    output_path: str | Path,
    model: NarrativeModel,
    options: TagOptions | None = None,
    *,
    progress: Progress | None = None,
    **overrides: Any,
) -> TagSummary:
    """Tag every row of ``input_path`` and write ``output_path`` (+ ``OUT.rejects.jsonl``).

    The input is read in chunks of ``chunk_rows`` rows and never held in memory as a whole; each
    chunk is tagged (by one of ``workers`` processes, or on a Dask cluster), its output written to
    the checkpoint folder ``OUT.partial/`` and recorded as done. At the end the parts are joined
    in input order into ``output_path`` (JSONL, CSV or Parquet from the extension; a SemEval
    predictions file with ``fmt="semeval"``), which appears atomically. Output ids are unique: a
    repeated input id becomes ``ID#2``, ``ID#3``, ... in input order, its input id in the column
    ``id_input`` (see :meth:`Checkpoint.assign_ids`), so no two input rows are one document.

    Parameters
    ----------
    input_path, output_path : path
        Input (JSONL, CSV, Parquet, ``.txt`` file or folder, SemEval folder) and output file.
    model : NarrativeModel
        The model; each worker gets its own copy, loaded once.
    options : TagOptions, optional
        How to tag (default: ``TagOptions()``); keyword arguments override its fields, so
        ``tag_file(src, out, model, unit="document", workers=2)`` works too. The fields:
    unit : {"passage", "document"}
        One output row per passage, or per document (frames by the length-aware document rule
        of :func:`~narratives.model._open_world.document_decisions`, the maximum score per frame,
        and the index of the evidence passage per frame the document was given).
    fmt, text_column, id_column, chunk_rows
        Input format and columns, rows per chunk (see :func:`narratives.io.iter_chunks`).
    with_text : bool
        Passage rows carry their text.
    workers : int
        Worker processes (local engine) or LocalCluster workers (dask engine without a scheduler).
        The output is the same for any number of workers and always in input order.
    engine : {"local", "dask"}
        ``"dask"`` tags on a ``dask.distributed`` cluster (``pip install 'narratives[dask]'``).
    scheduler : str, optional
        Address of an existing Dask scheduler; without one a LocalCluster is started.
    resume, restart : bool
        Continue the run whose checkpoint ``OUT.partial/`` is next to the output (refused when the
        input, the model or the options changed), or discard it. Without either, an existing
        checkpoint with finished chunks is an error.
    dedup : bool
        Decide each exact or near-duplicate passage once and copy the decision to the copies
        (local engine; see :mod:`narratives.engine._dedup`). ``near_threshold`` is the MinHash
        Jaccard similarity above which passages count as near duplicates.
    max_chars : int, optional
        Tag at most this many characters of each document; longer ones are tagged up to the limit
        and flagged ``truncated``.
    follow_links : bool
        Read files of a ``.txt`` folder that are symbolic links to files outside it (by
        default they are rejects).
    overwrite : bool
        Replace an existing ``output_path`` (default: refused with :class:`~narratives.InputError`
        before any work, also with ``resume``). The old file is replaced only when the run
        finishes: an interrupted run leaves it as it was. An existing ``OUT.rejects.jsonl`` or
        ``OUT.partial`` that narratives did not write is refused either way.
    progress : Progress, optional
        Receives progress (see :mod:`narratives.engine._progress`).

    Returns
    -------
    TagSummary

    Raises
    ------
    InputError
        Unreadable input, an unwritable or existing output (without ``overwrite``), a checkpoint
        that cannot be resumed, bad options.
    KeyboardInterrupt
        Re-raised after the checkpoint is safely on disk; rerun with ``resume=True``.
    """
    t0 = time.perf_counter()
    o = replace(options or TagOptions(), **overrides) if overrides else options or TagOptions()
    out = Path(output_path)
    check_output_path(out)
    kind = "semeval" if o.fmt == "semeval" else output_format(out)
    # The format is detected here, once; everything below reads the input with the detected one.
    o = replace(
        o, unit="document" if kind == "semeval" else o.unit, fmt=detect_format(input_path, o.fmt)
    )
    check_run_paths(input_path, out, overwrite=o.overwrite)
    if kind == "semeval" and model.taxonomy.none_label != SEMEVAL_NONE:
        raise InputError(
            "--format semeval writes SemEval-2025 Task 10 predictions, which need a model "
            f"trained on SemEval's labels (narratives train <SemEval folder>); this model's "
            f"labels are those of the taxonomy {model.taxonomy.name!r}"
        )
    progress = progress or Progress()

    pre = model.decider.named_steps["preprocess"]
    if o.lang is not None and o.lang not in pre.languages_:
        raise InputError(f"--lang {o.lang}: the model tags {', '.join(pre.languages_)} only")
    old = {"max_chars": pre.max_chars, "force_language": pre.force_language}
    if o.max_chars is not None:
        pre.set_params(max_chars=o.max_chars)
    if o.lang is not None:
        pre.set_params(force_language=o.lang)
    try:
        options = {
            "unit": o.unit,
            "kind": kind,
            "format": o.fmt,
            "text_column": o.text_column,
            "id_column": o.id_column,
            "chunk_rows": o.chunk_rows,
            "with_text": o.with_text,
            "dedup": o.dedup,
            "near_threshold": o.near_threshold,
            "max_chars": pre.max_chars,
            "lang": o.lang,
            "follow_links": o.follow_links,
        }
        meta = {
            "input": input_fingerprint(input_path, o.fmt),
            "model": _model_fingerprint(model),
            "options": options,
        }
        chunk_options = ChunkOptions(
            unit=o.unit,
            kind=kind,
            with_text=o.with_text,
            source=str(input_path),
            dedup=o.dedup,
            near_threshold=o.near_threshold,
        )
        ckpt = Checkpoint.open(out, meta, resume=o.resume, restart=o.restart)
        try:
            summary = _run(ckpt, input_path, model, o, chunk_options, progress)
            n_rows, rej = ckpt.finish(
                rejects_path(out),
                model.decider.classifier.fine_labels_,
                empty_columns(o.unit, o.with_text),
                overwrite=o.overwrite,
            )
        except BaseException:
            # Keep the work done so far (--resume; when every chunk was done, it only joins the
            # parts again); an empty checkpoint is just removed.
            done = ckpt.conn is not None and bool(ckpt.done())
            if done:
                ckpt.close()
                log.info("checkpoint kept in %s: rerun with --resume to continue", ckpt.dir)
            else:
                ckpt.remove()
            raise
    finally:
        pre.set_params(**old)
    summary.output_rows = n_rows
    summary.rejects = str(rej) if rej else None
    summary.seconds = time.perf_counter() - t0
    return summary


def _run(
    ckpt: Checkpoint,
    input_path: str | Path,
    model: NarrativeModel,
    o: TagOptions,
    chunk_options: ChunkOptions,
    progress: Progress,
) -> TagSummary:
    """Tag the chunks the checkpoint has not done yet; ``o.fmt`` is the detected input format."""
    done = ckpt.done()
    dedup_path = ckpt.dir / "dedup.sqlite" if o.dedup else None
    # Workers first: they may be forked, which must happen before this process starts threads.
    executor = make_executor(
        o.engine,
        model,
        chunk_options,
        workers=o.workers,
        scheduler=o.scheduler,
        dedup_path=dedup_path,
        dask_processes=o.dask_processes,
    )
    progress.start(done=ckpt.resumed_rows)
    _count_in_background(Path(input_path), o.fmt, progress)
    inflight: dict[Any, tuple[int, list, int, str | None, str, int, int]] = {}
    n_chunks = 0
    warned = False

    def commit(fut) -> None:
        k, read_rejects, n_read, first_id, digest, replaced, dups = inflight.pop(fut)
        result = fut.result()
        result.stats["replaced_ids"] = replaced
        ckpt.commit(result, read_rejects, n_read, first_id, digest, dups)
        if dups:
            log.info("chunk %d: %d repeated ids made unique (each row tagged)", k, dups)
        progress.advance(n_read, result.stats.get("words", 0))

    ok = False
    try:
        for k, chunk in enumerate(
            iter_chunks(
                input_path,
                fmt=o.fmt,
                text_column=o.text_column,
                id_column=o.id_column,
                chunk_rows=o.chunk_rows,
                follow_links=o.follow_links,
            )
        ):
            n_chunks = k + 1
            frame = chunk.frame
            first_id = str(frame["id"].iloc[0]) if len(frame) else None
            digest = _chunk_digest(chunk)
            if k in done:
                if done[k][:2] != (chunk.n_read, first_id):
                    raise InputError(
                        f"cannot resume: chunk {k} of the input differs from the checkpoint's "
                        f"({chunk.n_read} rows starting with id {first_id!r}, not {done[k][0]} starting with {done[k][1]!r}); use --restart"
                    )
                if done[k][2] != digest:
                    raise InputError(
                        f"cannot resume: the content of chunk {k} of the input (rows starting with id "
                        f"{first_id!r}) changed since it was tagged; use --restart"
                    )
                continue
            if not len(frame):  # only rejects: nothing to tag
                result = ChunkResult(index=k, stats={"replaced_ids": chunk.replaced_ids})
                ckpt.commit(result, chunk.rejects, chunk.n_read, first_id, digest)
                progress.advance(chunk.n_read)
                continue
            frame, dups = unique_ids(ckpt, k, frame, warn=not warned)
            warned = warned or bool(dups)
            fut = executor.submit(k, frame)
            inflight[fut] = (
                k,
                chunk.rejects,
                chunk.n_read,
                first_id,
                digest,
                chunk.replaced_ids,
                dups,
            )
            while len(inflight) >= executor.max_inflight:
                for f in executor.wait_first(list(inflight)):
                    commit(f)
        while inflight:
            for f in executor.wait_first(list(inflight)):
                commit(f)
        ok = True
    finally:
        progress.finish()
        executor.close(cancel=not ok)
    t = ckpt.totals()
    return TagSummary(
        output=str(ckpt.output),
        rejects=None,
        input_rows=t.get("input_rows", 0),
        documents=t.get("documents", 0),
        rejected=t.get("rejected", 0),
        duplicate_ids=t.get("duplicate_ids", 0),
        replaced_ids=t.get("replaced_ids", 0),
        passages=t.get("passages", 0),
        truncated=t.get("truncated", 0),
        unsupported_language=t.get("unsupported_language", 0),
        words=t.get("words", 0),
        chunks=n_chunks,
        resumed_chunks=ckpt.resumed_chunks,
        resumed_rows=ckpt.resumed_rows,
        dedup_documents=t.get("dedup_documents", 0),
        dedup_exact=t.get("dedup_exact", 0),
        dedup_near=t.get("dedup_near", 0),
        workers=o.workers,
        engine=o.engine,
        frame_counts=t["frame_counts"],
        stance_counts=t["stance_counts"],
    )
