"""The ``narratives`` spaCy component: doc.cats, doc.spans, doc._.narratives, the entry point,
batching in nlp.pipe, pipelines with other components, saving and loading, the README example."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import spacy
from spacy.language import Language
from spacy.tokens import DocBin
from spacy.ty import ListenedToComponent

import narratives
from narratives.spacy_component import NarrativesComponent

ROOT = Path(__file__).resolve().parents[1]

TEXTS = [
    "Kazakhstan is an artificial state that Lenin drew on a map. It owes its existence to Moscow.\n\n"
    "NATO expansion left Russia no choice but to defend itself against the West.",
    "Heavy rain flooded streets in Riga and delayed trams.",
    "",
    "   \n\n  ",
    "Ukraine was never a real country, just a Soviet invention.",
    "State TV claimed that Kazakhstan is an artificial state, a narrative analysts call false.",
    "Finland will be a legitimate target for nuclear strikes, warned the pundit. "
    "If the Baltics keep provoking us, they will be next and turned into ash.",
]


@Language.component("test_merge_pairs")
def merge_pairs(doc):
    """Merge every two tokens into one, so passage boundaries fall inside tokens."""
    with doc.retokenize() as retokenizer:
        for i in range(0, len(doc) - 1, 2):
            retokenizer.merge(doc[i : i + 2])
    return doc


@Language.component("test_marker")
def marker(doc):
    doc.user_data["marked"] = True
    return doc


def expected(model, texts):
    """What model.tag says: passage spans (doc, start, end, frame), document scores, frames."""
    passages = model.tag(texts)
    documents = model.tag(texts, unit="document")
    none = model.taxonomy.none_label
    spans = sorted(
        (int(r.id), int(r.start), int(r.end), f)
        for r in passages.itertuples()
        for f in r.frames
        if f != none
    )
    return spans, documents


def run_python(code: str, cwd: Path) -> dict:
    """Run ``code`` in a fresh interpreter; its last line of output, as JSON."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def observed_spans(docs):
    return sorted(
        (d, s.start_char, s.end_char, s.label_)
        for d, doc in enumerate(docs)
        for s in doc.spans["narratives"]
    )


# ----------------------------------------------------------------- registration
def test_the_entry_point_names_the_factory():
    eps = {ep.name: ep for ep in entry_points(group="spacy_factories")}
    assert "narratives" in eps, "reinstall: .venv/bin/pip install -e . --no-deps"
    assert eps["narratives"].value == "narratives.spacy_component:make_narratives"
    assert eps["narratives"].load().__name__ == "make_narratives"


def test_a_fresh_interpreter_finds_the_component_without_importing_narratives(tiny_model_dir):
    """spaCy reads the entry point itself; a pipeline needs no `import narratives`, and creating
    a pipeline does not load narratives' heavy modules."""
    code = textwrap.dedent(
        f"""
        import json, sys
        import spacy
        nlp = spacy.blank("en")
        loaded = sorted(m for m in sys.modules if m.startswith("narratives"))
        nlp.add_pipe("narratives", config={{"model": {str(tiny_model_dir)!r}}})
        doc = nlp("Ukraine was never a real country, just a Soviet invention.")
        print(json.dumps({{"loaded": loaded, "frames": doc._.narratives["frames"],
                           "spans": [s.label_ for s in doc.spans["narratives"]]}}))
        """
    )
    res = run_python(code, ROOT)
    assert "artificial_state" in res["frames"] and "artificial_state" in res["spans"]
    assert "narratives._model" not in res["loaded"] and "narratives._api" not in res["loaded"]


# ---------------------------------------------------------------------- blank:en
@pytest.fixture(scope="module")
def blank_nlp(tiny_model_dir):
    nlp = spacy.blank("en")
    nlp.add_pipe("narratives", config={"model": str(tiny_model_dir)})
    return nlp


