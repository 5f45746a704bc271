"""Export: from label files to dataset files (JSONL, CSV, Parquet, Prodigy), leak-free splits and a dataset card.

Nothing here writes under ``labels/``: label files are read (journals included,
through the same replay the labeling session uses) and never changed.

Units
    A unit is a sentence span ``(start, end)`` of one document; annotators' sentences
    with the same span are the same unit. A span that only some of a document's
    annotators have is a boundary disagreement: counted, and its rows are still made
    from the annotators who have it. Orphans (labels that could not be re-anchored) are
    never exported; they are counted. ``text`` and the context come from the current
    source. A label file whose ``source_sha256`` differs from the source is
    re-anchored in memory (:func:`annotate.anchor.reanchor`, as ``validate --fix``
    would do, without saving) and counted as stale; labels it cannot place become
    orphans.

Labels (``--labels``)
    ``majority`` (default): the gold label where review decided one, else the unique
    majority among the annotators (gold is never an annotator). Ties, sentences with
    fewer usable labels than ``--min-annotators`` and sentences whose majority share is
    below ``--min-agreement`` are left out and counted (the thresholds do not apply to
    gold labels: a reviewer decided those). ``gold``: adjudicated labels only.
    ``annotator:NAME``: one annotator's labels. ``all``: one row per (sentence,
    annotator). An unsure label is never a row's label nor a vote unless
    ``--include-unsure``; each one left out is counted.

Splits: pure seeded hashing of whole document groups
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
    document alone. Any label balancing across documents (greedy filling in hash
    order, swaps near the boundaries) would move earlier documents as the corpus
    grows, so there is none: stratification is in expectation (every split draws
    groups from the same distribution), and the card reports how far each split's
    label shares actually are from the overall ones, next to the deviation chance
    alone would give.

Reading
    Each label file is parsed once. Files with a pending journal go through
    :func:`annotate.session.load_current`; a session's JSON cache is used when its
    sha256 matches, as ``load_current`` does; otherwise libyaml composes the file and
    PyYAML's resolver types the scalars, and a lean construction (plain maps, lists,
    str, decimal int and float, bool, null; anything else takes the careful path)
    replaces ``yaml.load``'s general one. Data of the plain shape skips pydantic
    (measured: validating 3,100 files costs about 15-20% of parsing them with
    libyaml); anything else goes through the LabelFile model, which normalises it
    or raises the file:line error. The garbage collector is paused during the export. Result: the whole
    export takes less time than ``yaml.load`` of the same files (benchmarks/bench_export.py).

Output
    ``<split>.jsonl`` (one object per line, keys sorted), ``<split>.csv`` (RFC 4180,
    nested fields as JSON), ``<split>.parquet`` (pyarrow, optional extra) and
    ``<split>.prodigy.jsonl``, plus ``README.md`` (the dataset card) and ``stats.json``.
    Nested mappings always carry the same keys (every annotator of the export, every
    label of the tagset; null where nothing was given) so that Arrow-based readers
    (``datasets``, Polars, Spark) infer one schema for the whole file. Same inputs and
    options give byte-identical files: nothing depends on time, order of the file
    system or hash randomisation.
"""

from __future__ import annotations

import bisect
import csv
import gc
import hashlib
import io
import json
import re
import shlex
import subprocess
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .agreement import krippendorff_alpha
from .errors import AnnotateError
from .models import ANNOTATOR_PATTERN, GOLD, LabelFile, Tagset, is_valid_annotator
from .reading import check_identity, read_label_data, reanchored
from .store import Project, check_against

FORMATS = ("jsonl", "csv", "parquet", "spacy")
"""Output formats, in the order they are written."""

SUFFIX = {"jsonl": ".jsonl", "csv": ".csv", "parquet": ".parquet", "spacy": ".prodigy.jsonl"}

LABEL_MODES = ("majority", "gold", "all", "annotator:NAME")

SPLIT_NAMES = {1: ("train",), 2: ("train", "test"), 3: ("train", "dev", "test")}

PARQUET_MISSING = "parquet needs pyarrow: pip install 'annotate[parquet]'"

FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "stable id: `<document>:<start>-<end>`, plus `:<annotator>` with --labels all"),
    ("document", "document id (path under seeds/ minus suffix)"),
    ("start", "offset of the sentence's first character in the source (Python str index)"),
    ("end", "offset one past its last character"),
    ("text", "the sentence: source[start:end]"),
    ("label", "the label of this row"),
    ("label_source", "where the label comes from: `gold`, `majority` or the annotator's name"),
    ("gold", "the adjudicated label from gold.yaml, or null"),
    ("labels", "every annotator of the export -> the label they gave (null: none; unsure ones included)"),
    ("soft_label", "every label of the tagset -> share of the counted votes; null when no votes"),
    ("agreement", "share of the counted votes equal to `label`; null with fewer than 2 votes"),
    ("split", "train, dev or test"),
    ("context_before", "texts of the preceding sentences, nearest last"),
    ("context_after", "texts of the following sentences, nearest first"),
    ("notes", "annotator -> note (null: none)"),
    ("seconds", "annotator -> seconds spent (null: not recorded)"),
    ("unsure", "annotators who flagged the sentence unsure"),
    ("suggested", "annotator -> the suggestion shown while they labeled (null: labeled blind)"),
)
COLUMNS = tuple(name for name, _ in FIELDS)

LEFT_OUT_ROWS: dict[str, str] = {
    "unlabeled": "nobody (or not this annotator) gave a label",
    "unsure": "only unsure labels (pass --include-unsure to count them)",
    "no_gold": "no adjudicated label in gold.yaml (--labels gold)",
    "below_min_annotators": "fewer counted labels than --min-annotators",
    "tie": "no unique majority among the annotators",
    "low_agreement": "majority share below --min-agreement",
    "duplicates": "same normalised text as a row exported before it (--dedupe)",
}
"""Reasons a would-be row was not exported (each counted once, first reason that applies)."""

