"""Suggestions: pre-labels for sentences from transparent cue rules or from a model of the team's own labels.

Three parts, one module each:

- :mod:`.rules`: the :class:`Suggestion` every suggester returns, and :class:`RulesSuggester`,
  the cue rules of a tagset's ``suggest:`` sections (which cue fired is reported);
- :mod:`.files`: the suggestions file of a document, ``labels/<doc>/_suggestions.yaml``
  (not an annotator's file, never counted in agreement or status);
- :mod:`.model`: :class:`ModelSuggester`, TF-IDF and logistic regression trained on the
  project's labels by ``annotate suggest train``, stored as arrays (no pickle) in
  ``.annotate/model.npz``; its training data and grouped cross-validation.

Every suggester has a name and version (its ``agent``), recorded wherever its output is stored.
"""

from __future__ import annotations

from .files import (
    SUGGESTIONS_HEADER,
    SUGGESTIONS_VERSION,
    SuggestionMap,
    document_spans,
    format_table,
    load_suggestions,
    suggest_document,
    suggestions_path,
    write_suggestions,
)
from .model import (
    BLOCKS,
    MODEL_FORMAT,
    MODEL_PATH,
    OLD_MODEL_PATH,
    SKLEARN_MISSING,
    Corpus,
    Example,
    LinearModel,
    ModelSuggester,
    TrainReport,
    collect_examples,
    cross_validate,
    evaluate,
    group_folds,
    make_pipeline,
    require_sklearn,
)
from .rules import (
    CLAIM_TYPES_DEFAULTS,
    FALLBACK_SCORE,
    RulesSuggester,
    Suggester,
    Suggestion,
    neighbours,
    quoted_spans,
)

__all__ = [
    "BLOCKS", "CLAIM_TYPES_DEFAULTS", "FALLBACK_SCORE", "MODEL_FORMAT", "MODEL_PATH", "OLD_MODEL_PATH",
    "SKLEARN_MISSING", "SUGGESTIONS_HEADER", "SUGGESTIONS_VERSION", "Corpus", "Example", "LinearModel",
    "ModelSuggester", "RulesSuggester", "Suggester", "Suggestion", "SuggestionMap", "TrainReport",
    "collect_examples", "cross_validate", "document_spans", "evaluate", "format_table", "group_folds",
    "load_suggestions", "make_pipeline", "neighbours", "quoted_spans", "require_sklearn", "suggest_document",
    "suggestions_path", "write_suggestions",
]
