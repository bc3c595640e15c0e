"""narratives.explore: HTML highlighting, prevalence tables, plots and notebook helpers."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import matplotlib
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import narratives
from narratives import InputError, explore
from narratives.explore import Html, highlight, prevalence

matplotlib.use("Agg")


# ------------------------------------------------------------------------------ helpers
class _Marks(HTMLParser):
    """Collects the marked pieces (title, text) and the maximum <mark> nesting depth."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.marks, self.depth, self.max_depth = [], 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == "mark":
            self.depth += 1
            self.max_depth = max(self.max_depth, self.depth)
            self.marks.append([dict(attrs).get("title"), ""])

    def handle_endtag(self, tag):
        if tag == "mark":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.marks[-1][1] += data


def parse(markup: str) -> _Marks:
    p = _Marks()
    p.feed(markup)
    p.close()
    return p


def body_text(markup: str) -> str:
    """The highlighted text without tags (entities decoded)."""
    inner = re.search(r'<div class="narratives-hl"[^>]*>(.*)</div>$', markup, re.S).group(1)
    return html.unescape(re.sub(r"</?mark[^>]*>", "", inner))


# ---------------------------------------------------------------------------- highlight
def test_highlight_is_shared_by_the_public_names():
    from narratives import _explain

    assert narratives.highlight is explore.highlight is _explain.highlight


def test_highlight_basic_output_and_repr_html():
    out = highlight("a fake state", [{"start": 2, "end": 6, "label": "artificial_state"}])
    assert isinstance(out, Html) and isinstance(out, str)
    assert out._repr_html_() == str(out)
    p = parse(out)
    assert p.marks == [["artificial_state", "fake"]]
    assert body_text(out) == "a fake state"


def test_highlight_escapes_text_labels_and_title():
    text = 'x <script>alert("1")</script> & y'
    out = highlight(text, [{"start": 2, "end": 30, "label": 'bad"><b>label'}], title="<i>t</i>")
    assert "<script>" not in out and "<b>" not in out and "<i>t</i>" not in out
    assert "&lt;script&gt;" in out and "&amp;" in out and "&lt;i&gt;t&lt;/i&gt;" in out
    p = parse(out)
    assert p.marks[0][0] == 'bad"><b>label'  # the attribute round-trips intact
    assert body_text(out) == text


def test_highlight_no_evidence_escapes_everything():
    out = highlight("<b>&</b>", [])
    assert "<mark" not in out
    assert body_text(out) == "<b>&</b>"
    assert highlight("", [{"start": 0, "end": 3, "label": "x"}]).count("<mark") == 0


def test_highlight_partial_overlap_is_flat_and_titled_with_both_labels():
    text = "0123456789"
    out = highlight(
        text, [{"start": 0, "end": 5, "label": "A"}, {"start": 3, "end": 8, "label": "B"}]
    )
    p = parse(out)
    assert p.max_depth == 1
    assert p.marks == [["A", "012"], ["A; B", "34"], ["B", "567"]]
    assert body_text(out) == text
    assert "linear-gradient" in out  # the overlap shows both colours


def test_highlight_nested_and_duplicate_spans():
    text = "the artificial state idea"
    spans = [(0, 25, "outer"), (4, 20, "inner"), (4, 20, "inner")]
    p = parse(highlight(text, spans))
    assert p.max_depth == 1
    assert p.marks == [["outer", "the "], ["outer; inner", "artificial state"], ["outer", " idea"]]


def test_highlight_adjacent_spans_of_one_label_merge():
    p = parse(highlight("abcdef", [(0, 2, "x"), (2, 4, "x")]))
    assert p.marks == [["x", "abcd"]]


def test_highlight_offsets_at_the_ends_are_clipped_or_dropped():
    text = "hello world"
    n = len(text)
    assert parse(highlight(text, [(0, n, "all")])).marks == [["all", text]]
    assert parse(highlight(text, [(n - 1, n, "last")])).marks == [["last", "d"]]
    assert parse(highlight(text, [(0, 1, "first")])).marks == [["first", "h"]]
    assert parse(highlight(text, [(6, 10_000, "clip")])).marks == [["clip", "world"]]
    assert parse(highlight(text, [(-5, 5, "neg")])).marks == [["neg", "hello"]]
    for empty in [(n, n + 3, "past"), (4, 4, "empty"), (7, 2, "reversed")]:
        out = highlight(text, [empty])
        assert "<mark" not in out and body_text(out) == text


