"""Export: from label files to dataset files (JSONL, CSV, Parquet, Prodigy), leak-free splits and a dataset card.

Nothing here writes under ``labels/``: label files are read (journals included,
through :mod:`annotate.reading`) and never changed.

The parts, one module each:

- :mod:`.options`: the command's choices as one :class:`ExportOptions`, checked;
- :mod:`.corpus`: each document's units (spans) with every annotator's sentence, read and checked;
- :mod:`.splits`: leak-free, stable splits of whole document groups;
- :mod:`.rows`: the rows, the label each one gets, how unsure votes count, what is left out;
- :mod:`.writers`: the formats, one registry entry each (writer and suffix);
- :mod:`.statistics`: every figure of the card, counted as rows are made;
- :mod:`.card`: the dataset card (README.md) and provenance.

Units
    A unit is a sentence span ``(start, end)`` of one document; annotators' sentences
    with the same span are the same unit. A span that only some of a document's
    annotators have is a boundary disagreement: counted, and its rows are still made
    from the annotators who have it. Orphans (labels that could not be re-anchored) are
    never exported; they are counted. ``text`` and the context come from the current
    source. A label file whose ``source_sha256`` differs from the source is
    re-anchored in memory (as ``validate --fix`` would do, without saving) and counted
    as stale; labels it cannot place become orphans.

Labels (``--labels``)
    ``majority`` (default): the gold label where review decided one, else the unique
    weighted majority among the annotators (gold is never an annotator). Ties,
    sentences with fewer counted labels than ``--min-annotators`` and sentences whose
    majority share is below ``--min-agreement`` are left out and counted (the
    thresholds do not apply to gold labels: a reviewer decided those). ``gold``:
    adjudicated labels only. ``annotator:NAME``: one annotator's labels. ``all``: one
    row per (sentence, annotator). ``label_source`` says which: ``gold``, ``majority``
    or the annotator's name.

Unsure votes (``--unsure-weight W``, 0 to 1, default 0.5)
    A label flagged unsure counts W of a vote in the majority, in ``soft_label`` (the
    weighted share of each label) and in ``agreement`` (the weighted share of the row's
    label; null only when fewer than 2 annotators have a counted vote). W = 0 is the
    old behaviour: unsure labels are neither votes nor rows, each one counted in the
    card; ``--include-unsure`` is W = 1.

Splits: pure seeded hashing of whole document groups (see :mod:`.splits`)
    Documents that share a sentence whose normalised text is identical (NFKC, curly
    quotes made straight, case folded, whitespace collapsed) are joined into one group
    (union-find), so wire copy never straddles splits. A group's split is decided by
    its own hash alone: ``sha256(f"{seed}\\0{smallest doc id in the group}")`` read as a
    number in [0, 1) and mapped through the cumulative target fractions.

    Because nothing but the group itself goes into that decision, adding, removing or
    relabeling other documents never moves a document: a document keeps its split as
    long as the smallest doc id of its group stays the same. (A new document that
    shares a sentence with an existing group joins that group's split, unless its id
    sorts before every id in the group or it bridges groups that were apart; then the
    group moves, which is unavoidable: leakage-free beats stable.)

    This is also the only kind of assignment that is stable: if adding a document
    never moves another, a document's split in any corpus equals its split in the
    corpus holding just it (add the others one at a time), so it depends on that
    document alone. Any label balancing across documents would move earlier documents
    as the corpus grows, so there is none: stratification is in expectation, and the
    card reports how far each split's label shares actually are from the overall
    ones, next to the deviation chance alone would give.

Output
    ``<split>.jsonl`` (one object per line, keys sorted), ``<split>.csv`` (RFC 4180,
    nested fields as JSON), ``<split>.parquet`` (pyarrow, optional extra) and
    ``<split>.prodigy.jsonl``, plus ``README.md`` (the dataset card) and ``stats.json``.
    Nested mappings always carry the same keys (every annotator of the export, every
    label of the tagset; null where nothing was given) so that Arrow-based readers
    (``datasets``, Polars, Spark) infer one schema for the whole file. Same inputs and
    options give byte-identical files: nothing depends on time, order of the file
    system or hash randomisation. No NaN or Infinity is ever written.
"""

from __future__ import annotations

from .card import command_line, git_commit, render_card
from .corpus import Corpus, CorpusReader, DocUnits
from .options import LABEL_MODES, ExportOptions, check_out, parse_options, parse_split, parse_unsure_weight
from .rows import COLUMNS, FIELDS, LEFT_OUT_OTHER, LEFT_OUT_ROWS, RowBuilder, context
from .run import ExportResult, run_export
from .splits import Splits, assign_splits, key_of, normalise, split_of
from .writers import FORMAT_ALIASES, FORMATS, PARQUET_MISSING, REGISTRY, SUFFIX, arrow_schema, require_pyarrow

__all__ = [
    "COLUMNS", "FIELDS", "FORMATS", "FORMAT_ALIASES", "LABEL_MODES", "LEFT_OUT_OTHER", "LEFT_OUT_ROWS",
    "PARQUET_MISSING", "REGISTRY", "SUFFIX", "Corpus", "CorpusReader", "DocUnits", "ExportOptions",
    "ExportResult", "RowBuilder", "Splits", "arrow_schema", "assign_splits", "check_out", "command_line",
    "context", "git_commit", "key_of", "normalise", "parse_options", "parse_split", "parse_unsure_weight",
    "render_card", "require_pyarrow", "run_export", "split_of",
]
