"""Where chunks are tagged: in this process, in a pool of worker processes, or on a Dask cluster.

Each executor loads the model once per worker and offers ``submit(index, frame)`` returning a
future of :class:`~narratives.engine._work.ChunkResult`, ``wait_first(futures)`` and ``close()``.
"""

from __future__ import annotations

import concurrent.futures as cf
import gc
import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

import pandas as pd

from .._exceptions import NarrativesError
from .._model import NarrativeModel
from ._dedup import DedupStore
from ._work import ChunkOptions, ChunkResult, tag_chunk

__all__ = ["DaskExecutor", "PoolExecutor", "SerialExecutor", "make_executor"]

log = logging.getLogger(__name__)


class SerialExecutor:
    """Tag in the calling process (``--workers 1``)."""

    max_inflight = 1

    def __init__(self, model: NarrativeModel, opts: ChunkOptions, dedup_path: Path | None = None):
        self.model, self.opts = model, opts
        self.store = None
        if dedup_path is not None:
            self.store = DedupStore(dedup_path)

    def submit(self, index: int, frame: pd.DataFrame) -> cf.Future:
        fut: cf.Future = cf.Future()
        fut.set_result(tag_chunk(self.model, frame, self.opts, index, self.store))
        return fut

    def wait_first(self, futures: Collection[Any]) -> set[Any]:
        return set(futures)

    def close(self, cancel: bool = False) -> None:
        if self.store is not None:
            self.store.close()


# --------------------------------------------------------------------------- process pool
_WORKER: dict[str, Any] = {}


#: The model a forked worker inherits from its parent (set only while the pool starts).
_INHERIT: dict[str, Any] = {}


def _die_with_parent(parent: int) -> None:
    """Linux: get SIGKILL when the parent process dies (even by ``kill -9``), so no worker is
    ever left behind; elsewhere the pool's own shutdown has to do."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(
    blob: bytes | None, opts: ChunkOptions, dedup_path: str | None, parent: int
) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process handles Ctrl-C and stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    # Forked: the parent's loaded model (and its cached spaCy pipeline) is already in memory.
    # Spawned: our own pickled bytes, from the parent process.
    _WORKER["model"] = _INHERIT["model"] if blob is None else pickle.loads(blob)
    _INHERIT.clear()
    # The model (and, forked, all the parent left us) lives as long as this process: kept out of
    # the garbage collector's full passes, which would walk it again and again.
    gc.freeze()
    _WORKER["opts"] = opts
    if dedup_path:
        _WORKER["store"] = DedupStore(dedup_path)


def _pool_tag(index: int, frame: pd.DataFrame) -> ChunkResult:
    return tag_chunk(_WORKER["model"], frame, _WORKER["opts"], index, _WORKER.get("store"))


def _start_method() -> str:
    """``fork`` on Linux (fast, and scripts without an ``if __name__ == "__main__":`` guard work);
    ``spawn`` elsewhere (macOS and Windows: the calling script needs that guard)."""
    return (
        "fork"
        if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()
        else "spawn"
    )


def _ready() -> int:
    return os.getpid()


class PoolExecutor:
    """``--workers N`` processes, each loading the model once (in its initializer).

    The processes are started at once, before the caller starts any thread (progress bar, row
    counting), so forking is safe.
    """

    def __init__(
        self,
        model: NarrativeModel,
        opts: ChunkOptions,
        workers: int,
        dedup_path: Path | None = None,
    ):
        method = _start_method()
        blob = None if method == "fork" else pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)
        self.pool = cf.ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context(method),
            initializer=_init_worker,
            initargs=(blob, opts, str(dedup_path) if dedup_path else None, os.getpid()),
        )
        self.max_inflight = 2 * workers
        _INHERIT["model"] = model
        try:
            self.pool.submit(_ready).result()  # starts every worker process (and fails early)
        except BaseException:
            self.close(cancel=True)
            raise
        finally:
            _INHERIT.clear()

    def submit(self, index: int, frame: pd.DataFrame) -> cf.Future:
        return self.pool.submit(_pool_tag, index, frame)

    def wait_first(self, futures: Collection[Any]) -> set[Any]:
        done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
        return done

    def close(self, cancel: bool = False) -> None:
        if cancel:
            procs = list(getattr(self.pool, "_processes", {}).values())
            self.pool.shutdown(wait=False, cancel_futures=True)
            for p in procs:  # do not wait for running chunks: they are redone on --resume
                if p.is_alive():
                    p.terminate()
            for p in procs:
                p.join(timeout=10)
        else:
            self.pool.shutdown(wait=True)


# --------------------------------------------------------------------------- dask
_DASK_LOCK = threading.Lock()


def _dask_tag(
    model: NarrativeModel, opts: ChunkOptions, index: int, frame: pd.DataFrame
) -> ChunkResult:
    # One chunk at a time per worker process: the spaCy pipeline is not shared across threads.
    with _DASK_LOCK:
        return tag_chunk(model, frame, opts, index)


class DaskExecutor:
    """Tag on a Dask cluster: ``scheduler`` is an address (``tcp://host:8786``), else a
    LocalCluster with ``workers`` single-threaded worker processes is started.

    The model is sent to every worker once (``scatter(broadcast=True)``); each task carries one
    chunk (a partition of the input) and returns the encoded output part, so workers need no
    access to the input or output files.
    """

    def __init__(
        self,
        model: NarrativeModel,
        opts: ChunkOptions,
        workers: int,
        scheduler: str | None = None,
        processes: bool = True,
    ):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise NarrativesError(
                "--engine dask needs Dask: pip install 'narratives[dask]' (dask[dataframe] and distributed)"
            ) from None
        self.cluster = None
        if scheduler:
            try:  # timeout: dask's distributed.comm.timeouts.connect (30 s by default)
                self.client = Client(scheduler)
            except (OSError, TimeoutError) as exc:
                raise NarrativesError(
                    f"cannot connect to the Dask scheduler at {scheduler}: {exc}"
                ) from None
        else:
            self.cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=processes, dashboard_address=":0"
            )
            self.client = Client(self.cluster)
        self.opts = opts
        self.model_future = self.client.scatter(model, broadcast=True, hash=False)
        nthreads = sum(self.client.nthreads().values()) or workers
        self.max_inflight = 2 * nthreads
        log.info(
            "dask: %d worker threads at %s (dashboard %s)",
            nthreads,
            self.client.scheduler.address,
            self.client.dashboard_link,
        )

    def submit(self, index: int, frame: pd.DataFrame) -> Any:
        return self.client.submit(
            _dask_tag,
            self.model_future,
            self.opts,
            index,
            frame,
            pure=False,
            key=f"narratives-chunk-{index}-{os.getpid()}-{id(self)}",
        )

    def wait_first(self, futures: Collection[Any]) -> set[Any]:
        from distributed import wait

        done, _ = wait(list(futures), return_when="FIRST_COMPLETED")
        return set(done)

    def close(self, cancel: bool = False) -> None:
        try:
            self.client.close()
        finally:
            if self.cluster is not None:
                self.cluster.close()


def make_executor(
    engine: str,
    model: NarrativeModel,
    opts: ChunkOptions,
    workers: int = 1,
    scheduler: str | None = None,
    dedup_path: Path | None = None,
    dask_processes: bool = True,
):
    """The executor for ``engine`` (``"local"`` or ``"dask"``)."""
    if engine == "dask":
        return DaskExecutor(model, opts, workers, scheduler, processes=dask_processes)
    if workers <= 1:
        return SerialExecutor(model, opts, dedup_path)
    return PoolExecutor(model, opts, workers, dedup_path)