def test_highlight_non_ascii_offsets_are_code_points():
    text = "Київ — «столиця» 🇺🇦, naïve café\u0301 ok"
    spans = []
    for word in ("Київ", "«столиця»", "🇺🇦", "café\u0301"):
        i = text.index(word)
        spans.append({"start": i, "end": i + len(word), "label": word})
    out = highlight(text, spans)
    p = parse(out)
    assert [m[1] for m in p.marks] == ["Київ", "«столиця»", "🇺🇦", "café\u0301"]
    assert body_text(out) == text
    out.encode("utf-8")  # no lone surrogates


def test_highlight_keeps_line_breaks_and_scores_in_titles():
    text = "first line\n\nsecond line"
    out = highlight(text, [{"start": 12, "end": 18, "label": "lab", "score": 0.876}])
    assert "pre-wrap" in out and "\n\n" in out
    assert parse(out).marks == [["lab (0.88)", "second"]]


def test_highlight_accepts_explanations_tag_rows_and_tuples():
    text = "Kazakhstan is an artificial state. Rain fell."
    expl = {
        "text": text,
        "labels": [
            {
                "label": "artificial_state",
                "cues": [{"start": 17, "end": 33}],
                "sentences": [{"start": 0, "end": 34}, {"start": 35, "end": 45}],
            }
        ],
    }
    p = parse(highlight(text, expl))
    # the cue lies inside the best sentence: one mark (same label on both sides of each cut)
    assert p.marks == [["artificial_state", text[:34]]]
    assert "Rain fell" not in "".join(m[1] for m in p.marks)  # only the best sentence
    rows = pd.DataFrame(
        {"start": [0, 35], "end": [34, 45], "frames": [["artificial_state"], ["none"]]}
    )
    assert parse(highlight(text, rows)).marks == [["artificial_state", text[:34]]]
    assert parse(highlight(text, [(35, 39)])).marks == [["evidence", "Rain"]]
    with pytest.raises(InputError):
        highlight(text, [(1, 2, "a", "b")])
    with pytest.raises(InputError):
        highlight(None, [])  # type: ignore[arg-type]


def test_highlight_one_colour_per_label():
    out = highlight("aa bb cc", [(0, 2, "x"), (3, 5, "y"), (6, 8, "x")])
    colours = re.findall(r"background:(#[0-9a-f]{6})", out)
    assert colours[0] == colours[2] != colours[1]


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40),
    spans=st.lists(
        st.tuples(st.integers(-5, 45), st.integers(-5, 45), st.sampled_from(["a", "b", "<c&>"])),
        max_size=6,
    ),
)
def test_highlight_properties(text, spans):
    out = highlight(text, spans)
    p = parse(out)
    assert p.max_depth <= 1
    assert body_text(out) == text
    marked = "".join(m[1] for m in p.marks)
    covered = set()
    for a, b, _ in spans:
        covered.update(range(max(0, a), min(len(text), b)))
    assert len(marked) == len(covered)


def test_explanation_html_uses_highlight(tiny_model):
    ex = tiny_model.explain("Kazakhstan is an artificial state that Lenin drew on a map.")
    markup = ex._repr_html_()
    assert 'class="narratives-hl"' in markup and "<table>" in markup


# --------------------------------------------------------------------------- prevalence
@pytest.fixture
def passages() -> pd.DataFrame:
    # d1: two passages, frame x promoted in one and reported in the other; d2: x + y; d3: nothing
    return pd.DataFrame(
        {
            "id": ["d1", "d1", "d2", "d2", "d3", "d3"],
            "passage": [0, 1, 0, 1, 0, 1],
            "frames": [["x"], ["x"], ["x", "y"], ["none"], ["none"], ["none"]],
            "families": [["F"], ["F"], ["F", "G"], ["none"], ["none"], ["none"]],
            "stance": ["promotes", "reports", "promotes", "none", "none", "none"],
            "countries": [["ua"], [], ["ua", "kz"], ["kz"], [], []],
            "outlet": ["o1", "o1", "o2", "o2", "o1", "o1"],
            "flag": ["", "", "", "", "", "boilerplate"],
        }
    )


def _as_dict(t: pd.DataFrame, *keys: str) -> dict:
    return {tuple(r[k] for k in keys): (r["n"], r["total"]) for _, r in t.iterrows()}