LEFT_OUT_OTHER: dict[str, str] = {
    "unsure_labels": "unsure labels not counted as votes (without --include-unsure)",
    "orphans": "orphaned labels (not placeable in the current source): never exported",
    "boundary_disagreements": "spans that only some of a document's annotators have"
    " (rows still made from those who have them)",
    "stale_files": "label files whose source changed: re-anchored in memory"
    " (run annotate validate --fix to save that)",
    "missing_source": "label files whose document has no source under seeds/: skipped",
    "empty_files": "label files without any label (opened, never labeled): not annotators, skipped",
}
"""Other things counted in the card: labels and files rather than rows."""

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
})
_SHA = re.compile(r"[0-9a-f]{64}")
_ANNOTATOR = re.compile(ANNOTATOR_PATTERN)

Progress = Callable[[int, int], None]
Warn = Callable[[str], None]


def normalise(text: str) -> str:
    """The text used to find duplicates: NFKC, curly quotes straight, case folded, whitespace collapsed."""
    if text.isascii():  # NFKC, the quotes and casefold change nothing else in ASCII
        return " ".join(text.lower().split())
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold().split())


# --------------------------------------------------------------------------- options


@dataclass(frozen=True)
class ExportOptions:
    """Everything that decides the output (besides the label files themselves)."""

    out: Path
    labels: str = "majority"
    include_unsure: bool = False
    min_annotators: int = 1
    min_agreement: float = 0.0
    split: tuple[tuple[str, int], ...] = (("train", 80), ("dev", 10), ("test", 10))
    seed: int = 0
    dedupe: bool = False
    context: int = 1
    formats: tuple[str, ...] = ("jsonl",)

    @property
    def mode(self) -> str:
        """``majority``, ``gold``, ``all`` or ``annotator``."""
        return "annotator" if self.labels.startswith("annotator:") else self.labels

    @property
    def annotator(self) -> str | None:
        """NAME of ``annotator:NAME``."""
        return self.labels.partition(":")[2] if self.mode == "annotator" else None

    def to_json(self) -> dict[str, Any]:
        """The options as plain data (out is left out: it does not change the content)."""
        return {
            "labels": self.labels, "include_unsure": self.include_unsure, "min_annotators": self.min_annotators,
            "min_agreement": self.min_agreement, "split": {name: pct for name, pct in self.split},
            "seed": self.seed, "dedupe": self.dedupe, "context": self.context, "formats": list(self.formats),
        }


def _int(option: str, value: str | int, minimum: int | None = None) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        raise AnnotateError(f"{option}: {value!r} is not a whole number") from None
    if minimum is not None and n < minimum:
        raise AnnotateError(f"{option}: must be at least {minimum}, not {n}")
    return n


def parse_split(value: str) -> tuple[tuple[str, int], ...]:
    """``80/10/10`` -> train/dev/test, ``90/10`` -> train/test, ``100`` -> train; must sum to 100."""
    parts = [p.strip() for p in str(value).split("/")]
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        raise AnnotateError(f"--split: {value!r} must be 1 to 3 whole percentages joined by '/', e.g. 80/10/10")
    pcts = [int(p) for p in parts]
    if sum(pcts) != 100:
        raise AnnotateError(f"--split: {value} sums to {sum(pcts)}, not 100")
    return tuple(zip(SPLIT_NAMES[len(pcts)], pcts, strict=True))


def parse_options(
    out: str | Path,
    labels: str = "majority",
    include_unsure: bool = False,
    min_annotators: str | int = 1,
    min_agreement: str | float = 0.0,
    split: str = "80/10/10",
    seed: str | int = 0,
    dedupe: bool = False,
    context: str | int = 1,
    formats: Sequence[str] = ("jsonl",),
) -> ExportOptions:
    """Check the command's options; every problem is an :class:`AnnotateError` naming the option."""
    mode = str(labels).strip()
    if mode.startswith("annotator:"):
        name = mode.partition(":")[2]
        if name == GOLD:
            raise AnnotateError("--labels: gold is the adjudicated label, not an annotator; use --labels gold")
        if not is_valid_annotator(name):
            raise AnnotateError(f"--labels: {name!r} is not a valid annotator name ({ANNOTATOR_PATTERN})")
    elif mode not in ("majority", "gold", "all"):
        raise AnnotateError(f"--labels: {mode!r} is not one of {', '.join(LABEL_MODES)}")
    n_ann = _int("--min-annotators", min_annotators, 1)
    try:
        agree = float(str(min_agreement).strip())
    except ValueError:
        raise AnnotateError(f"--min-agreement: {min_agreement!r} is not a number between 0 and 1") from None
    if not 0.0 <= agree <= 1.0:  # also refuses nan
        raise AnnotateError(f"--min-agreement: {min_agreement} is not between 0 and 1 (a share, e.g. 0.67)")
    if mode != "majority" and (n_ann != 1 or agree != 0.0):
        raise AnnotateError("--min-annotators and --min-agreement apply to --labels majority only")
    chosen: list[str] = []
    for item in formats or ("jsonl",):
        for f in str(item).split(","):
            f = f.strip().lower()
            if f not in FORMATS:
                raise AnnotateError(f"--format: {f!r} is not one of {', '.join(FORMATS)}")
            chosen.append(f)
    fmts = tuple(f for f in FORMATS if f in chosen)
    if "parquet" in fmts:
        require_pyarrow()
    return ExportOptions(
        out=Path(out), labels=mode, include_unsure=include_unsure, min_annotators=n_ann, min_agreement=agree,
        split=parse_split(split), seed=_int("--seed", seed), dedupe=dedupe,
        context=_int("--context", context, 0), formats=fmts,
    )


def require_pyarrow() -> Any:
    """``pyarrow.parquet``, or the one-line error saying how to install it."""
    try:
        import pyarrow  # noqa: F401
        import pyarrow.parquet as pq
    except ImportError:
        raise AnnotateError(PARQUET_MISSING) from None
    return pq


def check_out(project: Project, out: Path) -> Path:
    """The output folder, refused when it is inside labels/, the project root itself, or a file."""
    target = out.resolve()
    labels = project.labels.resolve()
    if target == labels or labels in target.parents:
        raise AnnotateError(f"--out {out}: is inside labels/; export never writes there (try --out out/)")
    if target == project.root:
        raise AnnotateError(f"--out {out}: is the project root; its README.md would be overwritten"
                            " (try --out out/)")
    if target.exists() and not target.is_dir():
        raise AnnotateError(f"--out {out}: exists and is not a folder")
    return target


