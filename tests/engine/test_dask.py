"""--engine dask gives the labels of the local engine."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

from narratives import InputError, NarrativesError
from narratives.engine import tag_file

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as c:
        yield c


@pytest.mark.parametrize("unit", ["passage", "document"])
def test_dask_engine_equals_local_engine(tmp_path, model, corpus, cluster, unit):
    local, dask = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    s1 = tag_file(corpus, local, model, unit=unit, chunk_rows=7)
    s2 = tag_file(
        corpus,
        dask,
        model,
        unit=unit,
        chunk_rows=7,
        engine="dask",
        scheduler=cluster.scheduler_address,
    )
    a, b = pd.read_parquet(local), pd.read_parquet(dask)
    assert a.astype(str).equals(b.astype(str))
    assert s2.engine == "dask" and (s1.documents, s1.output_rows, s1.frame_counts) == (
        s2.documents,
        s2.output_rows,
        s2.frame_counts,
    )


def test_dask_engine_with_its_own_local_cluster(tmp_path, model, corpus):
    out = tmp_path / "o.parquet"
    s = tag_file(corpus, out, model, chunk_rows=20, engine="dask", workers=1, dask_processes=False)
    assert s.documents == 60 and len(pd.read_parquet(out)) == s.output_rows


def test_dask_errors(tmp_path, model, corpus, monkeypatch):
    with pytest.raises(InputError, match="local engine"):
        tag_file(corpus, tmp_path / "o.parquet", model, engine="dask", dedup=True)
    import dask

    with (
        dask.config.set({"distributed.comm.timeouts.connect": "1s"}),
        pytest.raises(NarrativesError, match="cannot connect"),
    ):
        tag_file(
            corpus, tmp_path / "o.parquet", model, engine="dask", scheduler="tcp://127.0.0.1:1"
        )
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(NarrativesError, match=r"pip install 'narratives\[dask\]'"):
        tag_file(corpus, tmp_path / "o.parquet", model, engine="dask")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl"]
