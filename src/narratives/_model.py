"""The user-facing model: tag, explain, save, describe."""

from __future__ import annotations

import copy
import logging
import numbers
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._exceptions import InputError, ModelIntegrityError
from ._explain import Explanation, explain
from ._internal.messages import not_found
from ._internal.progress import bar as progress_bar
from ._internal.schema import TEXT_POSITION, UNITS
from ._rows import build_rows
from ._taxonomy import Taxonomy
from .persistence import read_manifest
from .persistence._lean import NeedsFullLoad, load_lean
from .preprocessing import Segmented

if TYPE_CHECKING:
    from .model import NarrativePipeline
    from .model._lean import LeanPipeline

__all__ = ["CHUNK_CHARS", "CHUNK_DOCS", "UNITS", "NarrativeModel"]

log = logging.getLogger(__name__)

#: :meth:`NarrativeModel.tag` tags at most this many documents, and about this many characters,
#: at a time (one spaCy and classifier batch each; 256 documents were as fast as one batch).
CHUNK_DOCS = 256
CHUNK_CHARS = 1_000_000


class NarrativeModel:
    """A fitted narratives pipeline with its manifest.

    Get one with :func:`narratives.load` or :func:`narratives.train`.

    Examples
    --------
    >>> import narratives
    >>> model = narratives.load()
    >>> df = model.tag(["Kazakhstan is an artificial state that owes its existence to Moscow."])
    >>> list(df.columns[:6])
    ['id', 'passage', 'start', 'end', 'text', 'frames']
    """

    def __init__(
        self,
        pipeline: NarrativePipeline,
        manifest: dict[str, Any] | None = None,
        path: str | Path | None = None,
    ):
        self.pipeline = pipeline
        self.manifest = manifest or {}
        self.path = Path(path) if path else None

    @property
    def pipeline(self) -> NarrativePipeline:
        """The fitted :class:`~narratives.model.NarrativePipeline` (scikit-learn).

        A model loaded from disk tags with a lean twin of it (:attr:`decider`), so that tagging
        does not import scikit-learn; the pipeline itself is loaded from the same directory the
        first time it is asked for, and from then on the model tags with it.
        """
        if self._pipeline is None and self._lean is not None:
            from . import persistence

            pipeline, manifest = persistence.load_pipeline(self._lean_source)
            if manifest.get("files") != self.manifest.get("files"):
                raise ModelIntegrityError(
                    f"model {self.path}: its files changed on disk since it was loaded; load it again"
                )
            self._pipeline, self._lean = pipeline, None
        return self._pipeline

    @pipeline.setter
    def pipeline(self, pipeline: NarrativePipeline) -> None:
        self._pipeline, self._lean = pipeline, None

    @property
    def decider(self) -> NarrativePipeline | LeanPipeline:
        """What tags: :attr:`pipeline`, or the lean twin of a model loaded from disk whose
        pipeline has not been asked for (:mod:`narratives.model._lean`). Both have the same
        ``named_steps``, ``classifier`` attributes, ``decide`` and ``decide_processed``."""
        return self._pipeline if self._lean is None else self._lean

    # ---------------------------------------------------------------- describe
    @property
    def taxonomy(self) -> Taxonomy:
        return self.decider.taxonomy

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.decider.classifier.thresholds_)

    @property
    def training_unit(self) -> str:
        return self.manifest.get("training_data", {}).get("unit", "passage")

    def __repr__(self) -> str:
        name = self.manifest.get("name") or (self.path.name if self.path else "unsaved")
        tax = self.taxonomy
        return f"<NarrativeModel {name!r}: {len(tax.fine_labels)} frames in {len(tax.coarse_labels)} families, taxonomy {tax.name!r}>"

    def card(self) -> str:
        """A short model card (Markdown) from the manifest."""
        m = self.manifest
        tax = self.taxonomy
        lines = [f"# Model: {m.get('name', self.path.name if self.path else 'unsaved')}", ""]
        if m.get("description"):
            lines += [m["description"], ""]
        td = m.get("training_data", {})
        lines += [
            f"- taxonomy: {tax.name} ({len(tax.fine_labels)} fine labels, {len(tax.coarse_labels)} families; hash {m.get('taxonomy_hash', tax.hash)[:12]})",
            f"- training data: {td.get('n_texts', '?')} texts, unit {td.get('unit', '?')}, sha256 {str(td.get('hash', '?'))[:12]}",
            f"- created: {m.get('created', '?')}; seed {m.get('seed', '?')}; format {m.get('format_version', '?')}",
            f"- versions: {', '.join(f'{k} {v}' for k, v in m.get('library_versions', {}).items())}",
        ]
        tm = m.get("training_metrics", {})
        if tm:
            lines += ["", "## Training (out-of-fold) metrics", ""]
            for k in ("oof_macro_f1_fine", "oof_macro_f1_coarse", "oof_stance_accuracy"):
                if tm.get(k) is not None:
                    lines.append(f"- {k}: {tm[k]}")
        clf = self.decider.classifier
        own = getattr(clf, "language_thresholds_", None) or {}
        lines += [
            "",
            "## Labels and thresholds",
            "",
            f"Languages tagged: {', '.join(self.languages)}."
            + (
                f" Thresholds of {', '.join(own)} are tuned on that language's own training"
                " passages (out of fold); the shared threshold serves the other languages and"
                " labels with too few examples in one language."
                if own
                else ""
            ),
            "",
            "| label | family | threshold | "
            + "".join(f"threshold ({lang}) | " for lang in own)
            + "train support |",
            "|---|---|---|" + "---|" * len(own) + "---|",
        ]
        for f in tax.fine_labels:
            per_lang = "".join(
                f"{own[lang][f]:.3f} | " if f in own[lang] else "(shared) | " for lang in own
            )
            lines.append(
                f"| {f} | {tax.parent(f)} | {clf.thresholds_.get(f, float('nan')):.3f} | {per_lang}{clf.support_.get(f, 0)} |"
            )
        return "\n".join(lines) + "\n"

    def info(self) -> dict[str, Any]:
        tax = self.taxonomy
        return {
            "path": str(self.path) if self.path else None,
            "taxonomy": tax.name,
            "frames": tax.fine_labels,
            "families": tax.coarse_labels,
            "thresholds": self.thresholds,
            "stance_head": self.decider.classifier.stance_estimator_ is not None,
            **{k: v for k, v in self.manifest.items() if k not in ("taxonomy", "thresholds")},
        }

    # ------------------------------------------------------------------ saving
    def save(self, path: str | Path, **extra: Any) -> Path:
        """Save to a model directory (skops pipeline + manifest + model card)."""
        manifest = {**self.manifest, **extra}
        tax = self.taxonomy
        manifest.update(
            taxonomy=tax.to_dict(),
            taxonomy_hash=tax.hash,
            thresholds=self.thresholds,
            training_metrics=self.pipeline.classifier.training_metrics_,
        )
        from . import persistence  # scikit-learn and skops only to save

        persistence.save_pipeline(self.pipeline, path, manifest)
        self.path = Path(path)
        self.manifest = read_manifest(path)  # now with format version, versions, hashes
        (self.path / "MODEL_CARD.md").write_text(self.card(), encoding="utf-8")
        return self.path

    @classmethod
    def load(cls, path: str | Path) -> NarrativeModel:
        try:
            lean, manifest = load_lean(path)
        except NeedsFullLoad:
            # the full load runs after this block: the exception (its traceback, the reader's
            # error chained to it) holds what the lean reader made until the block ends
            lean = None
        if lean is None:
            from . import persistence

            pipeline, manifest = persistence.load_pipeline(path)
            model = cls(pipeline, manifest, path)
        else:
            model = cls(None, manifest, path)
            model._lean, model._lean_source = lean, Path(path).resolve()
        if manifest.get("taxonomy_hash") and manifest["taxonomy_hash"] != model.taxonomy.hash:
            raise ModelIntegrityError(
                f"model {path}: the taxonomy in the manifest does not match the pipeline's"
            )
        return model

    # ----------------------------------------------------------------- tagging
    @property
    def languages(self) -> list[str]:
        """ISO 639-1 codes of the languages this model tags."""
        return list(self.decider.named_steps["preprocess"].languages_)

    def segment(self, texts: Sequence[str], lang: str | None = None) -> list[Segmented]:
        return self.decider.named_steps["preprocess"].segment(texts, lang=lang)

    def tag_segments(
        self, ids: Sequence[Any], segs: Sequence[Segmented], unit: str = "passage"
    ) -> pd.DataFrame:
        """Label already segmented documents (see :func:`narratives._rows.build_rows`)."""
        return build_rows(self.decider, ids, segs, unit=unit, training_unit=self.training_unit)

    def with_thresholds(
        self,
        thresholds: Mapping[str, float],
        note: str | None = None,
        clip: tuple[float, float] | None = None,
    ) -> NarrativeModel:
        """A copy of this model whose decision thresholds are replaced for the given labels.

        Parameters
        ----------
        thresholds : mapping
            Fine (or coarse) label -> threshold in [0, 1], e.g. the ``thresholds`` of
            ``narratives.evaluate(...)["threshold_tuning"]``.
        note : str, optional
            Recorded in the manifest (``threshold_override``) with the labels changed.
        clip : (low, high), optional
            Bounds for the new thresholds. Default: the model's own ``threshold_floor`` and
            ``threshold_ceiling`` (0.1 and 0.9 unless changed), so a threshold tuned to 0 on a
            label whose positives all scored 0 does not turn into "every text has this label".

        Labels the model does not know, and values outside [0, 1], raise
        :class:`~narratives.InputError`. The copy saves and loads like any model.
        """
        clf = self.decider.classifier
        unknown = [k for k in thresholds if k not in clf.thresholds_]
        if unknown:
            raise InputError(
                f"{len(unknown)} label(s) unknown to the model: {', '.join(unknown[:5])}"
            )
        bad = {k: v for k, v in thresholds.items() if not (0.0 <= float(v) <= 1.0)}
        if bad:
            raise InputError(f"thresholds must lie in [0, 1]: {bad}")
        if clip is None:
            clip = (
                float(getattr(clf, "threshold_floor", 0.0)),
                float(getattr(clf, "threshold_ceiling", 1.0)),
            )
        lo, hi = clip
        new = {k: min(max(float(v), lo), hi) for k, v in thresholds.items()}
        pipe = copy.deepcopy(self.pipeline)
        pipe.classifier.thresholds_.update(new)
        # A threshold set by hand holds in every language.
        for table in (getattr(pipe.classifier, "language_thresholds_", None) or {}).values():
            for k in new:
                table.pop(k, None)
        manifest = copy.deepcopy(self.manifest)
        manifest["threshold_override"] = {
            "labels": sorted(new),
            "clip": [lo, hi],
            "note": note or "thresholds set with NarrativeModel.with_thresholds",
        }
        return NarrativeModel(pipe, manifest)

    def tag(
        self,
        data: Iterable[str] | pd.DataFrame | pd.Series,
        unit: str = "passage",
        text_column: str = "text",
        id_column: str = "id",
        with_text: bool = True,
        lang: str | None = None,
        chunk_size: int = CHUNK_DOCS,
        progress: bool | None = None,
    ) -> pd.DataFrame:
        """Tag texts or a DataFrame; returns one row per passage or per document.

        Columns: ``id``, (``passage``, ``start``, ``end``, ``text`` for passages), ``frames``,
        ``families``, ``stance``, ``scores`` (frame -> probability), ``countries`` (gazetteer states
        and regions mentioned, most frequent first), ``lang`` and ``flag`` ("" or boilerplate,
        heading, unsupported_language (not a language the model tags), truncated, off_topic: the document names none of the taxonomy's
        relevance actors, so no frame is assigned; its scores are still reported; empty: a
        document with nothing to tag, empty or only whitespace or markup, which still gets one
        passage row with no frame). Document rows add ``evidence`` (for each frame
        the document was given, the index of the passage that scored it highest).

        ``data`` is one text, a list (any iterable) of texts, a ``{id: text}`` dict, a Series
        (its index gives the ids) or a DataFrame (``text_column``; ids from ``id_column`` when
        present, else the row positions 0, 1, ...). Texts must be strings. Ids are kept as given:
        duplicate ids are allowed (each row comes from its own document), a missing id (None or
        NaN) in a DataFrame is an :class:`~narratives.InputError`. Each document is tagged in
        its detected language; ``lang`` (one of :attr:`languages`) forces one for all.

        A DataFrame's other columns (outlet, date, ...) are carried through to every row of
        their document, with their dtypes, after the output columns; a name the output already
        has gets the suffix ``_input`` (``frames`` -> ``frames_input``), as in ``narratives tag``.

        Documents are tagged in chunks of at most ``chunk_size`` documents (and about
        1,000,000 characters), so memory stays bounded on a large DataFrame; the rows are the
        same as in one call. ``progress``: a progress bar over the documents (``tqdm.auto``: a
        widget in Jupyter); by default shown only in an interactive session.
        """
        if unit not in UNITS:
            raise InputError(f"unit must be one of {UNITS}, not {unit!r}")
        if not isinstance(chunk_size, numbers.Integral) or chunk_size < 1:
            raise InputError(
                f"chunk_size must be a positive number of documents, not {chunk_size!r}"
            )
        ids, texts = _ids_and_texts(data, text_column, id_column)
        parts = []
        with progress_bar(progress, len(texts), "tagging", unit="doc") as bar:
            for start, stop in _chunks(texts, chunk_size, CHUNK_CHARS):
                parts.append(self._tag_positions(texts, start, stop, unit, lang))
                bar.update(stop - start)
        out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        pos = [int(k) for k in out["id"]]
        if with_text and unit == "passage" and len(out):
            out.insert(
                TEXT_POSITION,
                "text",
                [texts[k][s:e] for k, s, e in zip(pos, out["start"], out["end"], strict=True)],
            )
        out["id"] = [ids[k] for k in pos]
        if isinstance(data, pd.DataFrame):
            out = _with_input_columns(out, data, pos, (text_column, id_column))
        return out

    def _tag_positions(
        self, texts: Sequence[str], start: int, stop: int, unit: str, lang: str | None
    ) -> pd.DataFrame:
        """Rows of ``texts[start:stop]`` with their positions in ``texts`` as ids.

        Rows are built on positions, never on ids: duplicate (or unhashable) ids cannot mix up
        documents. The caller's ids go in at the end.
        """
        segs = self.segment(texts[start:stop], lang=lang)
        out = self.tag_segments(list(range(start, stop)), segs, unit=unit)
        if unit == "passage":
            return self._with_empty_rows(out, segs, start)
        if len(out):
            out.loc[out["n_passages"] == 0, "flag"] = "empty"
        return out

    def _with_empty_rows(
        self, out: pd.DataFrame, segs: Sequence[Segmented], first: int = 0
    ) -> pd.DataFrame:
        """A passage row flagged ``empty`` for each document without passages (empty, or only
        whitespace or markup): no document silently lacks a row. ``out`` has positional ids,
        ``first`` for ``segs[0]``."""
        empty = [first + k for k, seg in enumerate(segs) if not seg.passages]
        if not empty:
            return out
        none = self.decider.classifier.none_label_
        defaults = {
            "passage": 0,
            "start": 0,
            "end": 0,
            "frames": [none],
            "families": [none],
            "stance": "none",
            "document_frames": [none],
            "document_families": [none],
            "countries": [],
            "lang": "",
            "flag": "empty",
        }
        rows = [
            {c: ({} if c in ("stances", "scores", "document_stances") else None) for c in out}
            | {c: v for c, v in defaults.items() if c in out.columns}
            | {"id": k}
            for k in empty
        ]
        extra = pd.DataFrame(rows, columns=out.columns)
        both = pd.concat([out, extra], ignore_index=True) if len(out) else extra
        return both.sort_values("id", kind="stable").reset_index(drop=True)

    # -------------------------------------------------------------- explaining
    def explain(
        self, text: str, top_k: int = 8, labels: Sequence[str] | None = None
    ) -> Explanation:
        """Per label: score, threshold, the sentences and features (n-grams, cues) that pushed it up."""
        return explain(self, text, top_k=top_k, labels=labels)


