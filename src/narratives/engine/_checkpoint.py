"""The checkpoint of a tagging run: ``OUT.partial/`` next to the output.

Layout::

    OUT.partial/
        lock                 held (flock) by the running process: one run per output at a time
        state.sqlite         run fingerprint, done chunks with their stats, rejects, ids in use
        parts/part-00000042.<ext>   the encoded output of chunk 42 (see narratives.io._parts)
        dedup.sqlite         --dedup store (optional)

Exactly once: a chunk's part file is written under a temporary name, flushed to disk and renamed;
only then is the chunk recorded as done, together with its rejects and its ids, in one SQLite
transaction. A crash before the commit leaves the chunk undone (it is tagged again on
``--resume`` and its part overwritten); after the commit the chunk is never tagged again. At the
end the parts are assembled in chunk order (input order) into the output, the rejects file is
written, both are moved into place, and the folder is deleted.

Ids are unique across the output: :meth:`Checkpoint.assign_ids` gives each chunk's ids out in
input order, before the chunk is tagged, and a repeated id gets the first free suffix ``#2``,
``#3``, ... (see :meth:`Checkpoint.assign_ids`). Memory does not grow with the corpus: the ids in
use live in the SQLite file as 64-bit hashes, each with the chunk that claimed it; the claims of
chunks that were never committed are dropped on ``--resume``, so a resumed run names every row as
an uninterrupted one would. A hash collision (below one in a thousand for 10^8 distinct ids) can
only add a needless suffix, never merge two documents.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sqlite3
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .._exceptions import InputError
from ..io import PART_EXT, assemble_parts
from ..io._readers import Reject
from ..io._writers import is_rejects_file
from ._work import ChunkResult

__all__ = ["Checkpoint", "checkpoint_dir"]

log = logging.getLogger(__name__)
#: Most repeated ids whose highest suffix :meth:`Checkpoint.assign_ids` remembers in memory.
SUFFIX_CACHE = 100_000
STATE_VERSION = 3  # 2: chunks carry a digest of their content; 3: ids are claimed per chunk
LOCK = "lock"


def checkpoint_dir(output: str | Path) -> Path:
    """``OUT.parquet`` -> ``OUT.parquet.partial/`` (the only thing a crash leaves next to OUT)."""
    output = Path(output)
    return output.with_name(output.name + ".partial")


def _id_hash(rid: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(rid.encode("utf-8", "surrogatepass"), digest_size=8).digest(),
        "little",
        signed=True,
    )


def _describe_change(old: dict[str, Any], new: dict[str, Any]) -> str:
    parts = []
    if old.get("input") != new.get("input"):
        parts.append("the input changed (its size, files or content)")
    if old.get("model") != new.get("model"):
        parts.append("the model changed")
    oo, no = old.get("options", {}), new.get("options", {})
    changed = [
        f"{k} {oo.get(k)!r} -> {no.get(k)!r}"
        for k in sorted(set(oo) | set(no))
        if oo.get(k) != no.get(k)
    ]
    if changed:
        parts.append("options changed: " + ", ".join(changed))
    if old.get("version") != new.get("version"):
        parts.append("the checkpoint was written by another version of narratives")
    return "; ".join(parts) or "the run settings changed"


class Checkpoint:
    """State of one run (see the module docstring). Use :meth:`open`."""

    def __init__(self, output: Path, meta: dict[str, Any]):
        self.output = Path(output)
        self.dir = checkpoint_dir(output)
        self.parts = self.dir / "parts"
        self.meta = meta
        self.ext = PART_EXT[meta["options"]["kind"]]
        self.conn: sqlite3.Connection | None = None
        self.resumed_chunks = 0
        self.resumed_rows = 0
        self._lock_fh = None
        #: id -> the highest suffix handed out for it in this process (a shortcut: ``id``,
        #: ``id#2`` ... ``id#n`` are all taken), so an id repeated many times is not probed anew
        self._suffix: dict[str, int] = {}

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls, output: Path, meta: dict[str, Any], resume: bool = False, restart: bool = False
    ) -> Checkpoint:
        """Create a fresh checkpoint, or reopen an existing one with ``resume=True``.

        Raises :class:`InputError` when a checkpoint with finished chunks exists and neither
        ``resume`` nor ``restart`` is given, or when ``resume`` finds that the input, the model or
        the options changed.
        """
        meta = {**meta, "version": STATE_VERSION}
        ck = cls(output, meta)
        d = ck.dir
        if d.is_file() or d.is_symlink():  # an interrupted single-file output of older versions
            d.unlink()
        existed = (d / "state.sqlite").is_file()
        d.mkdir(exist_ok=True)
        ck._lock()
        try:
            if ck._reopen(existed, resume, restart):
                return ck
            for p in d.iterdir():  # start afresh, keeping only our lock
                if p.name != LOCK:
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
            ck.parts.mkdir()
            ck._connect()
        except BaseException:
            ck.close()
            raise
        assert ck.conn is not None
        with ck.conn:
            ck.conn.execute(
                "INSERT INTO meta (key, value) VALUES ('run', ?)",
                (json.dumps(meta, sort_keys=True),),
            )
        return ck

    def _reopen(self, existed: bool, resume: bool, restart: bool) -> bool:
        """Reopen an existing checkpoint for ``resume``; False when starting afresh."""
        d = self.dir
        if not existed or restart:
            if resume and not existed:
                log.info("no checkpoint at %s: starting from the beginning", d)
            return False
        try:
            old, n_done, rows_done = self._peek(d / "state.sqlite")
        except sqlite3.DatabaseError:
            old, n_done, rows_done = None, 0, 0
        if not n_done:
            return False
        if not resume:
            raise InputError(
                f"{d} holds the checkpoint of an unfinished run ({n_done} chunks, {rows_done} input rows done): "
                "add --resume to continue it, or --restart to discard it"
            )
        if old != self.meta:
            raise InputError(
                f"cannot resume from {d}: {_describe_change(old or {}, self.meta)}; use --restart to start over"
            )
        self._connect()
        assert self.conn is not None
        with self.conn:  # ids claimed by chunks that were never committed: they are named again
            self.conn.execute("DELETE FROM seen WHERE k NOT IN (SELECT k FROM chunks)")
        self.resumed_chunks, self.resumed_rows = n_done, rows_done
        for p in self.parts.glob("*.tmp*"):
            p.unlink(missing_ok=True)
        log.info("resuming from %s: %d chunks (%d rows) already done", d, n_done, rows_done)
        return True

    def _lock(self) -> None:
        """Hold an exclusive lock on the folder for the whole run: two runs writing the same
        output at once (say, a --resume while the first run is still going) would mix their parts."""
        self._lock_fh = open(self.dir / LOCK, "a+")  # noqa: SIM115 (held open: the lock)
        try:
            import fcntl
        except ImportError:  # Windows: no advisory locks; documented
            return
        try:
            fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self._lock_fh.close()
            self._lock_fh = None
            raise InputError(
                f"another narratives tag run is writing {self.output} (its checkpoint {self.dir} is locked); "
                "wait for it to finish or stop it first"
            ) from None

    @staticmethod
    def _peek(state: Path) -> tuple[dict[str, Any] | None, int, int]:
        conn = sqlite3.connect(f"file:{state}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'run'").fetchone()
            n, rows = conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(n_read), 0) FROM chunks"
            ).fetchone()
        finally:
            conn.close()
        return (json.loads(row[0]) if row else None), int(n), int(rows)

    def _connect(self) -> None:
        self.conn = sqlite3.connect(str(self.dir / "state.sqlite"), timeout=60)
        c = self.conn
        c.execute("PRAGMA journal_mode=WAL")
        c.execute("PRAGMA synchronous=NORMAL")
        c.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS chunks (
                k INTEGER PRIMARY KEY, n_read INTEGER, first_id TEXT, rows INTEGER,
                columns TEXT, stats TEXT, duplicates INTEGER, digest TEXT);
            CREATE TABLE IF NOT EXISTS rejects (
                k INTEGER, seq INTEGER, id TEXT, row TEXT, reason TEXT, source TEXT, PRIMARY KEY (k, seq));
            CREATE TABLE IF NOT EXISTS seen (h INTEGER PRIMARY KEY, k INTEGER) WITHOUT ROWID;
            """
        )

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        if getattr(self, "_lock_fh", None) is not None:
            self._lock_fh.close()  # releases the lock
            self._lock_fh = None

    # ------------------------------------------------------------------ chunks
    def done(self) -> dict[int, tuple[int, str | None, str | None]]:
        """Finished chunks: ``{k: (rows read, first id, digest of the chunk's content)}``."""
        assert self.conn is not None
        return {
            k: (n, fid, digest)
            for k, n, fid, digest in self.conn.execute(
                "SELECT k, n_read, first_id, digest FROM chunks"
            )
        }

    def assign_ids(self, k: int, ids: Sequence[str]) -> tuple[list[str], int]:
        """The output ids of chunk ``k``'s rows, unique across the run; and how many were renamed.

        Called for the chunks in input order, before they are tagged. The first row with an id
        keeps it; a later row whose id is taken (by an earlier row, in this chunk or an earlier
        one) gets the first free ``ID#2``, ``ID#3``, ... The claims are stored at once (one
        transaction), so chunks tagged in parallel never hand out the same id.
        """
        assert self.conn is not None
        c = self.conn
        out: list[str] = []
        renamed = 0

        def claim(rid: str) -> bool:
            cur = c.execute("INSERT OR IGNORE INTO seen (h, k) VALUES (?, ?)", (_id_hash(rid), k))
            return cur.rowcount == 1

        suffix: dict[str, int] = {}
        with c:
            for rid in ids:
                n = suffix.get(rid) or self._suffix.get(rid, 1)
                new = rid
                if n > 1 or not claim(rid):
                    while True:
                        n += 1
                        new = f"{rid}#{n}"
                        if claim(new):
                            break
                    suffix[rid] = n
                    renamed += 1
                out.append(new)
        if len(self._suffix) + len(suffix) > SUFFIX_CACHE:
            # only a shortcut: forgetting it costs probes, never correctness; keeps the memory
            # bounded when most ids repeat (two copies of a corpus in one file)
            self._suffix.clear()
        self._suffix.update(suffix)  # only once the claims are stored
        return out, renamed

    def part_path(self, k: int) -> Path:
        return self.parts / f"part-{k:08d}.{self.ext}"

    def commit(
        self,
        result: ChunkResult,
        read_rejects: Sequence[Reject],
        n_read: int,
        first_id: str | None,
        digest: str | None = None,
        duplicates: int = 0,
    ) -> None:
        """Record chunk ``result.index`` as done (part file first, then one transaction).

        ``duplicates``: how many of its rows :meth:`assign_ids` renamed.
        """
        assert self.conn is not None
        k = result.index
        if result.rows:
            path = self.part_path(k)
            tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
            with open(tmp, "wb") as fh:
                fh.write(result.part)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        rejects = sorted(
            [*read_rejects, *result.rejects],
            key=lambda r: (not isinstance(r.row, int), r.row if isinstance(r.row, int) else 0),
        )
        c = self.conn
        with c:
            c.executemany(
                "INSERT INTO rejects (k, seq, id, row, reason, source) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (k, s, r.id, json.dumps(r.row), r.reason, r.source)
                    for s, r in enumerate(rejects)
                ],
            )
            c.execute(
                "INSERT INTO chunks (k, n_read, first_id, rows, columns, stats, duplicates, digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    k,
                    n_read,
                    first_id,
                    result.rows,
                    json.dumps(result.columns),
                    json.dumps(result.stats),
                    duplicates,
                    digest,
                ),
            )

    # ------------------------------------------------------------------ totals
    def totals(self) -> dict[str, Any]:
        """Sums over all done chunks (including those of earlier, interrupted runs)."""
        assert self.conn is not None
        t: Counter[str] = Counter()
        frames: Counter[str] = Counter()
        stances: Counter[str] = Counter()
        for n_read, rows, stats, dups in self.conn.execute(
            "SELECT n_read, rows, stats, duplicates FROM chunks"
        ):
            s = json.loads(stats)
            t["input_rows"] += n_read
            t["output_rows"] += rows
            t["duplicate_ids"] += dups
            frames.update(s.pop("frame_counts", {}))
            stances.update(s.pop("stance_counts", {}))
            t.update({k: v for k, v in s.items() if isinstance(v, int)})
        (t["rejected"],) = self.conn.execute("SELECT COUNT(*) FROM rejects").fetchone()
        return {**t, "frame_counts": dict(frames), "stance_counts": dict(stances)}

    # ------------------------------------------------------------------ finishing
    def finish(
        self,
        rejects_file: Path,
        fine_labels: Sequence[str],
        empty_columns: Sequence[str],
        overwrite: bool = False,
    ) -> tuple[int, Path | None]:
        """Assemble the output and the rejects file, move them into place, delete the folder.

        Without ``overwrite``, an output that appeared while the run was going (it was checked
        before the run) is not replaced: :class:`InputError`, and the checkpoint is kept.
        Returns the number of output rows and the rejects file (None without rejects).
        """
        assert self.conn is not None
        parts = []
        for k, rows, columns in self.conn.execute("SELECT k, rows, columns FROM chunks ORDER BY k"):
            if rows:
                path = self.part_path(k)
                if not path.is_file():
                    raise InputError(
                        f"the checkpoint {self.dir} is damaged: {path.name} is missing; use --restart"
                    )
                parts.append((path, json.loads(columns)))
        tmp_out = self.dir / f"output.{self.ext}.tmp"
        n_rows = assemble_parts(
            parts, self.meta["options"]["kind"], tmp_out, fine_labels, empty_columns
        )
        n_rejects = 0
        tmp_rej = self.dir / "rejects.jsonl.tmp"
        with open(tmp_rej, "w", encoding="utf-8") as fh:
            for rid, row, reason, source in self.conn.execute(
                "SELECT id, row, reason, source FROM rejects ORDER BY k, seq"
            ):
                fh.write(
                    json.dumps(
                        {"id": rid, "row": json.loads(row), "reason": reason, "source": source},
                        ensure_ascii=False,
                    )
                    + "\n"
                )
                n_rejects += 1
            fh.flush()
            os.fsync(fh.fileno())
        if not overwrite and os.path.lexists(self.output):
            raise InputError(
                f"{self.output} appeared while this run was going: choose another name, or pass "
                "--resume --overwrite to replace it (the finished work is kept in the checkpoint)"
            )
        if n_rejects:
            os.replace(tmp_rej, rejects_file)
        elif rejects_file.exists() and is_rejects_file(rejects_file):
            log.info("removing %s left by an earlier run (this run rejected nothing)", rejects_file)
            rejects_file.unlink()
        os.replace(tmp_out, self.output)
        self.remove()
        return n_rows, (rejects_file if n_rejects else None)

    def remove(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None
        shutil.rmtree(self.dir, ignore_errors=True)  # still holding the lock
        self.close()
