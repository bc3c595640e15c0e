"""The preprocessing stage: normalise, segment into sentences and passages, tokenise, match cues.

The work is :class:`~narratives.preprocessing._segmenter.Segmenter`'s (no scikit-learn); this
module adds the estimator API, and keeps the class at the module path every saved model names.
"""

from __future__ import annotations

from collections.abc import Iterable

from sklearn.base import BaseEstimator, TransformerMixin

from ._segmenter import Segmenter
from ._units import Passage, Processed, Segmented, text_hash

__all__ = ["Passage", "Preprocessor", "Processed", "Segmented", "text_hash"]


class Preprocessor(Segmenter, TransformerMixin, BaseEstimator):
    """spaCy preprocessing stage: text -> :class:`Processed` records.

    Stateless apart from its parameters; ``fit`` only records the taxonomy it will match.

    Parameters
    ----------
    spacy_model : str, default="blank:en"
        ``"blank:<lang>"`` for ``spacy.blank`` plus rule-based components, or the name of an
        installed spaCy pipeline.
    lemmatize : bool, default=True
        Use the lookup lemmatizer (spacy-lookups-data) for feature tokens.
    taxonomy : dict, Taxonomy, path or None
        Source of the cue phrases; ``None`` is the bundled taxonomy.
    passage_sentences : int, default=3
        Sentences per passage window.
    max_passage_chars : int, default=1000
        Cap on passage length in characters; longer sentences are cut at token boundaries.
    max_chars : int, default=2_000_000
        Documents longer than this are processed up to the limit and flagged as truncated.
    batch_size : int, default=64
        ``nlp.pipe`` batch size.
    languages : "auto" or sequence of str, default="auto"
        ISO 639-1 codes of the languages to tag. ``"auto"``: the languages of at least 1% (and
        3) of the texts seen by ``fit``, plus the language of ``spacy_model``. Each document is
        routed by its detected language to ``spacy.blank(<lang>)`` (or ``spacy_model`` for its
        own language) with that language's lemmas (pymorphy3 for Russian and Ukrainian);
        passages in other languages are not tagged.
    force_language : str or None, default=None
        Treat every document as this language (one of ``languages_``) instead of detecting it.

    Examples
    --------
    >>> pre = Preprocessor().fit(["x"])
    >>> seg = pre.segment(["Kazakhstan is an artificial state. It owes its existence to Moscow."])[0]
    >>> [(p.start, p.end, p.kind) for p in seg.passages]
    [(0, 67, 'text')]
    """

    def transform(self, X: Iterable[str]) -> list[Processed]:
        """Document-level :class:`Processed` record per text (boilerplate left out)."""
        # Defined here (not only inherited) so that scikit-learn's set_output wraps it as before.
        return super().transform(X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
