"""The ``narratives`` spaCy component: narrative frames in any spaCy pipeline.

::

    import spacy

    nlp = spacy.blank("en")                     # or any pipeline, e.g. spacy.load("en_core_web_sm")
    nlp.add_pipe("narratives", config={"model": "default"})   # or the path of a model directory
    doc = nlp("Kazakhstan is an artificial state that owes its existence to Moscow.")
    doc.cats                   # frame -> document score (every frame of the model's taxonomy)
    doc.spans["narratives"]    # one span per (passage, frame): the passage, labelled with the frame
    doc._.narratives           # frames, stance per frame, evidence, passages, language, flag

spaCy finds the factory through the ``spacy_factories`` entry point (``pyproject.toml``): a
pipeline needs no ``import narratives``, and a saved pipeline with this component loads with
``spacy.load`` wherever narratives is installed. This module imports only spaCy when spaCy reads
the entry points (it does so whenever a pipeline is created); the model loads on first use.

The component tags ``doc.text`` with the model's own preprocessing (its tokenizer, sentences and
passages), whatever the pipeline's tokenizer did: the labels are those of
``model.tag(texts)`` and ``model.tag(texts, unit="document")``. Passage offsets are character
offsets into ``doc.text``; spans are snapped to the Doc's tokens with
``doc.char_span(start, end, alignment_mode="expand")``. ``nlp.pipe`` tags each batch of documents
with one call of the model.

A passage with two frames gives two spans with the same offsets, one per frame (a spaCy span has
one label); a passage without a frame gives none. ``doc._.narratives`` is a plain dict (it
survives ``DocBin(store_user_data=True)`` and multiprocessing)::

    {
        "frames": ["artificial_state"],              # the document's frames (no "none" label)
        "families": ["illegitimate_statehood"],
        "stance": "promotes",                        # promotes | reports | none
        "stances": {"artificial_state": "promotes"}, # stance per frame (or "unknown")
        "evidence": {"artificial_state": {           # per frame: the passage that scored it highest
            "passage": 0, "start": 0, "end": 70, "score": 0.93,
            "passages": [0],                         # every passage that carries the frame
        }},
        "passages": [{"passage": 0, "start": 0, "end": 70, "frames": [...],
                      "stances": {...}, "stance": "promotes", "flag": ""}, ...],
        "lang": "en",
        "flag": "",     # off_topic, unsupported_language, truncated, empty (see model.tag)
    }

Saving: ``nlp.to_disk`` copies the model directory into the pipeline (``<pipeline>/narratives``)
unless the model is ``"default"``, which every narratives installation has; ``spacy.load`` then
uses the copy, checked against the skops trusted types like any model.
"""

import shutil
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spacy.language import Language
from spacy.tokens import Doc, SpanGroup
from spacy.util import minibatch

if TYPE_CHECKING:
    import pandas as pd

    from ._model import NarrativeModel

__all__ = ["EXTENSION", "FACTORY", "NarrativesComponent", "make_narratives"]

#: The factory's name (``nlp.add_pipe(FACTORY)``) and the default key of ``doc.spans``.
FACTORY = "narratives"
#: The ``Doc`` extension: ``doc._.narratives``.
EXTENSION = "narratives"

if not Doc.has_extension(EXTENSION):
    Doc.set_extension(EXTENSION, default=None)