def _ids_and_texts(data: Any, text_column: str, id_column: str) -> tuple[list[Any], list[str]]:
    """The ids and texts of what :meth:`NarrativeModel.tag` accepts (see its docstring)."""
    if isinstance(data, pd.DataFrame):
        if text_column not in data.columns:
            raise InputError(not_found("column", text_column, data.columns))
        texts = data[text_column].tolist()
        if id_column in data.columns:
            ids = data[id_column].tolist()
            missing = next((k for k, v in enumerate(ids) if _is_missing(v)), None)
            if missing is not None:
                raise InputError(
                    f"row {missing} has no id ({ids[missing]!r} in column {id_column!r}): give "
                    f"every row an id, or drop the column to number the rows"
                )
        else:
            ids = list(range(len(data)))
    elif isinstance(data, str):
        ids, texts = [0], [data]
    elif isinstance(data, pd.Series):
        ids, texts = list(data.index), data.tolist()
    elif isinstance(data, Mapping):
        ids, texts = list(data.keys()), list(data.values())
    elif isinstance(data, Iterable) and not isinstance(data, (bytes, bytearray, memoryview)):
        texts = list(data)
        ids = list(range(len(texts)))
    else:
        raise InputError(
            f"tag() takes a text, a list of texts, a {{id: text}} dict, a pandas Series or a "
            f"DataFrame, not {type(data).__name__}"
            + (" (decode bytes first: data.decode('utf-8'))" if isinstance(data, bytes) else "")
        )
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise InputError(f"text #{i} (id {ids[i]!r}) is {type(t).__name__}, not a string")
    return ids, texts