# --------------------------------------------------------------------------- the corpus


@dataclass
class DocUnits:
    """One document's label files as units: span -> annotator -> sentence mapping."""

    doc: str
    text: str
    annotators: list[str]
    spans: dict[tuple[int, int], dict[str, dict[str, Any]]]
    gold: dict[tuple[int, int], dict[str, Any]]
    boundary: int = 0
    orphans: int = 0


@dataclass
class Corpus:
    """Every document with label files, loaded and checked."""

    tagset: Tagset
    docs: list[DocUnits] = field(default_factory=list)
    annotators: list[str] = field(default_factory=list)
    files: int = 0
    stale_files: list[str] = field(default_factory=list)
    missing_source: list[str] = field(default_factory=list)
    empty_files: list[str] = field(default_factory=list)


def _check_file(data: dict[str, Any], raw_where: str, path: Path, doc_id: str, name: str,
                text: str, names: set[str], tagset: Tagset) -> None:
    if data["document"] != doc_id:
        raise AnnotateError(f"document: {data['document']!r} but the file is under labels/{doc_id}/"
                            " (run annotate validate)", raw_where)
    if data["annotator"] != name:
        raise AnnotateError(f"annotator: {data['annotator']!r} but the file is named {path.name}"
                            " (run annotate validate)", raw_where)
    n = len(text)
    for s in data["sentences"]:
        label = s.get("label")
        if (label is not None and label not in names) or s["end"] > n or text[s["start"]:s["end"]] != s["text"]:
            # Let the shared check word the error, with the line of the file.
            model = LabelFile.model_validate(data)
            try:
                raw = path.read_text("utf-8", "replace")
            except OSError:
                raw = ""
            check_against(model, raw_where, tagset, text, raw)
            raise AnnotateError("does not match its source (run annotate validate)", raw_where)  # pragma: no cover
    for o in data.get("orphans") or ():
        if o.get("label") is not None and o["label"] not in names:
            check_against(LabelFile.model_validate(data), raw_where, tagset, None)


def load_corpus(project: Project, progress: Progress | None = None, warn: Warn | None = None) -> Corpus:
    """Load every label file once, check it against its source and the tagset, and index it by span."""
    paths = project.label_files()
    if not paths:
        raise AnnotateError(f"no label files under {project.display(project.labels)}/: nothing to export")
    by_doc: dict[str, list[Path]] = {}
    for p in paths:  # label_files() gives paths under project.labels: no need to resolve each one
        by_doc.setdefault(p.parent.relative_to(project.labels).as_posix(), []).append(p)
    documents = {d.id: d for d in project.documents()}
    tagsets: dict[str, Tagset] = {}
    annotators: set[str] = set()
    docs: list[DocUnits] = []
    stale: list[str] = []
    missing: list[str] = []
    empty: list[str] = []
    total = len(by_doc)
    for k, doc_id in enumerate(sorted(by_doc)):
        if progress:
            progress(k, total)
        files = sorted(by_doc[doc_id], key=lambda p: p.stem)  # annotators in name order everywhere after
        doc = documents.get(doc_id)
        if doc is None:
            missing.extend(p.relative_to(project.root).as_posix() for p in files)
            if warn:
                warn(f"labels/{doc_id}/: no source seeds/{doc_id}.txt; its {len(files)} label file(s) skipped")
            continue
        source = project.read_source(doc)
        units = DocUnits(doc_id, source.text, [], {}, {})
        for path in files:
            where = path.relative_to(project.root).as_posix()
            name = path.stem
            data = read_label_data(path, where, project.root)
            check_identity(data, doc, name, where, project)
            scheme = data["scheme"]
            if scheme not in tagsets:
                if tagsets:
                    raise AnnotateError(f"scheme: {scheme!r}, but other label files use"
                                        f" {', '.join(repr(s) for s in tagsets)}; export one tagset at a time",
                                        where)
                tagsets[scheme] = project.tagset(scheme)
            tagset = tagsets[scheme]
            if data["source_sha256"] != source.sha256:
                data = reanchored(project, doc, LabelFile.model_validate(data), source)[0].to_data()
                stale.append(where)
                if warn:
                    warn(f"{where}: source changed since labeling; re-anchored in memory"
                         " (run annotate validate --fix to save)")
            _check_file(data, where, path, doc_id, name, source.text, set(tagset.names), tagset)
            if name != GOLD and all(s.get("label") is None for s in data["sentences"]):
                empty.append(where)  # opened, never labeled: not an annotator
                continue
            units.orphans += len(data.get("orphans") or ())
            if name == GOLD:
                units.gold = {(s["start"], s["end"]): s for s in data["sentences"]}
            else:
                units.annotators.append(name)
                for s in data["sentences"]:
                    units.spans.setdefault((s["start"], s["end"]), {})[name] = s
        for span in units.gold:
            units.spans.setdefault(span, {})
        n = len(units.annotators)
        units.boundary = sum(1 for have in units.spans.values() if 0 < len(have) < n) if n > 1 else 0
        annotators.update(units.annotators)
        docs.append(units)
    if progress:
        progress(total, total)
    if not tagsets:
        raise AnnotateError("no label file has a source under seeds/: nothing to export")
    return Corpus(next(iter(tagsets.values())), docs, sorted(annotators), len(paths) - len(empty), stale, missing,
                  empty)


# --------------------------------------------------------------------------- splits


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # The smaller id is the root: the root is then the group's smallest doc id.
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


def split_of(doc_id: str, seed: int, split: Sequence[tuple[str, int]]) -> str:
    """The split a group whose smallest doc id is ``doc_id`` goes to: its seeded hash mapped to percentages."""
    digest = hashlib.sha256(f"{seed}\0{doc_id}".encode()).digest()
    bucket = int.from_bytes(digest[:8], "big") * 100 >> 64  # uniform in 0..99, exact integer arithmetic
    cum = 0
    for name, pct in split:
        cum += pct
        if bucket < cum:
            return name
    return split[-1][0]  # pragma: no cover - the percentages sum to 100


@dataclass
class Splits:
    """Each document's split and group (the group's smallest doc id), and the texts that joined documents."""

    split: dict[str, str]
    group: dict[str, str]
    shared: dict[str, set[str]]

    def most_shared(self, n: int = 5) -> list[dict[str, Any]]:
        """The ``n`` normalised texts found in the most documents (what makes big groups)."""
        top = sorted(self.shared.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:n]
        return [{"text": text, "documents": len(docs)} for text, docs in top]