def test_prevalence_passages_by_stance(passages):
    t = prevalence(passages)
    assert list(t.columns) == ["frame", "stance", "n", "total", "share"]
    # the boilerplate passage is left out of the denominator: 5 passages
    assert _as_dict(t, "frame", "stance") == {
        ("x", "promotes"): (2, 5),
        ("x", "reports"): (1, 5),
        ("y", "promotes"): (1, 5),
    }
    assert t["share"].iloc[0] == pytest.approx(2 / 5)
    assert prevalence(passages, exclude_flags=None)["total"].iloc[0] == 6


def test_prevalence_documents_from_passages(passages):
    t = prevalence(passages, unit="document")
    assert _as_dict(t, "frame", "stance") == {
        ("x", "promotes"): (2, 3),
        ("x", "reports"): (1, 3),
        ("y", "promotes"): (1, 3),
    }
    flat = prevalence(passages, unit="document", stance=False)
    assert list(flat.columns) == ["frame", "n", "total", "share"]
    assert _as_dict(flat, "frame") == {("x",): (2, 3), ("y",): (1, 3)}


def test_prevalence_wide_table(passages):
    w = prevalence(passages, unit="document", wide=True)
    assert list(w.columns) == ["frame", "all", "promotes", "reports", "n", "total"]
    x = w.set_index("frame").loc["x"]
    assert (
        x["all"] == pytest.approx(2 / 3)
        and x["promotes"] == pytest.approx(2 / 3)
        and x["reports"] == pytest.approx(1 / 3)
    )
    assert w.set_index("frame").loc["y", "reports"] == 0


def test_prevalence_by_scalar_and_list_columns(passages):
    t = prevalence(passages, by="outlet", unit="document", stance=False)
    assert _as_dict(t, "outlet", "frame") == {
        ("o1", "x"): (1, 2),
        ("o2", "x"): (1, 1),
        ("o2", "y"): (1, 1),
    }
    # passages: countries exploded per passage; empty lists under "(none)"
    tp = prevalence(passages, by="countries", stance=False)
    assert _as_dict(tp, "countries", "frame") == {
        ("ua", "x"): (2, 2),
        ("ua", "y"): (1, 2),
        ("kz", "x"): (1, 2),
        ("kz", "y"): (1, 2),
        ("(none)", "x"): (1, 2),
    }
    # documents: a document counts under every country any of its passages mentions
    td = prevalence(passages, by="countries", unit="document", stance=False)
    assert _as_dict(td, "countries", "frame") == {
        ("ua", "x"): (2, 2),
        ("ua", "y"): (1, 2),
        ("kz", "x"): (1, 1),
        ("kz", "y"): (1, 1),
    }
    assert "(none)" not in set(td["countries"])  # d3 has no frame; it only adds to the (none) total
    two = prevalence(passages, by=["outlet", "countries"], unit="document", stance=False)
    assert ("o2", "kz", "y") in _as_dict(two, "outlet", "countries", "frame")


def test_prevalence_groups_with_missing_values(passages):
    years = passages.assign(year=[2024, 2024, None, None, 2025, 2025]).astype({"year": object})
    t = prevalence(years, by="year", unit="document", stance=False)
    assert _as_dict(t, "year", "frame") == {
        (2024, "x"): (1, 1),
        ("(none)", "x"): (1, 1),
        ("(none)", "y"): (1, 1),
    }


def test_prevalence_families_and_custom_none_label(passages):
    t = prevalence(passages, level="families", unit="document", stance=False)
    assert list(t.columns[:1]) == ["family"]
    assert _as_dict(t, "family") == {("F",): (2, 3), ("G",): (1, 3)}
    other = passages.assign(frames=[["x"], ["x"], ["x", "y"], ["Other"], ["Other"], ["Other"]])
    assert _as_dict(
        prevalence(other, unit="document", stance=False, none_label="Other"), "frame"
    ) == {("x",): (2, 3), ("y",): (1, 3)}
    t2 = prevalence(other, unit="document", stance=False, none_label="x")
    assert set(t2["frame"]) == {"y", "Other"}