def _with_input_columns(
    out: pd.DataFrame, data: pd.DataFrame, pos: Sequence[int], used: tuple[str, ...]
) -> pd.DataFrame:
    """``out`` plus the columns of ``data`` not in ``used`` (text and id), row ``pos[i]`` of
    ``data`` on row ``i``; a name ``out`` has gets ``_input`` (the rule of the CLI's
    ``engine._work.tag_frame``, which writes the values as strings to files)."""
    taken = set(out.columns)
    extra = {}
    for j, name in enumerate(data.columns):
        if name in used:
            continue
        target = f"{name}_input" if name in taken else name
        extra[target] = data.iloc[:, j].take(pos).set_axis(out.index)
    if not extra:
        return out
    return pd.concat([out, pd.DataFrame(extra, index=out.index)], axis=1)


def _is_missing(v: Any) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and v != v


def _chunks(texts: Sequence[str], max_docs: int, max_chars: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` of consecutive chunks of ``texts``: at most ``max_docs`` documents, and
    no more than ``max_chars`` characters unless one document alone has more. No texts: one
    empty chunk (the empty frame has the output's columns)."""
    start, chars = 0, 0
    for k, text in enumerate(texts):
        if k > start and (k - start >= max_docs or chars + len(text) > max_chars):
            yield start, k
            start, chars = k, 0
        chars += len(text)
    yield start, len(texts)
