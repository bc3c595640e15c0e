"""Every fast path against its plain version on realistic shapes (issue 12).

Shapes: the bundled taxonomy (13 frames) and a SemEval-sized one (94 fine / 22 coarse labels,
built here with ``Taxonomy.from_dict``), pipelines trained on small synthetic data (the shapes
matter, not the accuracy), batches of more than 1,000 rows, a long document (more than 200
passages) and empty documents. Each test compares the library's fast path with a plain reference
written here (or the library's own plain path) for exact equality, or to 1e-12 where the two
compute the same floating-point expression in a different order.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.special import expit

from narratives import make_pipeline
from narratives._internal.schema import PASSAGE_COLUMNS
from narratives._rows import build_rows
from narratives._taxonomy import Taxonomy
from narratives.features._transform import _char_wb_transform, _fast_word_path, _word_transform
from narratives.io._sizes import _count_lines
from narratives.model import Decision
from narratives.model._deciding import _proba_one
from narratives.model._stance import pair_matrix
from narratives.preprocessing import _language, guess_language, normalize
from narratives.preprocessing import _normalize as nz
from narratives.preprocessing import _segmenter as pp
from narratives.preprocessing._spacy import load_gazetteer

N_FINE, N_COARSE = 94, 22
N_BATCH = 1_050
LONG_PARAGRAPHS = 240

_FILLER = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "that",
    "it",
    "was",
    "for",
    "on",
    "are",
    "with",
    "as",
    "his",
    "they",
    "be",
    "at",
    "one",
    "have",
    "this",
    "from",
    "or",
    "had",
    "by",
    "but",
    "some",
    "what",
    "there",
    "we",
    "can",
    "out",
    "other",
    "were",
    "all",
    "your",
    "when",
    "up",
    "use",
    "word",
    "how",
    "said",
    "an",
    "each",
    "she",
    "which",
    "do",
    "their",
    "time",
    "if",
    "will",
    "way",
    "about",
    "many",
    "then",
    "them",
    "would",
    "write",
    "like",
    "so",
    "these",
    "her",
    "long",
    "make",
]
_PLACES = ["Kazakhstan", "Ukraine", "Russia", "Moscow", "Kyiv", "Belarus", "Georgia", "NATO"]
_ODD = [
    "<p>Kyiv&nbsp;\u2014 \u201cfake\u201d  state</p>",
    "caf\u00e9 e\u0301clair \u00abdeal\u00bb \u2013 ok&hellip;\u200b",
    "\u041c\u043e\u0441\u043a\u0432\u0430 \u043f\u0440\u0438\u0432\u0435\u0442",
    "https://example.org/x?y=1 and 1,000 or 3.5%",
    "&amp;&lt;tag&gt; <br/> tabs\t\tand   spaces\r\n\r\n\r\n",
    "\U0001f1fa\U0001f1e6 emoji\u2026 don't can't",
]


def _topic(j: int) -> list[str]:
    """Three made-up words that belong to label ``j`` (letters only, never numbers)."""
    a = "abcdefghijklmnopqrstuvwxyz"
    return [f"{p}{a[j % 26]}{a[(j // 26) % 26]}ex" for p in ("zor", "vel", "quam")]


def _sentence(rng: np.random.Generator, labels: list[int], n: int = 12) -> str:
    words = list(rng.choice(_FILLER, n))
    for j in labels:
        words += _topic(j)[: int(rng.integers(1, 4))]
    words.append(str(rng.choice(_PLACES)))
    rng.shuffle(words)
    return " ".join(words).capitalize() + str(rng.choice([".", "!", "?", "."]))


def _semeval_sized_taxonomy() -> Taxonomy:
    fams = [f"F{c:02d}: family {c}" for c in range(N_COARSE)]
    frames = [
        {
            "id": f"{fams[j % N_COARSE]}: sub {j:02d}",
            "family": fams[j % N_COARSE],
            "cues": [" ".join(_topic(j)[:2])],
        }
        for j in range(N_FINE)
    ]
    return Taxonomy.from_dict(
        {
            "name": "semeval-sized",
            "none_label": "Other",
            "families": {f: {"name": f} for f in fams},
            "frames": frames,
        }
    )


def _training(tax: Taxonomy, seed: int) -> tuple[list[str], list[list[str]], list[dict]]:
    rng = np.random.default_rng(seed)
    labels = tax.fine_labels
    texts, frames, stances = [], [], []
    for j in range(len(labels)):
        for r in range(2):
            extra = [int(rng.integers(len(labels)))] if r == 1 else []
            js = sorted({j, *extra})
            texts.append(" ".join(_sentence(rng, js) for _ in range(2)))
            frames.append([labels[i] for i in js])
            stances.append({labels[i]: ("promotes" if (i + r) % 2 else "reports") for i in js})
    for _ in range(30):
        texts.append(" ".join(_sentence(rng, []) for _ in range(2)))
        frames.append([])
        stances.append({})
    return texts, frames, stances


def _batch(n_labels: int, seed: int) -> list[str]:
    """``N_BATCH`` short documents: labelled-looking, label-free, odd characters, empty."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(N_BATCH):
        k = int(rng.integers(0, 3))
        js = [int(x) for x in rng.integers(0, n_labels, k)]
        text = " ".join(
            _sentence(rng, js, int(rng.integers(0, 20))) for _ in range(rng.integers(1, 3))
        )
        if i % 37 == 0:
            text = _ODD[i % len(_ODD)] + " " + text
        out.append(text)
    out[5], out[6], out[7] = "", "   ", "\n\n"
    return out


