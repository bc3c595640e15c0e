"""tag_file: every input and output format, workers, rejects accounting, documents, limits."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from _enginetest import Recorder, make_rows, write_jsonl

import narratives
from narratives import InputError
from narratives.engine import checkpoint_dir, tag_file


def read_out(path: Path) -> pd.DataFrame:
    if path.suffix == ".parquet":
        return pd.read_parquet(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.read_json(path, lines=True, dtype=False)


def rejects(out: Path) -> list[dict]:
    p = out.with_name(out.name + ".rejects.jsonl")
    return [json.loads(line) for line in p.read_text().splitlines()] if p.exists() else []


def norm(df: pd.DataFrame) -> pd.DataFrame:
    """Comparable rows: lists and dicts as JSON strings."""
    out = df.copy()
    for c in out.columns:
        out[c] = [
            json.dumps(v.tolist() if hasattr(v, "tolist") else v, sort_keys=True, default=str)
            for v in out[c]
        ]
    return out.reset_index(drop=True)


# ------------------------------------------------------------------ formats
def _write_input(tmp_path: Path, rows: list[dict], fmt: str) -> Path:
    df = pd.DataFrame(rows)
    if fmt == "jsonl":
        return write_jsonl(tmp_path / "in.jsonl", rows)
    if fmt == "csv":
        df.to_csv(tmp_path / "in.csv", index=False)
        return tmp_path / "in.csv"
    if fmt == "parquet":
        df.to_parquet(tmp_path / "in.parquet", row_group_size=7)
        return tmp_path / "in.parquet"
    folder = tmp_path / ("sem" if fmt == "semeval" else "docs")
    docs = folder / "raw-documents" if fmt == "semeval" else folder
    docs.mkdir(parents=True)
    for r in rows:
        (docs / f"{r['id']}.txt").write_text(r["text"], encoding="utf-8")
    return folder


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet", "txt", "semeval"])
def test_every_input_format_gives_the_labels_of_model_tag(tmp_path, model, fmt):
    rows = make_rows(23, seed=1)
    src = _write_input(tmp_path, rows, fmt)
    out = tmp_path / "out.parquet"
    s = tag_file(src, out, model, chunk_rows=5)
    got = read_out(out)
    ids = [r["id"] + (".txt" if fmt in ("txt", "semeval") else "") for r in rows]
    want = model.tag([r["text"] for r in rows])
    want["id"] = [ids[i] for i in want["id"]]
    assert s.input_rows == s.documents == 23 and s.rejected == 0 and s.output_rows == len(want)
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
    ]
    assert norm(got[cols]).equals(norm(want[cols]))
    if fmt in ("jsonl", "csv", "parquet"):  # input columns ride along
        assert list(got["outlet"].unique()) == ["alpha", "beta", "gamma"]


def test_semeval_predictions(tmp_path, tiny_semeval):
    sem = narratives.train(
        tiny_semeval, params={"classifier__threshold_cv": 2, "classifier__calibration": None}
    )
    out = tmp_path / "pred.txt"
    s = tag_file(tiny_semeval, out, sem, fmt="semeval", chunk_rows=4)
    lines = out.read_text().splitlines()
    assert len(lines) == s.documents == 7 and all(len(line.split("\t")) == 3 for line in lines)
    names = sorted(p.name for p in (tiny_semeval / "raw-documents").iterdir())
    assert [line.split("\t")[0] for line in lines] == names
    assert all(line.split("\t")[1] for line in lines)  # "Other" for a document without labels


def test_semeval_predictions_need_a_semeval_model(tmp_path, model):
    src = _write_input(tmp_path, make_rows(9, seed=2), "semeval")
    out = tmp_path / "pred.txt"
    with pytest.raises(InputError, match="need a model trained on SemEval's labels"):
        tag_file(src, out, model, fmt="semeval")
    assert not out.exists()


@pytest.mark.parametrize("ext", ["parquet", "jsonl", "csv"])
def test_output_formats_hold_the_same_rows(tmp_path, model, corpus, ext):
    ref = tmp_path / "ref.jsonl"
    tag_file(corpus, ref, model, chunk_rows=7)
    out = tmp_path / f"out.{ext}"
    tag_file(corpus, out, model, chunk_rows=7)
    a, b = read_out(ref), read_out(out)
    assert list(a["id"]) == list(b["id"]) and list(a["passage"].astype(int)) == list(
        b["passage"].astype(int)
    )
    assert list(a.columns) == list(b.columns)
    if ext == "parquet":
        import pyarrow.parquet as pq

        schema = pq.read_schema(out)
        assert str(schema.field("frames").type) == "list<element: string>"
        assert schema.field("scores").type.num_fields == len(model.pipeline.classifier.fine_labels_)
        assert pq.ParquetFile(out).metadata.num_row_groups == 9  # one row group per chunk
    if ext == "csv":
        assert list(b["frames"]) == [";".join(f) for f in a["frames"]]


def test_output_is_in_input_order_and_no_checkpoint_is_left(tmp_path, model, corpus):
    out = tmp_path / "out.parquet"
    s = tag_file(corpus, out, model, chunk_rows=4)
    got = read_out(out)
    order = list(dict.fromkeys(got["id"]))
    assert order == [f"d{i:04d}" for i in range(60)]
    assert all((g["passage"].diff().dropna() == 1).all() for _, g in got.groupby("id"))
    assert not checkpoint_dir(out).exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl", "out.parquet"]
    assert s.chunks == 15 and s.output_rows == len(got)


# ------------------------------------------------------------------ workers
@pytest.mark.parametrize("unit", ["passage", "document"])
def test_two_workers_give_the_same_output_as_one(tmp_path, model, corpus, unit):
    one, two = tmp_path / "one.parquet", tmp_path / "two.parquet"
    s1 = tag_file(corpus, one, model, unit=unit, chunk_rows=4)
    s2 = tag_file(corpus, two, model, unit=unit, chunk_rows=4, workers=2)
    assert norm(read_out(one)).equals(norm(read_out(two)))
    assert (
        s2.workers == 2 and s1.frame_counts == s2.frame_counts and s1.output_rows == s2.output_rows
    )


# ------------------------------------------------------------------ rejects accounting
@pytest.mark.parametrize("unit", ["passage", "document"])
def test_output_ids_plus_rejected_ids_are_the_input_ids(tmp_path, model, unit):
    good = make_rows(30, seed=3)
    lines = [json.dumps(r) for r in good]
    lines.insert(3, '{"id": "broken", "text": ')  # malformed: no id can be read
    lines.insert(8, json.dumps({"id": "null", "text": None}))
    lines.insert(12, json.dumps({"id": "num", "text": 7}))
    lines.insert(15, json.dumps({"id": "empty", "text": "  \n "}))
    lines.insert(
        20, json.dumps({"id": "d0001", "text": "A second row with an id seen before, in Riga."})
    )
    lines.insert(25, "[1, 2]")
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.jsonl"
    s = tag_file(src, out, model, unit=unit, chunk_rows=6)
    rej = rejects(out)
    got = read_out(out).drop_duplicates("id")  # documents, not passages
    assert "d0001#2" in set(got["id"])  # the repeated id was made unique
    # the input id of each document: its id, or the id it had before it was made unique
    input_of = got["id_input"].where(got["id_input"].notna(), got["id"]).astype(str)
    out_ids = Counter(input_of.tolist())
    assert out_ids["d0001"] == 2
    # every readable input id is in the output or in the rejects; unreadable rows by line number
    input_ids = Counter(r["id"] for r in good) + Counter(["null", "num", "empty", "d0001"])
    rej_ids = Counter(r["id"] for r in rej if r["id"] is not None)
    assert set(out_ids) | set(rej_ids) == set(input_ids)
    assert sorted(r["row"] for r in rej if r["id"] is None) == [4, 26]
    assert s.input_rows == len(lines) == s.documents + s.rejected
    assert s.rejected == len(rej) == (5 if unit == "passage" else 4)  # an empty text is a document
    assert s.duplicate_ids == 1
    assert len(read_out(out)) == s.output_rows


def test_only_rejects_gives_an_empty_output_with_columns(tmp_path, model):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": null}\n{"id": "b", "text": 5}\n')
    out = tmp_path / "out.parquet"
    s = tag_file(src, out, model)
    df = read_out(out)
    assert len(df) == 0 and "frames" in df.columns and s.rejected == 2 and s.documents == 0


def test_input_columns_that_vary_between_chunks_are_united(tmp_path, model):
    rows = [
        {"id": "a", "text": "Riga is calm."},
        {"id": "b", "text": "Riga is calm.", "outlet": "x"},
        {"id": "c", "text": "Riga.", "frames": "gold"},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    for ext in ("parquet", "csv"):
        out = tmp_path / f"out.{ext}"
        tag_file(src, out, model, chunk_rows=1)
        df = read_out(out)
        assert {"outlet", "frames_input"} <= set(df.columns)
        assert df.set_index("id")["outlet"].replace("", None).isna().tolist() == [True, False, True]


def test_a_stale_rejects_file_is_removed(tmp_path, model, corpus):
    out = tmp_path / "out.jsonl"
    stale = tmp_path / "out.jsonl.rejects.jsonl"
    stale.write_text('{"id": "old", "row": 1, "reason": "text is missing (null)", "source": "x"}\n')
    s = tag_file(corpus, out, model)
    assert s.rejects is None and not stale.exists()


# ------------------------------------------------------------------ documents, limits, progress
def test_document_unit_keeps_max_score_and_evidence_passage(tmp_path, model, corpus):
    p, d = tmp_path / "p.parquet", tmp_path / "d.parquet"
    tag_file(corpus, p, model, unit="passage")
    tag_file(corpus, d, model, unit="document")
    passages, docs = read_out(p), read_out(d)
    assert len(docs) == 60 and list(docs["id"]) == [f"d{i:04d}" for i in range(60)]
    framed = 0
    for _, doc in docs.iterrows():
        ps = passages[passages["id"] == doc["id"]]
        assert doc["n_passages"] == len(ps)
        ev = {k: v for k, v in doc["evidence"].items() if v is not None}
        for frame, idx in ev.items():
            framed += 1
            row = ps[ps["passage"] == idx].iloc[0]
            assert row["scores"][frame] == pytest.approx(
                max(s[frame] for s in ps["scores"] if s and s[frame] is not None)
            )
            assert doc["scores"][frame] == pytest.approx(row["scores"][frame])
    assert framed > 0


def test_max_chars_truncates_and_reports(tmp_path, model):
    rows = [
        {"id": "long", "text": "Riga is calm today. " * 200},
        {"id": "short", "text": "Riga is calm."},
    ]
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    out = tmp_path / "out.parquet"
    s = tag_file(src, out, model, max_chars=300)
    df = read_out(out)
    assert s.truncated == 1 and df["end"].max() <= 300
    assert df[df["id"] == "long"]["flag"].iloc[-1] == "truncated"
    assert model.pipeline.named_steps["preprocess"].max_chars == 2_000_000  # restored


def test_progress_is_reported_per_chunk(tmp_path, model, corpus):
    rec = Recorder()
    tag_file(corpus, tmp_path / "o.jsonl", model, chunk_rows=10, progress=rec)
    kinds = [e[0] for e in rec.events]
    assert kinds[0] == "start" and kinds[-1] == "finish"
    assert sum(e[1] for e in rec.events if e[0] == "advance") == 60
    assert ("total", 60) in rec.events or kinds.count("total") == 0  # counted in the background


def test_bad_options(tmp_path, model, corpus):
    from narratives import InputError

    with pytest.raises(InputError, match="unit"):
        tag_file(corpus, tmp_path / "o.jsonl", model, unit="sentence")
    with pytest.raises(InputError, match="exclude"):
        tag_file(corpus, tmp_path / "o.jsonl", model, resume=True, restart=True)
    with pytest.raises(InputError, match="output format"):
        tag_file(corpus, tmp_path / "o.xlsx", model)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corpus.jsonl"]


# ------------------------------------------------------------------ repeated ids
def _repeated_id_rows() -> list[dict]:
    """40 rows drawing on 7 ids (repeats in later chunks too), a real id "d1#2" that a made-up
    suffix could take, and unusable ids (row-N) next to real numeric ids."""
    rows = make_rows(40, seed=5)
    for i, r in enumerate(rows):
        r["id"] = f"d{i % 7}"
    rows[30]["id"] = "d1#2"
    rows[3]["id"] = [1]  # line 4 -> row-4
    rows[5]["id"] = 4  # a real id 4: not the replacement of line 4
    rows[6]["id"] = "row-4"  # a real id that is the replacement: made unique too
    return rows


@pytest.mark.parametrize("unit", ["passage", "document"])
def test_repeated_ids_are_unique_across_chunks_workers_and_dedup(tmp_path, model, unit):
    """Every input row keeps its own, unique document id: the first row with an id keeps it,
    later ones get #2, #3 ... in input order, whatever the chunking, the workers or --dedup;
    id_input holds the input id of a renamed row. No row is dropped."""
    rows = _repeated_id_rows()
    src = write_jsonl(tmp_path / "in.jsonl", rows)
    outs = {}
    for name, kw in {
        "one": {"chunk_rows": 500},
        "chunks": {"chunk_rows": 3},
        "workers": {"chunk_rows": 3, "workers": 2},
        "dedup": {"chunk_rows": 4, "workers": 2, "dedup": True},
    }.items():
        out = tmp_path / f"{name}.jsonl"
        s = tag_file(src, out, model, unit=unit, **kw)
        assert s.input_rows == 40 and s.documents == 40 and s.rejected == 0, name
        outs[name] = read_out(out)
    first = outs.pop("one")
    for name, got in outs.items():
        assert got["id"].tolist() == first["id"].tolist(), name
        assert got["id_input"].tolist() == first["id_input"].tolist(), name
    docs = first.drop_duplicates("id")
    assert len(docs) == 40  # 40 documents, 40 distinct ids
    assert docs["id"].is_unique
    ids = docs["id"].tolist()
    assert ids[:8] == ["d0", "d1", "d2", "row-4", "d4", "4", "row-4#2", "d0#2"]
    assert ids[30] == "d1#2#2"  # the real "d1#2" came after d1's second row had taken "d1#2"
    # the input id of each document: id_input when it was renamed, else its id
    inp = docs["id_input"].where(docs["id_input"].notna(), docs["id"]).tolist()
    want = [str(r["id"]) if not isinstance(r["id"], list) else "row-4" for r in rows]
    assert inp == want
    assert s.duplicate_ids == sum(docs["id_input"].notna())


def test_an_input_column_named_id_input_is_kept(tmp_path, model):
    rows = [{"id": "a", "text": "Riga is calm.", "id_input": "x"}] * 2
    out = tmp_path / "out.jsonl"
    tag_file(write_jsonl(tmp_path / "in.jsonl", rows), out, model, unit="document")
    got = read_out(out)
    assert got["id"].tolist() == ["a", "a#2"]
    assert got["id_input"].tolist() == ["x", "x"]
    assert got["id_input_input"].tolist()[1] == "a"
