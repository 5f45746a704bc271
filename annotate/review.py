"""Comparing annotators: label tables per document, agreement reports, review states of sentences."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from .agreement import majority, report
from .errors import AnnotateError
from .models import GOLD, Sentence, Tagset
from .reading import DocumentLabels, document_labels
from .store import Document, Project

Unit = tuple[str, int, int]
"""A unit of agreement: (document id, start, end)."""


def units_of(doc_labels: DocumentLabels, annotators: list[str]) -> tuple[dict[Unit, dict[str, str | None]],
                                                                      list[dict[str, Any]]]:
    """The label table of one document and its boundary disagreements.

    A unit is a span; an annotator whose file lacks that span counts as missing
    for it, and the span is reported as a boundary disagreement.
    """
    doc_id = doc_labels.doc.id
    have = [a for a in annotators if a in doc_labels.files]
    by_span: dict[tuple[int, int], dict[str, Sentence]] = {}
    for a in have:
        for s in doc_labels.files[a].sentences:
            by_span.setdefault(s.span, {})[a] = s
    units: dict[Unit, dict[str, str | None]] = {}
    boundary: list[dict[str, Any]] = []
    for span in sorted(by_span):
        sents = by_span[span]
        units[(doc_id, *span)] = {a: (sents[a].label if a in sents else None) for a in have}
        if len(sents) < len(have):
            any_s = next(iter(sents.values()))
            boundary.append({"document": doc_id, "start": span[0], "end": span[1], "text": any_s.text,
                             "annotators": sorted(sents), "missing": sorted(set(have) - set(sents))})
    return units, boundary


def agreement_report(project: Project, docs: list[Document] | None = None,
                     annotators: list[str] | None = None) -> dict[str, Any]:
    """The agreement report (see :func:`annotate.agreement.report`) over documents and annotators."""
    docs = docs if docs is not None else project.documents()
    if annotators and GOLD in annotators:
        raise AnnotateError("gold is the adjudicated label, not an annotator; leave it out of --annotators")
    loaded = [document_labels(project, doc, annotators) for doc in docs if project.label_files(doc.id)]
    labeled_by = {a for dl in loaded for a in dl.annotators}  # files with labels only
    unknown = [a for a in annotators or () if a not in labeled_by]
    if unknown:
        raise AnnotateError(f"--annotators: no labels by {', '.join(unknown)}")
    chosen = annotators or sorted(labeled_by)
    units: dict[Unit, dict[str, str | None]] = {}
    boundary: list[dict[str, Any]] = []
    schemes: dict[str, str] = {}  # tagset -> a file that uses it
    for dl in loaded:
        doc = dl.doc
        for name, lf in dl.files.items():
            schemes.setdefault(lf.scheme, project.display(project.label_path(doc.id, name)))
        u, b = units_of(dl, chosen)
        units.update(u)
        boundary.extend(b)
    if len(schemes) > 1:
        used = ", ".join(f"{scheme} ({where})" for scheme, where in sorted(schemes.items()))
        raise AnnotateError(f"the label files use different tagsets: {used}; compare one tagset at a time")
    tagset = project.tagset(next(iter(schemes))) if schemes else None
    result = report(units, chosen, tagset.names if tagset else None, boundary)
    result["documents"] = [d.id for d in docs]
    result["suggestions"] = suggestion_bias(project, loaded, chosen, tagset)
    return result


def suggestion_bias(project: Project, loaded: list[DocumentLabels], annotators: list[str],
                    tagset: Tagset | None) -> dict[str, Any]:
    """Per annotator: how often their label equals the suggestion, split by whether they saw it.

    ``seen``: sentences labeled while a suggestion was shown (the label file
    records ``suggested:``), compared with that suggestion. ``unseen``: labeled
    blind, compared with what ``annotate label --suggest`` would have shown: the
    document's ``_suggestions.yaml``, else the tagset's cue rules. A rate much
    higher when seen than unseen is the anchoring effect of showing suggestions.
    A rate that cannot be computed is null with the reason.
    """
    from .suggest import RulesSuggester, load_suggestions

    counts = {a: {"seen": [0, 0], "unseen": [0, 0]} for a in annotators}
    rules: RulesSuggester | None = None
    rules_error: str | None = None
    if tagset is not None:
        try:
            rules = RulesSuggester(tagset)
        except AnnotateError as exc:  # the tagset's suggest: sections cannot be used
            rules_error = str(exc)
    for dl in loaded:
        from_file: dict[tuple[int, int], Any] | None = None
        from_rules: dict[tuple[int, int], str | None] = {}
        for a, labels in dl.files.items():
            sents = labels.sentences
            for i, sent in enumerate(sents):
                if sent.label is None:
                    continue
                if sent.suggested is not None:
                    bucket, shown = counts[a]["seen"], sent.suggested
                else:
                    if from_file is None:
                        try:
                            from_file = load_suggestions(project, dl.doc, tagset)
                        except AnnotateError:  # a broken suggestions file: the rules, as the screen does
                            from_file = {}
                    found = from_file.get(sent.span)
                    if found is not None:
                        shown = found.label
                    elif rules is not None:
                        if sent.span not in from_rules:
                            before = sents[i - 1].text if i > 0 else None
                            after = sents[i + 1].text if i + 1 < len(sents) else None
                            from_rules[sent.span] = rules.suggest(sent.text, before, after).label
                        shown = from_rules[sent.span]
                    else:
                        continue
                    bucket = counts[a]["unseen"]
                bucket[0] += 1
                bucket[1] += sent.label == shown
    out: dict[str, Any] = {}
    for a, by in counts.items():
        out[a] = {}
        for kind, (n, k) in by.items():
            reason = None
            if not n:
                reason = ("no label was made with a suggestion shown" if kind == "seen"
                          else rules_error or "no blind label has a suggestion to compare with")
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


def document_review_counts(doc_labels: DocumentLabels) -> dict[str, int]:
    """Per document: sentences agreed, disagreed and adjudicated (gold label present)."""
    annotators = doc_labels.annotators
    if not annotators:
        return {"agreed": 0, "disagreed": 0, "adjudicated": 0}
    spans = [s.span for s in doc_labels.files[annotators[0]].sentences]
    rows = review_rows(doc_labels, annotators, spans)
    counts = Counter(r.state for r in rows)
    adjudicated = doc_labels.gold.labeled if doc_labels.gold else 0
    return {"agreed": counts[AGREED] if len(annotators) > 1 else 0,
            "disagreed": counts[DISAGREED], "adjudicated": adjudicated}