def test_prevalence_reads_file_cells(passages, tmp_path):
    """Parquet gives arrays, JSONL lists, CSV ';'-joined strings: same table."""
    ref = prevalence(passages, by="countries", unit="document")
    pq = tmp_path / "t.parquet"
    passages.to_parquet(pq)
    from_pq = pd.read_parquet(pq)
    assert isinstance(from_pq["frames"].iloc[0], np.ndarray)
    pd.testing.assert_frame_equal(prevalence(from_pq, by="countries", unit="document"), ref)
    csvish = passages.copy()
    for c in ("frames", "families", "countries"):
        csvish[c] = [";".join(v) for v in csvish[c]]
    pd.testing.assert_frame_equal(prevalence(csvish, by="countries", unit="document"), ref)
    jsonish = passages.copy()
    jsonish["frames"] = [json.dumps(v) for v in jsonish["frames"]]
    pd.testing.assert_frame_equal(prevalence(jsonish, by="countries", unit="document"), ref)


def test_prevalence_over_chunks_matches_one_frame(passages):
    for unit in ("passage", "document"):
        ref = prevalence(passages, by="outlet", unit=unit)
        # chunk boundaries inside a document (d1 split 1|1, d2 split across chunks)
        chunks = [passages.iloc[:1], passages.iloc[1:3], passages.iloc[3:3], passages.iloc[3:]]
        pd.testing.assert_frame_equal(prevalence(iter(chunks), by="outlet", unit=unit), ref)
    w = prevalence(iter([passages.iloc[:3], passages.iloc[3:]]), unit="document", wide=True)
    pd.testing.assert_frame_equal(w, prevalence(passages, unit="document", wide=True))


def test_prevalence_document_rows(passages):
    docs = pd.DataFrame(
        {
            "id": ["a", "b"],
            "frames": [["x"], ["none"]],
            "stance": ["reports", "none"],
            "countries": [["ua"], ["ua"]],
        }
    )
    t = prevalence(docs, by="countries")
    assert _as_dict(t, "countries", "frame", "stance") == {("ua", "x", "reports"): (1, 2)}
    with pytest.raises(InputError, match="passage rows"):
        prevalence(docs, unit="passage")


def test_prevalence_errors_and_empty(passages):
    with pytest.raises(InputError, match="outlet2"):
        prevalence(passages, by="outlet2")
    with pytest.raises(InputError, match="level"):
        prevalence(passages, level="subnarratives")
    with pytest.raises(InputError, match="unit"):
        prevalence(passages, unit="sentence")
    with pytest.raises(InputError, match="no rows"):
        prevalence(iter([]))
    empty = prevalence(passages.assign(frames=[["none"]] * 6))
    assert list(empty.columns) == ["frame", "stance", "n", "total", "share"] and not len(empty)
    assert not len(prevalence(passages.assign(frames=[["none"]] * 6), wide=True))


def test_prevalence_on_real_tag_output(tiny_model):
    texts = [
        "Kazakhstan is an artificial state that Lenin drew on a map.\n\nWheat prices rose this week.",
        "Heavy rain in Riga.",
    ]
    res = tiny_model.tag(texts, unit="passage")
    t = prevalence(res, by="countries", unit="document")
    assert set(t.columns) == {"countries", "frame", "stance", "n", "total", "share"}
    assert (t["share"] <= 1).all() and (t["n"] <= t["total"]).all()


# ---------------------------------------------------------------------------- overview
def test_overview_counts_and_html(passages):
    ov = explore.overview(
        passages.assign(frames=[["x<y>"], ["x<y>"], ["x<y>", "y"], ["none"], ["none"], ["none"]])
    )
    assert ov["units"] == 5 and ov["documents"] == 3 and ov["framed"] == 3
    assert ov["flags"] == {"boilerplate": 1}
    assert ov["top"][0]["label"] == "x<y>" and ov["top"][0]["n"] == 3
    markup = ov._repr_html_()
    assert "x&lt;y&gt;" in markup and "x<y>" not in markup


# ------------------------------------------------------------------------------- plots
@pytest.fixture
def no_pyplot_figures():
    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    yield
    assert set(plt.get_fignums()) == before, "explore must not create pyplot figures"


def _png(fig) -> bytes:
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_plot_prevalence_bars_heatmaps_and_tables(passages, no_pyplot_figures):
    from matplotlib.figure import Figure

    fig = explore.plot_prevalence(passages, unit="document")
    assert isinstance(fig, Figure) and _png(fig).startswith(b"\x89PNG")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["x", "y"]
    fig = explore.plot_prevalence(passages, by="countries", unit="document")
    assert (
        len([a for a in fig.axes if a.get_title().startswith("stance")]) == 2
    )  # promotes, reports
    _png(fig)
    table = prevalence(passages, by="outlet", stance=False)
    fig = explore.plot_prevalence(table)
    assert [a.get_title() for a in fig.axes if a.get_title()] == ["all stances"]
    fig = explore.plot_prevalence(passages.assign(frames=[["none"]] * 6))
    assert _png(fig)
    fig = explore.plot_prevalence(passages, stance=False, level="families", title="T")
    assert fig.axes[0].get_title() == "T"