def _long_document(n_labels: int, seed: int) -> str:
    """More than 200 passages: paragraphs of 1-3 sentences, headings, blank-line runs."""
    rng = np.random.default_rng(seed)
    paras = []
    for i in range(LONG_PARAGRAPHS):
        js = [int(rng.integers(n_labels))] if i % 3 == 0 else []
        paras.append(" ".join(_sentence(rng, js) for _ in range(int(rng.integers(1, 4)))))
    return "\n\n".join(paras)


@pytest.fixture(scope="module", params=["default", "semeval_sized"])
def shaped(request, tiny_df):
    """(pipeline with per-frame stance head, batch texts, long document) for one taxonomy."""
    if request.param == "default":
        tax = Taxonomy.default()
        texts, frames = tiny_df["text"].tolist(), tiny_df["frames"].tolist()
        stance = tiny_df["stance"].tolist()
    else:
        tax = _semeval_sized_taxonomy()
        texts, frames, stance = _training(tax, 0)
    pipe = make_pipeline(tax, classifier__threshold_cv=2, features__char_ngrams=True)
    pipe.fit(texts, frames, stance=stance)
    n = len(tax.fine_labels)
    batch, long_doc = _batch(n, 1), _long_document(n, 2)
    # every passage of the batch and of the long document, plus whole documents (empty ones too)
    segs = pipe.named_steps["preprocess"].segment([*batch, long_doc])
    processed = [p.processed for s in segs for p in s.passages] + [s.document for s in segs]
    return pipe, batch, long_doc, segs, processed


def test_shapes(shaped):
    pipe, batch, _, segs, _ = shaped
    assert len(batch) >= 1000
    assert len(segs[-1].passages) >= 200
    clf = pipe.classifier
    assert clf.calibration == "oof_sigmoid" and clf.stance_estimator_ is not None
    # the per-frame stance head: shared weights plus one bias per frame
    assert clf.stance_estimator_.coef_.shape[1] == clf.n_features_in_ + len(clf.fine_labels_)


