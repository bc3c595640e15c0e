"""Annotation tools round trip: export -> annotate (edit the files as the tool would) -> import.

Each tool's file is checked against its documented format: Label Studio tasks with
``data``/``predictions`` (``type: choices`` results) and its JSON export with ``annotations``;
Prodigy ``choice`` tasks (``options``, ``accept``, ``answer``); doccano text-classification JSONL
(``text``, ``label`` list, metadata at the top level of its export, next to doccano's own ``id``);
and the spreadsheet CSV.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from narratives.io._annotation_tools import (
    decode_labels,
    encode_labels,
    export_tasks,
    read_annotations,
)

FRAMES = ["artificial_state", "russia_defends", "nazi_smear"]
GOLD = {
    "d1#0": (["artificial_state"], {"artificial_state": "promotes"}),
    "d1#1": ([], {}),
    "d2#0": (
        ["russia_defends", "nazi_smear"],
        {"russia_defends": "promotes", "nazi_smear": "reports"},
    ),
    "d3#0": (["nazi_smear"], {"nazi_smear": "reports"}),
}


def sample_frame() -> pd.DataFrame:
    rows = []
    for k, sid in enumerate(GOLD):
        doc, p = sid.split("#")
        rows.append({
            "sample_id": sid, "id": doc, "passage": int(p), "start": 0, "end": 10, "text": f"text of {sid}",
            "model_frames": ["artificial_state"] if k % 2 == 0 else [], "model_stances": {"artificial_state": "reports"} if k % 2 == 0 else {},
            "scores": {"artificial_state": 0.7, "russia_defends": 0.2, "nazi_smear": 0.1},
            "unit": "passage", "strategy": "validate", "run": "r1", "tags_fingerprint": "fp", "stratum": "none:far",
            "stratum_size": 40, "stratum_sample_size": 4, "inclusion_probability": 0.1, "outlet": "X",
        })  # fmt: skip
    return pd.DataFrame(rows)


def annotate_labelstudio(path):
    tasks = json.loads(path.read_text())
    for k, t in enumerate(tasks):
        frames, stances = GOLD[t["data"]["sample_id"]]
        res = [
            {
                "id": f"r{k}",
                "from_name": "frames",
                "to_name": "text",
                "type": "choices",
                "value": {"choices": frames or ["none"]},
            }
        ]
        for f in frames:
            res.append(
                {
                    "id": f"r{k}{f}",
                    "from_name": f"stance_{f}",
                    "to_name": "text",
                    "type": "choices",
                    "value": {"choices": [stances[f]]},
                }
            )
        t.update(
            id=k + 1,
            annotations=[
                {
                    "id": k + 1,
                    "result": res,
                    "was_cancelled": False,
                    "ground_truth": False,
                    "completed_by": 1,
                }
            ],
        )
    path.write_text(json.dumps(tasks))


def annotate_prodigy(path):
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    for t in lines:
        frames, stances = GOLD[t["narratives"]["sample_id"]]
        t.update(
            accept=encode_labels(frames, stances),
            answer="accept",
            _view_id="choice",
            _input_hash=1,
            _task_hash=2,
        )
    path.write_text("".join(json.dumps(t) + "\n" for t in lines))


def annotate_doccano(path):
    out = []
    for k, t in enumerate(json.loads(x) for x in path.read_text().splitlines()):
        frames, stances = GOLD[t["sample_id"]]
        # doccano's export: its own id, the text, the metadata at top level, label, Comments
        meta = {key: v for key, v in t.items() if key not in ("text", "label")}
        out.append(
            {
                "id": 100 + k,
                "text": t["text"],
                **meta,
                "label": sorted(encode_labels(frames, stances)),
                "Comments": [],
            }
        )
    path.write_text("".join(json.dumps(t) + "\n" for t in out))


def annotate_csv(path):
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    df["labels"] = ["; ".join(encode_labels(*GOLD[s])) for s in df["sample_id"]]
    df.to_csv(path, index=False, quoting=csv.QUOTE_NONNUMERIC)


ANNOTATE = {
    "labelstudio": annotate_labelstudio,
    "prodigy": annotate_prodigy,
    "doccano": annotate_doccano,
    "csv": annotate_csv,
}
NAMES = {
    "labelstudio": "s.labelstudio.json",
    "prodigy": "s.prodigy.jsonl",
    "doccano": "s.doccano.jsonl",
    "csv": "s.csv",
}


@pytest.mark.parametrize("fmt", list(ANNOTATE))
def test_round_trip_gives_the_same_labels(tmp_path, fmt):
    path = tmp_path / NAMES[fmt]
    files = export_tasks(sample_frame(), path, fmt, FRAMES)
    assert path in files
    ANNOTATE[fmt](path)
    ann = read_annotations(path, "auto", FRAMES)
    assert ann.fmt == fmt
    assert not ann.rejects
    got = {
        r["sample_id"]: (list(r["frames"]), dict(r["stances"]))
        for r in ann.frame.to_dict("records")
    }
    assert got == GOLD
    row = ann.frame.set_index("sample_id").loc["d2#0"]
    assert row["stance"] == "promotes"  # derived: promotes if any frame is promoted
    assert float(row["inclusion_probability"]) == 0.1 and str(row["run"]) == "r1"
    assert str(row["id"]) == "d2"


def test_labelstudio_files_follow_the_documented_schema(tmp_path):
    files = export_tasks(sample_frame(), tmp_path / "s.labelstudio.json", "labelstudio", FRAMES)
    tasks = json.loads(files[0].read_text())
    assert isinstance(tasks, list) and all(set(t) == {"data", "predictions"} for t in tasks)
    for t in tasks:
        assert isinstance(t["data"]["text"], str)
        (pred,) = t["predictions"]
        assert pred["model_version"]
        ids = [r["id"] for r in pred["result"]]
        assert len(ids) == len(set(ids))
        for r in pred["result"]:
            assert r["type"] == "choices" and r["to_name"] == "text"
            assert set(r["value"]) == {"choices"} and isinstance(r["value"]["choices"], list)
    cfg = ET.fromstring(files[1].read_text())
    assert cfg.tag == "View"
    choices = {c.get("name"): c for c in cfg.iter("Choices")}
    frames = choices["frames"]
    assert frames.get("choice") == "multiple" and frames.get("toName") == "text"
    assert [c.get("value") for c in frames.iter("Choice")] == ["none", *FRAMES]
    for f in FRAMES:
        st = choices[f"stance_{f}"]
        assert (st.get("visibleWhen"), st.get("whenTagName"), st.get("whenChoiceValue")) == (
            "choice-selected",
            "frames",
            f,
        )
        assert [c.get("value") for c in st.iter("Choice")] == ["promotes", "reports"]
    assert cfg.find("Text").get("value") == "$text"


def test_prodigy_and_doccano_schema(tmp_path):
    p = export_tasks(sample_frame(), tmp_path / "s.prodigy.jsonl", "prodigy", FRAMES)[0]
    for t in map(json.loads, p.read_text().splitlines()):
        assert isinstance(t["text"], str) and t["config"] == {"choice_style": "multiple"}
        ids = [o["id"] for o in t["options"]]
        assert (
            ids[0] == "none"
            and "russia_defends:promotes" in ids
            and "russia_defends:reports" in ids
        )
        assert all(set(o) == {"id", "text"} for o in t["options"])
        assert set(t["accept"]) <= set(ids)  # pre-selected options are options
        assert "answer" not in t
    d = export_tasks(sample_frame(), tmp_path / "s.doccano.jsonl", "doccano", FRAMES)[0]
    for t in map(json.loads, d.read_text().splitlines()):
        assert (
            isinstance(t["text"], str) and t["label"] == []
        )  # no labels: they would count as annotations
        assert "id" not in t and t["doc_id"]  # doccano's export writes its own "id"
        assert t["model_labels"]


def test_blind_export_has_no_model_labels(tmp_path):
    f = export_tasks(
        sample_frame(), tmp_path / "s.labelstudio.json", "labelstudio", FRAMES, predictions=False
    )[0]
    assert all("predictions" not in t for t in json.loads(f.read_text()))
    c = export_tasks(sample_frame(), tmp_path / "s.csv", "csv", FRAMES, predictions=False)[0]
    assert "model_labels" not in pd.read_csv(c).columns


def test_label_codec():
    assert encode_labels([], {}) == ["none"]
    assert decode_labels(["none"], FRAMES) == ([], {})
    assert decode_labels(["nazi_smear"], FRAMES) == (["nazi_smear"], {})  # stance not recorded
    for bad, msg in [([], "empty annotation"), (["foo:promotes"], "not in the taxonomy"),
                     (["none", "nazi_smear:reports"], "together with frames"),
                     (["nazi_smear:promotes", "nazi_smear:reports"], "two stances"),
                     (["nazi_smear:maybe"], "stance must be")]:  # fmt: skip
        with pytest.raises(ValueError, match=msg):
            decode_labels(bad, FRAMES)


def test_bad_annotations_become_rejects(tmp_path):
    path = tmp_path / "s.prodigy.jsonl"
    export_tasks(sample_frame(), path, "prodigy", FRAMES)
    lines = [json.loads(x) for x in path.read_text().splitlines()]
    lines[0].update(accept=["artificial_state:promotes"], answer="accept")
    lines[1].update(accept=["not_a_frame:promotes"], answer="accept")  # outside the taxonomy
    lines[2].update(accept=[], answer="accept")  # empty
    lines[3].update(answer="ignore")  # skipped
    dup = dict(lines[0])  # the same annotation twice
    conflict = dict(lines[0], accept=["nazi_smear:reports"])
    path.write_text("".join(json.dumps(t) + "\n" for t in [*lines, dup]) + "{not json\n")
    ann = read_annotations(path, "prodigy", FRAMES)
    reasons = " | ".join(r.reason for r in ann.rejects)
    assert list(ann.frame["sample_id"]) == ["d1#0"]
    for part in (
        "not in the taxonomy",
        "empty annotation",
        "'ignore'",
        "duplicate annotation",
        "malformed JSON",
    ):
        assert part in reasons, reasons
    path.write_text("".join(json.dumps(t) + "\n" for t in [lines[0], conflict]))
    ann = read_annotations(path, "prodigy", FRAMES)
    assert not len(ann.frame) and all("conflicting" in r.reason for r in ann.rejects)