def test_blank_pipeline_fills_cats_spans_and_the_extension(blank_nlp, tiny_model):
    docs = [blank_nlp(t) for t in TEXTS]
    spans, documents = expected(tiny_model, TEXTS)
    assert observed_spans(docs) == spans and spans  # the spans are the passage rows' frames
    fine = tiny_model.taxonomy.fine_labels
    for doc, row in zip(docs, documents.itertuples(), strict=True):
        assert list(doc.cats) == fine  # every frame, like a textcat
        assert doc.cats == row.scores
        ext = doc._.narratives
        assert ext["frames"] == [f for f in row.frames if f != "none"]
        assert ext["stances"] == row.stances and ext["stance"] == row.stance
        assert set(ext["evidence"]) == set(ext["frames"])
        for frame, ev in ext["evidence"].items():
            assert ev["passage"] == row.evidence[frame]
            assert doc.text[ev["start"] : ev["end"]].strip()
            assert 0 <= ev["score"] <= 1 and ev["passage"] in ev["passages"]
        assert [p["passage"] for p in ext["passages"]] == list(range(len(ext["passages"])))
    first = docs[0]._.narratives
    assert first["stances"].get("artificial_state") == "promotes"
    assert docs[2]._.narratives["flag"] == "empty" and not docs[2]._.narratives["passages"]
    assert docs[2].cats and not list(docs[2].spans["narratives"])


def test_a_passage_with_two_frames_gives_one_span_per_frame(blank_nlp):
    doc = blank_nlp(TEXTS[6])
    by_offsets: dict[tuple[int, int], list[str]] = {}
    for s in doc.spans["narratives"]:
        by_offsets.setdefault((s.start_char, s.end_char), []).append(s.label_)
    passages = {(p["start"], p["end"]): p["frames"] for p in doc._.narratives["passages"]}
    assert by_offsets == {k: v for k, v in passages.items() if v}
    assert any(len(v) > 1 for v in by_offsets.values()), by_offsets


def test_nlp_pipe_calls_the_model_once_per_batch(tiny_model_dir, monkeypatch):
    nlp = spacy.blank("en")
    comp = nlp.add_pipe("narratives", config={"model": str(tiny_model_dir)})
    calls = []
    segment = comp.narratives_model.segment
    monkeypatch.setattr(
        comp.narratives_model,
        "segment",
        lambda texts, lang=None: calls.append(len(texts)) or segment(texts),
    )
    docs = list(nlp.pipe(TEXTS * 3, batch_size=8))
    assert calls == [8, 8, 5]
    one_by_one = [nlp(t) for t in TEXTS * 3]
    assert observed_spans(docs) == observed_spans(one_by_one)
    assert [d.cats for d in docs] == [d.cats for d in one_by_one]
    assert [d._.narratives for d in docs] == [d._.narratives for d in one_by_one]