# ----------------------------------------------------------------------------- model scores
def test_scores_equal_each_models_own(shaped):
    """NarrativeClassifier._scores (one sparse product for every label model, its oof_sigmoid
    calibrator and the per-frame stance head) against each model's own arithmetic."""
    pipe, _, _, _, processed = shaped
    clf = pipe.classifier
    X = sp.csr_matrix(pipe.named_steps["features"].transform(processed))
    assert X.shape[0] >= 1000
    cols = []
    for j, est in enumerate(clf.estimators_):
        a, b = clf.calibrators_[j]
        if np.isnan(a):
            cols.append(_proba_one(est, X))  # stand-ins: no positive, or constant
        else:
            cols.append(expit(-(a * est.decision_function(X) + b)))
    expected = np.column_stack(cols)
    got = clf.predict_proba_all(X)
    assert got.shape == expected.shape
    assert np.allclose(got, expected, rtol=0, atol=1e-12)

    dec = clf.decide(X)
    nf = len(clf.fine_labels_)
    rows = np.arange(X.shape[0])
    for j in range(nf):
        own = clf.stance_estimator_.predict_proba(pair_matrix(X, rows, np.full(len(rows), j), nf))
        assert np.allclose(dec.stance_frames[:, j], own[:, 1], rtol=0, atol=1e-12)
    # label lists from the 0/1 decisions, as a plain loop builds them
    none = clf.none_label_
    plain = [[clf.fine_labels_[j] for j in np.flatnonzero(r)] or [none] for r in dec.fine]
    assert dec.frames == plain
    assert dec.families == [
        [clf.coarse_labels_[j] for j in np.flatnonzero(r)] or [none] for r in dec.coarse
    ]
    # no rows at all
    empty = clf.predict_proba_all(sp.csr_matrix((0, X.shape[1])))
    assert empty.shape == (0, len(clf.estimators_))
    assert len(clf.decide(sp.csr_matrix((0, X.shape[1])))) == 0


# ----------------------------------------------------------------------------- features
def test_word_and_char_tfidf_equal_sklearn(shaped):
    """Word TF-IDF counted by the sparse constructor, and character n-grams as one product from a
    word cache, against the fitted vectorizers' own transform (sklearn's analyzers)."""
    pipe, _, _, _, processed = shaped
    feats = pipe.named_steps["features"]
    tokens = [p.tokens or "<empty>" for p in processed] + ["", "<empty>"]
    assert _fast_word_path(feats.word_)
    expected = feats.word_.transform(tokens)
    got = _word_transform(feats.word_, tokens)
    for a, b in ((got, expected),):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert np.array_equal(a.indptr, b.indptr)
        assert np.array_equal(a.indices, b.indices)
        assert np.array_equal(a.data, b.data)
    texts = [p.text.lower() for p in processed] + ["", "   "]
    expected = feats.char_.transform(texts)
    for _ in range(2):  # cold, then from the word cache
        got = _char_wb_transform(feats.char_, texts)
        assert got.shape == expected.shape
        assert np.array_equal(got.indptr, expected.indptr)
        assert np.array_equal(got.indices, expected.indices)
        assert np.array_equal(got.data, expected.data)


# ----------------------------------------------------------------------------- preprocessing
def test_blank_pipeline_fast_path_equals_spacy_components(shaped, monkeypatch):
    """Preprocessor.segment with LookupForms (sentence starts and lookup lemmas from token ids)
    against the spaCy components (line breaks, sentencizer, lemmatizer)."""
    pipe, batch, long_doc, segs, _ = shaped
    pre = pipe.named_steps["preprocess"]
    texts = [*batch, long_doc]
    fast = segs
    with monkeypatch.context() as m:
        m.setattr(pp, "_lookup_forms", lambda *a: None)
        slow = pre.segment(texts)
    assert fast == slow


