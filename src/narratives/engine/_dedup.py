"""``--dedup``: decide each exact or near-duplicate passage once, copy the decision to its copies.

The store is an SQLite file in the checkpoint folder, so memory does not grow with the corpus and
several worker processes share it (WAL mode). Two kinds of copies:

- **exact**: identical preprocessed passages (same tokens, text, cue, actor and stance matches and
  the same relevance gate). The copied decision is exactly what tagging the copy would give.
- **near**: passages of at least :data:`NEAR_MIN_WORDS` words whose MinHash (word 3-shingles, see
  :func:`narratives.preprocessing.minhash`) estimates a Jaccard similarity >= the threshold with
  an earlier passage; candidates come from LSH bands stored in the same file. The copy gets the
  earlier passage's decision: an approximation by design. With one worker the earlier passage is
  the first in input order; with several it is whichever was tagged first.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..model import Decision
from ..preprocessing import Processed
from ..preprocessing._dedup import minhash

__all__ = ["DedupPipeline", "DedupStore"]

#: Shorter passages are only deduplicated when identical.
NEAR_MIN_WORDS = 8
BANDS, ROWS = 16, 4  # 16 bands of 4 MinHash values: high recall, candidates are verified


def _exact_key(p: Processed, relevant: bool) -> bytes:
    h = hashlib.blake2b(digest_size=16)
    blob = json.dumps(
        [
            relevant,
            p.tokens,
            p.text,
            sorted(p.cues.items()),
            sorted(p.actors.items()),
            sorted(p.stance.items()),
        ],
        ensure_ascii=False,
    )
    h.update(blob.encode("utf-8", "surrogatepass"))
    return h.digest()


def _bands(hv: np.ndarray, relevant: bool) -> list[tuple[int, int]]:
    out = []
    for b in range(BANDS):
        h = hashlib.blake2b(
            hv[b * ROWS : (b + 1) * ROWS].tobytes() + bytes([relevant]), digest_size=8
        )
        out.append((b, int.from_bytes(h.digest(), "little", signed=True)))
    return out


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


class DedupStore:
    """SQLite-backed exact keys, LSH bands and stored decisions (see the module docstring)."""

    def __init__(self, path: str | Path, timeout: float = 120.0):
        self.path = Path(path)
        self.conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(
            """
            CREATE TABLE IF NOT EXISTS reps (rep INTEGER PRIMARY KEY, mh BLOB, rec TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS exact (key BLOB PRIMARY KEY, rep INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS lsh (band INTEGER, h INTEGER, rep INTEGER);
            CREATE INDEX IF NOT EXISTS lsh_bh ON lsh (band, h);
            """
        )

    def close(self) -> None:
        self.conn.close()

    def __getstate__(self):  # reopened in each process
        return {"path": str(self.path)}

    def __setstate__(self, state):
        self.__init__(state["path"])

    def exact(self, keys: Sequence[bytes]) -> dict[bytes, int]:
        found: dict[bytes, int] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            q = f"SELECT key, rep FROM exact WHERE key IN ({','.join('?' * len(part))})"
            found.update(self.conn.execute(q, part).fetchall())
        return found

    def near(self, hv: np.ndarray, relevant: bool, threshold: float) -> int | None:
        bands = _bands(hv, relevant)
        q = "SELECT DISTINCT rep FROM lsh WHERE " + " OR ".join(
            ["(band = ? AND h = ?)"] * len(bands)
        )
        reps = [r for (r,) in self.conn.execute(q, [x for bh in bands for x in bh]).fetchall()]
        best, best_j = None, threshold
        for rep in sorted(reps):
            (mh,) = self.conn.execute("SELECT mh FROM reps WHERE rep = ?", (rep,)).fetchone()
            j = _jaccard(hv, np.frombuffer(mh, dtype=np.uint32))
            if j >= best_j and (best is None or j > best_j):
                best, best_j = rep, j
        return best

    def records(self, reps: Sequence[int]) -> dict[int, dict[str, Any]]:
        out = {}
        for i in range(0, len(reps), 500):
            part = list(reps[i : i + 500])
            q = f"SELECT rep, rec FROM reps WHERE rep IN ({','.join('?' * len(part))})"
            out.update((r, json.loads(rec)) for r, rec in self.conn.execute(q, part).fetchall())
        return out

    def add(self, items: list[tuple[bytes, np.ndarray | None, bool, dict[str, Any]]]) -> None:
        """Store new decisions: ``(exact key, minhash values or None, relevant, record)``."""
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            for key, hv, relevant, rec in items:
                cur.execute(
                    "INSERT INTO reps (mh, rec) VALUES (?, ?)",
                    (None if hv is None else hv.astype(np.uint32).tobytes(), json.dumps(rec)),
                )
                rep = cur.lastrowid
                cur.execute("INSERT OR IGNORE INTO exact (key, rep) VALUES (?, ?)", (key, rep))
                if hv is not None:
                    cur.executemany(
                        "INSERT INTO lsh (band, h, rep) VALUES (?, ?, ?)",
                        [(b, h, rep) for b, h in _bands(hv, relevant)],
                    )
            cur.execute("COMMIT")
        except BaseException:
            cur.execute("ROLLBACK")
            raise


class DedupPipeline:
    """Wraps a fitted :class:`~narratives.model.NarrativePipeline`; ``decide_processed`` looks each
    unit up in the :class:`DedupStore` and decides only the new ones. Everything else is the
    wrapped pipeline's."""

    def __init__(self, pipeline: Any, store: DedupStore, threshold: float = 0.8):
        self._pipeline = pipeline
        self._store = store
        self._threshold = threshold
        self.hits = {"exact": 0, "near": 0}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pipeline, name)

    def decide_processed(
        self, processed: Sequence[Processed], relevant: Sequence[bool] | None = None
    ) -> Decision:
        n = len(processed)
        if relevant is None:
            relevant = [self._pipeline.is_relevant(p) for p in processed]
        relevant = [bool(r) for r in relevant]
        keys = [_exact_key(p, r) for p, r in zip(processed, relevant, strict=True)]
        stored = self._store.exact(sorted(set(keys)))
        source: list[tuple[str, int]] = []  # ("store", rep) | ("batch", i) | ("new", i)
        batch_exact: dict[bytes, int] = {}
        batch_bands: dict[tuple[int, int], list[int]] = defaultdict(list)
        hvs: dict[int, np.ndarray] = {}
        for i, (p, key, rel) in enumerate(zip(processed, keys, relevant, strict=True)):
            if key in batch_exact:
                source.append(("batch", batch_exact[key]))
                self.hits["exact"] += 1
                continue
            if key in stored:
                source.append(("store", stored[key]))
                self.hits["exact"] += 1
                continue
            if p.n_words >= NEAR_MIN_WORDS:
                hv = np.asarray(minhash(p.text).hashvalues, dtype=np.uint32)
                rep = self._store.near(hv, rel, self._threshold)
                if rep is not None:
                    source.append(("store", rep))
                    self.hits["near"] += 1
                    continue
                cand = sorted({j for bh in _bands(hv, rel) for j in batch_bands.get(bh, ())})
                best = next((j for j in cand if _jaccard(hv, hvs[j]) >= self._threshold), None)
                if best is not None:
                    source.append(("batch", best))
                    self.hits["near"] += 1
                    continue
                hvs[i] = hv
                for bh in _bands(hv, rel):
                    batch_bands[bh].append(i)
            batch_exact[key] = i
            source.append(("new", i))
        new = [i for i, (kind, _) in enumerate(source) if kind == "new"]
        dec_new = self._pipeline.decide_processed(
            [processed[i] for i in new], relevant=[relevant[i] for i in new]
        )
        recs: dict[tuple[str, int], dict[str, Any]] = {}
        for k, i in enumerate(new):
            recs[("new", i)] = dec_new.record(k)
        if new:
            self._store.add([(keys[i], hvs.get(i), relevant[i], recs[("new", i)]) for i in new])
        from_store = self._store.records(sorted({ref for kind, ref in source if kind == "store"}))
        rows = []
        for kind, ref in source:
            rows.append(from_store[ref] if kind == "store" else recs[("new", ref)])
        if not n:
            return self._pipeline.decide_processed([])
        clf = self._pipeline.classifier
        return Decision.from_records(rows, relevant, len(clf.fine_labels_), len(clf.coarse_labels_))