def test_plot_prevalence_on_existing_axes(passages, no_pyplot_figures):
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.add_subplot()
    assert explore.plot_prevalence(passages, ax=ax) is fig


RESULT = {
    "f1_samples_fine": 0.5,
    "per_label_fine": {
        "a": {"precision": 1.0, "recall": 0.5, "f1": 0.667, "support": 4},
        "b": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2},
        "c": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0},
    },
    "per_label_coarse": {"A": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 6}},
}


def test_plot_label_f1_single_and_comparison(no_pyplot_figures):
    fig = explore.plot_label_f1(RESULT)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "a  (n=4)",
        "b  (n=2)",
    ]  # by support; c has none
    assert _png(fig)
    fig = explore.plot_label_f1(RESULT, level="coarse")
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["A  (n=6)"]
    fig = explore.plot_label_f1(RESULT["per_label_fine"], sort="f1", min_support=0)
    assert [t.get_text().split()[0] for t in fig.axes[0].get_yticklabels()] == ["a", "b", "c"]
    tuned = {k: {**v, "f1": 1.0} for k, v in RESULT["per_label_fine"].items()}
    fig = explore.plot_label_f1({"model": RESULT, "tuned": tuned})
    assert len(fig.axes[0].patches) == 4  # 2 labels x 2 systems
    with pytest.raises(InputError):
        explore.plot_label_f1({"x": {"y": 1}})


def test_plot_label_f1_shortens_long_labels(no_pyplot_figures):
    long = "URW: Discrediting the West, Diplomacy: The West does not care about Ukraine, only about its interests"
    fig = explore.plot_label_f1({long: {"f1": 0.3, "support": 3, "precision": 0.3, "recall": 0.3}})
    tick = fig.axes[0].get_yticklabels()[0].get_text()
    assert tick.startswith("…") and tick.endswith("its interests  (n=3)") and len(tick) <= 56 + 8


def test_short_labels_keep_domain_and_claim():
    from narratives.explore import _short

    lab = "CC: Criticism of institutions and authorities: Criticism of national governments"
    assert _short(lab, 56) == "CC: Criticism of…: Criticism of national governments"
    long_last = "CC: Criticism of institutions and authorities: Criticism of political organizations and figures"
    assert _short(long_last, 56) == "CC: …: Criticism of political organizations and figures"
    assert _short("short", 56) == "short"
    assert _short("x" * 60, 10) == "…" + "x" * 9
    assert _short("A: " + "y" * 60, 20) == "…" + "y" * 19
    for lab in [
        "URW: Praise of Russia: Russia is a guarantor of peace",
        "a: b: " + "c" * 50,
        "x" * 80,
    ]:
        for limit in (20, 40, 56):
            assert len(_short(lab, limit)) <= limit


def test_plot_scores(tiny_model, no_pyplot_figures):
    res = tiny_model.tag(
        ["Ukraine was never a real country.", "NATO left Russia no choice.", "Rain in Riga."]
    )
    fig = explore.plot_scores(res, thresholds=tiny_model)
    a1, a2 = fig.axes[:2]
    assert a2.get_title() == "How sure is the model?"
    assert len(a1.get_yticklabels()) == min(12, len(tiny_model.taxonomy.fine_labels))
    assert _png(fig)
    fig = explore.plot_scores(
        res, labels=["artificial_state"], thresholds={"artificial_state": 0.5}
    )
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["artificial_state"]
    # scores serialised as JSON (CSV output) work too
    csvish = res.assign(scores=[json.dumps(s) for s in res["scores"]])
    assert _png(explore.plot_scores(csvish))
    with pytest.raises(InputError):
        explore.plot_scores(res.drop(columns="scores"))


