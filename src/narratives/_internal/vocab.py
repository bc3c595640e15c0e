"""Label and stance vocabularies, defined once."""

#: Labels meaning "no frame" in the bundled taxonomy ("none") and in SemEval's ("Other").
NONE_LABELS = frozenset({"none", "Other"})

#: Stances a gold label may carry (training data, evaluation).
STANCES = ("promotes", "reports", "none")
#: Stances the model outputs: ``unknown`` when a text has a frame but the model has no stance head.
STANCE_OUTPUTS = (*STANCES, "unknown")
#: The stances of framed text (``none`` means "no frame").
FRAMED_STANCES = ("promotes", "reports")
#: Display order in tables and plots.
STANCE_ORDER = ("promotes", "reports", "unknown", "none")