def assign_splits(keys: dict[str, Iterable[str]], seed: int, split: Sequence[tuple[str, int]]) -> Splits:
    """Each document's split, from the documents' sentence texts, already :func:`normalise`-d.

    Documents sharing a normalised sentence text are one group; a group goes where
    :func:`split_of` sends its smallest doc id.
    """
    uf = _UnionFind()
    first: dict[str, str] = {}
    shared: dict[str, set[str]] = {}
    for doc_id in sorted(keys):
        uf.find(doc_id)
        for key in keys[doc_id]:
            if not key:
                continue
            other = first.setdefault(key, doc_id)
            if other != doc_id:
                uf.union(other, doc_id)
                shared.setdefault(key, {other}).add(doc_id)
    groups = {d: uf.find(d) for d in keys}
    return Splits({d: split_of(g, seed, split) for d, g in groups.items()}, groups, shared)


# --------------------------------------------------------------------------- rows


def _context(spans_by_end: list[tuple[int, int]], spans_by_start: list[tuple[int, int]], text: str,
             start: int, end: int, n: int) -> tuple[list[str], list[str]]:
    """The texts of up to ``n`` sentences before and after ``start``-``end`` that do not overlap it.

    With boundary disagreements several segmentations overlap; each step takes the
    closest sentence that ends before (starts after) the current cursor, the shortest
    one on a tie, so the context is one clean run of sentences.
    """
    before: list[str] = []
    cursor = start
    for _ in range(n):
        i = bisect.bisect_right(spans_by_end, (cursor, cursor)) - 1
        # spans_by_end holds (end, start): the last one with end <= cursor, latest start first.
        if i < 0:
            break
        e, s = spans_by_end[i]
        before.append(text[s:e])
        cursor = s
    before.reverse()
    after: list[str] = []
    cursor = end
    for _ in range(n):
        i = bisect.bisect_left(spans_by_start, (cursor, -1))
        if i >= len(spans_by_start):
            break
        s, e = spans_by_start[i]
        after.append(text[s:e])
        cursor = e
    return before, after


@dataclass
class Built:
    """Rows and the counts of what was left out."""

    rows: list[dict[str, Any]]
    left_out: Counter[str]
    all_units: dict[tuple[str, int, int], dict[str, str | None]]
    suggestions: dict[str, dict[str, int]]
    """Per annotator: ``labels`` given, ``with_suggestion`` visible, ``equal_to_suggestion``."""


def build_rows(corpus: Corpus, options: ExportOptions, splits: dict[str, str]) -> Built:
    """Rows for every unit (or unit and annotator), in document and span order, and what was left out."""
    mode, only = options.mode, options.annotator
    include_unsure, min_ann, min_agree = options.include_unsure, options.min_annotators, options.min_agreement
    label_names = corpus.tagset.names
    empty_by_ann = dict.fromkeys(corpus.annotators)
    left: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    all_units: dict[tuple[str, int, int], dict[str, str | None]] = {}
    n_ctx = options.context
    unsure_labels = 0
    seen = {a: {"labels": 0, "with_suggestion": 0, "equal_to_suggestion": 0} for a in corpus.annotators}
    for du in corpus.docs:
        doc_id, text = du.doc, du.text
        left["orphans"] += du.orphans
        left["boundary_disagreements"] += du.boundary
        spans = sorted(du.spans)
        by_end = sorted((e, s) for s, e in spans)
        split = splits[doc_id]
        for span in spans:
            have = du.spans[span]
            start, end = span
            raw: dict[str, str | None] = {}
            unsure: list[str] = []
            votes: dict[str, str] = {}
            counts: dict[str, int] = {}
            for a, s in have.items():  # in annotator name order (load_corpus reads files so)
                label = s.get("label")
                raw[a] = label
                if label is not None:
                    tally = seen[a]
                    tally["labels"] += 1
                    shown = s.get("suggested")
                    if shown is not None:
                        tally["with_suggestion"] += 1
                        tally["equal_to_suggestion"] += shown == label
                if s.get("unsure"):
                    unsure.append(a)
                    if label is not None and not include_unsure:
                        unsure_labels += 1
                        continue
                if label is not None:
                    votes[a] = label
                    counts[label] = counts.get(label, 0) + 1
            all_units[(doc_id, start, end)] = raw
            g = du.gold.get(span)
            gold = g.get("label") if g else None
            n_votes = len(votes)
            # Which rows this unit gives: (label, label_source, annotator for the id) or a reason.
            made: list[tuple[str, str, str | None]] = []
            if mode == "majority":
                if gold is not None:
                    made.append((gold, GOLD, None))
                elif not n_votes:
                    left["unsure" if any(v is not None for v in raw.values()) else "unlabeled"] += 1
                elif n_votes < min_ann:
                    left["below_min_annotators"] += 1
                else:
                    # The unique most frequent label, as agreement.majority decides it (None on a tie).
                    top = max(counts.values())
                    winners = [lab for lab, c in counts.items() if c == top]
                    if len(winners) > 1:
                        left["tie"] += 1
                    elif top / n_votes < min_agree:
                        left["low_agreement"] += 1
                    else:
                        made.append((winners[0], "majority", None))
            elif mode == "gold":
                if gold is not None:
                    made.append((gold, GOLD, None))
                else:
                    left["no_gold"] += 1
            else:
                for a in ((only,) if mode == "annotator" else have):
                    if a not in have:
                        continue  # a boundary disagreement: counted above
                    if raw[a] is None:
                        left["unlabeled"] += 1
                    elif a not in votes:
                        left["unsure"] += 1
                    else:
                        made.append((raw[a], a, a))
            if not made:
                continue
            soft = {name: counts.get(name, 0) / n_votes for name in label_names} if n_votes else None
            before, after = _context(by_end, spans, text, start, end, n_ctx) if n_ctx else ([], [])
            labels = dict(empty_by_ann)
            notes = dict(empty_by_ann)
            seconds = dict(empty_by_ann)
            suggested = dict(empty_by_ann)
            for a, s in have.items():
                labels[a] = raw[a]
                notes[a] = s.get("note")
                suggested[a] = s.get("suggested")
                sec = s.get("seconds")
                seconds[a] = float(sec) if sec is not None else None
            base = f"{doc_id}:{start}-{end}"
            for label, source, who in made:
                rows.append({
                    "id": f"{base}:{who}" if mode == "all" else base,
                    "document": doc_id,
                    "start": start,
                    "end": end,
                    "text": text[start:end],
                    "label": label,
                    "label_source": source,
                    "gold": gold,
                    "labels": labels,
                    "soft_label": soft,
                    "agreement": counts.get(label, 0) / n_votes if n_votes >= 2 else None,
                    "split": split,
                    "context_before": before,
                    "context_after": after,
                    "notes": notes,
                    "seconds": seconds,
                    "unsure": unsure,
                    "suggested": suggested,
                })
    left["unsure_labels"] += unsure_labels
    return Built(rows, left, all_units, seen)


