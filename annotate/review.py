"""Comparing annotators: label tables per document, agreement reports, review states of sentences."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .agreement import AgreementCounts, majority
from .errors import AnnotateError
from .models import GOLD, Tagset
from .reading import DocumentData, DocumentLabels, document_data
from .store import Document, Project

Unit = tuple[str, int, int]
"""A unit of agreement: (document id, start, end)."""


def units_of(doc_labels: DocumentData, annotators: list[str] | None = None
             ) -> tuple[list[tuple[Unit, dict[str, str | None]]], list[dict[str, Any]]]:
    """The units of one document with each annotator's label, and its boundary disagreements.

    A unit is a span; an annotator whose file lacks that span counts as missing
    for it, and the span is reported as a boundary disagreement. ``annotators``
    limits whose files count (default: every annotator with a label).
    """
    doc_id = doc_labels.doc.id
    have = [a for a in (annotators or doc_labels.annotators) if a in doc_labels.files]
    by_span: dict[tuple[int, int], dict[str, dict[str, Any]]] = {}
    for a in have:
        for s in doc_labels.files[a]["sentences"]:
            by_span.setdefault((s["start"], s["end"]), {})[a] = s
    units: list[tuple[Unit, dict[str, str | None]]] = []
    boundary: list[dict[str, Any]] = []
    for span in sorted(by_span):
        sents = by_span[span]
        units.append(((doc_id, *span), {a: (sents[a].get("label") if a in sents else None) for a in have}))
        if len(sents) < len(have):
            any_s = next(iter(sents.values()))
            boundary.append({"document": doc_id, "start": span[0], "end": span[1], "text": any_s["text"],
                             "annotators": sorted(sents), "missing": sorted(set(have) - set(sents))})
    return units, boundary


Progress = Callable[[str, int, int], None]


def agreement_report(project: Project, docs: Sequence[Document] | None = None, annotators: list[str] | None = None,
                     progress: Progress | None = None, lazy_documents: bool = False) -> dict[str, Any]:
    """The agreement report (see :func:`annotate.agreement.report`) over documents and annotators.

    Documents are read one at a time (plain data, :func:`annotate.reading.document_data`)
    and counted into :class:`annotate.agreement.AgreementCounts`: memory does not grow
    with the number of documents, and every figure is computed once. ``lazy_documents``:
    see :meth:`annotate.agreement.AgreementCounts.report`.
    """
    from .summaries import document_ids, label_names, source_of

    if docs is None:  # ids only: a Document per document is made when its turn comes
        docs = _Documents(document_ids(project),
                          lambda doc_id: source_of(project, doc_id) or Document(doc_id, project.seeds))
    if annotators and GOLD in annotators:
        raise AnnotateError("gold is the adjudicated label, not an annotator; leave it out of --annotators")
    counts = AgreementCounts(annotators or None)
    bias = SuggestionBias(project)
    boundary: list[dict[str, Any]] = []
    schemes: dict[str, str] = {}  # tagset -> a file that uses it
    labeled_by: set[str] = set()
    for k, doc in enumerate(docs):
        if progress and k % 50 == 0:
            progress("reading label files", k, len(docs))
        names = label_names(project, doc.id)  # one folder at a time: no listing of the whole project held
        if not names:
            continue
        dl = document_data(project, doc, annotators, names=names)
        labeled_by.update(dl.files)
        for name, data in dl.files.items():
            schemes.setdefault(data["scheme"], f"labels/{doc.id}/{name}.yaml")
        if bias.tagset is None and schemes:
            bias.use_tagset(project.tagset(next(iter(schemes))))
        units, b = units_of(dl, annotators)
        for _unit, labels in units:
            counts.add(doc.id, labels)
        boundary.extend(b)
        bias.add(dl, annotators)
    if progress:
        progress("reading label files", len(docs), len(docs))
    unknown = [a for a in annotators or () if a not in labeled_by]
    if unknown:
        raise AnnotateError(f"--annotators: no labels by {', '.join(unknown)}")
    if len(schemes) > 1:
        used = ", ".join(f"{scheme} ({where})" for scheme, where in sorted(schemes.items()))
        raise AnnotateError(f"the label files use different tagsets: {used}; compare one tagset at a time")
    result = counts.report(bias.tagset.names if bias.tagset else None, boundary, lazy_documents)
    result["documents"] = docs.ids if isinstance(docs, _Documents) else [d.id for d in docs]
    result["suggestions"] = bias.report(counts.annotators)
    return result


class _Documents(Sequence[Document]):
    """Documents by id, each made when it is reached."""

    def __init__(self, ids: list[str], make: Callable[[str], Document]) -> None:
        self.ids = ids
        self.make = make

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.make(i) for i in self.ids[index]]
        return self.make(self.ids[index])


class SuggestionBias:
    """Per annotator: how often their label equals the suggestion, split by whether they saw it.

    ``seen``: sentences labeled while a suggestion was shown (the label file
    records ``suggested:``), compared with that suggestion. ``unseen``: labeled
    blind, compared with what ``annotate label --suggest`` would have shown: the
    document's ``_suggestions.yaml``, else the tagset's cue rules (run once per
    sentence, however many annotators labeled it). A rate much higher when seen
    than unseen is the anchoring effect of showing suggestions. A rate that cannot
    be computed is null with the reason.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self.tagset: Tagset | None = None
        self.rules: Any = None
        self.rules_error: str | None = None
        self.counts: dict[str, dict[str, list[int]]] = {}

    def use_tagset(self, tagset: Tagset) -> None:
        """The tagset whose cue rules stand in for suggestions never shown."""
        from .suggest import RulesSuggester

        self.tagset = tagset
        try:
            self.rules = RulesSuggester(tagset)
        except AnnotateError as exc:  # the tagset's suggest: sections cannot be used
            self.rules_error = str(exc)

    def add(self, dl: DocumentData, annotators: list[str] | None = None) -> None:
        """One document's labels."""
        from .suggest import load_suggestions, neighbours

        from_file: dict[tuple[int, int], Any] | None = None
        from_rules: dict[tuple[int, int], str | None] = {}
        for a, labels in dl.files.items():
            if annotators and a not in annotators:
                continue
            by = self.counts.setdefault(a, {"seen": [0, 0], "unseen": [0, 0]})
            sents = labels["sentences"]
            texts: list[str] | None = None
            for i, sent in enumerate(sents):
                label = sent.get("label")
                if label is None:
                    continue
                if sent.get("suggested") is not None:
                    bucket, shown = by["seen"], sent["suggested"]
                else:
                    span = (sent["start"], sent["end"])
                    if from_file is None:
                        try:
                            from_file = load_suggestions(self.project, dl.doc, self.tagset)
                        except AnnotateError:  # a broken suggestions file: the rules, as the screen does
                            from_file = {}
                    found = from_file.get(span)
                    if found is not None:
                        shown = found.label
                    elif self.rules is not None:
                        if span not in from_rules:
                            texts = texts or [s["text"] for s in sents]
                            from_rules[span] = self.rules.suggest(sent["text"], *neighbours(texts, i)).label
                        shown = from_rules[span]
                    else:
                        continue
                    bucket = by["unseen"]
                bucket[0] += 1
                bucket[1] += label == shown

    def report(self, annotators: list[str]) -> dict[str, Any]:
        """Per annotator, ``seen`` and ``unseen``: units, equal, rate (null with the reason)."""
        out: dict[str, Any] = {}
        for a in annotators:
            by = self.counts.get(a, {"seen": [0, 0], "unseen": [0, 0]})
            out[a] = {}
            for kind, (n, k) in by.items():
                reason = None
                if not n:
                    reason = ("no label was made with a suggestion shown" if kind == "seen"
                              else self.rules_error or "no blind label has a suggestion to compare with")
                out[a][kind] = {"units": n, "equal": k, "rate": (k / n if n else None), "reason": reason}
        return out


