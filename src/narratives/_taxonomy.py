"""Two-level label taxonomies (family -> frame, or SemEval narrative -> subnarrative)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ._exceptions import TaxonomyError
from ._internal.yamlfile import read_yaml

__all__ = ["Frame", "Taxonomy"]


@dataclass(frozen=True)
class Frame:
    """One fine label: a narrative frame (or a SemEval subnarrative)."""

    id: str
    family: str
    name: str = ""
    definition: str = ""
    includes: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    semeval: tuple[str, ...] = ()


@dataclass(frozen=True)
class Taxonomy:
    """A two-level taxonomy: families (coarse labels) containing frames (fine labels).

    Parameters
    ----------
    name : str
        Short identifier of the taxonomy.
    frames : tuple of Frame
        The fine labels, each pointing to its family.
    families : mapping
        Family id -> {"name": ..., "definition": ...}.
    none_label : str
        Label given to a text that receives no frame ("none" or SemEval's "Other").
    stance_cues : mapping
        Optional cue phrases for the stance head, e.g. ``{"reports": ["according to", ...]}``.
    relevance_actors : tuple of str
        Gazetteer keys of which a document must mention at least one before any frame is
        assigned (empty: no such gate). The default taxonomy's frames concern Russia, its
        neighbours and NATO, so a text that names none of them gets no frame.
    relevance_cue_actors : tuple of str
        Gazetteer keys that open the gate only together with one of the frames' cue phrases:
        claims about the West ("Germany is a US vassal", "Europe supports the revival of
        fascism") name no regional actor, but ordinary Western news must not pass on its names.

    Examples
    --------
    >>> tax = Taxonomy.default()
    >>> tax.parent("artificial_state")
    'sovereignty'
    >>> tax.none_label
    'none'
    """

    name: str
    frames: tuple[Frame, ...]
    families: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    none_label: str = "none"
    version: str = "1"
    stance_cues: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    relevance_actors: tuple[str, ...] = ()
    relevance_cue_actors: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        ids = [f.id for f in self.frames]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise TaxonomyError(f"taxonomy {self.name!r}: duplicate frame ids {sorted(dupes)}")
        if not ids:
            raise TaxonomyError(f"taxonomy {self.name!r} has no frames")
        missing = sorted({f.family for f in self.frames} - set(self.families))
        if missing:
            # Families may be implicit (SemEval label lists); fill them in.
            fams = dict(self.families)
            for m in missing:
                fams[m] = {"name": m, "definition": ""}
            object.__setattr__(self, "families", fams)
        if self.none_label in ids or self.none_label in self.families:
            raise TaxonomyError(f"none label {self.none_label!r} must not be a frame or family id")

    # ------------------------------------------------------------------ labels
    @property
    def fine_labels(self) -> list[str]:
        """Frame ids in taxonomy order."""
        return [f.id for f in self.frames]

    @property
    def coarse_labels(self) -> list[str]:
        """Family ids in taxonomy order (first appearance)."""
        seen: dict[str, None] = {}
        for fam in self.families:
            seen.setdefault(fam, None)
        return list(seen)

    def parent(self, label: str) -> str:
        """Family of a frame id."""
        try:
            return self._parents[label]
        except KeyError:
            raise TaxonomyError(f"unknown frame {label!r} in taxonomy {self.name!r}") from None

    @property
    def _parents(self) -> dict[str, str]:
        return {f.id: f.family for f in self.frames}

    def frame(self, label: str) -> Frame:
        for f in self.frames:
            if f.id == label:
                return f
        raise TaxonomyError(f"unknown frame {label!r} in taxonomy {self.name!r}")

    def children(self, family: str) -> list[str]:
        return [f.id for f in self.frames if f.family == family]

    def cues(self) -> dict[str, list[str]]:
        """Cue phrases per frame id (frames without cues are left out)."""
        return {f.id: list(f.cues) for f in self.frames if f.cues}

    def families_of(self, frames: Iterable[str]) -> list[str]:
        """Families implied by a set of frames, in taxonomy order."""
        wanted = {self.parent(f) for f in frames}
        return [c for c in self.coarse_labels if c in wanted]

    # ------------------------------------------------------------- (de)serialise
    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "none_label": self.none_label,
            "families": {k: dict(v) for k, v in self.families.items()},
            "stance_cues": {k: list(v) for k, v in self.stance_cues.items()},
            "relevance_actors": list(self.relevance_actors),
            "frames": [
                {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(f).items()}
                for f in self.frames
            ],
            # Only when set, so that taxonomies without it keep their hash (saved models).
            **(
                {"relevance_cue_actors": list(self.relevance_cue_actors)}
                if self.relevance_cue_actors
                else {}
            ),
        }

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON form: identifies the taxonomy in model manifests."""
        blob = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Taxonomy:
        if not isinstance(data, Mapping) or "frames" not in data:
            raise TaxonomyError("taxonomy must be a mapping with a 'frames' list")
        frames = []
        for i, raw in enumerate(data["frames"]):
            if not isinstance(raw, Mapping) or "id" not in raw or "family" not in raw:
                raise TaxonomyError(f"taxonomy frame #{i} needs at least 'id' and 'family'")
            kw = {k: raw.get(k) for k in Frame.__dataclass_fields__ if k in raw}
            for key in ("includes", "excludes", "cues", "semeval"):
                if key in kw:
                    val = kw[key] or ()
                    if isinstance(val, str):
                        val = (val,)
                    kw[key] = tuple(str(v) for v in val)
            kw["id"], kw["family"] = str(kw["id"]), str(kw["family"])
            frames.append(Frame(**kw))
        families = data.get("families") or {}
        if isinstance(families, list):
            families = {str(f["id"]): {k: v for k, v in f.items() if k != "id"} for f in families}
        stance = {k: tuple(v or ()) for k, v in (data.get("stance_cues") or {}).items()}
        return cls(
            name=str(data.get("name", "custom")),
            version=str(data.get("version", "1")),
            none_label=str(data.get("none_label", "none")),
            families=families,
            frames=tuple(frames),
            stance_cues=stance,
            relevance_actors=tuple(str(a) for a in (data.get("relevance_actors") or ())),
            relevance_cue_actors=tuple(str(a) for a in (data.get("relevance_cue_actors") or ())),
        )

    @classmethod
    def load(cls, path: str | Path) -> Taxonomy:
        """Read a taxonomy from a YAML or JSON file."""
        return cls.from_dict(read_yaml(path, TaxonomyError, "taxonomy file"))

    @classmethod
    def default(cls) -> Taxonomy:
        """The bundled taxonomy of pro-Kremlin narrative frames."""
        text = resources.files("narratives.resources").joinpath("taxonomy.yaml").read_text("utf-8")
        return cls.from_dict(yaml.safe_load(text))

    @classmethod
    def from_label_pairs(
        cls, pairs: Iterable[tuple[str, str]], none_label: str = "Other", name: str = "custom"
    ) -> Taxonomy:
        """Build a taxonomy from (fine, coarse) label pairs, e.g. read from SemEval annotations."""
        frames: dict[str, str] = {}
        for fine, coarse in pairs:
            if fine == none_label:
                continue
            if fine in frames and frames[fine] != coarse:
                raise TaxonomyError(f"label {fine!r} has two parents: {frames[fine]!r}, {coarse!r}")
            frames[fine] = coarse
        fams = {c: {"name": c, "definition": ""} for c in sorted(set(frames.values()))}
        return cls(
            name=name,
            frames=tuple(Frame(id=f, family=c, name=f) for f, c in sorted(frames.items())),
            families=fams,
            none_label=none_label,
        )