def dedupe_rows(rows: list[dict[str, Any]], norm: dict[tuple[str, int, int], str] | None = None
                ) -> tuple[list[dict[str, Any]], int, int]:
    """Rows without later copies of an earlier normalised text; also (rows dropped, duplicate rows seen).

    ``norm`` maps (document, start, end) to the normalised text when it is known already.
    """
    first: dict[str, tuple[str, int, int]] = {}
    kept: list[dict[str, Any]] = []
    dupes = 0
    for row in rows:
        unit = (row["document"], row["start"], row["end"])
        key = norm[unit] if norm is not None else normalise(row["text"])
        if first.setdefault(key, unit) == unit:
            kept.append(row)
        else:
            dupes += 1
    return kept, len(rows) - len(kept), dupes


# --------------------------------------------------------------------------- writers


_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, allow_nan=False, separators=(", ", ": "))


def jsonl_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
    """One JSON object per line, keys sorted, UTF-8."""
    encode = _JSON.encode
    return "".join(encode(r) + "\n" for r in rows).encode("utf-8")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return _JSON.encode(value)
    return str(value)


def csv_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
    """RFC 4180 CSV with a header; nested fields as JSON; null as an empty cell."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow([_cell(r[c]) for c in COLUMNS])
    return buf.getvalue().encode("utf-8")


def prodigy_bytes(rows: Iterable[dict[str, Any]]) -> bytes:
    """Prodigy/spaCy-style task lines: text, label, accept, answer, meta."""
    out = []
    for r in rows:
        task: dict[str, Any] = {
            "text": r["text"], "label": r["label"], "accept": [r["label"]], "answer": "accept",
            "meta": {"id": r["id"], "document": r["document"], "start": r["start"], "end": r["end"]},
        }
        if r["label_source"] not in (GOLD, "majority"):
            task["_annotator_id"] = r["label_source"]
        out.append(_JSON.encode(task) + "\n")
    return "".join(out).encode("utf-8")


def arrow_schema(annotators: Sequence[str], labels: Sequence[str]) -> Any:
    """The Arrow schema of the rows: annotator and label mappings as structs with fixed fields."""
    import pyarrow as pa

    def struct(keys: Sequence[str], kind: Any) -> Any:
        # A struct needs at least one field to be written; a gold-only export has no annotators.
        return pa.struct([pa.field(k, kind) for k in keys]) if keys else pa.struct([pa.field("_", kind)])

    strings = pa.list_(pa.string())
    return pa.schema([
        ("id", pa.string()), ("document", pa.string()), ("start", pa.int64()), ("end", pa.int64()),
        ("text", pa.string()), ("label", pa.string()), ("label_source", pa.string()), ("gold", pa.string()),
        ("labels", struct(annotators, pa.string())), ("soft_label", struct(labels, pa.float64())),
        ("agreement", pa.float64()), ("split", pa.string()), ("context_before", strings),
        ("context_after", strings), ("notes", struct(annotators, pa.string())),
        ("seconds", struct(annotators, pa.float64())), ("unsure", strings),
        ("suggested", struct(annotators, pa.string())),
    ])


def write_parquet(path: Path, rows: list[dict[str, Any]], annotators: Sequence[str], labels: Sequence[str]) -> None:
    """One Parquet file (pyarrow; the same data as the JSONL, structs for the mappings)."""
    pq = require_pyarrow()
    import pyarrow as pa

    table = pa.Table.from_pylist(rows, schema=arrow_schema(annotators, labels))
    pq.write_table(table, path, compression="zstd")


# --------------------------------------------------------------------------- provenance


def git_commit(root: Path) -> str:
    """The commit of the project's git repository, noting uncommitted label files; or why there is none."""
    def git(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=30,
                              check=False)

    try:
        inside = git("rev-parse", "--is-inside-work-tree")
    except (OSError, subprocess.SubprocessError):
        return "not a git repository (git not available)"
    if inside.returncode != 0 or inside.stdout.strip() != "true":
        return "not a git repository"
    head = git("rev-parse", "HEAD")
    if head.returncode != 0:
        return "no commit yet"
    commit = head.stdout.strip()
    dirty = git("status", "--porcelain", "--", "labels")
    if dirty.returncode == 0 and dirty.stdout.strip():
        commit += " (labels/ has uncommitted changes)"
    return commit


def command_line(argv: Sequence[str]) -> str:
    """``argv`` as one shell-quoted line, the program shown as ``annotate``."""
    args = list(argv)
    if args and Path(args[0]).name in ("annotate", "__main__.py", "-m"):
        args[0] = "annotate"
    return shlex.join(args)


# --------------------------------------------------------------------------- stats and card


def _shares(counts: Counter[str], labels: Sequence[str]) -> dict[str, float | None]:
    n = sum(counts.values())
    return {name: (counts[name] / n if n else None) for name in labels}