# ----------------------------------------------------------- with other components
def test_with_a_sentencizer_and_a_retokenizing_component_before_it(tiny_model_dir, tiny_model):
    """Labels come from doc.text, whatever the pipeline did to the tokens; span offsets are
    expanded to the Doc's tokens."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("test_marker")
    nlp.add_pipe("test_merge_pairs")
    nlp.add_pipe("narratives", config={"model": str(tiny_model_dir)})
    assert nlp.pipe_names[-1] == "narratives"
    docs = list(nlp.pipe(TEXTS))
    spans, documents = expected(tiny_model, TEXTS)
    got = sorted(
        (d, s.start_char, s.end_char, s.label_, s.start, s.end)
        for d, doc in enumerate(docs)
        for s in doc.spans["narratives"]
    )
    assert len(got) == len(spans)
    for (d, start, end, frame), (d2, s_start, s_end, label, t0, t1) in zip(spans, got, strict=True):
        doc = docs[d]
        assert (d, frame) == (d2, label)
        assert s_start <= start and s_end >= end  # expanded to whole tokens
        assert doc[t0:t1].start_char == s_start and doc[t0:t1].end_char == s_end
        assert s_start == doc[t0].idx  # starts on a token of this Doc
    assert any(
        s_start < start or s_end > end
        for (_, start, end, _), (_, s_start, s_end, *_) in zip(spans, got, strict=True)
    )
    assert all(doc.user_data["marked"] for doc in docs)
    assert [d.cats for d in docs] == list(documents["scores"])
    assert len(list(docs[0].sents)) >= 2  # the sentencizer ran and nothing undid it


def test_a_statistical_pipeline_saved_with_the_component_loads_elsewhere(tiny_model_dir, tmp_path):
    """A trained (tagger) pipeline with the component, saved: spacy.load in a fresh interpreter
    gets the factory from the entry point and the model from the saved pipeline (the original
    model directory is gone)."""
    model_dir = tmp_path / "my-model"
    shutil.copytree(tiny_model_dir, model_dir)
    nlp = spacy.blank("en")
    tagger = nlp.add_pipe("tagger")
    for tag in ("NN", "VB", "DT"):
        tagger.add_label(tag)
    nlp.initialize()
    nlp.add_pipe("narratives", config={"model": str(model_dir)})
    text = "Ukraine was never a real country, just a Soviet invention."
    before = nlp(text)
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(model_dir)
    assert (tmp_path / "pipeline" / "narratives" / "model" / "manifest.json").is_file()
    code = textwrap.dedent(
        f"""
        import json, spacy
        nlp = spacy.load({str(tmp_path / "pipeline")!r})
        doc = nlp({text!r})
        print(json.dumps({{"pipes": nlp.pipe_names, "cats": doc.cats,
                           "ext": doc._.narratives, "tags": [t.tag_ for t in doc]}}))
        """
    )
    res = run_python(code, tmp_path)
    assert res["pipes"] == ["tagger", "narratives"]
    assert res["cats"] == before.cats and res["ext"] == before._.narratives
    assert all(res["tags"])  # the statistical component still runs


def test_the_default_model_is_not_copied_into_a_saved_pipeline(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("narratives")
    nlp.to_disk(tmp_path / "p")
    assert not (tmp_path / "p" / "narratives" / "model").exists()
    again = spacy.load(tmp_path / "p")
    assert again.get_pipe("narratives").model_ref == "default"


def test_extension_survives_docbin(blank_nlp):
    docs = list(blank_nlp.pipe(TEXTS[:2]))
    data = DocBin(docs=docs, store_user_data=True).to_bytes()
    back = list(DocBin(store_user_data=True).from_bytes(data).get_docs(blank_nlp.vocab))
    # msgpack gives lists back as tuples
    assert json.dumps([d._.narratives for d in back]) == json.dumps([d._.narratives for d in docs])
    assert observed_spans(back) == observed_spans(docs)
    assert [d.cats for d in back] == [d.cats for d in docs]


def test_a_missing_model_fails_on_first_use_with_the_models_error(tmp_path):
    """Adding the component, and spaCy's protocol checks on it, load nothing (a saved pipeline
    brings its own copy of the model, read by from_disk after the factory ran)."""
    nlp = spacy.blank("en")
    comp = nlp.add_pipe("narratives", config={"model": str(tmp_path / "nope")})
    nlp.add_pipe("sentencizer", first=True)  # links the components again
    assert not isinstance(comp, ListenedToComponent) and comp._model is None
    with pytest.raises(narratives.ModelNotFoundError):
        nlp("text")


def test_config_is_validated():
    nlp = spacy.blank("en")
    with pytest.raises(Exception, match="lang"):
        nlp.add_pipe("narratives", config={"lang": 3})


def test_component_reuses_a_loaded_model(tiny_model):
    comp = NarrativesComponent(model="unused")
    comp._model = tiny_model
    doc = comp(spacy.blank("en")(TEXTS[4]))
    assert "artificial_state" in doc._.narratives["frames"]


# ----------------------------------------------------------------- default model
def test_default_model_on_a_russian_text():
    """The default model tags Russian once it is rebuilt with the Russian corpus; until then the
    text is flagged as a language the model does not tag, with no frame and no span."""
    nlp = spacy.blank("ru")
    comp = nlp.add_pipe("narratives")
    text = (
        "Казахстан — искусственное государство, которое обязано своим существованием Москве. "
        "Ленин нарисовал его границы на карте, а до советской власти такого государства не было."
    )
    doc = nlp(text)
    ext = doc._.narratives
    assert ext["lang"] == "ru"
    if "ru" in comp.narratives_model.languages:
        assert "artificial_state" in ext["frames"]
        assert "artificial_state" in [s.label_ for s in doc.spans["narratives"]]
        assert doc.cats["artificial_state"] >= 0.5
    else:
        assert ext["flag"] == "unsupported_language"
        assert ext["frames"] == [] and not list(doc.spans["narratives"])
        assert all(p["flag"] == "unsupported_language" for p in ext["passages"])


# ---------------------------------------------------------------------- README
def readme_section(title: str) -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## )", text, re.S | re.M)
    assert m, f"README has no section {title!r}"
    return m.group(1)


def test_the_readme_spacy_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", readme_section("Use from spaCy"), re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "README.md (Use from spaCy)", "exec"), {})
