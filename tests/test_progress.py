"""Progress bars in model.tag, narratives.train and narratives.evaluate(cv=K): off unless asked
for or interactive, one bar per call the user made, the counts they show."""

from __future__ import annotations

import sys
import types
from typing import ClassVar

import numpy as np
import pytest
import tqdm.auto

import narratives
from narratives._internal import progress
from narratives.model import make_pipeline
from narratives.model._train import expected_label_fits
from narratives.preprocessing import near_duplicate_groups

TINY_PARAMS = {"classifier__threshold_cv": 2, "classifier__calibration": None}


class FakeBar:
    """Records what the library asks of tqdm."""

    made: ClassVar[list[FakeBar]] = []

    def __init__(self, total=None, desc=None, unit=None, **kw):
        self.total, self.desc, self.unit, self.n = total, desc, unit, 0
        self.descriptions: list[str] = []
        self.closed = False
        FakeBar.made.append(self)

    def update(self, n=1):
        self.n += n

    def set_description(self, desc, refresh=True):
        self.descriptions.append(desc)

    def close(self):
        self.closed = True


@pytest.fixture
def bars(monkeypatch):
    FakeBar.made = []
    monkeypatch.setattr(tqdm.auto, "tqdm", FakeBar)
    return FakeBar.made


# ------------------------------------------------------------------- the switch
def test_no_bar_by_default_when_not_interactive(bars, tiny_model, monkeypatch):
    monkeypatch.setattr(progress, "interactive", lambda: False)
    tiny_model.tag(["Ukraine was never a real country."])
    assert bars == []
    tiny_model.tag(["Ukraine was never a real country."], progress=True)
    assert [b.desc for b in bars] == ["tagging"]


def test_a_bar_by_default_when_interactive_and_never_when_refused(bars, tiny_model, monkeypatch):
    monkeypatch.setattr(progress, "interactive", lambda: True)
    tiny_model.tag(["a", "b"])
    assert len(bars) == 1 and bars[0].closed and bars[0].n == bars[0].total == 2
    tiny_model.tag(["a", "b"], progress=False)
    assert len(bars) == 1


def test_interactive_means_a_jupyter_kernel_or_a_terminal(monkeypatch):
    class Stream:
        def __init__(self, tty):
            self.tty = tty

        def isatty(self):
            return self.tty

    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    monkeypatch.setattr(sys, "stderr", Stream(False))
    assert not progress.interactive()
    monkeypatch.setattr(sys, "stderr", Stream(True))
    assert progress.interactive()
    monkeypatch.setattr(sys, "stderr", Stream(False))
    shell = types.SimpleNamespace(config={"IPKernelApp": {}})
    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: shell
    monkeypatch.setitem(sys.modules, "IPython", fake)
    assert progress.interactive()
    shell.config = {}  # a terminal IPython without a tty on stderr
    assert not progress.interactive()


def test_a_real_bar_goes_to_stderr(tiny_model, capsys):
    tiny_model.tag(["Ukraine was never a real country."] * 3, progress=True)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "tagging" in captured.err and "3/3" in captured.err


def test_ticks_reach_only_the_bar_that_counts_them(bars, monkeypatch):
    monkeypatch.setattr(progress, "interactive", lambda: True)
    with progress.bar(True, 10, "outer", ticks=True):
        progress.tick(2)
        with progress.bar(None, 5, "inner"):  # not shown, and it keeps its ticks from the outer
            progress.tick(3)
        progress.tick()
    progress.tick(7)  # no bar: nothing happens
    assert [(b.desc, b.n) for b in bars] == [("outer", 3)]


# ------------------------------------------------------------------------ tag
def test_tag_counts_documents_chunk_by_chunk(bars, tiny_model):
    texts = [f"Ukraine was never a real country, text {i}." for i in range(10)] + [""]
    out = tiny_model.tag(texts, chunk_size=4, progress=True)
    (bar,) = bars
    assert (bar.total, bar.n, bar.unit, bar.closed) == (11, 11, "doc", True)
    assert out["id"].nunique() == 11


def test_chunk_size_is_checked(tiny_model):
    with pytest.raises(narratives.InputError, match="chunk_size"):
        tiny_model.tag(["x"], chunk_size=0)


# ---------------------------------------------------------------------- train
def test_train_counts_texts_then_label_models(bars, tiny_df):
    model = narratives.train(tiny_df, seed=0, params=TINY_PARAMS, progress=True)
    pre, fit = bars
    assert (pre.desc, pre.unit, pre.total, pre.n) == ("preprocessing", "text", 20, 20)
    assert (fit.desc, fit.unit) == ("fitting", "model")
    assert fit.n == fit.total > 0 and pre.closed and fit.closed
    tax = model.taxonomy
    assert fit.total == (len(tax.fine_labels) + len(tax.coarse_labels) + 1) * 3  # final + 2 folds


def test_the_expected_label_fits_are_the_fits_made_with_default_parameters(bars, tiny_df):
    narratives.train(tiny_df, seed=0, progress=True)  # oof_sigmoid calibration, 5 folds
    fit = bars[1]
    assert fit.n == fit.total
    texts = tiny_df["text"].tolist()
    pipe = make_pipeline()
    assert fit.total == expected_label_fits(pipe, len(texts), near_duplicate_groups(texts))


def test_training_chunk_by_chunk_gives_the_model_of_one_pipeline_fit(tiny_df, tiny_model):
    """fit_pipeline preprocesses in chunks (for the bar) and fits the other steps through
    Pipeline.fit: the same model as one sklearn fit of the whole pipeline."""
    texts = tiny_df["text"].tolist()
    pipe = make_pipeline(
        None,
        classifier__random_state=0,
        classifier__threshold_objective="label_f1",
        **TINY_PARAMS,
    )
    pipe.fit(
        texts,
        tiny_df["frames"].tolist(),
        stance=tiny_df["stance"].tolist(),
        groups=near_duplicate_groups(texts),
    )
    probe = [*texts, "Belarus was invented in Moscow.", "Rain in Tallinn."]
    assert np.array_equal(pipe.predict_proba(probe), tiny_model.pipeline.predict_proba(probe))
    assert pipe.classifier.thresholds_ == tiny_model.thresholds


# ------------------------------------------------------------------- evaluate
def test_cross_validation_shows_one_bar_with_a_step_per_system_and_fold(bars, tiny_df):
    res = narratives.evaluate(
        data=tiny_df,
        cv=2,
        baselines=["majority"],
        n_bootstrap=0,
        params=TINY_PARAMS,
        progress=True,
    )
    (bar,) = bars  # the models trained in each fold show no bar of their own
    assert (bar.total, bar.n, bar.closed) == (4, 4, True)
    assert bar.descriptions == [
        "fold 1/2: narratives",
        "fold 1/2: majority",
        "fold 2/2: narratives",
        "fold 2/2: majority",
    ]
    assert res["protocol"]["folds"] == 2


def test_holdout_evaluation_bar(bars, tiny_df, tiny_model):
    narratives.evaluate(tiny_model, tiny_df, n_bootstrap=0, progress=True)
    (bar,) = bars
    assert (bar.total, bar.n, bar.descriptions) == (1, 1, ["narratives"])


def test_inner_bars_show_when_asked_for_explicitly():
    shown = []
    with progress.bar(False, 1, "outer"):
        shown.append(progress.wanted(None))
        shown.append(progress.wanted(True))
    assert shown == [False, True]