def compute_stats(corpus: Corpus, options: ExportOptions, built: Built, rows: list[dict[str, Any]],
                  assigned: Splits, command: str, commit: str, version: str, duplicate_rows: int) -> dict[str, Any]:
    """Every figure of the card, for machines (stats.json)."""
    labels = corpus.tagset.names
    split_names = [name for name, _ in options.split]
    per_split: dict[str, dict[str, Any]] = {}
    overall: Counter[str] = Counter(r["label"] for r in rows)
    for name, pct in options.split:
        srows = [r for r in rows if r["split"] == name]
        counts = Counter(r["label"] for r in srows)
        units = {(r["document"], r["start"], r["end"]) for r in srows}
        per_split[name] = {
            "target_percent": pct,
            "rows": len(srows),
            "sentences": len(units),
            "documents": len({r["document"] for r in srows}),
            "labels": {lab: counts[lab] for lab in labels},
            "label_shares": _shares(counts, labels),
        }
    overall_shares = _shares(overall, labels)
    # How far each split's label shares are from the overall ones, and how far chance alone would put
    # them: with groups assigned independently (probability p to a split), a split's share of a label
    # deviates by about sqrt(p (1 - p) sum_g r_g^2) / (p N), r_g = the group's count minus its expected count.
    per_group: dict[str, Counter[str]] = {}
    for r in rows:
        per_group.setdefault(assigned.group[r["document"]], Counter())[r["label"]] += 1
    worst = worst_sd = chance = 0.0
    for name, pct in options.split:
        shares = per_split[name]["label_shares"]
        p = pct / 100
        for lab in labels:
            dev = abs((shares[lab] or 0.0) - (overall_shares[lab] or 0.0)) if per_split[name]["rows"] else 0.0
            worst = max(worst, dev)
            if 0 < p < 1 and rows:
                share = overall_shares[lab] or 0.0
                sq = sum((c[lab] - share * sum(c.values())) ** 2 for c in per_group.values())
                sd = (p * (1 - p) * sq) ** 0.5 / (p * len(rows))
                chance = max(chance, sd)
                if sd > 0:
                    worst_sd = max(worst_sd, dev / sd)
    exported_units = sorted({(r["document"], r["start"], r["end"]) for r in rows})
    group_sizes = Counter(assigned.group.values())
    multi = [g for g, n in group_sizes.items() if n > 1]
    left = {key: built.left_out.get(key, 0) for key in (*LEFT_OUT_ROWS, *LEFT_OUT_OTHER)}
    if options.mode in ("all", "annotator"):  # the row's label is one annotator's
        with_suggestion = sum(1 for r in rows if r["suggested"][r["label_source"]] is not None)
    else:  # gold or majority: any annotator's label may have shaped it
        with_suggestion = sum(1 for r in rows if any(v is not None for v in r["suggested"].values()))
    left["stale_files"] = len(corpus.stale_files)
    left["missing_source"] = len(corpus.missing_source)
    left["empty_files"] = len(corpus.empty_files)
    tagset = corpus.tagset
    return {
        "tool": {"name": "annotate", "version": version},
        "command": command,
        "labels_commit": commit,
        "options": options.to_json(),
        "tagset": {
            "name": tagset.name, "version": tagset.version, "description": tagset.description,
            "labels": [{"name": lab.name, "definition": lab.definition} for lab in tagset.labels],
        },
        "annotators": corpus.annotators,
        "label_files": corpus.files,
        "documents": {
            "with_label_files": len(corpus.docs),
            "exported": len({r["document"] for r in rows}),
        },
        "rows": len(rows),
        "sentences": len(exported_units),
        "labels": {lab: overall[lab] for lab in labels},
        "label_shares": overall_shares,
        "splits": per_split,
        "stratification": {
            "method": "seeded hash of each document group (smallest doc id); no corpus-dependent rebalancing",
            "max_label_share_deviation": worst,
            "chance_sd": chance,
            "max_deviation_in_chance_sd": worst_sd,
        },
        "groups": {
            "count": len(group_sizes),
            "shared_text_groups": len(multi),
            "documents_in_shared_text_groups": sum(group_sizes[g] for g in multi),
            "largest": max(group_sizes.values(), default=0),
            "most_shared_texts": assigned.most_shared(),
        },
        "agreement": {
            "exported": krippendorff_alpha({u: built.all_units[u] for u in exported_units},
                                           corpus.annotators).to_json(),
            "all_labeled": krippendorff_alpha(built.all_units, corpus.annotators).to_json(),
        },
        "suggestions": {
            "annotators": built.suggestions,
            "rows_with_suggestion_visible": with_suggestion,
        },
        "left_out": left,
        "duplicate_rows_kept": 0 if options.dedupe else duplicate_rows,
        "files": sorted(f"{name}{SUFFIX[f]}" for f in options.formats for name in split_names
                        if per_split[name]["rows"]),
    }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _figure(fig: dict[str, Any]) -> str:
    n = f"{fig['units']} sentences"
    if fig.get("excluded"):
        n += f", {fig['excluded']} with a single label left out"
    if fig["value"] is None:
        return f"n/a ({n}): {fig['reason']}"
    return f"{fig['value']:.3f} ({n})"


def _how_to_load(files: list[str]) -> list[str]:
    jsonl = [f for f in files if f.endswith(".jsonl") and not f.endswith(".prodigy.jsonl")]
    parquet = [f for f in files if f.endswith(".parquet")]
    csvs = [f for f in files if f.endswith(".csv")]
    lines = ["Paths are relative to this folder.", "", "```python"]
    if jsonl or parquet:
        kind, chosen = ("parquet", parquet) if parquet else ("json", jsonl)
        mapping = ", ".join(f'"{f.split(".")[0]}": "{f}"' for f in chosen)
        lines += ["from datasets import load_dataset", f'ds = load_dataset("{kind}", data_files={{{mapping}}})',
                  "# or load_dataset(\"path/to/this/folder\"): the front matter of this card names the files"]
        if jsonl and not (parquet or csvs):
            lines.append('# or load_dataset("json", data_dir="path/to/this/folder")')
        lines.append("")
    if jsonl:
        first = jsonl[0]
        lines += ["import pandas as pd", f'df = pd.read_json("{first}", lines=True)', "",
                  "import polars as pl", f'df = pl.read_ndjson("{first}")']
    elif parquet:
        lines += ["import pandas as pd", f'df = pd.read_parquet("{parquet[0]}")']
    elif csvs:
        lines += ["import json, pandas as pd", f'df = pd.read_csv("{csvs[0]}", keep_default_na=False)',
                  'df["labels"] = df["labels"].map(json.loads)  # nested fields are JSON strings']
    else:
        lines += ["import json", "tasks = [json.loads(line) for line in open(\"train.prodigy.jsonl\")]"]
    return [*lines, "```", ""]