class NarrativesComponent:
    """Tags each Doc with a narratives model; see the module's documentation.

    Parameters
    ----------
    model : str
        ``"default"`` (the embedded default model) or the path of a model directory.
    lang : str, optional
        Force one language (one of the model's) for every Doc; by default each Doc is tagged
        in its detected language, like :meth:`narratives.NarrativeModel.tag`.
    spans_key : str
        The ``doc.spans`` key of the passage spans.
    """

    def __init__(
        self,
        nlp: Language | None = None,
        name: str = FACTORY,
        model: str = "default",
        lang: str | None = None,
        spans_key: str = FACTORY,
    ):
        self.name = name
        self.model_ref = str(model)
        self.lang = lang
        self.spans_key = spans_key
        self._model: NarrativeModel | None = None

    # Not called `model`: spaCy checks every component against its ListenedToComponent
    # protocol with hasattr(component, "model") (in add_pipe, spacy.load, ...), which would load
    # the model there, and a spaCy component's `model` is a Thinc model by convention.
    @property
    def narratives_model(self) -> "NarrativeModel":
        """The narratives model, loaded on first use."""
        if self._model is None:
            from ._api import load

            self._model = load(None if self.model_ref == "default" else self.model_ref)
        return self._model

    # ------------------------------------------------------------------- tagging
    def __call__(self, doc: Doc) -> Doc:
        return self._annotate([doc])[0]

    def pipe(self, stream: Iterable[Doc], batch_size: int = 128) -> Iterator[Doc]:
        """Tag the Docs in batches of ``batch_size`` (``nlp.pipe`` passes its own), each with
        one call of the model."""
        for batch in minibatch(stream, size=batch_size):
            yield from self._annotate(list(batch))

    def _annotate(self, docs: Sequence[Doc]) -> Sequence[Doc]:
        if not docs:
            return docs
        model = self.narratives_model
        ids = list(range(len(docs)))
        segs = model.segment([doc.text for doc in docs], lang=self.lang)
        passages = model.tag_segments(ids, segs, unit="passage")
        documents = model.tag_segments(ids, segs, unit="document")
        none = model.taxonomy.none_label
        by_doc: list[list[dict[str, Any]]] = [[] for _ in docs]
        for p in _records(passages, _PASSAGE_FIELDS):
            p["frames"] = [f for f in p["frames"] if f != none]
            by_doc[p.pop("id")].append(p)
        for d, row in enumerate(_records(documents, list(documents.columns))):
            self._assign(docs[d], row, by_doc[d], none)
        return docs

    def _assign(
        self, doc: Doc, row: dict[str, Any], passages: list[dict[str, Any]], none: str
    ) -> None:
        doc.cats.update({f: float(s) for f, s in row["scores"].items()})
        spans = []
        for p in passages:
            for frame in p["frames"]:
                span = doc.char_span(p["start"], p["end"], label=frame, alignment_mode="expand")
                if span is not None:
                    spans.append(span)
        doc.spans[self.spans_key] = SpanGroup(doc, name=self.spans_key, spans=spans)
        by_index = {p["passage"]: p for p in passages}
        evidence = {}
        for frame, k in row["evidence"].items():
            p = by_index[k]
            evidence[frame] = {
                "passage": int(k),
                "start": int(p["start"]),
                "end": int(p["end"]),
                "score": float(p["scores"].get(frame, 0.0)),
                "passages": [int(i) for i in row["frame_passages"].get(frame, [k])],
            }
        doc._.set(
            EXTENSION,
            {
                "frames": [f for f in row["frames"] if f != none],
                "families": [c for c in row["families"] if c != none],
                "stance": str(row["stance"]),
                "stances": {str(f): str(s) for f, s in row["stances"].items()},
                "evidence": evidence,
                "passages": [
                    {
                        "passage": int(p["passage"]),
                        "start": int(p["start"]),
                        "end": int(p["end"]),
                        "frames": list(p["frames"]),
                        "stances": {str(f): str(s) for f, s in p["stances"].items()},
                        "stance": str(p["stance"]),
                        "flag": str(p["flag"]),
                    }
                    for p in passages
                ],
                "lang": str(row["lang"]),
                "flag": "empty" if not row["n_passages"] else str(row["flag"]),
            },
        )

    # -------------------------------------------------------------- serialization
    def to_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> None:
        """Copy the model directory into the saved pipeline (not the default model)."""
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        if self.model_ref != "default" and self.narratives_model.path is not None:
            shutil.copytree(self.narratives_model.path, path / "model", dirs_exist_ok=True)

    def from_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> "NarrativesComponent":
        """Use the model saved with the pipeline, if there is one."""
        saved = Path(path) / "model"
        if (saved / "manifest.json").is_file():
            from ._model import NarrativeModel

            self._model = NarrativeModel.load(saved)
        return self


#: What the component reads from passage rows.
_PASSAGE_FIELDS = ["id", "passage", "start", "end", "frames", "stances", "stance", "scores", "flag"]


def _records(frame: "pd.DataFrame", columns: list[str]) -> Iterator[dict[str, Any]]:
    """The rows of ``frame`` as dicts of Python values (for ``doc.cats`` and user data)."""
    values = [frame[c].tolist() for c in columns]
    for row in zip(*values, strict=True):
        yield dict(zip(columns, row, strict=True))


@Language.factory(
    FACTORY,
    default_config={"model": "default", "lang": None, "spans_key": FACTORY},
    assigns=["doc.cats", "doc.spans", f"doc._.{EXTENSION}"],
)
def make_narratives(
    nlp: Language,
    name: str,
    model: str,
    lang: str | None,
    spans_key: str,
) -> NarrativesComponent:
    """The ``narratives`` factory: ``nlp.add_pipe("narratives", config={"model": ...})``."""
    return NarrativesComponent(nlp, name, model=model, lang=lang, spans_key=spans_key)
