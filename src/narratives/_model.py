"""The user-facing model: tag, explain, save, describe."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._exceptions import InputError
from ._taxonomy import Taxonomy
from .model import NarrativePipeline
from .persistence import load_pipeline, read_manifest, save_pipeline
from .preprocessing import Segmented
from .preprocessing._spacy import load_gazetteer

__all__ = ["UNITS", "NarrativeModel"]

log = logging.getLogger(__name__)
UNITS = ("passage", "document")
_COUNTRY_TYPES = {"state", "region"}


def _countries(actors: dict[str, int]) -> list[str]:
    gaz = load_gazetteer()
    keys = [
        k
        for k, _ in sorted(actors.items(), key=lambda kv: (-kv[1], kv[0]))
        if gaz.get(k, {}).get("type") in _COUNTRY_TYPES
    ]
    return keys


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

    # ---------------------------------------------------------------- describe
    @property
    def taxonomy(self) -> Taxonomy:
        return self.pipeline.taxonomy

    @property
    def thresholds(self) -> dict[str, float]:
        return dict(self.pipeline.classifier.thresholds_)

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
        lines += [
            "",
            "## Labels and thresholds",
            "",
            "| label | family | threshold | train support |",
            "|---|---|---|---|",
        ]
        clf = self.pipeline.classifier
        for f in tax.fine_labels:
            lines.append(
                f"| {f} | {tax.parent(f)} | {clf.thresholds_.get(f, float('nan')):.3f} | {clf.support_.get(f, 0)} |"
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
            "stance_head": self.pipeline.classifier.stance_estimator_ is not None,
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
        save_pipeline(self.pipeline, path, manifest)
        self.path = Path(path)
        self.manifest = read_manifest(path)  # now with format version, versions, hashes
        (self.path / "MODEL_CARD.md").write_text(self.card(), encoding="utf-8")
        return self.path

    @classmethod
    def load(cls, path: str | Path) -> NarrativeModel:
        pipeline, manifest = load_pipeline(path)
        model = cls(pipeline, manifest, path)
        if manifest.get("taxonomy_hash") and manifest["taxonomy_hash"] != model.taxonomy.hash:
            from ._exceptions import ModelIntegrityError

            raise ModelIntegrityError(
                f"model {path}: the taxonomy in the manifest does not match the pipeline's"
            )
        return model

    # ----------------------------------------------------------------- tagging
    def segment(self, texts: Sequence[str]) -> list[Segmented]:
        return self.pipeline.named_steps["preprocess"].segment(texts)

    def _scores(
        self, proba_row: np.ndarray, labels: list[str], digits: int = 4
    ) -> dict[str, float]:
        # np.round, as for the batch of passage rows in tag_segments: one rounding rule.
        return dict(zip(labels, np.round(proba_row, digits).tolist(), strict=True))

    def tag_segments(
        self, ids: Sequence[Any], segs: Sequence[Segmented], unit: str = "passage"
    ) -> pd.DataFrame:
        """Label already segmented documents (the engine's entry point)."""
        if unit not in UNITS:
            raise InputError(f"unit must be one of {UNITS}, not {unit!r}")
        clf = self.pipeline.classifier
        tax_none = clf.none_label_
        fine = clf.fine_labels_
        # Decide every taggable passage in one batch.
        refs, units, relevant = [], [], []
        doc_relevant = [self.pipeline.is_relevant(seg.document) for seg in segs]
        for d, seg in enumerate(segs):
            for p in seg.passages:
                if p.taggable:
                    refs.append((d, p.index))
                    units.append(p.processed)
                    relevant.append(doc_relevant[d])
        dec = self.pipeline.decide_processed(units, relevant=relevant)
        by_ref = {ref: k for k, ref in enumerate(refs)}
        if unit == "passage":
            # Rounded once for the whole batch (the rule of _scores).
            score_rows = np.round(dec["proba_fine"], 4).tolist()
            # Built column by column (a DataFrame from per-row dicts costs more than the rows).
            cols: dict[str, list] = {c: [] for c in PASSAGE_COLUMNS}
            for d, seg in enumerate(segs):
                relevant_flag = "" if doc_relevant[d] else "off_topic"
                for p in seg.passages:
                    k = by_ref.get((d, p.index))
                    if k is None:
                        frames, families, stance, scores = [tax_none], [tax_none], "none", {}
                    else:
                        frames, families, stance = (
                            dec["frames"][k],
                            dec["families"][k],
                            dec["stance"][k],
                        )
                        scores = dict(zip(fine, score_rows[k], strict=True))
                    for c, v in (
                        ("id", ids[d]), ("passage", p.index), ("start", p.start), ("end", p.end),
                        ("frames", frames), ("families", families), ("stance", stance),
                        ("scores", scores), ("countries", _countries(p.processed.actors)),
                        ("lang", p.processed.lang), ("flag", _flag(p, seg) or relevant_flag),
                    ):  # fmt: skip
                        cols[c].append(v)
            return pd.DataFrame(cols, columns=PASSAGE_COLUMNS)
        return self._aggregate(ids, segs, dec, by_ref, doc_relevant)

    def _aggregate(self, ids, segs, dec, by_ref, doc_relevant) -> pd.DataFrame:
        clf = self.pipeline.classifier
        fine, coarse, none = clf.fine_labels_, clf.coarse_labels_, clf.none_label_
        thr_f = np.array([clf.thresholds_[f] for f in fine])
        whole = None
        if self.training_unit == "document":
            whole = self.pipeline.decide_processed([s.document for s in segs])
        rows = []
        for d, seg in enumerate(segs):
            ks = [by_ref[(d, p.index)] for p in seg.passages if (d, p.index) in by_ref]
            pidx = [p.index for p in seg.passages if (d, p.index) in by_ref]
            evidence: dict[str, int] = {}
            if whole is not None:
                proba = whole["proba_fine"][d]
                frames = [f for f in whole["frames"][d] if f != none]
                families = [c for c in whole["families"][d] if c != none]
                stance = whole["stance"][d]
            elif ks:
                P = dec["proba_fine"][ks]
                proba = P.max(axis=0)
                frames = (
                    [fine[j] for j in np.flatnonzero(proba >= thr_f)] if doc_relevant[d] else []
                )
                fam_hits = set()
                for k in ks:
                    fam_hits.update(c for c in dec["families"][k] if c != none)
                families = [c for c in coarse if c in fam_hits]
                framed = [dec["stance"][k] for k in ks if dec["stance"][k] not in ("none",)]
                if not framed:
                    stance = "none"
                elif "unknown" in framed:
                    stance = "unknown"
                else:
                    stance = (
                        "promotes" if framed.count("promotes") >= len(framed) / 2 else "reports"
                    )
            else:
                proba = np.zeros(len(fine))
                frames, families, stance = [], [], "none"
            if ks:
                P = dec["proba_fine"][ks]
                for j in np.flatnonzero(proba > 0):
                    if fine[j] in frames:
                        evidence[fine[j]] = int(pidx[int(P[:, j].argmax())])
            rows.append({
                "id": ids[d], "frames": frames or [none], "families": families or [none], "stance": stance,
                "scores": self._scores(proba, fine), "evidence": evidence,
                "countries": _countries(seg.document.actors), "lang": seg.document.lang,
                "n_passages": len(seg.passages),
                "flag": "truncated" if seg.truncated else ("non_english" if seg.document.lang != "en" else ("" if doc_relevant[d] else "off_topic")),
            })  # fmt: skip
        return pd.DataFrame(rows, columns=DOCUMENT_COLUMNS)

    def tag(
        self,
        data: Iterable[str] | pd.DataFrame | pd.Series,
        unit: str = "passage",
        text_column: str = "text",
        id_column: str = "id",
        with_text: bool = True,
    ) -> pd.DataFrame:
        """Tag texts or a DataFrame; returns one row per passage or per document.

        Columns: ``id``, (``passage``, ``start``, ``end``, ``text`` for passages), ``frames``,
        ``families``, ``stance``, ``scores`` (frame -> probability), ``countries`` (gazetteer states
        and regions mentioned, most frequent first), ``lang`` and ``flag`` ("" or boilerplate,
        heading, non_english, truncated, off_topic: the document names none of the taxonomy's
        relevance actors, so no frame is assigned; its scores are still reported). Document rows add ``evidence`` (frame -> passage index).
        """
        if isinstance(data, pd.DataFrame):
            if text_column not in data.columns:
                raise InputError(
                    f"column {text_column!r} not found; available: {', '.join(map(str, data.columns))}"
                )
            texts = data[text_column].tolist()
            ids = data[id_column].tolist() if id_column in data.columns else list(range(len(data)))
        else:
            if isinstance(data, str):
                data = [data]
            texts = list(data.tolist() if isinstance(data, pd.Series) else data)
            ids = list(data.index) if isinstance(data, pd.Series) else list(range(len(texts)))
        for i, t in enumerate(texts):
            if not isinstance(t, str):
                raise InputError(f"text #{i} (id {ids[i]!r}) is {type(t).__name__}, not a string")
        segs = self.segment(texts)
        out = self.tag_segments(ids, segs, unit=unit)
        if with_text and unit == "passage" and len(out):
            by_id = dict(zip(ids, texts, strict=True))
            out.insert(
                4,
                "text",
                [
                    by_id[i][s:e]
                    for i, s, e in zip(out["id"], out["start"], out["end"], strict=True)
                ],
            )
        return out

    # -------------------------------------------------------------- explaining
    def explain(self, text: str, top_k: int = 8, labels: Sequence[str] | None = None):
        """Per label: score, threshold, the sentences and features (n-grams, cues) that pushed it up."""
        from ._explain import explain

        return explain(self, text, top_k=top_k, labels=labels)


PASSAGE_COLUMNS = [
    "id",
    "passage",
    "start",
    "end",
    "frames",
    "families",
    "stance",
    "scores",
    "countries",
    "lang",
    "flag",
]
DOCUMENT_COLUMNS = [
    "id",
    "frames",
    "families",
    "stance",
    "scores",
    "evidence",
    "countries",
    "lang",
    "n_passages",
    "flag",
]


def _flag(p, seg) -> str:
    if seg.truncated and p.index == len(seg.passages) - 1:
        return "truncated"  # first: the cut may land in a heading or boilerplate line
    if p.kind != "text":
        return p.kind
    if p.processed.lang != "en":
        return "non_english"
    return ""