def test_normaliser_equals_the_alternation_without_its_lookahead(shaped, monkeypatch):
    """The normaliser's leading lookahead only lets the scan skip characters: the plain
    alternation gives the same text and offset map."""
    _, batch, long_doc, _, _ = shaped
    pattern = nz._SPECIAL.pattern
    assert pattern.startswith("(?=[")
    plain = pattern[pattern.index("])(?:") + 2 :]
    texts = [*batch, long_doc, "", *_ODD, "\r\n\r\n\r\n", "&#x41;&#0;&bogus;"]
    fast = [normalize(t) for t in texts]
    with monkeypatch.context() as m:
        m.setattr(nz, "_SPECIAL", __import__("re").compile(plain, nz._SPECIAL.flags))
        slow = [normalize(t) for t in texts]
    assert fast == slow


def test_paragraph_breaks_by_bisection_equal_a_scan(shaped):
    """The paragraph-break test (bisection over the blank lines) against the plain scan it
    replaced, on the line structure of the long document and the batch, and in place: every
    passage of the long document is exactly one paragraph (each has 1-3 sentences, so a missed
    break would merge paragraphs)."""
    import bisect

    _, batch, long_doc, segs, _ = shaped
    for text in [long_doc, *batch[:200]]:
        lines = normalize(text).text.split("\n")
        breaks = [i for i, line in enumerate(lines) if pp.classify_line(line) == "blank"]
        for prev in range(-1, len(lines)):
            for li in range(max(prev, 0), min(len(lines), prev + 8)):
                fast = prev >= 0 and bisect.bisect_right(breaks, prev) < bisect.bisect_left(
                    breaks, li
                )
                assert fast == (any(prev < k < li for k in set(breaks)) if prev >= 0 else False)
    seg = segs[-1]
    starts, pos = [], 0
    for para in long_doc.split("\n\n"):
        starts.append((pos, pos + len(para)))
        pos += len(para) + 2
    assert [(p.start, p.end) for p in seg.passages] == starts


def test_language_screen_equals_the_rule_on_a_batch(shaped, monkeypatch):
    """guess_language's cheap screen against the rule character by character (the identifier is
    stubbed, as in tests/preprocessing/test_language.py)."""
    _, batch, long_doc, _, _ = shaped

    def stub(text, among=None):
        return ("cyr" if among else "any", 0.95)

    def by_hand(tokens, text):
        letters = [c for c in text if c.isalpha()]
        if not letters:
            return "en"
        latin = sum(1 for c in letters if c < "\u0250")
        if latin / len(letters) < 0.6:
            cyr = sum(1 for c in letters if "\u0400" <= c <= "\u04ff")
            return "cyr" if cyr / len(letters) >= 0.5 else "any"
        words = [w for w in tokens if w.isalpha()]
        if len(words) < 8:
            return "en"
        share = sum(w in _language._EN_STOP for w in words) / len(words)
        return "en" if share >= 0.12 else "any"

    monkeypatch.setattr(_language, "_identify", stub)
    for text in [*batch, long_doc, "", *_ODD, " ".join(_ODD[2:3] * 9)]:
        tokens = text.lower().split()
        assert guess_language(tokens, text) == by_hand(tokens, text)


# ----------------------------------------------------------------------------- rows and io
def _plain_countries(actors):
    gaz = load_gazetteer()
    ranked = sorted(actors.items(), key=lambda kv: (-kv[1], kv[0]))
    return [k for k, _ in ranked if gaz.get(k, {}).get("type") in ("state", "region")]