# ----------------------------------------------------------------------- notebook helpers
def test_tag_frame_keeps_metadata(tiny_model):
    df = pd.DataFrame({"id": ["a", "a"], "text": ["Ukraine was never a real country.\n\nRain fell.", "NATO left Russia no choice."],
                       "outlet": ["o1", "o2"], "flag": ["in", "in"]})  # fmt: skip
    res = explore.tag_frame(tiny_model, df)
    assert list(res["outlet"]) == ["o1"] * (len(res) - 1) + ["o2"]
    assert set(res["id"]) == {"a"} and "flag_input" in res.columns and "flag" in res.columns
    docs = explore.tag_frame(tiny_model, df, unit="document")
    assert list(docs["outlet"]) == ["o1", "o2"]
    with pytest.raises(InputError):
        explore.tag_frame(tiny_model, df, text_column="body")


def test_with_thresholds_copies_and_persists(tiny_model, tmp_path):
    lab = tiny_model.taxonomy.fine_labels[0]
    before = tiny_model.thresholds[lab]
    tuned = explore.with_thresholds(tiny_model, {lab: 0.123})
    assert tuned.thresholds[lab] == 0.123 and tiny_model.thresholds[lab] == before
    assert tuned.manifest["threshold_override"]["labels"] == [lab]
    tuned.save(tmp_path / "m")
    again = narratives.load(tmp_path / "m")
    assert again.thresholds[lab] == 0.123
    with pytest.raises(InputError, match="unknown"):
        explore.with_thresholds(tiny_model, {"no_such_label": 0.5})
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        explore.with_thresholds(tiny_model, {lab: 1.5})
    # clipped to the model's own floor/ceiling by default, or to given bounds
    floor = tiny_model.pipeline.classifier.threshold_floor
    assert explore.with_thresholds(tiny_model, {lab: 0.0}).thresholds[lab] == floor
    assert explore.with_thresholds(tiny_model, {lab: 0.0}, clip=(0.0, 1.0)).thresholds[lab] == 0.0
    assert explore.with_thresholds(tiny_model, {lab: 0.99}, clip=(0.2, 0.8)).thresholds[lab] == 0.8


def test_show_evidence(tiny_model):
    texts = [
        "Kazakhstan is an artificial state that Lenin drew on a map.",
        "Heavy rain flooded streets in Riga.",
    ]
    res = tiny_model.tag(texts)
    out = explore.show_evidence(tiny_model, res, n=2)
    assert isinstance(out, Html)
    if any(f != "none" for fs in res["frames"] for f in fs):
        assert 'class="narratives-hl"' in out and "<h4" in out
    assert (
        explore.show_evidence(tiny_model, res, ids=["nope"]) == "<p>No framed passage to show.</p>"
    )
    with pytest.raises(InputError):
        explore.show_evidence(tiny_model, tiny_model.tag(texts, unit="document"))


CV_RESULT = {
    "oof_predictions": [
        {"id": "d1", "gold_fine": ["a"], "pred_fine": ["a"], "scores": {"a": 0.95}},
        {"id": "d2", "gold_fine": ["a", "b"], "pred_fine": ["c"], "scores": {"c": 0.97, "a": 0.05}},
        {"id": "d3", "gold_fine": [], "pred_fine": [], "scores": {}},
        {"id": "d0", "gold_fine": ["a"], "pred_fine": [], "scores": {"a": 0.2}},
    ]
}


def test_errors_table():
    data = pd.DataFrame({"id": ["d1", "d2", "d3"], "text": ["one", "two  words\nhere", "three"]})
    t = explore.errors_table(CV_RESULT, data)
    assert list(t["id"]) == ["d2", "d0", "d1", "d3"]  # F1 0 with 3 wrong labels before F1 0 with 1
    assert t.loc[0, "missed"] == ["a", "b"] and t.loc[0, "extra"] == ["c"] and t.loc[0, "f1"] == 0
    assert t.loc[0, "text"] == "two words here"
    with pytest.raises(InputError):
        explore.errors_table({})


def test_noise_table_uses_harness_suspects_or_falls_back():
    harness = {
        "label_noise": {
            "suspects": [
                {
                    "id": "d9",
                    "label": "a",
                    "kind": "missing gold label?",
                    "gold": 0,
                    "score": 0.93,
                    "suspicion": 0.8,
                }
            ]
        }
    }
    t = explore.noise_table(harness)
    assert list(t["id"]) == ["d9"] and "suspicion" in t.columns
    fb = explore.noise_table(CV_RESULT)
    assert set(zip(fb["id"], fb["label"], fb["gold"], strict=True)) == {
        ("d2", "a", 1),
        ("d2", "b", 1),
        ("d2", "c", 0),
    }
    assert fb["suspicion"].is_monotonic_decreasing