# --------------------------------------------------------------------------- review states

AGREED, DISAGREED, MISSING, SINGLE = "agreed", "disagreed", "missing", "single"


@dataclass
class SentenceReview:
    """How the annotators stand on one sentence."""

    labels: dict[str, str | None]
    unsure: list[str]
    notes: dict[str, str]

    @property
    def given(self) -> list[str]:
        """The labels actually given."""
        return [v for v in self.labels.values() if v is not None]

    @property
    def state(self) -> str:
        """agreed (all labeled, same label), disagreed, missing (someone has not labeled), single."""
        given = self.given
        if len(self.labels) == 1:
            return SINGLE if given else MISSING
        if len(given) < len(self.labels):
            return DISAGREED if len(set(given)) > 1 else MISSING
        return AGREED if len(set(given)) == 1 else DISAGREED

    @property
    def needs_review(self) -> bool:
        """Shown in "disagreements only": disagreement, a missing label or someone unsure."""
        return self.state in (DISAGREED, MISSING) or bool(self.unsure)

    @property
    def suggestion(self) -> str | None:
        """The label Enter accepts: the unanimous or majority label (None on a tie or nothing given)."""
        return majority(self.given)


def review_rows(doc_labels: DocumentLabels, annotators: list[str], spans: list[tuple[int, int]]
                ) -> list[SentenceReview]:
    """One SentenceReview per span of the gold file, from the annotators' files."""
    index = {a: {s.span: s for s in doc_labels.files[a].sentences} for a in annotators if a in doc_labels.files}
    rows = []
    for span in spans:
        labels: dict[str, str | None] = {}
        unsure: list[str] = []
        notes: dict[str, str] = {}
        for a, sents in index.items():
            s = sents.get(span)
            labels[a] = s.label if s else None
            if s and s.unsure:
                unsure.append(a)
            if s and s.note:
                notes[a] = s.note
        rows.append(SentenceReview(labels, unsure, notes))
    return rows


def document_review_counts(doc_labels: DocumentLabels | DocumentData) -> dict[str, int]:
    """Per document: sentences agreed, disagreed and adjudicated (gold label present).

    Over the spans of the first annotator's file (annotators in name order); works on
    models (:class:`DocumentLabels`) and on plain data (:class:`DocumentData`) alike.
    """
    annotators = doc_labels.annotators
    if not annotators:
        return {"agreed": 0, "disagreed": 0, "adjudicated": 0}
    index = {a: _labels_by_span(doc_labels.files[a]) for a in annotators}
    counts: Counter[str] = Counter()
    for span in index[annotators[0]]:
        labels = {a: by_span.get(span) for a, by_span in index.items()}
        counts[SentenceReview(labels, [], {}).state] += 1
    gold = doc_labels.gold
    adjudicated = 0 if gold is None else sum(1 for label in _labels_by_span(gold).values() if label is not None)
    return {"agreed": counts[AGREED] if len(annotators) > 1 else 0,
            "disagreed": counts[DISAGREED], "adjudicated": adjudicated}


def _labels_by_span(labels: Any) -> dict[tuple[int, int], str | None]:
    """Span -> label of a label file, as a model or as plain data."""
    if isinstance(labels, dict):
        return {(s["start"], s["end"]): s.get("label") for s in labels["sentences"]}
    return {s.span: s.label for s in labels.sentences}