def test_passage_rows_equal_rows_built_one_by_one(shaped):
    """Passage rows built column by column against a DataFrame of per-row dicts (the plain
    construction they replaced), with the passage fields read from the decision and the
    document columns from the document rows of the same model."""
    pipe, _, _, segs, _ = shaped
    clf = pipe.classifier
    none = clf.none_label_
    ids = [f"d{i}" for i in range(len(segs))]
    got = build_rows(pipe, ids, segs, unit="passage")
    docs = build_rows(pipe, ids, segs, unit="document")
    relevant_docs = [pipe.is_relevant(s.document) for s in segs]
    tagged = [(d, p) for d, s in enumerate(segs) for p in s.passages if p.taggable]
    dec = pipe.decide_processed(
        [p.processed for _, p in tagged], relevant=[relevant_docs[d] for d, _ in tagged]
    )
    k_of = {(d, p.index): k for k, (d, p) in enumerate(tagged)}
    rows = []
    for d, seg in enumerate(segs):
        relevant = relevant_docs[d]
        for p in seg.passages:
            k = k_of.get((d, p.index))
            if seg.truncated and p.index == len(seg.passages) - 1:
                flag = "truncated"
            elif p.kind != "text":
                flag = p.kind
            elif not p.taggable:
                flag = "unsupported_language"
            else:
                flag = ""
            rows.append(
                {
                    "id": ids[d],
                    "passage": p.index,
                    "start": p.start,
                    "end": p.end,
                    "frames": [none] if k is None else dec.frames[k],
                    "families": [none] if k is None else dec.families[k],
                    "stance": "none" if k is None else dec.stance[k],
                    "stances": {} if k is None else dec.stances[k],
                    "scores": {}
                    if k is None
                    else dict(
                        zip(clf.fine_labels_, np.round(dec.proba_fine[k], 4).tolist(), strict=True)
                    ),
                    "document_frames": docs["frames"][d],
                    "document_families": docs["families"][d],
                    "document_stances": docs["stances"][d],
                    "countries": _plain_countries(p.processed.actors),
                    "lang": p.processed.lang,
                    "flag": flag or ("" if relevant else "off_topic"),
                }
            )
    expected = pd.DataFrame(rows, columns=list(PASSAGE_COLUMNS))
    assert len(got) >= 1000 + 200
    pd.testing.assert_frame_equal(got, expected)
    empty = build_rows(pipe, [], [], unit="passage")
    assert list(empty.columns) == list(PASSAGE_COLUMNS) and not len(empty)


def _same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return a.shape == np.shape(b) and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
    return a == b


def test_dedup_store_round_trip(shaped):
    """Decision.record -> JSON -> Decision.from_records (the dedup store) gives back the
    decision, NaN stances and all."""
    pipe, _, _, _, processed = shaped
    clf = pipe.classifier
    dec = pipe.decide_processed(processed)
    recs = [json.loads(json.dumps(dec.record(k))) for k in range(len(dec))]
    back = Decision.from_records(
        recs, dec.relevant.tolist(), len(clf.fine_labels_), len(clf.coarse_labels_)
    )
    for name in (f.name for f in dataclasses.fields(Decision)):
        assert _same(getattr(dec, name), getattr(back, name)), name
    assert np.isnan(dec.stance_proba).any()  # the NaN path (rows without a frame) is exercised


def test_row_count_by_bytes_count_equals_counting_lines(tmp_path):
    """_count_lines (bytes.count plus a blank-line regex per block) against counting the lines
    that ``bytes.strip`` leaves non-empty, across block boundaries."""
    rng = np.random.default_rng(3)
    pieces = []
    for i in range(1500):
        r = rng.random()
        if r < 0.1:
            pieces.append(str(rng.choice(["", " ", "\t", "\r", " \x0b\x0c "])))
        elif r < 0.12:
            pieces.append(json.dumps({"id": i, "text": "x" * 5000}))
        else:
            pieces.append(
                json.dumps({"id": i, "text": _sentence(rng, [])}, ensure_ascii=bool(i % 2))
            )
    body = "\n".join(pieces)
    cases = {
        "lf": body + "\n",
        "crlf": body.replace("\n", "\r\n"),
        "no_final_newline": body,
        "empty": "",
        "blank_only": "\n \n\t\n\r\n",
        "one_line": '{"id": 1}',
    }
    for name, content in cases.items():
        path = tmp_path / f"{name}.jsonl"
        path.write_bytes(content.encode("utf-8"))
        with open(path, "rb") as fh:
            plain = sum(1 for line in fh if line.strip())
        for block in (1, 7, 64, 4096, 1 << 22):
            assert _count_lines(path, block_size=block) == plain, (name, block)
