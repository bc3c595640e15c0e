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


def test_tag_dataframe_over_partitions(tmp_path, model, corpus, cluster):
    import dask.dataframe as dd
    from distributed import Client

    from narratives.engine import parquet_schema, tag_dataframe

    rows = pd.read_json(corpus, lines=True, dtype=False)
    rows.loc[5, "text"] = None  # not a string: a "rejected" row, nothing vanishes
    rows.loc[9, "text"] = "   "  # nothing to tag
    local = tmp_path / "local.parquet"
    tag_file(corpus, local, model)
    want = pd.read_parquet(local)
    with Client(cluster):
        ddf = dd.from_pandas(rows, npartitions=4)
        tagged = tag_dataframe(ddf, model)
        tagged.to_parquet(
            tmp_path / "dask", schema=parquet_schema(tagged, model), write_index=False
        )
    got = pd.read_parquet(tmp_path / "dask")
    assert list(dict.fromkeys(got["id"])) == list(rows["id"])  # input order, every id
    rejected = got[got["flag"].str.startswith("rejected")]
    assert list(rejected["id"]) == ["d0005", "d0009"] and "null" in rejected["flag"].iloc[0]
    keep = ~want["id"].isin(["d0005", "d0009"])
    cols = [
        "id",
        "passage",
        "start",
        "end",
        "text",
        "frames",
        "families",
        "stance",
        "countries",
        "lang",
        "flag",
        "outlet",
    ]
    assert (
        got[got["passage"] >= 0][cols]
        .astype(str)
        .reset_index(drop=True)
        .equals(want[keep][cols].astype(str).reset_index(drop=True))
    )
    docs = tag_dataframe(ddf, model, unit="document").compute(scheduler="sync")
    assert len(docs) == 60 and set(docs.columns) >= {"evidence", "n_passages", "outlet"}