def _md(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _suggestions_section(sug: dict[str, Any], rows: int) -> list[str]:
    """Which labels were made with a suggestion visible (annotate label --suggest), which blind."""
    per = sug["annotators"]
    if not any(t["with_suggestion"] for t in per.values()):
        return ["Every label was made blind: no annotator saw a suggested label (annotate label without"
                " --suggest)."]
    lines = [
        "Some labels were made with a suggested label visible (annotate label --suggest). A visible"
        " suggestion anchors the annotator: those labels agree with the suggester, and with each other,"
        " more than blind ones would. The `suggested` field of each row says who saw which suggestion;"
        f" {sug['rows_with_suggestion_visible']} of the {rows} rows have a label made with one visible.",
        "",
        "| annotator | labels | with a suggestion visible | equal to the suggestion shown |",
        "| --- | ---: | ---: | ---: |",
    ]
    for a, t in per.items():
        n, k, e = t["labels"], t["with_suggestion"], t["equal_to_suggestion"]
        lines.append(f"| {_md(a)} | {n} | {k} ({_pct(k / n if n else None)}) | {e} ({_pct(e / k if k else None)}) |")
    return lines


def render_card(stats: dict[str, Any]) -> str:
    """The dataset card (README.md): no timestamps, so reruns are byte-identical."""
    opts = stats["options"]
    labels = [lab["name"] for lab in stats["tagset"]["labels"]]
    splits = stats["splits"]
    files = stats["files"]
    lines: list[str] = []
    data_files = [f for f in files if f.endswith(".parquet")] or [f for f in files if f.endswith(".jsonl")
                                                                  and not f.endswith(".prodigy.jsonl")]
    if data_files:
        lines += ["---", "configs:", "- config_name: default", "  data_files:"]
        for f in data_files:
            lines += [f"  - split: {f.split('.')[0]}", f"    path: {f}"]
        lines += ["task_categories:", "- text-classification", "---", ""]
    mode = opts["labels"]
    label_desc = {
        "majority": "the adjudicated (gold) label where review decided one, else the unique majority label of"
                    " the annotators",
        "gold": "adjudicated (gold) labels only",
        "all": "every annotator's own label, one row per sentence and annotator",
    }.get(mode, f"the labels of annotator `{mode.partition(':')[2]}`")
    lines += [
        f"# Claim-type dataset ({stats['tagset']['name']})",
        "",
        "Sentences of news articles, each with one claim type. Exported by `annotate export` from"
        f" {stats['label_files']} label files of {stats['documents']['with_label_files']} documents by"
        f" {len(stats['annotators'])} annotator(s) ({', '.join(stats['annotators']) or 'none'}).",
        "",
        f"- rows: {stats['rows']} ({stats['sentences']} sentences of {stats['documents']['exported']} documents)",
        f"- labels: {label_desc}",
        f"- unsure labels: {'counted' if opts['include_unsure'] else 'not counted (left out of votes and rows)'}",
        f"- thresholds: at least {opts['min_annotators']} counted label(s), majority share at least"
        f" {opts['min_agreement']:g} (majority labels only)",
        f"- context: {opts['context']} sentence(s) before and after",
        f"- duplicates: {'one copy kept (--dedupe)' if opts['dedupe'] else 'kept, always in the same split'}",
        "",
        "## Tagset",
        "",
        f"{_md(stats['tagset']['description'])} (tagset `{stats['tagset']['name']}`,"
        f" version {stats['tagset']['version']})",
        "",
        "| label | definition |",
        "| --- | --- |",
    ]
    lines += [f"| {_md(lab['name'])} | {_md(lab['definition'])} |" for lab in stats["tagset"]["labels"]]
    lines += ["", "## Splits", "", "| split | target | documents | rows | " + " | ".join(labels) + " |",
              "| --- | ---: | ---: | ---: | " + " | ".join("---:" for _ in labels) + " |"]
    for name, s in splits.items():
        cells = " | ".join(f"{s['labels'][lab]} ({_pct(s['label_shares'][lab])})" for lab in labels)
        lines.append(f"| {name} | {s['target_percent']}% | {s['documents']} | {s['rows']} | {cells} |")
    cells = " | ".join(f"{stats['labels'][lab]} ({_pct(stats['label_shares'][lab])})" for lab in labels)
    lines.append(f"| **all** | 100% | {stats['documents']['exported']} | {stats['rows']} | {cells} |")
    groups = stats["groups"]
    strat = stats["stratification"]
    lines += [
        "",
        "How the splits were made: all sentences of a document are in the same split. Documents that share a"
        " sentence (same text after NFKC, straight quotes, case folding and whitespace collapsing) form one"
        f" group ({groups['shared_text_groups']} such groups, {groups['documents_in_shared_text_groups']}"
        f" documents, the largest {groups['largest']} documents), and a group is never split. Each group goes"
        f" to a split by a seeded hash (seed {opts['seed']}) of its smallest document id, mapped through the"
        " target percentages. Nothing else decides it, so adding documents never moves existing ones (unless"
        " a new document shares a sentence with them and sorts first, or joins groups that were apart).",
        "",
        *(["Sentences that join the most documents:", ""]
          + [f"- {_md(t['text'])!s} ({t['documents']} documents)" for t in groups["most_shared_texts"]]
          if groups["most_shared_texts"] else []),
        "",
        "Stratification is by expectation, not by rebalancing. An assignment that never moves a document when"
        " another is added must decide each document (group) from itself alone: start from a corpus holding"
        " just that document and add the others one by one. So no stable assignment can balance labels"
        " better than chance, and rebalancing would move documents whenever the corpus grows. The largest"
        " difference between a split's label share and the overall share is"
        f" {100 * strat['max_label_share_deviation']:.1f} percentage points; chance alone gives about"
        f" {100 * strat['chance_sd']:.1f} points (one standard deviation, largest over splits and labels), so"
        f" the worst split is {strat['max_deviation_in_chance_sd']:.1f} standard deviations off. A different"
        " --seed gives another stable assignment: pick one once and keep it.",
        "",
        "## Agreement",
        "",
        "Krippendorff's alpha (nominal) over the annotators' own labels (gold excluded, unsure labels included):",
        "",
        f"- exported sentences: {_figure(stats['agreement']['exported'])}",
        f"- every labeled sentence, before anything was left out: {_figure(stats['agreement']['all_labeled'])}",
    ]
    lines += ["", "Leaving out ties and low-agreement sentences raises the first figure; the second is the"
              " honest one for the annotation itself.", "", "## Suggestions", ""]
    lines += _suggestions_section(stats["suggestions"], stats["rows"])
    lines += ["", "## Left out", "",
              f"Rows not exported ({'per sentence and annotator' if mode == 'all' else 'per sentence'}):", "",
              "| reason | count | meaning |", "| --- | ---: | --- |"]
    left = stats["left_out"]
    lines += [f"| {k} | {left[k]} | {_md(v)} |" for k, v in LEFT_OUT_ROWS.items()]
    lines += ["", "Also counted:", "", "| what | count | meaning |", "| --- | ---: | --- |"]
    lines += [f"| {k} | {left[k]} | {_md(v)} |" for k, v in LEFT_OUT_OTHER.items()]
    if stats["duplicate_rows_kept"]:
        lines += ["", f"{stats['duplicate_rows_kept']} rows repeat the normalised text of an earlier row; they"
                  " are kept (the copies are in the same split). `--dedupe` keeps one."]
    lines += ["", "## Fields", "", "| field | meaning |", "| --- | --- |"]
    lines += [f"| `{name}` | {_md(desc)} |" for name, desc in FIELDS]
    lines += ["", "In CSV files the mappings and lists are JSON strings and an empty cell is null. Prodigy files"
              " (`*.prodigy.jsonl`) hold `text`, `label`, `accept`, `answer` and `meta` (id, document, start,"
              " end).", "", "## Files", ""]
    lines += [f"- `{f}`" for f in files] + ["- `stats.json`: every figure of this card, for machines"]
    lines += [
        "",
        "## Provenance",
        "",
        f"- command: `{stats['command']}`",
        f"- tool: annotate {stats['tool']['version']}",
        f"- label files at git commit: {stats['labels_commit']}",
        "",
        "## How to load",
        "",
    ]
    lines += _how_to_load(files)
    return "\n".join(lines)


# --------------------------------------------------------------------------- the whole export


@dataclass
class ExportResult:
    """What was written, and the figures."""

    out: Path
    files: list[Path]
    stats: dict[str, Any]


def run_export(project: Project, options: ExportOptions, command: str = "annotate export",
               progress: Progress | None = None, warn: Warn | None = None) -> ExportResult:
    """Read the label files, build rows, split, write the dataset files, the card and stats.json.

    The cyclic garbage collector is paused meanwhile: the export builds hundreds of
    thousands of small, acyclic containers, and the collector's passes over them cost
    up to a third of the time (measured with benchmarks/bench_export.py).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _run_export(project, options, command, progress, warn)
    finally:
        if enabled:
            gc.enable()


def _run_export(project: Project, options: ExportOptions, command: str, progress: Progress | None,
                warn: Warn | None) -> ExportResult:
    from . import __version__

    out = check_out(project, options.out)
    if "parquet" in options.formats:
        require_pyarrow()
    corpus = load_corpus(project, progress, warn)
    if options.mode == "annotator" and options.annotator not in corpus.annotators:
        raise AnnotateError(f"--labels: no label files by {options.annotator!r}"
                            f" (annotators: {', '.join(corpus.annotators) or 'none'})")
    norm = {(du.doc, s, e): normalise(du.text[s:e]) for du in corpus.docs for s, e in du.spans}
    keys: dict[str, list[str]] = {du.doc: [] for du in corpus.docs}
    for (doc_id, _, _), key in norm.items():
        keys[doc_id].append(key)
    assigned = assign_splits(keys, options.seed, options.split)
    built = build_rows(corpus, options, assigned.split)
    rows, dropped, duplicate_rows = dedupe_rows(built.rows, norm)
    if options.dedupe:
        built.left_out["duplicates"] += dropped
    else:
        rows = built.rows
    if not rows:
        left = ", ".join(f"{v} {k}" for k, v in sorted(built.left_out.items()) if v) or "nothing"
        raise AnnotateError(f"no rows to export with --labels {options.labels} (left out: {left})")
    stats = compute_stats(corpus, options, built, rows, assigned, command, git_commit(project.root),
                          __version__, duplicate_rows)
    if warn:
        groups = stats["groups"]
        if groups["largest"] > 1 and groups["largest"] * 2 > len(corpus.docs) >= 10:
            top = groups["most_shared_texts"][0]
            warn(f"{groups['largest']} of {len(corpus.docs)} documents are one group through shared sentences"
                 f" (most shared: {top['text'][:60]!r} in {top['documents']} documents); splits cannot follow"
                 " the targets")
        for name, s in stats["splits"].items():
            if s["target_percent"] and not s["rows"]:
                warn(f"split {name} ({s['target_percent']}%) got no rows: too few document groups")

    out.mkdir(parents=True, exist_ok=True)
    for name in ("train", "dev", "test"):  # outputs of an earlier export that this one would not replace
        for suffix in SUFFIX.values():
            old = out / f"{name}{suffix}"
            if old.is_file():
                old.unlink()
    written: list[Path] = []
    by_split: dict[str, list[dict[str, Any]]] = {name: [] for name, _ in options.split}
    for r in rows:
        by_split[r["split"]].append(r)
    for fmt in options.formats:
        for name, srows in by_split.items():
            if not srows:
                continue
            path = out / f"{name}{SUFFIX[fmt]}"
            if fmt == "jsonl":
                path.write_bytes(jsonl_bytes(srows))
            elif fmt == "csv":
                path.write_bytes(csv_bytes(srows))
            elif fmt == "spacy":
                path.write_bytes(prodigy_bytes(srows))
            else:
                write_parquet(path, srows, corpus.annotators, corpus.tagset.names)
            written.append(path)
    card = out / "README.md"
    card.write_text(render_card(stats), encoding="utf-8")
    stats_path = out / "stats.json"
    stats_path.write_text(json.dumps(stats, ensure_ascii=False, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    return ExportResult(out, [*written, card, stats_path], stats)
